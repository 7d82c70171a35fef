import type { SourceColumn, SourceValue } from "../../../engine/model";
import { isBinaryColumn } from "../row-packets";

/**
 * Binlog values in the representation the full load reads (MySQL's text protocol in a
 * UTC session, bytes for binary columns; snapshot.ts selectExpression/streamRows), so one
 * encoder per destination serves both and a row arrives identical whichever way it
 * travelled. test/integration/awkward-incremental.test.ts compares the two readers value
 * by value, text for text, over every type and its edge values.
 *
 * What zongji hands over, and what becomes of it here:
 * - FLOAT / DOUBLE: the IEEE value as a JS number. Printed the way the server prints a
 *   double (`mysqlDoubleText`, MariaDB's my_gcvt), -0 as '-0'; under a `floatPrecision`
 *   below the default, rounded and printed as the server's ROUND(col, n) is (`mysqlRoundText`).
 * - TIME: a negative TIME whose fraction and seconds are zero comes out of zongji one unit
 *   short ('-01:00:00' as '-00:63:64', or '-00:99:00' in the old TIME format);
 *   `negativeTimeText` undoes that.
 * - YEAR 0000 arrives as 1900; the ENUM error value '' (index 0) as undefined.
 * - Text in a charset iconv-lite decodes differently from the server (MySQL's latin1 maps
 *   0x81, 0x8D, 0x8F, 0x90 and 0x9D to U+0081…; zongji's cp1252 has no character there and
 *   yields U+FFFD) or not at all: refused with UndecodableValueError rather than written wrong.
 * - Spatial values lose their SRID: refused (isStreamableColumn is false for them).
 * - MariaDB's UUID, INET6 and INET4: the value's bytes (16, 16 and 4), in the order the
 *   server's text form reads them (UUID: not the segment-swapped order MariaDB keeps a
 *   version 1-5 UUID in on disk). Printed as the server prints them (`uuidText`,
 *   `inet6Text`, `inet4Text`), since the full load reads their text.
 * - MariaDB 11.7's VECTOR: bytes the full load cannot read as text either; refused.
 */

/**
 * A value zongji decoded that cannot be represented exactly: thrown instead of a wrong value,
 * so the change is never applied differently from the source.
 */
export class UndecodableValueError extends Error {
    /** Tells the engine (isUndecodableValue) the row is dirty data, not a failure of the stream. */
    readonly undecodable = true;
    constructor(readonly column: string, readonly reason: string) {
        super(`column "${column}": ${reason}`);
        this.name = "UndecodableValueError";
    }
}

export type BinlogValueConverter = (v: unknown) => SourceValue;

const spatial = new Set(["geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection"]);

/** Spatial values lose their SRID in zongji's decoding; such columns cannot be streamed exactly. */
export function isStreamableColumn(col: SourceColumn): boolean {
    return !spatial.has(col.dataType);
}

// ---------------------------------------------------------------------------------------
// Doubles as the server prints them

/** Shortest round-trip digits of |x| (x finite, non-zero) and the decimal point's position: x = 0.DIGITS × 10^decpt. */
function shortestDigits(x: number): { digits: string; decpt: number } {
    // toExponential() without an argument gives as many digits as needed to tell x apart: the
    // digits of the server's dtoa in its shortest mode.
    const [mantissa, exponent] = Math.abs(x).toExponential().split("e");
    return { digits: mantissa.replace(".", ""), decpt: Number(exponent) + 1 };
}

/** DBL_DIG: the server prints |x| < 1e-15, and whole numbers from 1e15 up, in the 'e' format. */
const MAX_DECPT_FOR_F_FORMAT = 15;

/**
 * A double as MariaDB/MySQL print it in the text protocol (String::set_real → my_gcvt at
 * full width): the shortest round-trip digits, in the 'f' format unless |x| is below
 * 1e-15 or a whole number from 1e15 up ('1e15' and '9.007199254740992e15' are 'e',
 * 1234567890123456.8 is 'f'), then as 'Ne-MM' / 'N.NNNeMM' (no '+', no exponent padding).
 * Zero is '0', whatever its sign.
 */
export function mysqlDoubleText(x: number): string {
    if (!Number.isFinite(x)) throw new RangeError(`not a finite double: ${x}`);
    if (x === 0) return "0";
    const { digits, decpt } = shortestDigits(x);
    const len = digits.length;
    const sign = x < 0 ? "-" : "";
    if (decpt >= -MAX_DECPT_FOR_F_FORMAT + 1 && (decpt <= MAX_DECPT_FOR_F_FORMAT || len > decpt)) {
        return sign + fixedText(digits, decpt, 0);
    }
    const e = decpt - 1;
    return `${sign}${digits[0]}${len > 1 ? "." + digits.slice(1) : ""}e${e < 0 ? "-" : ""}${Math.abs(e)}`;
}

