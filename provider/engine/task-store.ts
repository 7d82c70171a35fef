import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ConnectionSpec } from "../../sdk/schema/connection";
import type { TaskSpec } from "../../sdk/schema/task";
import { type EngineHome, writePrivate } from "./home";
import type { BinlogPosition } from "./model";
import type { DirtyRecord, TaskStatus } from "./status";

/** What the engine runs: the validated task and both connections (with their secrets). */
export interface EngineTaskSpec {
    taskId: string;
    task: TaskSpec;
    source: ConnectionSpec & { connectionId: string };
    destination: ConnectionSpec & { connectionId: string };
}

export type ChunkState = "pending" | "started" | "done";

export interface ChunkCheckpoint {
    /** Key range [lo, hi) as decimal strings; null = unbounded. */
    lo: string | null;
    hi: string | null;
    state: ChunkState;
    rows: number;
}

export interface TableCheckpoint {
    schemaDone: boolean;
    chunks: ChunkCheckpoint[] | null;
    indexesDone: boolean;
}

/** Progress that survives an engine restart. */
export interface Checkpoint {
    precheckPassed: boolean;
    /** The task's snapshot was opened and its chunks planned (position recorded when the source has a binlog). */
    snapshotTaken?: boolean;
    snapshotPosition?: BinlogPosition;
    tables: Record<string, TableCheckpoint>;
    objectsDone: boolean;
    /**
     * Whole databases the incremental stream follows, set when it first starts: a table of
     * these that is not in `tables` was created on the source after the stream's position,
     * and the stream creates it when it reaches the CREATE TABLE (no precheck, no full load).
     */
    streamDatabases?: string[];
}

/**
 * A task's files under the engine home: spec.json (holds secrets: 0600 in a 0700 dir),
 * status.json, checkpoint.json, dirty.jsonl (rows refused under the skip policy), task.log.
 */
export class TaskStore {
    readonly dir: string;

    constructor(home: EngineHome, readonly taskId: string) {
        this.dir = join(home.tasksDir, taskId);
    }

    static list(home: EngineHome): string[] {
        if (!existsSync(home.tasksDir)) return [];
        return readdirSync(home.tasksDir).filter((d) => existsSync(join(home.tasksDir, d, "spec.json")));
    }

    exists(): boolean {
        return existsSync(join(this.dir, "spec.json"));
    }

    private read<T>(name: string): T | undefined {
        const p = join(this.dir, name);
        return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as T) : undefined;
    }

    private write(name: string, value: unknown): void {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        writePrivate(join(this.dir, name), JSON.stringify(value, null, 1));
    }

    readSpec(): EngineTaskSpec | undefined {
        return this.read("spec.json");
    }
    writeSpec(spec: EngineTaskSpec): void {
        this.write("spec.json", spec);
    }
    readStatus(): TaskStatus | undefined {
        return this.read("status.json");
    }
    writeStatus(status: TaskStatus): void {
        this.write("status.json", status);
    }
    readCheckpoint(): Checkpoint {
        return this.read<Checkpoint>("checkpoint.json") ?? { precheckPassed: false, tables: {}, objectsDone: false };
    }
    writeCheckpoint(c: Checkpoint): void {
        this.write("checkpoint.json", c);
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
