import { describeValue, sourceColumnKind } from "../../engine/source-column-kind";
import type { SourceColumn, SourceValue } from "../../engine/model";
import type { PermanentFailure } from "../../engine/retry";
import type { MaxComputeType, RecordValue } from "./records";

/**
 * MySQL column → MaxCompute column (odps2 type system, research/maxcompute.md §4), and the
 * conversion of the engine's source values (text in UTF-8, bytes for binary and BIT columns)
 * into the values records.ts writes. docs/type-mapping-maxcompute.md is the table of it.
 *
 * The defaults keep every value exactly, or refuse: a column whose default type cannot hold
 * its values is a precheck failure (MaxComputeColumnTypeError, with the option that accepts a
 * loss or another type). A single value a type cannot hold (BIGINT's −2^63, a zero date, a
 * cell over 8 MB) is refused row by row (UnrepresentableValueError: dirty data).
 */

/** The opt-in choices; every default keeps values exactly. */
export interface MaxComputeTypeOptions {
    /**
     * Signed BIGINT. "bigint" (default): BIGINT, whose range is −2^63+1 … 2^63−1, so the one
     * value −2^63 is refused as dirty data; "decimal": DECIMAL(19,0), every value; "string": its text.
     */
    bigint?: "bigint" | "decimal" | "string";
    /**
     * BIGINT UNSIGNED. "decimal" (default): DECIMAL(20,0), every value up to 2^64−1; "string":
     * its text; "bigint": BIGINT, values above 2^63−1 refused as dirty data.
     */
    unsignedBigint?: "decimal" | "string" | "bigint";
    /**
     * DECIMAL beyond MaxCompute's (38,18): precision over 38 or scale over 18. "refuse"
     * (default): precheck failure; "string": the exact text in a STRING; "round": DECIMAL with
     * the scale cut to 18 (digits beyond rounded half away from zero) and the precision to 38,
     * values with more integer digits than that refused as dirty data.
     */
    wideDecimal?: "refuse" | "string" | "round";
    /**
     * DATETIME(4…6), whose microseconds MaxCompute's DATETIME (milliseconds) cannot hold.
     * "timestamp" (default): TIMESTAMP (nanoseconds), the wall clock read as UTC; "string":
     * the text; "datetime": DATETIME, microseconds cut to milliseconds (lossy).
     */
    datetimeMicros?: "timestamp" | "string" | "datetime";
    /**
     * Zero and partial-zero dates (0000-00-00, 2020-00-15) and days not in the calendar
     * (ALLOW_INVALID_DATES) in DATE/DATETIME/TIMESTAMP columns mapped to a date type.
     * "refuse" (default): dirty data; "null": written as NULL (lossy). STRING mappings keep them.
     */
    zeroDates?: "refuse" | "null";
    /** TIME. "string" (default): MySQL's text [-]HHH:MM:SS[.ffffff]; "bigint": signed microseconds. */
    time?: "string" | "bigint";
    /**
     * BIT(n). "bigint" (default): the bits as an unsigned BIGINT; BIT(64) values with the top bit
     * set do not fit, so BIT(64) is a precheck failure unless "bigint" is chosen explicitly
     * (then those values are dirty data). "string": the unsigned decimal text; "binary": the
     * ceil(n/8) big-endian bytes; "boolean": BIT(1) only.
     */
    bit?: "bigint" | "string" | "binary" | "boolean";
    /** JSON: "string" (default and only choice), the JSON text as the source returns it. */
    json?: "string";
}

/** What a source column is, for the conversion. */
export type SourceKind =
    | "integer" | "unsigned-bigint" | "decimal" | "float" | "double" | "bit" | "year"
    | "date" | "datetime" | "timestamp" | "time"
    /** CHAR, VARCHAR, TEXT types, ENUM, SET, MariaDB's UUID/INET4/INET6, as their text. */
    | "text" | "json" | "binary"
    /** MySQL's internal geometry value: 4-byte little-endian SRID, then WKB. */
    | "spatial";

/** One column's decision. */
export interface MaxComputeColumnMapping {
    source: SourceColumn;
    kind: SourceKind;
    type: MaxComputeType;
    /** The type as DDL writes it: DECIMAL(20,0), BIGINT, … */
    typeText: string;
    /** DECIMAL precision and scale of the destination; 0 otherwise. */
    precision: number;
    scale: number;
    /** Fractional-second digits of a temporal source, BIT width; 0 otherwise. */
    sourcePrecision: number;
    /** Every value written is the source value, exactly. */
    exact: boolean;
    /** What a value loses on the way, when not exact. */
    loss?: string;
    /** Values refused as dirty data instead of written. */
    refuses?: string;
    /** Zero dates become NULL (zeroDates: "null"). */
    zeroDatesNull: boolean;
    note: string;
}

