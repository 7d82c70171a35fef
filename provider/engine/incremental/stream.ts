import { createHash } from "node:crypto";
import type { BinlogTransaction } from "./source-transaction";
import { type ChangeSession, type ChangeSource, PositionPurgedError } from "../change-source";
import { type DdlOperation, ddlOperations, type TaskSpec } from "../../../sdk/schema/task";
import { DdlParseError, manualRecovery, UntranslatableDdlError } from "../schema-change/alter";
import type { ClassifiedStatement, NamedTable, ObjectOperation } from "../schema-change/statement";
import type { ChangeSink, StreamCheckpoint } from "../change-sink";
import type { DdlTranslation, SchemaObjectKind } from "../ddl-translator";
import type { Destination } from "../destination";
import { targetSchemaOf } from "../mapping";
import { type BinlogPosition, comparePositions, formatPosition, type SourceRow, type SourceTable, type TableMapping } from "../model";
import { type PermanentFailure, type RetryState, RetryWindow } from "../retry";
import { DataRejectedError } from "../sink";
import type { IncrementalStatus } from "../status";
import { RateLimiter } from "../throttle";
import type { TableLookup } from "../ddl-translator";
import { ChangeMapper } from "./changes";
import { applyRowFilters, changedRow, type FilterEvaluator, filterLog, netEffect, type SourceChange, type StateChange, stateChanges } from "./change-model";
import { checkpointed } from "./checkpointed-sink";
import { isFenced } from "../checkpoint-store";

/** A batch's changes in the shape its sink takes. */
type PreparedChanges = { shape: "state"; changes: StateChange[] } | { shape: "log"; changes: SourceChange[] };

/** Statements about views, routines and events: they concern whole-database selections only, as schema migration does. */
const objectOperations = new Set<string>([
    "create-view", "alter-view", "drop-view", "create-function", "alter-function", "drop-function",
    "create-procedure", "alter-procedure", "drop-procedure", "create-event", "alter-event", "drop-event",
]);
const databaseOperations = new Set<string>(["create-database", "alter-database", "drop-database"]);
/** What DROP … IF EXISTS names at the destination for each drop of a schema object. */
const droppedKind: Partial<Record<ObjectOperation, SchemaObjectKind>> = {
    "drop-view": "view", "drop-function": "function", "drop-procedure": "procedure", "drop-trigger": "trigger", "drop-event": "event",
};
const isDdlOperation = (op: string): op is DdlOperation => (ddlOperations as readonly string[]).includes(op);

/** Row changes per destination transaction: large enough to batch, small enough to commit often. */
const BATCH_ROWS = 5000;
/** How long a batch waits for more transactions before it is applied anyway. */
const IDLE_MS = 100;
/** A checkpoint for transactions without selected changes is written at most this often. */
const ADVANCE_EVERY_MS = 1000;

/** A statement the stream must not pass over silently; the task stops with it in its error. */
export class UnappliedStatementError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly statement: string, readonly operation: string, readonly position: BinlogPosition, reason?: string) {
        super(
            `incremental migration stopped at ${formatPosition(position)} on ${operation} statement: ${statement.slice(0, 500)}. ` +
            (reason ? `${reason}. ` : `pulumi-dts cannot apply ${operation} to the destination. `) +
            `Apply the equivalent change at the destination yourself, ` +
            `then leave "${operation}" out of the task's ddl selection (ddl: [...] at task, database or table level) and run pulumi up; ` +
            `the stream then skips such statements and the task's status lists each one it skipped.`,
        );
        this.name = "UnappliedStatementError";
    }
}

/** A session on the source logged DML as a statement (binlog_format STATEMENT/MIXED): its row images are not in the binlog. */
export class StatementLoggedDmlError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly statement: string, readonly table: NamedTable, readonly position: BinlogPosition) {
        super(
            `incremental migration stopped after ${formatPosition(position)}: the source logged a change to ${table.database}.${table.name} as a statement, not as rows ` +
            `(the writing session used binlog_format STATEMENT or MIXED): ${statement.slice(0, 300)}. Its rows cannot be known exactly. ` +
            `Make every session log rows (SET GLOBAL binlog_format = 'ROW', then reconnect the applications that write), ` +
            `then migrate again: release the task (pulumi destroy, or npx pulumi-dts task release) and run pulumi up.`,
        );
        this.name = "StatementLoggedDmlError";
    }
}

/** The start position has been purged from the source: only a new full migration can recover. */

/** The checkpoint once `tx` is applied: its end, held back to the oldest prepared XA transaction's start. */
function checkpointAfter(tx: BinlogTransaction): StreamCheckpoint {
    return { position: tx.end, sourceTime: tx.timestamp, ...(tx.holdFrom ? { resumeFrom: tx.holdFrom } : {}) };
}


