/**
 * Incremental migration end to end, through the real Pulumi CLI running
 * examples/mysql-to-postgres (schema + full + incremental, waitFor "caught-up") against the
 * harness's MariaDB and PostgreSQL: up returns once caught up, later source writes arrive,
 * a throttle change updates the running task in place without copying again, refresh reads
 * the live stream, and destroy stops it (no task, no binlog dump connection, no more rows).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import type { RowDataPacket } from "mysql2/promise";
import { Client } from "pg";
import type { IncrementalOutput } from "../../sdk/task";
import { type PulumiEnv, pulumi, pulumiBin, pulumiEnv, repoRoot, writeProject } from "../harness/pulumi-cli";

const maria = inject("mariadb");
const pg = inject("postgres");

const TASK_TYPE = "pulumi-nodejs:dynamic/pulumi-dts:MigrationTask";
const INITIAL = 500;

type IncrementalOut = IncrementalOutput;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch (err) {
            last = err;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
        await new Promise((r) => setTimeout(r, 500));
    }
}

describe("incremental migration through the real Pulumi CLI (examples/mysql-to-postgres)", () => {
    let pe: PulumiEnv | undefined;
    let destroyed = false;
    const dir = join(repoRoot, ".pulumi-test", `incremental-${process.pid}`);
    // Our own source database and account in the shared MariaDB (the account also tells our
    // binlog dump connection apart from other tests'), our own destination database.
    const db = `inc_e2e_${process.pid}`;
    const pgDb = `e2e_inc_${process.pid}`;
    const srcUser = `dts_inc_${process.pid}`;
    const srcPassword = `inc-Secret-${process.pid}`;

    const cli = (...args: string[]) => pulumi(args, { cwd: dir, env: pe!.env });
    const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
    const dtsCli = (...args: string[]) =>
        execFileSync(process.execPath, [join(repoRoot, "dist", "provider", "cli", "main.js"), ...args], { env: pe!.env }).toString();
    const outputs = async () => {
        const r = await cli("stack", "output", "--json");
        expect(r.code, out(r)).toBe(0);
        return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    /** The MigrationTask's outputs as recorded in the stack's state (what refresh rewrites). */
    const taskState = async () => {
        const r = await cli("stack", "export");
        expect(r.code, out(r)).toBe(0);
        const res = (JSON.parse(r.stdout).deployment.resources as { type: string; id: string; outputs: Record<string, unknown> }[])
            .find((x) => x.type === TASK_TYPE);
        expect(res, "MigrationTask in state").toBeDefined();
        return res!;
    };

    const source = (database?: string) =>
        mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true, database });
    const onSource = async (sql: string, params: unknown[] = []) => {
        const c = await source(db);
        try {
            return (await c.query<RowDataPacket[]>(sql, params))[0];
        } finally {
            await c.end();
        }
    };
    const onDestination = async <R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> => {
        const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pgDb });
        await c.connect();
        try {
            return (await c.query(sql, params)).rows as R[];
        } finally {
            await c.end();
        }
    };
    const destinationIds = async (from: number, to: number) =>
        (await onDestination<{ id: number }>(`SELECT id FROM ${db}.orders WHERE id BETWEEN $1 AND $2 ORDER BY id`, [from, to])).map((r) => Number(r.id));
    const destinationCount = async () => Number((await onDestination<{ n: string }>(`SELECT count(*) AS n FROM ${db}.orders`))[0].n);
    /** Binlog dump threads of our account on the source. */
    const dumpThreads = async () => {
        const c = await source();
        try {
            const [rows] = await c.query<RowDataPacket[]>(
                "SELECT ID, USER, COMMAND, STATE FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%'", [srcUser]);
            return rows;
        } finally {
            await c.end();
        }
    };
    const taskLog = (taskId: string) => dtsCli("logs", taskId, "100000");

    beforeAll(async () => {
        const c = await source();
        await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2) NOT NULL, note VARCHAR(40), placed DATETIME(3));
            INSERT INTO orders SELECT seq, seq * 1.25, CONCAT('order ', seq), '2024-05-01 10:00:00.123' FROM seq_1_to_${INITIAL};`);
        // What DTS documents for schema + full + incremental: read the data, read the binlog.
        await c.query(`DROP USER IF EXISTS '${srcUser}'@'%'`);
        await c.query(`CREATE USER '${srcUser}'@'%' IDENTIFIED BY '${srcPassword}'`);
        await c.query(`GRANT SELECT, SHOW VIEW, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '${srcUser}'@'%'`);
        await c.end();
        const admin = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${pgDb}`);
        await admin.end();

        pe = pulumiEnv(pulumiBin());
        writeProject(dir, "dts-e2e-incremental", readFileSync(join(repoRoot, "examples", "mysql-to-postgres", "index.ts"), "utf8"));
        expect((await cli("stack", "init", "e2e")).code).toBe(0);
        const config: [string, string][] = [
            ["sourcePort", String(maria.port)], ["sourceUser", srcUser], ["database", db],
            ["destinationPort", String(pg.port)], ["destinationUser", pg.user], ["destinationDatabase", pgDb],
        ];
        for (const [k, v] of config) expect((await cli("config", "set", k, v)).code).toBe(0);
        expect((await cli("config", "set", "--secret", "sourcePassword", srcPassword)).code).toBe(0);
        expect((await cli("config", "set", "--secret", "destinationPassword", pg.password)).code).toBe(0);
    });

    afterAll(async () => {
        if (pe) {
            if (!destroyed) await cli("destroy", "--yes", "--skip-preview");
            try {
                dtsCli("engine", "stop");
            } catch {
                /* not running */
            }
        }
        const c = await source();
        await c.query(`DROP DATABASE IF EXISTS ${db}; DROP USER IF EXISTS '${srcUser}'@'%'`);
        await c.end();
        const admin = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`);
        await admin.end();
        rmSync(dir, { recursive: true, force: true });
        if (pe) rmSync(pe.home, { recursive: true, force: true });
    });

    it("pulumi up with schema, full and incremental returns once caught up, with status running", async () => {
        const preview = await cli("preview");
        expect(preview.code, out(preview)).toBe(0);
        expect(out(preview)).toMatch(new RegExp(`\\+\\s+${TASK_TYPE} shop create`));

        const r = await cli("up", "--yes", "--skip-preview");
        expect(r.code, out(r)).toBe(0);
        const o = await outputs();
        const inc = o.incremental as IncrementalOut;
        console.log(`after up: status=${o.status} latencySeconds=${o.latencySeconds} incremental=${JSON.stringify(inc)}`);
        expect(o.status).toBe("running");
        expect(o.rowsCopied).toBe(INITIAL);
        expect(typeof o.latencySeconds).toBe("number");
        expect(inc).toMatchObject({ caughtUp: true, skippedStatements: [] });
        expect(inc.position).toMatch(/^mysql-bin\.\d+:\d+/);
        expect(await destinationCount()).toBe(INITIAL);
        expect(dtsCli("status")).toMatch(/running/);
        // The stream reads the binlog as our account.
        await until("our binlog dump connection on the source", async () => ((await dumpThreads()).length > 0 ? true : undefined), 30_000);
    }, 600_000);

    it("rows written on the source afterwards appear at the destination", async () => {
        await onSource(`INSERT INTO orders SELECT seq, seq * 2, CONCAT('late ', seq), NOW(3) FROM seq_1001_to_1020`);
        await onSource("UPDATE orders SET note = 'changed', total = 99.99 WHERE id = 1");
        await onSource("DELETE FROM orders WHERE id = 2");
        await until("the new rows at the destination", async () => ((await destinationIds(1001, 1020)).length === 20 ? true : undefined));
        await until("the update and the delete at the destination", async () => {
            const rows = await onDestination<{ id: number; note: string; total: string }>(`SELECT id, note, total FROM ${db}.orders WHERE id IN (1, 2) ORDER BY id`);
            return rows.length === 1 && rows[0].note === "changed" && rows[0].total === "99.99" ? true : undefined;
        });
        expect(await destinationCount()).toBe(INITIAL + 20 - 1);
    }, 120_000);

    it("a changed incremental throttle updates the task in place, without copying the data again", async () => {
        const before = await outputs();
        const { id: taskId } = await taskState();
        const logBefore = taskLog(taskId);
        const copiesBefore = (logBefore.match(/ copy \S+ chunk /g) ?? []).length;
        expect(copiesBefore).toBeGreaterThan(0);
        // A row removed at the destination only: a new full load would bring it back.
        await onDestination(`DELETE FROM ${db}.orders WHERE id = 3`);

        expect((await cli("config", "set", "incrementalRowsPerSecond", "200")).code).toBe(0);
        const preview = await cli("preview");
        expect(preview.code, out(preview)).toBe(0);
        expect(out(preview)).toMatch(new RegExp(`~\\s+${TASK_TYPE} shop update \\[diff: ~throttle\\]`));
        expect(out(preview)).not.toMatch(/replace/);
        const r = await cli("up", "--yes", "--skip-preview");
        expect(r.code, out(r)).toBe(0);
        expect(out(r)).toMatch(new RegExp(`~\\s+${TASK_TYPE} shop updat`));
        expect(out(r)).not.toMatch(/replac/);

        const after = await outputs();
        const state = await taskState();
        expect(state.id).toBe(taskId); // the same task, not a new one
        expect((state.outputs.throttle as { incremental?: { rps?: number } }).incremental?.rps).toBe(200);
        // The running task took the new rate (the engine keeps the task's spec in its home).
        const spec = JSON.parse(readFileSync(join(pe!.env.PULUMI_DTS_HOME!, "tasks", taskId, "spec.json"), "utf8"));
        expect(spec.task.throttle.incremental).toEqual({ rps: 200 });
        expect(after.status).toBe("running");
        expect(after.rowsCopied).toBe(before.rowsCopied);
        expect(after.tablesMigrated).toEqual(before.tablesMigrated);
        expect(after.snapshotPosition).toBe(before.snapshotPosition);
        const logAfter = taskLog(taskId);
        expect((logAfter.match(/ copy \S+ chunk /g) ?? []).length).toBe(copiesBefore);
        expect(logAfter.slice(logBefore.length)).not.toMatch(/phase (prechecking|migrating-schema|migrating-full)/);
        expect(dtsCli("status", taskId)).toMatch(new RegExp(`${db}\\.orders\\s+-> ${db}\\.orders\\s+done\\s+\\[#{20}\\] 100% ${INITIAL} rows`));
        expect(await destinationIds(3, 3)).toEqual([]);
        // The stream goes on under the new rate.
        await onSource(`INSERT INTO orders SELECT seq, seq, 'throttled', NOW(3) FROM seq_1021_to_1030`);
        await until("rows written after the update", async () => ((await destinationIds(1021, 1030)).length === 10 ? true : undefined));
        expect(await destinationIds(3, 3)).toEqual([]);
    }, 600_000);

    it("pulumi refresh reads the live stream: status running and a latency", async () => {
        const applied = ((await taskState()).outputs.incremental as IncrementalOut).changesApplied;
        await onSource(`INSERT INTO orders SELECT seq, seq, 'before refresh', NOW(3) FROM seq_1031_to_1040`);
        await until("rows written before the refresh", async () => ((await destinationIds(1031, 1040)).length === 10 ? true : undefined));

        const r = await cli("refresh", "--yes", "--skip-preview");
        expect(r.code, out(r)).toBe(0);
        const state = (await taskState()).outputs;
        const inc = state.incremental as IncrementalOut;
        console.log(`after refresh (state): status=${state.status} latencySeconds=${state.latencySeconds} incremental=${JSON.stringify(inc)}`);
        expect(state.status).toBe("running");
        expect(typeof state.latencySeconds).toBe("number");
        expect(inc.changesApplied).toBeGreaterThanOrEqual(applied + 10);
        const o = await outputs();
        console.log(`after refresh (stack outputs): status=${o.status} latencySeconds=${o.latencySeconds}`);
        expect(o.status).toBe("running");
        expect(typeof o.latencySeconds).toBe("number");
    }, 300_000);

    it("a task that fails in the engine fails pulumi up with its error, and refresh and preview show it", async () => {
        // A session logging DML as a statement: its rows are not in the binlog, so the stream must stop.
        const c = await source(db);
        await c.query("SET SESSION binlog_format = 'STATEMENT'; UPDATE orders SET note = 'logged as a statement' WHERE id = 5");
        await c.end();
        const { id: taskId } = await taskState();
        await until("the task to fail", async () => (/failed/.test(dtsCli("status", taskId)) ? true : undefined), 60_000);

        const refreshed = await cli("refresh", "--yes", "--skip-preview");
        expect(refreshed.code, out(refreshed)).toBe(0);
        expect(out(refreshed)).toMatch(new RegExp(`\\[pulumi-dts\\] ${taskId} is failed: .*as a statement`));
        expect((await taskState()).outputs.status).toBe("failed");

        const preview = await cli("preview");
        expect(out(preview)).toMatch(new RegExp(`\\[pulumi-dts\\] ${taskId} has failed in the engine`));
        expect(out(preview)).toMatch(new RegExp(`~\\s+${TASK_TYPE} shop update`));
        // up resumes the task; the cause is still in the binlog, so it fails again, and so does up.
        const up = await cli("up", "--yes", "--skip-preview");
        expect(up.code, out(up)).not.toBe(0);
        expect(out(up)).toMatch(/logged a change to .*orders as a statement/);
    }, 300_000);

    it("turning incremental off updates the task in place: preview says so, up stops the stream and completes the task, keeping its data", async () => {
        const { id: before } = await taskState();
        const count = await destinationCount();
        expect((await cli("config", "set", "incremental", "false")).code).toBe(0);
        const r = await cli("preview");
        expect(r.code, out(r)).toBe(0);
        expect(out(r)).toMatch(new RegExp(`~\\s*${TASK_TYPE} shop update`));
        expect(out(r)).toMatch(/\[pulumi-dts\] migrationTypes: restarts the task: the task keeps its tables and progress/);
        // The task failed in the test before: without the stream, what made it fail no longer matters.
        const up = await cli("up", "--yes", "--skip-preview");
        expect(up.code, out(up)).toBe(0);
        const state = await taskState();
        expect(state.id).toBe(before);
        expect(state.outputs.status).toBe("completed");
        expect(await destinationCount()).toBe(count);
        await until("no binlog dump connection of ours once the stream is released", async () => ((await dumpThreads()).length === 0 ? true : undefined), 15_000);
    }, 300_000);

    it("pulumi destroy releases the (failed) task: no task, no binlog dump connection, no more rows", async () => {
        // The task failed in the test before (its stream is gone); releasing a failed task must work as well.
        const { id: taskId } = await taskState();
        const r = await cli("destroy", "--yes", "--skip-preview");
        expect(r.code, out(r)).toBe(0);
        destroyed = true;

        expect(dtsCli("status")).toMatch(/0 task\(s\)/);
        const tasksDir = join(pe!.env.PULUMI_DTS_HOME!, "tasks");
        expect(existsSync(tasksDir) ? readdirSync(tasksDir) : []).not.toContain(taskId);
        await until("no binlog dump connection of ours on the source", async () => ((await dumpThreads()).length === 0 ? true : undefined), 15_000)
            .catch(async (err) => {
                throw new Error(`${(err as Error).message}; left: ${JSON.stringify(await dumpThreads())}`);
            });

        const c = await source();
        const [left] = await c.query<RowDataPacket[]>("SELECT ID, COMMAND, STATE, INFO FROM information_schema.PROCESSLIST WHERE USER = ?", [srcUser]);
        await c.end();
        expect(left, "connections of the task's source account after destroy").toEqual([]);

        const count = await destinationCount();
        await onSource(`INSERT INTO orders SELECT seq, seq, 'after destroy', NOW(3) FROM seq_2001_to_2010`);
        await onSource("UPDATE orders SET note = 'after destroy' WHERE id = 4");
        await new Promise((res) => setTimeout(res, 5000));
        expect(await destinationIds(2001, 2010)).toEqual([]);
        expect(await destinationCount()).toBe(count); // the data migrated so far stays
        const row4 = await onDestination<{ note: string }>(`SELECT note FROM ${db}.orders WHERE id = 4`);
        expect(row4[0].note).toBe("order 4");
    }, 300_000);
});
