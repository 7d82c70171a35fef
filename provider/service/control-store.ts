import type { Queryable } from "./db";
import { checkpointSchema, taskStatusSchema } from "../engine/task-store-format";
import type { Checkpoint } from "../engine/task-store";
import type { DirtyRecord, TaskStatus } from "../engine/status";
import { HISTORY_INTERVAL_MS, HISTORY_KEPT_MS, type HistoryResult } from "../engine/metrics-history";
import { type EngineTaskSpec, engineTaskSpecSchema } from "../engine/task-store-format";
import type { PermanentFailure } from "../engine/retry";
import { openSpec, sealSpec } from "./sealed-secrets";

/**
 * The engine service's control database (issue 10 §2): task specs with their secrets
 * sealed, the state the user asked for (run or released), an optimistic generation that
 * keeps two concurrent `pulumi up`s from interleaving, and the status the owning replica
 * last wrote. Stream checkpoints stay in the destinations.
 *
 * Row format version 1; a row of another version is refused on read.
 */
export const TASK_TABLE = "dts_task";
/** A task's log lines and refused rows, as its owners wrote them (any replica can serve them). */
export const LOG_TABLE = "dts_task_log";
export const DIRTY_TABLE = "dts_task_dirty";
/** The charts' history (metrics-history.ts samples), written by the owner of the moment. */
export const SAMPLE_TABLE = "dts_task_sample";
const FORMAT = 1;

export type DesiredState = "run" | "released";

export interface StoredTask {
    taskId: string;
    spec: EngineTaskSpec;
    generation: number;
    desired: DesiredState;
    /** The token scope that created the task: only that scope (or "*") sees it. */
    scope: string;
    /** As the owner last wrote it; undefined before any owner ran the task. */
    status: TaskStatus | undefined;
    /** The owner's full-load progress, which a new owner resumes from. */
    checkpoint: Checkpoint | undefined;
}

/** A task as the service lists it: no spec (it holds the secrets, sealed or not). */
export interface TaskSummary {
    taskId: string;
    generation: number;
    desired: DesiredState;
    scope: string;
    status: TaskStatus | undefined;
}

/** A write that was made against a generation that is no longer the current one. */
export class GenerationConflictError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly taskId: string, readonly expected: number, readonly current: number | null) {
        super(current === null
            ? `task ${taskId} does not exist (expected generation ${expected})`
            : `task ${taskId} changed meanwhile (generation ${current}, this update was made against ${expected}): another pulumi up ran; refresh and try again`);
        this.name = "GenerationConflictError";
    }
}

export class ControlStore {
    constructor(private readonly db: Queryable, private readonly masterKey: Buffer) {}

    static async ensureSchema(db: Queryable): Promise<void> {
        await db.query(`CREATE TABLE IF NOT EXISTS ${TASK_TABLE} (
            task_id text PRIMARY KEY, format int NOT NULL, spec jsonb NOT NULL, generation bigint NOT NULL,
            desired text NOT NULL CHECK (desired IN ('run', 'released')), scope text NOT NULL DEFAULT '*',
            status jsonb, checkpoint jsonb, updated_at timestamptz NOT NULL DEFAULT now())`);
        await db.query(`CREATE TABLE IF NOT EXISTS ${LOG_TABLE} (
            seq bigserial PRIMARY KEY, task_id text NOT NULL, at timestamptz NOT NULL, line text NOT NULL)`);
        await db.query(`CREATE INDEX IF NOT EXISTS ${LOG_TABLE}_task ON ${LOG_TABLE} (task_id, seq)`);
        await db.query(`CREATE TABLE IF NOT EXISTS ${DIRTY_TABLE} (
            seq bigserial PRIMARY KEY, task_id text NOT NULL, at timestamptz NOT NULL, record jsonb NOT NULL)`);
        await db.query(`CREATE INDEX IF NOT EXISTS ${DIRTY_TABLE}_task ON ${DIRTY_TABLE} (task_id, seq)`);
        await db.query(`CREATE TABLE IF NOT EXISTS ${SAMPLE_TABLE} (
            task_id text NOT NULL, t bigint NOT NULL, latency_seconds double precision, changes_per_second double precision NOT NULL,
            rows_per_second double precision NOT NULL, PRIMARY KEY (task_id, t))`);
    }

