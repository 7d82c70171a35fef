import { sourceColumnKind } from "../../engine/source-column-kind";
import type { PermanentFailure } from "../../engine/retry";
import type { SourceColumn } from "../../engine/model";

/**
 * MySQL column → Tablestore column type. Tablestore has five attribute types and three key
 * types and no NULL, no date and no decimal; every MySQL type lands on one of them without
 * changing a value (see docs/type-mapping-tablestore.md). values.ts converts the values
 * by the mapping this module decides, so a column's type and its values cannot drift apart.
 */

export type TablestoreColumnType = "INTEGER" | "DOUBLE" | "BOOLEAN" | "STRING" | "BINARY";
export type TablestorePrimaryKeyType = "INTEGER" | "STRING" | "BINARY";

/**
 * How DATE, DATETIME, TIMESTAMP and TIME are written:
 * - "iso-string": STRING, ISO 8601 text (`2024-01-31`, `2024-01-31T12:34:56.123456`,
 *   TIMESTAMP with `Z`, TIME as MySQL's signed `[-]HHH:MM:SS[.ffffff]`); keeps every value,
 *   zero dates included, and sorts chronologically for dates;
 * - "epoch-micros": INTEGER, microseconds since 1970-01-01 00:00:00 UTC (DATETIME's wall
 *   clock read as UTC), TIME as a signed duration in microseconds; zero and partial-zero
 *   dates have no such number and are refused.
 */
export type TemporalEncoding = "iso-string" | "epoch-micros";

/** What a source column is, for the conversion. */
export type SourceKind =
    | "integer"
    /** BIGINT UNSIGNED: 0 … 2^64−1, beyond Tablestore's signed INTEGER. */
    | "unsigned-bigint"
    | "decimal" | "float" | "bit" | "year"
    | "date" | "datetime" | "timestamp" | "time"
    /** CHAR, VARCHAR, TEXT types, ENUM, SET, MariaDB's UUID/INET4/INET6 (as their text). */
    | "text"
    | "json"
    | "binary"
    /** MySQL's internal geometry value: 4-byte little-endian SRID, then WKB. */
    | "spatial";

export interface TablestoreTypeOptions {
    temporal: TemporalEncoding;
    /** A destination type asked for this column instead of the default. */
    override?: TablestoreColumnType;
    /** The column is one of the destination table's primary-key columns. */
    primaryKey?: boolean;
}

/** One column's decision: the type, and what it keeps. */
export interface TablestoreColumnMapping {
    source: SourceColumn;
    kind: SourceKind;
    type: TablestoreColumnType;
    primaryKey: boolean;
    /** The encoding of a temporal column (iso-string for STRING, epoch-micros for INTEGER); irrelevant for others. */
    temporal: TemporalEncoding;
    /** Fractional-second digits (temporal kinds) or the BIT width; 0 otherwise. */
    precision: number;
    /** Every value written is the source value, exactly (fromTablestore gives it back). */
    exact: boolean;
    /** What a value loses on the way, when not exact. */
    loss?: string;
    /** Values refused (UnrepresentableValueError, the sink's dirty data) instead of written. */
    refuses?: string;
    /** How the value is written, for documentation and previews. */
    note: string;
}

/** A column whose type or requested override this destination cannot take. */
export class TablestoreColumnTypeError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(
        readonly column: string,
        readonly columnType: string,
        readonly reason: string,
        readonly fix: string,
    ) {
        super(`column "${column}" (${columnType}) cannot be migrated to Tablestore: ${reason}; ${fix}`);
        this.name = "TablestoreColumnTypeError";
    }
}

/** Service limits on one value (research/tablestore.md §4). */
export const PRIMARY_KEY_VALUE_MAX_BYTES = 1024;
export const ATTRIBUTE_VALUE_MAX_BYTES = 2 * 1024 * 1024;

export function sourceKind(col: SourceColumn): SourceKind {
    const kind = sourceColumnKind(col);
    if (kind === undefined) {
        throw new TablestoreColumnTypeError(col.name, col.columnType, `type ${col.columnType} has no Tablestore mapping`, exclude);
    }
    // Tablestore has one floating type: FLOAT and DOUBLE are alike to it.
    return kind === "double" ? "float" : kind;
}

