import type { RowCondition, RowWrite } from "./client";
import { crc8Byte, crc8Int32LE, crc8Range } from "./crc8";
import { int64ToBigInt, isInt64, type TsValue } from "./sdk";

/**
 * The connector's own PlainBuffer writer (research/tablestore.md §1.5) and the protobuf
 * framing of the write requests around it, in place of the SDK's serializer, which turns
 * every string into a new Buffer three times and computes checksums byte by byte.
 *
 * A request is built in two passes over its rows: the first checks every name and value and
 * sizes the request exactly (a string's UTF-8 length is computed there, once), the second
 * writes it into one Buffer of that size, checksums included. What the first pass learns
 * (each cell's name, each string's byte length, each row's size) is kept in scratch arrays
 * the second reads back in the same order, so nothing is looked up or measured twice.
 *
 * Row layout (the SDK's, byte for byte, without its trailing zero padding):
 *
 *     row   = int32LE 0x75  0x01 pkcell+  [0x02 cell+]  [0x08]  0x09 row_crc
 *     cell  = 0x03  0x04 int32LE nameLen name  [0x05 int32LE 1+payloadLen type payload]
 *             [0x06 op]  0x0A cell_crc
 *
 * The cell checksum covers the name, the type byte, a string or binary's int32LE length and
 * bytes (an INTEGER's or DOUBLE's 8 bytes, a BOOLEAN's 1), then the op byte; the row checksum
 * covers each cell's checksum, then 1 with a delete marker, else 0.
 */

export const PLAINBUFFER_HEADER = 0x75;

const TAG_ROW_PK = 0x01;
const TAG_ROW_DATA = 0x02;
const TAG_CELL = 0x03;
const TAG_CELL_NAME = 0x04;
const TAG_CELL_VALUE = 0x05;
const TAG_CELL_TYPE = 0x06;
const TAG_DELETE_ROW_MARKER = 0x08;
const TAG_ROW_CHECKSUM = 0x09;
const TAG_CELL_CHECKSUM = 0x0a;

const VT_INTEGER = 0x00;
const VT_DOUBLE = 0x01;
const VT_BOOLEAN = 0x02;
const VT_STRING = 0x03;
const VT_BLOB = 0x07;

const OP_DELETE_ALL_VERSION = 0x01;

/** OperationType of BatchWriteRow and BulkImport rows (tablestore.proto). */
const OPERATION: Record<RowWrite["kind"], number> = { put: 1, update: 2, delete: 3 };
/** RowExistenceExpectation (tablestore.proto). */
const EXISTENCE: Record<RowCondition, number> = { "ignore": 0, "expect-exist": 1, "expect-not-exist": 2 };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Strings up to this many UTF-16 units are measured and copied in JS; longer ones natively. */
const SHORT = 32;

/** A row or value the encoder cannot write; `row` is its index in the request, when there is one. */
export class PlainBufferInputError extends Error {
    row?: number;
    constructor(message: string) {
        super(message);
        this.name = "PlainBufferInputError";
    }
}

/**
 * The change a PlainBuffer row carries: RowWrite's fields, without table and condition. A row
 * may instead give its attributes as `values` aligned with `columns` (table-plan.ts's
 * PlannedRowWrite): a value is a PUT cell, an `undefined` nothing in a put and a DELETE_ALL
 * cell in an update, after the PUT cells (the order of `put` and `deleteAll`). The encoder
 * then reads those, not `put` and `deleteAll`, and resolves the names once per `columns` array.
 */
export interface PlainRowChange {
    kind: RowWrite["kind"];
    primaryKey: readonly (readonly [string, TsValue])[];
    put?: readonly (readonly [string, TsValue])[];
    deleteAll?: readonly string[];
    columns?: readonly string[];
    values?: readonly (TsValue | undefined)[];
}

export type NameRole = "table" | "primary-key" | "attribute";
const ROLE_BIT: Record<NameRole, number> = { "table": 1, "primary-key": 2, "attribute": 4 };

/** A name's UTF-8 bytes and checksum, and the roles it has been admitted in. */
export class PlainName {
    roles = 0;
    readonly crc: number;
    constructor(readonly text: string, readonly bytes: Buffer) {
        this.crc = crc8Range(0, bytes, 0, bytes.length);
    }
}

