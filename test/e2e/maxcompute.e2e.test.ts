/**
 * MySQL → MaxCompute end to end, through the real Pulumi CLI running
 * examples/mysql-to-maxcompute (schema + full + incremental, waitFor "caught-up") against
 * the harness's MariaDB and the local MaxCompute server started in this process: preview
 * creates nothing; up creates orders_base and orders_log and copies the rows; source writes
 * become _log entries and the merge of the two tables equals the source; destroy releases
 * the task (its checkpoint partitions go, the tables stay); no secret is in the state or the
 * CLI's output.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import type { RowDataPacket } from "mysql2/promise";
import { CHECKPOINT_TABLE } from "../../provider/connectors/maxcompute/checkpoint-store";
import { mergeRows } from "../../provider/connectors/maxcompute/merge";
import { type CliResult, type PulumiEnv, pulumi, pulumiBin, pulumiEnv, repoRoot, writeProject } from "../harness/pulumi-cli";
import { type MaxComputeServer, startMaxComputeServer } from "../harness/maxcompute-server";
import { until } from "../harness/until";

const maria = inject("mariadb");

describe("MySQL → MaxCompute through the real Pulumi CLI (examples/mysql-to-maxcompute)", () => {
    let pe: PulumiEnv | undefined;
    let mc: MaxComputeServer;
    let destroyed = false;
    const dir = join(repoRoot, ".pulumi-test", `maxcompute-${process.pid}`);
    const db = `mc_e2e_${process.pid}`;
    const ak = { id: `e2e-mc-${process.pid}`, secret: `mc-AkSecret-${randomBytes(8).toString("hex")}` };
    const cliOutput: string[] = [];
    const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
    const cli = async (...args: string[]): Promise<CliResult> => {
        const r = await pulumi(args, { cwd: dir, env: pe!.env });
        cliOutput.push(out(r));
        return r;
    };
    const onSource = async (sql: string) => {
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, database: db, multipleStatements: true });
        try {
            return (await c.query<RowDataPacket[]>(sql))[0];
        } finally {
            await c.end();
        }
    };
    const lc = {
        recordId: "new_dts_sync_record_id", operationFlag: "new_dts_sync_operation_flag", utcTimestamp: "new_dts_sync_utc_timestamp",
        beforeFlag: "new_dts_sync_before_flag", afterFlag: "new_dts_sync_after_flag", partitions: [],
    };
    const merged = () => mergeRows(mc.rows("orders_base"), mc.rows("orders_log"), {
        key: ["id"], columns: ["id", "total", "note"], logColumns: lc, logSchema: mc.tables.get("orders_log")!.columns.map((c) => c.name),
    }).map((r) => [Number(r[0]), r[1], r[2]]).sort((a, b) => (a[0] as number) - (b[0] as number));
    const source = async () => (await onSource("SELECT id, CAST(total AS CHAR) AS total, note FROM orders ORDER BY id")).map((r) => [r.id, r.total, r.note]);

    beforeAll(async () => {
        mc = await startMaxComputeServer({ project: "dts_e2e", accessKeys: [ak] });
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2) NOT NULL, note VARCHAR(40));
            INSERT INTO orders SELECT seq, seq * 0.5, CONCAT('order ', seq) FROM seq_1_to_60;`);
        await c.end();
        pe = pulumiEnv(pulumiBin());
        writeProject(dir, "dts-e2e-maxcompute", readFileSync(join(repoRoot, "examples", "mysql-to-maxcompute", "index.ts"), "utf8"));
        expect((await cli("stack", "init", "e2e")).code).toBe(0);
        const r = await cli("config", "set-all",
            "--plaintext", `sourcePort=${maria.port}`, "--plaintext", `sourceUser=${maria.user}`, "--plaintext", `database=${db}`,
            "--plaintext", `endpoint=${mc.endpoint}`, "--plaintext", `project=${mc.project}`, "--plaintext", `accessKeyId=${ak.id}`,
            "--secret", `sourcePassword=${maria.password}`, "--secret", `accessKeySecret=${ak.secret}`);
        expect(r.code, out(r)).toBe(0);
    }, 120_000);

    afterAll(async () => {
        if (pe && !destroyed) await cli("destroy", "--yes", "--skip-preview");
        await onSource(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
        await mc?.close();
        rmSync(dir, { recursive: true, force: true });
        if (pe) rmSync(pe.home, { recursive: true, force: true });
    });

    it("preview creates nothing; up copies the rows and follows the binlog; the merge of _base and _log is the source; destroy releases the task", async () => {
        const preview = await cli("preview");
        expect(preview.code, out(preview)).toBe(0);
        expect(mc.tables.size, "preview creates nothing in MaxCompute").toBe(0);

        const up = await cli("up", "--yes", "--skip-preview");
        expect(up.code, out(up)).toBe(0);
        const o = JSON.parse((await cli("stack", "output", "--json")).stdout);
        expect(o.status).toBe("running");
        expect(o.rowsCopied).toBe(60);
        expect([...mc.tables.keys()].sort()).toEqual(["orders_base", "orders_log", CHECKPOINT_TABLE].sort());
        expect(mc.rows("orders_base")).toHaveLength(60);

        await onSource("INSERT INTO orders VALUES (100, 1.00, 'new'); UPDATE orders SET total = total + 1 WHERE id <= 3; DELETE FROM orders WHERE id = 4; UPDATE orders SET id = 200 WHERE id = 5");
        const want = await source();
        await until("the changes in orders_log", async () => JSON.stringify(merged()) === JSON.stringify(want), { timeoutMs: 60_000 });
        expect(merged()).toEqual(want);

        const exported = (await cli("stack", "export")).stdout;
        for (const secret of [ak.secret, maria.password]) {
            expect(exported).not.toContain(secret);
            expect(cliOutput.join("\n")).not.toContain(secret);
        }

        const destroy = await cli("destroy", "--yes", "--skip-preview");
        expect(destroy.code, out(destroy)).toBe(0);
        destroyed = true;
        expect([...mc.tables.get(CHECKPOINT_TABLE)!.partitions.keys()]).toEqual([]);
        expect(mc.rows("orders_base")).toHaveLength(60);
    }, 300_000);
});