/** A column the default map (or the chosen option) cannot take: a precheck failure. */
export class MaxComputeColumnTypeError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(
        readonly column: string,
        readonly columnType: string,
        readonly reason: string,
        readonly fix: string,
    ) {
        super(`column "${column}" (${columnType}) cannot be migrated to MaxCompute: ${reason}; ${fix}`);
        this.name = "MaxComputeColumnTypeError";
    }
}

/** A value its column's MaxCompute type cannot hold exactly; the row is dirty data. */
export class UnrepresentableValueError extends Error {
    constructor(
        readonly column: string,
        readonly value: string | Buffer,
        readonly reason: string,
    ) {
        super(`column "${column}": value ${describeValue(value)} ${reason}`);
        this.name = "UnrepresentableValueError";
    }
}


/** STRING and BINARY cells hold at most 8 MB (research §4). */
export const CELL_MAX_BYTES = 8 * 1024 * 1024;
/** MaxCompute DECIMAL limits (odps2): precision 1…38, scale 0…18. */
export const DECIMAL_MAX_PRECISION = 38;
export const DECIMAL_MAX_SCALE = 18;

const exclude = "leave the column out by listing the table's other columns in `columns: [...]`";

export function sourceKind(col: SourceColumn): SourceKind {
    // MariaDB's JSON is LONGTEXT with a json_valid() CHECK: the flag says JSON.
    const kind = sourceColumnKind(col);
    if (kind === undefined) throw new MaxComputeColumnTypeError(col.name, col.columnType, `type ${col.columnType} has no MaxCompute mapping`, exclude);
    return kind;
}

/** BIT(n) width (information_schema's NUMERIC_PRECISION). */
export function bitWidth(col: SourceColumn): number {
    return col.numericPrecision ?? typeArgs(col.columnType)[0] ?? 1;
}

/** Fractional-second digits, 0…6. */
export function fsp(col: SourceColumn): number {
    return col.datetimePrecision ?? typeArgs(col.columnType)[0] ?? 0;
}

function typeArgs(columnType: string): number[] {
    const m = /^[a-z]+\s*\(([\d,\s]+)\)/.exec(columnType);
    return m ? m[1].split(",").map((x) => Number(x.trim())) : [];
}

const big = (over: string): string => `values over 8 MB (${CELL_MAX_BYTES} bytes)${over}`;

/** Byte bounds of the TEXT and BLOB types; a column that cannot exceed 8 MB refuses nothing by size. */
const blobBytes: Record<string, number> = {
    tinytext: 255, text: 65_535, mediumtext: 16_777_215, longtext: 4_294_967_295,
    tinyblob: 255, blob: 65_535, mediumblob: 16_777_215, longblob: 4_294_967_295,
};

function mayExceedCell(col: SourceColumn, kind: SourceKind): boolean {
    if (kind === "json" || kind === "spatial") return true;
    const b = blobBytes[col.dataType];
    if (b !== undefined) return b > CELL_MAX_BYTES;
    // CHAR/VARCHAR/ENUM/SET in characters (up to 4 bytes each), BINARY/VARBINARY in bytes.
    return col.maxLength !== null && col.maxLength * (kind === "binary" ? 1 : 4) > CELL_MAX_BYTES;
}

interface Decision {
    type: MaxComputeType;
    precision?: number;
    scale?: number;
    exact?: boolean;
    loss?: string;
    refuses?: string;
    note: string;
}

/**
 * The MaxCompute type of a source column under the options, and what it keeps. Throws
 * MaxComputeColumnTypeError when the column cannot be taken (a precheck failure).
 */
