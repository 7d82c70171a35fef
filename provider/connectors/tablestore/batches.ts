import type { RowWrite } from "./client";
import { PlainBufferEncoder, PlainBufferInputError, requestBytesUpperBound } from "./plainbuffer";
import { integerValue, isInt64, isInteger, type TsValue } from "./sdk";

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
    /**
     * The batch's size in request bytes, at most MAX_DATA_BYTES_PER_REQUEST unless one row is
     * larger: each row's requestBytes, or an upper bound of it where that was enough.
     */
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

/** Sizes rows for requestBytes (names and values checked as for a request). */
const sizer = new PlainBufferEncoder();

/**
 * A row's bytes in the request body: its PlainBuffer, exactly, and its protobuf entry (type,
 * length prefixes, condition: at most 16 bytes). Larger than its data size, so a request
 * within MAX_DATA_BYTES_PER_REQUEST by this count is within the data limit and far from the
 * 5 MB body limit too, however small its cells.
 */
export function requestBytes(row: RowWrite): number {
    return sizer.rowSize(row) + 16;
}

function valueSize(v: TsValue): number {
    if (typeof v === "string") return Buffer.byteLength(v, "utf8");
    if (Buffer.isBuffer(v)) return v.length;
    if (typeof v === "boolean") return 1;
    return 8;
}

/** Bytes a table's entry adds to a request: its name and framing. */
function tableBytes(table: string): number {
    return 16 + 3 * table.length;
}

/** A row's identity: two writes with the same one cannot share a request. */
export function rowIdentity(table: string, primaryKey: RowWrite["primaryKey"]): string {
    let id = `${table.length}:${table}`;
    for (const [, v] of primaryKey) id += keyPart(v);
    return id;
}

function keyPart(v: TsValue): string {
    if (typeof v === "string") return `|s${v.length}:${v}`;
    if (Buffer.isBuffer(v)) return `|b${v.toString("hex")}`;
    // A bigint and the SDK's Int64 of one value are one key.
    if (isInteger(v)) return `|i${v.toString()}`;
    return `|?${String(v)}`;
}

/**
 * Where each key of one table was last written. A one-column key (most tables) is looked up
 * by its value, a string or a bigint, with no identity built; Buffers by their bytes as text.
 * While a table's keys arrive in strictly increasing order (a chunk read in key order, the
 * usual full load), no key can repeat and none is looked up at all: the lookup table is built
 * from the rows so far when the first key out of order arrives.
 */
class KeyPositions {
    private strings = new Map<string, number>();
    private integers = new Map<bigint, number>();
    private others = new Map<string, number>();
    /** The rows so far (indexes into the split's rows) while the keys increase; null after. */
    private increasing: number[] | null = [];
    private last: string | bigint | undefined;

    constructor(private readonly rows: readonly RowWrite[], private readonly batchOf: Int32Array) {}

    /** The batch of the latest earlier write of row i's key, or -1. */
    previous(i: number): number {
        const pk = this.rows[i].primaryKey;
        if (this.increasing !== null) {
            const v = pk.length === 1 ? pk[0][1] : undefined;
            if ((typeof v === "bigint" || typeof v === "string") && (this.last === undefined || (typeof this.last === typeof v && v > this.last))) {
                this.last = v;
                this.increasing.push(i);
                return -1;
            }
            // Out of order: from now on every key is looked up.
            const earlier = this.increasing;
            this.increasing = null;
            for (const j of earlier) this.set(this.rows[j].primaryKey, this.batchOf[j]);
        }
        return this.get(pk) ?? -1;
    }

    /** Row i went to batch `at`. */
    placed(i: number, at: number): void {
        if (this.increasing === null) this.set(this.rows[i].primaryKey, at);
    }

    private get(pk: RowWrite["primaryKey"]): number | undefined {
        if (pk.length === 1) {
            const v = pk[0][1];
            if (typeof v === "string") return this.strings.get(v);
            if (typeof v === "bigint") return this.integers.get(v);
            if (isInt64(v)) return this.integers.get(integerValue(v));
        }
        return this.others.get(otherKey(pk));
    }

