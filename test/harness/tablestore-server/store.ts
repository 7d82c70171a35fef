/**
 * Tables in memory, optionally mirrored to a JSON file so a test can stop the server and start
 * another on the same data.
 *
 * Rows are ordered as the service orders them: column by column, INTEGER by signed 64-bit value,
 * STRING and BINARY bytewise. Each attribute keeps one version, the one with the highest
 * timestamp (what a read with max_versions=1 returns); see README "Versions".
 */
import { appendFileSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import type { AttributeValue, KeyCellValue, KeyValue } from "./plainbuffer";

export type KeyType = KeyValue["type"];

export interface KeyColumnSchema {
    name: string;
    type: KeyType;
    autoIncrement: boolean;
}

export interface DefinedColumn {
    name: string;
    /** DefinedColumnType: 1 INTEGER, 2 DOUBLE, 3 BOOLEAN, 4 STRING, 7 BLOB. */
    type: number;
}

export interface TableInfo {
    name: string;
    primaryKey: KeyColumnSchema[];
    definedColumns: DefinedColumn[];
    timeToLive: number;
    maxVersions: number;
    deviationSeconds: number;
    allowUpdate?: boolean;
    reservedRead: number;
    reservedWrite: number;
    /** Seconds since the epoch, as DescribeTable reports throughput changes. */
    createdAt: number;
    lastDecreaseAt?: number;
}

export interface StoredCell {
    value: AttributeValue;
    /** Milliseconds. */
    timestamp: number;
}

export interface StoredRow {
    key: KeyValue[];
    cells: Map<string, StoredCell>;
    /** False once deleted; the sorted index drops dead rows lazily. */
    live: boolean;
}

type SortPart = bigint | Buffer;

function sortPart(v: KeyValue): SortPart {
    switch (v.type) {
        case "INTEGER": return v.value;
        case "STRING": return Buffer.from(v.value, "utf8");
        case "BINARY": return v.value;
    }
}

function comparePart(a: SortPart, b: SortPart): number {
    if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
    if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
    // Schema checks keep one type per column; reaching this is a fixture bug, not bad input.
    throw new Error("primary-key column compared across types");
}

/** A key with its comparable parts computed once (UTF-8 bytes of strings). */
export class SortKey {
    readonly parts: SortPart[];
    constructor(readonly values: readonly KeyValue[]) {
        this.parts = values.map(sortPart);
    }
    compare(other: SortKey): number {
        for (let i = 0; i < this.parts.length; i++) {
            const c = comparePart(this.parts[i], other.parts[i]);
            if (c !== 0) return c;
        }
        return 0;
    }
    get id(): string {
        return keyId(this.values);
    }
}

export function keyId(values: readonly KeyValue[]): string {
    return values
        .map((v) => (v.type === "INTEGER" ? `i${v.value}` : v.type === "STRING" ? `s${JSON.stringify(v.value)}` : `b${v.value.toString("base64")}`))
        .join("\u0000");
}

/** A range bound: values, or INF_MIN / INF_MAX, which end the comparison at their column. */
export type BoundValue = KeyValue | { type: "INF_MIN" } | { type: "INF_MAX" };

export class Bound {
    private readonly parts: (SortPart | "min" | "max")[];
    constructor(readonly values: readonly BoundValue[]) {
        this.parts = values.map((v) => (v.type === "INF_MIN" ? "min" : v.type === "INF_MAX" ? "max" : sortPart(v)));
    }
    /** <0 when the key sorts before the bound, 0 when equal, >0 after. */
    compareKey(key: SortKey): number {
        for (let i = 0; i < this.parts.length; i++) {
            const p = this.parts[i];
            if (p === "min") return 1;
            if (p === "max") return -1;
            const c = comparePart(key.parts[i], p);
            if (c !== 0) return c;
        }
        return 0;
    }
    compare(other: Bound): number {
        const rank = (p: SortPart | "min" | "max") => (p === "min" ? -1 : p === "max" ? 1 : 0);
        for (let i = 0; i < this.parts.length; i++) {
            const a = this.parts[i];
            const b = other.parts[i];
            const ra = rank(a);
            const rb = rank(b);
            if (ra !== rb) return ra < rb ? -1 : 1;
            if (ra !== 0) return 0;
            const c = comparePart(a as SortPart, b as SortPart);
            if (c !== 0) return c;
        }
        return 0;
    }
}

interface IndexedRow {
    sortKey: SortKey;
    row: StoredRow;
}

/** A change as the journal keeps it: absolute states, so replaying one twice changes nothing. */
export type JournalRecord =
    | { op: "create"; info: TableInfo }
    | { op: "drop"; table: string }
    | { op: "info"; info: TableInfo }
    | { op: "put"; table: string; key: JsonValue[]; cells: JsonCell[] }
    | { op: "del"; table: string; key: JsonValue[] }
    | { op: "auto"; table: string; value: string };

export class Table {
    private readonly byId = new Map<string, IndexedRow>();
    private sorted: IndexedRow[] = [];
    private pending: IndexedRow[] = [];
    private dead = 0;
    private _info: TableInfo;
    private _autoIncrement = 0n;

    constructor(info: TableInfo, private readonly record: (make: () => JournalRecord) => void = () => undefined) {
        this._info = info;
    }

    get info(): TableInfo {
        return this._info;
    }

    set info(info: TableInfo) {
        this._info = info;
        this.record(() => ({ op: "info", info }));
    }

    /** The last value handed out for the table's AUTO_INCREMENT column. */
    get autoIncrement(): bigint {
        return this._autoIncrement;
    }

    set autoIncrement(v: bigint) {
        this._autoIncrement = v;
        this.record(() => ({ op: "auto", table: this._info.name, value: v.toString() }));
    }

    get size(): number {
        return this.byId.size;
    }

    get(key: readonly KeyValue[]): StoredRow | undefined {
        return this.byId.get(keyId(key))?.row;
    }

    /** Inserts or replaces the row under `key`. */
    put(key: KeyValue[], cells: Map<string, StoredCell>): StoredRow {
        this.record(() => ({ op: "put", table: this._info.name, key: key.map(valueToJson), cells: cellsToJson(cells) }));
        const id = keyId(key);
        const existing = this.byId.get(id);
        if (existing) {
            existing.row.cells = cells;
            return existing.row;
        }
        const entry: IndexedRow = { sortKey: new SortKey(key), row: { key, cells, live: true } };
        this.byId.set(id, entry);
        this.pending.push(entry);
        return entry.row;
    }

    delete(key: readonly KeyValue[]): boolean {
        const id = keyId(key);
        const entry = this.byId.get(id);
        if (!entry) return false;
        this.record(() => ({ op: "del", table: this._info.name, key: key.map(valueToJson) }));
        this.byId.delete(id);
        entry.row.live = false;
        this.dead++;
        return true;
    }

    nextAutoIncrement(): bigint {
        this.autoIncrement += 1n;
        return this.autoIncrement;
    }

    /**
     * Writes are O(1) and collect in `pending`; a read sorts what arrived since the last read and
     * merges it in, so bulk loads in random key order stay cheap.
     */
    private ordered(): IndexedRow[] {
        if (this.pending.length === 0 && this.dead === 0) return this.sorted;
        const live = (e: IndexedRow) => e.row.live;
        const fresh = (this.dead > 0 ? this.pending.filter(live) : this.pending).sort((a, b) => a.sortKey.compare(b.sortKey));
        const old = this.dead > 0 ? this.sorted.filter(live) : this.sorted;
        const merged: IndexedRow[] = new Array(old.length + fresh.length);
        let i = 0, j = 0, k = 0;
        while (i < old.length && j < fresh.length) merged[k++] = old[i].sortKey.compare(fresh[j].sortKey) <= 0 ? old[i++] : fresh[j++];
        while (i < old.length) merged[k++] = old[i++];
        while (j < fresh.length) merged[k++] = fresh[j++];
        this.sorted = merged;
        this.pending = [];
        this.dead = 0;
        return merged;
    }

    /** Rows in key order (or reversed), starting at the first on the inclusive side of `start`. */
    *scan(start: Bound, direction: "FORWARD" | "BACKWARD"): Generator<{ row: StoredRow; sortKey: SortKey }> {
        const rows = this.ordered();
        // First index whose key is >= start (forward) or > start (backward, then step back).
        let lo = 0, hi = rows.length;
        const forward = direction === "FORWARD";
        while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            const c = start.compareKey(rows[mid].sortKey);
            if (forward ? c < 0 : c <= 0) lo = mid + 1;
            else hi = mid;
        }
        if (forward) {
            for (let i = lo; i < rows.length; i++) if (rows[i].row.live) yield rows[i];
        } else {
            for (let i = lo - 1; i >= 0; i--) if (rows[i].row.live) yield rows[i];
        }
    }

    *all(): Generator<StoredRow> {
        for (const e of this.ordered()) if (e.row.live) yield e.row;
    }
}