/**
 * Names by text, checked once per role: `check` gives the problem with a name in a role (the
 * client's naming rules), and a name it refuses is refused every time it is used.
 */
export class PlainNames {
    private readonly byText = new Map<string, PlainName>();

    constructor(private readonly check: (name: string, role: NameRole) => string | undefined = () => undefined, private readonly capacity = 100_000) {}

    get(text: string, role: NameRole): PlainName {
        let name = this.byText.get(text);
        if (name === undefined) {
            name = new PlainName(text, Buffer.from(text, "utf8"));
            if (this.byText.size < this.capacity) this.byText.set(text, name);
        }
        const bit = ROLE_BIT[role];
        if ((name.roles & bit) === 0) {
            const problem = this.check(text, role);
            if (problem !== undefined) throw new PlainBufferInputError(problem);
            name.roles |= bit;
        }
        return name;
    }
}

/** How a value is described in a refusal. */
export function describeValue(v: unknown): string {
    if (v === null || v === undefined) return "no value: NULL is an absent column";
    if (typeof v === "number") return Number.isFinite(v) ? "a DOUBLE" : `${v}, which a DOUBLE cannot hold`;
    if (typeof v === "boolean") return "a BOOLEAN";
    if (typeof v === "bigint") return v < INT64_MIN || v > INT64_MAX ? `${v}, outside the INTEGER range −2^63 … 2^63−1` : "an INTEGER";
    if (typeof v === "string") return "a STRING";
    if (Buffer.isBuffer(v)) return "a BINARY";
    if (isInt64(v)) return "an INTEGER";
    return typeof v === "object" ? "an object" : typeof v;
}

/** Bytes of a protobuf varint. */
function varintSize(n: number): number {
    return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
    while (n >= 0x80) {
        buf[pos++] = (n & 0x7f) | 0x80;
        n >>>= 7;
    }
    buf[pos++] = n;
    return pos;
}

function writeInt32LE(buf: Buffer, pos: number, n: number): void {
    buf[pos] = n & 0xff;
    buf[pos + 1] = (n >>> 8) & 0xff;
    buf[pos + 2] = (n >>> 16) & 0xff;
    buf[pos + 3] = n >>> 24;
}

function copyBytes(src: Uint8Array, buf: Buffer, pos: number): void {
    const n = src.length;
    if (n <= SHORT) for (let i = 0; i < n; i++) buf[pos + i] = src[i];
    else buf.set(src, pos);
}

/**
 * Buffer's own UTF-8 writer, which `buf.write(s, offset, length, "utf8")` calls after checking
 * and normalizing its arguments, at about twice the cost of the write itself for a row's
 * strings; the arguments here are checked already. Buffer.prototype.write where it is absent
 * (every Node since 0.x has it; it is not documented).
 */
const utf8Write: (this: Buffer, s: string, offset: number, length: number) => number =
    (Buffer.prototype as unknown as { utf8Write?: (this: Buffer, s: string, offset: number, length: number) => number }).utf8Write
    ?? function (this: Buffer, s: string, offset: number, length: number) {
        return this.write(s, offset, length, "utf8");
    };

/** UTF-8 bytes of a string: short ASCII ones without leaving JS. */
function utf8Length(s: string): number {
    const n = s.length;
    if (n <= SHORT) {
        let i = 0;
        while (i < n && s.charCodeAt(i) < 0x80) i++;
        if (i === n) return n;
    }
    return Buffer.byteLength(s, "utf8");
}

/**
 * Builds PlainBuffer rows and write-request bodies. One encoder serves one client, one request
 * at a time: its scratch arrays are reused, and a request is built synchronously.
 */
export class PlainBufferEncoder {
    /** Each cell's name, in the order the first pass met them. */
    private cellNames: PlainName[] = [];
    /** Each string value's UTF-8 length, in order. */
    private strings = new Int32Array(256);
    /** Each row's PlainBuffer size, in order. */
    private rowSizes = new Int32Array(256);
    /**
     * The names last seen at each key, attribute and DELETE_ALL position: rows of one table
     * name their cells alike, so a cell's name is mostly the one before it at its position,
     * found without a lookup by text.
     */
    private readonly recentKeys: (PlainName | undefined)[] = [];
    private readonly recentPuts: (PlainName | undefined)[] = [];
    private readonly recentDeletes: (PlainName | undefined)[] = [];
    /** The names of the last `columns` array met, resolved (planned rows of one plan share it). */
    private plannedColumns: readonly string[] | undefined;
    private plannedNames: PlainName[] = [];
    private nameCount = 0;
    private stringCount = 0;
    private nameRead = 0;
    private stringRead = 0;

