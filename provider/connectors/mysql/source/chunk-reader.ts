import type { Connection } from "mysql2/promise";
import type { MysqlConnectionSpec } from "../../../../sdk/schema/connection";
import { qualified, quoteIdent } from "../identifiers";
import { destroySnapshot, openReadSnapshot, selectExpression, streamRowPackets, streamRows } from "./snapshot";
import { isBinaryColumn, RAW_ROWS, type RawRowBatch, type RawRows, type RowPacketHandler } from "../row-packets";
import type { SourceRow, TableMapping } from "../../../engine/model";
import { type KeyRange, rangeConditions } from "../../../engine/sink";

/** The SELECT that reads one chunk: mapped columns, key range, and the user's row filter. */
export function chunkQuery(mapping: TableMapping, range: KeyRange | null, precision: { float: number; double: number }): string {
    // Aliases c0, c1, ...: streamRows tells binary from text columns by position.
    const cols = mapping.columns.map((c, i) => `${selectExpression(c.source, quoteIdent(c.source.name), precision)} AS c${i}`).join(", ");
    const conds: string[] = [];
    if (range && mapping.key) conds.push(...rangeConditions(quoteIdent(mapping.key[0]), range));
    if (mapping.where) conds.push(`(${mapping.where})`);
    return `SELECT ${cols} FROM ${qualified(mapping.source.database, mapping.source.name)}${conds.length ? ` WHERE ${conds.join(" AND ")}` : ""}`;
}

/**
 * Reads a chunk inside its own consistent snapshot. Each chunk's snapshot is at or after
 * the task's recorded snapshot position, which is what incremental replay needs: changes
 * from that position on are applied idempotently over any of them.
 *
 * Iterating gives decoded rows. A destination that writes the source's bytes as they are
 * (the MySQL sink's LOAD DATA) reads through `[RAW_ROWS]` instead: the same query, snapshot
 * and throttling, with undecoded rows handed to its packet handler. A reader is used once,
 * one way or the other.
 */
export function readChunk(
    spec: MysqlConnectionSpec,
    // The source's flavour: a chunk's snapshot needs no binlog position, whose method depends on it.
    _flavour: string,
    mapping: TableMapping,
    sql: string,
    throttle: (rows: SourceRow[]) => Promise<void>,
    /**
     * Read in this snapshot (the task's own, at its exact position) instead of a new one:
     * a keyless table must not overlap with the stream (see TaskRunner.fullLoad). It stays
     * open for the next table.
     */
    shared?: Connection,
): AsyncIterable<SourceRow[]> & { [RAW_ROWS]: RawRows } {
    const binary = mapping.columns.map((c) => isBinaryColumn(c.source));
    const open = async () => (shared ? { conn: shared } : openReadSnapshot(spec));
    const close = (snap: { conn: Connection }) => {
        if (!shared) destroySnapshot(snap);
    };
    async function* rows(): AsyncGenerator<SourceRow[]> {
        const snap = await open();
        try {
            for await (const batch of streamRows(snap.conn, sql, binary)) {
                await throttle(batch);
                yield batch;
            }
        } finally {
            close(snap);
        }
    }
    async function* raw<T extends RawRowBatch>(handler: RowPacketHandler<T>): AsyncGenerator<T> {
        const snap = await open();
        try {
            for await (const batch of streamRowPackets(snap.conn, sql, handler)) {
                await throttle(throttleRows(batch));
                yield batch;
            }
        } finally {
            close(snap);
        }
    }
    return { [Symbol.asyncIterator]: () => rows(), [RAW_ROWS]: raw };
}

/**
 * What the throttle sees of an undecoded batch: its row count, and its value bytes the way
 * it counts them (a value's length, 1 for NULL), carried by the first row alone.
 */
function throttleRows(batch: RawRowBatch): SourceRow[] {
    if (batch.rows === 0) return [];
    const rows: SourceRow[] = new Array<SourceRow>(batch.rows).fill(NULL_ROW);
    rows[0] = [{ length: Math.max(0, batch.valueBytes - (batch.rows - 1)) } as unknown as Buffer];
    return rows;
}
const NULL_ROW: SourceRow = [null];
