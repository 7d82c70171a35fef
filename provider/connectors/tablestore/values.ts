import { describeValue } from "../../engine/source-column-kind";
import type { SourceValue } from "../../engine/model";
import { integerValue, isInteger, type TsValue } from "./sdk";
import { ATTRIBUTE_VALUE_MAX_BYTES, PRIMARY_KEY_VALUE_MAX_BYTES, type TablestoreColumnMapping } from "./type-map";

export type { TsValue } from "./sdk";

/**
 * Source values (MySQL's text protocol in a UTC session, bytes for binary and BIT columns:
 * identical from the full load and the binlog) to Tablestore values by a column's mapping,
 * and back. Nothing here guesses: a value the mapping cannot write exactly is refused with
 * UnrepresentableValueError, which the sink turns into dirty data.
 *
 * NULL becomes `undefined`: Tablestore has no NULL, a column is absent (PutRow) or deleted
 * (UpdateRow's DELETE_ALL). An INTEGER is a bigint (range-checked here), never a JS number,
 * which is a DOUBLE.
 */

/** A value the column's Tablestore type cannot hold exactly; the row is dirty data. */
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


/** One column's conversion; `undefined` is "no value" (NULL). */
export type ValueConverter = (v: SourceValue) => TsValue | undefined;

/** Builds the converter once per column; it runs for every value. */
export function tablestoreValueConverter(m: TablestoreColumnMapping): ValueConverter {
    const convert = nonNullConverter(m);
    return (v) => (v === null ? undefined : convert(v));
}

/** Converts one value (for a value here and there; use tablestoreValueConverter in loops). */
export function toTablestore(value: SourceValue, m: TablestoreColumnMapping): TsValue | undefined {
    return tablestoreValueConverter(m)(value);
}

type NonNull = (v: string | Buffer) => TsValue;

function nonNullConverter(m: TablestoreColumnMapping): NonNull {
    const name = m.source.name;
    const refuse = (v: string | Buffer, reason: string): never => {
        throw new UnrepresentableValueError(name, v, reason);
    };
    const text = (v: string | Buffer): string => {
        if (typeof v === "string") return v;
        // The reader and the type map disagree about the column: a bug, not dirty data.
        throw new TypeError(`column "${name}": expected text from the reader, got bytes`);
    };
    const bytes = (v: string | Buffer): Buffer => {
        if (typeof v !== "string") return v;
        throw new TypeError(`column "${name}": expected bytes from the reader, got text`);
    };
    const sized = sizeCheck(m);
    switch (m.kind) {
        case "integer": case "unsigned-bigint": {
            const unsigned = m.kind === "unsigned-bigint";
            switch (m.type) {
                case "INTEGER": return (v) => int64FromText(text(v), refuse);
                case "STRING": return (v) => integerOf(text(v), refuse).toString();
                case "DOUBLE": return (v) => {
                    const n = integerOf(text(v), refuse);
                    // Every integer up to 2^53 is a double; 2^53 + 1 is the first that is not.
                    if (n > TWO_53 || n < -TWO_53) refuse(v, "is beyond ±2^53 and has no exact double");
                    return Number(n);
                };
                case "BOOLEAN": return (v) => {
                    const n = integerOf(text(v), refuse);
                    if (n !== 0n && n !== 1n) refuse(v, "is neither 0 nor 1 and has no BOOLEAN");
                    return n === 1n;
                };
                default: return unsupported(m, unsigned ? "BIGINT UNSIGNED" : "integer");
            }
        }
        case "decimal":
            switch (m.type) {
                case "STRING": return (v) => decimalText(text(v), refuse);
                case "DOUBLE": return (v) => Number(decimalText(text(v), refuse));
                case "INTEGER": return (v) => int64FromText(text(v), refuse);
                default: return unsupported(m, "decimal");
            }
        case "float":
            switch (m.type) {
                case "DOUBLE": return (v) => {
                    const s = text(v);
                    if (!FLOAT_TEXT.test(s)) refuse(v, "is not a floating-point number");
                    const x = Number(s);
                    // Tablestore refuses NaN and ±Infinity ("NaN can't be set to double value.").
                    if (!Number.isFinite(x)) refuse(v, "is not finite, which a Tablestore DOUBLE cannot hold");
                    return x;
                };
                case "STRING": return (v) => {
                    const s = text(v);
                    if (!FLOAT_TEXT.test(s)) refuse(v, "is not a floating-point number");
                    return sized(s, v);
                };
                default: return unsupported(m, "float");
            }
        case "bit": {
            const width = m.precision;
            const n = (v: string | Buffer) => bitsOf(bytes(v), width, refuse);
            switch (m.type) {
                case "INTEGER": return (v) => int64Of(n(v), v, refuse);
                case "STRING": return (v) => n(v).toString();
                case "BOOLEAN": return (v) => n(v) === 1n;
                case "BINARY": return (v) => bitBytes(n(v), width);
                default: return unsupported(m, "BIT");
            }
        }
        case "year":
            switch (m.type) {
                case "INTEGER": return (v) => {
                    const s = text(v);
                    if (!/^\d{1,4}$/.test(s)) refuse(v, "is not a year");
                    return BigInt(Number(s));
                };
                case "STRING": return (v) => {
                    const s = text(v);
                    if (!/^\d{1,4}$/.test(s)) refuse(v, "is not a year");
                    return s.padStart(4, "0");
                };
                default: return unsupported(m, "YEAR");
            }
        case "date": case "datetime": case "timestamp": case "time":
            return temporalConverter(m, text, refuse);
        case "text": case "json":
            switch (m.type) {
                case "STRING": return (v) => sized(text(v), v);
                case "BINARY": return (v) => sized(Buffer.from(text(v), "utf8"), v);
                default: return unsupported(m, m.kind);
            }
        case "binary": case "spatial":
            switch (m.type) {
                case "BINARY": return (v) => sized(bytes(v), v);
                case "STRING": return (v) => {
                    const b = bytes(v);
                    let s = "";
                    try {
                        s = strictUtf8.decode(b);
                    } catch {
                        refuse(v, "is not valid UTF-8 and has no STRING");
                    }
                    return sized(s, v);
                };
                default: return unsupported(m, m.kind);
            }
    }
}

