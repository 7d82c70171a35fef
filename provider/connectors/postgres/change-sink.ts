import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Client } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { PostgresConnectionSpec } from "../../../sdk/schema/connection";
import { CHECKPOINT_TABLE, type ChangeBatch, FENCE_TABLE, METADATA_SCHEMA, type StateChangeSink, type StreamCheckpoint } from "../../engine/change-sink";
import { applyBatchChanges } from "../sql/change-isolation";
import { keyIndexesOf, keyString, type StateChange } from "../../engine/incremental/change-model";
import type { SourceRow, TableMapping } from "../../engine/model";
import { DataRejectedError, RowNotFoundError } from "../../engine/sink";
import type { FencedCheckpointStore } from "../../engine/checkpoint-store";
import { type FenceQuery, SqlFence } from "../sql/fence";
import { CHECKPOINT_COLUMNS, checkpointFromRow, type CheckpointRow, checkpointValues } from "../sql/checkpoint-row";
import { connectPostgres } from "./connect";
import { isDataError } from "./errors";
import { makeRowEncoder, UnencodableValueError } from "./copy-encoder";
import { qualified, quoteIdent } from "./identifiers";

const checkpointTable = qualified(METADATA_SCHEMA, CHECKPOINT_TABLE);
const fenceTable = qualified(METADATA_SCHEMA, FENCE_TABLE);

/** Per destination table: statements and staging tables, prepared once per session. */
interface TablePlan {
    table: string;
    cols: string;
    encode: (r: SourceRow) => string;
    keyIndexes: number[] | null;
    /** Temp tables (same columns as the target) that COPY fills for a run. */
    rowStage: string;
    upsertSql: string;
    deleteSql: string;
    keylessDeleteSql: string;
}

/**
 * Applies row changes with COPY into session temp tables and one set-based statement per
 * run of same-kind changes to a table (INSERT … ON CONFLICT (key) DO UPDATE for upserts,
 * DELETE … USING for deletes), so values go through the same COPY encoder as the full
 * load. A run never holds the same key twice (the last image wins, as the source's order
 * says), because ON CONFLICT cannot touch a row twice in one statement.
 */
export class PostgresChangeSink implements StateChangeSink {
    private readonly plans = new Map<TableMapping, TablePlan>();
    private stageSeq = 0;

    private constructor(private readonly client: Client) {}

