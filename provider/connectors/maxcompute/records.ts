import { crc32cByte, crc32cInt32LE, crc32cInt64LE, crc32cRange } from "./crc32c";

/**
 * The record stream of a Tunnel block (research/maxcompute.md §3 "Record wire format"): what
 * an upload session's PUT carries and a download session's GET returns. The facts are those
 * of the Java SDK (JV = odps-sdk-core/src/main/java/com/aliyun/odps/ at 5d4c2e9) and pyodps
 * (PY = odps/ at d4cdf3c); this is our own encoder and decoder of them.
 *
 * A block is protobuf fields with no enclosing message (JV commons/proto/
 * ProtobufRecordStreamWriter.java:126-164, PY tunnel/io/writer.py:198-250):
 *
 *     block  = record* count [metrics] checksum
 *     record = (tag(i+1) value)*  tag(END_RECORD, VARINT) uint32 crc
 *     count    = tag(META_COUNT, VARINT) sint64 records       (JV …Writer.java:431)
 *     checksum = tag(META_CHECKSUM, VARINT) uint32 crccrc     (JV …Writer.java:432)
 *
 * Column i (0-based, partition columns excluded: their values go in the URL) is field i+1; a
 * null is no field at all (JV …Writer.java:143-146). The record's CRC-32C covers, per field,
 * the field number as a 4-byte little-endian int and then the value as the SDK holds it, not
 * as it is written: a BIGINT's 8 bytes rather than its zigzag varint, a string's bytes without
 * their length (JV …Writer.java:150 and 207-366, tunnel/io/Checksum.java:42-72). crccrc is the
 * CRC-32C of the records' checksums, each as a 4-byte little-endian int (JV …Writer.java:157-161).
 *
 * DATETIME is written as epoch milliseconds in UTC: the SDK re-maps them to its local calendar
 * only when the server answers `odps-tunnel-date-transform: true` (JV …Writer.java:223-225),
 * which the session code must not ask for.
 */

/** Field numbers past any column's (JV commons/proto/ProtoWireConstant.java:29-35, PY tunnel/wireconstants.py:18-22). */
export const TUNNEL_META_COUNT = 33554430;
export const TUNNEL_META_CHECKSUM = 33554431;
export const TUNNEL_END_RECORD = 33553408;
/** A download stream's optional server metrics: field 1 after the count, closed by METRICS_END (JV ProtobufRecordStreamReader.java:205-216). */
export const TUNNEL_METRICS = 1;
export const TUNNEL_METRICS_END = 33554176;

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

/** The column types the codec writes (research §4; the tunnel's complex types are not needed by the type map). */
export type MaxComputeType =
    | "BIGINT" | "INT" | "SMALLINT" | "TINYINT" | "DOUBLE" | "FLOAT" | "BOOLEAN"
    | "STRING" | "VARCHAR" | "CHAR" | "BINARY" | "DECIMAL"
    | "DATETIME" | "DATE" | "TIMESTAMP" | "TIMESTAMP_NTZ";

export interface RecordColumn {
    readonly name: string;
    readonly type: MaxComputeType;
}

/**
 * A value as the writer takes it, by column type (null and undefined are NULL):
 * - BIGINT, INT, SMALLINT, TINYINT: bigint or a safe-integer number, within the type's range;
 * - DOUBLE, FLOAT: number; BOOLEAN: boolean;
 * - STRING, VARCHAR, CHAR: string, or its UTF-8 bytes; BINARY: bytes;
 * - DECIMAL: plain decimal text (`-12.50`, as Java's toPlainString, no exponent), a bigint or a safe integer;
 * - DATETIME: Date or integer epoch milliseconds; DATE: Date (its UTC day) or integer epoch days;
 * - TIMESTAMP, TIMESTAMP_NTZ: Date, or bigint epoch nanoseconds (MySQL's microseconds survive).
 *
 * The reader gives back bigint for BIGINT, number for the smaller integers and floating types,
 * string for the text types and DECIMAL, a Buffer viewing the block for BINARY, Date for
 * DATETIME and DATE (UTC midnight), bigint epoch nanoseconds for the TIMESTAMPs, null for NULL.
 */
export type RecordValue = bigint | number | boolean | string | Uint8Array | Date | null | undefined;
export type TunnelRecord = readonly RecordValue[];