    constructor(readonly names: PlainNames = new PlainNames()) {}

    // -------------------------------------------------------------------------------------
    // Requests

    /** One row's PlainBuffer, header included, exactly sized (PutRow, UpdateRow, DeleteRow). */
    encodeRow(row: PlainRowChange): Buffer {
        this.reset(1);
        const size = this.measureRow(row);
        const buf = Buffer.allocUnsafe(size);
        const end = this.writeRow(buf, new DataView(buf.buffer, buf.byteOffset, buf.length), 0, row);
        if (end !== size) throw new Error(`PlainBuffer encoder: wrote ${end} bytes of ${size}`);
        return buf;
    }

    /**
     * BulkImportRequest{table_name = 1, rows = 2 [{type = 1, row_change = 2}]} (research §3).
     * A row the encoder refuses throws PlainBufferInputError with its index.
     */
    bulkImport(table: string, rows: readonly PlainRowChange[]): Buffer {
        this.reset(rows.length);
        const name = this.tableName(table, 0);
        let size = 1 + varintSize(name.bytes.length) + name.bytes.length;
        for (let i = 0; i < rows.length; i++) {
            const pb = this.measureAt(rows, i);
            const entry = 2 + 1 + varintSize(pb) + pb;
            size += 1 + varintSize(entry) + entry;
        }
        const buf = Buffer.allocUnsafe(size);
        const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
        let pos = 0;
        buf[pos++] = 0x0a;
        pos = writeVarint(buf, pos, name.bytes.length);
        copyBytes(name.bytes, buf, pos);
        pos += name.bytes.length;
        for (let i = 0; i < rows.length; i++) {
            const pb = this.rowSizes[i];
            buf[pos++] = 0x12;
            pos = writeVarint(buf, pos, 2 + 1 + varintSize(pb) + pb);
            buf[pos++] = 0x08;
            buf[pos++] = OPERATION[rows[i].kind];
            buf[pos++] = 0x12;
            pos = writeVarint(buf, pos, pb);
            pos = this.writeRow(buf, view, pos, rows[i]);
        }
        if (pos !== size) throw new Error(`BulkImport encoder: wrote ${pos} bytes of ${size}`);
        return buf;
    }

    /**
     * BatchWriteRowRequest{tables = 1 [{table_name = 1, rows = 2 [{type = 1, row_change = 2,
     * condition = 3 {row_existence = 1}}]}]}: `tables` lists each table once, with the
     * indexes of its rows in `rows`, in the order they are sent.
     */
    batchWriteRow(rows: readonly (PlainRowChange & { condition: RowCondition })[], tables: readonly { table: string; indexes: readonly number[] }[]): Buffer {
        this.reset(rows.length);
        const tableNames: PlainName[] = [];
        const tableSizes: number[] = [];
        let size = 0;
        for (const t of tables) {
            const name = this.tableName(t.table, t.indexes[0]);
            let inner = 1 + varintSize(name.bytes.length) + name.bytes.length;
            for (const i of t.indexes) {
                const pb = this.measureAt(rows, i);
                const entry = 2 + 1 + varintSize(pb) + pb + 4;
                inner += 1 + varintSize(entry) + entry;
            }
            tableNames.push(name);
            tableSizes.push(inner);
            size += 1 + varintSize(inner) + inner;
        }
        const buf = Buffer.allocUnsafe(size);
        const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
        let pos = 0;
        for (let k = 0; k < tables.length; k++) {
            const name = tableNames[k];
            buf[pos++] = 0x0a;
            pos = writeVarint(buf, pos, tableSizes[k]);
            buf[pos++] = 0x0a;
            pos = writeVarint(buf, pos, name.bytes.length);
            copyBytes(name.bytes, buf, pos);
            pos += name.bytes.length;
            for (const i of tables[k].indexes) {
                const row = rows[i];
                const pb = this.rowSizes[i];
                buf[pos++] = 0x12;
                pos = writeVarint(buf, pos, 2 + 1 + varintSize(pb) + pb + 4);
                buf[pos++] = 0x08;
                buf[pos++] = OPERATION[row.kind];
                buf[pos++] = 0x12;
                pos = writeVarint(buf, pos, pb);
                pos = this.writeRow(buf, view, pos, row);
                buf[pos++] = 0x1a;
                buf[pos++] = 2;
                buf[pos++] = 0x08;
                buf[pos++] = EXISTENCE[row.condition];
            }
        }
        if (pos !== size) throw new Error(`BatchWriteRow encoder: wrote ${pos} bytes of ${size}`);
        return buf;
    }

