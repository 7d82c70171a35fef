/**
 * `npm run bench`: full-load throughput of our engine against the usual tools, on the same
 * throw-away servers, with the standard sysbench data set (4 × 250,000 rows; BENCH_TABLES
 * and BENCH_ROWS override for quick runs; BENCH_ONLY=mysql or postgres runs one pair; each run is repeated BENCH_RUNS times, default 3,
 * and the median is reported).
 *
 *   MySQL -> PostgreSQL: our schema+full task   vs  pgloader
 *   MySQL -> MySQL:      our schema+full task   vs  mydumper + myloader (4 threads each)
 *   MySQL -> Tablestore: our schema+full task, with BulkImport and with BatchWriteRow, into the
 *                        local Tablestore server (bench/tablestore.ts: a test fixture run as its
 *                        own process); no peer, so the engine's CPU per 100,000 rows is compared
 *                        with our MySQL -> PostgreSQL run of the same session (issue 9 §6).
 *                        BENCH_ONLY=tablestore runs these, that PostgreSQL run and the Tablestore
 *                        drain; BENCH_TABLESTORE=0 leaves Tablestore out; BENCH_TABLESTORE_SETTINGS
 *                        (JSON) is merged into the task's tablestore settings.
 *
 *   Incremental (bench/incremental.ts): backlog drain of BENCH_CHANGES (default 500,000) row
 *   changes into each destination, and latency p50/p99 at a steady BENCH_RATE (default 5,000)
 *   changes/s for BENCH_STEADY_SECONDS (default 30). BENCH_ONLY=incremental runs only these;
 *   BENCH_ONLY=full only the full loads.
 *
 *   MySQL -> MaxCompute: our schema+full task into the local MaxCompute server (bench/maxcompute.ts, a
 *                        fixture run as its own process); engine CPU per 100,000 rows against our MySQL ->
 *                        PostgreSQL run (issue 11 §5). BENCH_ONLY=maxcompute runs it and that PostgreSQL run;
 *                        BENCH_MAXCOMPUTE=0 leaves it out. (The _log drain is not measured yet.)
 *
 *   Engine service (bench/engine-service.ts): takeover time after kill -9 (3 replicas, 30 tasks,
 *   20 kills) and the control database's load for 300 tasks at rest. BENCH_ONLY=service runs
 *   only these; BENCH_SERVICE=0 leaves them out.
 *
 * Each run starts from an empty destination and is verified afterwards (row counts and
 * column sums per table); a wrong result fails the benchmark. Times are reported, never
 * asserted: the exit code is 0 when every run worked, whether or not the targets are met.
 *
 * Tuning aids: each run's details give the CPU seconds of the tools and of each server;
 * BENCH_VARIANTS="A=1;A=2,B=x" adds runs of ours with that environment, interleaved with
 * the others (for A/B comparisons in one session, whose noise is smaller than between
 * sessions); BENCH_TRACE=FILE appends each run's timeline (bench/run-task.ts);
 * BENCH_NODE_ARGS passes node flags to our runs (e.g. --cpu-prof).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type * as mysql from "mysql2/promise";
import { connectionArgsSchema } from "../sdk/schema/connection";
import { mariaConnection, postgresConnection } from "../test/harness/engine-run";
import { destroyMariaDb, type MariaDbInfo, startMariaDb, stopMariaDb } from "../test/harness/mariadb";
import { incrementalLines, runIncrementalBench } from "./incremental";
import { runServiceBench, type ServiceBenchResult, serviceLines } from "./engine-service";
import { destroyPostgres, type PostgresInfo, startPostgres, stopPostgres } from "../test/harness/postgres";
import {
    compareFingerprints, datasetSize, type DatasetSize, type Fingerprints, mysqlAdmin, mysqlFingerprints, pgAdmin,
    pgFingerprints, prepareDataset, SOURCE_DB, sourceDataBytes, totalRows,
} from "./dataset";
import { childPids, hasGnuTime, machineBusySeconds, type Measured, measure, processCpuSeconds, tail, waitForQuiet } from "./measure";
import { installPeers, PGLOADER_OPTIONS, type Peers, runDumpLoad, runPgloader } from "./peers";
import { CONTENDED_CORES, contended, maxcomputeLines, type RunResult, resultsTable, tablestoreLines, targetLines, targets } from "./report";
import { startTablestoreProcess, tablestoreConnection, tablestoreFingerprints, type TablestoreProcess } from "./tablestore";
import { maxcomputeConnection, maxcomputeFingerprints, startMaxComputeProcess } from "./maxcompute";
import type { RunTaskResult, RunTaskSpec } from "./run-task";

const MARIADB_BENCH_CONFIG = ["innodb_buffer_pool_size=1G", "innodb_log_file_size=1G"];
const repoRoot = resolve(__dirname, "..", "..");
const started = Date.now();
const since = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
const log = (line: string) => console.log(`[${since().padStart(4)}] ${line}`);

interface Ctx {
    src: MariaDbInfo;
    dst: MariaDbInfo;
    pg: PostgresInfo;
    size: DatasetSize;
    expected: Fingerprints;
    rows: number;
    bytes: number;
    /** The local Tablestore server while a Tablestore run has it (its CPU is one of our servers'). */
    ots?: TablestoreProcess;
    /** Another local fixture server's process while a run has it (MaxCompute): one of our servers too. */
    fixturePid?: number;
}

