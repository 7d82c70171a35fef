/**
 * The MaxCompute full load's chunk writes (provider/connectors/maxcompute/bulk-sink.ts)
 * against the local MaxCompute server: a chunk's rows become visible once, at its commit;
 * the upload session is recorded before the commit, so a chunk redone after a crash before
 * the commit writes its rows afresh, and one redone after a commit whose answer was lost
 * writes nothing again; rows a column cannot hold are dirty data, the others arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SourceRow, TableMapping } from "../../provider/engine/model";
import type { ChunkWrite } from "../../provider/engine/sink";
import { MaxComputeBulkSink, type MaxComputeTablePlan } from "../../provider/connectors/maxcompute/bulk-sink";
import { MaxComputeRest } from "../../provider/connectors/maxcompute/rest";
import { runSql } from "../../provider/connectors/maxcompute/sql";
import { TunnelClient } from "../../provider/connectors/maxcompute/tunnel";
import { type MaxComputeServer, startMaxComputeServer } from "../harness/maxcompute-server";

const project = "dts_bulk";
const key = { id: "mc-ak", secret: "mc-bulk-secret" };

class BadValue extends Error {}

describe("MaxCompute bulk sink", () => {
    let mc: MaxComputeServer;
    let rest: MaxComputeRest;
    let sink: MaxComputeBulkSink;
    const mapping = {} as TableMapping;
    const plan: MaxComputeTablePlan = {
        table: "orders_base",
        names: ["id", "name"],
        toRecord: (row) => {
            if (row[1] === "bad") throw new BadValue(`name "bad" cannot be written`);
            return [BigInt(row[0] as string), row[1] as string | null];
        },
        isRowValueError: (err): err is Error => err instanceof BadValue,
    };
    beforeAll(async () => {
        mc = await startMaxComputeServer({ project, accessKeys: [key] });
        rest = new MaxComputeRest({ endpoint: mc.endpoint, accessKeyId: key.id, accessKeySecret: key.secret }, { backoffMs: 5, attempts: 1 });
        sink = new MaxComputeBulkSink(new TunnelClient(rest, project), () => plan);
        await runSql(rest, project, "CREATE TABLE orders_base (id BIGINT, name STRING);");
    });
    afterAll(async () => {
        rest?.close();
        await mc?.close();
    });

    const chunk = (rows: SourceRow[], o: Partial<ChunkWrite> & { recorded?: string[]; rejected?: string[] } = {}): ChunkWrite => ({
        mapping, range: null, redo: false, conflict: "error", isolateRows: false,
        batches: (async function* () { yield rows; })(),
        onRejected: (_row, reason) => o.rejected?.push(reason),
        onProgress: () => undefined,
        recordSinkState: async (state) => {
            o.recorded?.push(state);
            // Recorded before the commit: nothing of the chunk is visible yet.
            expect(mc.rows("orders_base").filter((r) => rows.some((x) => BigInt(x[0] as string) === r[0]))).toEqual([]);
        },
        ...o,
    });
    const ids = () => mc.rows("orders_base").map((r) => r[0]);

    it("writes a chunk's rows once, at its commit; a row its column cannot hold is dirty data", async () => {
        const recorded: string[] = [];
        const rejected: string[] = [];
        const n = await sink.writeChunk(chunk([["1", "a"], ["2", "bad"], ["3", null], ["-9223372036854775808", "min"]], { recorded, rejected }));
        expect(n).toBe(2);
        expect(ids()).toEqual([1n, 3n]);
        expect(rejected).toHaveLength(2);
        expect(rejected[0]).toMatch(/cannot be written/);
        expect(recorded).toHaveLength(1);
    });

    it("a crash before the commit: the redo writes the chunk afresh, once", async () => {
        const recorded: string[] = [];
        const rows: SourceRow[] = [["10", "x"], ["11", "y"]];
        mc.faults.refuseNextCommit = true;
        await expect(sink.writeChunk(chunk(rows, { recorded }))).rejects.toThrow();
        expect(ids().filter((i) => (i as bigint) >= 10n)).toEqual([]);
        expect(await sink.writeChunk(chunk(rows, { redo: true, sinkState: recorded[0] }))).toBe(2);
        expect(ids().filter((i) => (i as bigint) >= 10n)).toEqual([10n, 11n]);
    });

    it("a commit whose answer was lost: the redo reads nothing again and writes nothing twice", async () => {
        const recorded: string[] = [];
        const rows: SourceRow[] = [["20", "p"], ["21", "q"], ["22", "r"]];
        mc.faults.dropCommitAnswer = true;
        await expect(sink.writeChunk(chunk(rows, { recorded }))).rejects.toThrow();
        expect(ids().filter((i) => (i as bigint) >= 20n)).toEqual([20n, 21n, 22n]);
        let read = false;
        const redo = chunk([], { redo: true, sinkState: recorded[0] });
        redo.batches = (async function* () { read = true; yield rows; })();
        expect(await sink.writeChunk(redo)).toBe(3);
        expect(read).toBe(false);
        expect(ids().filter((i) => (i as bigint) >= 20n)).toEqual([20n, 21n, 22n]);
    });
});