/** Digits with the decimal point at decpt, padded with zeros to at least `decimals` fractional digits. */
function fixedText(digits: string, decpt: number, decimals: number): string {
    const len = digits.length;
    let s: string;
    if (decpt <= 0) s = "0." + "0".repeat(-decpt) + digits;
    else if (decpt < len) s = digits.slice(0, decpt) + "." + digits.slice(decpt);
    else s = digits + "0".repeat(decpt - len);
    const have = Math.max(0, len - decpt);
    if (decimals > have) s += (have === 0 ? "." : "") + "0".repeat(decimals - have);
    return s;
}

/** C's rint() in the default rounding mode: to the nearest integer, halves to even, keeping the sign of zero. */
function rint(v: number): number {
    if (!Number.isFinite(v) || Number.isInteger(v)) return v;
    const f = Math.floor(v);
    const diff = v - f; // exact: the fraction of a double is a double
    const r = diff < 0.5 ? f : diff > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
    return r === 0 && v < 0 ? -0 : r;
}

/** The server's table of powers of ten (log_10[]: correctly rounded literals 1e0 … 1e308). */
const pow10 = (d: number) => Number(`1e${d}`);

/** my_double_round(x, d): what ROUND(x, d) computes for a FLOAT or DOUBLE (d ≥ 0). */
function mysqlRound(x: number, d: number): number {
    const tmp = pow10(d);
    const scaled = x * tmp;
    if (!Number.isFinite(scaled)) return x;
    return rint(scaled) / tmp;
}

/** NOT_FIXED_DEC: ROUND(x, d) with d ≥ 31 has no fixed decimals and prints like a plain double. */
const NOT_FIXED_DEC = 31;

/**
 * ROUND(x, d) of a FLOAT or DOUBLE as the text protocol prints it: the rounded double with
 * exactly d decimals (my_fcvt: its shortest digits, padded with zeros), or, for d ≥ 31,
 * like any double. Zero, of either sign, prints without a sign.
 */
export function mysqlRoundText(x: number, d: number): string {
    if (!Number.isFinite(x)) throw new RangeError(`not a finite double: ${x}`);
    const r = mysqlRound(x, d);
    if (d >= NOT_FIXED_DEC) return mysqlDoubleText(r);
    if (r === 0) return fixedText("0", 1, d);
    const { digits, decpt } = shortestDigits(r);
    const sign = r < 0 ? "-" : "";
    // More decimals than asked for (possible only where 10^d is inexact, d > 22): the
    // server's dtoa then rounds the exact binary value to d decimals, as toFixed does
    // (|r| < 1e21 here: larger doubles have no fraction).
    if (digits.length - decpt > d) return sign + Math.abs(r).toFixed(d);
    return sign + fixedText(digits, decpt, d);
}

// ---------------------------------------------------------------------------------------
// TIME

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/**
 * zongji decodes a negative TIME whose fraction is zero from the stored value minus one unit
 * and adds the second back afterwards, without a carry, so the borrow shows when the seconds
 * are zero:
 * - TIME2 (the 5.6+ format; hour, minute and second are bit fields of 10, 6 and 6 bits):
 *   '-01:00:00' arrives as '-00:63:64', 64 seconds;
 * - the old TIME format (HHMMSS decimal, no fraction: tables from before MySQL 5.6.4, or
 *   MariaDB with mysql56_temporal_format=OFF): the seconds become 100, printed as '00', so
 *   '-01:00:00' arrives as '-00:99:00' and '-12:34:00' as '-12:33:00'.
 * Negative values never arrive otherwise with those seconds (TIME2 gives 1-64 seconds, old
 * TIME 1-59 or '00' for 100; MariaDB's 5.3 "hires" TIME(n) is decoded exactly and always has
 * a fraction), so they identify the slip, which is undone here.
 */
export function negativeTimeText(s: string): string {
    const m = /^-(\d+):(\d{2}):(\d{2})(\.\d+)?$/.exec(s);
    if (!m) return s;
    const [h, mi, se] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const frac = m[4] ?? "";
    let hour: number, minute: number, second: number;
    if (se === 64 && !/[1-9]/.test(frac)) {
        // TIME2: the fields of (value - 1), seconds plus one; the value is one more.
        const x = ((h << 12) | (mi << 6) | (se - 1)) + 1;
        [hour, minute, second] = [(x >> 12) & 0x3ff, (x >> 6) & 0x3f, x & 0x3f];
    } else if (se === 0 && frac === "") {
        // Old TIME: HHMMSS of (value - 1) with 99 seconds; the value is one more.
        const x = h * 10000 + mi * 100 + 99 + 1;
        [hour, minute, second] = [Math.floor(x / 10000), Math.floor((x % 10000) / 100), x % 100];
    } else {
        return s;
    }
    return `-${pad(hour, hour > 99 ? 3 : 2)}:${pad(minute)}:${pad(second)}${frac}`;
}