    /** A row's exact PlainBuffer size, header included; checks its names and values. */
    rowSize(row: PlainRowChange): number {
        this.reset(1);
        return this.measureRow(row);
    }

    // -------------------------------------------------------------------------------------
    // First pass: check and measure

    private reset(rows: number): void {
        this.nameCount = this.stringCount = this.nameRead = this.stringRead = 0;
        if (this.rowSizes.length < rows) this.rowSizes = new Int32Array(Math.max(rows, this.rowSizes.length * 2));
    }

    /** A table's name, checked; a refusal is that of the table's first row. */
    private tableName(table: string, row: number): PlainName {
        try {
            return this.names.get(table, "table");
        } catch (err) {
            if (err instanceof PlainBufferInputError) err.row = row;
            throw err;
        }
    }

    private measureAt(rows: readonly PlainRowChange[], i: number): number {
        let size: number;
        try {
            size = this.measureRow(rows[i]);
        } catch (err) {
            if (err instanceof PlainBufferInputError) err.row = i;
            throw err;
        }
        this.rowSizes[i] = size;
        return size;
    }

    private addName(name: PlainName): void {
        if (this.nameCount === this.cellNames.length) this.cellNames.push(name);
        else this.cellNames[this.nameCount] = name;
        this.nameCount++;
    }

    private addString(n: number): void {
        if (this.stringCount === this.strings.length) {
            const bigger = new Int32Array(this.strings.length * 2);
            bigger.set(this.strings);
            this.strings = bigger;
        }
        this.strings[this.stringCount++] = n;
    }

    private measureRow(row: PlainRowChange): number {
        const pk = row.primaryKey;
        if (pk.length === 0) throw new PlainBufferInputError("a primary key needs at least one column");
        const planned = row.values;
        // A planned row's put and deleteAll are made from its values on demand: not read here.
        const put = planned === undefined ? row.put : undefined;
        const deletes = planned === undefined ? row.deleteAll : undefined;
        if (row.kind !== "update" && deletes !== undefined && deletes.length > 0) {
            throw new PlainBufferInputError(`a ${row.kind} row cannot delete columns (deleteAll is for updates)`);
        }
        if (row.kind === "delete" && put !== undefined && put.length > 0) throw new PlainBufferInputError("a delete row cannot write columns");
        // Header, primary-key tag, row checksum tag and byte.
        let size = 4 + 1 + 2;
        for (let i = 0; i < pk.length; i++) {
            const cell = pk[i];
            const name = this.nameAt(this.recentKeys, i, cell[0], "primary-key");
            this.addName(name);
            const payload = this.payloadSize(cell[0], cell[1], true);
            // Cell tag, name tag and length, value tag, length and type, checksum tag and byte.
            size += 14 + name.bytes.length + payload;
        }
        if (row.kind === "delete") {
            if (planned?.some((v) => v !== undefined)) throw new PlainBufferInputError("a delete row cannot write columns");
            return size + 1;
        }
        if (planned !== undefined) return size + this.measurePlanned(row, planned);
        let cells = 0;
        if (put !== undefined) {
            for (let i = 0; i < put.length; i++) {
                const cell = put[i];
                const name = this.nameAt(this.recentPuts, i, cell[0], "attribute");
                this.addName(name);
                const payload = this.payloadSize(cell[0], cell[1], false);
                size += 14 + name.bytes.length + payload;
            }
            cells += put.length;
        }
        if (deletes !== undefined) {
            for (let i = 0; i < deletes.length; i++) {
                const name = this.nameAt(this.recentDeletes, i, deletes[i], "attribute");
                this.addName(name);
                // Cell tag, name tag and length, op tag and byte, checksum tag and byte.
                size += 10 + name.bytes.length;
            }
            cells += deletes.length;
        }
        return cells > 0 ? size + 1 : size;
    }