    /** The task's samples of the last HISTORY_KEPT_MS, oldest first, as the local engine's history method answers. */
    async history(taskId: string, now = Date.now()): Promise<HistoryResult> {
        const r = await this.db.query<{ t: string; latency_seconds: number | null; changes_per_second: number; rows_per_second: number }>(
            `SELECT t::text, latency_seconds, changes_per_second, rows_per_second FROM ${SAMPLE_TABLE} WHERE task_id = $1 AND t >= $2 ORDER BY t`,
            [taskId, now - HISTORY_KEPT_MS]);
        return {
            taskId, intervalSeconds: HISTORY_INTERVAL_MS / 1000, keptSeconds: HISTORY_KEPT_MS / 1000,
            samples: r.rows.map((x) => ({ t: Number(x.t), latencySeconds: x.latency_seconds, changesPerSecond: x.changes_per_second, rowsPerSecond: x.rows_per_second })),
        };
    }

    /** Samples older than the charts show go (any replica may run it; it is idempotent). */
    async pruneHistory(now = Date.now()): Promise<void> {
        await this.db.query(`DELETE FROM ${SAMPLE_TABLE} WHERE t < $1`, [now - HISTORY_KEPT_MS]);
    }

    /**
     * Creates the task, or updates it when `ifGeneration` is the current generation.
     * Creating a task that exists with the same spec is idempotent (a retried CI run), and
     * returns the generation it has.
     */
    async put(spec: EngineTaskSpec, ifGeneration?: number, scope = "*"): Promise<number> {
        const sealed = JSON.stringify(sealSpec(this.masterKey, spec));
        if (ifGeneration === undefined) {
            const created = await this.db.query<{ generation: string }>(
                `INSERT INTO ${TASK_TABLE} (task_id, format, spec, generation, desired, scope) VALUES ($1, $2, $3::jsonb, 1, 'run', $4)
                 ON CONFLICT (task_id) DO NOTHING RETURNING generation::text`, [spec.taskId, FORMAT, sealed, scope]);
            if (created.rows.length) return 1;
            const existing = await this.get(spec.taskId);
            if (existing && existing.desired === "run" && JSON.stringify(existing.spec) === JSON.stringify(spec)) return existing.generation;
            throw new GenerationConflictError(spec.taskId, 0, existing?.generation ?? null);
        }
        const r = await this.db.query<{ generation: string }>(
            `UPDATE ${TASK_TABLE} SET spec = $2::jsonb, generation = generation + 1, updated_at = now() WHERE task_id = $1 AND generation = $3 AND desired = 'run' RETURNING generation::text`,
            [spec.taskId, sealed, ifGeneration]);
        if (r.rows.length) return Number(r.rows[0].generation);
        throw new GenerationConflictError(spec.taskId, ifGeneration, (await this.get(spec.taskId))?.generation ?? null);
    }

    async get(taskId: string): Promise<StoredTask | null> {
        const r = await this.db.query<{ format: number; spec: unknown; generation: string; desired: DesiredState; scope: string; status: unknown; checkpoint: unknown }>(
            `SELECT format, spec, generation::text, desired, scope, status, checkpoint FROM ${TASK_TABLE} WHERE task_id = $1`, [taskId]);
        if (!r.rows.length) return null;
        const row = r.rows[0];
        if (row.format !== FORMAT) throw new Error(`task ${taskId} in ${TASK_TABLE} has row format ${row.format}, this service reads ${FORMAT}: run the version that wrote it`);
        return {
            taskId, spec: engineTaskSpecSchema.parse(openSpec(this.masterKey, row.spec as EngineTaskSpec)), generation: Number(row.generation),
            desired: row.desired, scope: row.scope, status: parsedStatus(taskId, row.status),
            checkpoint: row.checkpoint === null ? undefined : checkpointSchema.parse(row.checkpoint),
        };
    }

