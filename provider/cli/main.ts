#!/usr/bin/env node
/**
 * npx pulumi-dts status | logs <task> | engine start|stop|install-service | task resume|release <task> | dashboard | help
 * The engine's home is ~/.pulumi-dts, or PULUMI_DTS_HOME.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { callEngine, engineEntry, pingEngine } from "../engine/control/client";
import { runDashboard } from "../dashboard/run";
import { Client } from "pg";
import { serveMain } from "../service/serve";
import { RemoteEngineClient, remoteSettings } from "../engine/control/remote-client";
import { newToken, TokenStore } from "../service/tokens";
import { maxcomputeMergeSql } from "./maxcompute-merge";
import { systemdUnit } from "../engine/service-unit";
import { type EngineHome, engineHome } from "../engine/home";
import type { TaskStatus } from "../engine/status";
import { formatPosition } from "../engine/model";
import { RELEASED_LOG_DAYS, RELEASED_LOGS_KEPT, TaskFileError, TaskStore, unknownTaskMessage } from "../engine/task-store";
import { taskIdSchema } from "../engine/task-store-format";

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

const usage = (home: EngineHome) => `usage: pulumi-dts <command>

  status [task]          the engine's tasks and their progress; with the engine down, the
                         stored tasks with their statuses as last written
  logs <task> [lines]    the last lines (default 200) of a task's log; a released task's log
                         is kept ${RELEASED_LOG_DAYS} days (the last ${RELEASED_LOGS_KEPT} released tasks)
  engine start           start the engine (the provider starts it on demand)
  engine stop            stop the engine; unfinished tasks resume when it starts again
  engine install-service write a systemd user unit that runs the engine of this home (it is
                         restarted after a crash by its own supervisor already; the unit also
                         brings it back after a reboot)
  task resume <task>     run a failed or stopped task again
  task release <task>    stop a task and forget it (data at the destination is kept)
  dashboard [--port N]   a read-only web page of the tasks, with charts of the last hours, on
                         127.0.0.1 (a free port unless --port); prints a one-time login link;
                         runs until Ctrl-C
  engine serve [flags]   run a replica of the engine service (HTTPS API, tasks shared with
                         the other replicas through leases in PULUMI_DTS_CONTROL_URL); see
                         docs/engine-service.md
  service token new      print a new random API token (to register as PULUMI_DTS_BOOTSTRAP_TOKEN)
  service token issue --scope <scope>
                         make and register an API token for a scope (PULUMI_DTS_CONTROL_URL)
  maxcompute merge-sql <table> --key k1[,k2] --columns c1,c2,… [--rule new|previous]
                         [--base-suffix S] [--log-suffix S] [--into T]
                         the MaxCompute SQL that merges <table>_base and <table>_log into
                         the table's current state
  help                   this text

The engine's home is ~/.pulumi-dts, or PULUMI_DTS_HOME (now ${home.dir}).
With PULUMI_DTS_ENDPOINT (and PULUMI_DTS_TOKEN, PULUMI_DTS_CA_CERT: PEM or a file), status,
logs, task and dashboard read the engine service instead.
Exit codes: 0 done, 1 failed, 2 not a command this usage describes.`;

/** A command line this usage does not describe. */
class UsageError extends Error {}

function taskIdArg(id: string | undefined, what: string): string {
    if (!id) throw new UsageError(`${what} needs a task id`);
    // Ids name directories under the home: anything else would read outside it.
    const r = taskIdSchema.safeParse(id);
    if (!r.success) throw new UsageError(`"${id}" is not a task id: it ${r.error.issues[0]?.message ?? "is malformed"}`);
    return id;
}

/** Why `task` is not there, naming the home and the tasks that are. */
function unknownTask(home: EngineHome, taskId: string): Error {
    const kept = TaskStore.findLog(home, taskId, 1);
    if (kept?.state === "released") {
        return new Error(`task ${taskId} was released at ${kept.releasedAt} (home ${home.dir}); npx pulumi-dts logs ${taskId} shows its kept log`);
    }
    return new Error(unknownTaskMessage(home, taskId));
}

