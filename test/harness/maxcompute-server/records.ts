/**
 * The Tunnel record stream as the service reads and writes it (research maxcompute.md §3,
 * "Record wire format": odps-sdk-java ProtobufRecordStreamWriter, pyodps tunnel/io/reader.py
 * 360-420): the fixture's own codec, apart from the connector's, so a round trip through the
 * fixture checks the connector's encoder against a second reading of the same facts.
 */

export type CellValue = bigint | number | boolean | string | Buffer | null;

const END_RECORD = 33553408;
const RECORD_COUNT = 33554430;
const CHECKSUM = 33554431;

const TABLE = (() => {
    const t = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
        let c = i;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
        t[i] = c >>> 0;
    }
    return t;
})();

/** CRC-32C, fed as the SDK feeds it: integers little-endian. */
export class Crc32c {
    private v = 0xffffffff;
    bytes(b: Uint8Array): void {
        let c = this.v;
        for (let i = 0; i < b.length; i++) c = TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
        this.v = c >>> 0;
    }
    int(n: number): void {
        const b = Buffer.alloc(4);
        b.writeInt32LE(n | 0);
        this.bytes(b);
    }
    long(n: bigint): void {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(BigInt.asIntN(64, n));
        this.bytes(b);
    }
    value(): number {
        return (this.v ^ 0xffffffff) >>> 0;
    }
    reset(): void {
        this.v = 0xffffffff;
    }
}

export class RecordFormatError extends Error {}

/** The wire type and value kind of a column type (BIGINT, DECIMAL(38,18), VARCHAR(10), …). */
export function kindOf(type: string): "long" | "bool" | "double" | "float" | "bytes" | "timestamp" {
    const base = type.replace(/\(.*$/, "").toUpperCase();
    if (["BIGINT", "INT", "SMALLINT", "TINYINT", "DATETIME", "DATE"].includes(base)) return "long";
    if (base === "BOOLEAN") return "bool";
    if (base === "DOUBLE") return "double";
    if (base === "FLOAT") return "float";
    if (["STRING", "VARCHAR", "CHAR", "BINARY", "DECIMAL", "JSON"].includes(base)) return "bytes";
    if (base === "TIMESTAMP" || base === "TIMESTAMP_NTZ") return "timestamp";
    throw new RecordFormatError(`the fixture has no codec for type ${type}`);
}

const WIRE = { long: 0, bool: 0, double: 1, float: 5, bytes: 2, timestamp: 2 } as const;

class Reader {
    pos = 0;
    constructor(readonly buf: Buffer) {}
    varint(): bigint {
        let result = 0n;
        let shift = 0n;
        for (;;) {
            if (this.pos >= this.buf.length) throw new RecordFormatError("the block ends inside a varint");
            const b = this.buf[this.pos++];
            result |= BigInt(b & 0x7f) << shift;
            if (!(b & 0x80)) return result;
            shift += 7n;
            if (shift > 63n) throw new RecordFormatError("a varint is longer than 10 bytes");
        }
    }
    take(n: number): Buffer {
        if (this.pos + n > this.buf.length) throw new RecordFormatError("the block ends inside a value");
        const b = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return b;
    }
}

const unzigzag = (n: bigint) => (n >> 1n) ^ -(n & 1n);

/**
 * Decodes one uploaded block against the session's columns (data columns only), checking
 * what the service checks: field numbers within the schema, wire types matching the column
 * types, every record's CRC, the trailer's count and its checksum of checksums.
 */
export function decodeBlock(buf: Buffer, types: readonly string[]): { records: CellValue[][] } {
    const kinds = types.map(kindOf);
    const r = new Reader(buf);
    const crc = new Crc32c();
    const crccrc = new Crc32c();
    const records: CellValue[][] = [];
    let row: CellValue[] = new Array(types.length).fill(null);
    let count: bigint | undefined;
    while (r.pos < buf.length) {
        const tag = r.varint();
        const field = Number(tag >> 3n);
        const wire = Number(tag & 7n);
        if (field === END_RECORD) {
            const sent = Number(r.varint());
            if (sent !== crc.value()) throw new RecordFormatError(`record ${records.length}: checksum ${sent} is not the record's ${crc.value()}`);
            crccrc.int(crc.value());
            crc.reset();
            records.push(row);
            row = new Array(types.length).fill(null);
            continue;
        }
        if (field === RECORD_COUNT) {
            count = unzigzag(r.varint());
            continue;
        }
        if (field === CHECKSUM) {
            const sent = Number(r.varint());
            if (count === undefined) throw new RecordFormatError("the block's checksum comes before its record count");
            if (count !== BigInt(records.length)) throw new RecordFormatError(`the block says ${count} records, it holds ${records.length}`);
            if (sent !== crccrc.value()) throw new RecordFormatError(`the block's checksum ${sent} is not its records' ${crccrc.value()}`);
            if (r.pos !== buf.length) throw new RecordFormatError("bytes after the block's checksum");
            return { records };
        }
        if (field < 1 || field > types.length) throw new RecordFormatError(`record ${records.length}: field ${field} is not a column of the session's schema (${types.length} columns): recreate the session after a schema change`);
        const kind = kinds[field - 1];
        if (wire !== WIRE[kind]) throw new RecordFormatError(`record ${records.length}: field ${field} has wire type ${wire}, its column ${types[field - 1]} takes ${WIRE[kind]}`);
        crc.int(field);
        switch (kind) {
            case "long": {
                const v = unzigzag(r.varint());
                crc.long(v);
                row[field - 1] = v;
                break;
            }
            case "bool": {
                const v = r.varint() !== 0n;
                crc.bytes(Buffer.from([v ? 1 : 0]));
                row[field - 1] = v;
                break;
            }
            case "double": {
                const b = r.take(8);
                crc.bytes(b);
                row[field - 1] = b.readDoubleLE(0);
                break;
            }
            case "float": {
                const b = r.take(4);
                crc.bytes(b);
                row[field - 1] = b.readFloatLE(0);
                break;
            }
            case "bytes": {
                const b = Buffer.from(r.take(Number(r.varint())));
                crc.bytes(b);
                const base = types[field - 1].replace(/\(.*$/, "").toUpperCase();
                row[field - 1] = base === "BINARY" ? b : b.toString("utf8");
                break;
            }
            case "timestamp": {
                const seconds = unzigzag(r.varint());
                const nanos = Number(unzigzag(r.varint()));
                crc.long(seconds);
                crc.int(nanos);
                // Kept as text the tests can compare: seconds.nanos (9 digits).
                row[field - 1] = `${seconds}.${String(nanos).padStart(9, "0")}`;
                break;
            }
        }
    }
    throw new RecordFormatError("the block has no trailer (record count and checksum)");
}

function varint(out: number[], n: bigint): void {
    let v = BigInt.asUintN(64, n);
    while (v >= 0x80n) {
        out.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
    }
    out.push(Number(v));
}
const zigzag = (n: bigint) => BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));

