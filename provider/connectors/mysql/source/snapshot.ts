import type { Connection, FieldPacket, RowDataPacket } from "mysql2/promise";
import type { Readable } from "node:stream";
import type { MysqlConnectionSpec } from "../../../../sdk/schema/connection";
import type { BinlogPosition, SourceColumn, SourceRow } from "../../../engine/model";
import { connectMysql } from "../connect";
import { type BarrierTarget, writeBarrier } from "./heartbeat";
import { detectDialect, readBinlogStatus, type ServerDialect, serverDialect } from "../server-dialect";
import { establishPosition, type PositionProbe, type SnapshotMethod } from "./snapshot-position";
import { isBinaryColumn, type RawRowBatch, type RowPacketHandler } from "../row-packets";

/**
 * A read-only REPEATABLE READ transaction and the binlog position it is consistent with:
 * every change committed before `position` is visible in it, none after (or, with the
 * barrier, possibly some after it, which the stream replays idempotently).
 */
export interface Snapshot {
    conn: Connection;
    position: BinlogPosition;
    /** How the position was established, for the task's log. */
    method: SnapshotMethod;
    /** Set when the position may miss a transaction (MySQL without a barrier): a note for the task. */
    risk?: string;
}

export interface SnapshotOptions {
    /** ConnectionFacts.serverVersion; read from the connection when absent. */
    serverVersion?: string;
    /**
     * The task's heartbeat row, where a MySQL source gets the commit barrier that makes the
     * position exact (heartbeatBarrier(task.heartbeat, taskId)); without it the position is
     * read without a barrier and `risk` says so. Unused on MariaDB.
     */
    barrier?: BarrierTarget;
}

/**
 * Opens a consistent snapshot on a new connection and establishes its binlog position:
 * MariaDB's own snapshot position, or on MySQL the binlog status read before a commit
 * barrier, which proves that every transaction logged before that position is visible in
 * the snapshot (the argument is in snapshot-position.ts).
 */
export async function openSnapshot(spec: MysqlConnectionSpec, flavour: string, options: SnapshotOptions = {}): Promise<Snapshot> {
    const conn = await connectMysql(spec);
    try {
        await conn.query("SET SESSION time_zone = '+00:00'");
        await conn.query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        const dialect = options.serverVersion !== undefined
            ? serverDialect(flavour, options.serverVersion)
            : await detectDialect(conn, flavour);
        const established = await establishPosition(positionProbe(conn, dialect, options.barrier), dialect, options.barrier !== undefined);
        return { conn, ...established };
    } catch (err) {
        conn.destroy();
        throw err;
    }
}

/** The statements behind establishPosition's observations, on the snapshot's own connection. */
function positionProbe(conn: Connection, dialect: ServerDialect, barrier: BarrierTarget | undefined): PositionProbe {
    return {
        binlogStatus: () => readBinlogStatus(conn, dialect),
        orderCommits: async () => {
            try {
                const [rows] = await conn.query<RowDataPacket[]>("SELECT @@GLOBAL.binlog_order_commits AS v");
                return /^(1|ON)$/i.test(String(rows[0]?.v));
            } catch {
                return null;
            }
        },
        writeBarrier: () => writeBarrier(conn, barrier!),
        startSnapshot: async () => {
            await conn.query("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
        },
        rollback: async () => {
            await conn.query("ROLLBACK");
        },
        snapshotStatus: async () => {
            const [rows] = await conn.query<RowDataPacket[]>("SHOW STATUS WHERE Variable_name IN ('binlog_snapshot_file', 'binlog_snapshot_position')");
            const vars = new Map(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]));
            const [g] = await conn.query<RowDataPacket[]>("SELECT @@gtid_binlog_pos AS gtid");
            const gtid = String(g[0].gtid ?? "");
            return { file: vars.get("binlog_snapshot_file") ?? "", position: Number(vars.get("binlog_snapshot_position") ?? 0), ...(gtid ? { gtid } : {}) };
        },
    };
}

/**
 * A consistent snapshot for reading one chunk: the same read-only REPEATABLE READ
 * transaction as openSnapshot's, without establishing its binlog position (a chunk needs
 * only to be read at or after the task's position, which any snapshot opened later is),
 * so it costs three statements instead of five or more.
 */
