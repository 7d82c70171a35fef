import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type EngineHome, writePrivate } from "./home";
import type { TaskStatus } from "./status";
import { taskIdSchema } from "./task-store-format";
import { decodeVersioned, type FormatProblem, type VersionedFormat } from "./versioned-json";

/**
 * A short history of each task's latency and throughput, for charts over the last hours
 * (the dashboard). metrics.prom only holds the present: a scraper keeps its own history, a
 * user without one has none. The engine observes every running task each second and keeps
 * one sample per interval, in memory and in <task dir>/history.json, so an engine restart
 * (a crash, an upgrade) keeps the charts. The file goes with the task when it is released.
 */

export const HISTORY_INTERVAL_MS = 10_000;
/** Samples are kept at least this long (a little more: the pruning runs as samples arrive). */
export const HISTORY_KEPT_MS = 6 * 3_600_000;

export interface HistorySample {
    /** End of the interval (ms since the epoch). */
    t: number;
    /** The highest latency seen during the interval; null while the task has no stream (full load). */
    latencySeconds: number | null;
    /** Changes applied by the stream, averaged over the interval. */
    changesPerSecond: number;
    /** Rows copied by the full load, averaged over the interval. */
    rowsPerSecond: number;
}

/** The control method `history`'s answer. */
export const historyResultSchema = z.object({
    taskId: taskIdSchema,
    intervalSeconds: z.number().positive(),
    keptSeconds: z.number().positive(),
    samples: z.array(z.object({
        t: z.number(),
        latencySeconds: z.number().nullable(),
        changesPerSecond: z.number(),
        rowsPerSecond: z.number(),
    })),
});
export type HistoryResult = z.output<typeof historyResultSchema>;

/**
 * history.json, version 1: `{ version, taskId, samples: [[t, latencySeconds | null,
 * changesPerSecond, rowsPerSecond], …] }`, oldest first. Tuples, not objects: six hours of
 * samples are rewritten every interval, and field names would be most of the file.
 */
const HISTORY_FORMAT_VERSION = 1;
const sampleTupleSchema = z.tuple([z.number().int().nonnegative(), z.number().nonnegative().nullable(), z.number().nonnegative(), z.number().nonnegative()]);
const historyFileFormat: VersionedFormat<z.ZodType<{ version: number; taskId: string; samples: z.output<typeof sampleTupleSchema>[] }>> = {
    version: HISTORY_FORMAT_VERSION,
    schema: z.object({ version: z.literal(HISTORY_FORMAT_VERSION), taskId: taskIdSchema, samples: z.array(sampleTupleSchema) }),
    // No engine wrote history before the format had versions: an unversioned file is refused as it is.
    legacy: (raw) => raw,
};

export const HISTORY_FILE = "history.json";

export function encodeHistory(taskId: string, samples: readonly HistorySample[]): string {
    const tuples = samples.map((s) => [s.t, s.latencySeconds, s.changesPerSecond, s.rowsPerSecond]);
    return JSON.stringify({ version: HISTORY_FORMAT_VERSION, taskId, samples: tuples });
}

export type DecodedHistory = { ok: true; samples: HistorySample[] } | { ok: false; problem: FormatProblem };

/** Reads a history file of `taskId`; one naming another task is refused like a damaged one. */
export function decodeHistory(text: string, taskId: string): DecodedHistory {
    const d = decodeVersioned(text, historyFileFormat);
    if (!d.ok) return d;
    if (d.value.taskId !== taskId) {
        return { ok: false, problem: { kind: "invalid", path: ["taskId"], detail: `taskId: is "${d.value.taskId}", but the file is in the directory of task ${taskId}` } };
    }
    const samples = d.value.samples.map(([t, latencySeconds, changesPerSecond, rowsPerSecond]) => ({ t, latencySeconds, changesPerSecond, rowsPerSecond }));
    // Sorted here rather than refused: order is ours to restore, and a clock stepped back must not lose the file.
    return { ok: true, samples: samples.sort((a, b) => a.t - b.t) };
}

/** The interval being accumulated: the counters at its start and the worst latency so far. */
interface OpenInterval {
    start: number;
    changes: number | undefined;
    rows: number;
    maxLatency: number | null;
}

/** A rate from two readings of a counter; the status's own rate when the counter went back (a table loaded again). */
function rate(now: number, then: number | undefined, seconds: number, fallback: number): number {
    if (then === undefined || now < then || seconds <= 0) return Math.max(0, Math.round(fallback));
    return Math.round((now - then) / seconds);
}