export function maxComputeColumnMapping(col: SourceColumn, opts: MaxComputeTypeOptions = {}): MaxComputeColumnMapping {
    const kind = sourceKind(col);
    const d = decide(kind, col, opts);
    const zeroDatesNull = opts.zeroDates === "null" && (d.type === "DATE" || d.type === "DATETIME" || d.type === "TIMESTAMP") && kind !== "time";
    const own = zeroDatesNull ? d.refuses?.replace(`${ZERO_DATES}; `, "").replace(ZERO_DATES, "") || undefined : d.refuses;
    const refuses = [own, (d.type === "STRING" || d.type === "BINARY") && mayExceedCell(col, kind) ? big("") : undefined]
        .filter((x): x is string => x !== undefined).join("; ");
    const loss = [d.loss, zeroDatesNull ? "zero and partial-zero dates become NULL" : undefined].filter((x) => x !== undefined).join("; ");
    const precision = d.precision ?? 0;
    const scale = d.scale ?? 0;
    return {
        source: col, kind, type: d.type,
        typeText: d.type === "DECIMAL" ? `DECIMAL(${precision},${scale})` : d.type,
        precision, scale,
        sourcePrecision: kind === "bit" ? bitWidth(col) : kind === "datetime" || kind === "timestamp" || kind === "time" ? fsp(col) : 0,
        exact: (d.exact ?? true) && !zeroDatesNull,
        ...(loss !== "" ? { loss } : {}),
        ...(refuses !== "" ? { refuses } : {}),
        zeroDatesNull,
        note: d.note,
    };
}

/** Every column's refusal (precheck problems), in column order; empty when all map. */
export function typePrecheck(columns: readonly SourceColumn[], opts: MaxComputeTypeOptions = {}): MaxComputeColumnTypeError[] {
    const out: MaxComputeColumnTypeError[] = [];
    for (const c of columns) {
        try {
            maxComputeColumnMapping(c, opts);
        } catch (e) {
            if (e instanceof MaxComputeColumnTypeError) out.push(e);
            else throw e;
        }
    }
    return out;
}

const ZERO_DATES = "zero and partial-zero dates (0000-00-00, 2020-00-15) and days not in the calendar, unless zeroDates: \"null\"";