export async function openReadSnapshot(spec: MysqlConnectionSpec): Promise<{ conn: Connection }> {
    const conn = await connectMysql(spec);
    try {
        await conn.query("SET SESSION time_zone = '+00:00'");
        await conn.query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        await conn.query("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    } catch (err) {
        conn.destroy();
        throw err;
    }
    return { conn };
}

export async function closeSnapshot(s: Snapshot): Promise<void> {
    await s.conn.query("ROLLBACK").catch(() => undefined);
    await s.conn.end().catch(() => undefined);
}

/**
 * The SELECT expression for a column. FLOAT is printed by the server with 6 significant
 * digits, which loses bits; as DOUBLE it prints the stored value exactly. A precision
 * below the defaults (38 for FLOAT, 308 for DOUBLE) applies DTS's ROUND(column, precision).
 *
 * Without rounding, a negative zero is read as the text '-0': MariaDB sends -0 as "0" (in
 * the text and the binary protocol alike), which would make it +0 at the destination,
 * although a FLOAT column holds -0 (a negative value that underflows when stored) and
 * real / double precision keep it. ATAN2(-0, -1) is -π, ATAN2(+0, -1) is +π; the test
 * costs a comparison per row, ATAN2 only for zeros. Mixing '-0' with the double makes the
 * result a string, printed with the same shortest round-trip digits as the double itself
 * (test/integration/awkward-values.test.ts compares the migrated values with exact ones).
 */
export function selectExpression(col: SourceColumn, quoted: string, precision: { float: number; double: number }): string {
    const signedZero = (expr: string) => `IF(${quoted} = 0 AND ATAN2(${quoted}, -1) < 0, '-0', ${expr})`;
    if (col.dataType === "float") {
        return precision.float < 38 ? `ROUND(${quoted}, ${precision.float})` : signedZero(`CAST(${quoted} AS DOUBLE)`);
    }
    if (col.dataType === "double" || col.dataType === "real") {
        return precision.double < 308 ? `ROUND(${quoted}, ${precision.double})` : signedZero(quoted);
    }
    return quoted;
}

/**
 * Streams a query's rows in batches, holding at most a few batches in memory. Values are
 * exact: text is decoded from the packet as UTF-8 (the connection charset), so DECIMAL,
 * 64-bit integers and dates never pass through JS numbers or Dates, and binary columns
 * (chosen by `binary[i]`) stay bytes.
 */
export async function* streamRows(conn: Connection, sql: string, binary: boolean[], batchSize = 2000): AsyncGenerator<SourceRow[]> {
    const core = (conn as unknown as { connection: { query(o: object): { stream(o: object): Readable } } }).connection;
    // The SELECT names its columns c0, c1, ... (chunkQuery), so the cast knows each field's
    // index; decoding straight from the packet saves a Buffer per text value.
    const typeCast = (field: { name: string; string(encoding?: string): string | null; buffer(): Buffer | null }) =>
        binary[Number(field.name.slice(1))] ? field.buffer() : field.string("utf8");
    const stream = core.query({ sql, rowsAsArray: true, typeCast }).stream({ highWaterMark: batchSize });
    let batch: SourceRow[] = [];
    try {
        for await (const row of stream) {
            batch.push(row as SourceRow);
            if (batch.length >= batchSize) {
                yield batch;
                batch = [];
            }
        }
        if (batch.length > 0) yield batch;
    } finally {
        stream.destroy();
    }
}

type CoreQuery = {
    row(packet: CorePacket, connection: CoreConnection): unknown;
    done(): unknown;
    on(event: "end", cb: () => void): void;
    on(event: "error", cb: (err: unknown) => void): void;
};
type CorePacket = { buffer: Buffer; offset: number; end: number; isEOF(): boolean; eofStatusFlags(): number };
type CoreConnection = { query(o: object): CoreQuery; pause(): void; resume(): void };

const SERVER_MORE_RESULTS_EXISTS = 8;

/**
 * Streams a query's rows without decoding them: each row packet goes to `handler` as it
 * arrives (mysql2's text row parser is bypassed; column definitions are still read by
 * mysql2), and its batches are yielded. Holds at most `maxQueued` batches: beyond that
 * the connection stops reading from the socket until the consumer catches up.
 */
export async function* streamRowPackets<T extends RawRowBatch>(conn: Connection, sql: string, handler: RowPacketHandler<T>, maxQueued = 2): AsyncGenerator<T> {
    const core = (conn as unknown as { connection: CoreConnection }).connection;
    const queue: T[] = [];
    let ended = false;
    let abandoned = false;
    let paused = false;
    let error: unknown;
    let wake: (() => void) | null = null;
    const notify = () => {
        const w = wake;
        wake = null;
        w?.();
    };
    const q = core.query({ sql, rowsAsArray: true });
    const row = (packet: CorePacket): unknown => {
        if (packet.isEOF()) {
            if (packet.eofStatusFlags() & SERVER_MORE_RESULTS_EXISTS) error ??= new Error("streamRowPackets: more than one result set");
            return q.done();
        }
        if (abandoned || error !== undefined) return row;
        try {
            if (handler.row(packet.buffer, packet.offset, packet.end)) {
                const b = handler.take();
                if (b !== null) queue.push(b);
                if (queue.length >= maxQueued && !paused) {
                    paused = true;
                    core.pause();
                }
                notify();
            }
        } catch (err) {
            error = err;
            notify();
        }
        return row;
    };
    // The state machine calls this.row after the column definitions; each call returns the next state.
    q.row = row;
    q.on("end", () => {
        if (!abandoned && error === undefined) {
            try {
                const b = handler.take();
                if (b !== null) queue.push(b);
            } catch (err) {
                error = err;
            }
        }
        ended = true;
        notify();
    });
    q.on("error", (err) => {
        error ??= err;
        ended = true;
        notify();
    });
    try {
        for (;;) {
            if (error !== undefined) throw error;
            const b = queue.shift();
            if (b !== undefined) {
                if (paused && queue.length < maxQueued) {
                    paused = false;
                    core.resume();
                }
                yield b;
                continue;
            }
            if (ended) return;
            await new Promise<void>((r) => (wake = r));
        }
    } finally {
        abandoned = true;
        if (paused) {
            paused = false;
            core.resume();
        }
    }
}

export type { FieldPacket };

/** Drops the snapshot's connection at once, even mid-stream (a chunk reader that failed or was stopped). */
export function destroySnapshot(s: Pick<Snapshot, "conn">): void {
    s.conn.destroy();
}
