import ZongJi from "@vlasky/zongji";
import type { MysqlConnectionSpec } from "../../../../sdk/schema/connection";
import type { BinlogPosition } from "../../../engine/model";
import { mysqlOptions } from "../connect";
import type { BinlogTransaction, RowEventKind, RowImage } from "../../../engine/incremental/source-transaction";
import { TransactionAssembler } from "./transaction-assembler";
import { xidKey } from "./transaction-control";

/**
 * The binlog as a sequence of source transactions. Protocol only: which tables matter,
 * how values are represented at the destination and what to do with a statement are the
 * engine's business. Built on @vlasky/zongji (binlog_row_metadata=FULL decodes each row
 * with the schema in force when it was written).
 */

export type { BinlogRowEvent, BinlogStatement, BinlogTransaction, RowEventKind, RowImage } from "../../../engine/incremental/source-transaction";

export interface BinlogReaderOptions {
    /** Where to start: a group boundary (the end of the last transaction applied, or a checkpoint's holdFrom). */
    from: BinlogPosition;
    /** Transactions ending at or before this are applied already and not returned (resuming from a holdFrom). */
    appliedThrough?: BinlogPosition;
    serverId: number;
    /** Databases and tables whose row events are decoded (others are skipped by zongji). */
    include: Record<string, string[] | true>;
    /** Seconds between the server's heartbeats on an idle stream. */
    heartbeatSeconds: number;
    /** Buffered row changes above which the socket is paused until the consumer catches up. */
    highWater?: number;
}

/** The server refused the start position or the stream broke: the reader is done. */
export class BinlogStreamError extends Error {
    constructor(message: string, readonly code: string | undefined, readonly purged: boolean) {
        super(message);
        this.name = "BinlogStreamError";
    }
}

interface Waiter {
    resolve(): void;
}

/**
 * Pull-based reader: `take()` returns the buffered transactions (waiting for at least one
 * or for `idleMs`). The socket is paused while more than `highWater` row changes wait, so
 * a slow destination never makes the engine buffer the whole backlog.
 */
export class BinlogReader {
    private readonly zongji: InstanceType<typeof ZongJi>;
    private readonly queue: BinlogTransaction[] = [];
    private queuedRows = 0;
    private paused = false;
    private waiter: Waiter | undefined;
    private failure: BinlogStreamError | undefined;
    private readonly assembler: TransactionAssembler;
    private readonly highWater: number;
    /** Last time anything (an event or a heartbeat) arrived: the stream is alive. */
    lastActivity = Date.now();
    private stopped = false;

    private constructor(spec: MysqlConnectionSpec, private readonly options: BinlogReaderOptions) {
        this.highWater = options.highWater ?? 20_000;
        this.assembler = new TransactionAssembler({ from: options.from, appliedThrough: options.appliedThrough }, (tx) => this.enqueue(tx));
        // Values as text where the text is exact (dates with microseconds, JSON with int64),
        // in UTC like the full load's reader.
        const conn = { ...mysqlOptions(spec), dateStrings: true, timezone: "Z", jsonStrings: true, decimalNumbers: false };
        this.zongji = new ZongJi(conn as never);
    }

    static start(spec: MysqlConnectionSpec, options: BinlogReaderOptions): BinlogReader {
        const r = new BinlogReader(spec, options);
        r.begin();
        return r;
    }

    private begin(): void {
        const z = this.zongji as unknown as {
            connection: { query(sql: string, cb: (err: Error | null) => void): void; pause(): void; resume(): void; threadId: number | null };
            options: { filename?: string; position?: number };
            on(ev: string, fn: (arg: never) => void): void;
            start(o: object): void;
        };
        z.on("error", (err: Error & { code?: string; errno?: number }) => this.fail(err));
        z.on("binlog", (ev: never) => this.onEvent(ev));
        z.start({
            serverId: this.options.serverId,
            filename: this.options.from.file,
            position: this.options.from.position,
            includeEvents: ["rotate", "format", "query", "xid", "gtid", "mariadbgtid", "tablemap", "writerows", "updaterows", "deleterows", "heartbeat", "xaprepare"],
            includeSchema: this.options.include,
        });
        // start() opens the binlog connection synchronously and queues its preamble and the
        // dump command behind server round trips, so this SET runs before the dump: the
        // server then sends a heartbeat whenever the stream idles, and a dead connection is noticed.
        z.connection?.query(`SET @master_heartbeat_period = ${Math.round(this.options.heartbeatSeconds * 1e9)}`, () => undefined);
        // zongji does not always re-emit a fatal error of its binlog connection (e.g. 1236 for a
        // purged file during the dump's start): listen on the connection itself too.
        (z.connection as unknown as { on?(ev: string, fn: (e: Error) => void): void } | null)?.on?.("error", (e) => this.fail(e));
    }

    /** Thread id of the binlog dump connection on the source (tests kill it). */
    get connectionId(): number | null {
        return (this.zongji as unknown as { connection: { threadId: number | null } | null }).connection?.threadId ?? null;
    }

    private position(): BinlogPosition {
        const o = (this.zongji as unknown as { options: { filename: string; position: number } }).options;
        return { file: o.filename, position: o.position };
    }