function versionOf(cmd: string, args: string[]): string {
    try {
        return execFileSync(cmd, args, { stdio: "pipe" }).toString().split("\n")[0].trim();
    } catch {
        return "unknown";
    }
}

/* ---------- destinations: created empty before a run, dropped after it ---------- */

async function freshPgDatabase(pg: PostgresInfo, name: string): Promise<void> {
    const c = await pgAdmin(pg);
    try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${name}`);
    } finally {
        await c.end();
    }
}

async function dropPgDatabase(pg: PostgresInfo, name: string): Promise<void> {
    const c = await pgAdmin(pg);
    try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query("CHECKPOINT");
    } finally {
        await c.end();
    }
}

/**
 * Lets the servers finish the previous run's background work before the next run starts:
 * InnoDB flushes every dirty page (max dirty pages 0 until none is left), PostgreSQL
 * checkpoints. Otherwise a run pays for its predecessor's page flushing.
 */
async function settle(ctx: Ctx): Promise<void> {
    for (const m of [ctx.src, ctx.dst]) {
        const c = await mysqlAdmin(m);
        try {
            const [[v]] = await c.query<mysql.RowDataPacket[]>("SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct");
            await c.query("SET GLOBAL innodb_max_dirty_pages_pct = 0");
            // A few pages (statistics, purge) are always being dirtied again: "settled" is under 1 MB dirty.
            for (let i = 0; i < 300; i++) {
                const [[s]] = await c.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
                if (Number(s.Value) <= 64) break;
                await new Promise((r) => setTimeout(r, 100));
            }
            await c.query("SET GLOBAL innodb_max_dirty_pages_pct = ?", [Number(v.pct)]);
        } finally {
            await c.end();
        }
    }
    const p = await pgAdmin(ctx.pg);
    try {
        await p.query("CHECKPOINT");
    } finally {
        await p.end();
    }
}

/* ---------- CPU accounting: how much of the machine was someone else's during a run ---------- */

function serverPids(ctx: Ctx): number[] {
    const read = (f: string) => (existsSync(f) ? Number(readFileSync(f, "utf8").split("\n")[0].trim()) : NaN);
    const pg = read(join(ctx.pg.dir, "data", "postmaster.pid"));
    return [read(join(ctx.src.dir, "mysqld.pid")), read(join(ctx.dst.dir, "mysqld.pid")), pg, ...(Number.isNaN(pg) ? [] : childPids(pg)),
        ...(ctx.ots ? [ctx.ots.pid] : []), ...(ctx.fixturePid !== undefined ? [ctx.fixturePid] : [])]
        .filter((p) => !Number.isNaN(p));
}

/** CPU seconds of one MariaDB server so far (all its threads). */
const mysqldCpu = (m: MariaDbInfo) => processCpuSeconds(Number(readFileSync(join(m.dir, "mysqld.pid"), "utf8").trim()));

const serversCpu = (ctx: Ctx) => serverPids(ctx).reduce((n, p) => n + processCpuSeconds(p), 0);

interface CpuMark {
    machine: number | null;
    servers: number;
}

async function beforeRun(ctx: Ctx): Promise<CpuMark> {
    await settle(ctx);
    const q = await waitForQuiet(120_000);
    if (q.waitedMs >= 1000 || (q.busyCores ?? 0) >= 0.2) {
        log(`machine busy with other work: waited ${(q.waitedMs / 1000).toFixed(0)} s, now ${q.busyCores?.toFixed(2)} cores busy`);
    }
    return { machine: machineBusySeconds(), servers: serversCpu(ctx) };
}

/** Other processes' CPU during the run, in cores: machine busy time less the tool's and our servers'. */
function otherLoad(ctx: Ctx, mark: CpuMark, toolCpu: (number | null)[], wallSeconds: number): number | null {
    const machine = machineBusySeconds();
    if (mark.machine === null || machine === null || toolCpu.some((c) => c === null)) return null;
    const ours = toolCpu.reduce((n: number, c) => n + c!, 0) + (serversCpu(ctx) - mark.servers);
    return Math.max(0, (machine - mark.machine - ours) / wallSeconds);
}

async function dropMysqlDatabase(m: MariaDbInfo, name: string): Promise<void> {
    const c = await mysqlAdmin(m);
    try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
        await c.end();
    }
}

/* ---------- runs ---------- */

function base(ctx: Ctx, tool: string, pair: RunResult["pair"], ours: boolean, primary = true): RunResult {
    return { tool, pair, ours, primary, wallSeconds: NaN, rows: ctx.rows, sourceBytes: ctx.bytes, maxRssKb: null, otherLoadCores: null, problems: [], details: [] };
}

function exitProblem(what: string, m: Measured): string | null {
    if (m.exitCode === 0) return null;
    return `${what} exited with ${m.exitCode ?? m.signal}\n${tail(m.stderr || m.stdout)}`;
}

interface EngineRun {
    m: Measured;
    res?: RunTaskResult;
    /** CPU seconds during the run: all our servers, the source MariaDB, the MySQL destination. */
    serverCpu: number;
    srcCpu: number;
    dstCpu: number;
}

/** Our engine in a child process (dist/bench/run-task.js), so its wall time, peak RSS and CPU are its own. */
async function engineRun(ctx: Ctx, r: RunResult, spec: RunTaskSpec, variant?: Record<string, string>): Promise<EngineRun> {
    const dir = mkdtempSync(join(tmpdir(), "bench-ours-"));
    try {
        const specFile = join(dir, "spec.json");
        writeFileSync(specFile, JSON.stringify(spec));
        const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
        const mark = await beforeRun(ctx);
        const srcMark = mysqldCpu(ctx.src);
        const dstMark = mysqldCpu(ctx.dst);
        const m = await measure(process.execPath, [...nodeArgs, join(__dirname, "run-task.js"), specFile], { cwd: repoRoot, env: { ...process.env, ...variant } });
        r.wallSeconds = m.wallSeconds;
        r.otherLoadCores = otherLoad(ctx, mark, [m.cpuSeconds], m.wallSeconds);
        const serverCpu = serversCpu(ctx) - mark.servers;
        const srcCpu = mysqldCpu(ctx.src) - srcMark;
        const dstCpu = mysqldCpu(ctx.dst) - dstMark;
        const line = m.stdout.split("\n").find((l) => l.startsWith("RESULT "));
        const res = line ? (JSON.parse(line.slice(7)) as RunTaskResult) : undefined;
        r.maxRssKb = m.maxRssKb ?? res?.maxRssKb ?? null;
        r.engineCpuSeconds = res?.taskCpuSeconds ?? null;
        if (!res) r.problems.push(exitProblem("run-task", m) ?? "run-task printed no result");
        else if (res.phase !== "completed" || res.error) r.problems.push(`task ended in phase ${res.phase}${res.error ? `: ${res.error}` : ""}`);
        return { m, res, serverCpu, srcCpu, dstCpu };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** "engine reported N rows in T s inside runTask, C chunks; engine CPU …" */
function engineDetail(run: EngineRun, servers: string): string {
    const { m, res } = run;
    return `engine reported ${res!.rowsCopied} rows in ${res!.taskSeconds.toFixed(2)} s inside runTask, ` +
        `${res!.tables.map((t) => t.chunksTotal).reduce((a, b) => a + b, 0)} chunks; ` +
        `engine CPU ${res!.taskCpuSeconds.toFixed(2)} s inside runTask${m.cpuSeconds === null ? "" : ` (${m.cpuSeconds.toFixed(2)} s whole process)`}, ${servers}`;
}

async function ours(ctx: Ctx, pair: "mysql-to-postgres" | "mysql-to-mysql", variant?: Record<string, string>): Promise<RunResult> {
    const toPg = pair === "mysql-to-postgres";
    const label = variant ? ` [${Object.entries(variant).map(([k, v]) => `${k}=${v}`).join(" ")}]` : "";
    const r = base(ctx, (toPg ? "ours (MySQL->PostgreSQL)" : "ours (MySQL->MySQL)") + label, pair, true, !variant);
    const pgDb = "bench_ours";
    if (toPg) await freshPgDatabase(ctx.pg, pgDb);
    else await dropMysqlDatabase(ctx.dst, SOURCE_DB);
    try {
        const spec: RunTaskSpec = {
            source: mariaConnection(ctx.src),
            destination: toPg
                ? postgresConnection(ctx.pg, pgDb)
                : { ...connectionArgsSchema.parse({ engine: "mariadb", host: ctx.dst.host, port: ctx.dst.port, user: ctx.dst.user, password: ctx.dst.password }), connectionId: "dst" },
            task: { migrationTypes: ["schema", "full"], objects: [{ database: SOURCE_DB }] },
            timeoutMs: 20 * 60_000,
        };
        const run = await engineRun(ctx, r, spec, variant);
        const { serverCpu, srcCpu, dstCpu } = run;
        if (run.res) {
            r.details.push(engineDetail(run, `servers CPU ${serverCpu.toFixed(2)} s (source ${srcCpu.toFixed(2)}, ` +
                `${toPg ? `PostgreSQL ${(serverCpu - srcCpu - dstCpu).toFixed(2)}` : `MySQL destination ${dstCpu.toFixed(2)}`})`));
        }
        if (!r.problems.length) await verify(ctx, r, toPg ? () => pgFingerprints(ctx.pg, pgDb, ctx.size) : () => mysqlFingerprints(ctx.dst, SOURCE_DB, ctx.size));
    } finally {
        if (toPg) await dropPgDatabase(ctx.pg, pgDb);
        else await dropMysqlDatabase(ctx.dst, SOURCE_DB);
    }
    return r;
}

/** BENCH_TABLESTORE_SETTINGS: JSON merged into the Tablestore runs' task.tablestore (tuning aid). */
function tablestoreSettings(): Record<string, unknown> {
    const raw = process.env.BENCH_TABLESTORE_SETTINGS;
    if (!raw) return {};
    const v: unknown = JSON.parse(raw);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("BENCH_TABLESTORE_SETTINGS must be a JSON object");
    return v as Record<string, unknown>;
}

/**
 * Our MySQL -> Tablestore full load into a fresh local Tablestore server (its own process, in
 * memory), stopped after the run. The server's CPU is measured apart from the engine's.
 */
async function oursTablestore(ctx: Ctx, batchMode: "bulk-import" | "batch-write-row", variant?: Record<string, string>): Promise<RunResult> {
    const label = variant ? ` [${Object.entries(variant).map(([k, v]) => `${k}=${v}`).join(" ")}]` : "";
    const mode = batchMode === "bulk-import" ? "BulkImport" : "BatchWriteRow";
    const r = base(ctx, `ours (MySQL->Tablestore, ${mode})${label}`, "mysql-to-tablestore", true, !variant);
    const ots = await startTablestoreProcess();
    ctx.ots = ots;
    try {
        const spec: RunTaskSpec = {
            source: mariaConnection(ctx.src),
            destination: tablestoreConnection(ots.endpoint),
            task: { migrationTypes: ["schema", "full"], objects: [{ database: SOURCE_DB }], tablestore: { ...tablestoreSettings(), batchMode } },
            timeoutMs: 20 * 60_000,
        };
        const otsMark = ots.cpuSeconds();
        const run = await engineRun(ctx, r, spec, variant);
        const otsCpu = ots.cpuSeconds() - otsMark;
        r.fixtureCpuSeconds = otsCpu;
        if (run.res) {
            const rss = ots.peakRssKb();
            r.details.push(engineDetail(run, `servers CPU ${run.serverCpu.toFixed(2)} s (source ${run.srcCpu.toFixed(2)}, ` +
                `local Tablestore server ${otsCpu.toFixed(2)}${rss === null ? "" : `, its peak RSS ${(rss / 1024).toFixed(0)} MB`})`));
        }
        if (!r.problems.length) await verify(ctx, r, () => tablestoreFingerprints(ots.endpoint, ctx.size));
    } finally {
        ctx.ots = undefined;
        await ots.stop();
    }
    return r;
}

/** Our MySQL -> MaxCompute full load into a fresh local MaxCompute server (its own process, in memory). */
async function oursMaxCompute(ctx: Ctx, variant?: Record<string, string>): Promise<RunResult> {
    const r = base(ctx, "ours (MySQL->MaxCompute)", "mysql-to-maxcompute", true, !variant);
    const mc = await startMaxComputeProcess();
    ctx.fixturePid = mc.pid;
    try {
        const spec: RunTaskSpec = {
            source: mariaConnection(ctx.src),
            destination: maxcomputeConnection(mc.endpoint),
            task: { migrationTypes: ["schema", "full"], objects: [{ database: SOURCE_DB }] },
            timeoutMs: 20 * 60_000,
        };
        const mark = mc.cpuSeconds();
        const run = await engineRun(ctx, r, spec, variant);
        const cpu = mc.cpuSeconds() - mark;
        r.fixtureCpuSeconds = cpu;
        if (run.res) r.details.push(engineDetail(run, `servers CPU ${run.serverCpu.toFixed(2)} s (source ${run.srcCpu.toFixed(2)}, local MaxCompute server ${cpu.toFixed(2)})`));
        if (!r.problems.length) await verify(ctx, r, () => maxcomputeFingerprints(mc.endpoint, ctx.size));
    } finally {
        ctx.fixturePid = undefined;
        await mc.stop();
    }
    return r;
}

async function pgloader(ctx: Ctx, bin: string): Promise<RunResult> {
    const r = base(ctx, "pgloader", "mysql-to-postgres", false);
    const db = "bench_pgloader";
    await freshPgDatabase(ctx.pg, db);
    try {
        let mark = await beforeRun(ctx);
        let m = await runPgloader(bin, ctx.src, ctx.pg, db);
        if (m.exitCode !== 0 && /Heap exhausted/.test(m.stdout + m.stderr)) {
            // Debian's pgloader sometimes exhausts its fixed SBCL heap on this data set; its
            // result would be a crash, not a time. One retry on a fresh database, said in the report.
            r.details.push(`pgloader: first attempt died with "Heap exhausted" after ${m.wallSeconds.toFixed(2)} s; retried once`);
            await freshPgDatabase(ctx.pg, db);
            mark = await beforeRun(ctx);
            m = await runPgloader(bin, ctx.src, ctx.pg, db);
        }
        r.wallSeconds = m.wallSeconds;
        r.otherLoadCores = otherLoad(ctx, mark, [m.cpuSeconds], m.wallSeconds);
        r.maxRssKb = m.maxRssKb;
        const p = exitProblem("pgloader", m);
        if (p) r.problems.push(p);
        // pgloader logs row errors and may still exit 0: the verification below decides.
        const total = m.stdout.split("\n").find((l) => /Total import time/.test(l));
        if (total) r.details.push(`pgloader: ${total.trim().replace(/\s+/g, " ")} (its own summary: ✓ or errors, rows, bytes, time)`);
        if (!p) await verify(ctx, r, () => pgFingerprints(ctx.pg, db, ctx.size));
    } finally {
        await dropPgDatabase(ctx.pg, db);
    }
    return r;
}

async function dumpLoad(ctx: Ctx, peers: Peers, enableBinlog: boolean): Promise<RunResult> {
    const r = base(ctx, enableBinlog ? "mydumper+myloader" : "mydumper+myloader (no binlog)", "mysql-to-mysql", false, enableBinlog);
    await dropMysqlDatabase(ctx.dst, SOURCE_DB);
    try {
        const mark = await beforeRun(ctx);
        const srcMark = mysqldCpu(ctx.src);
        const dstMark = mysqldCpu(ctx.dst);
        const { dump, load } = await runDumpLoad(peers.mydumper!, peers.myloader!, ctx.src, ctx.dst, SOURCE_DB, enableBinlog);
        r.wallSeconds = dump.wallSeconds + (load?.wallSeconds ?? 0);
        // Wall time here is the two commands' only (not the temp-dir handling between them).
        r.otherLoadCores = otherLoad(ctx, mark, [dump.cpuSeconds, load?.cpuSeconds ?? 0], r.wallSeconds);
        const rss = [dump.maxRssKb, load?.maxRssKb ?? null].filter((x): x is number => x !== null);
        r.maxRssKb = rss.length ? Math.max(...rss) : null;
        const cpu = (x: number | null | undefined) => (x === null || x === undefined ? "?" : x.toFixed(2));
        r.details.push(`mydumper ${dump.wallSeconds.toFixed(2)} s + myloader ${load ? load.wallSeconds.toFixed(2) : "-"} s; ` +
            `CPU mydumper ${cpu(dump.cpuSeconds)} s, myloader ${cpu(load?.cpuSeconds)} s, ` +
            `source ${cpu(mysqldCpu(ctx.src) - srcMark)} s, MySQL destination ${cpu(mysqldCpu(ctx.dst) - dstMark)} s`);
        const p = exitProblem("mydumper", dump) ?? (load ? exitProblem("myloader", load) : null);
        if (p) r.problems.push(p);
        else await verify(ctx, r, () => mysqlFingerprints(ctx.dst, SOURCE_DB, ctx.size));
    } finally {
        await dropMysqlDatabase(ctx.dst, SOURCE_DB);
    }
    return r;
}

async function verify(ctx: Ctx, r: RunResult, read: () => Promise<Fingerprints>): Promise<void> {
    try {
        const diff = compareFingerprints(ctx.expected, await read());
        if (diff.length) r.problems.push(`destination does not match the source:\n${diff.map((d) => `    ${d}`).join("\n")}`);
    } catch (err) {
        r.problems.push(`verification failed: ${(err as Error).message}`);
    }
}

/**
 * The median run by wall time, among the runs nobody else's load disturbed when there are
 * any (each run is verified on its own; any failure is kept).
 */
function median(runs: RunResult[]): RunResult {
    const quiet = runs.filter((r) => !contended(r));
    const sorted = [...(quiet.length ? quiet : runs)].sort((a, b) => a.wallSeconds - b.wallSeconds);
    const m = sorted[Math.floor((sorted.length - 1) / 2)];
    const rss = runs.map((r) => r.maxRssKb).filter((x): x is number => x !== null);
    // CPU: the median over the same runs, on its own (the run of median wall time need not have the median CPU).
    const mid = (xs: (number | null | undefined)[]) => {
        const v = xs.filter((x): x is number => typeof x === "number").sort((a, b) => a - b);
        return v.length ? v[Math.floor((v.length - 1) / 2)] : m.engineCpuSeconds;
    };
    return {
        ...m,
        maxRssKb: rss.length ? Math.max(...rss) : null,
        ...(m.engineCpuSeconds === undefined ? {} : { engineCpuSeconds: mid(sorted.map((r) => r.engineCpuSeconds)) }),
        ...(m.fixtureCpuSeconds === undefined ? {} : { fixtureCpuSeconds: mid(sorted.map((r) => r.fixtureCpuSeconds)) }),
        problems: runs.flatMap((r) => r.problems),
        details: runs.length > 1
            ? [...m.details, `median of ${sorted.length} of ${runs.length} runs: ${runs.map((r) => `${r.wallSeconds.toFixed(2)}${contended(r) ? "!" : ""}`).join(", ")} s`]
            : m.details,
    };
}

/**
 * Where the servers keep their files. This VM's virtual disk alone varied a run's time by up
 * to 2x (50% iowait while InnoDB flushed), which drowned the differences between tools; in
 * RAM (/dev/shm) every tool gets the same, steady storage and the comparison is of the tools'
 * own work. BENCH_DISK=1 keeps everything under the ordinary temp directory instead.
 */
function chooseStorage(): { dir: string | null; label: string } {
    if (process.env.BENCH_DISK === "1" || !existsSync("/dev/shm")) return { dir: null, label: `disk (${tmpdir()})` };
    const fs = statfsSync("/dev/shm");
    if (fs.bavail * fs.bsize < 8 * 2 ** 30) return { dir: null, label: `disk (${tmpdir()}; /dev/shm has under 8 GiB free)` };
    const dir = mkdtempSync("/dev/shm/dts-bench-");
    // Like /tmp (sticky, world-writable): the servers run as an unprivileged account, reach their
    // directories through it, and mariadbd also takes TMPDIR for its own temporary files.
    chmodSync(dir, 0o1777);
    process.env.TMPDIR = dir; // os.tmpdir(): the harness's server dirs, engine homes, dump and pgloader dirs
    return { dir, label: `RAM (${dir}, tmpfs)` };
}

async function main(): Promise<number> {
    const size = datasetSize();
    const storage = chooseStorage();
    const repeat = Math.max(1, Number(process.env.BENCH_RUNS ?? 3) || 3);
    const peers = installPeers(join(repoRoot, "bench", "install-peers.sh"));

    log("starting MariaDB (source), MariaDB (MySQL destination) and PostgreSQL (destination)");
    const servers: { src?: MariaDbInfo; dst?: MariaDbInfo; pg?: PostgresInfo } = {};
    // Clean shutdowns first (a killed PostgreSQL leaves its shared memory segments behind), then removal.
    const quietly = (p: Promise<unknown>) => p.catch(() => undefined);
    const teardown = async () => {
        await Promise.all([
            servers.src && quietly(stopMariaDb(servers.src)).then(() => destroyMariaDb(servers.src!)),
            servers.dst && quietly(stopMariaDb(servers.dst)).then(() => destroyMariaDb(servers.dst!)),
            servers.pg && quietly(stopPostgres(servers.pg)).then(() => destroyPostgres(servers.pg!)),
        ].map((p) => quietly(Promise.resolve(p))));
    };
    const onSignal = (sig: NodeJS.Signals) => {
        console.log(`\n${sig}: stopping the servers`);
        void teardown().finally(() => {
            if (storage.dir) rmSync(storage.dir, { recursive: true, force: true });
            process.exit(130);
        });
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);

    try {
        // Separate destination server: each server has its own buffer pool, redo log and binlog,
        // as in a real migration, and the source's data is not evicted by the copy being written.
        // The harness's 256 MB buffer pool and 96 MB redo log are test-sized: loading ~230 MB
        // through them makes every run wait on checkpoint flushing, which swamped the
        // differences between tools (±40% run to run). Both servers get production-like sizes.
        log(`server files in ${storage.label}`);
        const extraConfig = MARIADB_BENCH_CONFIG;
        const [src, dst, pg] = await Promise.all([startMariaDb({ serverId: 1, extraConfig }), startMariaDb({ serverId: 2, extraConfig }), startPostgres()]);
        Object.assign(servers, { src, dst, pg });

        log(`preparing ${size.tables} x ${size.rows.toLocaleString("en-US")} rows in ${SOURCE_DB} (${peers.sysbench ? "sysbench oltp_read_write prepare" : "own generator, sysbench schema"})`);
        const how = await prepareDataset(src, size, peers.sysbench);
        const bytes = await sourceDataBytes(src, size);
        // Reading every row once also warms the source's buffer pool equally for every tool.
        const expected = await mysqlFingerprints(src, SOURCE_DB, size);
        const rows = totalRows(expected);
        if (rows !== size.tables * size.rows) throw new Error(`data set has ${rows} rows, expected ${size.tables * size.rows}`);
        const ctx: Ctx = { src, dst, pg, size, expected, rows, bytes };
        log(`data set ready (${how}): ${rows.toLocaleString("en-US")} rows, ${(bytes / 1024 / 1024).toFixed(1)} MB DATA_LENGTH`);

        const all: RunResult[][] = [];
        const collect = (key: number, r: RunResult) => {
            (all[key] ??= []).push(r);
            const other = r.otherLoadCores === null ? "" : `, other load ${r.otherLoadCores.toFixed(2)} cores${contended(r) ? " (contended)" : ""}`;
            log(`${r.tool}: ${Number.isNaN(r.wallSeconds) ? "-" : r.wallSeconds.toFixed(2) + " s"}${other}${r.problems.length ? "  FAILED" : ", verified"}`);
            for (const d of r.details) console.log(`         ${d}`);
            for (const p of r.problems) console.log(`         ${p}`);
        };
        // BENCH_ONLY=mysql or BENCH_ONLY=postgres runs one pair only (quicker comparisons while tuning).
        const only = process.env.BENCH_ONLY ?? "";
        const toPg = only === "" || only === "postgres" || only === "full";
        const toMy = only === "" || only === "mysql" || only === "full";
        const incremental = only === "" || only === "incremental";
        const toTs = process.env.BENCH_TABLESTORE !== "0" && (only === "" || only === "full" || only === "tablestore");
        const toMc = process.env.BENCH_MAXCOMPUTE !== "0" && (only === "" || only === "full" || only === "maxcompute");
        // The Tablestore CPU comparison needs our MySQL -> PostgreSQL run of the same session.
        const toPgOurs = toPg || toTs || toMc;
        const tsIncremental = process.env.BENCH_TABLESTORE !== "0" && (only === "" || only === "incremental" || only === "tablestore");
        const service = process.env.BENCH_SERVICE !== "0" && (only === "" || only === "service");
        for (let i = 0; i < repeat && only !== "service"; i++) {
            if (toPg && peers.pgloader) collect(0, await pgloader(ctx, peers.pgloader));
            if (toPgOurs) collect(1, await ours(ctx, "mysql-to-postgres"));
            if (toMy && peers.mydumper && peers.myloader) {
                collect(2, await dumpLoad(ctx, peers, true));
                if (process.env.BENCH_MYLOADER_DEFAULT !== "0") collect(3, await dumpLoad(ctx, peers, false));
            }
            if (toMy) collect(4, await ours(ctx, "mysql-to-mysql"));
            if (toTs) {
                collect(5, await oursTablestore(ctx, "bulk-import"));
                collect(6, await oursTablestore(ctx, "batch-write-row"));
            }
            if (toMc) collect(7, await oursMaxCompute(ctx));
            // BENCH_VARIANTS="A=1;A=0,B=2": extra runs of ours (each pair run), each with its environment, for A/B comparisons.
            const variants = (process.env.BENCH_VARIANTS ?? "").split(";").filter(Boolean)
                .map((v) => Object.fromEntries(v.split(",").map((kv) => kv.split("=") as [string, string])));
            for (const [j, v] of variants.entries()) {
                if (toPg) collect(100 + j, await ours(ctx, "mysql-to-postgres", v));
                if (toMy) collect(200 + j, await ours(ctx, "mysql-to-mysql", v));
                if (toTs) collect(300 + j, await oursTablestore(ctx, "bulk-import", v));
            }
        }
        const results = all.filter(Boolean).map(median);
        const incResults = incremental || tsIncremental
            ? await runIncrementalBench(src, dst, pg, {
                changes: Number(process.env.BENCH_CHANGES ?? 500_000),
                rate: Number(process.env.BENCH_RATE ?? 5_000),
                seconds: Number(process.env.BENCH_STEADY_SECONDS ?? 30),
                log,
                destinations: [...(incremental ? ["PostgreSQL", "MySQL"] as const : []), ...(tsIncremental ? ["Tablestore"] as const : [])],
                startTablestore: startTablestoreProcess,
            })
            : [];
        const serviceResult: ServiceBenchResult | undefined = service ? await runServiceBench(src, pg, log) : undefined;

        const mariaVersion = versionOf("mariadbd", ["--version"]);
        console.log("");
        console.log("=== pulumi-dts full-load benchmark ===");
        console.log(`machine:     ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
        console.log(`data set:    ${size.tables} tables x ${size.rows.toLocaleString("en-US")} rows (${how}), ${(bytes / 1024 / 1024).toFixed(1)} MB source DATA_LENGTH`);
        console.log(`servers:     source MariaDB; MySQL destination = a second MariaDB server (same version and settings, binlog on:`);
        console.log(`             separate buffer pools/redo/binlog as in a real migration); PostgreSQL destination (harness settings).`);
        console.log(`             MariaDB: harness settings + ${MARIADB_BENCH_CONFIG.join(", ")}. ${mariaVersion}; ${versionOf("pg_config", ["--version"])}`);
        if (results.some((r) => r.pair === "mysql-to-tablestore") || incResults.some((r) => r.destination === "Tablestore")) {
            console.log(`             Tablestore destination = the LOCAL Tablestore server (test/harness/tablestore-server), a test fixture`);
            console.log(`             speaking the service's wire protocol, run as its own node process, in memory: its rows/s is an upper`);
            console.log(`             bound set by this machine (fixture and engine share its ${cpus().length} cores), not a figure of the Tablestore service.`);
        }
        console.log(`storage:     ${storage.label}; BENCH_DISK=1 to use the disk`);
        console.log(`peers:       pgloader ${peers.pgloader ? `${versionOf(peers.pgloader, ["--version"]).replace(/^pgloader version /, "")} (${PGLOADER_OPTIONS.join(" ")}: its default 100,000 exhausts Debian's SBCL heap here)` : "not installed"};`);
        console.log(`             ` +
            `mydumper/myloader ${peers.mydumper ? versionOf(peers.mydumper, ["--version"]).replace(/^mydumper /, "").replace(/,.*/, "") : "not installed"} (4 threads each)`);
        console.log(`method:      each tool starts from an empty destination (schema + data + indexes) after the servers have flushed`);
        console.log(`             the previous run's dirty pages; wall time of the whole command; ${repeat} run(s) each, interleaved, median shown;`);
        console.log(`             peak RSS from ${hasGnuTime ? "/usr/bin/time -v" : "process.resourceUsage() (ours only)"}; mydumper+myloader = dump + load times added, RSS the larger.`);
        console.log(`             myloader runs with --enable-binlog so both sides write the destination's binlog; the "(no binlog)`);
        console.log(`             row is myloader's default (SQL_LOG_BIN=0), shown for information.`);
        console.log(`             every result verified: per table row count, SUM(id), SUM(k), SUM(LENGTH(c)), SUM(LENGTH(pad)).`);
        console.log(`             "other load": CPU used by other processes on this shared machine during the run (machine busy time`);
        console.log(`             less the tool's and our servers'); runs over ${CONTENDED_CORES} cores are marked "!" and left out of the median.`);
        console.log("");
        console.log(resultsTable(results));
        console.log("");
        console.log("targets:");
        console.log(targetLines(targets(results)));
        const noBinlog = results.find((r) => r.tool.includes("no binlog"));
        const oursMy = results.find((r) => r.ours && r.pair === "mysql-to-mysql");
        if (noBinlog && oursMy && !noBinlog.problems.length && !oursMy.problems.length) {
            console.log(`  (against myloader's default without binlog: ${(oursMy.wallSeconds / noBinlog.wallSeconds).toFixed(2)}x)`);
        }
        const disturbed = results.filter(contended);
        if (disturbed.length) console.log(`  WARNING: every run of ${disturbed.map((r) => r.tool).join(", ")} shared the machine with other work; rerun on a quiet machine.`);
        if (results.some((r) => r.pair === "mysql-to-tablestore")) {
            console.log("");
            console.log("=== MySQL -> Tablestore full load (local Tablestore server: a test fixture, not the service) ===");
            console.log("method:      schema + full task into a fresh local Tablestore server per run (its own process, in memory);");
            console.log("             no peer to run side by side: the engine's CPU per 100,000 rows is compared with our MySQL -> PostgreSQL");
            console.log("             run of this session. Engine CPU = user + system CPU of the engine process (every thread) inside runTask;");
            console.log("             the local server's CPU is its own process's, printed for information. rows/s is an upper bound set by");
            console.log("             this machine, not the service. Verified by reading every row back through the SDK (GetRange).");
            for (const line of tablestoreLines(results)) console.log(line);
        }
        if (results.some((r) => r.pair === "mysql-to-maxcompute")) {
            console.log("");
            console.log("=== MySQL -> MaxCompute full load (local MaxCompute server: a test fixture, not the service) ===");
            console.log("method:      schema + full task into a fresh local MaxCompute server per run (its own process, in memory), one Tunnel");
            console.log("             upload session per chunk; engine CPU = the engine process's inside runTask, compared with our MySQL -> PostgreSQL");
            console.log("             run of this session; verified by reading every row back through Tunnel download sessions.");
            for (const line of maxcomputeLines(results)) console.log(line);
        }
        if (incResults.length) {
            console.log("");
            console.log("=== incremental (binlog stream) ===");
            console.log("method:      4 sysbench-shaped tables x 50,000 rows streamed; drain = task stopped, backlog written to the source");
            console.log("             (transactions of ~100 changes: range updates, inserts, updates + deletes), task started, time until");
            console.log("             every logged transaction is applied; steady = constant write rate, latency per transaction from its");
            console.log("             commit on the source to its visibility at the destination (polled every 20 ms). Verified by counts and sums.");
            for (const line of incrementalLines(incResults)) console.log(line);
        }
        if (serviceResult) {
            console.log("");
            console.log("=== engine service (issue 10): takeover and control-store load ===");
            console.log("method:      real `engine serve` processes on this machine, control database in the PostgreSQL destination server;");
            console.log("             times from the kill until the API (another replica) shows the task's lease moved, and its status the");
            console.log("             stream past its position at the kill (the status is written every second: up to 1 s late).");
            for (const line of serviceLines(serviceResult)) console.log(line);
        }
        const failed = [...results.filter((r) => r.problems.length), ...incResults.filter((r) => r.problems.length).map((r) => ({ tool: `incremental -> ${r.destination}` })),
            ...(serviceResult?.problems.length ? [{ tool: "engine service" }] : [])];
        console.log("");
        console.log(failed.length ? `RESULT: ${failed.length} run(s) FAILED: ${failed.map((r) => r.tool).join(", ")}` : `RESULT: all runs verified (total ${since()})`);
        return failed.length ? 1 : 0;
    } finally {
        await teardown();
        if (storage.dir) rmSync(storage.dir, { recursive: true, force: true });
    }
}

main().then(
    (code) => { process.exitCode = code; },
    (err) => {
        console.error(`bench: ${err instanceof Error ? err.stack : String(err)}`);
        process.exitCode = 2;
    },
);
