import { createHash } from "node:crypto";
import type { Connection, RowDataPacket } from "mysql2/promise";
import type { MysqlConnectionSpec } from "../../../../sdk/schema/connection";
import type { TaskSpec } from "../../../../sdk/schema/task";
import {
    type ChangeSession, type ChangeSessionOptions, type ChangeSource, PositionPurgedError, type RowDecoder, type StatementReader,
} from "../../../engine/change-source";
import type { FilterEvaluator } from "../../../engine/incremental/change-model";
import type { BinlogTransaction, RowImage } from "../../../engine/incremental/source-transaction";
import type { BinlogPosition, SourceRow, TableMapping } from "../../../engine/model";
import { connectMysql } from "../connect";
import { detectDialect, readBinlogStatus } from "../server-dialect";
import { alterationOf } from "./alter-apply";
import { parseAlterTable, parseCreateTable, parseIndexStatement } from "./alter-parser";
import { BinlogReader, BinlogStreamError } from "./binlog-reader";
import { binlogValueConverter } from "./binlog-values";
import { classifyStatement, loggedDml } from "./ddl-statement";
import { filterHolds } from "./filter-eval";
import { HeartbeatWriter } from "./heartbeat";

/** The server's keep-alive interval we ask for, in seconds; three missed ones mean the connection is dead. */
const HEARTBEAT_SECONDS = 5;
/** How often the binlog's end is read for latency. */
const LOG_END_EVERY_MS = 1000;

/** A source server_id for this task: stable across restarts, distinct between tasks, clear of small hand-picked ids. */
export function streamServerId(taskId: string): number {
    const h = createHash("sha256").update(taskId).digest().readUInt32BE(0);
    return 0x40000000 + (h % 0xbfff_fff0);
}

/** MySQL-family statements in the engine's vocabulary. */
export const mysqlStatementReader: StatementReader = {
    classify: classifyStatement,
    loggedDml,
    alterTable: parseAlterTable,
    indexStatement: parseIndexStatement,
    createTable: parseCreateTable,
    alteration: alterationOf,
};

/** The binlog of a MySQL-family server, read as a replica would (binlog_format ROW, full images). */
export class MysqlChangeSource implements ChangeSource {
    readonly statements = mysqlStatementReader;

    constructor(private readonly spec: MysqlConnectionSpec) {}

    rowDecoder(m: TableMapping, task: TaskSpec): RowDecoder {
        const converters = m.columns.map((c) => binlogValueConverter(c.source, task.floatPrecision));
        // Tables with a row filter: every source column, so the filter can read any of them, at full precision.
        const full = m.where ? m.source.columns.map((c) => binlogValueConverter(c, { float: 38, double: 308 })) : null;
        const keyIndexes = new Set((m.key ?? []).map((k) => m.columns.findIndex((c) => c.source.name === k)));
        return {
            row: (img: RowImage): SourceRow => m.columns.map((c, i) => converters[i](img[c.source.name])),
            fullImage: (img: RowImage) => full?.map((f, i) => f(img[m.source.columns[i].name])),
            keyRow: (img: RowImage): SourceRow => m.columns.map((c, i) => {
                if (!keyIndexes.has(i)) return null;
                try {
                    return converters[i](img[c.source.name]);
                } catch {
                    return null;
                }
            }),
        };
    }

    openSession(options: ChangeSessionOptions): Promise<ChangeSession> {
        return MysqlChangeSession.open(this.spec, options);
    }
}

class MysqlChangeSession implements ChangeSession {
    readonly silenceLimitMs = HEARTBEAT_SECONDS * 3000;
    private end: BinlogPosition | null = null;
    private probeError: unknown;
    private timer: NodeJS.Timeout | undefined;
    heartbeatError: string | undefined;
    readonly filter: FilterEvaluator;

    private constructor(
        private readonly options: ChangeSessionOptions,
        private readonly probe: Connection,
        private readonly reader: BinlogReader,
        private readonly heartbeat: { writer: HeartbeatWriter; conn: Connection } | undefined,
        private readonly heartbeatTable: { database: string; table: string } | undefined,
    ) {
        this.filter = (m, images) => filterHolds(probe, m.source, m.where!, images);
    }

