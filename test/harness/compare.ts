/**
 * Value-by-value comparison of a migrated table with its source.
 *
 * The source is read as the server stores it: mysql2 without type casting (raw bytes,
 * text decoded as UTF-8), session time_zone '+00:00', FLOAT as CAST(col AS DOUBLE), and a
 * FLOAT/DOUBLE zero with its sign (MariaDB prints -0 as "0"); the text of every FLOAT and
 * DOUBLE is checked against the binary protocol's IEEE value, so it is exact. The
 * destination is read as text: PostgreSQL with every type parser replaced by the identity,
 * MySQL/MariaDB exactly like the source. Rows are matched by the table's key and compared
 * column by column.
 *
 * - MySQL-family destination: no canonicalisation at all. Every value must be identical,
 *   byte for byte (zero dates stay zero dates, JSON text stays the same text).
 * - PostgreSQL destination: a per-type canonicaliser that encodes exactly the
 *   representation changes docs/type-mapping.md documents, and nothing else. Each rule
 *   points at the section of the document that allows it.
 *
 * This module deliberately does not use the engine's own introspection or type map: a
 * comparison that shares the code under test cannot catch its mistakes.
 */
import * as mysql from "mysql2/promise";
import { Client } from "pg";

export interface MysqlEndpoint {
    host: string;
    port: number;
    user: string;
    password: string;
}

export interface PostgresEndpoint extends MysqlEndpoint {
    database: string;
}

export type CompareDestination =
    | { kind: "postgres"; conn: PostgresEndpoint; schema: string }
    | { kind: "mysql"; conn: MysqlEndpoint; database: string };

/** One value that differs (or a row or column that is missing on one side). */
export interface Mismatch {
    table: string;
    /** "id=3" or "a=1, b=x" in source values. */
    key: string;
    /** Source column name, or "(row)" / "(column)" for missing rows and columns. */
    column: string;
    /** Source value, printed unambiguously (strings JSON-quoted, bytes as 0x…, NULL). */
    source: string;
    destination: string;
    /** The canonical forms that were compared, when they differ from the printed values. */
    sourceCanonical?: string;
    destinationCanonical?: string;
}

export interface TableComparison {
    table: string;
    key: string[];
    columns: string[];
    sourceRows: number;
    destinationRows: number;
    /** Values compared (rows present on both sides × columns). */
    valuesCompared: number;
    mismatches: Mismatch[];
}

export function formatMismatch(m: Mismatch): string {
    const canon = m.sourceCanonical !== undefined || m.destinationCanonical !== undefined
        ? ` [canonical: ${m.sourceCanonical ?? "-"} vs ${m.destinationCanonical ?? "-"}]`
        : "";
    return `${m.table} {${m.key}} ${m.column}: source ${m.source} != destination ${m.destination}${canon}`;
}

// ---------------------------------------------------------------------------------------
// Source metadata (read independently of the engine)

interface ColumnInfo {
    name: string;
    /** information_schema DATA_TYPE, lower case; "json" also for MariaDB's LONGTEXT + json_valid(). */
    dataType: string;
    columnType: string;
    /** BIT width. */
    bits: number;
}

const binaryTypes = new Set(["binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit"]);