export interface StreamHost {
    taskId: string;
    task(): TaskSpec;
    /** The source's change log. */
    changes: ChangeSource;
    destination: Destination;
    mappings: TableMapping[];
    /** The ownership epoch the task is run under, fencing the destination (absent: each session claims past the last). */
    epoch?: number;
    /** Where the stream starts when the destination has no checkpoint yet. */
    start: BinlogPosition;
    status: IncrementalStatus;
    stopped(): boolean;
    log(line: string): void;
    note(line: string): void;
    /** Applies the dirty-data policy to a refused change (throws under "block"). */
    rejected(mapping: TableMapping, row: SourceRow, reason: string): void;
    /** A table as the source has it now (CREATE TABLE … LIKE / SELECT); null when it is gone. */
    introspect(database: string, table: string): Promise<SourceTable | null>;
    /** The mapping the task's selection gives a new source table, or null when it is not selected. */
    mappingFor(table: SourceTable): TableMapping | null;
    /** Creates a source database's (renamed) destination database or schema, if missing. */
    createSchema(database: string): Promise<void>;
    /** Why the destination cannot hold this table as the precheck would say (failed items), or an empty list. */
    refusals(mapping: TableMapping): Promise<string[]>;
    /** Tables loaded again by this run under a new mapping: the checkpoint's older mapping of them is stale. */
    reloaded(database: string, table: string): boolean;
    /** The stream is retrying after a failure (undefined: it made progress again). */
    retrying(state: RetryState | undefined): void;
    /** Creates a new table (with its indexes) at the destination unless it exists; returns notes. */
    createTable(mapping: TableMapping): Promise<string[]>;
    /** Recreates a whole-database selection's views and routines at the destination (MySQL); null when `database` is not one. */
    migrateObjects(database: string): Promise<string[] | null>;
    /**
     * Records, durably and before the stream's checkpoint moves past the statement, that the
     * stream now owns a table created or renamed on the source (no precheck, no full load when
     * the task restarts), or no longer follows one (dropped, renamed away).
     */
    tableOwnership(adopt: TableMapping | null, release: NamedTable | null): void;
}

/**
 * The incremental phase: reads the binlog from the destination's checkpoint (or the
 * snapshot position), applies changes in source order, batched into destination
 * transactions that also move the checkpoint. Any failure tears the session down and a
 * new one resumes from the checkpoint the destination holds, so nothing is lost or
 * applied twice, whatever broke.
 */
export class IncrementalStream {
    private readonly mapper: ChangeMapper;
    private readonly rowLimiter: RateLimiter;
    private readonly byteLimiter: RateLimiter;
    private rate: { t: number; n: number }[] = [];
    /** The fence epoch this stream holds at the destination, once its first session claimed it. */
    private epoch: number | undefined;
    private readonly lookup: TableLookup = (database, table) => this.mapper.selected(database, table) ?? null;

    constructor(private readonly host: StreamHost) {
        this.mapper = new ChangeMapper(host.mappings, () => host.task(), (m, task) => host.changes.rowDecoder(m, task), (m, keyRow, reason) => host.rejected(m, keyRow, reason));
        const inc = () => host.task().throttle.incremental;
        this.rowLimiter = new RateLimiter(() => inc()?.rps);
        this.byteLimiter = new RateLimiter(() => (inc()?.mbps !== undefined ? inc()!.mbps! * 1024 * 1024 : undefined));
    }

    /** Runs sessions until the task is stopped; fails when the retry windows are spent. */
    async run(): Promise<void> {
        const window = new RetryWindow(() => ({ connection: this.host.task().retry.connectionMinutes, other: this.host.task().retry.otherMinutes }));
        while (!this.host.stopped()) {
            let progressed = false;
            try {
                await this.session(() => {
                    if (!progressed) {
                        window.reset();
                        this.host.retrying(undefined);
                    }
                    progressed = true;
                });
            } catch (err) {
                if (this.host.stopped()) return;
                const decision = window.next(err);
                if (!decision.retry) throw err;
                this.host.status.caughtUp = false;
                this.host.retrying(decision.state);
                this.host.log(`incremental: ${decision.state.error}; resuming from the destination's checkpoint in ${decision.waitMs} ms ` +
                    `(${decision.state.kind} failure, retried until ${decision.state.windowEndsAt})`);
                await new Promise((r) => setTimeout(r, decision.waitMs));
            }
        }
    }