// Kinds: one per encoding, indexed by a column's position so the loops switch on a small int.
const K_BIGINT = 0;
const K_INT = 1;
const K_SMALLINT = 2;
const K_TINYINT = 3;
const K_DOUBLE = 4;
const K_FLOAT = 5;
const K_BOOLEAN = 6;
const K_STRING = 7;
const K_BINARY = 8;
const K_DECIMAL = 9;
const K_DATETIME = 10;
const K_DATE = 11;
const K_TIMESTAMP = 12;

const KIND: Readonly<Record<MaxComputeType, number>> = {
    BIGINT: K_BIGINT, INT: K_INT, SMALLINT: K_SMALLINT, TINYINT: K_TINYINT,
    DOUBLE: K_DOUBLE, FLOAT: K_FLOAT, BOOLEAN: K_BOOLEAN,
    STRING: K_STRING, VARCHAR: K_STRING, CHAR: K_STRING, BINARY: K_BINARY, DECIMAL: K_DECIMAL,
    DATETIME: K_DATETIME, DATE: K_DATE, TIMESTAMP: K_TIMESTAMP, TIMESTAMP_NTZ: K_TIMESTAMP,
};

/**
 * Wire type of each kind's tag (JV ProtobufRecordStreamWriter.java:166-205). A TIMESTAMP's tag
 * says length-delimited, yet no length follows: its seconds and nanos come straight after
 * (JV …Writer.java:255-268, PY tunnel/io/writer.py:279-286).
 */
const WIRE_OF_KIND = Uint8Array.from([
    WIRE_VARINT, WIRE_VARINT, WIRE_VARINT, WIRE_VARINT, WIRE_FIXED64, WIRE_FIXED32, WIRE_VARINT,
    WIRE_LENGTH_DELIMITED, WIRE_LENGTH_DELIMITED, WIRE_LENGTH_DELIMITED,
    WIRE_VARINT, WIRE_VARINT, WIRE_LENGTH_DELIMITED,
]);

/** [min, max] of the integer kinds. BIGINT's minimum is −2^63+1 (research §4): −2^63 is refused here rather than by the server. */
const INT_MIN = [-(2n ** 63n) + 1n, -(2n ** 31n), -(2n ** 15n), -(2n ** 7n)];
const INT_MAX = [2n ** 63n - 1n, 2n ** 31n - 1n, 2n ** 15n - 1n, 2n ** 7n - 1n];
const INT_MIN_NUMBER = [Number.MIN_SAFE_INTEGER, -(2 ** 31), -(2 ** 15), -(2 ** 7)];
const INT_MAX_NUMBER = [Number.MAX_SAFE_INTEGER, 2 ** 31 - 1, 2 ** 15 - 1, 2 ** 7 - 1];
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

const TWO_32 = 4294967296;
const MS_PER_DAY = 86_400_000;
const NS_PER_S = 1_000_000_000n;
/** What Java's BigDecimal.toPlainString writes (JV …Writer.java:360-365): no exponent, no "+". */
const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/** A column list the codec cannot use; `column` is the offending one. */
export class RecordSchemaError extends Error {
    constructor(message: string, readonly column: { readonly name: string; readonly type: string }) {
        super(message);
        this.name = "RecordSchemaError";
    }
}

/** The data columns of a table (or of an upload session, which may lag an ADD COLUMNS), in order. */
export class RecordSchema {
    readonly columns: readonly RecordColumn[];
    /** Kind of each column. */
    readonly kinds: Uint8Array;

    constructor(columns: readonly RecordColumn[]) {
        this.columns = columns.slice();
        this.kinds = new Uint8Array(columns.length);
        for (let i = 0; i < columns.length; i++) {
            const kind = KIND[columns[i].type];
            if (kind === undefined) throw new RecordSchemaError(`column ${columns[i].name}: type ${columns[i].type} is not one the record codec writes`, columns[i]);
            this.kinds[i] = kind;
        }
    }

    /** From a session's or table's Schema JSON columns, whose types are text such as `decimal(38,18)` (research §3). */
    static fromTypeText(columns: readonly { readonly name: string; readonly type: string }[]): RecordSchema {
        return new RecordSchema(columns.map((c) => ({ name: c.name, type: parseColumnType(c.type, c) })));
    }
}

