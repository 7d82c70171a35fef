import { type BinlogPosition, comparePositions } from "../../../engine/model";
import type { BinlogRowEvent, BinlogStatement, BinlogTransaction } from "../../../engine/incremental/source-transaction";
import { type TransactionControl, transactionControl } from "./transaction-control";

/**
 * Binlog events into committed source transactions, as the server committed them:
 * savepoints rolled back inside a transaction drop the rows logged after them, rolled-back
 * transactions produce nothing, and XA transactions count at XA COMMIT, not at XA PREPARE.
 * Pure bookkeeping over decoded events, so it is tested without a server
 * (test/unit/transaction-assembler.test.ts); binlog-reader.ts feeds it.
 *
 * Query events inside a group, and what each means (docs/incremental.md has the table):
 * - BEGIN / START TRANSACTION / XA START: a transaction opens.
 * - COMMIT (groups without an XID event, e.g. non-transactional tables), XID event: it commits.
 * - ROLLBACK: it is dropped. The server logs one only when the transaction also wrote a
 *   non-transactional table, whose rows went to a group of their own already.
 * - SAVEPOINT x: the position is remembered. The server logs it only once the transaction
 *   has logged something, so a savepoint it never logged was set before the first row.
 * - ROLLBACK TO x: rows logged after SAVEPOINT x are dropped, and later savepoints with
 *   them. The server logs it only when a non-transactional table was written; otherwise it
 *   truncates its own cache and the dropped rows never reach the binlog at all.
 * - RELEASE SAVEPOINT x: forgets x; rows stay.
 * - XA END: nothing. The XA PREPARE event that follows ends the group: its rows wait, with
 *   the group's start position, until XA COMMIT (their own group, later, with other
 *   transactions in between) applies them or XA ROLLBACK drops them.
 * - Any other statement: DDL (a group of its own) or DML of a STATEMENT-logged session;
 *   kept in `statements` for the engine to apply or refuse.
 */

interface Savepoint {
    name: string;
    /** Row events in the transaction when it was set… */
    events: number;
    /** …and rows in the last of them (consecutive events of one table and kind are merged). */
    lastRows: number;
}

interface OpenTransaction {
    gtid?: string;
    timestamp: number;
    rows: BinlogRowEvent[];
    statements: BinlogStatement[];
    savepoints: Savepoint[];
    /** Opened by BEGIN (or a MariaDB GTID that announces a transaction): ends only at its commit marker. */
    explicit: boolean;
    xid?: string;
    /** Where the group starts: a stream resumed here reads all of it. */
    start: BinlogPosition;
}

interface PreparedXa {
    start: BinlogPosition;
    rows: BinlogRowEvent[];
}

export interface AssemblerOptions {
    /** Where reading starts (a group boundary). */
    from: BinlogPosition;
    /**
     * Groups ending at or before this position are already applied: they are not emitted,
     * but their XA bookkeeping counts (set when resuming from a checkpoint's holdFrom).
     */
    appliedThrough?: BinlogPosition;
}

export class TransactionAssembler {
    private open: OpenTransaction | undefined;
    private groupStart: BinlogPosition;
    /** Prepared XA transactions by xid, oldest first (Map keeps insertion order). */
    private readonly prepared = new Map<string, PreparedXa>();

    constructor(private readonly options: AssemblerOptions, private readonly emit: (tx: BinlogTransaction) => void) {
        this.groupStart = { ...options.from };
    }

    /** A transaction is being assembled (its commit marker has not arrived). */
    get inTransaction(): boolean {
        return this.open !== undefined;
    }

    /** XA transactions prepared and not yet resolved. */
    get preparedCount(): number {
        return this.prepared.size;
    }

    /** A position between groups (after a rotate): a stream could resume here. */
    boundary(position: BinlogPosition): void {
        if (!this.open) this.groupStart = { ...position };
    }

    /**
     * A GTID event. `transaction`: MariaDB says whether a transaction follows (ended by its
     * commit marker) or a single standalone statement; MySQL does not (undefined), and a
     * BEGIN query then tells.
     */
    gtid(timestamp: number, gtid: string | undefined, transaction: boolean | undefined): void {
        this.openTx(timestamp, gtid, transaction === true);
    }

    query(sql: string, database: string, timestamp: number, end: BinlogPosition): void {
        const control = transactionControl(sql);
        if (control) {
            this.control(control, timestamp, end);
            return;
        }
        const tx = this.open ?? this.openTx(timestamp, undefined, false);
        tx.statements.push({ database, sql });
        // A DDL statement is its own group: no commit marker follows it.
        if (!tx.explicit && tx.rows.length === 0) this.commit(timestamp, end);
    }

    rows(event: BinlogRowEvent, timestamp: number): void {
        const tx = this.open ?? this.openTx(timestamp, undefined, true);
        const last = tx.rows[tx.rows.length - 1];
        // Merged with the previous event of the same table and kind: one run for the sinks.
        // The last event is copied before it grows, so a savepoint's count stays true.
        if (last && last.kind === event.kind && last.database === event.database && last.table === event.table) last.rows.push(...event.rows);
        else tx.rows.push({ ...event, rows: [...event.rows] });
    }

