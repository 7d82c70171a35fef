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
import { readFileSync } from "node:fs";
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
    /** process.resourceUsage().maxRSS, KiB. */
    maxRssKb: number;
}

async function main(): Promise<void> {
    const spec = JSON.parse(readFileSync(process.argv[2], "utf8")) as RunTaskSpec;
    const t0 = process.hrtime.bigint();
    const { status, home } = await runTask(spec.source, spec.destination, spec.task, { timeoutMs: spec.timeoutMs });
    const taskSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    removeHome(home);
    const result: RunTaskResult = {
        phase: status.phase, error: status.error, rowsCopied: status.rowsCopied, taskSeconds,
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
