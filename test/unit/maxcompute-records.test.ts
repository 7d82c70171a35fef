/**
 * MaxCompute's Tunnel record codec (provider/connectors/maxcompute/records.ts) and its
 * CRC-32C (crc32c.ts): a block pyodps's writer produced is reproduced byte for byte and read
 * back; every type round-trips through the writer and the reader; the reader refuses a block
 * with a corrupted byte, a wrong count, a wrong checksum of checksums, or one cut short.
 */
import { describe, expect, it } from "vitest";
import { crc32c, crc32cByte, crc32cInt32LE, crc32cInt64LE, crc32cRange } from "../../provider/connectors/maxcompute/crc32c";
import {
    BlockReader, BlockWriter, parseColumnType, readBlock, RecordFormatError, RecordSchema, RecordSchemaError,
    RecordValueError, TUNNEL_META_CHECKSUM, TUNNEL_META_COUNT, TUNNEL_METRICS, TUNNEL_METRICS_END,
    type MaxComputeType, type RecordFormatReason, type RecordValue, type TunnelRecord,
} from "../../provider/connectors/maxcompute/records";

/** Bit at a time, straight from the definition: what the tables must agree with. */
function slowCrc32c(bytes: Uint8Array, crc = 0): number {
    let c = ~crc >>> 0;
    for (const b of bytes) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
}

describe("CRC-32C", () => {
    it("gives the standard check value and pyodps's test values", () => {
        expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
        expect(crc32c(Buffer.alloc(0))).toBe(0);
        // odps/tests/test_crc.py: "abc", then "1111111111111111111" fed to the same checksum.
        const abc = crc32c(Buffer.from("abc"));
        expect(abc).toBe(910901175);
        expect(crc32c(Buffer.from("1111111111111111111"), abc)).toBe(2917307201);
    });

    it("slicing by 8 agrees with the bitwise CRC on every length and start, carried across calls", () => {
        const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff));
        for (let start = 0; start < 9; start++) {
            for (let end = start; end <= data.length; end += 1 + (end % 7)) {
                for (const init of [0, 0x12345678, 0xffffffff]) {
                    expect(crc32cRange(init, data, start, end)).toBe(slowCrc32c(data.subarray(start, end), init));
                }
            }
        }
    });

    it("integers are summed as their little-endian bytes", () => {
        const b4 = Buffer.alloc(4);
        for (const n of [0, 1, 255, 256, 0x12345678, 0x7fffffff, -1, -2147483648]) {
            b4.writeInt32LE(n);
            for (const init of [0, 0xdeadbeef]) expect(crc32cInt32LE(init, n)).toBe(slowCrc32c(b4, init));
        }
        const b8 = Buffer.alloc(8);
        for (const n of [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 0x0123456789abcdefn, -123456789012345n]) {
            b8.writeBigInt64LE(n);
            const lo = Number(BigInt.asIntN(32, n));
            const hi = Number(BigInt.asIntN(32, n >> 32n));
            for (const init of [0, 0xdeadbeef]) {
                expect(crc32cInt64LE(init, lo, hi)).toBe(slowCrc32c(b8, init));
                expect(crc32cInt64LE(init, lo >>> 0, hi >>> 0)).toBe(slowCrc32c(b8, init));
            }
        }
        for (const b of [0, 1, 0x80, 0xff]) expect(crc32cByte(7, b)).toBe(slowCrc32c(Buffer.from([b]), 7));
    });
});

const schemaOf = (...types: MaxComputeType[]) => new RecordSchema(types.map((type, i) => ({ name: `c${i}`, type })));

function block(schema: RecordSchema, records: readonly TunnelRecord[]): Buffer {
    const w = new BlockWriter(schema);
    for (const r of records) w.write(r);
    return w.finish();
}

function formatError(schema: RecordSchema, bytes: Uint8Array): RecordFormatError {
    try {
        readBlock(schema, bytes);
    } catch (e) {
        if (e instanceof RecordFormatError) return e;
        throw e;
    }
    throw new Error("the block was read without an error");
}

function expectFormatError(schema: RecordSchema, bytes: Uint8Array, reason: RecordFormatReason, record?: number): RecordFormatError {
    const e = formatError(schema, bytes);
    expect(e.reason, e.message).toBe(reason);
    if (record !== undefined) expect(e.record).toBe(record);
    return e;
}

