import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionArgsSchema, type ConnectionSpec } from "../../sdk/schema/connection";
import { taskArgsSchema, type TaskArgsInput } from "../../sdk/schema/task";
import { engineHome, ensureHome } from "../../provider/engine/home";
import type { TaskStatus } from "../../provider/engine/status";
import { TaskRunner } from "../../provider/engine/task-runner";
import { type EngineTaskSpec, TaskStore } from "../../provider/engine/task-store";
import type { MariaDbInfo } from "./mariadb";
import type { Connection, RowDataPacket } from "mysql2/promise";
import { comparePositions } from "../../provider/engine/model";
import type { PostgresInfo } from "./postgres";

export function mariaConnection(m: MariaDbInfo): ConnectionSpec & { connectionId: string } {
    return { ...connectionArgsSchema.parse({ engine: "mariadb", host: m.host, port: m.port, user: m.user, password: m.password }), connectionId: "src" };
}

export function postgresConnection(p: PostgresInfo, database = p.database): ConnectionSpec & { connectionId: string } {
    return { ...connectionArgsSchema.parse({ engine: "postgresql", host: p.host, port: p.port, user: p.user, password: p.password, database }), connectionId: "dst" };
}

/** Runs a task in this process with a throw-away engine home, until it stops on its own. */
export async function runTask(
    source: ConnectionSpec & { connectionId: string },
    destination: ConnectionSpec & { connectionId: string },
    task: Omit<TaskArgsInput, "source" | "destination">,
    opts: { home?: string; taskId?: string; timeoutMs?: number } = {},
): Promise<{ status: TaskStatus; home: string; runner: TaskRunner }> {
    const { home, runner } = startTask(source, destination, task, { home: opts.home, taskId: opts.taskId ?? "t1" });
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    while (runner.isRunning() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (runner.isRunning()) {
        await runner.stop();
        throw new Error(`task did not finish in time; phase ${runner.status.phase}`);
    }
    return { status: runner.status, home, runner };
}

export function removeHome(home: string): void {
    rmSync(home, { recursive: true, force: true });
}

/** Starts a task in this process and returns at once (incremental tasks run until stopped). */
export function startTask(
    source: ConnectionSpec & { connectionId: string },
    destination: ConnectionSpec & { connectionId: string },
    task: Omit<TaskArgsInput, "source" | "destination">,
    opts: { home?: string; taskId?: string } = {},
): { home: string; runner: TaskRunner; spec: EngineTaskSpec; store: TaskStore } {
    const home = opts.home ?? mkdtempSync(join(tmpdir(), "dts-home-"));
    const h = engineHome(home);
    ensureHome(h);
    // Unique like the provider's ids: a destination keeps each task's stream checkpoint by id.
    const taskId = opts.taskId ?? `t-${randomBytes(6).toString("hex")}`;
    const spec: EngineTaskSpec = {
        taskId,
        task: taskArgsSchema.parse({ ...task, source: { connectionId: "src", engine: source.engine }, destination: { connectionId: "dst", engine: destination.engine } }),
        source,
        destination,
    };
    const store = new TaskStore(h, taskId);
    store.writeSpec(spec);
    const runner = new TaskRunner(store, spec);
    runner.start();
    return { home, runner, spec, store };
}

/** A new runner for a task a previous runner (stopped or crashed) left in `home`. */
export function resumeTask(home: string, taskId: string): TaskRunner {
    const store = new TaskStore(engineHome(home), taskId);
    const runner = new TaskRunner(store, store.readSpec()!);
    runner.start();
    return runner;
}

/** Polls the runner's status until `ok` holds and returns it as it was then; fails early when the task failed. */
export async function waitForStatus(runner: TaskRunner, ok: (s: TaskStatus) => boolean, timeoutMs = 120_000): Promise<TaskStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        // A copy taken when `ok` held: the live status keeps changing (a heartbeat moves latency),
        // so assertions on the returned value see the moment the condition was true.
        const s = structuredClone(runner.status);
        if (ok(s)) return s;
        if (s.phase === "failed" || s.phase === "precheck-failed") {
            throw new Error(`task ${s.phase}: ${s.error ?? JSON.stringify(s.precheck?.items.filter((i) => i.outcome !== "passed"))}`);
        }
        if (Date.now() > deadline) throw new Error(`timed out; phase ${s.phase}, incremental ${JSON.stringify(s.incremental)}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

/** Waits until the stream has applied everything the source (read through `source`) has logged so far. */
export async function waitForSourcePosition(runner: TaskRunner, source: Connection, timeoutMs = 60_000): Promise<TaskStatus> {
    const [[status]] = await source.query<RowDataPacket[]>("SHOW MASTER STATUS");
    const target = { file: String(status.File), position: Number(status.Position) };
    return waitForStatus(runner, (s) => s.incremental?.position !== undefined && comparePositions(s.incremental.position, target) >= 0, timeoutMs);
}