function unsupported(m: TablestoreColumnMapping, what: string): never {
    // tablestoreColumnMapping never makes such a mapping: one built by hand is a bug.
    throw new TypeError(`column "${m.source.name}": no conversion of ${what} values to ${m.type}`);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The service's size limit on one value: 1 KB for a key, 2 MB for an attribute. */
function sizeCheck(m: TablestoreColumnMapping): <T extends string | Buffer>(out: T, v: string | Buffer) => T {
    const limit = m.primaryKey ? PRIMARY_KEY_VALUE_MAX_BYTES : ATTRIBUTE_VALUE_MAX_BYTES;
    const what = m.primaryKey ? "a primary-key value's 1 KB (1024 bytes)" : "an attribute value's 2 MB (2097152 bytes)";
    return (out, v) => {
        // A UTF-16 unit is at most 3 UTF-8 bytes: most strings need no byte count.
        const n = typeof out === "string" ? (out.length * 3 <= limit ? 0 : Buffer.byteLength(out, "utf8")) : out.length;
        if (n > limit) throw new UnrepresentableValueError(m.source.name, v, `is ${n} bytes, over ${what}`);
        return out;
    };
}

// ---------------------------------------------------------------------------------------
// Integers

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const TWO_53 = 2n ** 53n;

type Refuse = (v: string | Buffer, reason: string) => never;

/**
 * An integer's text as a bigint, checked digit by digit: `Long.fromString` would read
 * '12abc' as 12 and wrap '18446744073709551615' to -1. Leading zeros (ZEROFILL) are accepted.
 */
function integerOf(s: string, refuse: Refuse): bigint {
    if (!/^-?\d+$/.test(s)) refuse(s, "is not an integer");
    return BigInt(s);
}

/** Up to 15 digits: below 2^53, exact as a JS number, no bigint needed (most values). */
const SHORT_INTEGER = /^-?\d{1,15}$/;

function int64FromText(s: string, refuse: Refuse): bigint {
    // BigInt of the number: cheaper than parsing the text as a bigint.
    return SHORT_INTEGER.test(s) ? BigInt(Number(s)) : int64Of(integerOf(s, refuse), s, refuse);
}

function int64Of(n: bigint, v: string | Buffer, refuse: Refuse): bigint {
    if (n < INT64_MIN || n > INT64_MAX) refuse(v, "is outside the INTEGER range −2^63 … 2^63−1");
    return n;
}

/** A decimal's text as MySQL prints it, without ZEROFILL's leading zeros. */
function decimalText(s: string, refuse: Refuse): string {
    if (!/^-?\d+(\.\d+)?$/.test(s)) refuse(s, "is not a decimal number");
    const m = /^(-?)0+(?=\d)/.exec(s);
    return m ? m[1] + s.slice(m[0].length) : s;
}

/** The spellings of a double in MySQL's text protocol: '-0', '1.5', '1e15', '3.4028234663852886e38', '1e-7'. */
const FLOAT_TEXT = /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/**
 * BIT(n)'s big-endian bytes as a number. Shorter buffers are zero-extended (a binlog event may
 * trim leading bytes); bits beyond the width would be a different value.
 */
function bitsOf(buf: Buffer, width: number, refuse: Refuse): bigint {
    let n = 0n;
    for (const byte of buf) n = (n << 8n) | BigInt(byte);
    if (n >> BigInt(width) !== 0n) refuse(buf, `has more than ${width} significant bits`);
    return n;
}

/** BIT(n) as MySQL returns it: ceil(n/8) big-endian bytes. */
function bitBytes(n: bigint, width: number): Buffer {
    const out = Buffer.alloc(Math.ceil(width / 8));
    for (let i = out.length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
    return out;
}

// ---------------------------------------------------------------------------------------
// Temporal values

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_TEXT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const TIME_TEXT = /^(-?)(\d{2,3}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

const US_PER_SECOND = 1_000_000n;
const US_PER_DAY = 86_400n * US_PER_SECOND;
const daysInMonth = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function temporalConverter(m: TablestoreColumnMapping, text: (v: string | Buffer) => string, refuse: Refuse): NonNull {
    const kind = m.kind as "date" | "datetime" | "timestamp" | "time";
    const epoch = m.type === "INTEGER";
    if (kind === "time") {
        return (v) => {
            const s = text(v);
            const t = TIME_TEXT.exec(s);
            if (!t) return refuse(v, "is not a TIME value");
            if (!epoch) return s;
            const us = (BigInt(t[2]) * 3600n + BigInt(t[3]) * 60n + BigInt(t[4])) * US_PER_SECOND + fraction(t[5]);
            return t[1] === "-" ? -us : us;
        };
    }
    if (kind === "date") {
        return (v) => {
            const s = text(v);
            const d = DATE_TEXT.exec(s);
            if (!d) return refuse(v, "is not a DATE value");
            if (!epoch) return s;
            return BigInt(calendarDays(+d[1], +d[2], +d[3], v, refuse)) * US_PER_DAY;
        };
    }
    const zone = kind === "timestamp" ? "Z" : "";
    return (v) => {
        const s = text(v);
        const d = DATETIME_TEXT.exec(s);
        if (!d) return refuse(v, `is not a ${kind.toUpperCase()} value`);
        // ISO 8601's 'T'; the fixed-width text still sorts chronologically.
        if (!epoch) return `${s.slice(0, 10)}T${s.slice(11)}${zone}`;
        const days = calendarDays(+d[1], +d[2], +d[3], v, refuse);
        const seconds = BigInt(+d[4] * 3600 + +d[5] * 60 + +d[6]);
        return BigInt(days) * US_PER_DAY + seconds * US_PER_SECOND + fraction(d[7]);
    };
}

function fraction(digits: string | undefined): bigint {
    return digits ? BigInt(digits.padEnd(6, "0")) : 0n;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, refusing the dates MySQL stores that
 * name no day: zero and partial-zero dates, and days past the month's end (ALLOW_INVALID_DATES).
 */
function calendarDays(y: number, m: number, d: number, v: string | Buffer, refuse: Refuse): number {
    if (y === 0 || m === 0 || d === 0) refuse(v, "is a zero date, which names no day and has no epoch value");
    const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
    if (m > 12 || d > daysInMonth[m] || (m === 2 && d === 29 && !leap)) refuse(v, "is not a calendar date");
    return daysFromCivil(y, m, d);
}

/** Howard Hinnant's days_from_civil. */
function daysFromCivil(y0: number, m: number, d: number): number {
    const y = m <= 2 ? y0 - 1 : y0;
    const era = Math.floor(y / 400);
    const yoe = y - era * 400;
    const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
    const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
}

function civilFromDays(z0: number): [number, number, number] {
    const z = z0 + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp < 10 ? mp + 3 : mp - 9;
    return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

// ---------------------------------------------------------------------------------------
// Back from Tablestore

const pad = (n: number | bigint, w = 2) => String(n).padStart(w, "0");

/**
 * A value read from Tablestore (GetRow/GetRange) back in the reader's text form, for
 * verification: for exact mappings it is the source value (ZEROFILL padding aside, and
 * DOUBLE's digits, which are those of JavaScript's shortest form: compare FLOAT/DOUBLE as
 * numbers). `undefined` (absent) is NULL.
 */
export function fromTablestore(value: TsValue | undefined, m: TablestoreColumnMapping): SourceValue {
    if (value === undefined) return null;
    const name = m.source.name;
    const wrong = (): never => {
        throw new TypeError(`column "${name}": Tablestore holds ${describe(value)}, the mapping says ${m.type}`);
    };
    const int = (): bigint => (isInteger(value) ? integerValue(value) : wrong());
    const str = (): string => (typeof value === "string" ? value : wrong());
    const buf = (): Buffer => (Buffer.isBuffer(value) ? value : wrong());
    const dbl = (): number => (typeof value === "number" ? value : wrong());
    const bool = (): boolean => (typeof value === "boolean" ? value : wrong());
    switch (m.kind) {
        case "integer": case "unsigned-bigint": case "decimal":
            switch (m.type) {
                case "INTEGER": return int().toString();
                case "STRING": return str();
                case "DOUBLE": return m.kind === "decimal" ? String(dbl()) : BigInt(dbl()).toString();
                case "BOOLEAN": return bool() ? "1" : "0";
                default: return wrong();
            }
        case "float":
            if (m.type === "STRING") return str();
            return Object.is(dbl(), -0) ? "-0" : String(dbl());
        case "bit":
            switch (m.type) {
                case "INTEGER": return bitBytes(int(), m.precision);
                case "STRING": return bitBytes(BigInt(str()), m.precision);
                case "BOOLEAN": return bitBytes(bool() ? 1n : 0n, m.precision);
                default: return buf();
            }
        case "year":
            return m.type === "INTEGER" ? pad(int(), 4) : str();
        case "date":
            return m.type === "STRING" ? str() : dateText(int(), m, "date");
        case "datetime":
            return m.type === "STRING" ? str().replace("T", " ") : dateText(int(), m, "datetime");
        case "timestamp":
            return m.type === "STRING" ? str().replace("T", " ").replace(/Z$/, "") : dateText(int(), m, "datetime");
        case "time":
            return m.type === "STRING" ? str() : timeText(int(), m.precision);
        case "text": case "json":
            return m.type === "BINARY" ? buf().toString("utf8") : str();
        case "binary": case "spatial":
            return m.type === "STRING" ? Buffer.from(str(), "utf8") : buf();
    }
}

function describe(v: TsValue): string {
    if (isInteger(v)) return "an INTEGER";
    if (Buffer.isBuffer(v)) return "a BINARY";
    return typeof v === "number" ? "a DOUBLE" : typeof v === "boolean" ? "a BOOLEAN" : "a STRING";
}

function floorDiv(a: bigint, b: bigint): [bigint, bigint] {
    const q = a / b;
    const r = a % b;
    return r < 0n ? [q - 1n, r + b] : [q, r];
}

function dateText(us: bigint, m: TablestoreColumnMapping, kind: "date" | "datetime"): string {
    const [days, rest] = floorDiv(us, US_PER_DAY);
    const [y, mo, d] = civilFromDays(Number(days));
    if (y < 0 || y > 9999) throw new RangeError(`column "${m.source.name}": ${us} µs is outside years 0000-9999`);
    const date = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
    if (kind === "date") return date;
    const [secs, micros] = floorDiv(rest, US_PER_SECOND);
    const s = Number(secs);
    return `${date} ${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}${fractionText(micros, m.precision)}`;
}

function timeText(us: bigint, precision: number): string {
    const neg = us < 0n;
    const abs = neg ? -us : us;
    const s = Number(abs / US_PER_SECOND);
    return `${neg ? "-" : ""}${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}${fractionText(abs % US_PER_SECOND, precision)}`;
}

function fractionText(micros: bigint, precision: number): string {
    return precision > 0 ? "." + pad(micros, 6).slice(0, precision) : "";
}