    private async session(onProgress: () => void): Promise<void> {
        const h = this.host;
        const st = h.status;
        let sink: ChangeSink | undefined;
        let session: ChangeSession | undefined;
        try {
            sink = checkpointed(await h.destination.openChangeSink(() => h.task()));
            if (isFenced(sink.checkpoints)) {
                // From here on a session that started earlier (a process given up for dead, another engine) cannot
                // write. A later session of this stream claims with the epoch it held, so it does not take the
                // stream back from one that took it over meanwhile.
                const epoch = await sink.checkpoints.claim(h.taskId, this.epoch ?? h.epoch);
                if (this.epoch === undefined) h.log(`incremental: holding the stream at the destination with fence epoch ${epoch}`);
                this.epoch = epoch;
            }
            const saved = await sink.checkpoints.read(h.taskId);
            let applied: StreamCheckpoint = saved ?? { position: h.start, sourceTime: 0 };
            // The streamed tables as of the checkpoint (DDL since then has not been replayed yet),
            // not as the source is now; tables the task no longer selects are dropped, tables it
            // newly selects (just loaded) join.
            for (const m of saved?.tables ?? []) {
                if (h.reloaded(m.source.database, m.source.name)) continue;
                if (this.wantsTable({ database: m.source.database, name: m.source.name })) this.mapper.set(m);
                else this.mapper.remove(m.source.database, m.source.name);
            }
            if (!saved || saved.tables === undefined || saved.tables.length !== this.mapper.all().length) {
                await sink.checkpoints.write(h.taskId, { ...applied, tables: this.mapper.all() });
            }
            st.position = applied.position;
            // A prepared XA transaction held the checkpoint back: read from its start, skip what was applied.
            const from = applied.resumeFrom ?? applied.position;
            h.log(`incremental: reading the binlog from ${formatPosition(from)}` +
                (applied.resumeFrom ? ` (start of a prepared XA transaction; applied through ${formatPosition(applied.position)})` : ""));
            const include = this.mapper.include();
            // Listed tables the source does not have yet: a CREATE TABLE … SELECT of one logs its rows
            // in the CREATE's own transaction, which the reader must decode to apply them.
            for (const o of h.task().objects) {
                const cur = include[o.database];
                if (o.tables && cur !== true) include[o.database] = [...new Set([...(cur ?? []), ...o.tables.map((t) => t.name)])];
            }
            session = await h.changes.openSession({
                taskId: h.taskId, task: h.task(), from, appliedThrough: applied.resumeFrom ? applied.position : undefined, include,
            });
            const r = session;
            st.heartbeatError = r.heartbeatError;
            if (r.heartbeatError) h.log(`incremental: ${r.heartbeatError}`);
            let lastAdvance = Date.now();
            let pendingAdvance: StreamCheckpoint | undefined;

            while (!h.stopped()) {
                if (Date.now() - r.lastActivity > r.silenceLimitMs) {
                    throw Object.assign(new Error(`no data nor keep-alive from the source for ${r.silenceLimitMs / 1000} s`), { code: "ETIMEDOUT" });
                }
                let txs: BinlogTransaction[];
                try {
                    txs = await r.take(BATCH_ROWS, IDLE_MS);
                } catch (err) {
                    if (err instanceof PositionPurgedError) throw new PositionPurgedError(applied.position, err.message);
                    throw err;
                }
                if (txs.length === 0) {
                    if (pendingAdvance && Date.now() - lastAdvance > ADVANCE_EVERY_MS) {
                        await sink.checkpoints.write(h.taskId, pendingAdvance);
                        applied = pendingAdvance;
                        pendingAdvance = undefined;
                        lastAdvance = Date.now();
                    }
                    this.updateLatency(applied, await r.logEnd(), r.drained);
                    continue;
                }
                st.oldestPendingTime = txs[0].timestamp;
                for (const tx of txs) if (tx.unknownXa) this.unknownXa(tx);
                // Statements split the batch: what came before is applied first, then the statement.
                let from = 0;
                for (let i = 0; i < txs.length; i++) {
                    const stmts = txs[i].statements;
                    if (stmts.length === 0) continue;
                    this.refuseLoggedDml(txs[i], applied.position);
                    if (!this.concernsTask(txs[i])) continue;
                    if (i > from || pendingAdvance) applied = await this.applyBatch(sink, txs.slice(from, i), applied, onProgress, r);
                    pendingAdvance = undefined;
                    applied = await this.applyStatement(sink, txs[i], applied, onProgress, r);
                    from = i + 1;
                }
                const rest = txs.slice(from);
                if (rest.length) {
                    const prepared = await this.changes(sink, rest, r);
                    const end = checkpointAfter(rest[rest.length - 1]);
                    if (prepared.changes.length === 0) {
                        pendingAdvance = end;
                    } else {
                        await this.throttle(prepared);
                        applied = await this.applyChanges(sink, prepared, end, onProgress);
                        pendingAdvance = undefined;
                        lastAdvance = Date.now();
                        st.transactionsApplied += rest.length;
                    }
                }
                st.oldestPendingTime = undefined;
                const lag = r.heartbeatLag(txs);
                if (lag !== undefined) st.heartbeatLagMs = lag;
                st.heartbeatError = r.heartbeatError;
                this.updateLatency(pendingAdvance ?? applied, await r.logEnd(), r.drained);
            }
        } finally {
            await session?.close().catch(() => undefined);
            await sink?.close().catch(() => undefined);
        }
    }

