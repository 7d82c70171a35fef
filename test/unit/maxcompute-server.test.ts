/**
 * The local MaxCompute server (test/harness/maxcompute-server, a fixture) against the
 * connector's own REST and SQL client: signatures recomputed and refused when wrong, the
 * project and table metadata, DDL instances (polled while "Running", a failure's result text
 * as the error), Tunnel upload sessions (blocks visible only at commit, CRCs and field
 * numbers checked, a session keeps the schema it was opened with), download sessions, and
 * injected 5xx answers retried by the client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaxComputeRest } from "../../provider/connectors/maxcompute/rest";
import { runSql } from "../../provider/connectors/maxcompute/sql";
import { encodeBlock, type MaxComputeServer, startMaxComputeServer } from "../harness/maxcompute-server";

const project = "dts_fixture";
const key = { id: "mc-ak", secret: "mc-secret-1" };
const TUNNEL = { "x-odps-tunnel-version": "6" };

describe("the local MaxCompute server", () => {
    let mc: MaxComputeServer;
    let rest: MaxComputeRest;
    beforeAll(async () => {
        mc = await startMaxComputeServer({ project, accessKeys: [key], runningPolls: 2 });
        rest = new MaxComputeRest({ endpoint: mc.endpoint, accessKeyId: key.id, accessKeySecret: key.secret }, { backoffMs: 10 });
    });
    afterAll(async () => {
        rest?.close();
        await mc?.close();
    });

    it("checks every signature: the right key reads the project, a wrong secret or id is refused", async () => {
        expect((await rest.getProject(project)).name).toBe(project);
        const wrong = new MaxComputeRest({ endpoint: mc.endpoint, accessKeyId: key.id, accessKeySecret: "not-it" }, { backoffMs: 10 });
        await expect(wrong.getProject(project)).rejects.toMatchObject({ code: "SignatureNotMatch" });
        const unknown = new MaxComputeRest({ endpoint: mc.endpoint, accessKeyId: "nobody", accessKeySecret: key.secret }, { backoffMs: 10 });
        await expect(unknown.getProject(project)).rejects.toMatchObject({ code: "InvalidAccessKeyId" });
        wrong.close();
        unknown.close();
    });

    it("runs the DDL the connector emits, polled while Running; another statement fails with its result text", async () => {
        await runSql(rest, project, "CREATE TABLE IF NOT EXISTS orders_base (id BIGINT, note STRING, amount DECIMAL(38,18));");
        const t = await rest.getTable(project, "orders_base");
        expect(t.columns.map((c) => [c.name, c.type])).toEqual([["id", "bigint"], ["note", "string"], ["amount", "decimal(38,18)"]]);
        await runSql(rest, project, "CREATE TABLE orders_log (id BIGINT, record_id BIGINT) PARTITIONED BY (modifytime_day STRING);");
        expect((await rest.getTable(project, "orders_log")).partitionColumns.map((c) => c.name)).toEqual(["modifytime_day"]);
        await expect(runSql(rest, project, "SELECT * FROM orders_base;")).rejects.toThrow(/only the DDL the connector emits/);
        await expect(rest.tableExists(project, "missing")).resolves.toBe(false);
        // polled: every instance stayed Running for two status reads
        expect(mc.requests.filter((r) => r.includes("taskstatus")).length).toBeGreaterThanOrEqual(6);
    });

    it("keeps uploaded blocks invisible until commit, checks CRCs and field numbers, and keeps a session's schema", async () => {
        const uploads = async () => JSON.parse((await rest.request({ method: "POST", segments: ["projects", project, "tables", "orders_base"], params: { uploads: "" }, headers: TUNNEL, project })).body.toString()) as { UploadID: string };
        const s = await uploads();
        const block = encodeBlock([[1n, "first", "1.500000000000000000"], [2n, null, "-3"]], ["BIGINT", "STRING", "DECIMAL(38,18)"]);
        await rest.request({ method: "PUT", segments: ["projects", project, "tables", "orders_base"], params: { uploadid: s.UploadID, blockid: "0" }, headers: { ...TUNNEL, "content-type": "application/octet-stream" }, body: block, project });
        expect(mc.rows("orders_base")).toEqual([]);
        const corrupt = Buffer.from(block);
        corrupt[3] ^= 0x01;
        await expect(rest.request({ method: "PUT", segments: ["projects", project, "tables", "orders_base"], params: { uploadid: s.UploadID, blockid: "1" }, headers: TUNNEL, body: corrupt, project }))
            .rejects.toMatchObject({ code: "MalformedDataStream" });
        await expect(rest.request({ method: "PUT", segments: ["projects", project, "tables", "orders_base"], params: { uploadid: s.UploadID, blockid: "20000" }, headers: TUNNEL, body: block, project }))
            .rejects.toMatchObject({ code: "InvalidBlockID" });
        const reloaded = JSON.parse((await rest.request({ method: "GET", segments: ["projects", project, "tables", "orders_base"], params: { uploadid: s.UploadID }, headers: TUNNEL, project })).body.toString());
        expect(reloaded.UploadedBlockList).toEqual([{ BlockID: 0 }]);
        await rest.request({ method: "POST", segments: ["projects", project, "tables", "orders_base"], params: { uploadid: s.UploadID }, headers: TUNNEL, project });
        expect(mc.rows("orders_base")).toEqual([[1n, "first", "1.500000000000000000"], [2n, null, "-3"]]);

        // A session opened before ADD COLUMNS keeps its schema: a record with the new field is refused.
        const before = await uploads();
        await runSql(rest, project, "ALTER TABLE orders_base ADD COLUMNS (extra BIGINT);");
        const wide = encodeBlock([[3n, "x", "0", 7n]], ["BIGINT", "STRING", "DECIMAL(38,18)", "BIGINT"]);
        await expect(rest.request({ method: "PUT", segments: ["projects", project, "tables", "orders_base"], params: { uploadid: before.UploadID, blockid: "0" }, headers: TUNNEL, body: wide, project }))
            .rejects.toThrow(/recreate the session/);
        const after = await uploads();
        await rest.request({ method: "PUT", segments: ["projects", project, "tables", "orders_base"], params: { uploadid: after.UploadID, blockid: "0" }, headers: TUNNEL, body: wide, project });
        await rest.request({ method: "POST", segments: ["projects", project, "tables", "orders_base"], params: { uploadid: after.UploadID }, headers: TUNNEL, project });
        expect(mc.rows("orders_base").map((r) => r[3])).toEqual([null, null, 7n]);
    });

    it("answers download sessions with the committed rows, and a 5xx is retried by the client", async () => {
        const d = JSON.parse((await rest.request({ method: "POST", segments: ["projects", project, "tables", "orders_base"], params: { downloads: "" }, headers: TUNNEL, project })).body.toString());
        expect(d.RecordCount).toBe(3);
        mc.faults.errors = 1;
        const block = await rest.request({ method: "GET", segments: ["projects", project, "tables", "orders_base"], params: { downloadid: d.DownloadID, rowrange: "(1,2)" }, headers: TUNNEL, project });
        const { decodeBlock } = await import("../harness/maxcompute-server");
        expect(decodeBlock(block.body, ["BIGINT", "STRING", "DECIMAL(38,18)", "BIGINT"]).records).toEqual([[2n, null, "-3", null], [3n, "x", "0", 7n]]);
    });

    it("refuses a tunnel call without x-odps-tunnel-version, and an upload to a partition that does not exist", async () => {
        await expect(rest.request({ method: "POST", segments: ["projects", project, "tables", "orders_base"], params: { uploads: "" }, project })).rejects.toThrow(/x-odps-tunnel-version/);
        await expect(rest.request({ method: "POST", segments: ["projects", project, "tables", "orders_log"], params: { uploads: "", partition: "modifytime_day='20261204'" }, headers: TUNNEL, project }))
            .rejects.toMatchObject({ code: "NoSuchPartition" });
        await rest.request({ method: "POST", segments: ["projects", project, "tables", "orders_log"], params: { uploads: "", partition: "modifytime_day='20261204'", create_partition: "true" }, headers: TUNNEL, project });
        expect(mc.tables.get("orders_log")!.partitions.has("modifytime_day=20261204")).toBe(true);
    });
});