    private onEvent(ev: {
        getEventName(): string; timestamp: number; gtid?: string; nextPosition: number;
        query?: string; schema?: string; rows?: unknown[]; tableId?: number;
        tableMap?: Record<number, { parentSchema: string; tableName: string }>;
        standalone?: boolean; onePhase?: boolean; xidFormatId?: number; xidGtrid?: Buffer; xidBqual?: Buffer;
    }): void {
        if (this.stopped) return;
        this.lastActivity = Date.now();
        const name = ev.getEventName();
        const tx = this.assembler;
        switch (name) {
            case "tablemap": {
                // zongji decodes latin1 as cp1252, which has no characters for 0x81, 0x8D, 0x8F,
                // 0x90 and 0x9D; MySQL's latin1 maps them to U+0081... Bytes come through as they
                // are, and binlog-values.ts decodes them the way MySQL does.
                const cols = (ev.tableMap?.[ev.tableId!] as { columns?: { charset?: string | null }[] } | undefined)?.columns ?? [];
                for (const c of cols) if (c.charset === "latin1") c.charset = "binary";
                return;
            }
            case "rotate": case "format":
                tx.boundary(this.position());
                return;
            case "gtid":
                tx.gtid(ev.timestamp, ev.gtid, undefined);
                return;
            case "mariadbgtid":
                tx.gtid(ev.timestamp, ev.gtid, ev.standalone === undefined ? undefined : !ev.standalone);
                return;
            case "query":
                tx.query(ev.query ?? "", ev.schema ?? "", ev.timestamp, this.position());
                return;
            case "xid":
                tx.xid(ev.timestamp, this.position());
                return;
            case "xaprepare":
                tx.xaPrepare(xidKey(ev.xidGtrid ?? Buffer.alloc(0), ev.xidBqual ?? Buffer.alloc(0), ev.xidFormatId ?? 1), ev.onePhase === true, ev.timestamp, this.position());
                return;
            case "writerows": case "updaterows": case "deleterows": {
                const meta = ev.tableMap?.[ev.tableId!];
                if (!meta) return;
                const kind: RowEventKind = name === "writerows" ? "insert" : name === "updaterows" ? "update" : "delete";
                const rows = (ev.rows ?? []).map((r) =>
                    kind === "update" ? (r as { before: RowImage; after: RowImage }) : kind === "insert" ? { after: r as RowImage } : { before: r as RowImage });
                tx.rows({ database: meta.parentSchema, table: meta.tableName, kind, rows }, ev.timestamp);
                return;
            }
            default:
                return;
        }
    }

    /** A committed transaction: queued for take(); the socket pauses while too many rows wait. */
    private enqueue(tx: BinlogTransaction): void {
        // Transactions that touched nothing selected still move the position forward.
        this.queue.push(tx);
        this.queuedRows += tx.rowCount;
        if (!this.paused && this.queuedRows > this.highWater) {
            this.paused = true;
            (this.zongji as unknown as { connection: { pause(): void } | null }).connection?.pause();
        }
        this.wake();
    }

    private fail(err: Error & { code?: string; errno?: number }): void {
        if (this.stopped || this.failure) return;
        const purged = err.errno === 1236 || /purged|could not find first log file|binlog truncated/i.test(err.message);
        this.failure = new BinlogStreamError(`binlog stream: ${err.message}`, err.code, purged);
        this.wake();
    }

    private wake(): void {
        const w = this.waiter;
        this.waiter = undefined;
        w?.resolve();
    }

    /**
     * The transactions buffered so far, up to `maxRows` row changes (at least one
     * transaction); waits up to `idleMs` when none is buffered. Throws when the stream failed.
     */
    async take(maxRows: number, idleMs: number): Promise<BinlogTransaction[]> {
        const conn = (this.zongji as unknown as { connection: { _fatalError?: Error | null } | null }).connection;
        if (conn?._fatalError) this.fail(conn._fatalError);
        if (this.queue.length === 0 && !this.failure) {
            await new Promise<void>((resolve) => {
                const t = setTimeout(() => { this.waiter = undefined; resolve(); }, idleMs);
                this.waiter = { resolve: () => { clearTimeout(t); resolve(); } };
            });
        }
        if (this.queue.length === 0 && this.failure) throw this.failure;
        const out: BinlogTransaction[] = [];
        let rows = 0;
        while (this.queue.length && (out.length === 0 || rows + this.queue[0].rowCount <= maxRows)) {
            const tx = this.queue.shift()!;
            rows += tx.rowCount;
            out.push(tx);
        }
        this.queuedRows -= rows;
        if (this.paused && this.queuedRows < this.highWater / 2) {
            this.paused = false;
            (this.zongji as unknown as { connection: { resume(): void } | null }).connection?.resume();
        }
        return out;
    }

    /** Nothing decoded is waiting to be taken. */
    get drained(): boolean {
        return this.queue.length === 0 && !this.assembler.inTransaction;
    }

    async stop(): Promise<void> {
        if (this.stopped) return;
        this.stopped = true;
        this.wake();
        await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 2000);
            (this.zongji as unknown as { once(ev: string, fn: () => void): void; stop(): void }).once("stopped", () => { clearTimeout(t); resolve(); });
            (this.zongji as unknown as { stop(): void }).stop();
        });
    }
}