    /**
     * XA COMMIT of a transaction prepared before the stream's start: its rows were logged at
     * its XA PREPARE, which the stream never read. Said loudly, as a note and in the log.
     */
    private unknownXa(tx: BinlogTransaction): void {
        const line = `XA COMMIT at ${formatPosition(tx.end)} of a transaction prepared before the stream's start position (xid ${tx.unknownXa}): ` +
            "its changes, if it wrote selected tables, are not in the destination. Compare those tables (or migrate them again) before switching over";
        this.host.note(line);
        this.host.log(`incremental: ${line}`);
    }

    /**
     * Row changes of the selected tables in the shape the sink takes, with row filters
     * applied by the source: state sinks get state changes, log sinks every change.
     */
    private async changes(sink: ChangeSink, txs: BinlogTransaction[], session: ChangeSession): Promise<PreparedChanges> {
        const found = this.mapper.changes(txs);
        const evaluate = session.filter;
        return sink.shape === "log"
            ? { shape: "log", changes: await filterLog(found, evaluate) }
            : { shape: "state", changes: await applyRowFilters(stateChanges(found), evaluate) };
    }

    private async applyBatch(sink: ChangeSink, txs: BinlogTransaction[], applied: StreamCheckpoint, onProgress: () => void, session: ChangeSession): Promise<StreamCheckpoint> {
        if (txs.length === 0) return applied;
        const end = checkpointAfter(txs[txs.length - 1]);
        const prepared = await this.changes(sink, txs, session);
        if (prepared.changes.length === 0) {
            await sink.checkpoints.write(this.host.taskId, end);
            return end;
        }
        await this.throttle(prepared);
        this.host.status.transactionsApplied += txs.length;
        return this.applyChanges(sink, prepared, end, onProgress);
    }

    private async applyChanges(sink: ChangeSink, prepared: PreparedChanges, end: StreamCheckpoint, onProgress: () => void): Promise<StreamCheckpoint> {
        const h = this.host;
        const batch = { checkpoint: end, onRejected: (m: TableMapping, row: SourceRow, reason: string) => h.rejected(m, row, reason) };
        if (sink.shape === "state" && prepared.shape === "state") {
            // Intermediate states may matter (a unique value passed between rows): refused net effects go again in source order.
            await this.withFallback((changes, isolateRows) => sink.apply(h.taskId, { ...batch, changes, isolateRows }), netEffect(prepared.changes), prepared.changes);
        } else if (sink.shape === "log" && prepared.shape === "log") {
            await this.withFallback((changes, isolateRows) => sink.apply(h.taskId, { ...batch, changes, isolateRows }), prepared.changes, prepared.changes);
        } else {
            throw new Error(`internal: ${prepared.shape} changes prepared for a ${sink.shape} sink`);
        }
        h.status.changesApplied += prepared.changes.length;
        h.status.position = end.position;
        h.status.lastSourceTime = end.sourceTime;
        this.rate.push({ t: Date.now(), n: h.status.changesApplied });
        onProgress();
        return end;
    }

    /** Applies `first`; when the destination refuses data, `ordered`, then change by change (the dirty-data policy decides). */
    private async withFallback<C>(apply: (changes: C[], isolateRows: boolean) => Promise<void>, first: C[], ordered: C[]): Promise<void> {
        try {
            await apply(first, false);
            return;
        } catch (err) {
            if (!(err instanceof DataRejectedError)) throw err;
            if (first === ordered) {
                this.host.log(`incremental: ${err.message}; applying the batch change by change`);
                await apply(ordered, true);
                return;
            }
        }
        try {
            await apply(ordered, false);
        } catch (err2) {
            if (!(err2 instanceof DataRejectedError)) throw err2;
            this.host.log(`incremental: ${err2.message}; applying the batch change by change`);
            await apply(ordered, true);
        }
    }

    private async throttle(prepared: PreparedChanges): Promise<void> {
        const stopped = () => this.host.stopped();
        await this.rowLimiter.take(prepared.changes.length, stopped);
        if (this.host.task().throttle.incremental?.mbps !== undefined) {
            let bytes = 0;
            const rows = prepared.shape === "state" ? prepared.changes.map((c) => c.row) : prepared.changes.map(changedRow);
            for (const row of rows) for (const v of row) bytes += v === null ? 1 : v.length;
            await this.byteLimiter.take(bytes, stopped);
        }
    }

