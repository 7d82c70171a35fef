import type { BinlogPosition } from "../model";

/**
 * Committed source transactions as the incremental stream consumes them: row events with
 * their images, statements logged as text, and where the log stands after each. A source's
 * change reader produces them; row images are the source's own and only its row decoder
 * (ChangeSource.rowDecoder) reads them.
 */

export type RowEventKind = "insert" | "update" | "delete";

/** A row image as the source's decoder gives it: column name → value, read by the source's row decoder only. */
export type RowImage = Record<string, unknown>;

export interface BinlogRowEvent {
    database: string;
    table: string;
    kind: RowEventKind;
    /** One entry per row: `before` for update/delete, `after` for insert/update. */
    rows: { before?: RowImage; after?: RowImage }[];
}

/** A statement logged as text: DDL, or DML of a STATEMENT-logged session. */
export interface BinlogStatement {
    /** Default database of the session that ran it. */
    database: string;
    sql: string;
}

/** One committed source transaction (or a standalone statement such as DDL). */
export interface BinlogTransaction {
    /** GTID of the transaction, when the server assigns them. */
    gtid?: string;
    /** Where the stream resumes after this transaction. */
    end: BinlogPosition;
    /** Source commit time, ms since the epoch (binlog timestamps have second resolution). */
    timestamp: number;
    rows: BinlogRowEvent[];
    statements: BinlogStatement[];
    /** Row changes in `rows`, counted once. */
    rowCount: number;
    /**
     * Start of the oldest XA transaction prepared but not yet committed or rolled back as of
     * this transaction's end. A checkpoint taken here must resume reading from it (and skip
     * what it applied up to `end`), or a restart would never see that transaction's rows.
     */
    holdFrom?: BinlogPosition;
    /** XA COMMIT of a transaction prepared before the stream's start: its rows were never seen. */
    unknownXa?: string;
}