async function columnsOf(conn: mysql.Connection, db: string, table: string): Promise<ColumnInfo[]> {
    const [cols] = await conn.query<mysql.RowDataPacket[]>(
        `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, NUMERIC_PRECISION AS prec
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [db, table]);
    // MariaDB's JSON is LONGTEXT with an automatic CHECK (json_valid(`col`)).
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
            bits: bitArg ? Number(bitArg[1]) : Number(c.prec ?? 1),
        };
    });
}

/**
 * The primary key, else a unique key whose columns are all NOT NULL (what the engine keys
 * such tables by); null for a table with neither, whose rows are then compared as a
 * multiset of whole rows (identical rows counted).
 */
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

// ---------------------------------------------------------------------------------------
// Reading

type Raw = string | Buffer | null;

const qMy = (s: string) => "`" + s.replace(/`/g, "``") + "`";
const qPg = (s: string) => '"' + s.replace(/"/g, '""') + '"';

/** Reads a MySQL-family table exactly as the engine's snapshot reader does (independently implemented). */
async function readMysql(conn: mysql.Connection, db: string, table: string, cols: ColumnInfo[], key: string[]): Promise<Raw[][]> {
    const select = cols.map((c) => {
        const q = qMy(c.name);
        if (c.dataType !== "float" && c.dataType !== "double") return q;
        // MariaDB prints -0 as "0"; the sign is asked for separately (ATAN2(-0, -1) = -π).
        return `CASE WHEN ${q} = 0 AND ATAN2(${q}, -1) < 0 THEN '-0' ELSE ${c.dataType === "float" ? `CAST(${q} AS DOUBLE)` : q} END`;
    }).join(", ");
    const [rows] = await conn.query({
        sql: `SELECT ${select} FROM ${qMy(db)}.${qMy(table)} ORDER BY ${key.map(qMy).join(", ")}`,
        rowsAsArray: true,
        typeCast: false,
    });
    return (rows as unknown as (Buffer | null)[][]).map((r) =>
        r.map((v, i) => (v === null ? null : binaryTypes.has(cols[i].dataType) ? v : v.toString("utf8"))));
}

async function openMysql(e: MysqlEndpoint): Promise<mysql.Connection> {
    const conn = await mysql.createConnection({ host: e.host, port: e.port, user: e.user, password: e.password, charset: "utf8mb4_general_ci" });
    await conn.query("SET SESSION time_zone = '+00:00'");
    return conn;
}

/**
 * FLOAT/DOUBLE as the binary protocol carries them (IEEE bits, no decimal printing on the
 * server): a check that the text the comparison starts from is itself exact, since the
 * engine's reader and this one both rely on the server printing doubles round-trip.
 * (The sign of a zero is the exception: see below.)
 */
async function checkFloatText(conn: mysql.Connection, db: string, table: string, cols: ColumnInfo[], key: string[], text: Raw[][]): Promise<string[]> {
    const floats = cols.map((c, i) => ({ c, i })).filter(({ c }) => c.dataType === "float" || c.dataType === "double");
    if (floats.length === 0) return [];
    const [rows] = await conn.execute({
        sql: `SELECT ${floats.map(({ c }) => qMy(c.name)).join(", ")} FROM ${qMy(db)}.${qMy(table)} ORDER BY ${key.map(qMy).join(", ")}`,
        rowsAsArray: true,
    });
    const bin = rows as unknown as (number | null)[][];
    const problems: string[] = [];
    bin.forEach((r, ri) => floats.forEach(({ c, i }, fi) => {
        const t = text[ri][i];
        const b = r[fi];
        // MariaDB's binary protocol sends a FLOAT -0 as +0 (ATAN2, used for the text, still sees the
        // sign), so for zero only the magnitude is checked here.
        const same = t === null || b === null ? t === b : b === 0 ? Number(t) === 0 : Object.is(Number(t), b);
        if (!same) {
            problems.push(`${table}.${c.name} row ${ri + 1}: the server prints ${String(t)} for the stored value ${String(b)}`);
        }
    }));
    return problems;
}

async function readPostgres(e: PostgresEndpoint, schema: string, table: string, cols: ColumnInfo[], key: string[]): Promise<{ rows: Raw[][]; missing: string[] }> {
    const client = new Client({
        host: e.host, port: e.port, user: e.user, password: e.password, database: e.database,
        // Every value as the server prints it: no Dates, no numbers, no Buffers.
        types: { getTypeParser: (() => (v: string) => v) as never },
    });
    await client.connect();
    try {
        await client.query("SET TIME ZONE 'UTC'");
        // Server defaults, set explicitly so the canonicaliser's assumptions hold.
        await client.query("SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET bytea_output = 'hex'; SET extra_float_digits = 1");
        const present = await client.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2", [schema, table]);
        const have = new Set(present.rows.map((r: { column_name: string }) => r.column_name));
        const missing = cols.filter((c) => !have.has(c.name.toLowerCase())).map((c) => c.name);
        // FLOAT lands in real; ::float8 prints the stored single exactly, as CAST(… AS DOUBLE) does on the source.
        const select = cols.map((c) => !have.has(c.name.toLowerCase()) ? "NULL"
            : c.dataType === "float" || c.dataType === "double" ? `${qPg(c.name.toLowerCase())}::float8` : qPg(c.name.toLowerCase()));
        const r = await client.query({
            text: `SELECT ${select.join(", ")} FROM ${qPg(schema)}.${qPg(table.toLowerCase())}` +
                (key.length ? ` ORDER BY ${key.map((k) => qPg(k.toLowerCase())).join(", ")}` : ""),
            rowMode: "array",
        });
        return { rows: r.rows as Raw[][], missing };
    } finally {
        await client.end();
    }
}

// ---------------------------------------------------------------------------------------
// Canonical forms (PostgreSQL destination)

/** Thrown for a value that does not parse as its type: reported as a mismatch with the reason. */
class Unparseable extends Error {}

const zeroChars = (s: string, from: number, to: number) => /^0+$/.test(s.slice(from, to));

/**
 * docs/type-mapping.md, "Values → Zero dates": '0000-00-00…' and partial-zero dates
 * ('2020-00-15', '2021-03-00', '0000-03-01') are written as NULL.
 */
function isZeroDate(s: string): boolean {
    return zeroChars(s, 0, 4) || zeroChars(s, 5, 7) || zeroChars(s, 8, 10);
}

/**
 * An exact decimal, normalised: no exponent, no leading zeros, no trailing fractional
 * zeros, no sign on zero. Pure string arithmetic: never goes through a float.
 */
export function canonicalDecimal(s: string): string {
    const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
    if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new Unparseable(`not a decimal number: ${JSON.stringify(s)}`);
    const neg = m[1] === "-";
    let digits = (m[2] + (m[3] ?? "")).replace(/^0+/, "");
    let exp = Number(m[4] ?? 0) - (m[3] ?? "").length;
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 1_000_000) throw new Unparseable(`exponent out of range: ${s}`);
    if (digits === "") return "0";
    const trailing = /0*$/.exec(digits)![0].length;
    digits = digits.slice(0, digits.length - trailing);
    exp += trailing;
    let out: string;
    if (exp >= 0) out = digits + "0".repeat(exp);
    else if (-exp >= digits.length) out = "0." + "0".repeat(-exp - digits.length) + digits;
    else out = digits.slice(0, digits.length + exp) + "." + digits.slice(digits.length + exp);
    return (neg ? "-" : "") + out;
}

/** A double as a string that is equal for two numbers exactly when Object.is says they are. */
function canonicalDouble(s: string): string {
    // MySQL prints 1e308 and 5e-324; PostgreSQL prints 1e+308 and 5e-324. Both are parsed.
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^(-?Infinity|NaN)$/.test(s)) {
        throw new Unparseable(`not a floating-point number: ${JSON.stringify(s)}`);
    }
    const n = Number(s);
    return Object.is(n, -0) ? "-0" : String(n);
}

const fracRe = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** DATETIME: the same wall-clock value. PostgreSQL drops trailing fractional zeros; so do we, on both sides. */
function canonicalDatetime(s: string): string {
    const m = fracRe.exec(s);
    if (!m) throw new Unparseable(`not a datetime: ${JSON.stringify(s)}`);
    const frac = (m[5] ?? "").replace(/0+$/, "");
    return `${m[1]} ${m[2]}:${m[3]}:${m[4]}${frac ? "." + frac : ""}`;
}

/** TIMESTAMP: the instant, as UTC with six fractional digits. Accepts an optional ±hh[:mm[:ss]] offset (PostgreSQL's output). */
function canonicalInstant(s: string, assumeUtc: boolean): string {
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/.exec(s);
    if (!m || (m[8] === undefined && !assumeUtc)) throw new Unparseable(`not a timestamp${assumeUtc ? "" : " with zone"}: ${JSON.stringify(s)}`);
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
    const offset = m[8] === undefined ? 0 : (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
    const micros = BigInt(ms - offset * 1000) * 1000n + BigInt((m[7] ?? "").padEnd(6, "0") || "0");
    const secs = micros / 1_000_000n;
    const frac = (micros % 1_000_000n).toString().padStart(6, "0");
    return new Date(Number(secs) * 1000).toISOString().slice(0, 19).replace("T", " ") + "." + frac + " UTC";
}

function durationText(micros: bigint): string {
    const neg = micros < 0n;
    const a = neg ? -micros : micros;
    const h = a / 3_600_000_000n;
    const mi = (a / 60_000_000n) % 60n;
    const se = (a / 1_000_000n) % 60n;
    const f = (a % 1_000_000n).toString().padStart(6, "0");
    const two = (x: bigint) => x.toString().padStart(2, "0");
    return `${neg ? "-" : ""}${two(h)}:${two(mi)}:${two(se)}.${f}`;
}

/** MySQL TIME ('-838:59:59.000000', '-00:00:00.500000'): a signed duration. */
function mysqlTime(s: string): string {
    const m = /^(-)?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(s);
    if (!m) throw new Unparseable(`not a TIME: ${JSON.stringify(s)}`);
    const us = ((BigInt(m[2]) * 60n + BigInt(m[3])) * 60n + BigInt(m[4])) * 1_000_000n + BigInt((m[5] ?? "").padEnd(6, "0") || "0");
    return durationText(m[1] ? -us : us);
}

/**
 * docs/type-mapping.md, "TIME(n) → interval(n)": PostgreSQL prints an interval in its
 * IntervalStyle 'postgres' ('-838:59:59', '00:00:00.5', '1 day 02:00:00'). Months and
 * years would mean a calendar interval, which a TIME never is.
 */
function pgInterval(s: string): string {
    const m = /^(?:([+-]?\d+) days? ?)?(?:([+-])?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/.exec(s);
    if (!m || s === "") throw new Unparseable(`not a day-time interval: ${JSON.stringify(s)}`);
    const days = BigInt(m[1] ?? 0);
    let us = ((BigInt(m[3] ?? 0) * 60n + BigInt(m[4] ?? 0)) * 60n + BigInt(m[5] ?? 0)) * 1_000_000n + BigInt((m[6] ?? "").padEnd(6, "0") || "0");
    if (m[2] === "-") us = -us;
    return durationText(days * 86_400_000_000n + us);
}

/** BIT(n) bytes (big-endian) as exactly n binary digits: docs/type-mapping.md, "BIT(n) → bit(n)". */
function bitString(buf: Buffer, width: number): string {
    let s = "";
    for (const b of buf) s += b.toString(2).padStart(8, "0");
    if (s.length < width) s = s.padStart(width, "0");
    const extra = s.slice(0, s.length - width);
    if (/1/.test(extra)) throw new Unparseable(`BIT(${width}) value 0x${buf.toString("hex")} has more than ${width} bits`);
    return s.slice(s.length - width);
}

// --- JSON: parsed with number literals kept as exact decimal text ---

type Json = null | boolean | string | { num: string } | Json[] | { obj: Map<string, Json> };

function parseJson(text: string): Json {
    let i = 0;
    const ws = () => { while (i < text.length && " \t\n\r".includes(text[i])) i++; };
    const fail = (what: string): never => { throw new Unparseable(`invalid JSON (${what} at offset ${i}): ${text.slice(0, 80)}`); };
    const value = (): Json => {
        ws();
        const c = text[i];
        if (c === "{") {
            i++;
            // docs/type-mapping.md, JSON: jsonb keeps the last of duplicate keys (so does this map).
            const obj = new Map<string, Json>();
            ws();
            if (text[i] === "}") { i++; return { obj }; }
            for (;;) {
                ws();
                if (text[i] !== '"') fail("expected a key");
                const k = str();
                ws();
                if (text[i++] !== ":") fail("expected ':'");
                obj.set(k, value());
                ws();
                if (text[i] === ",") { i++; continue; }
                if (text[i] === "}") { i++; return { obj }; }
                fail("expected ',' or '}'");
            }
        }
        if (c === "[") {
            i++;
            const arr: Json[] = [];
            ws();
            if (text[i] === "]") { i++; return arr; }
            for (;;) {
                arr.push(value());
                ws();
                if (text[i] === ",") { i++; continue; }
                if (text[i] === "]") { i++; return arr; }
                fail("expected ',' or ']'");
            }
        }
        if (c === '"') return str();
        for (const [lit, v] of [["true", true], ["false", false], ["null", null]] as const) {
            if (text.startsWith(lit, i)) { i += lit.length; return v; }
        }
        const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 100_000));
        if (!m) fail("unexpected character");
        i += m![0].length;
        return { num: canonicalDecimal(m![0]) };
    };
    const str = (): string => {
        const start = i;
        i++;
        while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
        if (i >= text.length) fail("unterminated string");
        i++;
        return JSON.parse(text.slice(start, i)) as string;
    };
    const v = value();
    ws();
    if (i !== text.length) fail("trailing text");
    return v;
}

function jsonText(v: Json): string {
    if (v === null || typeof v === "boolean") return String(v);
    if (typeof v === "string") return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(jsonText).join(",")}]`;
    if ("num" in v) return v.num;
    const keys = [...v.obj.keys()].sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${jsonText(v.obj.get(k)!)}`).join(",")}}`;
}

/**
 * docs/type-mapping.md, "JSON → jsonb": numbers are kept exactly; jsonb normalises
 * whitespace and key order and keeps the last of duplicate keys, and stores strings
 * decoded (so "\u00e9" and "é" are the same string). Canonical form: keys sorted,
 * numbers as exact normalised decimals, strings re-escaped by one rule.
 */
export function canonicalJson(text: string): string {
    return jsonText(parseJson(text));
}

/** Dotted-decimal IPv4 ('1.2.3.4') as 8 hex digits; anything else (a '/n' netmask included) is Unparseable. */
function ipv4Hex(s: string): string {
    const parts = s.split(".");
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) throw new Unparseable(`not an IPv4 address: ${JSON.stringify(s)}`);
    return parts.map((p) => Number(p).toString(16).padStart(2, "0")).join("");
}