    /** DML the source logged as text for a selected table: its rows are unknown, so the task stops. */
    private refuseLoggedDml(tx: BinlogTransaction, applied: BinlogPosition): void {
        for (const s of tx.statements) {
            const dml = this.host.changes.statements.loggedDml(s.sql, s.database);
            if (!dml) continue;
            // Tables followed, or taken in by the selection (a CREATE TABLE … SELECT's new table, a view of a whole database).
            const hit = dml.tables.find((t) => this.mapper.selected(t.database, t.name) || this.wantsTable(t));
            if (hit) throw new StatementLoggedDmlError(s.sql, hit, applied);
            // What a stored function writes is not named: refused when it runs in, or names, a database the task migrates.
            const db = dml.unnamedWrites ? dml.databases.find((d) => this.selectsDatabase(d)) : undefined;
            if (db !== undefined) throw new StatementLoggedDmlError(s.sql, { database: db, name: "*" }, applied);
        }
    }

    /** Whether a transaction's logged statements concern the task (selected tables, new tables, objects and databases the task migrates). */
    private concernsTask(tx: BinlogTransaction): boolean {
        return tx.statements.some((s) => this.concerns(this.host.changes.statements.classify(s.sql, s.database)));
    }

    private concerns(c: ClassifiedStatement): boolean {
        if (c.operation === "other" || c.temporary) return false;
        if (c.tables.some((t) => this.mapper.selected(t.database, t.name))) return true;
        if (c.operation === "create-table") return this.wantsTable(c.tables[0]);
        if (objectOperations.has(c.operation)) return c.objects.some((o) => this.wholeDatabase(o.database));
        if (c.operation === "create-trigger") return this.wholeDatabase(c.objects[0]?.database);
        // The dropped trigger's table is not named: any database the task takes tables from.
        if (c.operation === "drop-trigger" || databaseOperations.has(c.operation)) return this.selectsDatabase(c.objects[0]?.database);
        return false;
    }

    private wholeDatabase(db: string | undefined): boolean {
        return db !== undefined && this.host.task().objects.some((o) => o.database === db && !o.tables);
    }

    private selectsDatabase(db: string | undefined): boolean {
        return db !== undefined && this.host.task().objects.some((o) => o.database === db);
    }

    /** A table created on the source that the task's selection takes in. */
    private wantsTable(t: NamedTable | undefined): boolean {
        if (!t) return false;
        const db = this.host.task().objects.find((o) => o.database === t.database);
        return db !== undefined && (!db.tables || db.tables.some((x) => x.name === t.name));
    }

    /** The destination schema (PostgreSQL) or database (MySQL) a source database is written to. */
    private targetSchema(db: string): string {
        return targetSchemaOf(this.host.task(), db, this.host.destination.defaultNameCase);
    }

    /**
     * One source transaction with statements that concern the task: the statements, then its
     * row changes, then the checkpoint at its end. The row changes and the checkpoint share a
     * destination transaction, and nothing before them moves the checkpoint, so a crash
     * anywhere replays the whole source transaction: CREATE TABLE … SELECT finds its table
     * (empty) and fills it once. Statements first, then rows, is the binlog's order: the only
     * transactions the servers log with both are CREATE TABLE … SELECT, whose CREATE comes first.
     */
    private async applyStatement(sink: ChangeSink, tx: BinlogTransaction, applied: StreamCheckpoint, onProgress: () => void, session: ChangeSession): Promise<StreamCheckpoint> {
        const end = checkpointAfter(tx);
        const at = formatPosition(tx.end);
        for (const s of tx.statements) {
            const c = this.host.changes.statements.classify(s.sql, s.database);
            if (!this.concerns(c)) continue;
            const op = c.operation as DdlOperation | ObjectOperation;
            const first = c.tables.map((t) => this.mapper.selected(t.database, t.name)).find((m) => m !== undefined);
            if (!this.ddlSelected(op, first, c.objects[0]?.database ?? c.tables[0]?.database)) {
                this.skipped(`skipped ${op} (not in the ddl selection) at ${at}: ${s.sql.slice(0, 300)}`);
                continue;
            }
            // These move the checkpoint to the transaction's end themselves; rows after them could be lost in a crash.
            if (tx.rows.length && isDdlOperation(op) && op !== "create-table" && !objectOperations.has(op)) {
                throw new UnappliedStatementError(s.sql, op, applied.position,
                    "the source logged it in one transaction with row changes, which this version applies exactly only for CREATE TABLE … SELECT");
            }
            let done: boolean;
            try {
                done = isDdlOperation(op) && !objectOperations.has(op)
                    ? await this.applyOne(sink, s.sql, s.database, c, applied, end)
                    : await this.applyObject(sink, s.sql, c, applied, at);
            } catch (err) {
                if (err instanceof UntranslatableDdlError || err instanceof DdlParseError) {
                    throw new UnappliedStatementError(s.sql, op, applied.position, err.message);
                }
                throw err;
            }
            if (done) this.host.log(`incremental: applied ${op} at ${at}: ${s.sql.slice(0, 200)}`);
        }
        const checkpoint = { ...end, tables: this.mapper.all() };
        const prepared = tx.rows.length ? await this.changes(sink, [tx], session) : null;
        if (!prepared || prepared.changes.length === 0) {
            await sink.checkpoints.write(this.host.taskId, checkpoint);
            return checkpoint;
        }
        await this.throttle(prepared);
        this.host.status.transactionsApplied += 1;
        return this.applyChanges(sink, prepared, checkpoint, onProgress);
    }