const exclude = "leave the column out by listing the table's other columns in `columns: [...]`";

interface Entry {
    exact: boolean;
    loss?: string;
    refuses?: string;
    note: string;
}

const INT64_RANGE = "values outside −2^63 … 2^63−1";

/** The default destination type of each kind (temporal kinds: by the encoding). */
function defaultType(kind: SourceKind, col: SourceColumn, temporal: TemporalEncoding, primaryKey: boolean): TablestoreColumnType {
    switch (kind) {
        case "integer": case "year": return "INTEGER";
        // One type per column that holds every value: INTEGER would refuse the upper half.
        case "unsigned-bigint": return "STRING";
        case "decimal": return "STRING";
        // A key cannot be DOUBLE; the text as read is exact.
        case "float": return primaryKey ? "STRING" : "DOUBLE";
        case "bit": return bitWidth(col) === 64 ? "STRING" : "INTEGER";
        case "date": case "datetime": case "timestamp": case "time": return temporal === "epoch-micros" ? "INTEGER" : "STRING";
        case "text": case "json": return "STRING";
        case "binary": case "spatial": return "BINARY";
    }
}

/** Every (kind, type) pair that may be written, with what it keeps; absent pairs are refused overrides. */
function entry(kind: SourceKind, type: TablestoreColumnType, col: SourceColumn): Entry | undefined {
    const width = kind === "bit" ? bitWidth(col) : 0;
    switch (kind) {
        case "integer": switch (type) {
            case "INTEGER": return { exact: true, note: "INTEGER (int64); every MySQL integer up to BIGINT fits" };
            case "STRING": return { exact: true, note: "the integer's decimal text (ZEROFILL padding dropped); sorts as text" };
            case "DOUBLE": return { exact: true, refuses: "values beyond ±2^53, which a double cannot hold exactly", note: "DOUBLE" };
            case "BOOLEAN": return { exact: true, refuses: "values other than 0 and 1", note: "BOOLEAN: 0 → false, 1 → true" };
            default: return undefined;
        }
        case "unsigned-bigint": switch (type) {
            case "STRING": return { exact: true, note: "the decimal text 0 … 18446744073709551615 (ZEROFILL padding dropped); sorts as text, not by value" };
            case "INTEGER": return { exact: true, refuses: "values above 2^63−1 (9223372036854775807)", note: "INTEGER (int64)" };
            default: return undefined;
        }
        case "decimal": switch (type) {
            case "STRING": return { exact: true, note: "the decimal's text with its scale (123.40); ZEROFILL padding dropped; sorts as text" };
            case "DOUBLE": return { exact: false, loss: "rounded to the nearest double (15–17 significant digits)", note: "DOUBLE" };
            case "INTEGER": return (col.numericScale ?? 0) === 0
                ? { exact: true, refuses: INT64_RANGE, note: "INTEGER (a scale-0 decimal)" }
                : undefined;
            default: return undefined;
        }
        case "float": switch (type) {
            case "DOUBLE": return { exact: true, note: "DOUBLE: the same IEEE value (FLOAT widens exactly), -0 kept" };
            case "STRING": return { exact: true, note: "the value's text as read (shortest round-trip digits, or ROUND(col, floatPrecision))" };
            default: return undefined;
        }
        case "bit": switch (type) {
            case "INTEGER": return width === 64
                ? { exact: true, refuses: "values with the 64th bit set (≥ 2^63)", note: "INTEGER: the bits as an unsigned number" }
                : { exact: true, note: "INTEGER: the bits as an unsigned number" };
            case "STRING": return { exact: true, note: "the bits as an unsigned decimal number" };
            case "BINARY": return { exact: true, note: `BINARY: ${Math.ceil(width / 8)} big-endian bytes, as MySQL returns them` };
            case "BOOLEAN": return width === 1 ? { exact: true, note: "BOOLEAN: b'0' → false, b'1' → true" } : undefined;
            default: return undefined;
        }
        case "year": switch (type) {
            case "INTEGER": return { exact: true, note: "INTEGER: the year, 0 for 0000" };
            case "STRING": return { exact: true, note: "the 4-digit text (0000 kept)" };
            default: return undefined;
        }
        case "date": case "datetime": case "timestamp": case "time":
            if (type === "STRING") return { exact: true, note: temporalNote(kind, "iso-string") };
            if (type === "INTEGER") {
                return kind === "time"
                    ? { exact: true, note: temporalNote(kind, "epoch-micros") }
                    : { exact: true, refuses: "zero and partial-zero dates (0000-00-00, 2020-00-15) and dates not in the calendar (2023-02-30)", note: temporalNote(kind, "epoch-micros") };
            }
            return undefined;
        case "text": case "json": switch (type) {
            case "STRING": return { exact: true, note: kind === "json" ? "the JSON text as read" : "the text (UTF-8)" };
            case "BINARY": return { exact: true, note: "BINARY: the text's UTF-8 bytes" };
            default: return undefined;
        }
        case "binary": switch (type) {
            case "BINARY": return { exact: true, note: "BINARY: the bytes (BINARY(n)'s zero padding included)" };
            case "STRING": return { exact: true, refuses: "bytes that are not valid UTF-8", note: "the bytes read as UTF-8 text" };
            default: return undefined;
        }
        case "spatial":
            return type === "BINARY"
                ? { exact: true, note: "BINARY: MySQL's geometry value as stored, a 4-byte little-endian SRID followed by the WKB" }
                : undefined;
    }
}

