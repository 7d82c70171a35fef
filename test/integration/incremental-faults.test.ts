/**
 * Crash safety of incremental migration, with the real engine process and servers of this
 * test's own (so they can be restarted): while a write load runs on the source, the engine
 * is killed with SIGKILL several times, its binlog connection is killed on the source, the
 * binary log is rotated, and the source and destination servers are restarted. Then the
 * load stops and, once the stream has caught up, every table is compared with the source
 * row by row. A stream whose position has been purged fails, saying what to do.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as mysql from "mysql2/promise";
import { taskArgsSchema, type TaskArgsInput } from "../../sdk/schema/task";
import { callEngine, pingEngine } from "../../provider/engine/control/client";
import { engineHome } from "../../provider/engine/home";
import type { TaskStatus } from "../../provider/engine/status";
import type { EngineTaskSpec } from "../../provider/engine/task-store";
import { compareDatabase, formatMismatch } from "../harness/compare";
import { mariaConnection, postgresConnection } from "../harness/engine-run";
import { destroyMariaDb, type MariaDbInfo, restartMariaDb, startMariaDb } from "../harness/mariadb";
import { destroyPostgres, type PostgresInfo, restartPostgres, startPostgres } from "../harness/postgres";
import { createSource, writeLoad } from "../harness/write-load";

const db = "faults";

function spec(src: MariaDbInfo, dst: PostgresInfo, taskId: string, extra: Partial<TaskArgsInput> = {}): EngineTaskSpec {
    return {
        taskId,
        task: taskArgsSchema.parse({
            source: { connectionId: "src", engine: "mariadb" }, destination: { connectionId: "dst", engine: "postgresql" },
            migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db }],
            // Short windows: a restarted server is back within seconds.
            retry: { connectionMinutes: 10, otherMinutes: 2 },
            ...extra,
        }),
        source: mariaConnection(src),
        destination: postgresConnection(dst),
    };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("incremental migration survives kills, restarts and rotation", () => {
    let src: MariaDbInfo;
    let dst: PostgresInfo;
    let homeDir: string;
    let home: ReturnType<typeof engineHome>;

    beforeAll(async () => {
        [src, dst] = await Promise.all([startMariaDb({ serverId: 7 }), startPostgres()]);
        homeDir = mkdtempSync(join(tmpdir(), "dts-faults-"));
        home = engineHome(join(homeDir, "home"));
    });

    afterAll(async () => {
        await callEngine({ method: "shutdown" }, { home, autostart: false }).catch(() => undefined);
        await Promise.all([src && destroyMariaDb(src), dst && destroyPostgres(dst)]);
        rmSync(homeDir, { recursive: true, force: true });
    });

    async function status(taskId: string): Promise<TaskStatus> {
        return callEngine<TaskStatus>({ method: "get", taskId }, { home });
    }

    async function until(taskId: string, ok: (s: TaskStatus) => boolean, timeoutMs = 120_000): Promise<TaskStatus> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const s = await status(taskId).catch(() => undefined);
            if (s && ok(s)) return s;
            if (s?.phase === "failed" || s?.phase === "precheck-failed") throw new Error(`task ${s.phase}: ${s.error ?? JSON.stringify(s.precheck)}`);
            if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(s?.incremental ?? s?.phase)}`);
            await sleep(200);
        }
    }

    async function killEngine(): Promise<void> {
        const { pid } = await callEngine<{ pid: number }>({ method: "ping" }, { home });
        process.kill(pid, "SIGKILL");
        await sleep(300);
    }

    async function admin(): Promise<mysql.Connection> {
        return mysql.createConnection({ host: src.host, port: src.port, user: src.user, password: src.password });
    }

    it("kill -9, KILL of the binlog connection, FLUSH BINARY LOGS, source and destination restarts: nothing lost, nothing twice", async () => {
        await createSource(src, db);
        const load = writeLoad(src, db);
        try {
            await sleep(300);
            await callEngine({ method: "submit", taskId: "f1", spec: spec(src, dst, "f1") }, { home });
            await until("f1", (s) => s.phase === "running" && (s.incremental?.changesApplied ?? 0) > 0);

            await killEngine();
            await until("f1", (s) => s.phase === "running" && (s.incremental?.changesApplied ?? 0) > 0);

            const c = await admin();
            await c.query("FLUSH BINARY LOGS");
            // The restarted engine's stream reconnects on its own schedule: wait for its dump thread.
            let procs: mysql.RowDataPacket[] = [];
            for (let i = 0; i < 300 && procs.length === 0; i++) {
                [procs] = await c.query<mysql.RowDataPacket[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
                if (procs.length === 0) await sleep(100);
            }
            expect(procs.length).toBeGreaterThan(0);
            for (const p of procs) await c.query(`KILL ${Number(p.ID)}`);
            await c.query("FLUSH BINARY LOGS");
            await c.end();
            await sleep(1500);

            await killEngine();
            await sleep(500);
            await restartPostgres(dst);
            await until("f1", (s) => s.phase === "running", 60_000);
            await sleep(1000);
            await restartMariaDb(src);
            await sleep(1000);
            const c2 = await admin();
            await c2.query("FLUSH BINARY LOGS");
            await c2.end();
            await killEngine();
            await sleep(1500);
            // And at random moments: wherever a kill lands (mid-batch, mid-DDL-free commit, mid-reconnect), nothing is lost or doubled.
            for (let i = 0; i < 4; i++) {
                await until("f1", (x) => x.phase === "running", 60_000);
                await sleep(200 + Math.floor(Math.random() * 1500));
                await killEngine();
            }

            const transactions = await load.stop();
            expect(transactions).toBeGreaterThan(100);
            const [m] = await (await admin()).query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
            const s = await until("f1", (x) => x.phase === "running" && x.incremental?.caughtUp === true, 120_000);
            expect(s.incremental!.position!.file).toBe(String(m[0].File));
            // The metrics file a scraper reads, rewritten every second. Heartbeats keep arriving and
            // binlog times have second resolution, so one read may catch a heartbeat in flight
            // (latency up to 2 s): wait for a rewrite that shows the stream at rest.
            let metrics = "";
            for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(250)) {
                metrics = readFileSync(join(home.dir, "metrics.prom"), "utf8");
                if (metrics.includes('pulumi_dts_latency_seconds{task="f1",phase="running"} 0\n')) break;
            }
            expect(metrics).toContain('pulumi_dts_latency_seconds{task="f1",phase="running"} 0');
            expect(metrics).toMatch(/pulumi_dts_changes_applied_total\{task="f1",phase="running"\} [1-9]\d*/);
            const results = await compareDatabase(src, db, { kind: "postgres", conn: dst, schema: db });
            expect(results.flatMap((r) => r.mismatches).slice(0, 10).map(formatMismatch)).toEqual([]);
            expect(results.map((r) => r.destinationRows)).toEqual(results.map((r) => r.sourceRows));
        } finally {
            await load.stop();
        }
        await callEngine({ method: "release", taskId: "f1" }, { home });
    }, 300_000);

    it("a purged start position fails the task, saying a new full migration is needed", async () => {
        await createSource(src, "purged", 10);
        await callEngine({ method: "submit", taskId: "p1", spec: spec(src, dst, "p1", { migrationTypes: ["schema", "incremental"], objects: [{ database: "purged", tables: [{ name: "codes" }] }] }) }, { home });
        await until("p1", (s) => s.phase === "running" && s.incremental?.caughtUp === true);
        await callEngine({ method: "shutdown" }, { home, autostart: false });
        while (await pingEngine(home)) await sleep(100);
        const c = await admin();
        // The server keeps a log a dump thread still reads: wait until the stopped engine's thread is gone.
        for (;;) {
            const [dumps] = await c.query<mysql.RowDataPacket[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
            if (dumps.length === 0) break;
            await sleep(100);
        }
        await c.query("UPDATE purged.codes SET n = n + 1");
        await c.query("FLUSH BINARY LOGS");
        const [m] = await c.query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
        // MariaDB keeps a log until its binlog checkpoint has moved on (asynchronously after a rotation).
        let logs: mysql.RowDataPacket[] = [];
        for (let i = 0; i < 100; i++) {
            await c.query(`PURGE BINARY LOGS TO '${String(m[0].File)}'`);
            [logs] = await c.query<mysql.RowDataPacket[]>("SHOW BINARY LOGS");
            if (logs.length === 1) break;
            await sleep(100);
        }
        expect(logs.map((l) => String(l.Log_name))).toEqual([String(m[0].File)]);
        await c.end();
        // The next call starts the engine, which resumes the task from the purged position.
        const failed = await (async () => {
            const deadline = Date.now() + 60_000;
            for (;;) {
                const s = await status("p1");
                if (s.phase === "failed" || Date.now() > deadline) return s;
                await sleep(200);
            }
        })();
        expect(failed.phase, await callEngine<string>({ method: "logs", taskId: "p1", lines: 40 }, { home }).then((l) => JSON.stringify(l))).toBe("failed");
        expect(failed.error).toContain("no longer has the binary log");
        expect(failed.error).toContain("new full migration");
    }, 120_000);
});