    private skipped(line: string, note?: string): void {
        this.host.status.skippedStatements.push(line);
        if (this.host.status.skippedStatements.length > 100) this.host.status.skippedStatements.shift();
        this.host.log(`incremental: ${line}`);
        if (note) this.host.note(note);
    }

    /**
     * The checkpoint the destination holds now, for work that must not move it: DDL whose
     * replay is harmless (DROP … IF EXISTS, dropping a table about to be created again), done
     * before the step that moves it past the statement.
     */
    private held(applied: StreamCheckpoint): StreamCheckpoint {
        const { tables: _kept, ...rest } = applied;
        return rest;
    }

    /** Applies a table statement; false when there was nothing to apply (it says why). */
    private async applyOne(sink: ChangeSink, sql: string, defaultDb: string, c: ClassifiedStatement, applied: StreamCheckpoint, end: StreamCheckpoint): Promise<boolean> {
        const h = this.host;
        const selected = (t: NamedTable) => this.mapper.selected(t.database, t.name);
        switch (c.operation) {
            case "truncate-table":
                for (const t of c.tables) {
                    const m = selected(t);
                    if (m) await sink.truncate(h.taskId, m, end);
                }
                return true;
            case "alter-table": {
                const parsed = h.changes.statements.alterTable(sql, defaultDb);
                const m = selected(parsed.table)!;
                await this.applyTranslation(sink, m, h.destination.ddl.alterTable(m, h.changes.statements.alteration(m.source, parsed), h.task(), this.lookup), end);
                return true;
            }
            case "create-index": case "drop-index": {
                const parsed = h.changes.statements.indexStatement(sql, defaultDb);
                if (!parsed) throw new DdlParseError(sql, "not a CREATE INDEX / DROP INDEX statement this version can read");
                const m = selected(parsed.table)!;
                await this.applyTranslation(sink, m, h.destination.ddl.alterTable(m, h.changes.statements.alteration(m.source, parsed), h.task(), this.lookup), end);
                return true;
            }
            case "rename-table":
                for (let i = 0; i + 1 < c.tables.length; i += 2) {
                    const m = selected(c.tables[i]);
                    if (m) await this.applyTranslation(sink, m, h.destination.ddl.renameTable(m, c.tables[i + 1], h.task(), sql), end);
                }
                return true;
            case "drop-table":
                for (const t of c.tables) {
                    const m = selected(t);
                    if (!m) continue;
                    this.mapper.remove(t.database, t.name);
                    h.tableOwnership(null, t);
                    await sink.applyDdl(h.taskId, h.destination.ddl.dropTable(m), { ...end, tables: this.mapper.all() });
                }
                return true;
            case "create-table": {
                const t = c.tables[0];
                const followed = selected(t);
                // The checkpoint's tables are those its position has: a table followed there exists at the
                // destination already (CREATE TABLE IF NOT EXISTS of a table the source had, or a replay).
                if (followed && !c.orReplace) {
                    h.log(`incremental: create-table of ${t.database}.${t.name} at ${formatPosition(end.position)}: the stream follows this table already, nothing to apply`);
                    return false;
                }
                // The statement's own definition is the schema in force at this position; CREATE … LIKE reads the source.
                const table = h.changes.statements.createTable(sql, defaultDb) ?? (await h.introspect(t.database, t.name));
                if (!table) {
                    this.skipped(`skipped create-table of ${t.database}.${t.name}: the table no longer exists on the source (a later DROP follows)`);
                    return false;
                }
                const m = h.mappingFor(table);
                if (!m) {
                    if (followed) throw new UntranslatableDdlError(sql, `the task's selection of ${t.database}.${t.name} does not fit the table CREATE OR REPLACE made`, manualRecovery("create-table"));
                    return false;
                }
                if (followed) {
                    // CREATE OR REPLACE: the old table goes, with the checkpoint left before the statement,
                    // so a crash from here on replays the whole statement (drop again, create again).
                    await sink.applyDdl(h.taskId, h.destination.ddl.dropTable(followed), this.held(applied));
                }
                const refused = await h.refusals(m);
                if (refused.length) {
                    const why = refused.join("; ");
                    if (h.task().unsupportedNewTables === "stop") {
                        throw new UntranslatableDdlError(sql, `the destination cannot hold ${t.database}.${t.name}: ${why}`,
                            "leave the table out of the selection, or set unsupportedNewTables: \"skip\" and run pulumi up");
                    }
                    // Like a table the precheck refuses: left out with its rows and later DDL, and said so.
                    this.skipped(`skipped create-table of ${t.database}.${t.name} at ${formatPosition(end.position)} (unsupportedNewTables "skip"): ${why}`);
                    h.note(`${t.database}.${t.name}, created on the source during the stream, is not migrated (nor its rows and later DDL): ${why}`);
                    return false;
                }
                for (const n of await h.createTable(m)) h.note(n);
                h.tableOwnership(m, null);
                this.mapper.set(m);
                return true;
            }
            default:
                throw new Error(`${c.operation} is not a table statement`);
        }
    }