function valueError(w: BlockWriter, r: TunnelRecord): RecordValueError {
    try {
        w.write(r);
    } catch (e) {
        if (e instanceof RecordValueError) return e;
        throw e;
    }
    throw new Error("the record was written");
}

/** Protobuf varint bytes, for hand-made trailers. */
function varint(n: number | bigint): number[] {
    let v = BigInt.asUintN(64, BigInt(n));
    const out: number[] = [];
    while (v >= 0x80n) {
        out.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
    }
    out.push(Number(v));
    return out;
}
const tag = (field: number, wire: number) => varint(field * 8 + wire);

/** The block's bytes before its trailer: the writer's trailer is count tag + sint64 + checksum tag + uint32. */
function withoutTrailer(bytes: Buffer): Buffer {
    const countTag = Buffer.from(tag(TUNNEL_META_COUNT, 0));
    const at = bytes.lastIndexOf(countTag);
    expect(at).toBeGreaterThanOrEqual(0);
    return bytes.subarray(0, at);
}

describe("a block pyodps writes", () => {
    // Written by pyodps's BaseRecordWriter (odps/tunnel/io/writer.py @d4cdf3c, pure-Python encoder)
    // under TZ=UTC, for these 16 columns and the records below; see the report of this change.
    const PYODPS_BLOCK =
        "080211000000000000f83f180122036162632a030001ff30aad2e2cdbe633a0c31323334352e36373839303042e0e783de0c" +
        "aab4de75480d50d80458ff01650000803e688cb502720261627a0668c3a96c6c6f8201010a80c0ff7fdfd28ee90780c0ff7f" +
        "0008fdffffffffffffffff01110000000000000080180022002a0030ffaff6c5af123a042d302e3548feffffff0f50ffff03" +
        "58fe0165000060c068bd8f037a09e697a5e69cace8aa9e80c0ff7fb29ce0d10708feffffffffffffffff01220be4b8ade696" +
        "8720f09f988080c0ff7f8fbdcaf70cf0ffff7f08f8ffff7f87b983be07";
    const schema = RecordSchema.fromTypeText([
        ["b", "bigint"], ["d", "double"], ["bo", "boolean"], ["s", "string"], ["bin", "binary"], ["dt", "datetime"],
        ["dec", "decimal(38,18)"], ["ts", "timestamp"], ["i", "int"], ["si", "smallint"], ["ti", "tinyint"], ["f", "float"],
        ["da", "date"], ["ch", "char(5)"], ["vc", "varchar(10)"], ["ntz", "timestamp_ntz"],
    ].map(([name, type]) => ({ name, type })));
    const ts2024 = BigInt(Date.UTC(2024, 1, 29, 12, 34, 56) / 1000) * 1_000_000_000n;
    const nulls = (n: number) => new Array<null>(n).fill(null);
    const records: RecordValue[][] = [
        [1n, 1.5, true, "abc", Buffer.from([0, 1, 0xff]), new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789)), "12345.678900",
            ts2024 + 123_456_789n, -7, 300, -128, 0.25, new Date(Date.UTC(2024, 1, 29)), "ab", "héllo", -1_000_000_000n + 5n],
        nulls(16),
        [-(2n ** 63n) + 1n, -0, false, "", Buffer.alloc(0), new Date(Date.UTC(1960, 0, 1)), "-0.5", null,
            2 ** 31 - 1, -32768, 127, -3.5, new Date(Date.UTC(1900, 0, 1)), null, "日本語", null],
        [2n ** 63n - 1n, null, null, "中文 😀", ...nulls(12)],
    ];

    it("is what the writer writes, byte for byte", () => {
        expect(block(schema, records).toString("hex")).toBe(PYODPS_BLOCK);
        // The same values in the writer's other accepted forms.
        const alt: RecordValue[][] = records.map((r) => r.slice());
        alt[0][0] = 1;
        alt[0][5] = Date.UTC(2024, 1, 29, 12, 34, 56, 789);
        alt[0][12] = 19782;
        alt[0][3] = Buffer.from("abc");
        alt[2][12] = -25567;
        alt[3] = [2n ** 63n - 1n, null, undefined, "中文 😀"]; // trailing NULLs may be left out
        expect(block(schema, alt).toString("hex")).toBe(PYODPS_BLOCK);
    });

    it("is read back to the same values, every checksum checked", () => {
        const reader = new BlockReader(schema, Buffer.from(PYODPS_BLOCK, "hex"));
        const got = reader.readAll();
        expect(reader.count).toBe(4);
        expect(got).toEqual([
            [1n, 1.5, true, "abc", Buffer.from([0, 1, 0xff]), new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789)), "12345.678900",
                ts2024 + 123_456_789n, -7, 300, -128, 0.25, new Date(Date.UTC(2024, 1, 29)), "ab", "héllo", -999_999_995n],
            nulls(16),
            [-(2n ** 63n) + 1n, -0, false, "", Buffer.alloc(0), new Date(Date.UTC(1960, 0, 1)), "-0.5", null,
                2 ** 31 - 1, -32768, 127, -3.5, new Date(Date.UTC(1900, 0, 1)), null, "日本語", null],
            [2n ** 63n - 1n, null, null, "中文 😀", ...nulls(12)],
        ]);
        expect(Object.is(got[2][1], -0)).toBe(true);
    });

    it("has the SDK's framing: an all-NULL record is the end tag and checksum 0, the trailer counts in zigzag", () => {
        // Record 0 ends with tag(33553408, VARINT) = 80 c0 ff 7f and its checksum; record 1 (all NULL)
        // is that tag and checksum 00; record 2 starts with tag(1, VARINT) 08.
        expect(PYODPS_BLOCK).toContain("80c0ff7fdfd28ee90780c0ff7f0008");
        // Trailer: tag(33554430, VARINT) f0 ff ff 7f, sint64 4 = 08, tag(33554431, VARINT) f8 ff ff 7f, uint32 crccrc.
        expect(PYODPS_BLOCK).toMatch(/f0ffff7f08f8ffff7f[0-9a-f]+$/);
        // BIGINT 1 is zigzag 02 after tag(1, VARINT) 08; the TIMESTAMP's tag says length-delimited (0x42) with no length.
        expect(PYODPS_BLOCK.startsWith("0802")).toBe(true);
        expect(PYODPS_BLOCK).toContain("42e0e783de0caab4de75");
    });
});

