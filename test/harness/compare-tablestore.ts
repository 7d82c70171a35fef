/**
 * Row-by-row comparison of a MySQL-family source table with its Tablestore copy.
 *
 * The source is read as test/harness/compare.ts reads it, and for the same reasons: mysql2
 * without type casting (raw bytes, text decoded as UTF-8), session time_zone '+00:00',
 * FLOAT as CAST(col AS DOUBLE), and a FLOAT/DOUBLE zero with its sign (MariaDB prints -0 as
 * "0"); the text of every FLOAT and DOUBLE is checked against the binary protocol's IEEE
 * value, so the comparison starts from exact values. The destination is the Tablestore
 * server fixture's rows (`ots.rows(table)`: INTEGER as bigint, DOUBLE as number, BINARY as
 * Buffer, STRING as string, BOOLEAN as boolean, an absent attribute is NULL).
 *
 * For each source value the rules of docs/type-mapping-tablestore.md give the Tablestore
 * type and value expected, or say that the value is refused (dirty data). They are written
 * out below from the document's words, one rule per MySQL type, and compared with the
 * value's type and its value: an INTEGER must be the same integer (never a DOUBLE that
 * happens to be equal), a DOUBLE the same IEEE value (-0 is not 0), bytes the same bytes.
 *
 * This module deliberately does not use the connector's type map (type-map.ts) or value
 * conversion (values.ts), nor the engine's introspection: a comparison sharing the code
 * under test cannot catch its mistakes. Where the document leaves a case open, the rule
 * taken is said at the rule ("Ambiguity: …").
 */
import * as mysql from "mysql2/promise";
import type { Mismatch, MysqlEndpoint } from "./compare";
import type { RowView, TableInfo } from "./tablestore-server";

export type { Mismatch } from "./compare";
export { formatMismatch } from "./compare";

export type TablestoreTemporal = "iso-string" | "epoch-micros";

/** A Tablestore value with its type. */
export type TypedValue =
    | { type: "INTEGER"; value: bigint }
    | { type: "DOUBLE"; value: number }
    | { type: "BOOLEAN"; value: boolean }
    | { type: "STRING"; value: string }
    | { type: "BINARY"; value: Buffer };

export interface TablestoreCompareOptions {
    /** The task's `tablestore.temporal` (default "iso-string"). */
    temporal?: TablestoreTemporal;
    /** The Tablestore table (default: the source table's name). */
    destinationTable?: string;
    /**
     * The destination key, source column names in order: the task's tablestorePrimaryKey.
     * Default: the source's primary key, else its first NOT NULL unique key without prefix
     * columns (docs: "tables with the source key").
     */
    primaryKey?: string[];
    /** The table's description (`ots.describe(table)`): the key's column names and types are checked too. */
    describe?: TableInfo;
}

/** A source row the document says Tablestore refuses (dirty data): not compared, reported. */
export interface RefusedRow {
    /** "id=3", in source values (as the engine names a dirty row). */
    key: string;
    column: string;
    /** The source value, printed. */
    value: string;
    reason: string;
    /** The destination row under the row's expected key, when there is one (a refused change leaves the last state). */
    destination?: RowView;
}

export interface TablestoreTableComparison {
    /** `database.table` at the source. */
    table: string;
    destinationTable: string;
    key: string[];
    columns: string[];
    sourceRows: number;
    destinationRows: number;
    /** Source rows compared with a destination row (the others are refused or missing). */
    rowsCompared: number;
    /** Values compared (rows compared × columns, key columns included). */
    valuesCompared: number;
    mismatches: Mismatch[];
    refused: RefusedRow[];
}

// ---------------------------------------------------------------------------------------
// The source

interface ColumnInfo {
    name: string;
    /** information_schema DATA_TYPE, lower case; "json" also for MariaDB's LONGTEXT + json_valid(). */
    dataType: string;
    columnType: string;
    unsigned: boolean;
    zerofill: boolean;
    /** BIT width. */
    bits: number;
}

type Raw = string | Buffer | null;

const spatialTypes = new Set(["geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection"]);
const byteTypes = new Set(["binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit", ...spatialTypes]);

