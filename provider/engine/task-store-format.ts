import { z } from "zod";
import { connectionArgsSchema } from "../../sdk/schema/connection";
import { taskArgsSchema } from "../../sdk/schema/task";
import type { BinlogPosition } from "./model";
import type { TaskStatus } from "./status";
import { type Decoded, decodeVersioned, type VersionedFormat } from "./versioned-json";

/**
 * The files a task keeps in the engine home (spec.json, status.json, checkpoint.json),
 * validated on read: an engine reads the files its predecessor wrote, and refuses, naming
 * the file and field, what it cannot.
 *
 * Version 0 (engine 0.1.0, before versions): the object itself.
 * Version 1: the same object with `"version": 1` among its fields. Not wrapped, so an engine
 * of version 0, which ignores fields it does not know, still reads files of version 1 (a
 * downgrade keeps its tasks), as do scripts that read a field of them.
 */

/** Names a directory under the engine home and a row of the destination's checkpoint table (VARCHAR(64)). */
export const taskIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "must be 1-64 letters, digits, '-' or '_', starting with a letter or digit");

export const binlogPositionSchema = z.object({
    file: z.string(),
    position: z.number().int().nonnegative(),
    gtid: z.string().optional(),
});

const engineConnectionSchema = z.intersection(connectionArgsSchema, z.object({ connectionId: z.string().min(1) }));

/** What the engine runs: the validated task and both connections (with their secrets). */
export const engineTaskSpecSchema = z.object({
    taskId: taskIdSchema,
    task: taskArgsSchema,
    source: engineConnectionSchema,
    destination: engineConnectionSchema,
});
export type EngineTaskSpec = z.output<typeof engineTaskSpecSchema>;

const chunkCheckpointSchema = z.object({
    /** Key range [lo, hi) as decimal strings; null = unbounded. */
    lo: z.string().nullable(),
    hi: z.string().nullable(),
    state: z.enum(["pending", "started", "done"]),
    rows: z.number().int().nonnegative(),
    /**
     * What the destination's bulk sink recorded before it made the chunk's rows visible (a
     * MaxCompute upload session about to be committed): given back to it when the chunk is
     * redone, so a sink that cannot remove rows can tell whether its commit happened.
     */
    sinkState: z.string().optional(),
});
export type ChunkCheckpoint = z.output<typeof chunkCheckpointSchema>;
export type ChunkState = ChunkCheckpoint["state"];

const tableCheckpointSchema = z.object({
    schemaDone: z.boolean(),
    chunks: z.array(chunkCheckpointSchema).nullable(),
    indexesDone: z.boolean(),
});
export type TableCheckpoint = z.output<typeof tableCheckpointSchema>;

/** Progress that survives an engine restart. */
export const checkpointSchema = z.object({
    precheckPassed: z.boolean(),
    /** The task's snapshot was opened and its chunks planned (position recorded when the source has a binlog). */
    snapshotTaken: z.boolean().optional(),
    snapshotPosition: binlogPositionSchema.optional(),
    /** By `database.table` at the source. */
    tables: z.record(z.string(), tableCheckpointSchema),
    objectsDone: z.boolean(),
    /**
     * Whole databases the incremental stream follows, set when it first starts: a table of
     * these that is not in `tables` was created on the source after the stream's position,
     * and the stream creates it when it reaches the CREATE TABLE (no precheck, no full load).
     */
    streamDatabases: z.array(z.string()).optional(),
    /**
     * Incremental migration was added by an update after the full load had run without it: the
     * stream starts at the load's snapshot position, which keyed tables replay idempotently
     * and keyless ones cannot (their copy was not read at that exact position).
     */
    streamAddedAfterLoad: z.boolean().optional(),
});
export type Checkpoint = z.output<typeof checkpointSchema>;

const precheckItemSchema = z.object({
    id: z.string(),
    title: z.string(),
    outcome: z.enum(["passed", "alert", "failed"]),
    object: z.string().optional(),
    detail: z.string().optional(),
    fix: z.string().optional(),
    ignored: z.boolean().optional(),
});