/** Encodes records for a download session, with the same checksums. */
export function encodeBlock(records: readonly CellValue[][], types: readonly string[]): Buffer {
    const kinds = types.map(kindOf);
    const out: number[] = [];
    const crc = new Crc32c();
    const crccrc = new Crc32c();
    const tag = (field: number, wire: number) => varint(out, (BigInt(field) << 3n) | BigInt(wire));
    for (const rec of records) {
        rec.forEach((v, i) => {
            if (v === null || v === undefined) return;
            const field = i + 1;
            const kind = kinds[i];
            crc.int(field);
            tag(field, WIRE[kind]);
            if (kind === "long") {
                const n = BigInt(v as bigint | number);
                varint(out, zigzag(n));
                crc.long(n);
            } else if (kind === "bool") {
                out.push(v ? 1 : 0);
                crc.bytes(Buffer.from([v ? 1 : 0]));
            } else if (kind === "double" || kind === "float") {
                const b = Buffer.alloc(kind === "double" ? 8 : 4);
                if (kind === "double") b.writeDoubleLE(v as number);
                else b.writeFloatLE(v as number);
                out.push(...b);
                crc.bytes(b);
            } else if (kind === "bytes") {
                const b = Buffer.isBuffer(v) ? v : Buffer.from(String(v), "utf8");
                varint(out, BigInt(b.length));
                out.push(...b);
                crc.bytes(b);
            } else {
                const [s, ns] = String(v).split(".");
                const seconds = BigInt(s);
                const nanos = Number((ns ?? "0").padEnd(9, "0"));
                varint(out, zigzag(seconds));
                varint(out, zigzag(BigInt(nanos)));
                crc.long(seconds);
                crc.int(nanos);
            }
        });
        tag(END_RECORD, 0);
        varint(out, BigInt(crc.value()));
        crccrc.int(crc.value());
        crc.reset();
    }
    tag(RECORD_COUNT, 0);
    varint(out, zigzag(BigInt(records.length)));
    tag(CHECKSUM, 0);
    varint(out, BigInt(crccrc.value()));
    return Buffer.from(out);
}
