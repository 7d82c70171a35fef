import { describe, expect, it } from "vitest";
import { crc8Byte, crc8Bytes } from "../harness/tablestore-server/crc8";
import { OtsError } from "../harness/tablestore-server/errors";
import { readRow, readRows, writePrimaryKey, writeRow, writeRows, type PlainRow } from "../harness/tablestore-server/plainbuffer";
import { TableStore } from "../harness/tablestore-server/sdk";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const B = TableStore.PlainBufferBuilder;
const L = (s: string) => TableStore.Long.fromString(s);

function failure(f: () => unknown): OtsError {
    try {
        f();
    } catch (e) {
        if (e instanceof OtsError) return e;
        throw e;
    }
    throw new Error("expected an OtsError");
}

describe("CRC-8 (poly 0x07, init 0)", () => {
    it("matches the SDK's table on a few points", () => {
        // CRC8_TABLE[1] = 0x07, [0x80] = 0x89, [0xff] = 0xf3 in plain_buffer_crc8.js
        expect(crc8Byte(0, 0x01)).toBe(0x07);
        expect(crc8Byte(0, 0x80)).toBe(0x89);
        expect(crc8Byte(0, 0xff)).toBe(0xf3);
        // CRC-8/SMBUS check value
        expect(crc8Bytes(0, Buffer.from("123456789"))).toBe(0xf4);
    });
});

describe("PlainBuffer reader", () => {
    it("reads the research's PutRow example {id:1} + {a:'x'}", () => {
        const buf = hex("75000000 01 03 04 02000000 6964 05 09000000 00 0100000000000000 0a 0a 02 03 04 01000000 61 05 06000000 03 01000000 78 0a 4d 09 35");
        expect(readRow(buf)).toEqual({
            primaryKey: [{ name: "id", value: { type: "INTEGER", value: 1n } }],
            cells: [{ name: "a", op: "PUT", value: { type: "STRING", value: "x" } }],
            deleteMarker: false,
        });
    });

    it("writes the research's example byte for byte", () => {
        const row: PlainRow = {
            primaryKey: [{ name: "id", value: { type: "INTEGER", value: 1n } }],
            cells: [{ name: "a", op: "PUT", value: { type: "STRING", value: "x" } }],
            deleteMarker: false,
        };
        expect(writeRow(row).toString("hex")).toBe("7500000001030402000000696405090000000001000000000000000a0a020304010000006105060000000301000000780a4d0935");
    });

    it("reads an SDK-built INF_MIN bound and ignores its trailing zero byte", () => {
        const buf = B.serializePrimaryKey([{ id: TableStore.INF_MIN }, { k: TableStore.INF_MAX }]);
        expect(buf[buf.length - 1]).toBe(0); // the SDK's over-allocation, research §1.5
        expect(readRow(buf).primaryKey).toEqual([
            { name: "id", value: { type: "INF_MIN" } },
            { name: "k", value: { type: "INF_MAX" } },
        ]);
    });

    it("reads an AUTO_INCREMENT placeholder", () => {
        const buf = B.serializeForPutRow([{ p: "a" }, { id: TableStore.PK_AUTO_INCR }], [{ v: true }]);
        const row = readRow(buf);
        expect(row.primaryKey[1]).toEqual({ name: "id", value: { type: "AUTO_INCREMENT" } });
        expect(row.cells).toEqual([{ name: "v", op: "PUT", value: { type: "BOOLEAN", value: true } }]);
    });

    it("reads an SDK UpdateRow PUT with a timestamp, padded with zeros", () => {
        const buf = B.serializeForUpdateRow([{ id: L("1") }], [{ PUT: [{ a: "x", timestamp: 1700000000000 }] }]);
        expect(buf.subarray(buf.length - 21).every((b) => b === 0)).toBe(true);
        expect(readRow(buf).cells).toEqual([{ name: "a", op: "PUT", value: { type: "STRING", value: "x" }, timestamp: 1700000000000n }]);
    });

    it("reads DELETE_ALL, DELETE (one version) and INCREMENT cells with the timestamp-before-op checksum", () => {
        const buf = B.serializeForUpdateRow([{ id: L("1") }], [
            { DELETE_ALL: ["a"] },
            { DELETE: [{ b: L("5") }] },
            { INCREMENT: [{ c: L("3") }] },
        ]);
        expect(readRow(buf).cells).toEqual([
            { name: "a", op: "DELETE_ALL" },
            { name: "b", op: "DELETE_ONE_VERSION", timestamp: 5n },
            { name: "c", op: "INCREMENT", value: { type: "INTEGER", value: 3n } },
        ]);
    });

    it("reads the delete marker of an SDK DeleteRow", () => {
        const row = readRow(B.serializeForDeleteRow([{ id: L("-9223372036854775808") }]));
        expect(row.deleteMarker).toBe(true);
        expect(row.primaryKey[0].value).toEqual({ type: "INTEGER", value: -(2n ** 63n) });
    });

    it("reads every attribute type the SDK writes", () => {
        const buf = B.serializeForPutRow([{ s: "ключ" }, { b: Buffer.from([0, 255]) }], [
            { i: L("9223372036854775807") }, { d: -0.5 }, { t: false }, { u: "日本語" }, { x: Buffer.from([1, 2, 3]) },
        ]);
        const row = readRow(buf);
        expect(row.primaryKey.map((k) => k.value)).toEqual([
            { type: "STRING", value: "ключ" },
            { type: "BINARY", value: Buffer.from([0, 255]) },
        ]);
        expect(row.cells.map((c) => c.value)).toEqual([
            { type: "INTEGER", value: 2n ** 63n - 1n },
            { type: "DOUBLE", value: -0.5 },
            { type: "BOOLEAN", value: false },
            { type: "STRING", value: "日本語" },
            { type: "BINARY", value: Buffer.from([1, 2, 3]) },
        ]);
    });

    it("rejects a wrong cell checksum and a wrong row checksum as the service does", () => {
        const good = hex("75000000 01 03 04 02000000 6964 05 09000000 00 0100000000000000 0a 0a 02 03 04 01000000 61 05 06000000 03 01000000 78 0a 4d 09 35");
        const badCell = Buffer.from(good);
        badCell[badCell.indexOf(0x4d)] = 0x4e;
        const e1 = failure(() => readRow(badCell));
        expect([e1.status, e1.code]).toEqual([400, "OTSParameterInvalid"]);
        expect(e1.message).toMatch(/^Cell data broken, checksum is mismatch/);
        const badRow = Buffer.from(good);
        badRow[badRow.length - 1] ^= 1;
        expect(failure(() => readRow(badRow)).message).toMatch(/^Cell data broken, checksum is mismatch/);
    });

    it("rejects a bad header, non-zero trailing bytes and a truncated buffer", () => {
        const good = writePrimaryKey([{ name: "id", value: { type: "STRING", value: "a" } }]);
        const badHeader = Buffer.from(good);
        badHeader[0] = 0x76;
        expect(failure(() => readRow(badHeader)).message).toBe("Cell data broken, mismatch header, actual: 118 , expect: 117.");
        expect(failure(() => readRow(Buffer.concat([good, Buffer.from([0, 1])]))).message).toMatch(/more data/);
        expect(failure(() => readRow(good.subarray(0, good.length - 3))).code).toBe("OTSParameterInvalid");
    });

    it("refuses a DOUBLE primary key", () => {
        // The writer's types forbid it; a client could still send one.
        const value = { type: "DOUBLE", value: 1 } as unknown as PlainRow["primaryKey"][0]["value"];
        const b = writeRow({ primaryKey: [{ name: "id", value }], cells: [], deleteMarker: false });
        expect(failure(() => readRow(b)).message).toBe("double can not be used as primary key.");
    });
});