    /** XID event: the transaction commits. */
    xid(timestamp: number, end: BinlogPosition): void {
        this.commit(timestamp, end);
    }

    /** XA_PREPARE event: the group ends; its rows wait for XA COMMIT, or commit now when one-phase. */
    xaPrepare(xid: string, onePhase: boolean, timestamp: number, end: BinlogPosition): void {
        const tx = this.open;
        if (onePhase || !tx) {
            this.commit(timestamp, end);
            return;
        }
        this.open = undefined;
        this.prepared.delete(xid);
        this.prepared.set(xid, { start: tx.start, rows: tx.rows });
        // An empty transaction: nothing to apply yet, but its checkpoint must hold at tx.start.
        this.finish({ gtid: tx.gtid, timestamp: timestamp || tx.timestamp, rows: [], statements: [], savepoints: [], explicit: true, start: tx.start }, timestamp, end);
    }

    private control(c: TransactionControl, timestamp: number, end: BinlogPosition): void {
        switch (c.kind) {
            case "begin":
            case "xa-start": {
                const tx = this.open && this.open.rows.length === 0 && this.open.statements.length === 0 ? this.open : this.openTx(timestamp, this.open?.gtid, true);
                tx.explicit = true;
                if (c.kind === "xa-start") tx.xid = c.xid;
                return;
            }
            case "commit":
                this.commit(timestamp, end);
                return;
            case "rollback": {
                const tx = this.open;
                if (tx) {
                    tx.rows = [];
                    tx.statements = [];
                }
                this.commit(timestamp, end);
                return;
            }
            case "savepoint": {
                const tx = this.open ?? this.openTx(timestamp, undefined, true);
                // A name set again moves: the old savepoint is gone (as the server does).
                tx.savepoints = tx.savepoints.filter((s) => s.name !== c.name);
                tx.savepoints.push({ name: c.name, events: tx.rows.length, lastRows: tx.rows[tx.rows.length - 1]?.rows.length ?? 0 });
                return;
            }
            case "rollback-to": {
                const tx = this.open;
                if (!tx) return;
                const at = tx.savepoints.findIndex((s) => s.name === c.name);
                // Never logged: set before the transaction logged anything, so everything goes.
                const sp = at >= 0 ? tx.savepoints[at] : { name: c.name, events: 0, lastRows: 0 };
                tx.rows.length = sp.events;
                if (sp.events > 0) tx.rows[sp.events - 1].rows.length = sp.lastRows;
                tx.savepoints = at >= 0 ? tx.savepoints.slice(0, at + 1) : [];
                return;
            }
            case "release": {
                const tx = this.open;
                const at = tx ? tx.savepoints.findIndex((s) => s.name === c.name) : -1;
                if (tx && at >= 0) tx.savepoints = tx.savepoints.slice(0, at);
                return;
            }
            case "xa-end":
                return;
            case "xa-commit": {
                const tx = this.open ?? this.openTx(timestamp, undefined, true);
                const prepared = this.prepared.get(c.xid);
                if (prepared) {
                    this.prepared.delete(c.xid);
                    tx.rows = [...prepared.rows, ...tx.rows];
                } else if (tx.rows.length === 0) {
                    // Prepared before the stream's start (or in a log we did not read): its rows are unknown.
                    this.open = undefined;
                    this.finish(tx, timestamp, end, c.xid);
                    return;
                }
                this.commit(timestamp, end);
                return;
            }
            case "xa-rollback": {
                this.prepared.delete(c.xid);
                const tx = this.open;
                if (tx) tx.rows = [];
                this.commit(timestamp, end);
                return;
            }
        }
    }

    private openTx(timestamp: number, gtid: string | undefined, explicit: boolean): OpenTransaction {
        // An unterminated group before this one cannot be complete: the server never leaves one.
        this.open = { gtid, timestamp, rows: [], statements: [], savepoints: [], explicit, start: { ...this.groupStart } };
        return this.open;
    }

    private commit(timestamp: number, end: BinlogPosition): void {
        const tx = this.open;
        this.open = undefined;
        if (!tx) {
            this.groupStart = { ...end };
            return;
        }
        this.finish(tx, timestamp, end);
    }

    private finish(tx: OpenTransaction, timestamp: number, end: BinlogPosition, unknownXa?: string): void {
        this.groupStart = { ...end };
        const through = this.options.appliedThrough;
        if (through && comparePositions(end, through) <= 0) return;
        const oldest = this.prepared.values().next();
        const out: BinlogTransaction = {
            end: { ...end, ...(tx.gtid ? { gtid: tx.gtid } : {}) },
            timestamp: timestamp || tx.timestamp,
            rows: tx.rows,
            statements: tx.statements,
            rowCount: tx.rows.reduce((n, e) => n + e.rows.length, 0),
            ...(tx.gtid ? { gtid: tx.gtid } : {}),
            ...(oldest.done ? {} : { holdFrom: { ...oldest.value.start } }),
            ...(unknownXa ? { unknownXa } : {}),
        };
        this.emit(out);
    }
}
