#!/usr/bin/env node
/**
 * npx pulumi-dts status | logs <task> | engine start|stop | task resume|release <task>
 * The engine's home is ~/.pulumi-dts, or PULUMI_DTS_HOME.
 */
import { callEngine, pingEngine } from "../engine/control/client";
import { engineHome } from "../engine/home";
import type { TaskStatus } from "../engine/status";
import { formatPosition } from "../engine/model";

function bar(done: number, total: number, width = 20): string {
    const f = total > 0 ? Math.min(1, done / total) : 0;
    const n = Math.round(f * width);
    return `[${"#".repeat(n)}${".".repeat(width - n)}] ${Math.round(f * 100).toString().padStart(3)}%`;
}

function printStatus(s: TaskStatus): void {
    console.log(`${s.taskId}  ${s.phase}  ${s.rowsCopied.toLocaleString("en-US")} rows  ${s.rowsPerSecond.toLocaleString("en-US")} rows/s` +
        (s.snapshotPosition ? `  snapshot ${formatPosition(s.snapshotPosition)}` : ""));
    for (const t of s.tables) {
        const est = Math.max(t.rowsEstimated, t.rowsCopied);
        const frac = t.state === "done" ? bar(1, 1) : t.chunksTotal > 1 ? bar(t.chunksDone, t.chunksTotal) : bar(t.rowsCopied, est);
        console.log(`  ${t.source.padEnd(32)} -> ${t.target.padEnd(32)} ${t.state.padEnd(9)} ${frac} ${t.rowsCopied.toLocaleString("en-US")} rows`);
    }
    const inc = s.incremental;
    if (inc) {
        console.log(`  incremental: ${inc.caughtUp ? "caught up" : "catching up"}, latency ${inc.latencySeconds} s` +
            (inc.heartbeatLagMs !== undefined ? ` (heartbeat ${inc.heartbeatLagMs} ms)` : "") +
            `, ${inc.changesApplied.toLocaleString("en-US")} changes applied (${inc.changesPerSecond.toLocaleString("en-US")}/s)` +
            (inc.position ? `, at ${formatPosition(inc.position)}` : "") + (inc.sourcePosition ? `, source at ${formatPosition(inc.sourcePosition)}` : ""));
        if (inc.heartbeatError) console.log(`  heartbeat: ${inc.heartbeatError}`);
        for (const line of inc.skippedStatements.slice(-5)) console.log(`  ${line}`);
    }
    if (s.precheck && !s.precheck.passed) {
        for (const i of s.precheck.items.filter((x) => x.outcome !== "passed")) {
            console.log(`  precheck ${i.outcome}${i.ignored ? " (ignored)" : ""}: ${i.title}${i.object ? ` [${i.object}]` : ""}: ${i.detail ?? ""}`);
        }
    }
    if (s.dirtyRows) console.log(`  ${s.dirtyRows} dirty rows skipped; first: ${s.dirtySample.slice(0, 3).map((d) => `${d.table} (${d.key}): ${d.error}`).join("; ")}`);
    if (s.error) console.log(`  error: ${s.error}`);
    if (s.retrying) {
        const left = Math.max(0, Math.round((Date.parse(s.retrying.windowEndsAt) - Date.now()) / 60_000));
        console.log(`  retrying (${s.retrying.kind} failure since ${s.retrying.since}, attempt ${s.retrying.attempts}, ${left} min left in the window): ${s.retrying.error}`);
    }
}

async function main(argv: string[]): Promise<number> {
    const [cmd, sub, arg] = argv;
    const home = engineHome();
    switch (cmd) {
        case "status": {
            const ping = await pingEngine(home);
            if (!ping) {
                console.log(`engine not running (home ${home.dir})`);
                return 0;
            }
            const tasks = await callEngine<TaskStatus[]>({ method: "list" }, { home, autostart: false });
            console.log(`engine pid ${ping.pid}, ${tasks.length} task(s), home ${home.dir}`);
            for (const t of tasks.filter((x) => !sub || x.taskId === sub)) printStatus(t);
            return 0;
        }
        case "logs": {
            if (!sub) throw new Error("usage: pulumi-dts logs <task-id>");
            const lines = await callEngine<string[]>({ method: "logs", taskId: sub, lines: Number(arg ?? 200) }, { home });
            console.log(lines.join("\n"));
            return 0;
        }
        case "engine":
            if (sub === "start") {
                const r = await callEngine({ method: "ping" }, { home });
                console.log(`engine running: ${JSON.stringify(r)}`);
                return 0;
            }
            if (sub === "stop") {
                if (!(await pingEngine(home))) {
                    console.log("engine not running");
                    return 0;
                }
                await callEngine({ method: "shutdown" }, { home, autostart: false });
                console.log("engine stopping; running tasks resume when it starts again");
                return 0;
            }
            break;
        case "task":
            if ((sub === "resume" || sub === "release") && arg) {
                console.log(JSON.stringify(await callEngine({ method: sub, taskId: arg }, { home }), null, 2));
                return 0;
            }
            break;
    }
    console.error("usage: pulumi-dts status [task] | logs <task> [lines] | engine start|stop | task resume|release <task>");
    return 2;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
        console.error(`pulumi-dts: ${(err as Error).message}`);
        process.exit(1);
    },
);