/** One task's samples and its open interval. */
export class TaskHistory {
    private open: OpenInterval | undefined;

    constructor(readonly samples: HistorySample[], private readonly intervalMs: number, private readonly keptMs: number) {}

    /**
     * Takes one reading of the task's status; returns the sample it completed, if any. The
     * first reading in this process makes a sample at once from the status's own rates, so a
     * (re)started engine shows on the charts without waiting a whole interval.
     */
    observe(status: TaskStatus, now: number): HistorySample | undefined {
        const inc = status.incremental;
        const latency = inc ? inc.latencySeconds : null;
        const changes = inc?.changesApplied;
        const first = this.open === undefined;
        const open = this.open ?? { start: now, changes, rows: status.rowsCopied, maxLatency: latency };
        if (latency !== null) open.maxLatency = Math.max(open.maxLatency ?? 0, latency);
        if (!first && now - open.start < this.intervalMs) {
            this.open = open;
            return undefined;
        }
        const seconds = (now - open.start) / 1000;
        const sample: HistorySample = {
            t: now,
            latencySeconds: open.maxLatency,
            changesPerSecond: first || changes === undefined ? Math.round(inc?.changesPerSecond ?? 0) : rate(changes, open.changes, seconds, inc?.changesPerSecond ?? 0),
            rowsPerSecond: first ? Math.round(status.rowsPerSecond) : rate(status.rowsCopied, open.rows, seconds, status.rowsPerSecond),
        };
        this.samples.push(sample);
        while (this.samples.length && this.samples[0].t < now - this.keptMs) this.samples.shift();
        this.open = { start: now, changes, rows: status.rowsCopied, maxLatency: latency };
        return sample;
    }
}

export interface MetricsHistoryOptions {
    intervalMs?: number;
    keptMs?: number;
    /** Where problems with a history file are told (the engine's log). */
    warn?: (line: string) => void;
}

/** Every task's history in one engine: loaded from the task's file on first use. */
export class MetricsHistory {
    private readonly tasks = new Map<string, TaskHistory>();
    private readonly intervalMs: number;
    private readonly keptMs: number;
    private readonly warn: (line: string) => void;

    constructor(private readonly home: EngineHome, opts: MetricsHistoryOptions = {}) {
        this.intervalMs = opts.intervalMs ?? HISTORY_INTERVAL_MS;
        this.keptMs = opts.keptMs ?? HISTORY_KEPT_MS;
        this.warn = opts.warn ?? ((line) => console.error(`${new Date().toISOString()} ${line}`));
    }

    private file(taskId: string): string {
        return join(this.home.tasksDir, taskId, HISTORY_FILE);
    }

    private task(taskId: string): TaskHistory {
        let h = this.tasks.get(taskId);
        if (!h) {
            h = new TaskHistory(this.load(taskId), this.intervalMs, this.keptMs);
            this.tasks.set(taskId, h);
        }
        return h;
    }

    /** A file that cannot be read costs the charts their past, never the task: it is told and started afresh. */
    private load(taskId: string): HistorySample[] {
        const p = this.file(taskId);
        if (!existsSync(p)) return [];
        let text: string;
        try {
            text = readFileSync(p, "utf8");
        } catch (err) {
            this.warn(`task ${taskId}: ${HISTORY_FILE} (${p}) cannot be read: ${(err as Error).message}; its charts start afresh`);
            return [];
        }
        const d = decodeHistory(text, taskId);
        if (!d.ok) {
            this.warn(`task ${taskId}: ${HISTORY_FILE} (${p}) cannot be read: ${d.problem.detail}; its charts start afresh`);
            return [];
        }
        return d.samples;
    }

    /** One reading of a running task; the file is rewritten when the reading completes a sample. */
    observe(status: TaskStatus, now = Date.now()): void {
        const h = this.task(status.taskId);
        if (!h.observe(status, now)) return;
        // A task released meanwhile has no directory: writing would bring a stray one back.
        if (existsSync(join(this.home.tasksDir, status.taskId))) writePrivate(this.file(status.taskId), encodeHistory(status.taskId, h.samples));
    }

    result(taskId: string, now = Date.now()): HistoryResult {
        return {
            taskId,
            intervalSeconds: this.intervalMs / 1000,
            keptSeconds: this.keptMs / 1000,
            samples: this.task(taskId).samples.filter((s) => s.t >= now - this.keptMs),
        };
    }

    /** A released task's history is gone with its directory; this drops it from memory. */
    forget(taskId: string): void {
        this.tasks.delete(taskId);
    }
}