function temporalNote(kind: "date" | "datetime" | "timestamp" | "time", enc: TemporalEncoding): string {
    if (enc === "iso-string") {
        switch (kind) {
            case "date": return "ISO 8601 text 2024-01-31 (zero dates kept as 0000-00-00)";
            case "datetime": return "ISO 8601 text 2024-01-31T12:34:56[.ffffff] with the column's fractional digits, no zone";
            case "timestamp": return "ISO 8601 text 2024-01-31T12:34:56[.ffffff]Z, the instant in UTC";
            case "time": return "MySQL's duration text [-]HH:MM:SS[.ffffff], hours up to 838 (ISO's hh:mm:ss within a day)";
        }
    }
    switch (kind) {
        case "date": return "INTEGER: microseconds since 1970-01-01 of the day's midnight, UTC";
        case "datetime": return "INTEGER: microseconds since 1970-01-01 00:00:00, the wall-clock value read as UTC";
        case "timestamp": return "INTEGER: microseconds since 1970-01-01 00:00:00 UTC";
        case "time": return "INTEGER: the signed duration in microseconds (−838:59:59 … 838:59:59)";
    }
}

/**
 * The Tablestore type of a source column and what it keeps. Throws TablestoreColumnTypeError
 * for a type with no mapping and for an override the column's values do not fit.
 */
export function tablestoreColumnMapping(col: SourceColumn, opts: TablestoreTypeOptions): TablestoreColumnMapping {
    const kind = sourceKind(col);
    const primaryKey = opts.primaryKey ?? false;
    const type = opts.override ?? defaultType(kind, col, opts.temporal, primaryKey);
    if (primaryKey && (type === "DOUBLE" || type === "BOOLEAN")) {
        throw new TablestoreColumnTypeError(col.name, col.columnType, `a primary-key column cannot be ${type} (keys are INTEGER, STRING or BINARY)`,
            "choose STRING, INTEGER or BINARY for it, or another key column");
    }
    const e = entry(kind, type, col);
    if (e === undefined) {
        throw new TablestoreColumnTypeError(col.name, col.columnType, `its values cannot be written as ${type}`,
            `use ${allowedTypes(kind, col, primaryKey).join(", ")}, or leave the override out`);
    }
    const temporal: TemporalEncoding = isTemporal(kind) ? (type === "INTEGER" ? "epoch-micros" : "iso-string") : opts.temporal;
    const refuses = [e.refuses, sizeRefusal(kind, type, col, primaryKey)].filter((x): x is string => x !== undefined).join("; ");
    return {
        source: col, kind, type, primaryKey, temporal,
        precision: kind === "bit" ? bitWidth(col) : isTemporal(kind) ? fsp(col) : 0,
        exact: e.exact,
        ...(e.loss !== undefined ? { loss: e.loss } : {}),
        ...(refuses !== "" ? { refuses } : {}),
        note: e.note,
    };
}