    /** Every task (or those of a scope), without specs. */
    async list(scope?: string): Promise<TaskSummary[]> {
        const r = await this.db.query<{ task_id: string; generation: string; desired: DesiredState; scope: string; status: unknown }>(
            `SELECT task_id, generation::text, desired, scope, status FROM ${TASK_TABLE}` + (scope ? " WHERE scope = $1" : "") + " ORDER BY task_id",
            scope ? [scope] : []);
        return r.rows.map((x) => ({ taskId: x.task_id, generation: Number(x.generation), desired: x.desired, scope: x.scope, status: parsedStatus(x.task_id, x.status) }));
    }

    /** Generations and desired states of every task: what a replica polls each second (small rows, one statement). */
    async versions(): Promise<Map<string, { generation: number; desired: DesiredState }>> {
        const r = await this.db.query<{ task_id: string; generation: string; desired: DesiredState }>(`SELECT task_id, generation::text, desired FROM ${TASK_TABLE}`);
        return new Map(r.rows.map((x) => [x.task_id, { generation: Number(x.generation), desired: x.desired }]));
    }

    /** The task's last log lines, oldest first. */
    async logs(taskId: string, lines: number): Promise<string[]> {
        const r = await this.db.query<{ at: Date; line: string }>(
            `SELECT at, line FROM (SELECT seq, at, line FROM ${LOG_TABLE} WHERE task_id = $1 ORDER BY seq DESC LIMIT $2) x ORDER BY seq`, [taskId, lines]);
        return r.rows.map((x) => `${x.at.toISOString()} ${x.line}`);
    }

    /** A released task's rows go, once its owner has stopped it and released its stream. */
    async remove(taskId: string): Promise<void> {
        await this.db.query(`DELETE FROM ${TASK_TABLE} WHERE task_id = $1 AND desired = 'released'`, [taskId]);
        await this.db.query(`DELETE FROM ${LOG_TABLE} WHERE task_id = $1`, [taskId]);
        await this.db.query(`DELETE FROM ${DIRTY_TABLE} WHERE task_id = $1`, [taskId]);
        await this.db.query(`DELETE FROM ${SAMPLE_TABLE} WHERE task_id = $1`, [taskId]);
    }

    /** Refused rows as the owner logged them; oldest first. */
    async dirty(taskId: string, limit: number): Promise<DirtyRecord[]> {
        const r = await this.db.query<{ record: DirtyRecord }>(`SELECT record FROM ${DIRTY_TABLE} WHERE task_id = $1 ORDER BY seq LIMIT $2`, [taskId, limit]);
        return r.rows.map((x) => x.record);
    }

    /** Marks the task released (idempotent); its owner stops it and the row goes once it has. */
    async release(taskId: string): Promise<boolean> {
        const r = await this.db.query(`UPDATE ${TASK_TABLE} SET desired = 'released', generation = generation + 1, updated_at = now() WHERE task_id = $1 AND desired <> 'released'`, [taskId]);
        return (r.rowCount ?? 0) > 0 || (await this.get(taskId)) !== null;
    }
}

/** A status row that does not parse is shown as missing, not trusted (another version wrote it). */
function parsedStatus(taskId: string, raw: unknown): TaskStatus | undefined {
    if (raw === null || raw === undefined) return undefined;
    const p = taskStatusSchema.safeParse(raw);
    if (!p.success) {
        console.error(`${new Date().toISOString()} task ${taskId}: its status row does not parse (${p.error.issues[0]?.message}); shown as none`);
        return undefined;
    }
    return p.data;
}
