/**
 * MySQL → MaxCompute under kills (issue 11, "what I will check"): the real engine process
 * migrates the write-load tables (a primary key, a unique key only, an auto-increment log)
 * into the local MaxCompute server, in this process, and is killed with SIGKILL during the
 * full load and twice during the stream while a write load runs. Once the stream has caught
 * up, the merge of each `_base` and `_log` equals the source, row by row on the compared
 * columns, and no `_log` entry is there twice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { connectionArgsSchema } from "../../sdk/schema/connection";
import { taskArgsSchema } from "../../sdk/schema/task";
import { callEngine } from "../../provider/engine/control/client";
import { engineHome } from "../../provider/engine/home";
import { comparePositions } from "../../provider/engine/model";
import type { TaskStatus } from "../../provider/engine/status";
import type { EngineTaskSpec } from "../../provider/engine/task-store";
import { mergeRows } from "../../provider/connectors/maxcompute/merge";
import { mariaConnection } from "../harness/engine-run";
import { type MaxComputeServer, startMaxComputeServer } from "../harness/maxcompute-server";
import { until } from "../harness/until";
import { createSource, writeLoad } from "../harness/write-load";

const maria = inject("mariadb");
const db = `mc_faults_${process.pid}`;
const key = { id: "mc-faults-ak", secret: "mc-faults-Secret-5" };
const ROWS = 40_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("MySQL → MaxCompute survives kill -9 during the load and the stream", () => {
    let mc: MaxComputeServer;
    let homeDir: string;
    let home: ReturnType<typeof engineHome>;
    beforeAll(async () => {
        mc = await startMaxComputeServer({ project: "dts_faults", accessKeys: [key] });
        homeDir = mkdtempSync(join(tmpdir(), "dts-mc-faults-"));
        home = engineHome(join(homeDir, "home"));
        await createSource(maria, db, ROWS);
    }, 120_000);
    afterAll(async () => {
        const ping = await callEngine<{ pid: number; supervisor?: number }>({ method: "ping" }, { home, autostart: false }).catch(() => undefined);
        await callEngine({ method: "shutdown" }, { home, autostart: false }).catch(() => undefined);
        // The engine stops its tasks after answering: wait for it (and its supervisor) to exit before removing the home.
        const alive = (pid?: number) => { try { return pid !== undefined && process.kill(pid, 0); } catch { return false; } };
        for (let i = 0; i < 100 && (alive(ping?.pid) || alive(ping?.supervisor)); i++) await sleep(100);
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });
        await c.query(`DROP DATABASE IF EXISTS ${db}`);
        await c.end();
        await mc?.close();
        rmSync(homeDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    });

    const status = (taskId: string) => callEngine<TaskStatus>({ method: "get", taskId }, { home });
    const waitFor = (what: string, ok: (s: TaskStatus) => boolean, timeoutMs = 120_000) => until(what, async () => {
        const s = await status("mcf");
        if (s.phase === "failed" || s.phase === "precheck-failed") throw new Error(`task ${s.phase}: ${s.error ?? JSON.stringify(s.precheck)}`);
        return ok(s) ? s : undefined;
    }, { timeoutMs, tolerateErrors: false });
    const kill = async () => {
        const { pid } = await callEngine<{ pid: number }>({ method: "ping" }, { home });
        process.kill(pid, "SIGKILL");
        await sleep(300);
    };

    it("the merge of _base and _log equals the source, and no _log entry is there twice", async () => {
        const spec: EngineTaskSpec = {
            taskId: "mcf",
            task: taskArgsSchema.parse({
                migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db }], heartbeat: { enabled: false },
                throttle: { full: { rps: 8_000 } }, maxcompute: { incrementalPartitions: ["modifytime_day"] },
                source: { connectionId: "src", engine: "mariadb" }, destination: { connectionId: "dst", engine: "maxcompute" },
            }),
            source: mariaConnection(maria),
            destination: { ...connectionArgsSchema.parse({ engine: "maxcompute", endpoint: mc.endpoint, project: "dts_faults", accessKeyId: key.id, accessKeySecret: key.secret }), connectionId: "dst" },
        } as EngineTaskSpec;
        await callEngine({ method: "submit", taskId: "mcf", spec }, { home });
        // Killed mid-load (throttled to 8,000 rows/s): a chunk is in flight.
        await waitFor("the load under way", (s) => s.phase === "migrating-full" && s.rowsCopied >= 4_000, 120_000);
        await kill();
        await waitFor("the stream running", (s) => s.phase === "running", 180_000);
        // The chunk in flight at the kill was redone: from its recorded upload session if that was committed, else afresh.
        const log = await callEngine<string[]>({ method: "logs", taskId: "mcf", lines: 1000 }, { home });
        expect(log.join("\n")).toMatch(/redo: started before a stop/);
        const load = writeLoad(maria, db, ROWS);
        try {
            for (let i = 0; i < 2; i++) {
                await sleep(700 + Math.floor(Math.random() * 1200));
                await kill();
                await waitFor("the stream running again", (s) => s.phase === "running", 60_000);
            }
            await sleep(1000);
        } finally {
            expect(await load.stop()).toBeGreaterThan(10);
        }
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, database: db });
        try {
            const [[m]] = await c.query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
            const end = { file: String(m.File), position: Number(m.Position) };
            await waitFor("caught up", (s) => s.incremental?.position !== undefined && comparePositions(s.incremental.position, end) >= 0, 120_000);
            await sleep(1500);
            const lc = (partitions: { unit: "day"; name: string }[]) => ({
                recordId: "new_dts_sync_record_id", operationFlag: "new_dts_sync_operation_flag", utcTimestamp: "new_dts_sync_utc_timestamp",
                beforeFlag: "new_dts_sync_before_flag", afterFlag: "new_dts_sync_after_flag", partitions,
            });
            const check = async (table: string, k: string, columns: string[], sql: string) => {
                const base = mc.tables.get(`${table}_base`)!;
                const log = mc.tables.get(`${table}_log`)!;
                const logSchema = log.columns.map((x) => x.name);
                const logRowsAll = mc.rows(`${table}_log`);
                const rid = logSchema.indexOf("new_dts_sync_record_id");
                const bf = logSchema.indexOf("new_dts_sync_before_flag");
                const entries = logRowsAll.map((r) => `${r[rid]}/${r[bf]}`);
                expect(new Set(entries).size, `${table}_log: an entry twice`).toBe(entries.length);
                const merged = mergeRows(mc.rows(`${table}_base`), logRowsAll, { key: [k], columns: base.columns.map((x) => x.name), logColumns: lc([{ unit: "day", name: "new_dts_sync_modifytime_day" }]), logSchema });
                const at = (n: string) => base.columns.findIndex((x) => x.name === n);
                const got = merged.map((r) => columns.map((n) => (r[at(n)] === null ? null : String(r[at(n)])))).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
                const [rows] = await c.query<mysql.RowDataPacket[]>(sql);
                const want = rows.map((r) => columns.map((n) => (r[n] === null ? null : String(r[n])))).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
                expect(got.length, `${table}: rows`).toBe(want.length);
                expect(got, table).toEqual(want);
            };
            await check("accounts", "id", ["id", "owner", "balance", "flags"], "SELECT CAST(id AS CHAR) AS id, owner, CAST(balance AS CHAR) AS balance, flags FROM accounts");
            await check("codes", "code", ["code", "n"], "SELECT code, CAST(n AS CHAR) AS n FROM codes");
            await check("events", "id", ["id", "account", "what"], "SELECT CAST(id AS CHAR) AS id, CAST(account AS CHAR) AS account, what FROM events");
        } finally {
            await c.end();
        }
    }, 420_000);
});