    static async open(spec: PostgresConnectionSpec): Promise<PostgresChangeSink> {
        const client = await connectPostgres(spec);
        await client.query("SET TIME ZONE 'UTC'");
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(METADATA_SCHEMA)}`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${checkpointTable} (
            task_id text PRIMARY KEY, binlog_file text NOT NULL, binlog_position bigint NOT NULL,
            gtid text, source_time timestamptz, applied_at timestamptz NOT NULL DEFAULT now())`);
        // Columns added after the first release: checkpoint tables created by it lack them.
        await client.query(`ALTER TABLE ${checkpointTable} ADD COLUMN IF NOT EXISTS stream_schema jsonb, ADD COLUMN IF NOT EXISTS resume_file text, ADD COLUMN IF NOT EXISTS resume_position bigint`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${fenceTable} (task_id text PRIMARY KEY, epoch bigint NOT NULL)`);
        return new PostgresChangeSink(client);
    }

    readonly shape = "state";
    readonly atomicCheckpoint = true;
    private readonly fence = new SqlFence({
        ensureRow: `INSERT INTO ${fenceTable} (task_id, epoch) VALUES ($1, 0) ON CONFLICT DO NOTHING`,
        selectForUpdate: `SELECT epoch::text AS epoch FROM ${fenceTable} WHERE task_id = $1 FOR UPDATE`,
        update: `UPDATE ${fenceTable} SET epoch = $1 WHERE task_id = $2`,
        selectShared: `SELECT epoch::text AS epoch FROM ${fenceTable} WHERE task_id = $1 FOR SHARE`,
    });
    private readonly fenceQuery: FenceQuery = async (sql, params) => (await this.client.query<{ epoch: unknown }>(sql, params)).rows;

    /** The checkpoint row; written alone it is its own transaction, else within the batch's. */
    readonly checkpoints: FencedCheckpointStore = {
        read: async (taskId) => {
            const r = await this.client.query<CheckpointRow>(
                `SELECT binlog_file, binlog_position::text AS binlog_position, gtid, extract(epoch from source_time) * 1000 AS source_time, stream_schema::text AS stream_schema,
                 resume_file, resume_position::text AS resume_position FROM ${checkpointTable} WHERE task_id = $1`, [taskId]);
            return r.rows.length === 0 ? null : checkpointFromRow(taskId, r.rows[0]);
        },
        write: (taskId, c) => this.inTransaction(() => this.writeCheckpoint(taskId, c)),
        claim: async (taskId, epoch) => {
            let held = 0;
            await this.inTransaction(async () => {
                held = await this.fence.claim(this.fenceQuery, taskId, epoch);
            });
            return held;
        },
    };

    private checkFence(taskId: string): Promise<void> {
        return this.fence.check(this.fenceQuery, taskId);
    }

    private async writeCheckpoint(taskId: string, c: StreamCheckpoint): Promise<void> {
        await this.checkFence(taskId);
        // $5 is source_time in ms, $6 stream_schema (CHECKPOINT_COLUMNS' order).
        const values = CHECKPOINT_COLUMNS.map((_, i) => (i === 4 ? "to_timestamp($5 / 1000.0)" : i === 5 ? "$6::jsonb" : `$${i + 1}`));
        await this.client.query(
            `INSERT INTO ${checkpointTable} (${CHECKPOINT_COLUMNS.join(", ")}, applied_at) VALUES (${values.join(", ")}, now())
             ON CONFLICT (task_id) DO UPDATE SET binlog_file = EXCLUDED.binlog_file, binlog_position = EXCLUDED.binlog_position, gtid = EXCLUDED.gtid, source_time = EXCLUDED.source_time, applied_at = EXCLUDED.applied_at,
             stream_schema = COALESCE(EXCLUDED.stream_schema, ${checkpointTable}.stream_schema), resume_file = EXCLUDED.resume_file, resume_position = EXCLUDED.resume_position`,
            checkpointValues(taskId, c),
        );
    }

    async truncate(taskId: string, mapping: TableMapping, checkpoint: StreamCheckpoint): Promise<void> {
        await this.inTransaction(async () => {
            await this.client.query(`TRUNCATE ${qualified(mapping.targetSchema, mapping.targetTable)}`);
            await this.writeCheckpoint(taskId, checkpoint);
        });
    }

    async applyDdl(taskId: string, statements: string[], checkpoint: StreamCheckpoint): Promise<void> {
        await this.inTransaction(async () => {
            for (const sql of statements) await this.client.query(sql);
            await this.writeCheckpoint(taskId, checkpoint);
        });
        // Staging tables copy the old column list.
        for (const p of this.plans.values()) await this.client.query(`DROP TABLE IF EXISTS ${p.rowStage}`).catch(() => undefined);
        this.plans.clear();
    }

    async apply(taskId: string, batch: ChangeBatch): Promise<void> {
        await this.inTransaction(async () => {
            await applyBatchChanges(batch, (run) => this.applyRun(run), {
                query: (sql) => this.client.query(sql),
                refused: (err) => err instanceof UnencodableValueError || err instanceof RowNotFoundError || isDataError(err),
                // Staging tables are created outside the savepoint, so a rollback to it keeps them.
                prepare: async (c) => void (await this.plan(c.mapping)),
            });
            await this.writeCheckpoint(taskId, batch.checkpoint);
        });
    }

    private async inTransaction(body: () => Promise<void>): Promise<void> {
        await this.client.query("BEGIN");
        try {
            await body();
            await this.client.query("COMMIT");
        } catch (err) {
            await this.client.query("ROLLBACK").catch(() => undefined);
            // Staging tables created in the rolled-back transaction are gone with it.
            this.plans.clear();
            if (err instanceof UnencodableValueError || err instanceof RowNotFoundError || isDataError(err)) throw new DataRejectedError((err as Error).message, "");
            throw err;
        }
    }

    private async plan(m: TableMapping): Promise<TablePlan> {
        const existing = this.plans.get(m);
        if (existing) return existing;
        const table = qualified(m.targetSchema, m.targetTable);
        const targets = m.columns.map((c) => quoteIdent(c.target));
        const cols = targets.join(", ");
        const keyIndexes = keyIndexesOf(m);
        const rowStage = quoteIdent(`dts_rows_${++this.stageSeq}`);
        // Same column types as the target, so COPY parses values exactly as the full load's COPY did.
        await this.client.query(`CREATE TEMP TABLE ${rowStage} AS SELECT ${cols} FROM ${table} WITH NO DATA`);
        const keyCols = keyIndexes ? keyIndexes.map((i) => targets[i]) : [];
        const nonKey = targets.filter((_, i) => !keyIndexes?.includes(i));
        const upsertSql = keyIndexes
            ? `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM ${rowStage} ON CONFLICT (${keyCols.join(", ")}) ` +
              (nonKey.length ? `DO UPDATE SET ${nonKey.map((c) => `${c} = EXCLUDED.${c}`).join(", ")}` : "DO NOTHING")
            : "";
        const deleteSql = keyIndexes
            ? `DELETE FROM ${table} t USING ${rowStage} s WHERE ${keyCols.map((c) => `t.${c} = s.${c}`).join(" AND ")}`
            : "";
        // One row at a time: a keyless table may hold identical rows, and a delete removes one of them.
        const keylessDeleteSql = `DELETE FROM ${table} WHERE ctid = (SELECT t.ctid FROM ${table} t, ${rowStage} s WHERE ${targets.map((c) => `t.${c} IS NOT DISTINCT FROM s.${c}`).join(" AND ")} LIMIT 1)`;
        const p: TablePlan = { table, cols, encode: makeRowEncoder(m.columns.map((c) => c.source), m.columns.map((c) => c.zeroDate)), keyIndexes, rowStage, upsertSql, deleteSql, keylessDeleteSql };
        this.plans.set(m, p);
        return p;
    }

    private async stage(p: TablePlan, rows: SourceRow[]): Promise<void> {
        await this.client.query(`TRUNCATE ${p.rowStage}`);
        let text = "";
        for (const r of rows) text += p.encode(r);
        await pipeline(Readable.from([text]), this.client.query(copyFrom(`COPY ${p.rowStage} FROM STDIN`)));
    }

    /** Changes of one kind to one table, consecutive in source order. */
    private async applyRun(run: StateChange[]): Promise<void> {
        const m = run[0].mapping;
        const p = await this.plan(m);
        const kind = run[0].kind;
        if (kind === "insert") {
            let text = "";
            for (const c of run) text += p.encode(c.row);
            await pipeline(Readable.from([text]), this.client.query(copyFrom(`COPY ${p.table} (${p.cols}) FROM STDIN`)));
            return;
        }
        if (kind === "delete" && !p.keyIndexes) {
            for (const c of run) {
                await this.stage(p, [c.row]);
                const r = await this.client.query(p.keylessDeleteSql);
                if (r.rowCount !== 1) throw new RowNotFoundError(p.table, "delete");
            }
            return;
        }
        // Last image per key: the run's net effect, in one statement.
        const byKey = new Map<string, SourceRow>();
        for (const c of run) {
            const k = keyString(c.row, p.keyIndexes!);
            byKey.delete(k);
            byKey.set(k, c.row);
        }
        await this.stage(p, [...byKey.values()]);
        await this.client.query(kind === "upsert" ? p.upsertSql : p.deleteSql);
    }

    async close(): Promise<void> {
        await this.client.end().catch(() => undefined);
    }
}

/** Removes a released task's checkpoint row (its data stays, as the seeds say). */
export async function forgetPostgresStream(client: Client, taskId: string): Promise<void> {
    const exists = await client.query("SELECT to_regclass($1) AS t", [`${METADATA_SCHEMA}.${CHECKPOINT_TABLE}`]);
    if (exists.rows[0].t) await client.query(`DELETE FROM ${checkpointTable} WHERE task_id = $1`, [taskId]);
    const fence = await client.query("SELECT to_regclass($1) AS t", [`${METADATA_SCHEMA}.${FENCE_TABLE}`]);
    if (fence.rows[0].t) await client.query(`DELETE FROM ${fenceTable} WHERE task_id = $1`, [taskId]);
}