/** An IPv6 address in any RFC 4291 text form ('::', '1::2', '::ffff:1.2.3.4') as 32 hex digits. */
function ipv6Hex(s: string): string {
    const bad = () => new Unparseable(`not an IPv6 address: ${JSON.stringify(s)}`);
    let text = s;
    let tail = "";
    const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (dotted) {
        tail = ipv4Hex(dotted[2]);
        text = dotted[1].endsWith("::") ? dotted[1] : dotted[1].slice(0, -1);
    }
    const halves = text.split("::");
    if (halves.length > 2) throw bad();
    const groups = (h: string) => (h === "" ? [] : h.split(":"));
    const head = groups(halves[0]);
    const rest = halves.length === 2 ? groups(halves[1]) : [];
    const words = [...head, ...rest];
    if (!words.every((w) => /^[0-9a-fA-F]{1,4}$/.test(w))) throw bad();
    const need = 8 - tail.length / 4;
    const fill = need - words.length;
    if (halves.length === 1 ? fill !== 0 : fill < 1) throw bad();
    const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill("0"), ...rest];
    return all.map((w) => w.toLowerCase().padStart(4, "0")).join("") + tail;
}

type Canon = (v: Raw) => string | null;

const asText = (v: Raw): string => (typeof v === "string" ? v : v === null ? "" : v.toString("utf8"));
const asBytes = (v: Raw): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v ?? "", "utf8"));