/** The base type of a type text: `varchar(64)` is VARCHAR, `decimal(10,2)` DECIMAL; case does not matter. */
export function parseColumnType(text: string, column: { readonly name: string; readonly type: string } = { name: "", type: text }): MaxComputeType {
    const base = text.trim().replace(/\s*\(.*\)\s*$/s, "").toUpperCase();
    if (Object.prototype.hasOwnProperty.call(KIND, base)) return base as MaxComputeType;
    throw new RecordSchemaError(`column ${column.name}: type ${text} is not one the record codec writes`, column);
}

/** A value the writer refuses; the record is not written. `record` is its index in the block, `field` its field number (column index + 1). */
export class RecordValueError extends Error {
    constructor(message: string, readonly record: number, readonly field: number, readonly column: RecordColumn | undefined, readonly value: unknown) {
        super(message);
        this.name = "RecordValueError";
    }
}

function describeValue(v: unknown): string {
    if (typeof v === "string") return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? "an invalid Date" : `Date ${v.toISOString()}`;
    if (v instanceof Uint8Array) return `${v.length} bytes`;
    return typeof v;
}

/** Strings up to this many UTF-16 units have a one-byte length (3 bytes per unit at most, < 128). */
const SHORT_STRING = 42;

/**
 * Encodes one block: records, then the trailer. The bytes grow in one Buffer, doubled when
 * full; `finish` hands that Buffer over and the writer starts the next block in a new one.
 */
export class BlockWriter {
    private buf: Buffer;
    private pos = 0;
    private records = 0;
    private crccrc = 0;
    /** Scratch for a bigint's halves, so that a BIGINT is not a pair of allocations. */
    private lo = 0;
    private hi = 0;

    constructor(readonly schema: RecordSchema, private readonly initialCapacity = 64 * 1024) {
        this.buf = Buffer.allocUnsafe(initialCapacity);
    }

    /** Records written to this block. */
    get count(): number {
        return this.records;
    }

    /** Bytes of this block so far, without its trailer (at most 31 more). */
    get byteLength(): number {
        return this.pos;
    }

    /**
     * Appends a record; a shorter record's missing values are NULL. A value the writer refuses
     * throws RecordValueError and leaves the block as it was.
     */
    write(record: TunnelRecord): void {
        const { columns, kinds } = this.schema;
        const index = this.records;
        if (record.length > columns.length) {
            throw new RecordValueError(`record ${index} has ${record.length} values but the schema ${columns.length} columns (after ADD COLUMNS an upload session must be recreated)`, index, columns.length + 1, undefined, record);
        }
        const start = this.pos;
        let crc = 0;
        try {
            for (let i = 0; i < record.length; i++) {
                const v = record[i];
                if (v === null || v === undefined) continue;
                const field = i + 1;
                const kind = kinds[i];
                crc = crc32cInt32LE(crc, field);
                this.ensure(10);
                this.varint32((field << 3) | WIRE_OF_KIND[kind]);
                crc = this.value(kind, v, crc, index, i);
            }
        } catch (e) {
            this.pos = start;
            throw e;
        }
        // JV …Writer.java:157-161: the checksum as an unsigned varint, then into crccrc as an int.
        this.ensure(10);
        this.varint32((TUNNEL_END_RECORD << 3) | WIRE_VARINT);
        this.varint32(crc);
        this.crccrc = crc32cInt32LE(this.crccrc, crc);
        this.records++;
    }

    /** Appends the trailer and returns the block; the writer is then empty, ready for the next block. */
    finish(): Buffer {
        this.ensure(32);
        this.varint32((TUNNEL_META_COUNT << 3) | WIRE_VARINT);
        this.int64(this.records, 0); // a count is never negative: zigzag is doubling
        this.varint32((TUNNEL_META_CHECKSUM << 3) | WIRE_VARINT);
        this.varint32(this.crccrc);
        const block = this.buf.subarray(0, this.pos);
        this.buf = Buffer.allocUnsafe(Math.max(this.initialCapacity, 64));
        this.pos = 0;
        this.records = 0;
        this.crccrc = 0;
        return block;
    }