// ---------------------------------------------------------------------------------------
// Text

/** Charsets whose every stored character iconv-lite decodes as the server converts it to utf8mb4. */
const unicodeCharsets = new Set(["utf8", "utf8mb3", "utf8mb4", "utf16", "utf16le", "utf32", "ucs2"]);

/**
 * MySQL's latin1 bytes 0x80-0x9F: cp1252, except that 0x81, 0x8D, 0x8F, 0x90 and 0x9D (which
 * cp1252 leaves undefined) are U+0081, U+008D, U+008F, U+0090, U+009D.
 */
const LATIN1_80_9F = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
    "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";
const C1 = /[\u0080-\u009f]/;
const C1_ALL = /[\u0080-\u009f]/g;

/**
 * A text value as zongji decoded it in the column's charset.
 *
 * latin1: zongji decodes it as cp1252, where 0x81, 0x8D, 0x8F, 0x90 and 0x9D become U+FFFD
 * and the byte is lost; such a value is refused. A reader that hands latin1 over byte for
 * byte (ISO-8859-1: U+0080-U+009F for 0x80-0x9F) gets those characters mapped as MySQL's
 * latin1 maps them; cp1252-decoded text never holds U+0080-U+009F, so both readings come
 * out the same.
 *
 * Other non-Unicode charsets: U+FFFD cannot be stored in them, so in one it marks a byte
 * iconv-lite could not map: refused. Bytes (a charset iconv-lite lacks) are only taken as
 * text in a UTF-8 column.
 */
function textChecker(col: SourceColumn): (v: string | Buffer) => string {
    const charset = (col.charset ?? "utf8mb4").toLowerCase();
    const unicode = unicodeCharsets.has(charset);
    const latin1 = charset === "latin1";
    return (v) => {
        if (Buffer.isBuffer(v)) {
            if (charset.startsWith("utf8")) return v.toString("utf8");
            throw new UndecodableValueError(col.name, `the binlog reader cannot decode charset ${charset}`);
        }
        if (!unicode && v.includes("\ufffd")) {
            throw new UndecodableValueError(col.name, latin1
                ? "a latin1 byte 0x81, 0x8D, 0x8F, 0x90 or 0x9D (U+0081… to the full load) is lost in the binlog reader's cp1252 decoding"
                : `a ${charset} byte has no character in the binlog reader's decoding`);
        }
        if (latin1 && C1.test(v)) {
            return v.replace(C1_ALL, (ch) => LATIN1_80_9F[ch.charCodeAt(0) - 0x80]);
        }
        return v;
    };
}

// ---------------------------------------------------------------------------------------
// MariaDB's fixed-size binary types (UUID, INET6, INET4)