    /** The attribute cells of a row given as columns and values (and the row-data tag). */
    private measurePlanned(row: PlainRowChange, values: readonly (TsValue | undefined)[]): number {
        const columns = row.columns ?? [];
        if (columns.length !== values.length) throw new PlainBufferInputError(`${values.length} values for ${columns.length} columns`);
        if (columns !== this.plannedColumns) {
            const resolved = columns.map((c) => this.names.get(c, "attribute"));
            this.plannedColumns = columns;
            this.plannedNames = resolved;
        }
        const names = this.plannedNames;
        let size = 0;
        let cells = 0;
        for (let i = 0; i < values.length; i++) {
            const v = values[i];
            if (v === undefined) continue;
            const name = names[i];
            this.addName(name);
            const payload = this.payloadSize(columns[i], v, false);
            size += 14 + name.bytes.length + payload;
            cells++;
        }
        if (row.kind === "update") {
            for (let i = 0; i < values.length; i++) {
                if (values[i] !== undefined) continue;
                const name = names[i];
                this.addName(name);
                size += 10 + name.bytes.length;
                cells++;
            }
        }
        return cells > 0 ? size + 1 : size;
    }

    private nameAt(recent: (PlainName | undefined)[], i: number, text: string, role: NameRole): PlainName {
        const seen = recent[i];
        if (seen !== undefined && seen.text === text) return seen;
        const name = this.names.get(text, role);
        if (i < 64) recent[i] = name;
        return name;
    }

    /**
     * A value's payload bytes (strings measured once, and counted for the write pass); keys
     * take INTEGER, STRING and BINARY only. Throws for a value the cell cannot hold.
     */
    private payloadSize(column: string, v: unknown, key: boolean): number {
        if (typeof v === "string") {
            const n = utf8Length(v);
            this.addString(n);
            return 4 + n;
        }
        if (typeof v === "bigint") {
            if (v >= INT64_MIN && v <= INT64_MAX) return 8;
        } else if (Buffer.isBuffer(v)) {
            return 4 + v.length;
        } else if (isInt64(v)) {
            return 8;
        } else if (!key && typeof v === "number") {
            if (Number.isFinite(v)) return 8;
        } else if (!key && typeof v === "boolean") {
            return 1;
        }
        throw key ? this.badKey(column, v) : this.badValue(column, v);
    }

    private badKey(name: string, v: unknown): PlainBufferInputError {
        return new PlainBufferInputError(`primary-key column "${name}" must be INTEGER, STRING or BINARY, got ${describeValue(v)}`);
    }

    private badValue(name: string, v: unknown): PlainBufferInputError {
        return new PlainBufferInputError(`column "${name}" has no Tablestore value (${describeValue(v)})`);
    }

    // -------------------------------------------------------------------------------------
    // Second pass: write (the values were checked by the first)