/** The types a column may be written as (its default first). */
export function allowedTypes(kind: SourceKind, col: SourceColumn, primaryKey: boolean): TablestoreColumnType[] {
    const all: TablestoreColumnType[] = ["INTEGER", "STRING", "BINARY", "DOUBLE", "BOOLEAN"];
    return all.filter((t) => entry(kind, t, col) !== undefined && !(primaryKey && (t === "DOUBLE" || t === "BOOLEAN")));
}

function isTemporal(kind: SourceKind): kind is "date" | "datetime" | "timestamp" | "time" {
    return kind === "date" || kind === "datetime" || kind === "timestamp" || kind === "time";
}

/** The size limit a column's longest values could pass, said when its declared size allows it. */
function sizeRefusal(kind: SourceKind, type: TablestoreColumnType, col: SourceColumn, primaryKey: boolean): string | undefined {
    if (type !== "STRING" && type !== "BINARY") return undefined;
    const limit = primaryKey ? PRIMARY_KEY_VALUE_MAX_BYTES : ATTRIBUTE_VALUE_MAX_BYTES;
    const max = maxBytes(kind, col);
    if (max !== undefined && max <= limit) return undefined;
    return primaryKey ? "key values over 1 KB (1024 bytes)" : "values over 2 MB (2097152 bytes)";
}

/** An upper bound of a value's bytes, when the declared type gives one. */
function maxBytes(kind: SourceKind, col: SourceColumn): number | undefined {
    switch (kind) {
        case "integer": case "unsigned-bigint": case "year": case "float": case "bit": return 40;
        case "decimal": return 68;
        case "date": case "datetime": case "timestamp": case "time": return 32;
        case "binary": return blobBytes[col.dataType] ?? col.maxLength ?? undefined;
        case "text": {
            if (col.dataType === "uuid" || col.dataType === "inet4" || col.dataType === "inet6") return 39;
            // TEXT types are limited in bytes, whatever the charset.
            if (blobBytes[col.dataType] !== undefined) return blobBytes[col.dataType];
            // CHAR/VARCHAR/ENUM/SET in characters: up to 4 UTF-8 bytes each (utf8mb4).
            return col.maxLength === null ? undefined : col.maxLength * 4;
        }
        case "json": case "spatial": return undefined;
    }
}

/** The byte limits of the TEXT and BLOB types. */
const blobBytes: Record<string, number> = {
    tinytext: 255, text: 65_535, mediumtext: 16_777_215, longtext: 4_294_967_295,
    tinyblob: 255, blob: 65_535, mediumblob: 16_777_215, longblob: 4_294_967_295,
};

/** BIT(n) width; information_schema reports it as NUMERIC_PRECISION. */
export function bitWidth(col: SourceColumn): number {
    return col.numericPrecision ?? typeArgs(col.columnType)[0] ?? 1;
}

/** Fractional-second digits, 0..6. */
export function fsp(col: SourceColumn): number {
    return col.datetimePrecision ?? typeArgs(col.columnType)[0] ?? 0;
}

function typeArgs(columnType: string): number[] {
    const m = /^[a-z]+\s*\(([\d,\s]+)\)/.exec(columnType);
    return m ? m[1].split(",").map((x) => Number(x.trim())) : [];
}

// ---------------------------------------------------------------------------------------
// Names

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Why a table or column name cannot be used at Tablestore, or undefined when it can:
 * 1–255 ASCII letters, digits and '_', not starting with a digit. An attribute column
 * cannot be called "timestamp": the Node SDK reads a property of that name in its column
 * objects as the cell's version (plian_buffer_builder.js, plain_buffer_coded_stream.js
 * writeColumns), so the value would become a timestamp and the column be lost.
 */
export function tablestoreNameProblem(name: string, role: "table" | "primary-key" | "attribute"): string | undefined {
    if (name.length === 0 || name.length > 255) return `"${name}" must be 1 to 255 characters long`;
    if (!NAME.test(name)) return `"${name}" may hold only ASCII letters, digits and '_', and must not start with a digit`;
    if (role === "attribute" && name === "timestamp") {
        return `an attribute column cannot be named "timestamp": the Node.js SDK takes that name for the cell's version; rename the column`;
    }
    return undefined;
}