    private value(kind: number, v: RecordValue, crc: number, record: number, i: number): number {
        switch (kind) {
            case K_BIGINT:
            case K_INT:
            case K_SMALLINT:
            case K_TINYINT: {
                if (typeof v === "number") {
                    if (!Number.isSafeInteger(v) || v < INT_MIN_NUMBER[kind] || v > INT_MAX_NUMBER[kind]) throw this.refuse(record, i, v, this.rangeText(kind));
                    return this.int64Number(v, crc);
                }
                if (typeof v === "bigint") {
                    if (v < INT_MIN[kind] || v > INT_MAX[kind]) throw this.refuse(record, i, v, this.rangeText(kind));
                    if (v >= SAFE_MIN && v <= SAFE_MAX) return this.int64Number(Number(v), crc);
                    this.lo = Number(BigInt.asIntN(32, v));
                    this.hi = Number(BigInt.asIntN(32, v >> 32n));
                    this.int64(this.lo, this.hi);
                    return crc32cInt64LE(crc, this.lo, this.hi);
                }
                throw this.refuse(record, i, v, "a bigint or an integer number");
            }
            case K_DOUBLE: {
                if (typeof v !== "number") throw this.refuse(record, i, v, "a number");
                const at = this.pos;
                this.buf.writeDoubleLE(v, at);
                this.pos = at + 8;
                return crc32cRange(crc, this.buf, at, at + 8); // the wire bytes are the summed bytes (JV …Writer.java:318-322)
            }
            case K_FLOAT: {
                if (typeof v !== "number") throw this.refuse(record, i, v, "a number");
                if (Number.isFinite(v) && !Number.isFinite(Math.fround(v))) throw this.refuse(record, i, v, "a number within FLOAT's range");
                const at = this.pos;
                this.buf.writeFloatLE(v, at);
                this.pos = at + 4;
                return crc32cRange(crc, this.buf, at, at + 4);
            }
            case K_BOOLEAN: {
                if (typeof v !== "boolean") throw this.refuse(record, i, v, "a boolean");
                const b = v ? 1 : 0;
                this.buf[this.pos++] = b;
                return crc32cByte(crc, b);
            }
            case K_STRING: {
                if (typeof v === "string") return this.string(v, crc);
                if (v instanceof Uint8Array) return this.bytes(v, crc);
                throw this.refuse(record, i, v, "a string or its UTF-8 bytes");
            }
            case K_BINARY: {
                if (v instanceof Uint8Array) return this.bytes(v, crc);
                throw this.refuse(record, i, v, "bytes (a Buffer or Uint8Array)");
            }
            case K_DECIMAL: {
                let text: string;
                if (typeof v === "string") {
                    if (!PLAIN_DECIMAL.test(v)) throw this.refuse(record, i, v, "plain decimal text such as -12.50 (no exponent, no sign but -)");
                    text = v;
                } else if (typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v))) {
                    text = String(v);
                } else {
                    throw this.refuse(record, i, v, "decimal text, a bigint or a safe integer");
                }
                return this.string(text, crc);
            }
            case K_DATETIME: {
                const ms = v instanceof Date ? v.getTime() : v;
                if (typeof ms !== "number" || !Number.isSafeInteger(ms)) throw this.refuse(record, i, v, "a valid Date or integer epoch milliseconds");
                return this.int64Number(ms, crc);
            }
            case K_DATE: {
                const days = v instanceof Date ? Math.floor(v.getTime() / MS_PER_DAY) : v;
                if (typeof days !== "number" || !Number.isSafeInteger(days)) throw this.refuse(record, i, v, "a valid Date or integer epoch days");
                return this.int64Number(days, crc);
            }
            case K_TIMESTAMP: {
                // Epoch seconds rounded down and nanoseconds in [0, 1e9), as Java's Instant (JV …Writer.java:255-268).
                let seconds: number;
                let nanos: number;
                if (v instanceof Date) {
                    const ms = v.getTime();
                    if (Number.isNaN(ms)) throw this.refuse(record, i, v, "a valid Date or bigint epoch nanoseconds");
                    seconds = Math.floor(ms / 1000);
                    nanos = (ms - seconds * 1000) * 1_000_000;
                } else if (typeof v === "bigint") {
                    let s = v / NS_PER_S;
                    let ns = v % NS_PER_S;
                    if (ns < 0n) {
                        s -= 1n;
                        ns += NS_PER_S;
                    }
                    if (s < SAFE_MIN || s > SAFE_MAX) throw this.refuse(record, i, v, "epoch nanoseconds within ±2^53 seconds");
                    seconds = Number(s);
                    nanos = Number(ns);
                } else {
                    throw this.refuse(record, i, v, "a Date or bigint epoch nanoseconds");
                }
                crc = this.int64Number(seconds, crc);
                this.varint32(nanos * 2); // sint32: zigzag of a non-negative int is doubling
                return crc32cInt32LE(crc, nanos);
            }
            default:
                throw this.refuse(record, i, v, "a value of a known type");
        }
    }

    private rangeText(kind: number): string {
        return `an integer in [${INT_MIN[kind]}, ${INT_MAX[kind]}]`;
    }

    private refuse(record: number, i: number, v: unknown, wanted: string): RecordValueError {
        const column = this.schema.columns[i];
        return new RecordValueError(`record ${record}, column ${column.name} (${column.type}): ${describeValue(v)} is not ${wanted}`, record, i + 1, column, v);
    }

    /** A safe integer as zigzag sint64, summed as its 8 little-endian bytes. */
    private int64Number(n: number, crc: number): number {
        if (n >= -0x40000000 && n < 0x40000000) {
            // Zigzag fits 31 bits: one varint32, no halves.
            this.varint32(n >= 0 ? n * 2 : -n * 2 - 1);
            return crc32cInt64LE(crc, n, n < 0 ? -1 : 0);
        }
        const hi = Math.floor(n / TWO_32);
        const lo = n - hi * TWO_32;
        this.int64(lo, hi);
        return crc32cInt64LE(crc, lo, hi);
    }

    /** The 64-bit integer hi:lo (hi signed) as zigzag sint64: (n << 1) ^ (n >> 63) over the halves. */
    private int64(lo: number, hi: number): void {
        const sign = hi >> 31;
        let zlo = ((lo << 1) ^ sign) >>> 0;
        let zhi = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0;
        const buf = this.buf;
        let pos = this.pos;
        while (zhi !== 0) {
            buf[pos++] = (zlo & 0x7f) | 0x80;
            zlo = ((zlo >>> 7) | (zhi << 25)) >>> 0;
            zhi >>>= 7;
        }
        while (zlo >= 0x80) {
            buf[pos++] = (zlo & 0x7f) | 0x80;
            zlo >>>= 7;
        }
        buf[pos++] = zlo;
        this.pos = pos;
    }

    /** n as an unsigned 32-bit varint (a negative int as its two's complement, as protobuf's writeUInt32). */
    private varint32(n: number): void {
        let u = n >>> 0;
        const buf = this.buf;
        let pos = this.pos;
        while (u >= 0x80) {
            buf[pos++] = (u & 0x7f) | 0x80;
            u >>>= 7;
        }
        buf[pos++] = u;
        this.pos = pos;
    }

    /** Length and UTF-8 bytes; the checksum covers the bytes only (JV …Writer.java:299-310). */
    private string(s: string, crc: number): number {
        const n = s.length;
        if (n <= SHORT_STRING) {
            this.ensure(1 + 3 * n);
            const buf = this.buf;
            const at = this.pos + 1;
            let i = 0;
            for (; i < n; i++) {
                const c = s.charCodeAt(i);
                if (c >= 0x80) break;
                buf[at + i] = c;
            }
            const len = i === n ? n : buf.write(s, at, "utf8");
            buf[at - 1] = len;
            this.pos = at + len;
            return crc32cRange(crc, buf, at, at + len);
        }
        const len = Buffer.byteLength(s, "utf8");
        this.ensure(5 + len);
        this.varint32(len);
        const at = this.pos;
        this.buf.write(s, at, len, "utf8");
        this.pos = at + len;
        return crc32cRange(crc, this.buf, at, at + len);
    }

    private bytes(b: Uint8Array, crc: number): number {
        const len = b.length;
        this.ensure(5 + len);
        this.varint32(len);
        const at = this.pos;
        this.buf.set(b, at);
        this.pos = at + len;
        return crc32cRange(crc, this.buf, at, at + len);
    }

    /**
     * Room for n more bytes and 16 to spare: a tag asks for 10, and the value after it may then
     * take the spare without asking, since the longest fixed-size one, a TIMESTAMP, is 15 bytes.
     * Strings and bytes ask for their own length.
     */
    private ensure(n: number): void {
        const need = this.pos + n + 16;
        if (need <= this.buf.length) return;
        const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
        this.buf.copy(grown, 0, 0, this.pos);
        this.buf = grown;
    }
}