describe("round trips", () => {
    it("every type, with NULLs, empties and extremes", () => {
        const schema = schemaOf("BIGINT", "INT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "BOOLEAN", "STRING", "VARCHAR",
            "CHAR", "BINARY", "DECIMAL", "DATETIME", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ");
        const long = "x".repeat(200) + "é".repeat(100) + "😀".repeat(50);
        const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i % 3 === 0 ? 0 : i & 0xff)));
        const records: RecordValue[][] = [
            [2n ** 63n - 1n, 2 ** 31 - 1, 32767, 127, Number.MAX_VALUE, 3.4028234663852886e38, true, "", "", "", Buffer.alloc(0), "0",
                new Date(253402300799999), new Date(Date.UTC(9999, 11, 31)), 253402300799_999_999_999n, 0n],
            [-(2n ** 63n) + 1n, -(2 ** 31), -32768, -128, -Number.MIN_VALUE, -1.401298464324817e-45, false, "\u0000", "ü", "中",
                Buffer.from([0, 0, 0]), "-99999999999999999999.999999999999999999", new Date(-62135596800000), new Date(-62135596800000), -1n, -1n],
            [-1n, -1, -1, -1, Number.NaN, Number.NEGATIVE_INFINITY, null, long, "a\u0000b", "😀", binary, "123", new Date(-1), new Date(-86400000),
                -62135596800_000_000_001n, 1_000_000_000n],
            [null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null],
            [2n ** 53n, 2 ** 30, 1, 0, -0, 0.1, true, "\ud800", "x".repeat(42), "x".repeat(43), Buffer.from([0xff]), "1.5",
                new Date(1_700_000_000_123), new Date(0), BigInt(Date.UTC(2024, 0, 1)) * 1_000_000n + 999n, -(2n ** 60n)],
            [-(2n ** 53n) - 1n, -(2 ** 30) - 1, 0, 0, 1e-300, 1.5, false, "é".repeat(43), "é".repeat(42), "", Buffer.from("\u00ff"), "1",
                Date.UTC(1, 0, 1), -1, new Date(1), -999_999_999n],
        ];
        const expected: RecordValue[][] = [
            [2n ** 63n - 1n, 2 ** 31 - 1, 32767, 127, Number.MAX_VALUE, 3.4028234663852886e38, true, "", "", "", Buffer.alloc(0), "0",
                new Date(253402300799999), new Date(Date.UTC(9999, 11, 31)), 253402300799_999_999_999n, 0n],
            [-(2n ** 63n) + 1n, -(2 ** 31), -32768, -128, -Number.MIN_VALUE, -1.401298464324817e-45, false, "\u0000", "ü", "中",
                Buffer.from([0, 0, 0]), "-99999999999999999999.999999999999999999", new Date(-62135596800000), new Date(-62135596800000), -1n, -1n],
            [-1n, -1, -1, -1, Number.NaN, Number.NEGATIVE_INFINITY, null, long, "a\u0000b", "😀", binary, "123", new Date(-1), new Date(-86400000),
                -62135596800_000_000_001n, 1_000_000_000n],
            new Array(16).fill(null),
            [2n ** 53n, 2 ** 30, 1, 0, -0, Math.fround(0.1), true, "\ufffd", "x".repeat(42), "x".repeat(43), Buffer.from([0xff]), "1.5",
                new Date(1_700_000_000_123), new Date(0), BigInt(Date.UTC(2024, 0, 1)) * 1_000_000n + 999n, -(2n ** 60n)],
            [-(2n ** 53n) - 1n, -(2 ** 30) - 1, 0, 0, 1e-300, 1.5, false, "é".repeat(43), "é".repeat(42), "", Buffer.from([0xc3, 0xbf]), "1",
                new Date(Date.UTC(1, 0, 1)), new Date(-86400000), 1_000_000n, -999_999_999n],
        ];
        const w = new BlockWriter(schema, 16); // a small start, so the buffer grows many times
        for (const r of records) w.write(r);
        expect(w.count).toBe(records.length);
        const bytes = w.finish();
        expect(readBlock(schema, bytes)).toEqual(expected);
        // A DATE given as a Date keeps its UTC day only.
        expect(readBlock(schemaOf("DATE"), block(schemaOf("DATE"), [[new Date(Date.UTC(2020, 5, 6, 23, 59))]]))).toEqual([[new Date(Date.UTC(2020, 5, 6))]]);
    });

    it("zigzag puts small negatives in one byte, and BIGINT's halves are summed correctly beyond 2^53", () => {
        const schema = schemaOf("BIGINT");
        expect(block(schema, [[-1n]]).subarray(0, 3).toString("hex")).toBe("080180");
        expect(block(schema, [[-64]]).subarray(0, 3).toString("hex")).toBe("087f80");
        for (const v of [0n, 1n, -1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n + 5n, -(2n ** 32n) - 5n, 2n ** 62n, -(2n ** 62n) - 12345n, 0x7edcba9876543210n]) {
            expect(readBlock(schema, block(schema, [[v]]))).toEqual([[v]]);
            if (v >= -(2n ** 53n) && v <= 2n ** 53n) expect(block(schema, [[Number(v)]])).toEqual(block(schema, [[v]]));
        }
    });

    it("many records and an empty block", () => {
        const schema = schemaOf("BIGINT", "STRING");
        const records: RecordValue[][] = Array.from({ length: 5000 }, (_, i) => [BigInt(i * 7919 - 20000), i % 5 === 0 ? null : `row ${i} ✓`]);
        const w = new BlockWriter(schema, 64);
        for (const r of records) w.write(r);
        const bytes = w.finish();
        expect(readBlock(schema, bytes)).toEqual(records);
        // The writer starts over: an empty block is the trailer alone (count 0, checksum of nothing 0).
        expect(w.count).toBe(0);
        const empty = w.finish();
        expect(empty.toString("hex")).toBe("f0ffff7f00f8ffff7f00");
        expect(readBlock(schema, empty)).toEqual([]);
        // The first block was handed over: writing the next one does not touch it.
        w.write([1n, "next"]);
        w.finish();
        expect(readBlock(schema, bytes)).toEqual(records);
    });
});

