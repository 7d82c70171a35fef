import type { Client } from "pg";
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
const FORMAT = 1;

export type DesiredState = "run" | "released";

export interface StoredTask {
    taskId: string;
    spec: EngineTaskSpec;
    generation: number;
    desired: DesiredState;
    status: unknown;
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
    constructor(private readonly db: Client, private readonly masterKey: Buffer) {}

    static async ensureSchema(db: Client): Promise<void> {
        await db.query(`CREATE TABLE IF NOT EXISTS ${TASK_TABLE} (
            task_id text PRIMARY KEY, format int NOT NULL, spec jsonb NOT NULL, generation bigint NOT NULL,
            desired text NOT NULL CHECK (desired IN ('run', 'released')), status jsonb, updated_at timestamptz NOT NULL DEFAULT now())`);
    }

    /**
     * Creates the task, or updates it when `ifGeneration` is the current generation.
     * Creating a task that exists with the same spec is idempotent (a retried CI run), and
     * returns the generation it has.
     */
    async put(spec: EngineTaskSpec, ifGeneration?: number): Promise<number> {
        const sealed = JSON.stringify(sealSpec(this.masterKey, spec));
        if (ifGeneration === undefined) {
            const created = await this.db.query<{ generation: string }>(
                `INSERT INTO ${TASK_TABLE} (task_id, format, spec, generation, desired) VALUES ($1, $2, $3::jsonb, 1, 'run')
                 ON CONFLICT (task_id) DO NOTHING RETURNING generation::text`, [spec.taskId, FORMAT, sealed]);
            if (created.rows.length) return 1;
            const existing = await this.get(spec.taskId);
            if (existing && JSON.stringify(existing.spec) === JSON.stringify(spec)) return existing.generation;
            throw new GenerationConflictError(spec.taskId, 0, existing?.generation ?? null);
        }
        const r = await this.db.query<{ generation: string }>(
            `UPDATE ${TASK_TABLE} SET spec = $2::jsonb, generation = generation + 1, updated_at = now() WHERE task_id = $1 AND generation = $3 RETURNING generation::text`,
            [spec.taskId, sealed, ifGeneration]);
        if (r.rows.length) return Number(r.rows[0].generation);
        throw new GenerationConflictError(spec.taskId, ifGeneration, (await this.get(spec.taskId))?.generation ?? null);
    }

    async get(taskId: string): Promise<StoredTask | null> {
        const r = await this.db.query<{ format: number; spec: unknown; generation: string; desired: DesiredState; status: unknown }>(
            `SELECT format, spec, generation::text, desired, status FROM ${TASK_TABLE} WHERE task_id = $1`, [taskId]);
        if (!r.rows.length) return null;
        const row = r.rows[0];
        if (row.format !== FORMAT) throw new Error(`task ${taskId} in ${TASK_TABLE} has row format ${row.format}, this service reads ${FORMAT}: run the version that wrote it`);
        return { taskId, spec: engineTaskSpecSchema.parse(openSpec(this.masterKey, row.spec as EngineTaskSpec)), generation: Number(row.generation), desired: row.desired, status: row.status };
    }

    /** The owner's latest status (no generation check: the owner writes only status). */
    async writeStatus(taskId: string, status: unknown): Promise<void> {
        await this.db.query(`UPDATE ${TASK_TABLE} SET status = $2::jsonb WHERE task_id = $1`, [taskId, JSON.stringify(status)]);
    }

    /** Marks the task released (idempotent); its owner stops it and the row goes once it has. */
    async release(taskId: string): Promise<boolean> {
        const r = await this.db.query(`UPDATE ${TASK_TABLE} SET desired = 'released', generation = generation + 1, updated_at = now() WHERE task_id = $1 AND desired <> 'released'`, [taskId]);
        return (r.rowCount ?? 0) > 0 || (await this.get(taskId)) !== null;
    }
}