function decide(kind: SourceKind, col: SourceColumn, o: MaxComputeTypeOptions): Decision {
    const refuse = (reason: string, fix: string): never => {
        throw new MaxComputeColumnTypeError(col.name, col.columnType, reason, fix);
    };
    switch (kind) {
        case "integer": {
            const u = col.unsigned;
            switch (col.dataType) {
                case "tinyint": return u ? { type: "SMALLINT", note: "SMALLINT (0…255)" } : { type: "TINYINT", note: "TINYINT" };
                case "smallint": return u ? { type: "INT", note: "INT (0…65535)" } : { type: "SMALLINT", note: "SMALLINT" };
                case "mediumint": return { type: "INT", note: "INT (MEDIUMINT fits in 32 bits)" };
                case "int": case "integer": return u ? { type: "BIGINT", note: "BIGINT (0…2^32−1)" } : { type: "INT", note: "INT" };
            }
            switch (o.bigint ?? "bigint") {
                case "bigint": return { type: "BIGINT", refuses: "−2^63 (−9223372036854775808): MaxCompute's BIGINT starts at −2^63+1", note: "BIGINT" };
                case "decimal": return { type: "DECIMAL", precision: 19, scale: 0, note: "DECIMAL(19,0): every value, −2^63 included" };
                case "string": return { type: "STRING", note: "the decimal text (ZEROFILL padding dropped)" };
            }
            break;
        }
        case "unsigned-bigint":
            switch (o.unsignedBigint ?? "decimal") {
                case "decimal": return { type: "DECIMAL", precision: 20, scale: 0, note: "DECIMAL(20,0): every value 0…2^64−1" };
                case "string": return { type: "STRING", note: "the decimal text 0…18446744073709551615" };
                case "bigint": return { type: "BIGINT", refuses: "values above 2^63−1 (9223372036854775807)", note: "BIGINT" };
            }
            break;
        case "decimal": {
            const p = col.numericPrecision ?? typeArgs(col.columnType)[0] ?? 10;
            const s = col.numericScale ?? typeArgs(col.columnType)[1] ?? 0;
            if (p <= DECIMAL_MAX_PRECISION && s <= DECIMAL_MAX_SCALE) return { type: "DECIMAL", precision: p, scale: s, note: `DECIMAL(${p},${s}): the same value` };
            switch (o.wideDecimal ?? "refuse") {
                case "string": return { type: "STRING", note: "the decimal's exact text with its scale" };
                case "round": {
                    const scale = Math.min(s, DECIMAL_MAX_SCALE);
                    const precision = Math.min(DECIMAL_MAX_PRECISION, p - s + scale);
                    return {
                        type: "DECIMAL", precision, scale,
                        exact: scale === s,
                        ...(scale < s ? { loss: `digits beyond ${scale} decimals rounded half away from zero` } : {}),
                        ...(precision - scale < p - s ? { refuses: `values with more than ${precision - scale} integer digits` } : {}),
                        note: `DECIMAL(${precision},${scale})`,
                    };
                }
                case "refuse":
                    return refuse(`DECIMAL(${p},${s}) is beyond MaxCompute's DECIMAL(38,18)`,
                        "set wideDecimal: \"string\" to keep the exact text in a STRING, or wideDecimal: \"round\" to accept DECIMAL(38,18) rounding");
            }
            break;
        }
        case "float": return { type: "FLOAT", note: "FLOAT: the same IEEE single" };
        case "double": return { type: "DOUBLE", note: "DOUBLE: the same IEEE double" };
        case "bit": {
            const w = bitWidth(col);
            switch (o.bit) {
                case undefined:
                    if (w === 64) {
                        return refuse("BIT(64) values with the top bit set (≥ 2^63) do not fit BIGINT",
                            "set bit: \"string\" (decimal text) or \"binary\" (8 bytes) to keep every value, or bit: \"bigint\" to refuse those values as dirty data");
                    }
                    return { type: "BIGINT", note: "BIGINT: the bits as an unsigned number" };
                case "bigint": return { type: "BIGINT", ...(w === 64 ? { refuses: "values with the 64th bit set (≥ 2^63)" } : {}), note: "BIGINT: the bits as an unsigned number" };
                case "string": return { type: "STRING", note: "the bits as an unsigned decimal number" };
                case "binary": return { type: "BINARY", note: `BINARY: ${Math.ceil(w / 8)} big-endian bytes` };
                case "boolean":
                    if (w !== 1) return refuse(`bit: "boolean" needs BIT(1), not BIT(${w})`, "choose bit: \"bigint\", \"string\" or \"binary\"");
                    return { type: "BOOLEAN", note: "BOOLEAN: b'0' → false, b'1' → true" };
            }
            break;
        }
        case "year": return { type: "SMALLINT", note: "SMALLINT: the year (0 for 0000)" };
        case "date": return { type: "DATE", refuses: ZERO_DATES, note: "DATE" };
        case "datetime": {
            const f = fsp(col);
            if (f <= 3) return { type: "DATETIME", refuses: ZERO_DATES, note: "DATETIME (milliseconds): the wall clock read as UTC" };
            switch (o.datetimeMicros ?? "timestamp") {
                case "timestamp": return { type: "TIMESTAMP", refuses: `${ZERO_DATES}; years before 0001`, note: "TIMESTAMP (nanoseconds): the wall clock read as UTC" };
                case "string": return { type: "STRING", note: "the text YYYY-MM-DD HH:MM:SS.ffffff (zero dates kept)" };
                case "datetime": return { type: "DATETIME", exact: false, loss: "microseconds cut to milliseconds", refuses: ZERO_DATES, note: "DATETIME (milliseconds)" };
            }
            break;
        }
        case "timestamp": return { type: "TIMESTAMP", refuses: ZERO_DATES, note: "TIMESTAMP: the instant (the source session is UTC), microseconds kept" };
        case "time":
            return (o.time ?? "string") === "string"
                ? { type: "STRING", note: "MySQL's duration text [-]HHH:MM:SS[.ffffff] (−838:59:59 … 838:59:59)" }
                : { type: "BIGINT", note: "BIGINT: the signed duration in microseconds" };
        case "text": return { type: "STRING", note: "the text (UTF-8); ENUM and SET as their member text" };
        case "json": return { type: "STRING", note: "the JSON text as the source returns it" };
        case "binary": return { type: "BINARY", note: "BINARY: the bytes (BINARY(n)'s zero padding included)" };
        case "spatial": return { type: "BINARY", note: "BINARY: MySQL's geometry value, 4-byte little-endian SRID then WKB" };
    }
    throw new MaxComputeColumnTypeError(col.name, col.columnType, "an option value is not one this map knows", "check the MaxCompute type options");
}

// ---------------------------------------------------------------------------------------
// Values

/** One column's conversion; null is NULL. */
export type ValueConverter = (v: SourceValue) => RecordValue;

type Refuse = (v: string | Buffer, reason: string) => never;