export type RecordFormatReason =
    | "truncated"          // the bytes end inside a field, or before the trailer
    | "field"              // a field number no column has, 0, or a column given twice in a record
    | "wire-type"          // a tag's wire type is not the column type's
    | "value"              // a value the column type cannot hold
    | "record-checksum"    // a record's CRC-32C is not the one written after it
    | "count"              // the trailer's record count is not the number of records
    | "metrics-checksum"   // the server metrics' CRC-32C is wrong
    | "block-checksum"     // the checksum of the records' checksums is wrong, or missing
    | "trailing-bytes";    // bytes after the trailer

/** A block the reader refuses. `record` is the index of the record being read (the count, in the trailer), `field` the field number, when there is one. */
export class RecordFormatError extends Error {
    constructor(message: string, readonly reason: RecordFormatReason, readonly record: number, readonly field: number | undefined, readonly offset: number) {
        super(message);
        this.name = "RecordFormatError";
    }
}

/**
 * Decodes a block and checks it as the SDK readers do (JV commons/proto/
 * ProtobufRecordStreamReader.java:183-238, PY tunnel/io/reader.py:360-435): each record's
 * CRC-32C, the count, the server metrics' CRC when present, the checksum of checksums; and
 * more strictly than they do, that fields match their columns' wire types, appear once, and
 * that nothing follows the trailer.
 */
