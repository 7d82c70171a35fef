import type { PermanentFailure } from "./retry";
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { secretConnectionFields } from "../../sdk/schema/connection";
import { redact } from "../errors/connection-error";
import { type EngineHome, writePrivate } from "./home";
import type { DirtyRecord, TaskStatus } from "./status";
import { type Checkpoint, checkpointFile, type EngineTaskSpec, specFile, statusFile, type TaskFileFormat, type TaskFileName } from "./task-store-format";
import type { FormatProblem } from "./versioned-json";

/** Released tasks' logs are kept this long, and no more than this many of them. */
export const RELEASED_LOG_DAYS = 7;
export const RELEASED_LOGS_KEPT = 50;

/** A task's log: its own while the task is in the engine home, the kept copy once it was released. */
export interface TaskLog {
    state: "live" | "released";
    path: string;
    lines: string[];
    /** When the task was released (state "released"). */
    releasedAt?: string;
}

export type { Checkpoint, ChunkCheckpoint, ChunkState, EngineTaskSpec, TableCheckpoint } from "./task-store-format";

/** A task file this engine cannot use: from a newer engine, damaged, or not the task's own. */
export class TaskFileError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly taskId: string, readonly file: TaskFileName, readonly path: string, readonly problem: FormatProblem | { kind: "io"; detail: string }) {
        super(`task ${taskId}: ${file} (${path}) cannot be read: ${problem.detail}. ` + (problem.kind === "newer-version"
            ? "A newer pulumi-dts wrote it: run that version's engine (stop this one with npx pulumi-dts engine stop, then call the newer pulumi-dts)."
            : `Restore the file, or release the task with npx pulumi-dts task release ${taskId} (data already at the destination is kept) and migrate again.`));
        this.name = "TaskFileError";
    }
}

/**
 * A task's files under the engine home: spec.json (holds secrets: 0600 in a 0700 dir),
 * status.json, checkpoint.json, dirty.jsonl (rows refused under the skip policy), task.log.
 */
export class TaskStore {
    readonly dir: string;

    constructor(readonly home: EngineHome, readonly taskId: string) {
        this.dir = join(home.tasksDir, taskId);
    }

    static list(home: EngineHome): string[] {
        if (!existsSync(home.tasksDir)) return [];
        return readdirSync(home.tasksDir).filter((d) => existsSync(join(home.tasksDir, d, "spec.json")));
    }

    exists(): boolean {
        return existsSync(join(this.dir, "spec.json"));
    }

    /** Undefined when the file does not exist; throws TaskFileError when it cannot be used. */
    private read<T>(format: TaskFileFormat<T>): T | undefined {
        const p = join(this.dir, format.file);
        if (!existsSync(p)) return undefined;
        let text: string;
        try {
            text = readFileSync(p, "utf8");
        } catch (err) {
            throw new TaskFileError(this.taskId, format.file, p, { kind: "io", detail: (err as Error).message });
        }
        const d = format.decode(text);
        if (!d.ok) throw new TaskFileError(this.taskId, format.file, p, d.problem);
        return d.value;
    }

    private write<T>(format: TaskFileFormat<T>, value: T): void {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        writePrivate(join(this.dir, format.file), format.encode(value));
    }

    /** A spec or status naming another task would run or report that task under this one's id. */
    private ownedBy<T extends { taskId: string }>(format: TaskFileFormat<T>, value: T | undefined): T | undefined {
        if (value && value.taskId !== this.taskId) {
            throw new TaskFileError(this.taskId, format.file, join(this.dir, format.file), {
                kind: "invalid", path: ["taskId"], detail: `taskId: is "${value.taskId}", but the file is in the directory of task ${this.taskId}`,
            });
        }
        return value;
    }

    readSpec(): EngineTaskSpec | undefined {
        return this.ownedBy(specFile, this.read(specFile));
    }
    writeSpec(spec: EngineTaskSpec): void {
        this.write(specFile, spec);
    }
    readStatus(): TaskStatus | undefined {
        return this.ownedBy(statusFile, this.read(statusFile));
    }
    writeStatus(status: TaskStatus): void {
        this.write(statusFile, status);
    }
    readCheckpoint(): Checkpoint {
        return this.read(checkpointFile) ?? { precheckPassed: false, tables: {}, objectsDone: false };
    }
    writeCheckpoint(c: Checkpoint): void {
        this.write(checkpointFile, c);
    }
    /** Resolves once every write before it is durable: the files are written synchronously, so at once. */
    async persisted(): Promise<void> {}

    appendDirty(record: DirtyRecord): void {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        appendFileSync(join(this.dir, "dirty.jsonl"), JSON.stringify({ at: new Date().toISOString(), ...record }) + "\n", { mode: 0o600 });
    }

