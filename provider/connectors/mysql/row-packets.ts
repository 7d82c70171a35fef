import type { SourceColumn } from "../../engine/model";

/**
 * The MySQL protocol's result rows as the connector's two sides share them: which columns
 * arrive as bytes, and the undecoded row packets the snapshot reader hands the MySQL bulk
 * writer (LOAD DATA from the packets' own bytes).
 */

/** Column kinds whose values are bytes; everything else arrives as text in the connection charset (utf8mb4). */
const binaryTypes = new Set(["binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit", "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection"]);

export function isBinaryColumn(col: SourceColumn): boolean {
    return binaryTypes.has(col.dataType);
}

/** Rows read straight from the packets: what a batch of them tells throttling. */
export interface RawRowBatch {
    /** Rows read. */
    rows: number;
    /** Bytes of values as the row reader counts them (NULL as 1). */
    valueBytes: number;
}

/** Receives a result set's rows as they arrive, undecoded. */
export interface RowPacketHandler<T extends RawRowBatch> {
    /**
     * One row: its values, as length-coded strings (0xfb for NULL), in buf[start, end). The
     * buffer is the connection's and is reused: copy what is kept. True when a batch is ready.
     */
    row(buf: Buffer, start: number, end: number): boolean;
    /** The batch gathered so far (null when empty); the next one starts empty. */
    take(): T | null;
}

/**
 * A chunk reader's second way of reading (see source/chunk-reader.ts readChunk): a
 * destination that can use the rows' bytes as they are asks for them under this key.
 */
export const RAW_ROWS = Symbol("rawRows");
export type RawRows = <T extends RawRowBatch>(handler: RowPacketHandler<T>) => AsyncIterable<T>;