    private writeRow(buf: Buffer, view: DataView, pos: number, row: PlainRowChange): number {
        buf[pos] = PLAINBUFFER_HEADER;
        buf[pos + 1] = 0;
        buf[pos + 2] = 0;
        buf[pos + 3] = 0;
        pos += 4;
        buf[pos++] = TAG_ROW_PK;
        let rowCrc = 0;
        const pk = row.primaryKey;
        for (let i = 0; i < pk.length; i++) {
            pos = this.writeCell(buf, view, pos, pk[i][1]);
            rowCrc = crc8Byte(rowCrc, buf[pos - 1]);
        }
        if (row.kind === "delete") {
            buf[pos++] = TAG_DELETE_ROW_MARKER;
            rowCrc = crc8Byte(rowCrc, 1);
        } else if (row.values !== undefined) {
            const values = row.values;
            const update = row.kind === "update";
            let present = 0;
            for (let i = 0; i < values.length; i++) if (values[i] !== undefined) present++;
            if (present > 0 || (update && present < values.length)) buf[pos++] = TAG_ROW_DATA;
            for (let i = 0; i < values.length; i++) {
                const v = values[i];
                if (v === undefined) continue;
                pos = this.writeCell(buf, view, pos, v);
                rowCrc = crc8Byte(rowCrc, buf[pos - 1]);
            }
            if (update) {
                for (let i = 0; i < values.length; i++) {
                    if (values[i] !== undefined) continue;
                    pos = this.writeDeleteAll(buf, pos);
                    rowCrc = crc8Byte(rowCrc, buf[pos - 1]);
                }
            }
            rowCrc = crc8Byte(rowCrc, 0);
        } else {
            const put = row.put;
            const deletes = row.deleteAll;
            const nPut = put === undefined ? 0 : put.length;
            const nDelete = deletes === undefined ? 0 : deletes.length;
            if (nPut + nDelete > 0) buf[pos++] = TAG_ROW_DATA;
            for (let i = 0; i < nPut; i++) {
                pos = this.writeCell(buf, view, pos, put![i][1]);
                rowCrc = crc8Byte(rowCrc, buf[pos - 1]);
            }
            for (let i = 0; i < nDelete; i++) {
                pos = this.writeDeleteAll(buf, pos);
                rowCrc = crc8Byte(rowCrc, buf[pos - 1]);
            }
            rowCrc = crc8Byte(rowCrc, 0);
        }
        buf[pos++] = TAG_ROW_CHECKSUM;
        buf[pos++] = rowCrc;
        return pos;
    }

    /** Cell tag and name; returns the position after them (the name's checksum is name.crc). */
    private writeName(buf: Buffer, pos: number, name: PlainName): number {
        const bytes = name.bytes;
        buf[pos] = TAG_CELL;
        buf[pos + 1] = TAG_CELL_NAME;
        writeInt32LE(buf, pos + 2, bytes.length);
        copyBytes(bytes, buf, pos + 6);
        return pos + 6 + bytes.length;
    }

    /** A PUT cell (key or attribute); its checksum is the last byte written. */
    private writeCell(buf: Buffer, view: DataView, pos: number, v: TsValue): number {
        const name = this.cellNames[this.nameRead++];
        pos = this.writeName(buf, pos, name);
        let crc = name.crc;
        buf[pos] = TAG_CELL_VALUE;
        if (typeof v === "string") {
            const n = this.strings[this.stringRead++];
            writeInt32LE(buf, pos + 1, 1 + 4 + n);
            buf[pos + 5] = VT_STRING;
            writeInt32LE(buf, pos + 6, n);
            const at = pos + 10;
            if (n === v.length && n <= SHORT) {
                // ASCII (a byte per unit): copied here; the native write costs more for a few bytes.
                for (let i = 0; i < n; i++) buf[at + i] = v.charCodeAt(i);
            } else if (n > 0) {
                utf8Write.call(buf, v, at, n);
            }
            crc = crc8Range(crc8Int32LE(crc8Byte(crc, VT_STRING), n), buf, at, at + n);
            pos = at + n;
        } else if (typeof v === "bigint" || isInt64(v)) {
            writeInt32LE(buf, pos + 1, 9);
            buf[pos + 5] = VT_INTEGER;
            view.setBigInt64(pos + 6, typeof v === "bigint" ? v : int64ToBigInt(v), true);
            crc = crc8Range(crc8Byte(crc, VT_INTEGER), buf, pos + 6, pos + 14);
            pos += 14;
        } else if (typeof v === "number") {
            writeInt32LE(buf, pos + 1, 9);
            buf[pos + 5] = VT_DOUBLE;
            view.setFloat64(pos + 6, v, true);
            crc = crc8Range(crc8Byte(crc, VT_DOUBLE), buf, pos + 6, pos + 14);
            pos += 14;
        } else if (typeof v === "boolean") {
            const b = v ? 1 : 0;
            writeInt32LE(buf, pos + 1, 2);
            buf[pos + 5] = VT_BOOLEAN;
            buf[pos + 6] = b;
            crc = crc8Byte(crc8Byte(crc, VT_BOOLEAN), b);
            pos += 7;
        } else {
            const n = v.length;
            writeInt32LE(buf, pos + 1, 1 + 4 + n);
            buf[pos + 5] = VT_BLOB;
            writeInt32LE(buf, pos + 6, n);
            copyBytes(v, buf, pos + 10);
            crc = crc8Range(crc8Int32LE(crc8Byte(crc, VT_BLOB), n), buf, pos + 10, pos + 10 + n);
            pos += 10 + n;
        }
        buf[pos] = TAG_CELL_CHECKSUM;
        buf[pos + 1] = crc;
        return pos + 2;
    }

