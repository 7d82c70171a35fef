/**
 * PlainBuffer, the row encoding inside protobuf `bytes` fields (research §1.5).
 *
 * The reader is written for requests: it accepts the placeholder key values (INF_MIN, INF_MAX,
 * AUTO_INCREMENT), the 0x06 op tag of UpdateRow cells and the delete marker, verifies both
 * checksums in the order the service computes them (timestamp before op), and stops after the
 * row checksum of a single-row field, because the Node SDK over-allocates its buffers and leaves
 * zero padding behind the row.
 */
import { crc8Byte, crc8Bytes, crc8Int32LE, crc8Int64LE } from "./crc8";
import { parameterInvalid } from "./errors";

export const HEADER = 0x75;

const TAG = {
    ROW_PK: 0x01,
    ROW_DATA: 0x02,
    CELL: 0x03,
    CELL_NAME: 0x04,
    CELL_VALUE: 0x05,
    CELL_TYPE: 0x06,
    CELL_TIMESTAMP: 0x07,
    DELETE_ROW_MARKER: 0x08,
    ROW_CHECKSUM: 0x09,
    CELL_CHECKSUM: 0x0a,
} as const;

const VT = {
    INTEGER: 0x00,
    DOUBLE: 0x01,
    BOOLEAN: 0x02,
    STRING: 0x03,
    NULL: 0x06,
    BLOB: 0x07,
    INF_MIN: 0x09,
    INF_MAX: 0x0a,
    AUTO_INCREMENT: 0x0b,
} as const;

const OP_BYTE = { DELETE_ALL: 0x01, DELETE_ONE_VERSION: 0x03, INCREMENT: 0x04 } as const;

export type IntegerValue = { type: "INTEGER"; value: bigint };
export type StringValue = { type: "STRING"; value: string };
export type BinaryValue = { type: "BINARY"; value: Buffer };
export type DoubleValue = { type: "DOUBLE"; value: number };
export type BooleanValue = { type: "BOOLEAN"; value: boolean };

/** A value a primary-key column can hold. */
export type KeyValue = IntegerValue | StringValue | BinaryValue;
/** What a primary-key cell can carry on the wire: a value or one of the placeholders. */
export type KeyCellValue = KeyValue | { type: "INF_MIN" } | { type: "INF_MAX" } | { type: "AUTO_INCREMENT" };
/** A value an attribute column can hold. */
export type AttributeValue = KeyValue | DoubleValue | BooleanValue;

/** PUT is the absence of the 0x06 tag. */
export type CellOp = "PUT" | "DELETE_ONE_VERSION" | "DELETE_ALL" | "INCREMENT";

export interface KeyCell {
    name: string;
    value: KeyCellValue;
}

export interface AttributeCell {
    name: string;
    op: CellOp;
    value?: AttributeValue;
    /** Milliseconds, as sent; the wire carries a signed 64-bit integer. */
    timestamp?: bigint;
}

export interface PlainRow {
    primaryKey: KeyCell[];
    cells: AttributeCell[];
    deleteMarker: boolean;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

class Cursor {
    pos = 0;
    constructor(readonly buf: Buffer) {}

    get atEnd(): boolean {
        return this.pos >= this.buf.length;
    }

    need(n: number): void {
        if (this.pos + n > this.buf.length) throw parameterInvalid("Input encoded PK broken, length is shorter than expect.");
    }

    byte(): number {
        this.need(1);
        return this.buf[this.pos++];
    }

    peek(): number | undefined {
        return this.atEnd ? undefined : this.buf[this.pos];
    }

    int32(): number {
        this.need(4);
        const v = this.buf.readInt32LE(this.pos);
        this.pos += 4;
        return v;
    }

    int64(): bigint {
        this.need(8);
        const v = this.buf.readBigInt64LE(this.pos);
        this.pos += 8;
        return v;
    }