    /**
     * A statement about a view, routine, trigger, event or database. At a MySQL destination a
     * database's objects are brought to what the source has now, as schema migration makes
     * them (migrateObjects: views and routines with DEFINER rewritten, triggers guarded,
     * events disabled); a drop drops the object named. Anything not applied is listed as
     * skipped, with what to do in the task's notes. False when nothing was applied.
     */
    private async applyObject(sink: ChangeSink, sql: string, c: ClassifiedStatement, applied: StreamCheckpoint, at: string): Promise<boolean> {
        const h = this.host;
        const task = h.task();
        const op = c.operation as ObjectOperation | DdlOperation;
        const named = (o: NamedTable) => `${o.database}.${o.name}`;
        const object = c.objects[0];
        const text = sql.slice(0, 200);
        if (op === "drop-database") {
            // Followed as the source did it: every table the task takes from the database is dropped at
            // the destination, with the checkpoint held before the statement (a replay drops again,
            // IF EXISTS). A database created again later starts empty, and its tables are created anew.
            const target = this.targetSchema(object.database);
            const gone = this.mapper.all().filter((m) => m.source.database === object.database);
            for (const m of gone) {
                this.mapper.remove(m.source.database, m.source.name);
                h.tableOwnership(null, { database: m.source.database, name: m.source.name });
                await sink.applyDdl(h.taskId, h.destination.ddl.dropTable(m), this.held(applied));
            }
            h.note(`DROP DATABASE ${object.database} on the source at ${at}: the ${gone.length} table(s) the task took from it were dropped in ${target}; ` +
                `other objects there (views, routines, events, tables of your own) are kept`);
            return true;
        }
        if (op === "create-database") {
            await h.createSchema(object.database);
            return true;
        }
        if (op === "alter-database") {
            const target = this.targetSchema(object.database);
            this.skipped(`skipped ${op} at ${at} (database options are not followed): ${text}`,
                `ALTER DATABASE ${object.database} on the source was not applied: the destination's ${target} keeps its own options (character set, collation, comment); apply the change there yourself if it matters`);
            return false;
        }
        const isTrigger = op === "create-trigger" || op === "drop-trigger";
        const isEvent = op === "create-event" || op === "alter-event" || op === "drop-event";
        if (!h.destination.migrateObjects) {
            const why = h.destination.objectsNotMigrated ?? "this destination does not hold views, routines, triggers or events";
            this.skipped(`skipped ${op}: ${why}, as in schema migration: ${text}`, why);
            return false;
        }
        if (isTrigger && !this.wholeDatabase(object.database)) {
            const on = c.tables[0] ? ` on ${named(c.tables[0])}` : "";
            this.skipped(`skipped ${op} of ${named(object)}${on} at ${at}: triggers are migrated only with databases selected whole, as in schema migration: ${text}`,
                op === "create-trigger"
                    ? `trigger ${named(object)}${on} was created on the source and not at the destination (triggers come only with databases selected whole). ` +
                      `To have it there, create it in ${this.targetSchema(object.database)} yourself, its body guarded so it skips the stream's writes: ` +
                      `FOR EACH ROW IF @pulumi_dts_apply IS NULL THEN <body>; END IF`
                    : `trigger ${named(object)} was dropped on the source: if you created it at the destination, drop it there (DROP TRIGGER ${this.targetSchema(object.database)}.${object.name})`);
            return false;
        }
        if (isTrigger && task.triggers === "skip") {
            this.skipped(`skipped ${op} of ${named(object)} at ${at}: triggers are not migrated (triggers: "skip"): ${text}`);
            return false;
        }
        if (isEvent && !task.migrateEvents) {
            this.skipped(`skipped ${op} of ${named(object)} at ${at}: events are not migrated (migrateEvents: false): ${text}`);
            return false;
        }
        const kind = droppedKind[op as ObjectOperation];
        const dropAt = (o: NamedTable, k: SchemaObjectKind) => {
            if (!h.destination.ddl.dropObject) throw new Error(`internal: a destination that migrates objects renders no DROP ${k}`);
            return h.destination.ddl.dropObject(k, this.targetSchema(o.database), o.name);
        };
        if (kind) {
            const gone = c.objects.filter((o) => this.wholeDatabase(o.database));
            // Replayed after a crash, the drop changes nothing (IF EXISTS): the checkpoint moves after the statement.
            await sink.applyDdl(h.taskId, gone.map((o) => dropAt(o, kind)), this.held(applied));
            return true;
        }
        if (op === "alter-event" && c.objects.length === 2) {
            const [from, to] = c.objects;
            await sink.applyDdl(h.taskId, [dropAt(from, "event")], this.held(applied));
            if (!this.wholeDatabase(to.database)) {
                this.skipped(`skipped ${op} of ${named(from)} to ${named(to)} at ${at}: ${to.database} is not a database the task migrates whole: ${text}`,
                    `event ${named(from)} was renamed on the source to ${named(to)}, outside the databases the task migrates whole: it was dropped at the destination, not created under its new name`);
            }
        }
        // The objects' databases as the source has them now; recreating what is unchanged changes nothing, so a replay is harmless.
        for (const db of [...new Set(c.objects.map((o) => o.database))].filter((d) => this.wholeDatabase(d))) {
            const notes = await h.migrateObjects(db);
            if (notes === null) throw new UntranslatableDdlError(sql, `${op} on a database the task does not migrate whole`, manualRecovery(op));
            for (const n of notes) h.note(n);
        }
        return true;
    }

