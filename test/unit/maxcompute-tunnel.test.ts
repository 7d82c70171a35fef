/**
 * The connector's Tunnel sessions and record codec against the local MaxCompute server
 * (test/harness/maxcompute-server), whose own codec reads what ours writes and writes what
 * ours reads: every type through an upload, a commit and a download; a block the server
 * lost (its connection dropped) is caught by the commit's check of the block list and sent
 * again under the same id, never duplicated; a refused commit leaves nothing visible.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlockWriter, readBlock, RecordSchema } from "../../provider/connectors/maxcompute/records";
import { MaxComputeRest } from "../../provider/connectors/maxcompute/rest";
import { runSql } from "../../provider/connectors/maxcompute/sql";
import { TunnelClient } from "../../provider/connectors/maxcompute/tunnel";
import { decodeBlock, type MaxComputeServer, startMaxComputeServer } from "../harness/maxcompute-server";

const project = "dts_tunnel";
const key = { id: "mc-ak", secret: "mc-secret-2" };

describe("Tunnel sessions and records against the local MaxCompute server", () => {
    let mc: MaxComputeServer;
    let rest: MaxComputeRest;
    let tunnel: TunnelClient;
    beforeAll(async () => {
        mc = await startMaxComputeServer({ project, accessKeys: [key] });
        rest = new MaxComputeRest({ endpoint: mc.endpoint, accessKeyId: key.id, accessKeySecret: key.secret }, { backoffMs: 10, attempts: 1 });
        tunnel = new TunnelClient(rest, project);
        await runSql(rest, project, "CREATE TABLE t_base (id BIGINT, name STRING, price DECIMAL(20,4), ratio DOUBLE, ok BOOLEAN, raw BINARY, day INT);");
    });
    afterAll(async () => {
        rest?.close();
        await mc?.close();
    });

    const rows = [
        [1n, "plain", "12.3400", 0.5, true, Buffer.from([0, 1, 2]), 7],
        [-(2n ** 62n), "ünïcødé 😀", "-0.0001", -1e300, false, Buffer.alloc(0), -3],
        [3n, null, null, null, null, null, null],
    ];

    it("uploads with our codec, the server reads every value; downloads with its codec, ours reads them back", async () => {
        const s = await tunnel.createUpload({ table: "t_base" });
        const schema = RecordSchema.fromTypeText(s.columns);
        const w = new BlockWriter(schema);
        for (const r of rows) w.write(r);
        const block = w.finish();
        // The server's own reader, on our bytes:
        // (the fixture reads every integer type as a bigint: the INT column's 7 and -3)
        expect(decodeBlock(block, s.columns.map((c) => c.type)).records).toEqual(rows.map((r) => r.map((v, i) => (i === 6 && v !== null ? BigInt(v as number) : v))));
        await tunnel.putBlock({ table: "t_base" }, s.id, 0, block);
        await tunnel.commit({ table: "t_base" }, s.id, [0]);
        const d = await tunnel.createDownload({ table: "t_base" });
        expect(d.recordCount).toBe(3);
        const back = readBlock(RecordSchema.fromTypeText(d.columns), await tunnel.readRecords({ table: "t_base" }, d.id, 0, 3));
        expect(back.map((r) => r.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v))))
            .toEqual(rows.map((r) => r.map((v) => (Buffer.isBuffer(v) ? v.toString("hex") : v))));
    });

    it("a block whose connection dropped is caught before commit and sent again under its id: no row twice, none lost", async () => {
        const s = await tunnel.createUpload({ table: "t_base" });
        const schema = RecordSchema.fromTypeText(s.columns);
        const block = (from: number) => {
            const w = new BlockWriter(schema);
            for (let i = from; i < from + 5; i++) w.write([BigInt(100 + i), `r${i}`, null, null, null, null, null]);
            return w.finish();
        };
        await tunnel.putBlock({ table: "t_base" }, s.id, 0, block(0));
        mc.faults.dropNextBlock = true;
        await expect(tunnel.putBlock({ table: "t_base" }, s.id, 1, block(5))).rejects.toThrow();
        // The drop happened before the server kept the block: the commit's check says so.
        await expect(tunnel.commit({ table: "t_base" }, s.id, [0, 1])).rejects.toThrow(/send 1 again/);
        await tunnel.putBlock({ table: "t_base" }, s.id, 1, block(5));
        await tunnel.putBlock({ table: "t_base" }, s.id, 1, block(5)); // a retry of a block that did arrive replaces it
        await tunnel.commit({ table: "t_base" }, s.id, [0, 1]);
        const ids = mc.rows("t_base").map((r) => r[0]).filter((v) => typeof v === "bigint" && v >= 100n);
        expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(100 + i)));
    });

    it("a refused commit leaves nothing visible; the session can be committed after", async () => {
        const before = mc.rows("t_base").length;
        const s = await tunnel.createUpload({ table: "t_base" });
        const w = new BlockWriter(RecordSchema.fromTypeText(s.columns));
        w.write([999n, "late", null, null, null, null, null]);
        await tunnel.putBlock({ table: "t_base" }, s.id, 0, w.finish());
        mc.faults.refuseNextCommit = true;
        await expect(tunnel.commit({ table: "t_base" }, s.id, [0])).rejects.toThrow();
        expect(mc.rows("t_base").length).toBe(before);
        await tunnel.commit({ table: "t_base" }, s.id, [0]);
        expect(mc.rows("t_base").length).toBe(before + 1);
    });
});
