import type { RowWrite } from "./client";
import { isInt64, type TsValue } from "./sdk";

/**
 * Splits row writes into requests the service takes: at most 200 rows and 4 MB of data
 * each (BatchWriteRow's limits, which Java's writer applies to BulkImport as well), never
 * the same row twice in one request, and one table per request for BulkImport.
 *
 * Rows of different keys may move between requests to fill them; the writes of one key
 * keep their order, each in a later request than the one before (see WriteBatch.after).
 */

export const MAX_ROWS_PER_REQUEST = 200;
export const MAX_DATA_BYTES_PER_REQUEST = 4 * 1024 * 1024;

export interface WriteBatch {
    /** The rows, in input order. */
    rows: RowWrite[];
    /** Each row's position in the list that was split, for mapping per-row results back. */
    indexes: number[];
    /** The tables in the batch, in order of appearance (one for BulkImport). */
    tables: string[];
    /** The batch's size by requestBytes. */
    bytes: number;
    /**
     * The earlier batches that write one of this batch's rows (ascending). This batch must be
     * written after they have completed; batches with no such link may be written at once.
     */
    after: number[];
}

export interface SplitOptions {
    /** "bulk-import": one table per request. */
    mode: "batch-write-row" | "bulk-import";
    maxRows?: number;
    maxBytes?: number;
}

/**
 * A row's "data size" as the service counts it against the 4 MB limit (research §4, from
 * the Java SDK's getDataSize): each key and attribute column's name bytes plus its value's
 * (INTEGER and DOUBLE 8, BOOLEAN 1, STRING and BINARY their bytes); a DELETE_ALL its name.
 */
export function rowDataSize(row: RowWrite): number {
    let n = 0;
    for (const [name, v] of row.primaryKey) n += Buffer.byteLength(name, "utf8") + valueSize(v);
    for (const [name, v] of row.put ?? []) n += Buffer.byteLength(name, "utf8") + valueSize(v);
    for (const name of row.deleteAll ?? []) n += Buffer.byteLength(name, "utf8");
    return n;
}

/**
 * A row's bytes in the request body, an upper bound: its PlainBuffer (header, tags, lengths,
 * checksums around each cell) and the protobuf framing of the row. Larger than its data size,
 * so a request within MAX_DATA_BYTES_PER_REQUEST by this count is within the data limit and
 * far from the 5 MB body limit too, however small its cells.
 */
export function requestBytes(row: RowWrite): number {
    // Header (4), row-key and row-data tags (2), delete marker (1), row checksum (2), and
    // the protobuf row entry: type, length-prefixed bytes, condition (≤ 16).
    let n = 4 + 2 + 1 + 2 + 16;
    // Per cell: cell tag, name tag + length (5), value tag + length + type (6), value
    // length (4, strings and bytes only), op tag + byte (2), checksum tag + byte (2).
    for (const [name, v] of row.primaryKey) n += 20 + Buffer.byteLength(name, "utf8") + valueSize(v);
    for (const [name, v] of row.put ?? []) n += 20 + Buffer.byteLength(name, "utf8") + valueSize(v);
    for (const name of row.deleteAll ?? []) n += 20 + Buffer.byteLength(name, "utf8");
    return n;
}

function valueSize(v: TsValue): number {
    if (typeof v === "string") return Buffer.byteLength(v, "utf8");
    if (Buffer.isBuffer(v)) return v.length;
    if (typeof v === "boolean") return 1;
    return 8;
}

/** Bytes a table's entry adds to a request: its name and framing. */
function tableBytes(table: string): number {
    return 16 + Buffer.byteLength(table, "utf8");
}

/** A row's identity: two writes with the same one cannot share a request. */
export function rowIdentity(table: string, primaryKey: RowWrite["primaryKey"]): string {
    let id = `${table.length}:${table}`;
    for (const [, v] of primaryKey) {
        if (typeof v === "string") id += `|s${v.length}:${v}`;
        else if (Buffer.isBuffer(v)) id += `|b${v.toString("hex")}`;
        else if (isInt64(v)) id += `|i${v.toString()}`;
        else id += `|?${String(v)}`;
    }
    return id;
}

export function splitBatches(rows: readonly RowWrite[], opts: SplitOptions): WriteBatch[] {
    const maxRows = opts.maxRows ?? MAX_ROWS_PER_REQUEST;
    const maxBytes = opts.maxBytes ?? MAX_DATA_BYTES_PER_REQUEST;
    const batches: WriteBatch[] = [];
    /** The batch that holds each key's latest write. */
    const lastOfKey = new Map<string, number>();
    /** Batches before this one are full by row count; nothing more goes into them. */
    let firstOpen = 0;
    const fits = (b: WriteBatch, row: RowWrite, bytes: number) => {
        if (b.rows.length >= maxRows) return false;
        if (opts.mode === "bulk-import" && b.tables[0] !== row.table) return false;
        const extra = b.tables.includes(row.table) ? 0 : tableBytes(row.table);
        return b.bytes + bytes + extra <= maxBytes;
    };
    rows.forEach((row, index) => {
        const key = rowIdentity(row.table, row.primaryKey);
        const bytes = requestBytes(row);
        const previous = lastOfKey.get(key) ?? -1;
        let at = Math.max(previous + 1, firstOpen);
        while (at < batches.length && !fits(batches[at], row, bytes)) at++;
        if (at === batches.length) {
            // A row larger than a request still goes, alone: the service then refuses that row only.
            batches.push({ rows: [], indexes: [], tables: [], bytes: 0, after: [] });
        }
        const b = batches[at];
        b.rows.push(row);
        b.indexes.push(index);
        if (!b.tables.includes(row.table)) {
            b.tables.push(row.table);
            b.bytes += tableBytes(row.table);
        }
        b.bytes += bytes;
        if (previous >= 0 && !b.after.includes(previous)) b.after.push(previous);
        lastOfKey.set(key, at);
        while (firstOpen < batches.length && batches[firstOpen].rows.length >= maxRows) firstOpen++;
    });
    for (const b of batches) b.after.sort((x, y) => x - y);
    return batches;
}