    static async open(spec: MysqlConnectionSpec, o: ChangeSessionOptions): Promise<MysqlChangeSession> {
        const probe = await connectMysql(spec);
        let heartbeat: { writer: HeartbeatWriter; conn: Connection } | undefined;
        let heartbeatError: string | undefined;
        let reader: BinlogReader | undefined;
        try {
            await checkNotPurged(probe, o.from);
            const include = { ...o.include };
            const hb = o.task.heartbeat;
            const [hbDb, hbTable] = hb.table.split(".");
            if (hb.enabled) {
                const cur = include[hbDb];
                if (cur !== true) include[hbDb] = [...(cur ?? []), hbTable];
                const conn = await connectMysql(spec);
                try {
                    heartbeat = { writer: await HeartbeatWriter.start(conn, hbDb, hbTable, o.taskId, hb.intervalSeconds), conn };
                } catch (err) {
                    await conn.end().catch(() => undefined);
                    // Latency still comes from the source's binlog position; only its precision suffers.
                    heartbeatError = `heartbeat table ${hb.table} cannot be written: ${(err as Error).message}`;
                }
            }
            reader = BinlogReader.start(spec, {
                from: o.from, appliedThrough: o.appliedThrough, serverId: streamServerId(o.taskId), include, heartbeatSeconds: HEARTBEAT_SECONDS,
            });
            const session = new MysqlChangeSession(o, probe, reader, heartbeat, hb.enabled ? { database: hbDb, table: hbTable } : undefined);
            session.heartbeatError = heartbeatError;
            await session.startPolling();
            return session;
        } catch (err) {
            heartbeat?.writer.stop();
            await heartbeat?.conn.end().catch(() => undefined);
            await reader?.stop().catch(() => undefined);
            await probe.end().catch(() => undefined);
            throw err;
        }
    }

    private async startPolling(): Promise<void> {
        const dialect = await detectDialect(this.probe);
        const poll = async () => {
            try {
                const status = await readBinlogStatus(this.probe, dialect);
                this.end = status && { file: status.file, position: status.position };
            } catch (err) {
                this.probeError = err;
            }
        };
        await poll();
        this.timer = setInterval(() => void poll(), LOG_END_EVERY_MS);
    }

    get lastActivity(): number {
        return this.reader.lastActivity;
    }

    get drained(): boolean {
        return this.reader.drained;
    }

    async take(maxRows: number, idleMs: number): Promise<BinlogTransaction[]> {
        if (this.probeError) throw this.probeError;
        if (this.heartbeat?.writer.lastError) this.heartbeatError = this.heartbeat.writer.lastError;
        try {
            return await this.reader.take(maxRows, idleMs);
        } catch (err) {
            if (err instanceof BinlogStreamError && err.purged) throw new PositionPurgedError(this.options.from, err.message);
            throw err;
        }
    }

    async logEnd(): Promise<BinlogPosition | null> {
        return this.end;
    }

    /** Our heartbeat rows among the transactions: their age is the end-to-end lag. */
    heartbeatLag(txs: BinlogTransaction[]): number | undefined {
        const hb = this.heartbeatTable;
        if (!hb) return undefined;
        for (let i = txs.length - 1; i >= 0; i--) {
            for (const ev of txs[i].rows) {
                if (ev.database !== hb.database || ev.table !== hb.table) continue;
                for (const r of ev.rows) {
                    const img = r.after;
                    if (img && img.task_id === this.options.taskId) return Math.max(0, Date.now() - Number(img.beat_ms));
                }
            }
        }
        return undefined;
    }

    async close(): Promise<void> {
        clearInterval(this.timer);
        this.heartbeat?.writer.stop();
        await this.heartbeat?.conn.end().catch(() => undefined);
        await this.reader.stop().catch(() => undefined);
        await this.probe.end().catch(() => undefined);
    }
}

/** Fails clearly (no retries) when the file the stream must start in is gone from the source. */
async function checkNotPurged(conn: Connection, from: BinlogPosition): Promise<void> {
    const [logs] = await conn.query<RowDataPacket[]>("SHOW BINARY LOGS");
    const files = logs.map((l) => String(l.Log_name));
    if (!files.includes(from.file)) {
        throw new PositionPurgedError(from, `the oldest binary log on the source is ${files[0] ?? "none"}`);
    }
}