    /** Runs a translation with the checkpoint, then follows the table under its new mapping. */
    private async applyTranslation(sink: ChangeSink, before: TableMapping, tr: DdlTranslation, end: StreamCheckpoint): Promise<void> {
        const oldKey = `${before.source.database}.${before.source.name}`;
        const newKey = `${tr.mapping.source.database}.${tr.mapping.source.name}`;
        if (oldKey !== newKey) {
            this.host.tableOwnership(tr.mapping, { database: before.source.database, name: before.source.name });
            this.mapper.remove(before.source.database, before.source.name);
        }
        this.mapper.set(tr.mapping);
        await sink.applyDdl(this.host.taskId, tr.statements, { ...end, tables: this.mapper.all() });
        for (const n of tr.notes) this.host.note(n);
    }

    /**
     * The ddl selection for a table (else for the database the statement is about): table,
     * then database, then task level; all operations when none is given. Operations the
     * selection cannot name (triggers, events, drops of views and routines, databases) are
     * always taken.
     */
    private ddlSelected(op: string, m: TableMapping | undefined, database: string | undefined): boolean {
        if (!isDdlOperation(op)) return true;
        const task = this.host.task();
        const dbName = m?.source.database ?? database;
        const db = dbName !== undefined ? task.objects.find((o) => o.database === dbName) : undefined;
        const t = m ? db?.tables?.find((x) => x.name === m.source.name) : undefined;
        const sel = t?.ddl ?? db?.ddl ?? task.ddl;
        return sel === undefined || (sel as string[]).includes(op);
    }

    /**
     * Latency: how far the destination is behind the source, i.e. now minus the commit time
     * of the oldest source transaction not yet applied; 0 when every transaction the source
     * has logged is applied.
     */
    private updateLatency(applied: StreamCheckpoint, master: BinlogPosition | null, drained: boolean): void {
        const st = this.host.status;
        const now = Date.now();
        const caughtUp = drained && master !== null && comparePositions(applied.position, master) >= 0;
        st.caughtUp = caughtUp;
        // Transactions that changed nothing selected are done too: the position shown passes them,
        // so it reaches the source's even when the last transactions touched other tables.
        st.position = applied.position;
        st.sourcePosition = master ?? undefined;
        const oldest = st.oldestPendingTime ?? (caughtUp ? undefined : applied.sourceTime || undefined);
        st.latencySeconds = caughtUp || oldest === undefined ? 0 : Math.max(0, Math.round((now - oldest) / 100) / 10);
        while (this.rate.length > 2 && now - this.rate[0].t > 5000) this.rate.shift();
        const first = this.rate[0];
        st.changesPerSecond = first && now > first.t ? Math.round(((st.changesApplied - first.n) * 1000) / (now - first.t)) : 0;
        if (first && now - first.t > 5000 && this.rate.length <= 1) st.changesPerSecond = 0;
    }
}