export class BlockReader {
    private readonly buf: Buffer;
    private pos = 0;
    private records = 0;
    private crccrc = 0;
    private done = false;
    private lo = 0;
    private hi = 0;
    /** seen[i] = 1 + index of the last record that had column i: catches a repeated field without clearing. */
    private readonly seen: Float64Array;
    /** The server's metrics text, when the trailer had one. */
    metrics: string | undefined;

    constructor(readonly schema: RecordSchema, block: Uint8Array) {
        this.buf = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
        this.seen = new Float64Array(schema.columns.length);
    }

    /** Records read so far. */
    get count(): number {
        return this.records;
    }

    /** The next record, or undefined once the trailer has been read and checked. */
    read(): RecordValue[] | undefined {
        if (this.done) return undefined;
        const { columns, kinds } = this.schema;
        const index = this.records;
        const stamp = index + 1;
        const out: RecordValue[] = new Array<RecordValue>(columns.length).fill(null);
        let crc = 0;
        let fields = 0;
        for (;;) {
            if (this.pos >= this.buf.length) throw this.fail("the block ends before its trailer", "truncated", undefined);
            const tag = this.varint32();
            const field = tag >>> 3;
            const wire = tag & 7;
            if (field === TUNNEL_END_RECORD) {
                const written = this.uint32(field);
                if (written !== crc) throw this.fail(`record ${index}: checksum ${hex(written)} written, ${hex(crc)} computed`, "record-checksum", undefined);
                this.crccrc = crc32cInt32LE(this.crccrc, crc);
                this.records++;
                return out;
            }
            if (field === TUNNEL_META_COUNT) {
                if (fields > 0) throw this.fail(`record ${index} has fields but no end`, "truncated", undefined);
                this.trailer();
                return undefined;
            }
            if (field === 0 || field > columns.length) throw this.fail(`record ${index}: field ${field}, but the schema has ${columns.length} columns`, "field", field);
            const i = field - 1;
            const kind = kinds[i];
            if (wire !== WIRE_OF_KIND[kind]) throw this.fail(`record ${index}, column ${columns[i].name} (${columns[i].type}): wire type ${wire}, expected ${WIRE_OF_KIND[kind]}`, "wire-type", field);
            if (this.seen[i] === stamp) throw this.fail(`record ${index}: column ${columns[i].name} given twice`, "field", field);
            this.seen[i] = stamp;
            crc = crc32cInt32LE(crc, field);
            crc = this.value(kind, field, out, crc);
            fields++;
        }
    }

    /** Every remaining record; the trailer is checked before this returns. */
    readAll(): RecordValue[][] {
        const all: RecordValue[][] = [];
        for (let r = this.read(); r !== undefined; r = this.read()) all.push(r);
        return all;
    }