    bytes(n: number): Buffer {
        if (n < 0) throw parameterInvalid(`Cell data broken, wrong string format, size: ${n}.`);
        this.need(n);
        const v = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return v;
    }

    expectTag(tag: number): void {
        const actual = this.byte();
        if (actual !== tag) throw parameterInvalid(`Cell data broken, mismatch tag, actual tag(${actual}), expect(${tag}).`);
    }
}

function decodeUtf8(bytes: Buffer, what: string): string {
    try {
        return utf8.decode(bytes);
    } catch {
        throw parameterInvalid(`Value of column ${what} must be UTF8 encoding.`);
    }
}

interface RawCell {
    name: string;
    value?: { type: number; payload: KeyCellValue | AttributeValue };
    op?: number;
    timestamp?: bigint;
    crc: number;
}

/** Reads a value after the 0x05 tag, folding it into the cell checksum as the service does. */
function readValue(c: Cursor, crc: number, cellName: string): { value: KeyCellValue | AttributeValue; type: number; crc: number } {
    const declared = c.int32();
    const start = c.pos;
    const type = c.byte();
    let sum = crc8Byte(crc, type);
    let value: KeyCellValue | AttributeValue;
    switch (type) {
        case VT.INTEGER: {
            const v = c.int64();
            sum = crc8Int64LE(sum, v);
            value = { type: "INTEGER", value: v };
            break;
        }
        case VT.DOUBLE: {
            const raw = c.bytes(8);
            sum = crc8Bytes(sum, raw);
            value = { type: "DOUBLE", value: raw.readDoubleLE(0) };
            break;
        }
        case VT.BOOLEAN: {
            const b = c.byte();
            sum = crc8Byte(sum, b);
            value = { type: "BOOLEAN", value: b !== 0 };
            break;
        }
        case VT.STRING:
        case VT.BLOB: {
            const len = c.int32();
            const bytes = c.bytes(len);
            sum = crc8Bytes(crc8Int32LE(sum, len), bytes);
            value = type === VT.STRING
                ? { type: "STRING", value: decodeUtf8(bytes, cellName) }
                : { type: "BINARY", value: Buffer.from(bytes) };
            break;
        }
        case VT.INF_MIN:
            value = { type: "INF_MIN" };
            break;
        case VT.INF_MAX:
            value = { type: "INF_MAX" };
            break;
        case VT.AUTO_INCREMENT:
            value = { type: "AUTO_INCREMENT" };
            break;
        default:
            throw parameterInvalid("data format is invalid, unknown variant type occured.");
    }
    if (c.pos - start !== declared) throw parameterInvalid(`Cell data broken, no valid element in Cell, name: ${cellName}.`);
    return { value, type, crc: sum };
}

/** One cell, the 0x03 tag already consumed. */
function readCell(c: Cursor): RawCell {
    c.expectTag(TAG.CELL_NAME);
    const nameBytes = c.bytes(c.int32());
    const name = decodeUtf8(nameBytes, "name");
    let crc = crc8Bytes(0, nameBytes);
    const cell: RawCell = { name, crc: 0 };
    if (c.peek() === TAG.CELL_VALUE) {
        c.byte();
        const v = readValue(c, crc, name);
        crc = v.crc;
        cell.value = { type: v.type, payload: v.value };
    }
    if (c.peek() === TAG.CELL_TYPE) {
        c.byte();
        cell.op = c.byte();
    }
    if (c.peek() === TAG.CELL_TIMESTAMP) {
        c.byte();
        cell.timestamp = c.int64();
    }
    // On the wire the op precedes the timestamp; the checksum takes them the other way round.
    if (cell.timestamp !== undefined) crc = crc8Int64LE(crc, cell.timestamp);
    if (cell.op !== undefined) crc = crc8Byte(crc, cell.op);
    if (c.peek() !== TAG.CELL_CHECKSUM) {
        if (c.atEnd) throw parameterInvalid(`Invalid Column(${name}): missing checksum.`);
        throw parameterInvalid("Cell data broken, cell is not end with checksum[0x0A] tag.");
    }
    c.byte();
    const sent = c.byte();
    if (sent !== crc) throw parameterInvalid(`Cell data broken, checksum is mismatch, ${sent} : ${crc} :`);
    cell.crc = crc;
    return cell;
}

function toKeyCell(raw: RawCell): KeyCell {
    if (!raw.value) throw parameterInvalid(`Cell data broken, PK value cannot be NULL, name: ${raw.name}.`);
    if (raw.op !== undefined) throw parameterInvalid(`OpType cannot be given for primary key name: ${raw.name}.`);
    if (raw.timestamp !== undefined) throw parameterInvalid(`Timestamp cannot be given for primary key name: ${raw.name}.`);
    const v = raw.value.payload;
    if (v.type === "DOUBLE") throw parameterInvalid("double can not be used as primary key.");
    if (v.type === "BOOLEAN") throw parameterInvalid(`Unknown or unsupported CellType in primary key: ${raw.name}.`);
    return { name: raw.name, value: v };
}

function toAttributeCell(raw: RawCell): AttributeCell {
    let op: CellOp;
    switch (raw.op) {
        case undefined: op = "PUT"; break;
        case OP_BYTE.DELETE_ALL: op = "DELETE_ALL"; break;
        case OP_BYTE.DELETE_ONE_VERSION: op = "DELETE_ONE_VERSION"; break;
        case OP_BYTE.INCREMENT: op = "INCREMENT"; break;
        default: throw parameterInvalid(`Invalid op type of cell: ${raw.op}.`);
    }
    const cell: AttributeCell = { name: raw.name, op };
    if (raw.value) {
        const v = raw.value.payload;
        if (v.type === "INF_MIN" || v.type === "INF_MAX" || v.type === "AUTO_INCREMENT") {
            throw parameterInvalid("data format is invalid, unknown variant type occured.");
        }
        cell.value = v;
    }
    if (raw.timestamp !== undefined) cell.timestamp = raw.timestamp;
    return cell;
}

/** One row without the header; the cursor stands on its first tag. */
function readRowBody(c: Cursor): PlainRow {
    const row: PlainRow = { primaryKey: [], cells: [], deleteMarker: false };
    let rowCrc = 0;
    if (c.peek() !== TAG.ROW_PK) throw parameterInvalid("Cell data broken, PK is empty.");
    c.byte();
    if (c.peek() !== TAG.CELL) throw parameterInvalid("Cell data broken, no PK follow PKTag.");
    while (c.peek() === TAG.CELL) {
        c.byte();
        const raw = readCell(c);
        row.primaryKey.push(toKeyCell(raw));
        rowCrc = crc8Byte(rowCrc, raw.crc);
    }
    if (c.peek() === TAG.ROW_DATA) {
        c.byte();
        if (c.peek() !== TAG.CELL) throw parameterInvalid("Cell data broken, no Cells follow CellTag.");
        while (c.peek() === TAG.CELL) {
            c.byte();
            const raw = readCell(c);
            row.cells.push(toAttributeCell(raw));
            rowCrc = crc8Byte(rowCrc, raw.crc);
        }
    }
    if (c.peek() === TAG.DELETE_ROW_MARKER) {
        c.byte();
        row.deleteMarker = true;
    }
    rowCrc = crc8Byte(rowCrc, row.deleteMarker ? 1 : 0);
    if (c.peek() !== TAG.ROW_CHECKSUM) {
        if (c.atEnd) throw parameterInvalid("Invalid row: missing checksum.");
        throw parameterInvalid("Cell data broken, row is not end with checksum tag.");
    }
    c.byte();
    const sent = c.byte();
    if (sent !== rowCrc) throw parameterInvalid(`Cell data broken, checksum is mismatch, ${sent} : ${rowCrc} :`);
    return row;
}

function readHeader(c: Cursor): void {
    const header = c.int32();
    if (header !== HEADER) throw parameterInvalid(`Cell data broken, mismatch header, actual: ${header} , expect: ${HEADER}.`);
}

/**
 * The single row of a PutRow/UpdateRow/DeleteRow/GetRow/GetRange-bound/BatchWriteRow/BulkImport
 * field. Only zero bytes may follow its checksum (the SDK's padding); anything else is a second
 * row or garbage, which the service would not accept in a single-row field either.
 */
export function readRow(buf: Uint8Array): PlainRow {
    const c = new Cursor(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    readHeader(c);
    const row = readRowBody(c);
    while (!c.atEnd) {
        if (c.byte() !== 0) throw parameterInvalid("Cell data broken, has more data in cell, but they can't be parsed.");
    }
    return row;
}

/**
 * A value on its own, as a column condition carries it (SingleColumnValueFilter.column_value):
 * the type byte and the payload, without a length prefix, tags or checksum (the Node SDK's
 * PlainBufferBuilder.serializeColumnValue, the Java SDK's buildColumnValueWithoutLengthPrefix).
 * The whole buffer is the value: a byte more or less is refused.
 */
export function readColumnValue(buf: Uint8Array, column: string): AttributeValue {
    const c = new Cursor(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    const type = c.byte();
    let value: AttributeValue;
    switch (type) {
        case VT.INTEGER:
            value = { type: "INTEGER", value: c.int64() };
            break;
        case VT.DOUBLE:
            value = { type: "DOUBLE", value: c.bytes(8).readDoubleLE(0) };
            break;
        case VT.BOOLEAN:
            value = { type: "BOOLEAN", value: c.byte() !== 0 };
            break;
        case VT.STRING:
            value = { type: "STRING", value: decodeUtf8(c.bytes(c.int32()), column) };
            break;
        case VT.BLOB:
            value = { type: "BINARY", value: Buffer.from(c.bytes(c.int32())) };
            break;
        default:
            throw parameterInvalid("data format is invalid, unknown variant type occured.");
    }
    if (!c.atEnd) throw parameterInvalid(`Cell data broken, has more data in cell, but they can't be parsed.`);
    return value;
}

/** Every row of a multi-row buffer (a GetRange response): one header, rows back to back. */
export function readRows(buf: Uint8Array): PlainRow[] {
    if (buf.byteLength === 0) return [];
    const c = new Cursor(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    readHeader(c);
    const rows: PlainRow[] = [];
    while (!c.atEnd) rows.push(readRowBody(c));
    return rows;
}

// ---------------------------------------------------------------------------------------------
// Writer: exact sizes (no padding), so the SDK's multi-row reader, which reads to the very end
// of a GetRange buffer, never meets trailing bytes.

/** A growing buffer: one allocation per row set instead of one per field. */
class Sink {
    private buf = Buffer.allocUnsafe(256);
    private pos = 0;
    private room(n: number): void {
        if (this.pos + n <= this.buf.length) return;
        const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
        this.buf.copy(bigger, 0, 0, this.pos);
        this.buf = bigger;
    }
    byte(b: number): void {
        this.room(1);
        this.buf[this.pos++] = b;
    }
    int32(v: number): void {
        this.room(4);
        this.pos = this.buf.writeInt32LE(v, this.pos);
    }
    int64(v: bigint): void {
        this.room(8);
        this.pos = this.buf.writeBigInt64LE(BigInt.asIntN(64, v), this.pos);
    }
    bytes(b: Uint8Array): void {
        this.room(b.length);
        this.buf.set(b, this.pos);
        this.pos += b.length;
    }
    finish(): Buffer {
        return Buffer.from(this.buf.subarray(0, this.pos));
    }
}

function writeValue(s: Sink, v: KeyCellValue | AttributeValue, crc: number): number {
    s.byte(TAG.CELL_VALUE);
    switch (v.type) {
        case "INTEGER":
            s.int32(9);
            s.byte(VT.INTEGER);
            s.int64(v.value);
            return crc8Int64LE(crc8Byte(crc, VT.INTEGER), v.value);
        case "DOUBLE": {
            const raw = Buffer.alloc(8);
            raw.writeDoubleLE(v.value);
            s.int32(9);
            s.byte(VT.DOUBLE);
            s.bytes(raw);
            return crc8Bytes(crc8Byte(crc, VT.DOUBLE), raw);
        }
        case "BOOLEAN": {
            const b = v.value ? 1 : 0;
            s.int32(2);
            s.byte(VT.BOOLEAN);
            s.byte(b);
            return crc8Byte(crc8Byte(crc, VT.BOOLEAN), b);
        }
        case "STRING":
        case "BINARY": {
            const bytes = v.type === "STRING" ? Buffer.from(v.value, "utf8") : v.value;
            const vt = v.type === "STRING" ? VT.STRING : VT.BLOB;
            s.int32(1 + 4 + bytes.length);
            s.byte(vt);
            s.int32(bytes.length);
            s.bytes(bytes);
            return crc8Bytes(crc8Int32LE(crc8Byte(crc, vt), bytes.length), bytes);
        }
        case "INF_MIN":
        case "INF_MAX":
        case "AUTO_INCREMENT": {
            const vt = VT[v.type];
            s.int32(1);
            s.byte(vt);
            return crc8Byte(crc, vt);
        }
    }
}

function writeCell(s: Sink, name: string, value: KeyCellValue | AttributeValue | undefined, op: CellOp, timestamp: bigint | undefined): number {
    const nameBytes = Buffer.from(name, "utf8");
    s.byte(TAG.CELL);
    s.byte(TAG.CELL_NAME);
    s.int32(nameBytes.length);
    s.bytes(nameBytes);
    let crc = crc8Bytes(0, nameBytes);
    if (value) crc = writeValue(s, value, crc);
    const opByte = op === "PUT" ? undefined : OP_BYTE[op];
    if (opByte !== undefined) {
        s.byte(TAG.CELL_TYPE);
        s.byte(opByte);
    }
    if (timestamp !== undefined) {
        s.byte(TAG.CELL_TIMESTAMP);
        s.int64(timestamp);
        crc = crc8Int64LE(crc, timestamp);
    }
    if (opByte !== undefined) crc = crc8Byte(crc, opByte);
    s.byte(TAG.CELL_CHECKSUM);
    s.byte(crc);
    return crc;
}

function writeRowBody(s: Sink, row: PlainRow): void {
    let rowCrc = 0;
    s.byte(TAG.ROW_PK);
    for (const k of row.primaryKey) rowCrc = crc8Byte(rowCrc, writeCell(s, k.name, k.value, "PUT", undefined));
    if (row.cells.length > 0) {
        s.byte(TAG.ROW_DATA);
        for (const a of row.cells) rowCrc = crc8Byte(rowCrc, writeCell(s, a.name, a.value, a.op, a.timestamp));
    }
    if (row.deleteMarker) s.byte(TAG.DELETE_ROW_MARKER);
    rowCrc = crc8Byte(rowCrc, row.deleteMarker ? 1 : 0);
    s.byte(TAG.ROW_CHECKSUM);
    s.byte(rowCrc);
}

/** One header, then the rows; no rows is an empty buffer (what GetRange sends for an empty page). */
export function writeRows(rows: readonly PlainRow[]): Buffer {
    if (rows.length === 0) return Buffer.alloc(0);
    const s = new Sink();
    s.int32(HEADER);
    for (const r of rows) writeRowBody(s, r);
    return s.finish();
}

export function writeRow(row: PlainRow): Buffer {
    return writeRows([row]);
}

/** A key alone, as next_start_primary_key and GetRow requests carry it. */
export function writePrimaryKey(primaryKey: KeyCell[]): Buffer {
    return writeRow({ primaryKey, cells: [], deleteMarker: false });
}