describe("the writer refuses", () => {
    const schema = schemaOf("BIGINT", "INT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "BOOLEAN", "STRING", "BINARY", "DECIMAL",
        "DATETIME", "DATE", "TIMESTAMP");
    const cases: [number, RecordValue, RegExp][] = [
        [1, -(2n ** 63n), /integer in \[-9223372036854775807/],
        [1, 2n ** 63n, /integer in/],
        [1, 1.5, /integer in/],
        [1, "1", /bigint or an integer number/],
        [1, 2 ** 53, /integer in/],
        [2, 2 ** 31, /integer in \[-2147483648, 2147483647\]/],
        [3, -32769n, /integer in/],
        [4, 128, /integer in/],
        [5, 1n, /a number/],
        [6, 1e39, /FLOAT's range/],
        [7, 1, /a boolean/],
        [8, 12, /a string/],
        [9, "bytes", /bytes/],
        [10, "1e5", /plain decimal/],
        [10, "+1", /plain decimal/],
        [10, 0.5, /decimal text/],
        [11, new Date(Number.NaN), /valid Date/],
        [11, 1n, /valid Date/],
        [12, 1.5, /epoch days/],
        [13, 1700000000000, /bigint epoch nanoseconds/],
    ];
    it.each(cases)("field %i: %s", (field, value, message) => {
        const w = new BlockWriter(schema);
        w.write([1n]);
        const before = w.byteLength;
        const record = new Array<RecordValue>(field).fill(null);
        record[0] = 2n;
        record[field - 1] = value;
        const e = valueError(w, record);
        expect(e.message).toMatch(message);
        expect(e.record).toBe(1);
        expect(e.field).toBe(field);
        expect(e.column).toBe(schema.columns[field - 1]);
        expect(e.value).toBe(value);
        // Nothing of the refused record stays in the block.
        expect(w.byteLength).toBe(before);
        w.write([3n]);
        expect(readBlock(schema, w.finish()).map((r) => r[0])).toEqual([1n, 3n]);
    });

    it("a record with more values than the schema has columns", () => {
        const e = valueError(new BlockWriter(schemaOf("BIGINT")), [1n, 2n]);
        expect(e.field).toBe(2);
        expect(e.column).toBeUndefined();
        expect(e.message).toMatch(/recreated/);
    });
});

describe("the reader refuses", () => {
    const schema = schemaOf("BIGINT", "STRING", "DOUBLE", "TIMESTAMP");
    const records: RecordValue[][] = [[1n, "first", 1.5, 5n], [2n, "second", null, null], [3n, "third", -2.25, -5n]];
    const good = block(schema, records);

    it("a corrupted byte in any record (its checksum)", () => {
        const at = good.indexOf(Buffer.from("second")) + 2;
        const bad = Buffer.from(good);
        bad[at] ^= 0x20;
        const e = expectFormatError(schema, bad, "record-checksum", 1);
        expect(e.field).toBeUndefined();
        expect(e.message).toMatch(/record 1: checksum 0x[0-9a-f]{8} written, 0x[0-9a-f]{8} computed/);
        // A double's bits too, in the last record.
        const d = Buffer.from(good);
        d[d.lastIndexOf(Buffer.from([0x19])) + 3] ^= 1;
        expectFormatError(schema, d, "record-checksum", 2);
        // Or the checksum itself.
        const c = Buffer.from(good);
        c[good.indexOf(Buffer.from(tag(33553408, 0))) + 4] ^= 1;
        expectFormatError(schema, c, "record-checksum", 0);
    });

    it("a wrong record count in the trailer", () => {
        const body = withoutTrailer(good);
        const crccrc = good.subarray(good.lastIndexOf(Buffer.from(tag(TUNNEL_META_CHECKSUM, 0))));
        for (const count of [2, 4, 0]) {
            const bad = Buffer.concat([body, Buffer.from([...tag(TUNNEL_META_COUNT, 0), ...varint(count * 2)]), crccrc]);
            const e = expectFormatError(schema, bad, "count", 3);
            expect(e.field).toBe(TUNNEL_META_COUNT);
            expect(e.message).toMatch(`counts ${count} records, the block has 3`);
        }
        // The count and checksum of checksums rewritten by hand as the writer writes them read back.
        expect(readBlock(schema, Buffer.concat([body, Buffer.from([...tag(TUNNEL_META_COUNT, 0), 6]), crccrc]))).toEqual(records);
    });

    it("a wrong checksum of checksums, or records reordered (their checksums are chained)", () => {
        const bad = Buffer.from(good);
        bad[bad.length - 2] ^= 0x01;
        expectFormatError(schema, bad, "block-checksum", 3);
        const one = withoutTrailer(block(schema, [records[0]]));
        const two = withoutTrailer(block(schema, [records[1]]));
        const trailer = block(schema, [records[0], records[1]]).subarray(one.length + two.length);
        expect(readBlock(schema, Buffer.concat([one, two, trailer]))).toEqual([records[0], records[1]]);
        expectFormatError(schema, Buffer.concat([two, one, trailer]), "block-checksum", 2);
    });

    it("a block cut anywhere, or with bytes after its trailer", () => {
        for (let n = 0; n < good.length; n++) {
            const e = formatError(schema, good.subarray(0, n));
            expect(["truncated", "record-checksum", "count", "block-checksum"]).toContain(e.reason);
        }
        expectFormatError(schema, good.subarray(0, withoutTrailer(good).length), "truncated", 3);
        expectFormatError(schema, Buffer.concat([good, Buffer.from([0])]), "trailing-bytes", 3);
    });

    it("fields no column has, a field given twice, a wrong wire type, a record without its end", () => {
        const end = (crc: number) => [...tag(33553408, 0), ...varint(crc)];
        const trailer = (n: number, crccrc: number) => [...tag(TUNNEL_META_COUNT, 0), ...varint(2 * n), ...tag(TUNNEL_META_CHECKSUM, 0), ...varint(crccrc)];
        let e = expectFormatError(schema, Buffer.from([...tag(5, 0), 2, ...end(0), ...trailer(1, 0)]), "field", 0);
        expect(e.field).toBe(5);
        e = expectFormatError(schema, Buffer.from([...tag(0, 0), 2]), "field", 0);
        expect(e.field).toBe(0);
        e = expectFormatError(schema, Buffer.from([...tag(1, 0), 2, ...tag(1, 0), 4]), "field", 0);
        expect(e.field).toBe(1);
        e = expectFormatError(schema, Buffer.from([...tag(3, 0), 2]), "wire-type", 0);
        expect(e.field).toBe(3);
        e = expectFormatError(schema, Buffer.from([...tag(2, 2), 10, 0x61]), "truncated", 0);
        expect(e.field).toBe(2);
        expectFormatError(schema, Buffer.from([...tag(1, 0), 2, ...trailer(0, 0)]), "truncated", 0);
    });
});

describe("a download stream's server metrics", () => {
    const schema = schemaOf("STRING");
    const body = withoutTrailer(block(schema, [["a"], ["b"]]));
    const crccrc = block(schema, [["a"], ["b"]]).subarray(body.length + 5);
    const text = Buffer.from('{"ServerTime":12}');
    const metrics = (crc: number) => Buffer.from([
        ...tag(TUNNEL_META_COUNT, 0), 4,
        ...tag(TUNNEL_METRICS, 2), ...varint(text.length), ...text,
        ...tag(TUNNEL_METRICS_END, 0), ...varint(crc),
    ]);
    // JV ProtobufRecordStreamReader.java:205-214: field number 1 as an int, then the text's bytes.
    const metricsCrc = crc32c(text, crc32cInt32LE(0, TUNNEL_METRICS));

    it("are read between the count and the checksum, their own checksum checked", () => {
        expect(crccrc.subarray(0, 4)).toEqual(Buffer.from(tag(TUNNEL_META_CHECKSUM, 0)));
        const reader = new BlockReader(schema, Buffer.concat([body, metrics(metricsCrc), crccrc]));
        expect(reader.readAll()).toEqual([["a"], ["b"]]);
        expect(reader.metrics).toBe('{"ServerTime":12}');
        expectFormatError(schema, Buffer.concat([body, metrics(metricsCrc ^ 1), crccrc]), "metrics-checksum", 2);
    });
});

describe("column types", () => {
    it("are parsed from a session's type text", () => {
        expect(parseColumnType("decimal(38,18)")).toBe("DECIMAL");
        expect(parseColumnType(" VARCHAR(64) ")).toBe("VARCHAR");
        expect(parseColumnType("timestamp_ntz")).toBe("TIMESTAMP_NTZ");
        expect(parseColumnType("char(1)")).toBe("CHAR");
        const schema = RecordSchema.fromTypeText([{ name: "id", type: "bigint" }, { name: "v", type: "string" }]);
        expect(schema.columns).toEqual([{ name: "id", type: "BIGINT" }, { name: "v", type: "STRING" }]);
        for (const t of ["array<bigint>", "map<string,string>", "json", "interval_day_time", "constructor", ""]) {
            let err: unknown;
            try {
                RecordSchema.fromTypeText([{ name: "x", type: t }]);
            } catch (e) {
                err = e;
            }
            expect(err).toBeInstanceOf(RecordSchemaError);
            expect((err as RecordSchemaError).column).toEqual({ name: "x", type: t });
        }
    });
});