    /** A DELETE_ALL cell (every version of the column): name and op, no value. */
    private writeDeleteAll(buf: Buffer, pos: number): number {
        const name = this.cellNames[this.nameRead++];
        pos = this.writeName(buf, pos, name);
        buf[pos] = TAG_CELL_TYPE;
        buf[pos + 1] = OP_DELETE_ALL_VERSION;
        buf[pos + 2] = TAG_CELL_CHECKSUM;
        buf[pos + 3] = crc8Byte(name.crc, OP_DELETE_ALL_VERSION);
        return pos + 4;
    }
}

/**
 * An upper bound of a row's bytes in a write request, computed without measuring strings (a
 * UTF-16 unit is at most 3 UTF-8 bytes): the row's PlainBuffer and its protobuf entry (type,
 * length prefixes, condition: at most 16 bytes).
 */
export function requestBytesUpperBound(row: PlainRowChange): number {
    let size = 4 + 1 + 2 + 1 + 1 + 16;
    for (const cell of row.primaryKey) size += 14 + 3 * cell[0].length + payloadUpperBound(cell[1]);
    const values = row.values;
    if (values !== undefined) {
        const columns = row.columns ?? [];
        for (let i = 0; i < values.length; i++) {
            const v = values[i];
            if (v !== undefined) size += 14 + 3 * (columns[i]?.length ?? 0) + payloadUpperBound(v);
            else if (row.kind === "update") size += 10 + 3 * (columns[i]?.length ?? 0);
        }
        return size;
    }
    if (row.put) for (const cell of row.put) size += 14 + 3 * cell[0].length + payloadUpperBound(cell[1]);
    if (row.deleteAll) for (const name of row.deleteAll) size += 10 + 3 * name.length;
    return size;
}

function payloadUpperBound(v: TsValue): number {
    if (typeof v === "string") return 4 + 3 * v.length;
    if (typeof v === "boolean") return 1;
    if (Buffer.isBuffer(v)) return 4 + v.length;
    return 8;
}

/** The protobuf bytes of a BulkImport or BatchWriteRow row entry around a PlainBuffer of `pb` bytes (at most 16). */
export function rowEntryBytes(pb: number): number {
    const entry = 2 + 1 + varintSize(pb) + pb + 4;
    return 1 + varintSize(entry) + entry - pb;
}

/**
 * One value on its own, as a column condition carries it (SingleColumnValueFilter.column_value):
 * the type byte and the payload of a cell value, without the cell's length prefix, tags or
 * checksum. STRING and BINARY payloads keep their int32LE length. The SDKs write the same bytes
 * (Node: PlainBufferBuilder.serializeColumnValue; Java: buildColumnValueWithoutLengthPrefix).
 */
export function encodeColumnValue(column: string, v: unknown): Buffer {
    if (typeof v === "string") {
        const n = Buffer.byteLength(v, "utf8");
        const buf = Buffer.allocUnsafe(5 + n);
        buf[0] = VT_STRING;
        writeInt32LE(buf, 1, n);
        buf.write(v, 5, n, "utf8");
        return buf;
    }
    if (Buffer.isBuffer(v)) {
        const buf = Buffer.allocUnsafe(5 + v.length);
        buf[0] = VT_BLOB;
        writeInt32LE(buf, 1, v.length);
        v.copy(buf, 5);
        return buf;
    }
    if ((typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX) || isInt64(v)) {
        const buf = Buffer.allocUnsafe(9);
        buf[0] = VT_INTEGER;
        buf.writeBigInt64LE(typeof v === "bigint" ? v : int64ToBigInt(v), 1);
        return buf;
    }
    if (typeof v === "number" && Number.isFinite(v)) {
        const buf = Buffer.allocUnsafe(9);
        buf[0] = VT_DOUBLE;
        buf.writeDoubleLE(v, 1);
        return buf;
    }
    if (typeof v === "boolean") return Buffer.from([VT_BOOLEAN, v ? 1 : 0]);
    throw new PlainBufferInputError(`the condition on column "${column}" has no Tablestore value (${describeValue(v)})`);
}
