/**
 * The MaxCompute stream checkpoint and fence (provider/connectors/maxcompute/checkpoint-store.ts)
 * against the local MaxCompute server: a later claim takes the task over and the earlier
 * session can neither check nor write; lower epochs are refused, the held one re-claimed;
 * of claims racing at one epoch exactly one wins; a window whose uploads a crash left
 * uncommitted is committed by the next read, once; a release drops the task's rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FencedError } from "../../provider/engine/checkpoint-store";
import { MaxComputeCheckpointStore } from "../../provider/connectors/maxcompute/checkpoint-store";
import { BlockWriter, RecordSchema } from "../../provider/connectors/maxcompute/records";
import { MaxComputeRest } from "../../provider/connectors/maxcompute/rest";
import { runSql } from "../../provider/connectors/maxcompute/sql";
import { TunnelClient } from "../../provider/connectors/maxcompute/tunnel";
import { type MaxComputeServer, startMaxComputeServer } from "../harness/maxcompute-server";

const project = "dts_ckpt";
const key = { id: "mc-ak", secret: "mc-ckpt-secret" };
const at = (position: number) => ({ position: { file: "mysql-bin.000001", position }, sourceTime: 1_700_000_000_000 });

describe("MaxCompute stream checkpoint and fence", () => {
    let mc: MaxComputeServer;
    let rest: MaxComputeRest;
    let tunnel: TunnelClient;
    const store = () => new MaxComputeCheckpointStore(rest, tunnel, project);
    beforeAll(async () => {
        mc = await startMaxComputeServer({ project, accessKeys: [key] });
        rest = new MaxComputeRest({ endpoint: mc.endpoint, accessKeyId: key.id, accessKeySecret: key.secret }, { backoffMs: 5, attempts: 1 });
        tunnel = new TunnelClient(rest, project);
        await store().ensureTable();
        await store().ensureTable();
    });
    afterAll(async () => {
        rest?.close();
        await mc?.close();
    });

    it("a later claim takes over; the earlier session's checks and writes are refused; epochs only grow", async () => {
        const a = store();
        const b = store();
        expect(await a.read("t1")).toBeNull();
        expect(await a.claim("t1")).toBe(1);
        await a.write("t1", at(100));
        expect((await b.read("t1"))?.position.position).toBe(100);
        expect(await b.claim("t1")).toBe(2);
        await expect(a.check("t1")).rejects.toThrow(FencedError);
        await expect(a.write("t1", at(200))).rejects.toThrow(/another session took this task's stream over/);
        await b.write("t1", at(300));
        expect((await a.read("t1"))?.position.position).toBe(300);
        await expect(a.claim("t1", 1)).rejects.toThrow(FencedError);
        expect(await b.claim("t1", 2)).toBe(2);
        expect(await a.claim("t1", 7)).toBe(7);
        await expect(b.write("t1", at(400))).rejects.toThrow(FencedError);
    });

    it("of sessions claiming one epoch at once, exactly one can write", async () => {
        const stores = Array.from({ length: 4 }, store);
        // A claim may return before a racing one lands (appends are not transactions); the
        // greatest claim holds the task, and every other session's next check refuses it.
        const claims = await Promise.allSettled(stores.map((s) => s.claim("t2", 5)));
        const claimed = stores.filter((_, i) => claims[i].status === "fulfilled");
        expect(claimed.length).toBeGreaterThanOrEqual(1);
        const writes = await Promise.allSettled(claimed.map((s, i) => s.write("t2", at(10 + i))));
        expect(writes.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        for (const r of writes) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(FencedError);
    });

    it("a window left uncommitted by a crash is committed by the next read, once", async () => {
        await runSql(rest, project, "CREATE TABLE orders_log (id BIGINT, record_id BIGINT);");
        const s = store();
        await s.claim("t3");
        const session = await tunnel.createUpload({ table: "orders_log" });
        const w = new BlockWriter(RecordSchema.fromTypeText(session.columns));
        w.write([1n, 1000n]);
        w.write([2n, 1001n]);
        await tunnel.putBlock({ table: "orders_log" }, session.id, 0, w.finish());
        await s.writeWindow("t3", at(500), [{ table: "orders_log", partition: "", session: session.id, blocks: [0] }]);
        // The crash: the window is recorded, its upload not committed.
        expect(mc.rows("orders_log")).toEqual([]);
        const resumed = store();
        expect((await resumed.read("t3"))?.position.position).toBe(500);
        expect(mc.rows("orders_log")).toEqual([[1n, 1000n], [2n, 1001n]]);
        await resumed.read("t3");
        expect(mc.rows("orders_log")).toHaveLength(2);
    });

    it("a release drops the task's claims and windows", async () => {
        const s = store();
        await s.claim("t4");
        await s.write("t4", at(9));
        await s.forget("t4");
        expect(await s.read("t4")).toBeNull();
        expect(await store().claim("t4")).toBe(1);
    });
});
