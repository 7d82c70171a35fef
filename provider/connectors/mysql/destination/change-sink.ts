import type { Connection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { escape } from "mysql2";
import type { MysqlConnectionSpec } from "../../../../sdk/schema/connection";
import { CHECKPOINT_TABLE, type ChangeBatch, FENCE_TABLE, METADATA_SCHEMA, type StateChangeSink, type StreamCheckpoint } from "../../../engine/change-sink";
import { applyBatchChanges } from "../../sql/change-isolation";
import { keyIndexesOf, keyString, type StateChange } from "../../../engine/incremental/change-model";
import type { SourceColumn, SourceRow, SourceValue, TableMapping } from "../../../engine/model";
import { DataRejectedError, RowNotFoundError } from "../../../engine/sink";
import type { FencedCheckpointStore } from "../../../engine/checkpoint-store";
import { type FenceQuery, SqlFence } from "../../sql/fence";
import { CHECKPOINT_COLUMNS, checkpointFromRow, type CheckpointRow, checkpointValues } from "../../sql/checkpoint-row";
import { connectMysql } from "../connect";
import { insertLenient, isDataError, markEngineSession, STRICT_MODE } from "./write-modes";
import { qualified, quoteIdent } from "../identifiers";

const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

const checkpointTable = qualified(METADATA_SCHEMA, CHECKPOINT_TABLE);
const fenceTable = qualified(METADATA_SCHEMA, FENCE_TABLE);
/** ER_DUP_FIELDNAME, ER_DUP_KEYNAME, ER_TABLE_EXISTS_ERROR, ER_CANT_DROP_FIELD_OR_KEY, ER_BAD_TABLE_ERROR, ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR. */
const alreadyApplied = new Set([1060, 1061, 1050, 1091, 1051, 1146, 1054]);

/**
 * Columns later engines added, which checkpoint tables created by an earlier one lack:
 * stream_schema (the first release's table had none), then resume_file/resume_position.
 * MySQL has no ADD COLUMN IF NOT EXISTS (MariaDB has), so information_schema decides, and
 * each column is added on its own, so one another stream added first does not hold back the rest.
 */
const laterColumns: [name: string, definition: string][] = [
    ["stream_schema", "LONGTEXT NULL"],
    ["resume_file", "VARCHAR(255) NULL"],
    ["resume_position", "BIGINT UNSIGNED NULL"],
];

async function addLaterColumns(conn: Connection): Promise<void> {
    const [cols] = await conn.query<RowDataPacket[]>(
        "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", [METADATA_SCHEMA, CHECKPOINT_TABLE]);
    const present = new Set(cols.map((c) => String(c.name).toLowerCase()));
    for (const [name, definition] of laterColumns) {
        if (present.has(name)) continue;
        try {
            await conn.query(`ALTER TABLE ${checkpointTable} ADD COLUMN ${name} ${definition}`);
        } catch (err) {
            // ER_DUP_FIELDNAME: another stream of the same destination added it first.
            if (Number((err as { errno?: number }).errno) !== 1060) throw err;
        }
    }
}

/** A FLOAT -0 is written as a negative value that underflows to -0 (see bulk-sink.ts). */
function literalFor(col: SourceColumn): (v: SourceValue) => string {
    if (col.dataType === "float" && !col.unsigned) return (v) => (v === "-0" ? "-1e-60" : escape(v));
    return (v) => escape(v);
}

/**
 * The condition matching a column to a before-image value exactly, for a keyless row. `<=>`
 * alone is not exact: BIT compared with the hex string it is written as is never equal
 * (MariaDB: bit64 <=> X'…0765' is 0, bit64 <=> 1893 is 1), and a string compared under its
 * collation finds 'ABC' for 'abc' and 'abc ' for 'abc' (PAD SPACE), so a LIMIT 1 delete
 * could remove another row. Strings compare as their bytes in the column's character set;
 * JSON (MySQL's binary type) compares as JSON; numbers and temporals compare by value, and
 * so do MariaDB's UUID, INET6 and INET4 with their text (a destination without those types
 * holds the canonical text in an ascii_bin column, where the compare is exact too: ddl.ts).
 */
export function rowMatcher(col: SourceColumn, literal: (v: SourceValue) => string): (column: string, v: SourceValue) => string {
    if (col.dataType === "bit") {
        return (c, v) => v === null ? `${c} IS NULL` : `${c} = ${BigInt("0x" + (Buffer.isBuffer(v) ? v.toString("hex") : Buffer.from(v, "binary").toString("hex") || "0")).toString()}`;
    }
    if (col.dataType === "json" && !col.charset) return (c, v) => v === null ? `${c} IS NULL` : `${c} = CAST(${literal(v)} AS JSON)`;
    if (col.charset) {
        const cs = /^[a-z0-9_]+$/i.test(col.charset) ? col.charset : "utf8mb4";
        return (c, v) => v === null ? `${c} IS NULL` : `HEX(${c}) = HEX(CONVERT(${literal(v)} USING ${cs}))`;
    }
    return (c, v) => `${c} <=> ${literal(v)}`;
}

/**
 * Writable ENUM columns without a '' member: there '' is the error value (index 0), which
 * strict mode refuses to write back (as bulk-sink.ts errorValueColumns).
 */
function errorValueEnums(m: TableMapping, writable: number[]): { i: number; target: string }[] {
    return writable
        .filter((i) => m.columns[i].source.dataType === "enum" && !(m.columns[i].source.enumValues ?? []).includes(""))
        .map((i) => ({ i, target: m.columns[i].target }));
}

interface TablePlan {
    table: string;
    /** Writable ENUM columns whose '' is the error value. */
    enumErrors: { i: number; target: string }[];
    /** Indexes (into the mapping's columns) of the columns written: generated columns are computed by the destination. */
    writable: number[];
    literals: ((v: SourceValue) => string)[];
    /** Per column: the condition that finds a keyless row by its before image (see rowMatcher). */
    matchers: ((column: string, v: SourceValue) => string)[];
    keyIndexes: number[] | null;
    insertHead: string;
    /** INSERT, or REPLACE for a table with another unique key (see plan). */
    upsertHead: string;
    upsertTail: string;
    keyColumns: string[];
}

/**
 * Applies row changes with multi-row INSERT … ON DUPLICATE KEY UPDATE (never REPLACE,
 * which would fire ON DELETE cascades) and DELETE … WHERE key IN (…), one statement per
 * run of same-kind changes to a table, inside one transaction that also moves the task's
 * checkpoint row.
 */
export class MysqlChangeSink implements StateChangeSink {
    private readonly plans = new Map<TableMapping, TablePlan>();

    private constructor(private readonly conn: Connection) {}

    static async open(spec: MysqlConnectionSpec): Promise<MysqlChangeSink> {
        const conn = await connectMysql(spec);
        // Changes arrive in source order from a source that enforced its foreign keys already.
        await conn.query(`SET SESSION foreign_key_checks = 0, SESSION time_zone = '+00:00', SESSION sql_mode = '${STRICT_MODE}'`);
        await markEngineSession(conn);
        await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(METADATA_SCHEMA)}`);
        await conn.query(`CREATE TABLE IF NOT EXISTS ${checkpointTable} (
            task_id VARCHAR(64) NOT NULL PRIMARY KEY, binlog_file VARCHAR(255) NOT NULL, binlog_position BIGINT UNSIGNED NOT NULL,
            gtid TEXT NULL, source_time BIGINT NULL, applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), stream_schema LONGTEXT NULL) ENGINE=InnoDB`);
        await addLaterColumns(conn);
        await conn.query(`CREATE TABLE IF NOT EXISTS ${fenceTable} (task_id VARCHAR(64) NOT NULL PRIMARY KEY, epoch BIGINT NOT NULL) ENGINE=InnoDB`);
        return new MysqlChangeSink(conn);
    }

    readonly shape = "state";
    readonly atomicCheckpoint = true;
    private readonly fence = new SqlFence({
        ensureRow: `INSERT IGNORE INTO ${fenceTable} (task_id, epoch) VALUES (?, 0)`,
        selectForUpdate: `SELECT epoch FROM ${fenceTable} WHERE task_id = ? FOR UPDATE`,
        update: `UPDATE ${fenceTable} SET epoch = ? WHERE task_id = ?`,
        selectShared: `SELECT epoch FROM ${fenceTable} WHERE task_id = ? LOCK IN SHARE MODE`,
    });
    private readonly fenceQuery: FenceQuery = async (sql, params) => {
        const [rows] = await this.conn.query<RowDataPacket[]>(sql, params);
        return Array.isArray(rows) ? (rows as { epoch: unknown }[]) : [];
    };

    /** The checkpoint row; written alone it is its own transaction, else within the batch's. */
    readonly checkpoints: FencedCheckpointStore = {
        read: async (taskId) => {
            const [rows] = await this.conn.query<RowDataPacket[]>(
                `SELECT binlog_file, binlog_position, gtid, source_time, stream_schema, resume_file, resume_position FROM ${checkpointTable} WHERE task_id = ?`, [taskId]);
            return rows.length === 0 ? null : checkpointFromRow(taskId, rows[0] as CheckpointRow);
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
        await this.conn.query(
            `INSERT INTO ${checkpointTable} (${CHECKPOINT_COLUMNS.join(", ")}, applied_at) VALUES (${CHECKPOINT_COLUMNS.map(() => "?").join(", ")}, CURRENT_TIMESTAMP(6))
             ON DUPLICATE KEY UPDATE binlog_file = VALUES(binlog_file), binlog_position = VALUES(binlog_position), gtid = VALUES(gtid), source_time = VALUES(source_time), applied_at = VALUES(applied_at),
             stream_schema = COALESCE(VALUES(stream_schema), stream_schema), resume_file = VALUES(resume_file), resume_position = VALUES(resume_position)`,
            checkpointValues(taskId, c),
        );
    }

    /** TRUNCATE commits implicitly in MySQL; DELETE keeps the table and the checkpoint in one transaction. */
    async truncate(taskId: string, mapping: TableMapping, checkpoint: StreamCheckpoint): Promise<void> {
        await this.inTransaction(async () => {
            await this.conn.query(`DELETE FROM ${qualified(mapping.targetSchema, mapping.targetTable)}`);
            await this.writeCheckpoint(taskId, checkpoint);
        });
    }

    /**
     * DDL commits implicitly in MySQL, so statement and checkpoint cannot share a
     * transaction: after a crash in between, the statement comes again, and errors that mean
     * "already done" (duplicate column, key or table; unknown column, key or table to drop)
     * count as applied.
     */
    async applyDdl(taskId: string, statements: string[], checkpoint: StreamCheckpoint): Promise<void> {
        // DDL commits on its own: the fence is checked before it, then again with the checkpoint.
        await this.checkFence(taskId);
        for (const sql of statements) {
            try {
                await this.conn.query(sql);
            } catch (err) {
                if (!alreadyApplied.has(Number((err as { errno?: number }).errno))) throw err;
            }
        }
        this.plans.clear();
        await this.inTransaction(() => this.writeCheckpoint(taskId, checkpoint));
    }

    async apply(taskId: string, batch: ChangeBatch): Promise<void> {
        await this.inTransaction(async () => {
            await applyBatchChanges(batch, (run) => this.applyRun(run), { query: (sql) => this.conn.query(sql), refused: (e) => e instanceof RowNotFoundError || isDataError(e) });
            await this.writeCheckpoint(taskId, batch.checkpoint);
        });
    }

    private async inTransaction(body: () => Promise<void>): Promise<void> {
        await this.conn.query("START TRANSACTION");
        try {
            await body();
            await this.conn.query("COMMIT");
        } catch (err) {
            await this.conn.query("ROLLBACK").catch(() => undefined);
            if (err instanceof RowNotFoundError || isDataError(err)) throw new DataRejectedError((err as Error).message, "");
            throw err;
        }
    }

    private plan(m: TableMapping): TablePlan {
        let p = this.plans.get(m);
        if (p) return p;
        const writable = m.columns.map((c, i) => ({ c, i })).filter(({ c }) => c.source.generationExpression === null).map(({ i }) => i);
        const names = writable.map((i) => quoteIdent(m.columns[i].target));
        const keyIndexes = keyIndexesOf(m);
        const keySet = new Set(keyIndexes ?? []);
        const updatable = writable.filter((i) => !keySet.has(i)).map((i) => quoteIdent(m.columns[i].target));
        const first = quoteIdent(m.columns[writable[0]].target);
        // With a unique key besides the row's key, ON DUPLICATE KEY UPDATE would update whichever
        // row that other key collides with (a value that moved between rows in this batch), and
        // say nothing. REPLACE removes every row the new image collides with, then inserts it:
        // the row the change meant ends as its image, and a row whose value it took is written
        // again by its own change, later in the batch or in the replay (foreign_key_checks = 0:
        // no cascades; triggers are guarded against engine sessions).
        const mapped = new Set(m.columns.map((c) => c.source.name));
        const otherUnique = m.source.indexes.some((ix) => ix.unique && ix.columns.every((c) => mapped.has(c.name)) &&
            !(m.key && ix.columns.length === m.key.length && ix.columns.every((c, j) => c.name === m.key![j])));
        const head = (verb: string) => `${verb} INTO ${qualified(m.targetSchema, m.targetTable)} (${names.join(", ")}) VALUES `;
        p = {
            table: qualified(m.targetSchema, m.targetTable),
            upsertHead: otherUnique ? head("REPLACE") : head("INSERT"),
            enumErrors: errorValueEnums(m, writable),
            writable,
            literals: m.columns.map((c) => literalFor(c.source)),
            matchers: m.columns.map((c) => rowMatcher(c.source, literalFor(c.source))),
            keyIndexes,
            insertHead: head("INSERT"),
            upsertTail: otherUnique ? "" : ` ON DUPLICATE KEY UPDATE ${(updatable.length ? updatable : [first]).map((c) => `${c} = VALUES(${c})`).join(", ")}`,
            keyColumns: (keyIndexes ?? []).map((i) => quoteIdent(m.columns[i].target)),
        };
        this.plans.set(m, p);
        return p;
    }

    private tuple(p: TablePlan, row: SourceRow): string {
        let s = "(";
        for (let j = 0; j < p.writable.length; j++) {
            const i = p.writable[j];
            s += (j ? "," : "") + p.literals[i](row[i]);
        }
        return s + ")";
    }

    private keyTuple(p: TablePlan, row: SourceRow): string {
        const vals = p.keyIndexes!.map((i) => p.literals[i](row[i]));
        return vals.length === 1 ? vals[0] : `(${vals.join(",")})`;
    }

    /** Runs multi-row statements of at most MAX_STATEMENT_BYTES. */
    private async batched(items: string[], head: string, tail: string): Promise<void> {
        let sql = "";
        for (const it of items) {
            if (sql && sql.length + it.length > MAX_STATEMENT_BYTES) {
                await this.conn.query(sql + tail);
                sql = "";
            }
            sql += sql ? "," + it : head + it;
        }
        if (sql) await this.conn.query(sql + tail);
    }

    private async applyRun(run: StateChange[]): Promise<void> {
        const p = this.plan(run[0].mapping);
        const kind = run[0].kind;
        if (kind === "insert") {
            await this.write(p, run.map((c) => c.row), "");
            return;
        }
        if (kind === "delete" && !p.keyIndexes) {
            const m = run[0].mapping;
            for (const c of run) {
                const cond = p.writable.map((i) => p.matchers[i](quoteIdent(m.columns[i].target), c.row[i])).join(" AND ");
                const [r] = await this.conn.query<ResultSetHeader>(`DELETE FROM ${p.table} WHERE ${cond} LIMIT 1`);
                if (r.affectedRows !== 1) throw new RowNotFoundError(p.table, "delete");
            }
            return;
        }
        const byKey = new Map<string, SourceRow>();
        for (const c of run) {
            const k = keyString(c.row, p.keyIndexes!);
            byKey.delete(k);
            byKey.set(k, c.row);
        }
        const rows = [...byKey.values()];
        if (kind === "upsert") {
            await this.write(p, rows, p.upsertTail, p.upsertHead);
        } else {
            const keys = p.keyColumns.length === 1 ? p.keyColumns[0] : `(${p.keyColumns.join(", ")})`;
            await this.batched(rows.map((r) => this.keyTuple(p, r)), `DELETE FROM ${p.table} WHERE ${keys} IN (`, ")");
        }
    }

    /** Multi-row INSERTs; a row holding an ENUM error value goes alone through insertLenient. */
    private async write(p: TablePlan, rows: SourceRow[], tail: string, head = p.insertHead): Promise<void> {
        const lenient = (r: SourceRow) => p.enumErrors.filter(({ i }) => r[i] === "").map((c) => c.target);
        const strict = p.enumErrors.length ? rows.filter((r) => lenient(r).length === 0) : rows;
        await this.batched(strict.map((r) => this.tuple(p, r)), head, tail);
        if (strict.length === rows.length) return;
        for (const r of rows) {
            const cols = lenient(r);
            if (cols.length) await insertLenient(this.conn, head + this.tuple(p, r) + tail, cols);
        }
    }

    async close(): Promise<void> {
        await this.conn.end().catch(() => undefined);
    }
}

/** Removes a released task's checkpoint row (its data stays, as the seeds say). */
export async function forgetMysqlStream(conn: Connection, taskId: string): Promise<void> {
    const [t] = await conn.query<RowDataPacket[]>("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", [METADATA_SCHEMA, CHECKPOINT_TABLE]);
    if (t.length) await conn.query(`DELETE FROM ${checkpointTable} WHERE task_id = ?`, [taskId]);
    const [f] = await conn.query<RowDataPacket[]>("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", [METADATA_SCHEMA, FENCE_TABLE]);
    if (f.length) await conn.query(`DELETE FROM ${fenceTable} WHERE task_id = ?`, [taskId]);
}
