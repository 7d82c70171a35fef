import type { PermanentFailure } from "./retry";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type EngineHome, writePrivate } from "./home";
import type { DirtyRecord, TaskStatus } from "./status";
import { type Checkpoint, checkpointFile, type EngineTaskSpec, specFile, statusFile, type TaskFileFormat, type TaskFileName } from "./task-store-format";
import type { FormatProblem } from "./versioned-json";

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
}