// ---------------------------------------------------------------------------------------------
// Persistence: a snapshot (versioned JSON) plus an append-only journal of JSON lines beside it,
// so acknowledging a write costs an append, not a rewrite of every table. BINARY is base64,
// INTEGER decimal text, DOUBLE the hex of its 8 bytes (so -0 and every bit pattern survive).

const FORMAT = "tablestore-local-server/1";

export type JsonValue = [KeyType | "DOUBLE" | "BOOLEAN", string | boolean];
export type JsonCell = [string, JsonValue, number];

interface JsonTable {
    info: TableInfo;
    autoIncrement: string;
    rows: { key: JsonValue[]; cells: JsonCell[] }[];
}

interface JsonDocument {
    format: string;
    tables: JsonTable[];
}

function valueToJson(v: AttributeValue): JsonValue {
    switch (v.type) {
        case "INTEGER": return ["INTEGER", v.value.toString()];
        case "STRING": return ["STRING", v.value];
        case "BINARY": return ["BINARY", v.value.toString("base64")];
        case "BOOLEAN": return ["BOOLEAN", v.value];
        case "DOUBLE": {
            const b = Buffer.alloc(8);
            b.writeDoubleLE(v.value);
            return ["DOUBLE", b.toString("hex")];
        }
    }
}