    private value(kind: number, field: number, out: RecordValue[], crc: number): number {
        const i = field - 1;
        switch (kind) {
            case K_BIGINT:
            case K_INT:
            case K_SMALLINT:
            case K_TINYINT:
            case K_DATETIME:
            case K_DATE: {
                this.sint64(field);
                const lo = this.lo;
                const hi = this.hi;
                crc = crc32cInt64LE(crc, lo, hi);
                if (kind === K_BIGINT) {
                    out[i] = hi >= -0x200000 && hi < 0x200000 ? BigInt(hi * TWO_32 + (lo >>> 0)) : (BigInt(hi) << 32n) | BigInt(lo >>> 0);
                    return crc;
                }
                if (hi < -0x200000 || hi >= 0x200000) throw this.fail(`record ${this.records}, column ${this.schema.columns[i].name}: ${(BigInt(hi) << 32n) | BigInt(lo >>> 0)} is beyond a safe integer`, "value", field);
                const n = hi * TWO_32 + (lo >>> 0);
                if (kind === K_DATETIME) out[i] = new Date(n);
                else if (kind === K_DATE) out[i] = new Date(n * MS_PER_DAY);
                else if (n < INT_MIN_NUMBER[kind] || n > INT_MAX_NUMBER[kind]) throw this.fail(`record ${this.records}, column ${this.schema.columns[i].name}: ${n} is outside ${this.schema.columns[i].type}`, "value", field);
                else out[i] = n;
                return crc;
            }
            case K_DOUBLE: {
                const at = this.need(8, field);
                out[i] = this.buf.readDoubleLE(at);
                return crc32cRange(crc, this.buf, at, at + 8);
            }
            case K_FLOAT: {
                const at = this.need(4, field);
                out[i] = this.buf.readFloatLE(at);
                return crc32cRange(crc, this.buf, at, at + 4);
            }
            case K_BOOLEAN: {
                // Any non-zero varint is true, as protobuf's readBool; the checksum sums the boolean (JV Checksum.java:66-68).
                this.uint64(field);
                const b = this.lo !== 0 || this.hi !== 0;
                out[i] = b;
                return crc32cByte(crc, b ? 1 : 0);
            }
            case K_STRING:
            case K_DECIMAL:
            case K_BINARY: {
                const len = this.uint32(field);
                const at = this.need(len, field);
                out[i] = kind === K_BINARY ? this.buf.subarray(at, at + len) : this.buf.toString("utf8", at, at + len);
                return crc32cRange(crc, this.buf, at, at + len);
            }
            case K_TIMESTAMP: {
                this.sint64(field);
                const lo = this.lo;
                const hi = this.hi;
                crc = crc32cInt64LE(crc, lo, hi);
                const z = this.uint32(field);
                const nanos = (z >>> 1) ^ -(z & 1);
                if (nanos < 0 || nanos >= 1_000_000_000) throw this.fail(`record ${this.records}, column ${this.schema.columns[i].name}: ${nanos} nanoseconds`, "value", field);
                const seconds = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
                out[i] = seconds * NS_PER_S + BigInt(nanos);
                return crc32cInt32LE(crc, nanos);
            }
            default:
                throw this.fail(`column ${this.schema.columns[i].name}: unknown kind`, "value", field);
        }
    }