const INT_TEXT = /^-?\d+$/;
const SHORT_INTEGER = /^-?\d{1,15}$/;
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;
const FLOAT_TEXT = /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_TEXT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const TIME_TEXT = /^(-?)(\d{2,3}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const BIGINT_MIN = -(2n ** 63n) + 1n;
const BIGINT_MAX = 2n ** 63n - 1n;
const MS_PER_DAY = 86_400_000;
const daysInMonth = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Builds the converter once per column; it runs for every value. */
export function valueConverter(m: MaxComputeColumnMapping): ValueConverter {
    const f = nonNull(m);
    return (v) => (v === null ? null : f(v));
}

function nonNull(m: MaxComputeColumnMapping): (v: string | Buffer) => RecordValue {
    const name = m.source.name;
    const refuse: Refuse = (v, reason) => {
        throw new UnrepresentableValueError(name, v, reason);
    };
    const text = (v: string | Buffer): string => {
        if (typeof v === "string") return v;
        throw new TypeError(`column "${name}": expected text from the reader, got bytes`);
    };
    const bytes = (v: string | Buffer): Buffer => {
        if (typeof v !== "string") return v;
        throw new TypeError(`column "${name}": expected bytes from the reader, got text`);
    };
    const sized = <T extends string | Buffer>(out: T, v: string | Buffer): T => {
        // A UTF-16 unit is at most 3 UTF-8 bytes: most strings need no count.
        const n = typeof out === "string" ? (out.length * 3 <= CELL_MAX_BYTES ? 0 : Buffer.byteLength(out, "utf8")) : out.length;
        if (n > CELL_MAX_BYTES) refuse(v, `is ${n} bytes, over a MaxCompute cell's 8 MB (${CELL_MAX_BYTES} bytes)`);
        return out;
    };
    const integer = (v: string | Buffer): bigint => {
        const s = text(v);
        if (!INT_TEXT.test(s)) refuse(v, "is not an integer");
        return BigInt(s);
    };
    const wrong = (): never => {
        throw new TypeError(`column "${name}": no conversion of ${m.kind} values to ${m.type}`);
    };
    switch (m.kind) {
        case "integer": case "unsigned-bigint":
            switch (m.type) {
                case "TINYINT": case "SMALLINT": case "INT": return (v) => {
                    const s = text(v);
                    if (!SHORT_INTEGER.test(s)) refuse(v, "is not an integer");
                    return Number(s);
                };
                case "BIGINT": return (v) => {
                    const s = text(v);
                    if (SHORT_INTEGER.test(s)) return BigInt(Number(s));
                    const n = integer(v);
                    if (n < BIGINT_MIN || n > BIGINT_MAX) refuse(v, "is outside MaxCompute's BIGINT range −2^63+1 … 2^63−1");
                    return n;
                };
                case "DECIMAL": return (v) => integer(v).toString();
                case "STRING": return (v) => integer(v).toString();
                default: return wrong();
            }
        case "decimal":
            if (m.type === "STRING") return (v) => decimalText(text(v), refuse);
            return (v) => decimalFor(decimalText(text(v), refuse), m.precision, m.scale, v, refuse);
        case "float": case "double": return (v) => {
            const s = text(v);
            if (!FLOAT_TEXT.test(s)) refuse(v, "is not a floating-point number");
            return Number(s);
        };
        case "bit": {
            const width = m.sourcePrecision;
            const n = (v: string | Buffer): bigint => {
                let x = 0n;
                const b = bytes(v);
                for (const byte of b) x = (x << 8n) | BigInt(byte);
                if (x >> BigInt(width) !== 0n) refuse(v, `has more than ${width} significant bits`);
                return x;
            };
            switch (m.type) {
                case "BIGINT": return (v) => {
                    const x = n(v);
                    if (x > BIGINT_MAX) refuse(v, "has the 64th bit set and does not fit MaxCompute's BIGINT");
                    return x;
                };
                case "STRING": return (v) => n(v).toString();
                case "BOOLEAN": return (v) => n(v) === 1n;
                case "BINARY": return (v) => {
                    let x = n(v);
                    const out = Buffer.alloc(Math.ceil(width / 8));
                    for (let i = out.length - 1; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
                    return out;
                };
                default: return wrong();
            }
        }
        case "year": return (v) => {
            const s = text(v);
            if (!/^\d{1,4}$/.test(s)) refuse(v, "is not a year");
            return Number(s);
        };
        case "time": return (v) => {
            const s = text(v);
            const t = TIME_TEXT.exec(s);
            if (!t) return refuse(v, "is not a TIME value");
            if (m.type === "STRING") return s;
            const us = (BigInt(t[2]) * 3600n + BigInt(t[3]) * 60n + BigInt(t[4])) * 1_000_000n + BigInt((t[5] ?? "").padEnd(6, "0"));
            return t[1] === "-" ? -us : us;
        };
        case "date": case "datetime": case "timestamp":
            return temporal(m, text, refuse);
        case "text": case "json":
            if (m.type !== "STRING") return wrong();
            return (v) => sized(text(v), v);
        case "binary": case "spatial":
            if (m.type !== "BINARY") return wrong();
            return (v) => sized(bytes(v), v);
    }
}

/** A decimal's text as MySQL prints it, without ZEROFILL's leading zeros. */
function decimalText(s: string, refuse: Refuse): string {
    if (!DECIMAL_TEXT.test(s)) refuse(s, "is not a decimal number");
    const m = /^(-?)0+(?=\d)/.exec(s);
    return m ? m[1] + s.slice(m[0].length) : s;
}

/** The text fitted to DECIMAL(p,s): rounded half away from zero to s digits, integer digits checked. */
function decimalFor(s: string, p: number, scale: number, v: string | Buffer, refuse: Refuse): string {
    const d = DECIMAL_TEXT.exec(s)!;
    let frac = d[3] ?? "";
    let int = d[2];
    if (frac.length > scale) {
        const up = frac.charCodeAt(scale) >= 0x35; // '5'
        const digits = BigInt(int + frac.slice(0, scale)) + (up ? 1n : 0n);
        const t = digits.toString().padStart(scale + 1, "0");
        int = t.slice(0, t.length - scale);
        frac = t.slice(t.length - scale);
    }
    int = int.replace(/^0+(?=\d)/, "");
    if (int !== "0" && int.length > p - scale) refuse(v, `has more than ${p - scale} integer digits and does not fit DECIMAL(${p},${scale})`);
    const neg = d[1] === "-" && /[1-9]/.test(int + frac);
    return `${neg ? "-" : ""}${int}${frac ? `.${frac}` : ""}`;
}

function temporal(m: MaxComputeColumnMapping, text: (v: string | Buffer) => string, refuse: Refuse): (v: string | Buffer) => RecordValue {
    const kind = m.kind;
    const toNull = m.zeroDatesNull;
    const days = (y: number, mo: number, d: number, v: string | Buffer): number | null => {
        const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
        const bad = mo === 0 || d === 0 ? "is a zero or partial-zero date, which names no day"
            : mo > 12 || d > daysInMonth[mo] || (mo === 2 && d === 29 && !leap) ? "is not a calendar date" : undefined;
        if (bad !== undefined) {
            if (toNull) return null;
            refuse(v, `${bad} (zeroDates: "null" writes NULL instead)`);
        }
        return daysFromCivil(y, mo, d);
    };
    if (m.type === "STRING") {
        return (v) => {
            const s = text(v);
            if (!DATETIME_TEXT.test(s)) refuse(v, "is not a DATETIME value");
            return s;
        };
    }
    if (kind === "date") {
        return (v) => {
            const s = text(v);
            const d = DATE_TEXT.exec(s);
            if (!d) return refuse(v, "is not a DATE value");
            return days(+d[1], +d[2], +d[3], v);
        };
    }
    const nanos = m.type === "TIMESTAMP";
    return (v) => {
        const s = text(v);
        const d = DATETIME_TEXT.exec(s);
        if (!d) return refuse(v, `is not a ${kind.toUpperCase()} value`);
        const day = days(+d[1], +d[2], +d[3], v);
        if (day === null) return null;
        const ms = day * MS_PER_DAY + (+d[4] * 3600 + +d[5] * 60 + +d[6]) * 1000;
        const micros = +(d[7] ?? "").padEnd(6, "0");
        if (!nanos) return ms + Math.floor(micros / 1000);
        if (+d[1] < 1) refuse(v, "is before 0001-01-01, where MaxCompute's TIMESTAMP starts");
        return BigInt(ms) * 1_000_000n + BigInt(micros) * 1000n;
    };
}

/** Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date. */
function daysFromCivil(y0: number, m: number, d: number): number {
    const y = m <= 2 ? y0 - 1 : y0;
    const era = Math.floor(y / 400);
    const yoe = y - era * 400;
    const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
    const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
}
