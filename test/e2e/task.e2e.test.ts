import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { destroyMariaDb, type MariaDbInfo, startMariaDb } from "../harness/mariadb";
import { type PulumiEnv, pulumi, pulumiBin, pulumiEnv, repoRoot, writeProject } from "../harness/pulumi-cli";

const pg = inject("postgres");

describe("MigrationTask through the real Pulumi CLI (examples/mysql-to-postgres)", () => {
    let maria: MariaDbInfo;
    let pe: PulumiEnv;
    const dir = join(repoRoot, ".pulumi-test", `task-${process.pid}`);
    const dbA = `e2e_a_${process.pid}`;
    const dbB = `e2e_b_${process.pid}`;
    const cli = (...args: string[]) => pulumi(args, { cwd: dir, env: pe.env });
    const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
    const pgAdmin = async (database = pg.database) => {
        const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database });
        await c.connect();
        return c;
    };
    const count = async (database: string, table: string) => {
        const c = await pgAdmin(database);
        try {
            return Number((await c.query(`SELECT count(*) AS n FROM shop.${table}`)).rows[0].n);
        } finally {
            await c.end();
        }
    };
    const dtsCli = (...args: string[]) =>
        execFileSync(process.execPath, [join(repoRoot, "dist", "provider", "cli", "main.js"), ...args], { env: pe.env }).toString();

    beforeAll(async () => {
        maria = await startMariaDb({ serverId: 11 });
        const m = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await m.query(`CREATE DATABASE shop; USE shop;
            CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2) NOT NULL, placed DATETIME(3));
            CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL);
            INSERT INTO orders SELECT seq, seq * 1.25, '2024-05-01 10:00:00.123' FROM seq_1_to_1000;
            INSERT INTO customers SELECT seq, CONCAT('customer ', seq) FROM seq_1_to_50;`);
        await m.end();
        const admin = await pgAdmin();
        await admin.query(`CREATE DATABASE ${dbA}`);
        await admin.query(`CREATE DATABASE ${dbB}`);
        await admin.end();

        pe = pulumiEnv(pulumiBin());
        writeProject(dir, "dts-e2e-task", readFileSync(join(repoRoot, "examples", "mysql-to-postgres", "index.ts"), "utf8"));
        expect((await cli("stack", "init", "e2e")).code).toBe(0);
        const config: [string, string][] = [
            ["sourcePort", String(maria.port)], ["sourceUser", maria.user],
            ["destinationPort", String(pg.port)], ["destinationUser", pg.user], ["destinationDatabase", dbA],
        ];
        for (const [k, v] of config) await cli("config", "set", k, v);
        await cli("config", "set", "--secret", "sourcePassword", maria.password);
        await cli("config", "set", "--secret", "destinationPassword", pg.password);
        await cli("config", "set", "--path", "tables[0]", "orders");
    });

    afterAll(async () => {
        if (pe) {
            await cli("destroy", "--yes", "--skip-preview");
            try {
                dtsCli("engine", "stop");
            } catch {
                /* not running */
            }
        }
        if (maria) await destroyMariaDb(maria);
        const admin = await pgAdmin();
        await admin.query(`DROP DATABASE IF EXISTS ${dbA} WITH (FORCE)`);
        await admin.query(`DROP DATABASE IF EXISTS ${dbB} WITH (FORCE)`);
        await admin.end();
        rmSync(dir, { recursive: true, force: true });
        if (pe) rmSync(pe.home, { recursive: true, force: true });
    });

    it("pulumi preview shows the task to create", async () => {
        const r = await cli("preview");
        expect(r.code, out(r)).toBe(0);
        expect(out(r)).toMatch(/\+\s+pulumi-nodejs:dynamic\/pulumi-dts:MigrationTask shop create/);
    });

    it("pulumi up prechecks, migrates schema and data, shows progress, and reports the stream running", async () => {
        // Throttled to ~7 s so pulumi up prints the engine's progress lines while it waits.
        await cli("config", "set", "maxRowsPerSecond", "150");
        const r = await cli("up", "--yes", "--skip-preview");
        expect(r.code, out(r)).toBe(0);
        expect(out(r)).toMatch(/\[pulumi-dts dts-[0-9a-f]+\] migrating-full: 0\/1 tables, [\d,]+ rows/);
        await cli("config", "rm", "maxRowsPerSecond");
        const outs = JSON.parse((await cli("stack", "output", "--json")).stdout);
        // The example follows the source's binlog after the full load (incremental is its default).
        expect(outs.status).toBe("running");
        expect(outs.rowsCopied).toBe(1000);
        expect(outs.snapshotPosition).toMatch(/^mysql-bin\.\d+:\d+/);
        expect(await count(dbA, "orders")).toBe(1000);
        // Passwords reach the task through its connections: secret in state, absent from the engine's logs.
        const exported = (await cli("stack", "export")).stdout;
        expect(exported).not.toContain(maria.password);
        expect(exported).not.toContain(pg.password);
        const status = dtsCli("status");
        expect(status).toMatch(/running/);
        expect(status).toMatch(/shop\.orders\s+-> shop\.orders\s+done\s+\[#{20}\] 100% 1,000 rows/);
    });

    it("a precheck failure fails pulumi up with the failed items; fixing it and running up again migrates the added table", async () => {
        const c = await pgAdmin(dbA);
        await c.query("CREATE TABLE shop.customers (x int)");
        await cli("config", "set", "--path", "tables[1]", "customers");
        const preview = await cli("preview");
        expect(out(preview)).toMatch(/~\s+pulumi-nodejs:dynamic\/pulumi-dts:MigrationTask shop update/);
        // The field table's verdict, printed by diff: what the update will do to the running task.
        expect(out(preview)).toMatch(/\[pulumi-dts\] objects\[0\]\.tables: restarts the task: /);
        const failed = await cli("up", "--yes", "--skip-preview");
        expect(failed.code).not.toBe(0);
        expect(out(failed)).toContain("[failed] No conflicting destination tables (shop.customers)");
        expect(out(failed)).toContain("renameTo");
        await c.query("DROP TABLE shop.customers");
        await c.end();
        const ok = await cli("up", "--yes", "--skip-preview");
        expect(ok.code, out(ok)).toBe(0);
        expect(await count(dbA, "customers")).toBe(50);
        expect(await count(dbA, "orders")).toBe(1000); // not copied twice
    });

    it("changing the destination replaces the task: preview says what happens to the data, up migrates into the new destination and releases the old task", async () => {
        const before = dtsCli("status");
        await cli("config", "set", "destinationDatabase", dbB);
        const r = await cli("preview");
        expect(r.code, out(r)).toBe(0);
        expect(out(r)).toMatch(/\+-\s*pulumi-nodejs:dynamic\/pulumi-dts:MigrationTask shop replace \[diff: ~destination\]/);
        expect(out(r)).toMatch(/\[pulumi-dts\] destination.*: replaces the task: .*keeps its data/);
        const up = await cli("up", "--yes", "--skip-preview");
        expect(up.code, out(up)).toBe(0);
        expect(await count(dbB, "orders")).toBe(1000);
        expect(await count(dbB, "customers")).toBe(50);
        expect(await count(dbA, "orders")).toBe(1000); // the old destination keeps its data
        const after = dtsCli("status");
        expect(after).toMatch(/1 task\(s\)/);
        const oldId = /(dts-[0-9a-f]{12})/.exec(before)?.[1];
        expect(oldId).toBeDefined();
        expect(after).not.toContain(oldId!);
    });

    it("pulumi destroy releases the task and keeps the destination data", async () => {
        const r = await cli("destroy", "--yes", "--skip-preview");
        expect(r.code, out(r)).toBe(0);
        expect(dtsCli("status")).toMatch(/0 task\(s\)/);
        expect(await count(dbA, "orders")).toBe(1000);
    });
});