/** The stored tasks, read from their files: what the engine last wrote, not what is running now. */
function printStoredStatus(home: EngineHome, only: string | undefined): void {
    const ids = TaskStore.list(home).filter((id) => !only || id === only);
    if (only && ids.length === 0) throw unknownTask(home, only);
    console.log(`engine not running (home ${home.dir}); ${ids.length} stored task(s), statuses as last written by the engine` +
        (ids.length ? " (unfinished tasks resume when it starts: npx pulumi-dts engine start)" : ""));
    for (const id of ids) {
        let s: TaskStatus | undefined;
        try {
            s = new TaskStore(home, id).readStatus();
        } catch (err) {
            if (!(err instanceof TaskFileError)) throw err;
            console.log(`${id}  unreadable: ${err.message}`);
            continue;
        }
        if (!s) {
            console.log(`${id}  no status written yet`);
            continue;
        }
        printStatus(s);
        console.log(`  (last written ${s.updatedAt})`);
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * status, logs and task resume|release against the engine service, when PULUMI_DTS_ENDPOINT
 * (with PULUMI_DTS_TOKEN and PULUMI_DTS_CA_CERT) names one; undefined: not such a command.
 */
async function remoteCommand(client: RemoteEngineClient, endpoint: string, argv: string[]): Promise<number | undefined> {
    const [cmd, sub, arg, ...rest] = argv;
    if (cmd === "status" && arg === undefined) {
        const only = sub === undefined ? undefined : taskIdArg(sub, "status");
        const tasks = only ? [await client.get(only)] : await client.list();
        console.log(`engine service ${endpoint}, ${tasks.length} task(s)`);
        for (const t of tasks) {
            console.log(`  (generation ${t.generation}, ${t.desired === "released" ? "being released" : t.owner.holder ? `run by ${t.owner.holder}, lease epoch ${t.owner.epoch}` : "waiting for a replica"})`);
            if (t.status) printStatus(t.status);
            else console.log(`${t.taskId}  not started yet`);
        }
        return 0;
    }
    if (cmd === "logs" && rest.length === 0) {
        const lines = arg === undefined ? 200 : Number(arg);
        if (!Number.isInteger(lines) || lines < 1) throw new UsageError(`lines must be a positive whole number (got "${arg}")`);
        console.log((await client.logs(taskIdArg(sub, "logs"), lines)).join("\n"));
        return 0;
    }
    if (cmd === "task" && (sub === "resume" || sub === "release") && rest.length === 0) {
        const taskId = taskIdArg(arg, `task ${sub}`);
        if (sub === "resume") console.log(`task ${taskId}: generation ${await client.resume(taskId)}; its replica runs it again`);
        else {
            await client.release(taskId);
            console.log(`task ${taskId}: release requested; its replica stops it and forgets its stream (data at the destination is kept)`);
        }
        return 0;
    }
    return undefined;
}

async function main(argv: string[]): Promise<number> {
    const [cmd, sub, arg, ...rest] = argv;
    const home = engineHome();
    const remote = remoteSettings(undefined, process.env);
    if (remote && cmd !== "engine" && cmd !== "service" && cmd !== "dashboard") {
        const done = await remoteCommand(new RemoteEngineClient(remote), remote.endpoint, argv);
        if (done !== undefined) return done;
    }
    switch (cmd) {
        case "help":
        case "--help":
        case "-h":
            console.log(usage(home));
            return 0;
        case "status": {
            if (arg !== undefined) break;
            const only = sub === undefined ? undefined : taskIdArg(sub, "status");
            const ping = await pingEngine(home);
            if (!ping) {
                printStoredStatus(home, only);
                return 0;
            }
            const tasks = await callEngine<TaskStatus[]>({ method: "list" }, { home, autostart: false });
            const shown = tasks.filter((x) => !only || x.taskId === only);
            if (only && shown.length === 0) throw unknownTask(home, only);
            console.log(`engine pid ${ping.pid}, ${tasks.length} task(s), home ${home.dir}`);
            for (const t of shown) printStatus(t);
            return 0;
        }
        case "logs": {
            if (rest.length) break;
            const taskId = taskIdArg(sub, "logs");
            const lines = arg === undefined ? 200 : Number(arg);
            if (!Number.isInteger(lines) || lines < 1) throw new UsageError(`lines must be a positive whole number (got "${arg}")`);
            // Read from the files, not the engine: logs are wanted most when it is down, and asking
            // would start it (and resume its tasks) just to read a file.
            const log = TaskStore.findLog(home, taskId, lines);
            if (!log) throw unknownTask(home, taskId);
            if (log.state === "released") console.error(`task ${taskId} was released at ${log.releasedAt}; its kept log is ${log.path}`);
            if (log.lines.length && log.lines.join("") !== "") console.log(log.lines.join("\n"));
            else console.error(`task ${taskId} has written no log lines yet (${log.path})`);
            return 0;
        }
        case "engine":
            if (sub === "serve") {
                // Runs until SIGTERM, which hands the replica's tasks off and exits the process.
                await serveMain(argv.slice(2));
                return new Promise<number>(() => undefined);
            }
            if (arg !== undefined) break;
            if (sub === "start") {
                const r = await callEngine({ method: "ping" }, { home });
                console.log(`engine running: ${JSON.stringify(r)}`);
                return 0;
            }
            if (sub === "install-service") {
                const unit = systemdUnit({ node: process.execPath, engineMain: engineEntry("main.js"), home: home.dir });
                const dir = join(process.env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "systemd", "user");
                mkdirSync(dir, { recursive: true });
                const file = join(dir, unit.name);
                writeFileSync(file, unit.text, { mode: 0o644 });
                console.log(`wrote ${file}\n\nto run the engine under systemd from now on (stop the one running first: npx pulumi-dts engine stop):\n` +
                    `  systemctl --user daemon-reload\n  systemctl --user enable --now ${unit.name}\n` +
                    `and to keep it running while you are logged out: loginctl enable-linger $USER`);
                return 0;
            }
            if (sub === "stop") {
                const ping = await pingEngine(home);
                if (!ping) {
                    console.log(`engine not running (home ${home.dir})`);
                    return 0;
                }
                await callEngine({ method: "shutdown" }, { home, autostart: false });
                // The socket closes first and the tasks stop after: a caller that removes the home
                // next (the quickstart) must wait for the process itself.
                const deadline = Date.now() + 60_000;
                // The supervisor exits once the engine has stopped by request (it would otherwise restart it).
                while (alive(ping.pid) || (ping.supervisor !== undefined && alive(ping.supervisor))) {
                    if (Date.now() > deadline) {
                        console.error(`engine ${ping.pid} is still stopping after 60 s; its log is ${home.logFile}`);
                        return 1;
                    }
                    await new Promise((r) => setTimeout(r, 100));
                }
                console.log(`engine ${ping.pid} stopped; unfinished tasks resume when it starts again`);
                return 0;
            }
            break;
        case "dashboard": {
            if (sub === undefined) return runDashboard(home);
            if (sub !== "--port" || rest.length) break;
            const port = Number(arg);
            if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port needs a port number, 1-65535 (got "${arg ?? ""}")`);
            return runDashboard(home, { port });
        }
        case "maxcompute":
            if (sub === "merge-sql") {
                console.log(maxcomputeMergeSql(argv.slice(2)));
                return 0;
            }
            break;
        case "service":
            if (sub === "token" && arg === "new" && rest.length === 0) {
                console.log(newToken());
                return 0;
            }
            if (sub === "token" && arg === "issue" && rest.length === 2 && rest[0] === "--scope") {
                const url = process.env.PULUMI_DTS_CONTROL_URL;
                if (!url) throw new UsageError("service token issue needs PULUMI_DTS_CONTROL_URL (the service's control database)");
                const db = new Client({ connectionString: url });
                await db.connect();
                try {
                    await TokenStore.ensureSchema(db);
                    const grant = await new TokenStore(db).issue(rest[1]);
                    console.error(`token ${grant.id} for scope ${grant.scope} (shown once; the service keeps only its hash; a third token of the scope revokes the oldest):`);
                    console.log(grant.token);
                } finally {
                    await db.end();
                }
                return 0;
            }
            break;
        case "task":
            if ((sub === "resume" || sub === "release") && rest.length === 0) {
                const taskId = taskIdArg(arg, `task ${sub}`);
                const r = await callEngine<{ released?: boolean }>({ method: sub, taskId }, { home });
                if (sub === "release" && !r.released) throw unknownTask(home, taskId);
                if (sub === "release") {
                    const kept = TaskStore.findLog(home, taskId, 1);
                    console.log(`task ${taskId} released (data at the destination is kept)` + (kept?.state === "released" ? `; its log is kept in ${kept.path}` : ""));
                } else {
                    console.log(JSON.stringify(r, null, 2));
                }
                return 0;
            }
            break;
    }
    if (cmd === undefined) console.error(usage(home));
    else console.error(`pulumi-dts: not a command: ${argv.join(" ")}\n\n${usage(home)}`);
    return 2;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
        console.error(`pulumi-dts: ${(err as Error).message}`);
        if (err instanceof UsageError) console.error(`\n${usage(engineHome())}`);
        process.exit(err instanceof UsageError ? 2 : 1);
    },
);
