/**
 * The MaxCompute `_log` change sink (provider/connectors/maxcompute/change-sink.ts) against
 * the local MaxCompute server: batches of source changes become `_log` entries in source
 * order (an UPDATE as two), in the partitions their binlog time says; the merge of `_base`
 * and `_log` is the source's current state; a batch replayed after a crash before its
 * window writes nothing twice, and one whose commits the crash cut off is finished by the
 * next read; a fenced sink writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FencedError } from "../../provider/engine/checkpoint-store";
import type { SourceChange } from "../../provider/engine/incremental/change-model";
import type { SourceRow } from "../../provider/engine/model";
import { MaxComputeLogSink } from "../../provider/connectors/maxcompute/change-sink";
import { MaxComputeCheckpointStore } from "../../provider/connectors/maxcompute/checkpoint-store";
import { createBaseTable, createLogTable } from "../../provider/connectors/maxcompute/ddl";
import { mergeRows } from "../../provider/connectors/maxcompute/merge";
import { logLayout } from "../../provider/connectors/maxcompute/names";
import { MaxComputeRest } from "../../provider/connectors/maxcompute/rest";
import { runSql } from "../../provider/connectors/maxcompute/sql";
import { planTable } from "../../provider/connectors/maxcompute/table-plan";
import { TunnelClient } from "../../provider/connectors/maxcompute/tunnel";
import { taskArgsSchema } from "../../sdk/schema/task";
import { type MaxComputeServer, startMaxComputeServer } from "../harness/maxcompute-server";
import { col, mapping } from "./pg-fixtures";

const project = "dts_logsink";
const key = { id: "mc-ak", secret: "mc-log-secret" };
const orders = mapping([col("id", "int(11)", { nullable: false }), col("note", "varchar(20)")], { primaryKey: ["id"] });
const task = taskArgsSchema.parse({
    migrationTypes: ["schema", "full", "incremental"], objects: [{ database: "shop" }],
    source: { connectionId: "s", engine: "mariadb" }, destination: { connectionId: "d", engine: "maxcompute" },
    maxcompute: { incrementalPartitions: ["modifytime_day"] },
});
const T = Date.UTC(2026, 11, 4, 23, 59, 58);
const pos = (position: number) => ({ file: "mysql-bin.000003", position });
const change = (op: SourceChange["op"], before: SourceRow | null, after: SourceRow | null, position: number, commitTime = T): SourceChange =>
    ({ mapping: orders, op, before, after, position: pos(position), commitTime });
const batch = (changes: SourceChange[], end: number) => ({
    changes, checkpoint: { position: pos(end), sourceTime: T }, isolateRows: false, onRejected: () => undefined,
});

describe("MaxCompute _log sink", () => {
    let mc: MaxComputeServer;
    let rest: MaxComputeRest;
    let tunnel: TunnelClient;
    const sink = () => {
        const store = new MaxComputeCheckpointStore(rest, tunnel, project);
        return new MaxComputeLogSink(rest, tunnel, project, store, () => task);
    };
    const layout = logLayout("new", ["modifytime_day"]);
    const lc = {
        recordId: "new_dts_sync_record_id", operationFlag: "new_dts_sync_operation_flag", utcTimestamp: "new_dts_sync_utc_timestamp",
        beforeFlag: "new_dts_sync_before_flag", afterFlag: "new_dts_sync_after_flag", partitions: [{ unit: "day" as const, name: "new_dts_sync_modifytime_day" }],
    };
    const merged = () => mergeRows(mc.rows("orders_base"), mc.rows("orders_log"), { key: ["id"], columns: ["id", "note"], logColumns: lc })
        .map((r) => [Number(r[0]), r[1]]).sort((a, b) => (a[0] as number) - (b[0] as number));

    beforeAll(async () => {
        mc = await startMaxComputeServer({ project, accessKeys: [key] });
        rest = new MaxComputeRest({ endpoint: mc.endpoint, accessKeyId: key.id, accessKeySecret: key.secret }, { backoffMs: 5, attempts: 1 });
        tunnel = new TunnelClient(rest, project);
        const plan = planTable(orders, task);
        await runSql(rest, project, `${createBaseTable("orders_base", plan.ddlColumns)};`);
        await runSql(rest, project, `${createLogTable("orders_log", plan.ddlColumns, layout)};`);
        await new MaxComputeCheckpointStore(rest, tunnel, project).ensureTable();
        // The full load's rows.
        const s = await tunnel.createUpload({ table: "orders_base" });
        const { BlockWriter, RecordSchema } = await import("../../provider/connectors/maxcompute/records");
        const w = new BlockWriter(RecordSchema.fromTypeText(s.columns));
        w.write([1, "one"]);
        w.write([2, "two"]);
        await tunnel.putBlock({ table: "orders_base" }, s.id, 0, w.finish());
        await tunnel.commit({ table: "orders_base" }, s.id, [0]);
    });
    afterAll(async () => {
        rest?.close();
        await mc?.close();
    });

    it("logs every change in source order, an UPDATE as two entries, partitioned by the binlog time; the merge is the source's state", async () => {
        const s = sink();
        await s.checkpoints.claim("t1");
        await s.apply("t1", batch([
            change("insert", null, ["3", "three"], 100),
            change("update", ["1", "one"], ["1", "uno"], 200),
            change("update", ["2", "two"], ["20", "two"], 300),
        ], 300));
        await s.apply("t1", batch([change("delete", ["3", "three"], null, 400, T + 4000)], 400));
        const log = mc.rows("orders_log");
        expect(log.map((r) => [Number(r[0]), r[1], r[3], r[5], r[6], r[7]])).toEqual([
            [3, "three", "I", "N", "Y", "20261204"],
            [1, "one", "U", "Y", "N", "20261204"],
            [1, "uno", "U", "N", "Y", "20261204"],
            [2, "two", "U", "Y", "N", "20261204"],
            [20, "two", "U", "N", "Y", "20261204"],
            [3, "three", "D", "Y", "N", "20261205"],
        ]);
        expect(log[1][2]).toBe(log[2][2]);
        expect(merged()).toEqual([[1, "uno"], [20, "two"]]);
        expect((await s.checkpoints.read("t1"))?.position.position).toBe(400);
    });

    it("a crash before the window: the replay writes nothing twice; a crash after it: the next read commits, once", async () => {
        const before = mc.rows("orders_log").length;
        const s = sink();
        await s.checkpoints.claim("t1");
        mc.faults.refuseNextCommit = true; // the window row's own commit fails: as if the engine died before it
        await expect(s.apply("t1", batch([change("insert", null, ["5", "five"], 500)], 500))).rejects.toThrow();
        expect(mc.rows("orders_log").length).toBe(before);
        const again = sink();
        await again.checkpoints.claim("t1");
        await again.apply("t1", batch([change("insert", null, ["5", "five"], 500)], 500));
        expect(mc.rows("orders_log").length).toBe(before + 1);
        expect(merged()).toEqual([[1, "uno"], [5, "five"], [20, "two"]]);
    });

    it("a sink that another session fenced writes nothing", async () => {
        const a = sink();
        await a.checkpoints.claim("t1");
        const b = sink();
        await b.checkpoints.claim("t1");
        const n = mc.rows("orders_log").length;
        await expect(a.apply("t1", batch([change("insert", null, ["9", "nine"], 900)], 900))).rejects.toThrow(FencedError);
        expect(mc.rows("orders_log").length).toBe(n);
    });
});