describe("PlainBuffer writer", () => {
    it("round-trips rows with timestamps, and the SDK's own reader accepts the multi-row buffer", () => {
        const rows: PlainRow[] = [1n, 2n, 3n].map((id) => ({
            primaryKey: [{ name: "id", value: { type: "INTEGER", value: id } }, { name: "s", value: { type: "STRING", value: `k${id}` } }],
            cells: [
                { name: "a", op: "PUT", value: { type: "DOUBLE", value: 1.25 }, timestamp: 1700000000000n + id },
                { name: "b", op: "PUT", value: { type: "BINARY", value: Buffer.from("zz") }, timestamp: 5n },
            ],
            deleteMarker: false,
        }));
        const buf = writeRows(rows);
        expect(readRows(buf)).toEqual(rows);
        // The SDK decodes GetRange rows by reading to the very end: exact sizes matter.
        const sdk = TableStore as unknown as {
            PlainBufferInputStream: new (b: { buffer: ArrayBufferLike; offset: number; limit: number }) => object;
            PlainBufferCodedInputStream: new (s: object) => { readRows(): { primaryKey: { name: string; value: unknown }[]; attributes: { columnName: string; timestamp: { toString(): string } }[] }[] };
        };
        const decoded = new sdk.PlainBufferCodedInputStream(new sdk.PlainBufferInputStream({ buffer: buf.buffer, offset: buf.byteOffset, limit: buf.byteOffset + buf.length })).readRows();
        expect(decoded).toHaveLength(3);
        expect(decoded[2].primaryKey[1]).toEqual({ name: "s", value: "k3" });
        expect(decoded[2].attributes[0].timestamp.toString()).toBe("1700000000003");
    });

    it("writes nothing for no rows (an empty GetRange page)", () => {
        expect(writeRows([]).length).toBe(0);
        expect(readRows(Buffer.alloc(0))).toEqual([]);
    });
});