const tableProgressSchema = z.object({
    source: z.string(),
    target: z.string(),
    state: z.enum(["pending", "schema", "copying", "indexing", "done", "failed"]),
    rowsCopied: z.number(),
    rowsEstimated: z.number(),
    chunksDone: z.number(),
    chunksTotal: z.number(),
    error: z.string().optional(),
});

const dirtyRecordSchema = z.object({ table: z.string(), key: z.string(), error: z.string() });

const incrementalStatusSchema = z.object({
    position: binlogPositionSchema.optional(),
    sourcePosition: binlogPositionSchema.optional(),
    latencySeconds: z.number(),
    caughtUp: z.boolean(),
    changesApplied: z.number(),
    transactionsApplied: z.number(),
    changesPerSecond: z.number(),
    lastSourceTime: z.number().optional(),
    oldestPendingTime: z.number().optional(),
    skippedStatements: z.array(z.string()),
    heartbeatLagMs: z.number().optional(),
    heartbeatError: z.string().optional(),
});

/** TaskStatus (status.ts, where its fields are described) as status.json holds it. */
export const taskStatusSchema = z.object({
    taskId: taskIdSchema,
    phase: z.enum(["prechecking", "precheck-failed", "migrating-schema", "migrating-full", "completed", "running", "failed", "released"]),
    precheck: z.object({ passed: z.boolean(), items: z.array(precheckItemSchema) }).optional(),
    tables: z.array(tableProgressSchema),
    snapshotPosition: binlogPositionSchema.optional(),
    rowsCopied: z.number(),
    rowsPerSecond: z.number(),
    incremental: incrementalStatusSchema.optional(),
    dirtyRows: z.number(),
    dirtySample: z.array(dirtyRecordSchema),
    notes: z.array(z.string()),
    error: z.string().optional(),
    retrying: z.object({
        kind: z.enum(["connection", "other"]),
        error: z.string(),
        since: z.string(),
        windowEndsAt: z.string(),
        attempts: z.number().int().nonnegative(),
    }).optional(),
    startedAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().optional(),
});

/**
 * Identical types, not merely assignable: an optional field added to TaskStatus but not to
 * its schema would pass an assignability check and then be dropped by every read. When this
 * fails, a field of TaskStatus (or of a type it holds) is missing here or differs.
 */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Expect<T extends true> = T;
export type StatusSchemaMatchesTaskStatus = Expect<Same<z.output<typeof taskStatusSchema>, TaskStatus>>;
export type PositionSchemaMatchesBinlogPosition = Expect<Same<z.output<typeof binlogPositionSchema>, BinlogPosition>>;

export type TaskFileName = "spec.json" | "status.json" | "checkpoint.json";

/** One task file's format: what this engine writes, and how it reads what any engine wrote. */
export interface TaskFileFormat<T> {
    file: TaskFileName;
    version: number;
    encode(value: T): string;
    decode(text: string): Decoded<T>;
}

function taskFile<S extends z.ZodObject>(file: TaskFileName, version: number, payload: S): TaskFileFormat<z.output<S>> {
    const format: VersionedFormat<z.ZodType> = {
        version,
        schema: payload.extend({ version: z.literal(version) }),
        legacy: (raw) => (raw !== null && typeof raw === "object" && !Array.isArray(raw) ? { ...raw, version } : raw),
    };
    return {
        file,
        version,
        encode: (value) => JSON.stringify({ version, ...value }, null, 1),
        decode: (text) => {
            const d = decodeVersioned(text, format);
            if (!d.ok) return d;
            const { version: _, ...value } = d.value as z.output<S> & { version: number };
            return { ok: true, value: value as z.output<S> };
        },
    };
}

export const specFile = taskFile("spec.json", 1, engineTaskSpecSchema);
export const statusFile = taskFile("status.json", 1, taskStatusSchema);
export const checkpointFile = taskFile("checkpoint.json", 1, checkpointSchema);