/** Source-side and destination-side canonicalisers of one column, for a PostgreSQL destination. */
function postgresRules(col: ColumnInfo): { src: Canon; dst: Canon } {
    const same: Canon = (v) => (v === null ? null : asText(v));
    const both = (f: (s: string) => string | null) => ({ src: (v: Raw) => (v === null ? null : f(asText(v))), dst: (v: Raw) => (v === null ? null : f(asText(v))) });
    switch (col.dataType) {
        case "tinyint": case "smallint": case "mediumint": case "int": case "integer": case "bigint":
            // Same decimal text on both sides (BIGINT UNSIGNED max included: numeric(20,0)).
            return { src: same, dst: same };
        case "year":
            // docs/type-mapping.md, "YEAR → smallint … 0000 is 0": compared as integers.
            return both((s) => BigInt(s).toString());
        case "decimal": case "numeric":
            // docs/type-mapping.md, "BIGINT UNSIGNED / DECIMAL: copied as text": exact decimals, normalised, never floats.
            return both(canonicalDecimal);
        case "float": case "double": case "real":
            // docs/type-mapping.md, "FLOAT → real, DOUBLE → double precision: the same IEEE formats":
            // the exact binary value must survive. Both sides are read as doubles (FLOAT through
            // CAST(… AS DOUBLE) / ::float8) and compared with Object.is semantics.
            return both(canonicalDouble);
        case "bit":
            // docs/type-mapping.md, "BIT(n): the bytes become exactly n 0/1 digits".
            return { src: (v) => (v === null ? null : bitString(asBytes(v), col.bits)), dst: same };
        case "binary": case "varbinary": case "tinyblob": case "blob": case "mediumblob": case "longblob":
            // docs/type-mapping.md, "Binary types: \x + hex" (bytea_output = hex).
            return { src: (v) => (v === null ? null : "\\x" + asBytes(v).toString("hex")), dst: same };
        case "date":
            // docs/type-mapping.md, "Zero dates … are written as NULL".
            return both((s) => (isZeroDate(s) ? null : s));
        case "datetime":
            // Zero dates → NULL (as DATE); otherwise the same wall-clock value, trailing fractional zeros aside.
            return both((s) => (isZeroDate(s) ? null : canonicalDatetime(s)));
        case "timestamp":
            // docs/type-mapping.md, "TIMESTAMP → timestamp with time zone … the destination holds the
            // same instant": the source is read in a '+00:00' session, PostgreSQL prints an offset.
            return {
                src: (v) => (v === null || isZeroDate(asText(v)) ? null : canonicalInstant(asText(v), true)),
                dst: (v) => (v === null ? null : canonicalInstant(asText(v), false)),
            };
        case "time":
            // docs/type-mapping.md, "TIME(n) → interval(n)": the same signed duration.
            return { src: (v) => (v === null ? null : mysqlTime(asText(v))), dst: (v) => (v === null ? null : pgInterval(asText(v))) };
        case "json":
            return both(canonicalJson);
        case "uuid":
            // docs/type-mapping.md, "MariaDB types → UUID → uuid": both print lower-case 8-4-4-4-12 hex.
            return { src: same, dst: same };
        case "inet6":
            // docs/type-mapping.md, "MariaDB types → INET6 → inet": the same 16-byte address (an IPv6 inet,
            // not IPv4), though the two abbreviate differently (MariaDB '1::2:3:4:5:6:7', PostgreSQL '1:0:2:3:4:5:6:7').
            return both(ipv6Hex);
        case "inet4":
            // docs/type-mapping.md, "MariaDB types → INET4 → inet": the same IPv4 address, without a netmask.
            return both(ipv4Hex);
        default:
            // CHAR/VARCHAR/TEXT, ENUM, SET (docs: "ENUM → text", "SET → text … as MySQL prints it"): identical text.
            return { src: same, dst: same };
    }
}