function valueFromJson([type, raw]: JsonValue): AttributeValue {
    switch (type) {
        case "INTEGER": return { type, value: BigInt(String(raw)) };
        case "STRING": return { type, value: String(raw) };
        case "BINARY": return { type, value: Buffer.from(String(raw), "base64") };
        case "BOOLEAN": return { type, value: raw === true };
        case "DOUBLE": return { type, value: Buffer.from(String(raw), "hex").readDoubleLE(0) };
    }
}

function keyFromJson(v: JsonValue): KeyValue {
    const value = valueFromJson(v);
    if (value.type === "DOUBLE" || value.type === "BOOLEAN") throw new Error(`data file: ${value.type} in a primary key`);
    return value;
}

function cellsToJson(cells: Map<string, StoredCell>): JsonCell[] {
    return [...cells].map(([name, c]) => [name, valueToJson(c.value), c.timestamp]);
}

function cellsFromJson(cells: JsonCell[]): Map<string, StoredCell> {
    return new Map(cells.map(([name, value, timestamp]) => [name, { value: valueFromJson(value), timestamp }]));
}

/**
 * "every-request": each write is in the journal before it is acknowledged, so even a killed
 * server keeps it. "on-close": nothing is written until flush()/close() (benchmarks).
 */
export type Durability = "every-request" | "on-close";

/** Past this the journal is folded into the snapshot, so a restart does not replay forever. */
const COMPACT_JOURNAL_BYTES = 64 * 1024 * 1024;

export class Store {
    private readonly tableMap = new Map<string, Table>();
    private journal: string[] = [];
    private readonly journalFile?: string;
    private replaying = false;

    constructor(
        private readonly dataFile?: string,
        private readonly durability: Durability = "every-request",
    ) {
        if (!dataFile) return;
        this.journalFile = `${dataFile}.journal`;
        this.replaying = true;
        if (existsSync(dataFile)) this.loadSnapshot(dataFile);
        if (existsSync(this.journalFile)) this.replay(this.journalFile);
        this.replaying = false;
        this.flush();
    }

