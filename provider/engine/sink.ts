import type { PermanentFailure } from "./retry";
import type { SourceRow, TableMapping } from "./model";

/** A key range [lo, hi) on the mapping's single integer key column; null bounds are open. */
export interface KeyRange {
    lo: string | null;
    hi: string | null;
}

/**
 * SQL conditions for a key range on an already-quoted integer column. The bounds come
 * from BigInt arithmetic (never from user text), and go through BigInt again on the way out.
 */
export function rangeConditions(quotedColumn: string, range: KeyRange): string[] {
    const parts: string[] = [];
    if (range.lo !== null) parts.push(`${quotedColumn} >= ${BigInt(range.lo).toString()}`);
    if (range.hi !== null) parts.push(`${quotedColumn} < ${BigInt(range.hi).toString()}`);
    return parts;
}

/** The destination-side condition of a chunk: its range on the key column's target name. */
export function targetRangeCondition(mapping: TableMapping, range: KeyRange, quote: (id: string) => string): string {
    const keyCol = mapping.columns.find((c) => c.source.name === mapping.key![0])!;
    const parts = rangeConditions(quote(keyCol.target), range);
    return parts.length ? parts.join(" AND ") : "TRUE";
}

/** Why a row could not be written; raised to the engine, which applies the dirty-data policy. */
export class RowRejectedError extends Error implements PermanentFailure {
    /** The dirty-data policy has decided (block); retrying would refuse the same row again. */
    readonly permanent = true;
    constructor(readonly table: string, readonly rowKey: string, readonly reason: string) {
        super(`row ${rowKey} of ${table} was rejected: ${reason}`);
        this.name = "RowRejectedError";
    }
}

/**
 * A change to a table without a usable key whose before image matches no destination row:
 * the copy has diverged from the source. Handled as refused data (row by row, then the
 * dirty-data policy), never passed over.
 */
export class RowNotFoundError extends Error {
    constructor(readonly table: string, readonly change: "delete" | "update") {
        super(`no row of ${table} matches the source's before image of a ${change}: the destination's copy differs from the source`);
        this.name = "RowNotFoundError";
    }
}

/** The destination refused data (not a connection problem): the chunk is retried row by row. */
export class DataRejectedError extends Error {
    constructor(message: string, readonly table: string) {
        super(message);
        this.name = "DataRejectedError";
    }
}

export interface ChunkWrite {
    mapping: TableMapping;
    /** The chunk's key range, when the table is split; null for a whole-table chunk. */
    range: KeyRange | null;
    /** The chunk was started before (crash or retry): remove what it may have written first. */
    redo: boolean;
    /**
     * For a destination that cannot remove rows (no keys: MaxCompute): what this sink recorded
     * with recordSinkState in an earlier attempt at the chunk, if it did.
     */
    sinkState?: string;
    /**
     * Records `state` in the task's checkpoint and resolves once it is durable (on disk, or in
     * the engine service's control database): a sink calls it before the step that makes the
     * chunk's rows visible, so a redo after a crash at any point can tell whether that step ran.
     */
    recordSinkState(state: string): Promise<void>;
    /** "keep-existing": rows whose key exists at the destination are left as they are (ignore-and-proceed). */
    conflict: "error" | "keep-existing";
    batches: AsyncIterable<SourceRow[]>;
    /** Write row by row and hand refused rows to onRejected (after a DataRejectedError). */
    isolateRows: boolean;
    /** Called for each refused row; throws to stop the task (dirty-data policy "block"). */
    onRejected(row: SourceRow, reason: string): void;
    onProgress(rows: number, bytes: number): void;
}

/** A destination's bulk writer; one instance per worker, holding one connection. */
export interface BulkSink {
    writeChunk(w: ChunkWrite): Promise<number>;
    close(): Promise<void>;
}

/** "id=42" or "a=1, b=x": how a row is named in errors and the dirty-data log. */
export function describeKey(mapping: TableMapping, row: SourceRow): string {
    const cols = mapping.key ?? mapping.columns.slice(0, 3).map((c) => c.source.name);
    return cols
        .map((k) => {
            const i = mapping.columns.findIndex((c) => c.source.name === k);
            const v = i >= 0 ? row[i] : undefined;
            return `${k}=${v === null || v === undefined ? "NULL" : Buffer.isBuffer(v) ? `0x${v.toString("hex").slice(0, 32)}` : String(v).slice(0, 64)}`;
        })
        .join(", ");
}