/** MySQL-family destination: no canonicalisation; the bytes must be the same. */
function identicalRules(): { src: Canon; dst: Canon } {
    const raw: Canon = (v) => (v === null ? null : Buffer.isBuffer(v) ? "0x" + v.toString("hex") : v);
    return { src: raw, dst: raw };
}

function show(v: Raw): string {
    if (v === null) return "NULL";
    if (Buffer.isBuffer(v)) return `0x${v.toString("hex").slice(0, 96)}${v.length > 48 ? `… (${v.length} bytes)` : ""}`;
    const s = JSON.stringify(v);
    return s.length > 200 ? `${s.slice(0, 200)}… (${v.length} chars)` : s;
}

// ---------------------------------------------------------------------------------------

/**
 * Compares one source table with its migrated copy. Destination names follow the task's
 * default naming (lower case in PostgreSQL, unchanged in MySQL).
 */
export async function compareTable(source: MysqlEndpoint, database: string, table: string, dest: CompareDestination): Promise<TableComparison> {
    const conn = await openMysql(source);
    let cols: ColumnInfo[];
    let key: string[];
    let keyless = false;
    let srcRows: Raw[][];
    let floatProblems: string[];
    try {
        cols = await columnsOf(conn, database, table);
        if (cols.length === 0) throw new Error(`${database}.${table} does not exist on the source`);
        const k = await keyOf(conn, database, table);
        keyless = k === null;
        // Keyless: a row is identified by all its values; ordering by all of them keeps the text and binary reads aligned.
        key = k ?? cols.map((c) => c.name);
        srcRows = await readMysql(conn, database, table, cols, key);
        floatProblems = await checkFloatText(conn, database, table, cols, key, srcRows);
    } finally {
        await conn.end();
    }
    if (floatProblems.length) throw new Error(`the source's text form of FLOAT/DOUBLE is not exact:\n${floatProblems.join("\n")}`);

    let dstRows: Raw[][];
    let missingCols: string[] = [];
    if (dest.kind === "postgres") {
        ({ rows: dstRows, missing: missingCols } = await readPostgres(dest.conn, dest.schema, table, cols, keyless ? [] : key));
    } else {
        const d = await openMysql(dest.conn);
        try {
            const dcols = await columnsOf(d, dest.database, table);
            const have = new Set(dcols.map((c) => c.name));
            missingCols = cols.filter((c) => !have.has(c.name)).map((c) => c.name);
            const present = cols.filter((c) => have.has(c.name));
            const rows = await readMysql(d, dest.database, table, present, key);
            dstRows = rows.map((r) => cols.map((c) => (have.has(c.name) ? r[present.indexOf(c)] : null)));
        } finally {
            await d.end();
        }
    }

    const rules = cols.map((c) => (dest.kind === "postgres" ? postgresRules(c) : identicalRules()));
    const keyIdx = key.map((k) => cols.findIndex((c) => c.name === k));
    const mismatches: Mismatch[] = [];
    const tableName = `${database}.${table}`;
    const keyLabel = (r: Raw[]) => keyIdx.map((i) => `${cols[i].name}=${r[i] === null ? "NULL" : Buffer.isBuffer(r[i]) ? show(r[i]) : String(r[i])}`).join(", ");
    const apply = (f: Canon, v: Raw): { ok: true; c: string | null } | { ok: false; err: string } => {
        try {
            return { ok: true, c: f(v) };
        } catch (err) {
            if (err instanceof Unparseable) return { ok: false, err: err.message };
            throw err;
        }
    };
    const rowKey = (r: Raw[], side: "src" | "dst") => JSON.stringify(keyIdx.map((i) => {
        const res = apply(rules[i][side], r[i]);
        return res.ok ? res.c : `unparseable:${String(r[i])}`;
    }));

    for (const name of missingCols) {
        mismatches.push({ table: tableName, key: "*", column: "(column)", source: `column ${name}`, destination: "missing" });
    }
    // Rows by key; a keyless table's identical rows share one entry, and each source row takes one of them.
    const dstByKey = new Map<string, Raw[][]>();
    for (const r of dstRows) {
        const k = rowKey(r, "dst");
        const same = dstByKey.get(k);
        if (same && !keyless) mismatches.push({ table: tableName, key: keyLabel(r), column: "(row)", source: "one row", destination: "duplicate rows" });
        if (same) same.push(r);
        else dstByKey.set(k, [r]);
    }
    let valuesCompared = 0;
    for (const s of srcRows) {
        const k = rowKey(s, "src");
        const d = dstByKey.get(k)?.shift();
        if (!d) {
            mismatches.push({ table: tableName, key: keyLabel(s), column: "(row)", source: "present", destination: "missing" });
            continue;
        }
        if (dstByKey.get(k)!.length === 0) dstByKey.delete(k);
        cols.forEach((c, i) => {
            if (missingCols.includes(c.name)) return;
            valuesCompared++;
            const a = apply(rules[i].src, s[i]);
            const b = apply(rules[i].dst, d[i]);
            if (a.ok && b.ok && a.c === b.c) return;
            const printedSame = (x: typeof a, raw: Raw) => x.ok && x.c === (raw === null ? null : typeof raw === "string" ? raw : undefined);
            mismatches.push({
                table: tableName, key: keyLabel(s), column: c.name, source: show(s[i]), destination: show(d[i]),
                ...(printedSame(a, s[i]) && printedSame(b, d[i]) ? {} : {
                    sourceCanonical: a.ok ? (a.c === null ? "NULL" : a.c) : `(${a.err})`,
                    destinationCanonical: b.ok ? (b.c === null ? "NULL" : b.c) : `(${b.err})`,
                }),
            });
        });
    }
    for (const rs of dstByKey.values()) {
        for (const r of rs) mismatches.push({ table: tableName, key: keyLabel(r), column: "(row)", source: "missing", destination: "present" });
    }
    return {
        table: tableName, key, columns: cols.map((c) => c.name),
        sourceRows: srcRows.length, destinationRows: dstRows.length, valuesCompared, mismatches,
    };
}

/** Every base table of a source database, compared with its copy. */
export async function compareDatabase(source: MysqlEndpoint, database: string, dest: CompareDestination): Promise<TableComparison[]> {
    const conn = await openMysql(source);
    let tables: string[];
    try {
        const [rows] = await conn.query<mysql.RowDataPacket[]>(
            "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [database]);
        tables = rows.map((r) => String(r.t));
    } finally {
        await conn.end();
    }
    const out: TableComparison[] = [];
    for (const t of tables) out.push(await compareTable(source, database, t, dest));
    return out;
}
