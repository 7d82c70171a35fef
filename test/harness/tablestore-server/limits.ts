/**
 * The service limits (research §4) and the "data size" the service measures requests by.
 * A test may lower a limit (e.g. the GetRange page) to exercise paging without writing 5,000
 * rows; everything else keeps the service's value.
 */
import type { AttributeCell, AttributeValue, KeyCell, KeyCellValue } from "./plainbuffer";

export interface Limits {
    maxTables: number;
    minPrimaryKeyColumns: number;
    maxPrimaryKeyColumns: number;
    maxNameBytes: number;
    maxDefinedColumns: number;
    maxBatchWriteRows: number;
    maxBatchWriteBytes: number;
    maxBatchGetRows: number;
    maxAttributeColumnsPerWrite: number;
    maxPrimaryKeyValueBytes: number;
    maxAttributeValueBytes: number;
    maxRowWriteBytes: number;
    maxRequestBodyBytes: number;
    getRangePageRows: number;
    getRangePageBytes: number;
    maxColumnsToGet: number;
    /** Default `deviation_cell_version_in_sec` of a new table. */
    defaultDeviationSeconds: number;
    /** Accepted difference between x-ots-date and the server clock. */
    maxClockSkewMs: number;
}

const MB = 1024 * 1024;

export const SERVICE_LIMITS: Readonly<Limits> = Object.freeze({
    maxTables: 64,
    minPrimaryKeyColumns: 1,
    maxPrimaryKeyColumns: 4,
    maxNameBytes: 255,
    maxDefinedColumns: 32,
    maxBatchWriteRows: 200,
    maxBatchWriteBytes: 4 * MB,
    maxBatchGetRows: 100,
    maxAttributeColumnsPerWrite: 1024,
    maxPrimaryKeyValueBytes: 1024,
    maxAttributeValueBytes: 2 * MB,
    maxRowWriteBytes: 4 * MB,
    maxRequestBodyBytes: 5 * MB,
    getRangePageRows: 5000,
    getRangePageBytes: 4 * MB,
    maxColumnsToGet: 128,
    defaultDeviationSeconds: 86_400,
    maxClockSkewMs: 15 * 60 * 1000,
});

/** Timestamps are milliseconds in [0, INT64_MAX/1000). */
export const MAX_TIMESTAMP_EXCLUSIVE = 9223372036854775807n / 1000n;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isValidName(name: string, limits: Limits): boolean {
    return NAME.test(name) && Buffer.byteLength(name, "utf8") <= limits.maxNameBytes;
}

export function valueBytes(v: AttributeValue | KeyCellValue): number {
    switch (v.type) {
        case "INTEGER":
        case "DOUBLE":
        case "AUTO_INCREMENT":
            return 8;
        case "BOOLEAN":
            return 1;
        case "STRING":
            return Buffer.byteLength(v.value, "utf8");
        case "BINARY":
            return v.value.length;
        case "INF_MIN":
        case "INF_MAX":
            return 0;
    }
}

/**
 * The service's measure of a row change: each column's name bytes plus its value size
 * (INTEGER and DOUBLE 8, BOOLEAN 1, STRING and BINARY their byte length), plus 8 for an explicit
 * timestamp. It is smaller than the wire size, so a client splitting on wire bytes stays inside.
 */
export function rowDataSize(primaryKey: readonly KeyCell[], cells: readonly AttributeCell[]): number {
    let n = 0;
    for (const k of primaryKey) n += Buffer.byteLength(k.name, "utf8") + valueBytes(k.value);
    for (const c of cells) {
        n += Buffer.byteLength(c.name, "utf8");
        if (c.value) n += valueBytes(c.value);
        if (c.timestamp !== undefined) n += 8;
    }
    return n;
}