/** A UUID's 16 bytes as MariaDB prints the value: lower-case hex in 8-4-4-4-12 groups. */
export function uuidText(b: Buffer): string {
    if (b.length !== 16) throw new RangeError(`a UUID has 16 bytes, got ${b.length}`);
    const h = b.toString("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** An INET4's 4 bytes as MariaDB prints them (Inet4::to_string): dotted decimal, no leading zeros. */
export function inet4Text(b: Buffer): string {
    if (b.length !== 4) throw new RangeError(`an INET4 value has 4 bytes, got ${b.length}`);
    return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * An INET6's 16 bytes as MariaDB prints them (Inet6::to_string), which is not quite RFC 5952
 * nor what PostgreSQL prints: the longest run of zero words becomes '::' even when it is a
 * single word (the first run wins a tie), words are lower-case hex without leading zeros,
 * and an address whose first six words are zero, or five zeros and ffff, ends in dotted
 * decimal (IPv4-compatible '::1.2.3.4', IPv4-mapped '::ffff:1.2.3.4') unless the run of
 * zeros reaches the last word ('::1', '::').
 */
export function inet6Text(b: Buffer): string {
    if (b.length !== 16) throw new RangeError(`an INET6 value has 16 bytes, got ${b.length}`);
    const words = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(2 * i));
    let gapPos = -1;
    let gapLen = 0;
    for (let i = 0; i < 8;) {
        if (words[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && words[j] === 0) j++;
        if (j - i > gapLen) [gapPos, gapLen] = [i, j - i];
        i = j;
    }
    let out = "";
    for (let i = 0; i < 8; i++) {
        if (i === gapPos) {
            out += i === 0 ? "::" : ":";
            i += gapLen - 1;
        } else if (i === 6 && gapPos === 0 && (gapLen === 6 || (gapLen === 5 && words[5] === 0xffff))) {
            return out + inet4Text(b.subarray(12));
        } else {
            out += words[i].toString(16) + (i < 7 ? ":" : "");
        }
    }
    return out;
}

const fixedBinaryText: Record<string, (b: Buffer) => string> = { uuid: uuidText, inet6: inet6Text, inet4: inet4Text };

// ---------------------------------------------------------------------------------------

const isNull = (v: unknown): v is null | undefined => v === null || v === undefined;

function numberOf(name: string, v: unknown): number {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    throw new UndecodableValueError(name, `expected a finite floating-point number, got ${String(v)}`);
}

export function binlogValueConverter(col: SourceColumn, precision: { float: number; double: number }): BinlogValueConverter {
    const name = col.name;
    if (isBinaryColumn(col)) {
        if (spatial.has(col.dataType)) {
            return () => { throw new UndecodableValueError(name, "spatial values cannot be read exactly from the binlog (their SRID is lost)"); };
        }
        return (v) => {
            if (isNull(v)) return null;
            // A copy: zongji's BIT values are views of the packet buffer.
            if (Buffer.isBuffer(v)) return Buffer.from(v);
            if (typeof v === "string") return Buffer.from(v, "binary");
            throw new UndecodableValueError(name, `expected bytes, got ${typeof v}`);
        };
    }
    switch (col.dataType) {
        case "uuid": case "inet6": case "inet4": {
            const print = fixedBinaryText[col.dataType];
            return (v) => {
                if (isNull(v)) return null;
                // Decoded as text the bytes would be lost (and a MariaDB destination refuses them: "Incorrect uuid value").
                if (!Buffer.isBuffer(v)) throw new UndecodableValueError(name, `expected the ${col.dataType.toUpperCase()} value's bytes, got ${typeof v}`);
                try {
                    return print(v);
                } catch (err) {
                    throw new UndecodableValueError(name, (err as Error).message);
                }
            };
        }
        case "vector":
            return () => { throw new UndecodableValueError(name, "VECTOR values are not supported"); };
        case "float": case "double": case "real": {
            // The full load reads ROUND(col, p) below the default precision (38 / 308), else
            // the double itself with its sign of zero (IF(… ATAN2 …, '-0', CAST(col AS DOUBLE))).
            const p = col.dataType === "float" ? precision.float : precision.double;
            const rounds = col.dataType === "float" ? p < 38 : p < 308;
            return (v) => {
                if (isNull(v)) return null;
                const x = numberOf(name, v);
                if (rounds) return mysqlRoundText(x, p);
                return Object.is(x, -0) ? "-0" : mysqlDoubleText(x);
            };
        }
        case "year":
            // YEAR 0000 is stored as 0 and decoded as 1900, a year the type cannot hold otherwise.
            return (v) => (isNull(v) ? null : Number(v) === 1900 ? "0000" : String(v));
        case "enum": {
            // Index 0 (the error value '') has no member: zongji yields undefined for it. A
            // NULL is null (a column missing from the image would be too: precheck requires
            // binlog_row_image=FULL).
            const text = textChecker(col);
            return (v) => (v === null ? null : v === undefined ? "" : text(v as string | Buffer));
        }
        case "time":
            return (v) => {
                if (isNull(v)) return null;
                if (typeof v === "string") return v.startsWith("-") ? negativeTimeText(v) : v;
                throw new UndecodableValueError(name, `expected a time string, got ${Object.prototype.toString.call(v)}`);
            };
        case "date": case "datetime": case "timestamp":
            return (v) => {
                if (isNull(v)) return null;
                if (typeof v === "string") return v;
                throw new UndecodableValueError(name, `expected a date string, got ${Object.prototype.toString.call(v)}`);
            };
        case "tinyint": case "smallint": case "mediumint": case "int": case "integer": case "bigint": case "decimal": case "numeric":
            // Integers beyond 2^53 and DECIMALs arrive as exact strings.
            return (v) => {
                if (isNull(v)) return null;
                if (typeof v === "string") return v;
                if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
                if (typeof v === "bigint") return v.toString();
                throw new UndecodableValueError(name, `expected an exact number, got ${String(v)}`);
            };
        default: {
            const text = textChecker(col);
            return (v) => {
                if (isNull(v)) return null;
                if (typeof v === "string" || Buffer.isBuffer(v)) return text(v);
                if (typeof v === "number" || typeof v === "bigint") return String(v);
                if (typeof v === "object") return JSON.stringify(v);
                return String(v);
            };
        }
    }
}