    /** After the count's tag: the count, the optional metrics, crccrc, the end (JV ProtobufRecordStreamReader.java:200-225). */
    private trailer(): void {
        this.sint64(TUNNEL_META_COUNT);
        const count = this.hi * TWO_32 + (this.lo >>> 0);
        if (count !== this.records) throw this.fail(`the trailer counts ${count} records, the block has ${this.records}`, "count", TUNNEL_META_COUNT);
        if (this.pos >= this.buf.length) throw this.fail("the block ends after its count, before its checksum", "truncated", undefined);
        let tag = this.varint32();
        if (tag >>> 3 === TUNNEL_METRICS) {
            if ((tag & 7) !== WIRE_LENGTH_DELIMITED) throw this.fail(`metrics with wire type ${tag & 7}`, "wire-type", TUNNEL_METRICS);
            // The record checksum, reset after the last record, sums field 1 and the text (JV …Reader.java:205-214).
            let mcrc = crc32cInt32LE(0, TUNNEL_METRICS);
            const len = this.uint32(TUNNEL_METRICS);
            const at = this.need(len, TUNNEL_METRICS);
            this.metrics = this.buf.toString("utf8", at, at + len);
            mcrc = crc32cRange(mcrc, this.buf, at, at + len);
            if (this.pos >= this.buf.length || this.varint32() >>> 3 !== TUNNEL_METRICS_END) throw this.fail("metrics without their end", "truncated", TUNNEL_METRICS_END);
            const written = this.uint32(TUNNEL_METRICS_END);
            if (written !== mcrc) throw this.fail(`metrics checksum ${hex(written)} written, ${hex(mcrc)} computed`, "metrics-checksum", TUNNEL_METRICS_END);
            if (this.pos >= this.buf.length) throw this.fail("the block ends before its checksum", "truncated", undefined);
            tag = this.varint32();
        }
        if (tag >>> 3 !== TUNNEL_META_CHECKSUM) throw this.fail(`field ${tag >>> 3} where the block checksum belongs`, "block-checksum", tag >>> 3);
        const written = this.uint32(TUNNEL_META_CHECKSUM);
        if (written !== this.crccrc) throw this.fail(`block checksum ${hex(written)} written, ${hex(this.crccrc)} computed`, "block-checksum", TUNNEL_META_CHECKSUM);
        if (this.pos !== this.buf.length) throw this.fail(`${this.buf.length - this.pos} bytes after the trailer`, "trailing-bytes", undefined);
        this.done = true;
    }

    private fail(message: string, reason: RecordFormatReason, field: number | undefined): RecordFormatError {
        return new RecordFormatError(message, reason, this.records, field, this.pos);
    }

    /** The offset of n more bytes, which must be there. */
    private need(n: number, field: number): number {
        const at = this.pos;
        if (at + n > this.buf.length) throw this.fail(`record ${this.records}: field ${field} runs past the block`, "truncated", field);
        this.pos = at + n;
        return at;
    }

    /** A varint of at most 32 bits (a tag). */
    private varint32(): number {
        const buf = this.buf;
        let pos = this.pos;
        let n = 0;
        for (let shift = 0; shift < 35; shift += 7) {
            if (pos >= buf.length) break;
            const b = buf[pos++];
            n += (b & 0x7f) * 2 ** shift;
            if (b < 0x80) {
                this.pos = pos;
                if (n >= TWO_32) break;
                return n;
            }
        }
        throw this.fail(`record ${this.records}: a broken varint`, pos >= buf.length ? "truncated" : "value", undefined);
    }

    /** A uint32 as protobuf's readUInt32 takes it: any varint, its low 32 bits. */
    private uint32(field: number): number {
        this.uint64(field);
        return this.lo >>> 0;
    }

    /** A varint of up to 64 bits into lo:hi. */
    private uint64(field: number): void {
        const buf = this.buf;
        let pos = this.pos;
        let lo = 0;
        let hi = 0;
        for (let k = 0; k < 10; k++) {
            if (pos >= buf.length) throw this.fail(`record ${this.records}: field ${field} runs past the block`, "truncated", field);
            const b = buf[pos++];
            const bits = b & 0x7f;
            if (k < 4) lo |= bits << (7 * k);
            else if (k === 4) {
                lo |= bits << 28;
                hi = bits >>> 4;
            } else hi |= bits << (7 * k - 32);
            if (b < 0x80) {
                this.pos = pos;
                this.lo = lo | 0;
                this.hi = hi | 0;
                return;
            }
        }
        throw this.fail(`record ${this.records}: field ${field} has a varint over 10 bytes`, "value", field);
    }

    /** A zigzag sint64 into lo:hi, hi signed. */
    private sint64(field: number): void {
        this.uint64(field);
        const zlo = this.lo;
        const zhi = this.hi;
        const neg = -(zlo & 1);
        this.lo = ((zlo >>> 1) | (zhi << 31)) ^ neg;
        this.hi = (zhi >>> 1) ^ neg;
    }
}

/** All records of a block, checked (see BlockReader). */
export function readBlock(schema: RecordSchema, block: Uint8Array): RecordValue[][] {
    return new BlockReader(schema, block).readAll();
}

function hex(n: number): string {
    return `0x${(n >>> 0).toString(16).padStart(8, "0")}`;
}
