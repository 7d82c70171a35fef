import { join } from "node:path";
import { type EngineHome, writePrivate } from "./home";
import type { EngineRequest, PingResult } from "./control/protocol";
import { EngineRequestError } from "./control/server";
import { TaskRunner } from "./task-runner";
import { type EngineTaskSpec, TaskStore, unknownTaskMessage } from "./task-store";
import { MetricsHistory } from "./metrics-history";
import { renderMetrics } from "./metrics";
import type { TaskStatus } from "./status";
import { restoreTask } from "./unreadable-task";

export const ENGINE_VERSION = "0.1.0";

/** The engine process's state: one runner per task, all restored from the home at start. */
export class Engine {
    private readonly runners = new Map<string, TaskRunner>();
    private readonly history: MetricsHistory;

    constructor(private readonly home: EngineHome, private readonly onShutdown: () => void) {
        this.history = new MetricsHistory(home);
    }

    /** Resumes every task that had not finished when the previous engine stopped. */
    restore(): void {
        for (const id of TaskStore.list(this.home)) {
            // A task whose files cannot be read is kept as failed with the reason (never dropped, never run).
            const runner = restoreTask(new TaskStore(this.home, id));
            if (!runner) continue;
            this.runners.set(id, runner);
            if (!["completed", "failed", "precheck-failed", "released"].includes(runner.status.phase)) runner.start();
        }
    }

    private runner(taskId: string): TaskRunner {
        const r = this.runners.get(taskId);
        if (!r) throw new EngineRequestError(`no task ${taskId} in this engine (home ${this.home.dir})`, "not-found");
        return r;
    }

    async handle(req: EngineRequest): Promise<unknown> {
        switch (req.method) {
            case "ping":
                return {
                    pid: process.pid, version: ENGINE_VERSION, tasks: this.runners.size,
                    ...(process.env.PULUMI_DTS_SUPERVISOR ? { supervisor: Number(process.env.PULUMI_DTS_SUPERVISOR) } : {}),
                } satisfies PingResult;
            case "submit": {
                const spec = req.spec as EngineTaskSpec;
                if (this.runners.has(req.taskId)) throw new EngineRequestError(`task ${req.taskId} already exists`, "exists");
                const store = new TaskStore(this.home, req.taskId);
                store.writeSpec({ ...spec, taskId: req.taskId });
                const runner = new TaskRunner(store, { ...spec, taskId: req.taskId });
                this.runners.set(req.taskId, runner);
                runner.start();
                return runner.status;
            }
            case "update": {
                const r = this.runner(req.taskId);
                await r.update({ ...(req.spec as EngineTaskSpec), taskId: req.taskId });
                return r.status;
            }
            case "get":
                return this.runner(req.taskId).status;
            case "list":
                return [...this.runners.values()].map((r) => r.status) satisfies TaskStatus[];
            case "resume": {
                const r = this.runner(req.taskId);
                r.start();
                return r.status;
            }
            case "release": {
                const r = this.runners.get(req.taskId);
                if (!r) return { released: false };
                await r.stop();
                await r.forgetStream();
                const store = new TaskStore(this.home, req.taskId);
                store.log("released: the task's files are removed (data written to the destination is kept); this log is kept a while");
                store.removeKeepingLog();
                this.runners.delete(req.taskId);
                this.history.forget(req.taskId);
                return { released: true };
            }
            case "logs": {
                const log = TaskStore.findLog(this.home, req.taskId, req.lines ?? 100);
                if (!log) throw new EngineRequestError(unknownTaskMessage(this.home, req.taskId), "not-found");
                return log.state === "released" ? [`(task ${req.taskId} was released at ${log.releasedAt}; its log is kept in ${log.path})`, ...log.lines] : log.lines;
            }
            case "history":
                this.runner(req.taskId);
                return this.history.result(req.taskId);
            case "shutdown":
                setImmediate(() => this.onShutdown());
                return { stopping: true };
        }
    }

    /**
     * Task metrics in Prometheus' text format, in <home>/metrics.prom, rewritten every
     * second: node_exporter's textfile collector (or any scraper reading the file) picks
     * them up without the engine listening on a port.
     */
    writeMetrics(): void {
        writePrivate(join(this.home.dir, "metrics.prom"), renderMetrics([...this.runners.values()].map((r) => r.status)));
    }

    /**
     * One reading of every running task for the charts' history (metrics-history.ts), taken
     * with the metrics each second; a finished task's history ends where it finished.
     */
    sampleHistory(now = Date.now()): void {
        for (const r of this.runners.values()) {
            if (!r.isRunning()) continue;
            try {
                this.history.observe(r.status, now);
            } catch (err) {
                // One task's unwritable file must not cost the others their history.
                console.error(`${new Date().toISOString()} task ${r.taskId}: history: ${(err as Error).message}`);
            }
        }
    }

    async stopAll(): Promise<void> {
        await Promise.all([...this.runners.values()].map((r) => r.stop()));
    }
}
