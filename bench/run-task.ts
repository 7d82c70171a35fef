/**
 * Child process of the benchmark: runs one engine task in-process (as the harness's
 * runTask does) and prints one JSON line with its outcome and this process's peak RSS.
 * Running it in its own process lets the parent measure wall time and memory of the
 * engine alone, with the same /usr/bin/time -v as the peer tools.
 *
 *   node dist/bench/run-task.js SPEC.json
 *
 * SPEC: { source, destination, task, timeoutMs }, connections as runTask takes them.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { MysqlBulkSink } from "../provider/connectors/mysql/destination/bulk-sink";
import * as snapshot from "../provider/connectors/mysql/source/snapshot";
import * as chunks from "../provider/connectors/mysql/source/chunk-plan";
import { MysqlDestination } from "../provider/connectors/mysql/destination/destination";
import { PostgresBulkSink } from "../provider/connectors/postgres/bulk-sink";
import { PostgresDestination } from "../provider/connectors/postgres/destination";
import { TablestoreBulkSink } from "../provider/connectors/tablestore/bulk-sink";
import { TablestoreDestination } from "../provider/connectors/tablestore/destination";
import { removeHome, runTask } from "../test/harness/engine-run";

export interface RunTaskSpec {
    source: Parameters<typeof runTask>[0];
    destination: Parameters<typeof runTask>[1];
    task: Parameters<typeof runTask>[2];
    timeoutMs: number;
}

export interface RunTaskResult {
    phase: string;
    error?: string;
    rowsCopied: number;
    tables: { source: string; target: string; rowsCopied: number; chunksTotal: number }[];
    /** Seconds inside runTask (excludes node start-up and module loading). */
    taskSeconds: number;
    /**
     * CPU seconds (user + system, every thread of this process) inside runTask: the engine's
     * work on the task, without node's start-up and module loading.
     */
    taskCpuSeconds: number;
    /** process.resourceUsage().maxRSS, KiB. */
    maxRssKb: number;
}

/**
 * BENCH_TRACE=FILE appends a timeline of the run to FILE: when each chunk write and each
 * table's index build started and ended (ms since the task started), from wrappers around
 * the destinations' methods; the engine itself is unchanged.
 */
function traceTo(file: string, t0: bigint): void {
    const ms = () => (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0).padStart(6);
    const line = (s: string) => appendFileSync(file, `${ms()} ${s}\n`);
    const wrap = (proto: Record<string, unknown>, name: string, label: (args: unknown[]) => string) => {
        const orig = proto[name] as (...a: unknown[]) => Promise<unknown>;
        proto[name] = async function (this: unknown, ...args: unknown[]) {
            const what = `${name} ${label(args)}`;
            line(`start ${what}`);
            try {
                return await orig.apply(this, args);
            } finally {
                line(`end   ${what}`);
            }
        };
    };
    type M = { targetTable: string };
    const chunk = (a: unknown[]) => { const w = a[0] as { mapping: M; range: { lo: string | null } | null }; return `${w.mapping.targetTable} from ${w.range?.lo ?? "start"}`; };
    for (const sink of [MysqlBulkSink, PostgresBulkSink, TablestoreBulkSink]) wrap(sink.prototype as never, "writeChunk", chunk);
    for (const d of [MysqlDestination, PostgresDestination, TablestoreDestination]) {
        wrap(d.prototype as never, "createIndexes", (a) => (a[0] as M).targetTable);
        wrap(d.prototype as never, "createTable", (a) => (a[0] as M).targetTable);
    }
    // Module functions are looked up on their module object at each call, so they can be wrapped too.
    wrap(chunks as never, "planChunks", (a) => (a[1] as { source: { name: string } }).source.name);
    wrap(snapshot as never, "openSnapshot", () => "");
    wrap(snapshot as never, "openReadSnapshot", () => "");
    line(`task start (epoch ms ${Date.now()})`);
}

async function main(): Promise<void> {
    const spec = JSON.parse(readFileSync(process.argv[2], "utf8")) as RunTaskSpec;
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    if (process.env.BENCH_TRACE) traceTo(process.env.BENCH_TRACE, t0);
    const { status, home } = await runTask(spec.source, spec.destination, spec.task, { timeoutMs: spec.timeoutMs });
    if (process.env.BENCH_TRACE) appendFileSync(process.env.BENCH_TRACE, `${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0).padStart(6)} task end\n`);
    const taskSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const taskCpuSeconds = (cpu.user + cpu.system) / 1e6;
    removeHome(home);
    const result: RunTaskResult = {
        phase: status.phase, error: status.error, rowsCopied: status.rowsCopied, taskSeconds, taskCpuSeconds,
        tables: status.tables.map((t) => ({ source: t.source, target: t.target, rowsCopied: t.rowsCopied, chunksTotal: t.chunksTotal })),
        maxRssKb: process.resourceUsage().maxRSS,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    process.exitCode = status.phase === "completed" && !status.error ? 0 : 1;
}

main().catch((err) => {
    process.stderr.write(`run-task: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
});