    get tables(): ReadonlyMap<string, Table> {
        return this.tableMap;
    }

    createTable(info: TableInfo): Table {
        const t = new Table(info, (make) => this.record(make));
        this.tableMap.set(info.name, t);
        this.record(() => ({ op: "create", info }));
        return t;
    }

    dropTable(name: string): void {
        this.tableMap.delete(name);
        this.record(() => ({ op: "drop", table: name }));
    }

    /** Takes a thunk: without a journal to write, a put costs no serialization. */
    private record(make: () => JournalRecord): void {
        if (this.replaying || !this.journalFile || this.durability !== "every-request") return;
        this.journal.push(JSON.stringify(make()));
    }

    private apply(r: JournalRecord): void {
        const table = (name: string) => {
            const t = this.tableMap.get(name);
            if (!t) throw new Error(`journal: no table ${name}`);
            return t;
        };
        switch (r.op) {
            case "create": this.createTable(r.info); break;
            case "drop": this.dropTable(r.table); break;
            case "info": table(r.info.name).info = r.info; break;
            case "auto": table(r.table).autoIncrement = BigInt(r.value); break;
            case "put": table(r.table).put(r.key.map(keyFromJson), cellsFromJson(r.cells)); break;
            case "del": table(r.table).delete(r.key.map(keyFromJson)); break;
        }
    }

    private loadSnapshot(file: string): void {
        const doc = JSON.parse(readFileSync(file, "utf8")) as JsonDocument;
        if (doc.format !== FORMAT) throw new Error(`${file}: not a ${FORMAT} data file (format ${String(doc.format)})`);
        for (const t of doc.tables) {
            const table = this.createTable(t.info);
            table.autoIncrement = BigInt(t.autoIncrement);
            for (const r of t.rows) table.put(r.key.map(keyFromJson), cellsFromJson(r.cells));
        }
    }

    private replay(file: string): void {
        const lines = readFileSync(file, "utf8").split("\n");
        for (const [i, line] of lines.entries()) {
            if (line.trim() === "") continue;
            let r: JournalRecord;
            try {
                r = JSON.parse(line) as JournalRecord;
            } catch (e) {
                // Only the last line can be torn (a kill in mid-append); anywhere else is corruption.
                if (i >= lines.length - 2) break;
                throw new Error(`${file}:${i + 1}: ${(e as Error).message}`);
            }
            this.apply(r);
        }
    }

    private snapshot(): JsonDocument {
        const tables: JsonTable[] = [];
        for (const t of this.tableMap.values()) {
            const rows: JsonTable["rows"] = [];
            for (const r of t.all()) rows.push({ key: r.key.map(valueToJson), cells: cellsToJson(r.cells) });
            tables.push({ info: t.info, autoIncrement: t.autoIncrement.toString(), rows });
        }
        return { format: FORMAT, tables };
    }

    /**
     * Writes the snapshot atomically (temp file + rename), then empties the journal. A crash in
     * between only replays records the snapshot already holds, which changes nothing.
     */
    flush(): void {
        if (!this.dataFile || !this.journalFile) return;
        const tmp = `${this.dataFile}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(this.snapshot()));
        renameSync(tmp, this.dataFile);
        writeFileSync(this.journalFile, "");
        this.journal = [];
    }

    /** After every request: the request's changes reach the journal before the response leaves. */
    committed(): void {
        if (!this.journalFile || this.journal.length === 0) return;
        appendFileSync(this.journalFile, `${this.journal.join("\n")}\n`);
        this.journal = [];
        if (statSync(this.journalFile).size > COMPACT_JOURNAL_BYTES) this.flush();
    }
}

/** What the key-cell placeholders narrow to once a write has resolved AUTO_INCREMENT. */
export function isConcreteKey(v: KeyCellValue): v is KeyValue {
    return v.type === "INTEGER" || v.type === "STRING" || v.type === "BINARY";
}