    private set(pk: RowWrite["primaryKey"], batch: number): void {
        if (pk.length === 1) {
            const v = pk[0][1];
            if (typeof v === "string") {
                this.strings.set(v, batch);
                return;
            }
            if (typeof v === "bigint" || isInt64(v)) {
                this.integers.set(integerValue(v), batch);
                return;
            }
        }
        this.others.set(otherKey(pk), batch);
    }
}

function otherKey(pk: RowWrite["primaryKey"]): string {
    let id = "";
    for (const [, v] of pk) id += keyPart(v);
    return id;
}

export function splitBatches(rows: readonly RowWrite[], opts: SplitOptions): WriteBatch[] {
    const maxRows = opts.maxRows ?? MAX_ROWS_PER_REQUEST;
    const maxBytes = opts.maxBytes ?? MAX_DATA_BYTES_PER_REQUEST;
    const batches: WriteBatch[] = [];
    /**
     * Each batch's rows whose size counts by its upper bound (strings at 3 bytes a unit):
     * measured exactly only when the bound does not fit, which for rows of ordinary size
     * never happens (200 rows are far below 4 MB).
     */
    const bounded: number[][] = [];
    /** Each row's exact size, once measured (-1: not yet). */
    const exact = new Float64Array(rows.length).fill(-1);
    const bound = new Float64Array(rows.length);
    const exactSize = (i: number): number => {
        if (exact[i] < 0) {
            try {
                exact[i] = requestBytes(rows[i]);
            } catch (err) {
                // A row the encoder refuses: the client refuses it when sending; its bound stands.
                if (!(err instanceof PlainBufferInputError)) throw err;
                exact[i] = bound[i];
            }
        }
        return exact[i];
    };
    /** Each row's batch. */
    const batchOf = new Int32Array(rows.length);
    /** The batch that holds each key's latest write, per table. */
    const keys = new Map<string, KeyPositions>();
    let lastTable: string | undefined;
    let lastKeys: KeyPositions | undefined;
    /** Batches before this one are full by row count; nothing more goes into them. */
    let firstOpen = 0;
    const fits = (at: number, i: number, row: RowWrite): boolean => {
        const b = batches[at];
        if (b.rows.length >= maxRows) return false;
        if (opts.mode === "bulk-import" && b.tables[0] !== row.table) return false;
        const extra = b.tables.includes(row.table) ? 0 : tableBytes(row.table);
        if (b.bytes + bound[i] + extra <= maxBytes) return true;
        // Near the limit: the batch's rows and this one by their exact sizes.
        const loose = bounded[at];
        for (const j of loose) b.bytes += exactSize(j) - bound[j];
        loose.length = 0;
        return b.bytes + exactSize(i) + extra <= maxBytes;
    };
    for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        if (row.table !== lastTable) {
            lastTable = row.table;
            lastKeys = keys.get(row.table);
            if (!lastKeys) keys.set(row.table, (lastKeys = new KeyPositions(rows, batchOf)));
        }
        bound[i] = requestBytesUpperBound(row);
        const previous = lastKeys!.previous(i);
        let at = Math.max(previous + 1, firstOpen);
        while (at < batches.length && !fits(at, i, row)) at++;
        if (at === batches.length) {
            // A row larger than a request still goes, alone: the service then refuses that row only.
            batches.push({ rows: [], indexes: [], tables: [], bytes: 0, after: [] });
            bounded.push([]);
        }
        const b = batches[at];
        b.rows.push(row);
        b.indexes.push(i);
        if (!b.tables.includes(row.table)) {
            b.tables.push(row.table);
            b.bytes += tableBytes(row.table);
        }
        if (exact[i] >= 0) b.bytes += exact[i];
        else {
            b.bytes += bound[i];
            bounded[at].push(i);
        }
        if (previous >= 0 && !b.after.includes(previous)) b.after.push(previous);
        batchOf[i] = at;
        lastKeys!.placed(i, at);
        while (firstOpen < batches.length && batches[firstOpen].rows.length >= maxRows) firstOpen++;
    }
    for (const b of batches) b.after.sort((x, y) => x - y);
    return batches;
}