    log(line: string): void {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        appendFileSync(join(this.dir, "task.log"), `${new Date().toISOString()} ${line}\n`, { mode: 0o600 });
    }

    tailLog(lines = 100): string[] {
        const p = join(this.dir, "task.log");
        if (!existsSync(p)) return [];
        return readFileSync(p, "utf8").trimEnd().split("\n").slice(-lines);
    }

    remove(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }

    /**
     * remove(), keeping task.log in <home>/released: a create that fails is released at once,
     * and its log is what tells why. Only the log is kept, never spec.json (it holds the
     * connection secrets). The log is written redacted; it is redacted once more with the
     * spec's secrets for lines that were written without them (a task restored unreadable).
     * Returns the kept log's path.
     */
    removeKeepingLog(): string | undefined {
        const log = join(this.dir, "task.log");
        let kept: string | undefined;
        if (existsSync(log)) {
            try {
                mkdirSync(this.home.releasedDir, { recursive: true, mode: 0o700 });
                chmodSync(this.home.releasedDir, 0o700);
                kept = releasedLogPath(this.home, this.taskId);
                writePrivate(kept, redact(readFileSync(log, "utf8"), this.specSecrets()));
            } catch (err) {
                // Losing the log must not make the release fail: the task's files go either way.
                console.error(`${new Date().toISOString()} task ${this.taskId}: its log could not be kept: ${(err as Error).message}`);
                kept = undefined;
            }
        }
        this.remove();
        pruneReleasedLogs(this.home);
        return kept;
    }

    private specSecrets(): string[] {
        let spec: EngineTaskSpec | undefined;
        try {
            spec = this.readSpec();
        } catch {
            return [];
        }
        if (!spec) return [];
        const out: string[] = [];
        for (const c of [spec.source, spec.destination] as unknown as Record<string, unknown>[]) {
            for (const f of secretConnectionFields) if (typeof c?.[f] === "string" && c[f]) out.push(c[f] as string);
        }
        return out;
    }

    /** Ids of released tasks whose logs are kept, newest release first. */
    static released(home: EngineHome): string[] {
        return releasedLogs(home).map((l) => l.taskId);
    }

    /** The last lines of a task's log, or of the kept log of a released one; undefined when there is neither. */
    static findLog(home: EngineHome, taskId: string, lines = 100): TaskLog | undefined {
        const store = new TaskStore(home, taskId);
        if (store.exists()) return { state: "live", path: join(store.dir, "task.log"), lines: store.tailLog(lines) };
        const p = releasedLogPath(home, taskId);
        if (!existsSync(p)) return undefined;
        return {
            state: "released",
            path: p,
            lines: readFileSync(p, "utf8").trimEnd().split("\n").slice(-lines),
            releasedAt: statSync(p).mtime.toISOString(),
        };
    }
}

/** Names what is there, so a mistyped or long-gone task id is seen as such. */
export function unknownTaskMessage(home: EngineHome, taskId: string): string {
    const tasks = TaskStore.list(home);
    const released = TaskStore.released(home);
    return `no task ${taskId} in the engine home ${home.dir}, nor a kept log of a released task ${taskId}; ` +
        `known tasks: ${tasks.length ? tasks.join(", ") : "none"}` +
        (released.length ? `; released tasks with kept logs: ${released.join(", ")}` : "");
}

function releasedLogPath(home: EngineHome, taskId: string): string {
    return join(home.releasedDir, `${taskId}.log`);
}

function releasedLogs(home: EngineHome): { taskId: string; path: string; mtimeMs: number }[] {
    if (!existsSync(home.releasedDir)) return [];
    const out: { taskId: string; path: string; mtimeMs: number }[] = [];
    for (const f of readdirSync(home.releasedDir)) {
        if (!f.endsWith(".log")) continue;
        const path = join(home.releasedDir, f);
        try {
            out.push({ taskId: f.slice(0, -4), path, mtimeMs: statSync(path).mtimeMs });
        } catch {
            /* pruned meanwhile */
        }
    }
    return out.sort((a, b) => b.mtimeMs - a.mtimeMs);
}

/** Released logs older than RELEASED_LOG_DAYS go, and all but the newest RELEASED_LOGS_KEPT. */
function pruneReleasedLogs(home: EngineHome, now = Date.now()): void {
    releasedLogs(home).forEach((l, i) => {
        if (i >= RELEASED_LOGS_KEPT || now - l.mtimeMs > RELEASED_LOG_DAYS * 86_400_000) rmSync(l.path, { force: true });
    });
}