const q = (s: string) => "`" + s.replace(/`/g, "``") + "`";

async function openMysql(e: MysqlEndpoint): Promise<mysql.Connection> {
    const conn = await mysql.createConnection({ host: e.host, port: e.port, user: e.user, password: e.password, charset: "utf8mb4_general_ci" });
    await conn.query("SET SESSION time_zone = '+00:00'");
    return conn;
}

async function columnsOf(conn: mysql.Connection, db: string, table: string): Promise<ColumnInfo[]> {
    const [cols] = await conn.query<mysql.RowDataPacket[]>(
        `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [db, table]);
    const [checks] = await conn.query<mysql.RowDataPacket[]>(
        `SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`, [db, table]);
    const jsonCols = new Set<string>();
    for (const c of checks) {
        const m = /^json_valid\(`([^`]+)`\)$/i.exec(String(c.clause).replace(/\s+/g, ""));
        if (m) jsonCols.add(m[1].toLowerCase());
    }
    return cols.map((c) => {
        const dataType = String(c.dataType).toLowerCase();
        const columnType = String(c.columnType).toLowerCase();
        const isJson = dataType === "json" || (dataType === "longtext" && jsonCols.has(String(c.name).toLowerCase()));
        const bitArg = /^bit\((\d+)\)/.exec(columnType);
        return {
            name: String(c.name),
            dataType: isJson ? "json" : dataType,
            columnType,
            unsigned: /\bunsigned\b/.test(columnType),
            zerofill: /\bzerofill\b/.test(columnType),
            bits: bitArg ? Number(bitArg[1]) : 1,
        };
    });
}

/** The primary key, else the first unique key whose columns are all NOT NULL and whole. */
async function keyOf(conn: mysql.Connection, db: string, table: string): Promise<string[] | null> {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
        `SELECT s.INDEX_NAME AS idx, s.COLUMN_NAME AS col, s.SUB_PART AS sub, c.IS_NULLABLE AS nullable
         FROM information_schema.STATISTICS s JOIN information_schema.COLUMNS c
           ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
         WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ? AND s.NON_UNIQUE = 0
         ORDER BY s.INDEX_NAME = 'PRIMARY' DESC, s.INDEX_NAME, s.SEQ_IN_INDEX`, [db, table]);
    const byIndex = new Map<string, { col: string; ok: boolean }[]>();
    for (const r of rows) {
        const list = byIndex.get(String(r.idx)) ?? [];
        list.push({ col: String(r.col), ok: r.sub === null && r.nullable === "NO" });
        byIndex.set(String(r.idx), list);
    }
    for (const cols of byIndex.values()) if (cols.every((c) => c.ok)) return cols.map((c) => c.col);
    return null;
}

const isFloat = (c: ColumnInfo) => c.dataType === "float" || c.dataType === "double" || c.dataType === "real";

/** The table as the server stores it (see the header), ordered by `order`. */
async function readSource(conn: mysql.Connection, db: string, table: string, cols: ColumnInfo[], order: string[]): Promise<Raw[][]> {
    const select = cols.map((c) => {
        if (!isFloat(c)) return q(c.name);
        // MariaDB prints -0 as "0"; the sign is asked for separately (ATAN2(-0, -1) = -π).
        return `CASE WHEN ${q(c.name)} = 0 AND ATAN2(${q(c.name)}, -1) < 0 THEN '-0' ELSE ${c.dataType === "float" ? `CAST(${q(c.name)} AS DOUBLE)` : q(c.name)} END`;
    }).join(", ");
    const [rows] = await conn.query({
        sql: `SELECT ${select} FROM ${q(db)}.${q(table)} ORDER BY ${order.map(q).join(", ")}`,
        rowsAsArray: true,
        typeCast: false,
    });
    return (rows as unknown as (Buffer | null)[][]).map((r) => r.map((v, i) => (v === null ? null : byteTypes.has(cols[i].dataType) ? v : v.toString("utf8"))));
}

/** FLOAT/DOUBLE text against the binary protocol's IEEE value (a zero's sign aside, which that protocol drops for FLOAT). */
async function checkFloatText(conn: mysql.Connection, db: string, table: string, cols: ColumnInfo[], order: string[], text: Raw[][]): Promise<string[]> {
    const floats = cols.map((c, i) => ({ c, i })).filter(({ c }) => isFloat(c));
    if (floats.length === 0) return [];
    const [rows] = await conn.execute({
        sql: `SELECT ${floats.map(({ c }) => q(c.name)).join(", ")} FROM ${q(db)}.${q(table)} ORDER BY ${order.map(q).join(", ")}`,
        rowsAsArray: true,
    });
    const problems: string[] = [];
    (rows as unknown as (number | null)[][]).forEach((r, ri) => floats.forEach(({ c, i }, fi) => {
        const t = text[ri][i];
        const b = r[fi];
        const same = t === null || b === null ? t === b : b === 0 ? Number(t) === 0 : Object.is(Number(t), b);
        if (!same) problems.push(`${table}.${c.name} row ${ri + 1}: the server prints ${String(t)} for the stored value ${String(b)}`);
    }));
    return problems;
}

// ---------------------------------------------------------------------------------------
// The rules (docs/type-mapping-tablestore.md)

/** What the document says a source value becomes. */
type Expected =
    | { kind: "value"; v: TypedValue; equal?: (d: TypedValue) => boolean }
    | { kind: "absent" }
    | { kind: "refused"; reason: string };

/** "Size limits": UTF-8 bytes of a STRING, bytes of a BINARY. */
const KEY_LIMIT = 1024;
const ATTRIBUTE_LIMIT = 2 * 1024 * 1024;

class BadSource extends Error {}

const text = (raw: string | Buffer): string => (typeof raw === "string" ? raw : raw.toString("utf8"));
const bytes = (raw: string | Buffer): Buffer => (Buffer.isBuffer(raw) ? raw : Buffer.from(raw, "utf8"));

function wholeInteger(s: string, col: ColumnInfo): bigint {
    if (!/^-?\d+$/.test(s)) throw new BadSource(`${col.name}: the source prints ${JSON.stringify(s)} for an integer`);
    return BigInt(s);
}

/**
 * Microseconds since 1970-01-01 00:00:00 UTC of a proleptic Gregorian date and time, through
 * the JavaScript Date (not the connector's day arithmetic); null when the date names no day:
 * a zero year, month or day, or a day past the month's end.
 */
function epochMicros(y: number, mo: number, d: number, h: number, mi: number, s: number, micros: number): bigint | null {
    if (y === 0 || mo === 0 || d === 0) return null;
    const t = new Date(0);
    t.setUTCFullYear(y, mo - 1, d);
    t.setUTCHours(h, mi, s, 0);
    // Date rolls 2023-02-30 over into March: such a date is not in the calendar.
    if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return null;
    return BigInt(t.getTime()) * 1000n + BigInt(micros);
}

const fractionMicros = (f: string | undefined) => (f ? Number(f.padEnd(6, "0")) : 0);

function temporalEpoch(col: ColumnInfo, s: string): Expected {
    const kind = col.dataType;
    if (kind === "time") {
        // "TIME(6) '-838:59:59.000000' → -3020399000000: the signed duration in microseconds".
        const m = /^(-?)(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(s);
        if (!m) throw new BadSource(`${col.name}: ${JSON.stringify(s)} is not a TIME`);
        const us = (BigInt(m[2]) * 3600n + BigInt(m[3]) * 60n + BigInt(m[4])) * 1_000_000n + BigInt(fractionMicros(m[5]));
        return { kind: "value", v: { type: "INTEGER", value: m[1] === "-" ? -us : us } };
    }
    const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/.exec(s);
    if (!m) throw new BadSource(`${col.name}: ${JSON.stringify(s)} is not a ${kind.toUpperCase()}`);
    // DATE: "the day's midnight UTC"; DATETIME: "the wall-clock value read as UTC"; TIMESTAMP:
    // "the instant" (the source is read in a '+00:00' session, so its text is the instant in UTC).
    const us = epochMicros(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), fractionMicros(m[7]));
    // "zero date … refused (dirty data): it names no day"; "partial-zero date 2020-00-15 … refused";
    // "non-calendar date 2023-02-30 … refused". Ambiguity: a date with only its year zero
    // ('0000-03-01') is taken as a partial-zero date ("years 0001–9999 fit"), so refused.
    if (us === null) return { kind: "refused", reason: `${JSON.stringify(s)} is a zero, partial-zero or non-calendar date, refused under epoch-micros` };
    return { kind: "value", v: { type: "INTEGER", value: us } };
}

function temporalIso(col: ColumnInfo, s: string): Expected {
    switch (col.dataType) {
        // "DATE '2024-01-31' → 2024-01-31"; zero dates "kept: 0000-00-00"; partial-zero and
        // non-calendar dates "kept as written".
        case "date": return { kind: "value", v: { type: "STRING", value: s } };
        // "2024-01-31T12:34:56.123456: ISO 8601, no zone, with the column's fractional digits"
        // (MySQL prints exactly the column's digits); "0000-00-00T00:00:00" for the zero date.
        case "datetime": return { kind: "value", v: { type: "STRING", value: s.replace(" ", "T") } };
        // "2024-01-31T12:34:56Z: the instant, in UTC". Ambiguity: the zero TIMESTAMP is no
        // instant; the zero-date row shows only DATE and DATETIME forms. Taken: the same form
        // as every TIMESTAMP, with its 'Z' ("kept" as the value written, in the column's spelling).
        case "timestamp": return { kind: "value", v: { type: "STRING", value: `${s.replace(" ", "T")}Z` } };
        // "-838:59:59.000000: MySQL's duration text".
        default: return { kind: "value", v: { type: "STRING", value: s } };
    }
}

/** The expected Tablestore value of one non-NULL source value. */
function expectedOf(col: ColumnInfo, raw: string | Buffer, temporal: TablestoreTemporal, isKey: boolean): Expected {
    const dt = col.dataType;
    switch (dt) {
        case "tinyint": case "smallint": case "mediumint": case "int": case "integer": case "bigint": {
            const n = wholeInteger(text(raw), col);
            // "BIGINT UNSIGNED → STRING: the decimal text 0 … 18446744073709551615"; ZEROFILL's zeros dropped.
            if (dt === "bigint" && col.unsigned) return sized({ type: "STRING", value: n.toString() }, isKey);
            // "TINYINT … BIGINT → INTEGER, exact" (TINYINT(1)/BOOLEAN included: not BOOLEAN by default).
            return { kind: "value", v: { type: "INTEGER", value: n } };
        }
        case "decimal": case "numeric": {
            // "DECIMAL → STRING, exact: the text with its scale (123.40)"; ZEROFILL padding dropped
            // ("00000123.40 → 123.40").
            const s = text(raw);
            if (!/^-?\d+(\.\d+)?$/.test(s)) throw new BadSource(`${col.name}: ${JSON.stringify(s)} is not a decimal`);
            return sized({ type: "STRING", value: s.replace(/^(-?)0+(?=\d)/, "$1") }, isKey);
        }
        case "float": case "double": case "real": {
            const s = text(raw);
            const x = Number(s);
            if (!Number.isFinite(x)) return { kind: "refused", reason: `${s} is not finite` };
            // "A FLOAT/DOUBLE key column is written as its text (STRING, exact)". Ambiguity: which
            // text (the engine may read FLOAT at a precision); taken: any text of the same IEEE value.
            if (isKey) return { kind: "value", v: { type: "STRING", value: s }, equal: (d) => d.type === "STRING" && /^-?[\d.]+(e[+-]?\d+)?$/i.test(d.value) && Object.is(Number(d.value), x) };
            // "FLOAT, DOUBLE, REAL → DOUBLE, exact: the same IEEE value (FLOAT widens exactly), -0 kept".
            return { kind: "value", v: { type: "DOUBLE", value: x } };
        }
        case "bit": {
            // "BIT(1) … BIT(63) → INTEGER: the bits as an unsigned number"; "BIT(64) → STRING: unsigned decimal".
            let n = 0n;
            for (const b of bytes(raw)) n = (n << 8n) | BigInt(b);
            if (n >> BigInt(col.bits) !== 0n) return { kind: "refused", reason: `more significant bits than BIT(${col.bits})` };
            return col.bits === 64 ? sized({ type: "STRING", value: n.toString() }, isKey) : { kind: "value", v: { type: "INTEGER", value: n } };
        }
        case "year":
            // "YEAR → INTEGER, exact; 0000 is 0".
            return { kind: "value", v: { type: "INTEGER", value: wholeInteger(text(raw), col) } };
        case "date": case "datetime": case "timestamp": case "time": {
            const e = temporal === "epoch-micros" ? temporalEpoch(col, text(raw)) : temporalIso(col, text(raw));
            return e.kind === "value" && e.v.type === "STRING" ? sized(e.v, isKey) : e;
        }
        case "char": case "varchar": case "tinytext": case "text": case "mediumtext": case "longtext":
        case "enum": case "set": case "uuid": case "inet4": case "inet6":
            // "CHAR, VARCHAR, TEXT → STRING, exact (UTF-8)"; "ENUM, SET → STRING: the member text
            // ('' for ENUM's error value; x,y for a SET)"; "UUID, INET4, INET6 → STRING: the text MariaDB prints".
            return sized({ type: "STRING", value: text(raw) }, isKey);
        case "json":
            // "JSON → STRING, exact: the JSON text as read": the very text a text-protocol SELECT
            // returns, byte for byte (MariaDB: the text as inserted, whitespace and key order
            // kept; MySQL: the server's normalised print). Nothing is canonicalised.
            return sized({ type: "STRING", value: text(raw) }, isKey);
        case "binary": case "varbinary": case "tinyblob": case "blob": case "mediumblob": case "longblob":
            // "BINARY(n), VARBINARY, BLOB → BINARY, exact, BINARY(n)'s zero padding included".
            return sized({ type: "BINARY", value: bytes(raw) }, isKey);
        default:
            if (spatialTypes.has(dt)) {
                // "GEOMETRY … → BINARY, exact: MySQL's stored value, a 4-byte little-endian SRID followed by the WKB".
                return sized({ type: "BINARY", value: bytes(raw) }, isKey);
            }
            // "VECTOR(n), anything else: not migratable".
            throw new BadSource(`${col.name}: ${col.columnType} is not migratable to Tablestore; leave it out of the comparison's table`);
    }
}

/** "Size limits": a key STRING/BINARY over 1 KB, an attribute's over 2 MB, is refused. */
function sized(v: TypedValue & { type: "STRING" | "BINARY" }, isKey: boolean): Expected {
    const n = v.type === "STRING" ? Buffer.byteLength(v.value, "utf8") : v.value.length;
    const limit = isKey ? KEY_LIMIT : ATTRIBUTE_LIMIT;
    if (n > limit) return { kind: "refused", reason: `${n} bytes, over the ${isKey ? "primary-key" : "attribute"} value limit of ${limit}` };
    return { kind: "value", v };
}

/** The value the fixture returns, typed (INTEGER bigint, DOUBLE number, BINARY Buffer, STRING, BOOLEAN). */
function typed(v: unknown): TypedValue {
    if (typeof v === "bigint") return { type: "INTEGER", value: v };
    if (typeof v === "number") return { type: "DOUBLE", value: v };
    if (typeof v === "boolean") return { type: "BOOLEAN", value: v };
    if (typeof v === "string") return { type: "STRING", value: v };
    if (Buffer.isBuffer(v)) return { type: "BINARY", value: v };
    throw new Error(`the Tablestore fixture returned ${String(v)} (${typeof v})`);
}

function sameTyped(a: TypedValue, b: TypedValue): boolean {
    if (a.type !== b.type) return false;
    if (a.type === "BINARY") return a.value.equals(b.value as Buffer);
    if (a.type === "DOUBLE") return Object.is(a.value, b.value);
    return a.value === b.value;
}

function showTyped(v: TypedValue | undefined): string {
    if (v === undefined) return "absent";
    switch (v.type) {
        case "INTEGER": return `INTEGER ${v.value}`;
        case "DOUBLE": return `DOUBLE ${Object.is(v.value, -0) ? "-0" : String(v.value)}`;
        case "BOOLEAN": return `BOOLEAN ${v.value}`;
        case "STRING": return `STRING ${cut(JSON.stringify(v.value))}`;
        case "BINARY": return `BINARY 0x${v.value.subarray(0, 48).toString("hex")}${v.value.length > 48 ? `… (${v.value.length} bytes)` : ""}`;
    }
}

const cut = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}… (${s.length} chars)` : s);

function showRaw(v: Raw): string {
    if (v === null) return "NULL";
    if (Buffer.isBuffer(v)) return `0x${v.subarray(0, 48).toString("hex")}${v.length > 48 ? `… (${v.length} bytes)` : ""}`;
    return cut(JSON.stringify(v));
}

/** A row's key as the engine names a dirty row: `id=3`, `a=1, b=x`. */
function keyLabel(names: string[], values: Raw[]): string {
    return names.map((n, i) => {
        const v = values[i];
        return `${n}=${v === null ? "NULL" : Buffer.isBuffer(v) ? `0x${v.toString("hex").slice(0, 32)}` : String(v).slice(0, 64)}`;
    }).join(", ");
}

/** A destination key, for matching rows: types and values. */
const keyId = (vs: TypedValue[]) => vs.map((v) => `${v.type}:${v.type === "BINARY" ? v.value.toString("hex") : String(v.value)}`).join("\u0000");

// ---------------------------------------------------------------------------------------

/**
 * Compares `database.table` on the source with the Tablestore rows `destination`
 * (`ots.rows(name)`, in any order). Rows are matched by the expected key; each key and
 * attribute column is compared with its type. A source row holding a value the document
 * says is refused is listed in `refused` (with the destination's row under its key, if
 * any) and not compared: under the skip policy it is the task's dirty data.
 */
export async function compareTablestoreTable(
    source: MysqlEndpoint, database: string, table: string, destination: RowView[], opts: TablestoreCompareOptions = {},
): Promise<TablestoreTableComparison> {
    const temporal = opts.temporal ?? "iso-string";
    const conn = await openMysql(source);
    let cols: ColumnInfo[];
    let key: string[];
    let srcRows: Raw[][];
    try {
        cols = await columnsOf(conn, database, table);
        if (cols.length === 0) throw new Error(`${database}.${table} does not exist on the source`);
        const k = opts.primaryKey ?? (await keyOf(conn, database, table));
        if (!k) throw new Error(`${database}.${table} has no primary key and no NOT NULL unique key: Tablestore needs tablestorePrimaryKey (pass it as primaryKey)`);
        key = k;
        for (const name of key) if (!cols.some((c) => c.name === name)) throw new Error(`${database}.${table}: key column ${name} does not exist`);
        srcRows = await readSource(conn, database, table, cols, key);
        const problems = await checkFloatText(conn, database, table, cols, key, srcRows);
        if (problems.length) throw new Error(`the source's text form of FLOAT/DOUBLE is not exact:\n${problems.join("\n")}`);
    } finally {
        await conn.end();
    }

    const tableName = `${database}.${table}`;
    const destinationTable = opts.destinationTable ?? table;
    const keyIdx = key.map((k) => cols.findIndex((c) => c.name === k));
    const attrIdx = cols.map((_, i) => i).filter((i) => !keyIdx.includes(i));
    const mismatches: Mismatch[] = [];
    const refused: RefusedRow[] = [];
    const mismatch = (k: string, column: string, src: string, dst: string, canon?: [string, string]) =>
        mismatches.push({ table: tableName, key: k, column, source: src, destination: dst, ...(canon ? { sourceCanonical: canon[0], destinationCanonical: canon[1] } : {}) });

    // The destination key: the key columns in order ("primary-key columns in the key"), of the expected key types.
    if (opts.describe) {
        const got = opts.describe.primaryKey.map((c) => `${c.name} ${c.type}${c.autoIncrement ? " AUTO_INCREMENT" : ""}`);
        const want = keyIdx.map((i) => `${cols[i].name} ${keyType(cols[i], temporal)}`);
        if (got.join(", ") !== want.join(", ")) mismatch("*", "(key)", want.join(", "), got.join(", "));
    }

    const dstByKey = new Map<string, RowView>();
    for (const r of destination) {
        const names = Object.keys(r.primaryKey);
        if (names.join(",") !== key.join(",")) {
            mismatch(JSON.stringify(names), "(key)", `key columns ${key.join(", ")}`, `key columns ${names.join(", ")}`);
            continue;
        }
        dstByKey.set(keyId(names.map((n) => typed(r.primaryKey[n]))), r);
    }

    let valuesCompared = 0;
    let rowsCompared = 0;
    for (const s of srcRows) {
        const label = keyLabel(key, keyIdx.map((i) => s[i]));
        const expected = cols.map((c, i): Expected => {
            const raw = s[i];
            const isKey = keyIdx.includes(i);
            // "a NULL is an absent column"; a key has no NULL (a tablestorePrimaryKey over a nullable column).
            if (raw === null) return isKey ? { kind: "refused", reason: "NULL in a primary-key column" } : { kind: "absent" };
            return expectedOf(c, raw, temporal, isKey);
        });
        const keyExpected = keyIdx.map((i) => expected[i]);
        const keyValues = keyExpected.every((e) => e.kind === "value") ? keyExpected.map((e) => (e as { v: TypedValue }).v) : undefined;
        const id = keyValues ? keyId(keyValues) : undefined;
        const d = id !== undefined ? dstByKey.get(id) : undefined;
        if (id !== undefined) dstByKey.delete(id);

        const bad = expected.findIndex((e) => e.kind === "refused");
        if (bad >= 0) {
            refused.push({ key: label, column: cols[bad].name, value: showRaw(s[bad]), reason: (expected[bad] as { reason: string }).reason, ...(d ? { destination: d } : {}) });
            continue;
        }
        if (!d) {
            mismatch(label, "(row)", "present", "missing");
            continue;
        }
        rowsCompared++;
        // Key columns: the key, never attributes.
        keyIdx.forEach((i, k) => {
            valuesCompared++;
            const want = expected[i] as { v: TypedValue; equal?: (x: TypedValue) => boolean };
            const got = typed(d.primaryKey[key[k]]);
            if (!(want.equal ?? ((x: TypedValue) => sameTyped(want.v, x)))(got)) mismatch(label, cols[i].name, showRaw(s[i]), showTyped(got), [showTyped(want.v), showTyped(got)]);
            if (Object.hasOwn(d.attributes, cols[i].name)) mismatch(label, cols[i].name, "a key column", `also an attribute: ${showTyped(typed(d.attributes[cols[i].name]))}`);
        });
        for (const i of attrIdx) {
            valuesCompared++;
            const e = expected[i];
            const has = Object.hasOwn(d.attributes, cols[i].name);
            const got = has ? typed(d.attributes[cols[i].name]) : undefined;
            if (e.kind === "absent") {
                if (got !== undefined) mismatch(label, cols[i].name, "NULL", showTyped(got), ["absent", showTyped(got)]);
                continue;
            }
            const want = e as { v: TypedValue; equal?: (x: TypedValue) => boolean };
            const ok = got !== undefined && (want.equal ?? ((x: TypedValue) => sameTyped(want.v, x)))(got);
            if (!ok) mismatch(label, cols[i].name, showRaw(s[i]), showTyped(got), [showTyped(want.v), showTyped(got)]);
        }
        // Attributes the source does not have (a column dropped, misnamed, or a key column's twin).
        const known = new Set(cols.map((c) => c.name));
        for (const [name, v] of Object.entries(d.attributes)) {
            if (!known.has(name)) mismatch(label, name, "(no such column)", showTyped(typed(v)));
        }
    }
    for (const r of dstByKey.values()) {
        mismatch(key.map((k) => `${k}=${showTyped(typed(r.primaryKey[k]))}`).join(", "), "(row)", "missing", "present");
    }
    return {
        table: tableName, destinationTable, key, columns: cols.map((c) => c.name),
        sourceRows: srcRows.length, destinationRows: destination.length, rowsCompared, valuesCompared, mismatches, refused,
    };
}

/** "Primary keys": INTEGER, STRING or BINARY, by the column's default type; a FLOAT/DOUBLE key is STRING. */
function keyType(col: ColumnInfo, temporal: TablestoreTemporal): string {
    const dt = col.dataType;
    if (["tinyint", "smallint", "mediumint", "int", "integer", "bigint"].includes(dt)) return dt === "bigint" && col.unsigned ? "STRING" : "INTEGER";
    if (dt === "year") return "INTEGER";
    if (dt === "bit") return col.bits === 64 ? "STRING" : "INTEGER";
    if (["date", "datetime", "timestamp", "time"].includes(dt)) return temporal === "epoch-micros" ? "INTEGER" : "STRING";
    if (["binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"].includes(dt) || spatialTypes.has(dt)) return "BINARY";
    return "STRING";
}
