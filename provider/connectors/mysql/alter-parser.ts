import type { TaskSpec } from "../../../sdk/schema/task";
import { applyCase, chooseKey, type DestinationFamily } from "../../engine/mapping";
import type { SourceColumn, SourceForeignKey, SourceIndex, SourceTable, TableMapping } from "../../engine/model";
import { hasCharset, isWrappedInParens, parseEnumMembers } from "./column-types";
import type { NamedTable } from "./ddl-statement";
import { quoteString, unquoteIdent } from "./identifiers";
import { decodeStringLiteral, isPunct, isSignificant, isWord, lexSql, type Token } from "./sql-lexer";

/**
 * Parsing of the DDL the incremental stream receives as text (binlog query events): ALTER
 * TABLE into a list of actions, a column definition into a SourceColumn filled as
 * introspect-tables.ts fills it from information_schema, CREATE TABLE into a SourceTable,
 * CREATE/DROP INDEX into the same actions as ALTER TABLE … ADD/DROP INDEX. Also the
 * source-side bookkeeping both destinations share: how each action changes the SourceTable
 * (applyAlterAction), so a TableMapping stays what re-introspection would give.
 *
 * The parser reads statements the server accepted (they are in the binlog), so it is lenient:
 * what it does not understand becomes an `unsupported` action with the clause text, never a
 * guess. MySQL's executable comments (/*!50100 … *\/, MariaDB's /*M!… *\/) are read as if
 * their version condition held. Assumes sql_mode without ANSI_QUOTES (double quotes are
 * strings), as the rest of the engine does.
 */

/** Where ADD/CHANGE/MODIFY puts the column: FIRST, AFTER a column, or unchanged/last (null). */
export type ColumnPosition = { first: true } | { after: string } | null;

interface ClauseBase {
    /** The clause as written (one ALTER TABLE specification, without the separating comma). */
    text: string;
}

export type AlterAction =
    | (ClauseBase & {
          kind: "add-column";
          column: SourceColumn;
          /** The definition after the name, without inline PRIMARY KEY/UNIQUE/KEY and REFERENCES (they become their own actions). */
          definition: string;
          /** Offsets in `definition` of expressions that may name columns (generation, DEFAULT, CHECK). */
          expressions: [number, number][];
          position: ColumnPosition;
          ifNotExists: boolean;
          /** VARCHAR(…) BINARY: the collation is the charset's _bin one (known once the charset is). */
          binaryCollation: boolean;
          /** Column-level CHECK (…) clause (kept in `definition` too). */
          check: string | null;
      })
    | (ClauseBase & { kind: "drop-column"; name: string; ifExists: boolean })
    | (ClauseBase & {
          kind: "change-column";
          /** The column changed (its name before the change). */
          from: string;
          /** The complete new definition (MySQL replaces the whole column). */
          column: SourceColumn;
          definition: string;
          expressions: [number, number][];
          position: ColumnPosition;
          ifExists: boolean;
          /** MODIFY (no rename) rather than CHANGE. */
          modify: boolean;
          binaryCollation: boolean;
          check: string | null;
      })
    | (ClauseBase & { kind: "rename-column"; from: string; to: string })
    /** `default`: the expression as written (DEFAULT 'x', (now())…); null for DROP DEFAULT. */
    | (ClauseBase & { kind: "alter-column-default"; name: string; default: string | null })
    | (ClauseBase & { kind: "alter-column-visibility"; name: string; invisible: boolean })
    | (ClauseBase & {
          kind: "add-index";
          /** name "" until applyAlterAction gives it the name the server would (first column, _2, _3…). */
          index: SourceIndex;
          primary: boolean;
          /** ADD CONSTRAINT symbol …; for UNIQUE the index takes this name when it has none. */
          constraintName: string | null;
          ifNotExists: boolean;
          /** Index options other than USING, as written (COMMENT '…', KEY_BLOCK_SIZE=8, INVISIBLE…). */
          options: string;
      })
    | (ClauseBase & { kind: "drop-index"; name: string; ifExists: boolean })
    | (ClauseBase & { kind: "drop-primary-key" })
    | (ClauseBase & { kind: "rename-index"; from: string; to: string })
    /** ALTER INDEX … VISIBLE/INVISIBLE/IGNORED, ALTER CHECK … [NOT] ENFORCED: no data or name change. */
    | (ClauseBase & { kind: "alter-index"; name: string })
    /** foreignKey.name "" until applyAlterAction names it as the server would (<table>_ibfk_<n>). */
    | (ClauseBase & { kind: "add-foreign-key"; foreignKey: SourceForeignKey; ifNotExists: boolean })
    | (ClauseBase & { kind: "add-check"; name: string | null; clause: string })
    | (ClauseBase & { kind: "drop-constraint"; name: string; constraint: "foreign-key" | "check" | "any"; ifExists: boolean })
    | (ClauseBase & { kind: "rename-table"; to: NamedTable })
    /**
     * Table options and clauses that change no column, row or name: ENGINE, [DEFAULT] CHARSET,
     * COLLATE, COMMENT, AUTO_INCREMENT, ROW_FORMAT, ALGORITHM, LOCK, FORCE, ENABLE/DISABLE KEYS,
     * ORDER BY … Names upper case, values as written.
     */
    | (ClauseBase & { kind: "table-options"; options: { name: string; value: string }[] })
    | (ClauseBase & { kind: "convert-charset"; charset: string; collation: string | null })
    /**
     * Partition maintenance. `dataChange`: the clause removes or moves rows without logging
     * them as row changes (DROP/TRUNCATE/EXCHANGE/DISCARD/IMPORT/CONVERT PARTITION).
     */
    | (ClauseBase & { kind: "partition"; operation: string; dataChange: boolean })
    | (ClauseBase & { kind: "unsupported"; reason: string });

export type AlterActionKind = AlterAction["kind"];

export interface ParsedAlter {
    table: NamedTable;
    actions: AlterAction[];
    /** ALTER IGNORE TABLE: duplicate rows are dropped silently when a unique key is added. */
    ignore: boolean;
    /** MariaDB ALTER TABLE IF EXISTS. */
    ifExists: boolean;
    /** The statement as received. */
    sql: string;
}

/** A statement that is not what the parser was asked to read (not an ALTER TABLE, …). */
export class DdlParseError extends Error {
    constructor(readonly statement: string, readonly reason: string) {
        super(`cannot parse DDL statement (${reason}): ${statement.slice(0, 300)}`);
        this.name = "DdlParseError";
    }
}

/**
 * A source DDL statement the destination cannot follow. `fix` says how to recover; the
 * message holds statement, reason and fix, so it can be shown as it is.
 */
export class UntranslatableDdlError extends Error {
    constructor(
        readonly statement: string,
        readonly reason: string,
        readonly fix: string,
    ) {
        super(`cannot apply to the destination: ${statement.slice(0, 500)}: ${reason}. ${fix}`);
        this.name = "UntranslatableDdlError";
    }
}

/** The recovery for a statement the engine cannot translate: do it by hand, then skip it. */
export function manualRecovery(operation = "alter-table"): string {
    return (
        `To recover: apply the equivalent change to the destination table yourself, then leave "${operation}" out of the ` +
        `task's ddl selection for this table (ddl: [...] at table, database or task level) and run pulumi up; the stream ` +
        `then passes over the statement and the task's status lists it as skipped`
    );
}

// ---------------------------------------------------------------------------------------
// Token helpers

type Sig = Token[];

/** MySQL executable comments run as code: /*!50100 x *\/ → x (and MariaDB's /*M!100100 x *\/). */
export function unwrapExecutableComments(sql: string): string {
    if (!/\/\*M?!/.test(sql)) return sql;
    return lexSql(sql)
        .map((t) => {
            if (t.kind !== "comment") return t.text;
            const m = /^\/\*M?!\d*/.exec(t.text);
            if (!m) return t.text;
            return " " + t.text.slice(m[0].length, t.text.endsWith("*/") ? -2 : undefined) + " ";
        })
        .join("")
        .trim();
}

function significant(sql: string): Sig {
    const sig = lexSql(sql).filter(isSignificant);
    while (sig.length > 0 && isPunct(sig[sig.length - 1], ";")) sig.pop();
    return sig;
}

const isName = (t: Token | undefined): t is Token => t !== undefined && (t.kind === "ident" || t.kind === "word");
const nameOf = (t: Token): string => (t.kind === "ident" ? unquoteIdent(t.text) : t.text);
const upper = (t: Token | undefined): string => (t && t.kind === "word" ? t.text.toUpperCase() : "");

/** Index of the parenthesis closing the one at `open` (within `end`), or -1. */
function closing(sig: Sig, open: number, end = sig.length): number {
    let depth = 0;
    for (let j = open; j < end; j++) {
        if (isPunct(sig[j], "(")) depth++;
        else if (isPunct(sig[j], ")") && --depth === 0) return j;
    }
    return -1;
}

/** Top-level comma-separated ranges [start, end) of sig[from, to). */
function splitTopLevel(sig: Sig, from: number, to: number): [number, number][] {
    const out: [number, number][] = [];
    let depth = 0;
    let start = from;
    for (let j = from; j < to; j++) {
        if (isPunct(sig[j], "(")) depth++;
        else if (isPunct(sig[j], ")")) depth--;
        else if (depth === 0 && isPunct(sig[j], ",")) {
            if (j > start) out.push([start, j]);
            start = j + 1;
        }
    }
    if (to > start) out.push([start, to]);
    return out;
}

/** `name` or `db`.`name` at i. */
function tableRefAt(sig: Sig, i: number, defaultDb: string): [NamedTable, number] | null {
    const a = sig[i];
    if (!isName(a)) return null;
    if (isPunct(sig[i + 1], ".") && isName(sig[i + 2])) return [{ database: nameOf(a), name: nameOf(sig[i + 2]) }, i + 3];
    return [{ database: defaultDb, name: nameOf(a) }, i + 1];
}

function skipIf(sig: Sig, i: number, not: boolean): [boolean, number] {
    if (isWord(sig[i], "IF") && (!not || isWord(sig[i + 1], "NOT")) && isWord(sig[i + (not ? 2 : 1)], "EXISTS")) return [true, i + (not ? 3 : 2)];
    return [false, i];
}

/** An option value: `[=] value`, value a word, number, string, identifier or a parenthesised group. */
function optionValue(sig: Sig, sql: string, i: number, end: number): [string, number] {
    if (isPunct(sig[i], "=")) i++;
    if (i >= end) return ["", i];
    if (isPunct(sig[i], "(")) {
        const c = closing(sig, i, end);
        const stop = c < 0 ? end - 1 : c;
        return [sql.slice(sig[i].start, sig[stop].end), stop + 1];
    }
    return [sig[i].text, i + 1];
}

const sliceText = (sql: string, sig: Sig, from: number, to: number): string => (to > from ? sql.slice(sig[from].start, sig[to - 1].end) : "");

// ---------------------------------------------------------------------------------------
// Column definitions

/** A column definition with what a column definition can declare besides the column itself. */
export interface ColumnDefinition {
    column: SourceColumn;
    /** Inline PRIMARY KEY (or bare KEY), UNIQUE [KEY]; SERIAL implies UNIQUE. */
    inlineKey: "primary" | "unique" | null;
    /** Column-level CHECK (…) clause, without CHECK and the parentheses. */
    check: string | null;
    /** Inline REFERENCES … text (MySQL parses and ignores it; MariaDB ≥10.5 creates a foreign key). */
    references: string | null;
    /** The definition text without the inline key words and REFERENCES. */
    definition: string;
    /** Offsets in `definition` of expressions that may reference columns (generation, DEFAULT, ON UPDATE, CHECK). */
    expressions: [number, number][];
    binaryCollation: boolean;
}

interface TypeInfo {
    dataType: string;
    columnType: string;
    unsigned: boolean;
    maxLength: number | null;
    numericPrecision: number | null;
    numericScale: number | null;
    datetimePrecision: number | null;
    enumValues: string[] | null;
    charset: string | null;
    isJson: boolean;
    serial: boolean;
}

const integerPrecision: Record<string, number> = { tinyint: 3, smallint: 5, mediumint: 7, int: 10, bigint: 19 };
const textLengths: Record<string, number> = {
    tinytext: 255, text: 65535, mediumtext: 16777215, longtext: 4294967295,
    tinyblob: 255, blob: 65535, mediumblob: 16777215, longblob: 4294967295,
};
const synonyms: Record<string, string> = {
    integer: "int", int1: "tinyint", int2: "smallint", int3: "mediumint", int4: "int", int8: "bigint", middleint: "mediumint",
    dec: "decimal", numeric: "decimal", fixed: "decimal", real: "double", float4: "float", float8: "double",
    character: "char", nchar: "char", nvarchar: "varchar", bool: "tinyint", boolean: "tinyint",
};

/** Reads the data type at `i`; returns it and the index after it (UNSIGNED, ZEROFILL, BINARY … included). */
function parseDataType(sig: Sig, sql: string, i: number, end: number): [TypeInfo & { binaryCollation: boolean; collation: string | null }, number] {
    let word = upper(sig[i]).toLowerCase();
    if (word === "" && sig[i]?.kind === "ident") word = nameOf(sig[i]).toLowerCase();
    i++;
    let national = word === "nchar" || word === "nvarchar";
    // Multi-word type names.
    if (word === "national" && isWord(sig[i], "CHAR", "CHARACTER", "VARCHAR")) {
        national = true;
        word = upper(sig[i]).toLowerCase() === "varchar" ? "varchar" : "char";
        i++;
    }
    if (word === "double" && isWord(sig[i], "PRECISION")) i++;
    if ((word === "char" || word === "character" || word === "nchar") && isWord(sig[i], "VARYING")) {
        word = "varchar";
        i++;
    }
    if (word === "nchar" && isWord(sig[i], "VARCHAR")) {
        word = "varchar";
        i++;
    }
    if (word === "long") {
        if (isWord(sig[i], "VARBINARY")) {
            word = "mediumblob";
            i++;
        } else {
            if (isWord(sig[i], "VARCHAR")) i++;
            else if (isWord(sig[i], "CHAR") && isWord(sig[i + 1], "VARYING")) i += 2;
            word = "mediumtext";
        }
    }
    const bool = word === "bool" || word === "boolean";
    let dataType = synonyms[word] ?? word;
    const serial = dataType === "serial";
    if (serial) dataType = "bigint";

    // Arguments: (n), (m, d), or ENUM/SET members.
    let args: number[] = [];
    let enumValues: string[] | null = null;
    if (isPunct(sig[i], "(")) {
        const c = closing(sig, i, end);
        const stop = c < 0 ? end - 1 : c;
        if (dataType === "enum" || dataType === "set") {
            enumValues = parseEnumMembers(`${dataType}${sql.slice(sig[i].start, sig[stop].end)}`);
        } else {
            args = sig.slice(i + 1, stop).filter((t) => t.kind === "number").map((t) => Number(t.text));
        }
        i = stop + 1;
    }
    let unsigned = serial;
    let zerofill = false;
    let binaryCollation = false;
    let charset: string | null = national ? "utf8mb3" : null;
    for (;;) {
        if (isWord(sig[i], "UNSIGNED")) unsigned = true;
        else if (isWord(sig[i], "SIGNED")) unsigned = false;
        else if (isWord(sig[i], "ZEROFILL")) (zerofill = true), (unsigned = true);
        else if (isWord(sig[i], "BINARY")) binaryCollation = true;
        else if (isWord(sig[i], "ASCII")) charset = "latin1";
        else if (isWord(sig[i], "UNICODE")) charset = "ucs2";
        else if (isWord(sig[i], "BYTE")) charset = "binary";
        else break;
        i++;
    }

    // FLOAT(p): single precision up to 24 bits, double above.
    if (dataType === "float" && args.length === 1) {
        dataType = args[0] > 24 ? "double" : "float";
        args = [];
    }
    if (bool) args = [1];
    const u = unsigned ? " unsigned" : "";
    const z = zerofill ? " zerofill" : "";
    const info: TypeInfo = {
        dataType, columnType: dataType, unsigned, maxLength: null, numericPrecision: null, numericScale: null,
        datetimePrecision: null, enumValues, charset, isJson: dataType === "json", serial,
    };
    if (dataType in integerPrecision) {
        info.columnType = `${dataType}${args.length ? `(${args[0]})` : ""}${u}${z}`;
        info.numericPrecision = dataType === "bigint" && unsigned ? 20 : integerPrecision[dataType];
        info.numericScale = 0;
    } else if (dataType === "decimal") {
        const p = args[0] ?? 10;
        const s = args[1] ?? 0;
        info.columnType = `decimal(${p},${s})${u}${z}`;
        info.numericPrecision = p;
        info.numericScale = s;
    } else if (dataType === "float" || dataType === "double") {
        info.columnType = `${dataType}${args.length === 2 ? `(${args[0]},${args[1]})` : ""}${u}${z}`;
        info.numericPrecision = args.length === 2 ? args[0] : dataType === "float" ? 12 : 22;
        info.numericScale = args.length === 2 ? args[1] : null;
    } else if (dataType === "bit") {
        const n = args[0] ?? 1;
        info.columnType = `bit(${n})`;
        info.numericPrecision = n;
    } else if (dataType === "year") {
        info.columnType = args.length ? `year(${args[0]})` : "year";
    } else if (dataType === "datetime" || dataType === "timestamp" || dataType === "time") {
        info.datetimePrecision = args[0] ?? 0;
        info.columnType = args[0] ? `${dataType}(${args[0]})` : dataType;
    } else if (dataType === "char" || dataType === "varchar" || dataType === "binary" || dataType === "varbinary") {
        const n = args[0] ?? (dataType === "char" || dataType === "binary" ? 1 : null);
        info.maxLength = n;
        info.columnType = n === null ? dataType : `${dataType}(${n})`;
    } else if (dataType === "text" || dataType === "blob") {
        // TEXT(M)/BLOB(M): the smallest type that holds M characters (bytes).
        if (args.length) {
            const n = args[0];
            const size = n < 256 ? "tiny" : n < 65536 ? "" : n < 16777216 ? "medium" : "long";
            info.dataType = `${size}${dataType}`;
        }
        info.columnType = info.dataType;
        info.maxLength = textLengths[info.dataType];
    } else if (dataType in textLengths) {
        info.maxLength = textLengths[dataType];
    } else if (dataType === "enum" || dataType === "set") {
        const members = enumValues ?? [];
        info.columnType = `${dataType}(${members.map(quoteString).join(",")})`;
        info.maxLength = members.length === 0 ? 0
            : dataType === "enum" ? Math.max(...members.map((m) => [...m].length))
            : members.reduce((n, m) => n + [...m].length, 0) + members.length - 1;
    } else if (dataType === "json") {
        info.columnType = "json";
    } else {
        // geometry, point, uuid, inet6, vector(…), …: as written.
        info.columnType = args.length ? `${dataType}(${args.join(",")})` : dataType;
    }
    return [{ ...info, binaryCollation, collation: null }, i];
}

/** CHARACTER SET binary turns character types into their binary counterparts. */
function binaryCounterpart(t: TypeInfo): void {
    const to: Record<string, string> = { char: "binary", varchar: "varbinary", tinytext: "tinyblob", text: "blob", mediumtext: "mediumblob", longtext: "longblob" };
    const b = to[t.dataType];
    if (!b) return;
    t.columnType = t.columnType.replace(t.dataType, b);
    t.dataType = b;
    t.charset = null;
}

/** Words that end a DEFAULT / ON UPDATE expression in a column definition. */
const attributeWords = new Set([
    "NOT", "NULL", "DEFAULT", "AUTO_INCREMENT", "UNIQUE", "PRIMARY", "KEY", "COMMENT", "COLLATE", "CHARACTER", "CHARSET",
    "COLUMN_FORMAT", "STORAGE", "ON", "GENERATED", "AS", "VIRTUAL", "STORED", "PERSISTENT", "INVISIBLE", "VISIBLE", "CHECK",
    "CONSTRAINT", "REFERENCES", "COMPRESSED", "SRID", "ENGINE_ATTRIBUTE", "SECONDARY_ENGINE_ATTRIBUTE", "WITH", "WITHOUT",
    "FIRST", "AFTER", "SERIAL",
]);

/** An operand-and-operators expression (DEFAULT 1 + 1, DEFAULT -1, DEFAULT _utf8mb4'x', DEFAULT now(6)); returns the end. */
function expressionEnd(sig: Sig, i: number, end: number): number {
    const operand = (j: number): number => {
        if (j >= end) return j;
        const t = sig[j];
        if (isPunct(t, "(")) {
            const c = closing(sig, j, end);
            return c < 0 ? end : c + 1;
        }
        if (isPunct(t, ".") && sig[j + 1]?.kind === "number" && sig[j + 1].start === t.end) return j + 2; // .5
        if (isPunct(t, "-") || isPunct(t, "+") || isPunct(t, "~") || isPunct(t, "!")) return operand(j + 1);
        if (t.kind === "word" && sig[j + 1]?.kind === "string" && sig[j + 1].start === t.end) return j + 2; // _utf8mb4'x', b'1', x'0A', N'x'
        if (isWord(t, "DATE", "TIME", "TIMESTAMP") && sig[j + 1]?.kind === "string") return j + 2;
        if ((t.kind === "word" || t.kind === "ident") && isPunct(sig[j + 1], "(")) {
            const c = closing(sig, j + 1, end);
            return c < 0 ? end : c + 1;
        }
        return j + 1;
    };
    let j = operand(i);
    const ops = ["+", "-", "*", "/", "%", "|", "&", "^", "<", ">"];
    const isOp = (t: Token | undefined) => t !== undefined && t.kind === "punct" && ops.includes(t.text);
    while (j < end && isOp(sig[j])) {
        let k = j + 1;
        while (k < end && isOp(sig[k]) && sig[k].start === sig[k - 1].end) k++; // << >> ||
        if (k >= end || attributeWords.has(upper(sig[k]))) break;
        j = operand(k);
    }
    return j;
}

const currentTimestamp = /^(current_timestamp|now|localtime|localtimestamp)\s*(\(\s*(\d*)\s*\))?$/i;
const numberLiteral = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const numericTypes = new Set(["tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float", "double", "year"]);

/**
 * A DEFAULT expression as written, in the MariaDB ≥10.2.7 information_schema format that
 * SourceColumn.defaultValue uses: string literals quoted (numbers bare for numeric
 * columns, as the server converts them), NULL as NULL, CURRENT_TIMESTAMP and its synonyms
 * as current_timestamp(n), other expressions as written without enclosing parentheses.
 */
export function normalizeDefault(raw: string, col: Pick<SourceColumn, "dataType" | "numericScale">): string {
    let text = raw.trim();
    while (isWrappedInParens(text)) text = text.slice(1, -1).trim();
    if (/^null$/i.test(text)) return "NULL";
    if (/^true$/i.test(text)) return "1";
    if (/^false$/i.test(text)) return "0";
    const ts = currentTimestamp.exec(text);
    if (ts) return `current_timestamp(${ts[3] && Number(ts[3]) > 0 ? Number(ts[3]) : ""})`;
    if (/^(curdate\s*\(\s*\)|current_date(\s*\(\s*\))?)$/i.test(text)) return "curdate()";
    const sig = significant(text);
    let literal: string | null = null;
    if (sig.length === 1 && sig[0].kind === "string") literal = decodeStringLiteral(sig[0].text);
    else if (sig.length === 2 && sig[1].kind === "string" && (/^(_\w+|n)$/i.test(sig[0].text) || isWord(sig[0], "DATE", "TIME", "TIMESTAMP"))) {
        literal = decodeStringLiteral(sig[1].text);
    }
    const numeric = numericTypes.has(col.dataType);
    if (literal !== null) {
        if (numeric && numberLiteral.test(literal.trim())) return formatNumber(literal.trim(), col);
        return quoteString(literal);
    }
    const compact = text.replace(/\s+/g, "");
    if (numberLiteral.test(compact)) {
        if (numeric) return formatNumber(compact, col);
        // A string column converts a number default to its text.
        return hasCharset(col.dataType) ? quoteString(compact.replace(/^\+/, "")) : compact.replace(/^\+/, "");
    }
    if (/^(b'[01]*'|x'[0-9a-f]*'|0x[0-9a-f]+|0b[01]+)$/i.test(compact)) return compact;
    return text;
}

function formatNumber(n: string, col: Pick<SourceColumn, "dataType" | "numericScale">): string {
    const s = n.replace(/^\+/, "");
    if (col.dataType === "decimal" && /^-?\d*(\.\d*)?$/.test(s) && col.numericScale !== null) {
        // DECIMAL defaults read back with the column's scale (0 → 0.00).
        const [int, frac = ""] = s.split(".");
        const digits = frac.slice(0, col.numericScale).padEnd(col.numericScale, "0");
        return `${int === "" || int === "-" ? int + "0" : int}${col.numericScale > 0 ? `.${digits}` : ""}`;
    }
    return s;
}

/** ON UPDATE clause as information_schema's EXTRA shows it (MariaDB): on update current_timestamp(n). */
function onUpdateExtra(raw: string): string {
    const m = currentTimestamp.exec(raw.trim());
    return m ? `on update current_timestamp(${m[3] && Number(m[3]) > 0 ? Number(m[3]) : ""})` : `on update ${raw.trim()}`;
}

/** The column of a definition text (`int unsigned NOT NULL DEFAULT 0 COMMENT 'x'`). */
export function columnFromDefinition(name: string, definitionText: string): SourceColumn {
    return parseColumnDefinition(name, definitionText).column;
}

/** A column definition (what follows the name in CREATE TABLE or ADD COLUMN) with its inline keys and checks. */
export function parseColumnDefinition(name: string, definitionText: string): ColumnDefinition {
    const sql = definitionText;
    const sig = significant(sql);
    const end = sig.length;
    const [type, afterType] = parseDataType(sig, sql, 0, end);
    let nullable: boolean | null = type.serial ? false : null;
    let rawDefault: string | null = null;
    let autoIncrement = type.serial;
    let inlineKey: ColumnDefinition["inlineKey"] = type.serial ? "unique" : null;
    let comment = "";
    let collation: string | null = null;
    let charset = type.charset;
    let onUpdate: string | null = null;
    let generation: string | null = null;
    let stored = false;
    let invisible = false;
    let check: string | null = null;
    let references: string | null = null;
    const removed: [number, number][] = [];
    const expressions: [number, number][] = [];
    let binaryCollation = type.binaryCollation;

    let i = afterType;
    while (i < end) {
        const w = upper(sig[i]);
        if (w === "NOT" && isWord(sig[i + 1], "NULL")) {
            nullable = false;
            i += 2;
        } else if (w === "NULL") {
            nullable = true;
            i++;
        } else if (w === "SERIAL" && isWord(sig[i + 1], "DEFAULT") && isWord(sig[i + 2], "VALUE")) {
            nullable = false;
            autoIncrement = true;
            inlineKey ??= "unique";
            i += 3;
        } else if (w === "DEFAULT") {
            const e = expressionEnd(sig, i + 1, end);
            if (e > i + 1) {
                rawDefault = sliceText(sql, sig, i + 1, e);
                expressions.push([sig[i + 1].start, sig[e - 1].end]);
            }
            i = Math.max(e, i + 1);
        } else if (w === "AUTO_INCREMENT") {
            autoIncrement = true;
            i++;
        } else if (w === "UNIQUE") {
            const j = isWord(sig[i + 1], "KEY") ? i + 2 : i + 1;
            if (inlineKey !== "primary") inlineKey = "unique";
            removed.push([sig[i].start, sig[j - 1].end]);
            i = j;
        } else if ((w === "PRIMARY" && isWord(sig[i + 1], "KEY")) || w === "KEY") {
            const j = w === "KEY" ? i + 1 : i + 2;
            inlineKey = "primary";
            removed.push([sig[i].start, sig[j - 1].end]);
            i = j;
        } else if (w === "COMMENT" && sig[i + 1]?.kind === "string") {
            comment = decodeStringLiteral(sig[i + 1].text);
            i += 2;
        } else if (w === "COLLATE") {
            const [v, j] = optionValue(sig, sql, i + 1, end);
            collation = unquoteIdent(v).replace(/^['"]|['"]$/g, "").toLowerCase();
            i = j;
        } else if ((w === "CHARACTER" && isWord(sig[i + 1], "SET")) || w === "CHARSET") {
            const [v, j] = optionValue(sig, sql, w === "CHARSET" ? i + 1 : i + 2, end);
            charset = unquoteIdent(v).replace(/^['"]|['"]$/g, "").toLowerCase();
            i = j;
        } else if (w === "ON" && isWord(sig[i + 1], "UPDATE")) {
            const e = expressionEnd(sig, i + 2, end);
            if (e > i + 2) {
                onUpdate = sliceText(sql, sig, i + 2, e);
                expressions.push([sig[i + 2].start, sig[e - 1].end]);
            }
            i = Math.max(e, i + 2);
        } else if (w === "GENERATED" || (w === "AS" && isPunct(sig[i + 1], "("))) {
            let j = i;
            if (w === "GENERATED") j = isWord(sig[i + 1], "ALWAYS") ? i + 2 : i + 1;
            if (isWord(sig[j], "AS") && isPunct(sig[j + 1], "(")) {
                const c = closing(sig, j + 1, end);
                if (c > 0) {
                    generation = sql.slice(sig[j + 1].end, sig[c].start).trim();
                    expressions.push([sig[j + 1].end, sig[c].start]);
                    j = c + 1;
                } else j = end;
            }
            i = Math.max(j, i + 1);
        } else if (w === "VIRTUAL") {
            stored = false;
            i++;
        } else if (w === "STORED" || w === "PERSISTENT") {
            stored = true;
            i++;
        } else if (w === "INVISIBLE") {
            invisible = true;
            i++;
        } else if (w === "VISIBLE") {
            invisible = false;
            i++;
        } else if (w === "CONSTRAINT" || w === "CHECK") {
            let j = w === "CONSTRAINT" ? i + 1 : i;
            if (!isWord(sig[j], "CHECK") && isName(sig[j])) j++;
            if (isWord(sig[j], "CHECK") && isPunct(sig[j + 1], "(")) {
                const c = closing(sig, j + 1, end);
                if (c > 0) {
                    check = sql.slice(sig[j + 1].end, sig[c].start).trim();
                    expressions.push([sig[j + 1].end, sig[c].start]);
                    j = c + 1;
                    if (isWord(sig[j], "NOT") && isWord(sig[j + 1], "ENFORCED")) j += 2;
                    else if (isWord(sig[j], "ENFORCED")) j++;
                } else j = end;
            }
            i = Math.max(j, i + 1);
        } else if (w === "REFERENCES") {
            let j = i + 1;
            const t = tableRefAt(sig, j, "");
            if (t) j = t[1];
            if (isPunct(sig[j], "(")) j = closing(sig, j, end) + 1 || end;
            for (;;) {
                if (isWord(sig[j], "MATCH")) j += 2;
                else if (isWord(sig[j], "ON") && isWord(sig[j + 1], "DELETE", "UPDATE")) {
                    j += 2;
                    j += isWord(sig[j], "SET", "NO") ? 2 : 1;
                } else break;
            }
            j = Math.min(j, end);
            references = sliceText(sql, sig, i, j);
            removed.push([sig[i].start, sig[j - 1].end]);
            i = j;
        } else if (w === "COLUMN_FORMAT" || w === "STORAGE" || w === "SRID") {
            i += 2;
        } else if (w === "ENGINE_ATTRIBUTE" || w === "SECONDARY_ENGINE_ATTRIBUTE" || w === "COMPRESSED") {
            const [, j] = isPunct(sig[i + 1], "=") || sig[i + 1]?.kind === "string" ? optionValue(sig, sql, i + 1, end) : ["", i + 1];
            i = j;
        } else {
            // WITH/WITHOUT SYSTEM VERSIONING and anything else: kept in the text, not modelled.
            i++;
        }
    }
    if (charset === "binary") {
        binaryCounterpart(type);
        charset = null;
        collation = null;
    }
    if (!hasCharset(type.dataType) || type.isJson) {
        charset = null;
        collation = null;
        binaryCollation = false;
    } else if (charset === null && collation !== null) {
        charset = collation.split("_")[0];
    }
    if (binaryCollation && charset !== null && collation === null) {
        collation = `${charset}_bin`;
        binaryCollation = false;
    }
    if (inlineKey === "primary") nullable = false;
    const isNullable = nullable ?? true;
    const extra: string[] = [];
    if (autoIncrement) extra.push("auto_increment");
    if (onUpdate !== null) extra.push(onUpdateExtra(onUpdate));
    if (generation !== null) extra.push(stored ? "STORED GENERATED" : "VIRTUAL GENERATED");
    if (invisible) extra.push("INVISIBLE");

    let defaultValue: string | null;
    if (generation !== null) defaultValue = null;
    else if (rawDefault !== null) defaultValue = normalizeDefault(rawDefault, type);
    else defaultValue = isNullable && !autoIncrement ? "NULL" : null;
    if (defaultValue === "NULL" && !isNullable) defaultValue = null;

    // The definition without inline keys and REFERENCES; expression offsets moved to match.
    let definition = "";
    let at = 0;
    const shift: { at: number; by: number }[] = [];
    for (const [s, e] of removed.sort((a, b) => a[0] - b[0])) {
        definition += sql.slice(at, s);
        shift.push({ at: e, by: e - s });
        at = e;
    }
    definition += sql.slice(at);
    const moved = (pos: number) => pos - shift.filter((s) => s.at <= pos).reduce((n, s) => n + s.by, 0);
    const collapsed = collapseSpaces(definition, expressions.map(([s, e]) => [moved(s), moved(e)] as [number, number]));

    const column: SourceColumn = {
        name,
        ordinal: 0,
        dataType: type.dataType,
        columnType: type.columnType,
        nullable: isNullable,
        defaultValue,
        extra: extra.join(" "),
        generationExpression: generation,
        unsigned: type.unsigned,
        maxLength: type.maxLength,
        numericPrecision: type.numericPrecision,
        numericScale: type.numericScale,
        datetimePrecision: type.datetimePrecision,
        charset,
        collation,
        enumValues: type.enumValues,
        comment,
        invisible,
        isJson: type.isJson,
    };
    return { column, inlineKey, check, references, definition: collapsed.text, expressions: collapsed.ranges, binaryCollation };
}

/** Trims and collapses runs of whitespace left by removed words (outside the given ranges and literals), moving the ranges along. */
function collapseSpaces(text: string, ranges: [number, number][]): { text: string; ranges: [number, number][] } {
    const tokens = lexSql(text);
    let out = "";
    const map: number[] = [];
    let prevSpace = true;
    for (const t of tokens) {
        for (let k = t.start; k < t.end; k++) map[k] = out.length + (t.kind === "space" ? 0 : k - t.start);
        if (t.kind === "space") {
            if (!prevSpace) out += " ";
            prevSpace = true;
        } else {
            out += t.text;
            prevSpace = false;
        }
    }
    map[text.length] = out.length;
    const trimmed = out.replace(/\s+$/, "");
    return { text: trimmed, ranges: ranges.map(([s, e]) => [map[s] ?? 0, Math.min(map[e] ?? trimmed.length, trimmed.length)]) };
}

// ---------------------------------------------------------------------------------------
// Index and constraint bodies

/** Key parts `(a(10), b DESC)` at `open`; null for functional parts ((expr)), which SourceIndex cannot hold. */
function keyParts(sig: Sig, open: number, end: number): [SourceIndex["columns"] | null, number] {
    const c = closing(sig, open, end);
    if (c < 0) return [null, end];
    const parts: SourceIndex["columns"] = [];
    for (const [s, e] of splitTopLevel(sig, open + 1, c)) {
        if (!isName(sig[s])) return [null, c + 1];
        let prefixLength: number | null = null;
        let j = s + 1;
        if (isPunct(sig[j], "(") && sig[j + 1]?.kind === "number" && isPunct(sig[j + 2], ")")) {
            prefixLength = Number(sig[j + 1].text);
            j += 3;
        }
        let descending = false;
        if (isWord(sig[j], "DESC")) (descending = true), j++;
        else if (isWord(sig[j], "ASC")) j++;
        if (j !== e) return [null, c + 1];
        parts.push({ name: nameOf(sig[s]), prefixLength, descending });
    }
    return [parts, c + 1];
}

interface IndexBody {
    name: string | null;
    using: string | null;
    columns: SourceIndex["columns"] | null;
    comment: string | null;
    /** Options other than USING as written. */
    options: string;
    end: number;
}

/** `[name] [USING type] (parts) [options]` starting at i. */
function indexBody(sig: Sig, sql: string, i: number, end: number): IndexBody {
    let name: string | null = null;
    let using: string | null = null;
    if (isName(sig[i]) && !isWord(sig[i], "USING", "TYPE") && !isPunct(sig[i + 1], ".")) {
        name = nameOf(sig[i]);
        i++;
    }
    if (isWord(sig[i], "USING", "TYPE")) {
        using = upper(sig[i + 1]);
        i += 2;
    }
    if (!isPunct(sig[i], "(")) return { name, using, columns: null, comment: null, options: "", end };
    const [columns, after] = keyParts(sig, i, end);
    i = after;
    let comment: string | null = null;
    const opts: string[] = [];
    while (i < end) {
        if (isWord(sig[i], "USING", "TYPE")) {
            using = upper(sig[i + 1]);
            i += 2;
            continue;
        }
        const start = i;
        if (isWord(sig[i], "COMMENT") && sig[i + 1]?.kind === "string") {
            comment = decodeStringLiteral(sig[i + 1].text);
            i += 2;
        } else if (isWord(sig[i], "KEY_BLOCK_SIZE", "ENGINE_ATTRIBUTE", "SECONDARY_ENGINE_ATTRIBUTE", "CLUSTERING")) {
            i = optionValue(sig, sql, i + 1, end)[1];
        } else if (isWord(sig[i], "WITH") && isWord(sig[i + 1], "PARSER")) {
            i += 3;
        } else if (isWord(sig[i], "NOT") && isWord(sig[i + 1], "IGNORED")) {
            i += 2;
        } else {
            i++;
        }
        opts.push(sliceText(sql, sig, start, i));
    }
    return { name, using, columns, comment, options: opts.join(" "), end: i };
}

const refRule = (sig: Sig, j: number): [string, number] => {
    if (isWord(sig[j], "SET") && isWord(sig[j + 1], "NULL", "DEFAULT")) return [`SET ${upper(sig[j + 1])}`, j + 2];
    if (isWord(sig[j], "NO") && isWord(sig[j + 1], "ACTION")) return ["NO ACTION", j + 2];
    return [upper(sig[j]) || "RESTRICT", j + 1];
};

// ---------------------------------------------------------------------------------------
// ALTER TABLE

/** The position clause at the end of an ADD/CHANGE/MODIFY column clause, and where the definition ends. */
function positionAt(sig: Sig, from: number, end: number): [ColumnPosition, number] {
    if (end - 1 >= from && isWord(sig[end - 1], "FIRST")) return [{ first: true }, end - 1];
    if (end - 2 >= from && isWord(sig[end - 2], "AFTER") && isName(sig[end - 1])) return [{ after: nameOf(sig[end - 1]) }, end - 2];
    return [null, end];
}

const tableOptionWords = new Set([
    "ENGINE", "TYPE", "AUTO_INCREMENT", "AVG_ROW_LENGTH", "CHECKSUM", "TABLE_CHECKSUM", "COMMENT", "COMPRESSION", "CONNECTION",
    "DELAY_KEY_WRITE", "ENCRYPTION", "ENCRYPTED", "ENCRYPTION_KEY_ID", "INSERT_METHOD", "KEY_BLOCK_SIZE", "MAX_ROWS", "MIN_ROWS",
    "PACK_KEYS", "PAGE_CHECKSUM", "PAGE_COMPRESSED", "PAGE_COMPRESSION_LEVEL", "PASSWORD", "ROW_FORMAT", "STATS_AUTO_RECALC",
    "STATS_PERSISTENT", "STATS_SAMPLE_PAGES", "TABLESPACE", "TRANSACTIONAL", "UNION", "IETF_QUOTES", "SECONDARY_ENGINE",
    "ENGINE_ATTRIBUTE", "SECONDARY_ENGINE_ATTRIBUTE", "AUTOEXTEND_SIZE", "STORAGE", "ALGORITHM", "LOCK", "SEQUENCE",
]);

/** Reads table options (ENGINE=x COMMENT 'y' …) from i; returns them and where they stop. */
function tableOptions(sig: Sig, sql: string, i: number, end: number): [{ name: string; value: string }[], number] {
    const out: { name: string; value: string }[] = [];
    while (i < end) {
        const w = upper(sig[i]);
        if (w === "DEFAULT" && isWord(sig[i + 1], "CHARSET", "CHARACTER", "COLLATE")) {
            i++;
            continue;
        }
        if (w === "CHARACTER" && isWord(sig[i + 1], "SET")) {
            const [v, j] = optionValue(sig, sql, i + 2, end);
            out.push({ name: "CHARSET", value: v });
            i = j;
        } else if (w === "CHARSET" || w === "COLLATE") {
            const [v, j] = optionValue(sig, sql, i + 1, end);
            out.push({ name: w, value: v });
            i = j;
        } else if ((w === "DATA" || w === "INDEX") && isWord(sig[i + 1], "DIRECTORY")) {
            const [v, j] = optionValue(sig, sql, i + 2, end);
            out.push({ name: `${w} DIRECTORY`, value: v });
            i = j;
        } else if (tableOptionWords.has(w)) {
            const [v, j] = optionValue(sig, sql, i + 1, end);
            out.push({ name: w === "TYPE" ? "ENGINE" : w, value: v });
            i = j;
        } else if (w === "FORCE") {
            out.push({ name: "FORCE", value: "" });
            i++;
        } else if ((w === "ENABLE" || w === "DISABLE") && isWord(sig[i + 1], "KEYS")) {
            out.push({ name: `${w} KEYS`, value: "" });
            i += 2;
        } else if ((w === "WITH" || w === "WITHOUT") && isWord(sig[i + 1], "VALIDATION")) {
            out.push({ name: `${w} VALIDATION`, value: "" });
            i += 2;
        } else if (w === "ORDER" && isWord(sig[i + 1], "BY")) {
            // ORDER BY a, b runs to the end of the clause.
            out.push({ name: "ORDER BY", value: sliceText(sql, sig, i + 2, end) });
            i = end;
        } else if (isPunct(sig[i], ",")) {
            i++;
        } else {
            break;
        }
    }
    return [out, i];
}

const dataChangingPartitionOps = new Set(["DROP", "TRUNCATE", "EXCHANGE", "DISCARD", "IMPORT", "CONVERT"]);

/**
 * Parses ALTER TABLE. `defaultDb` is the session's database from the query event, used for
 * unqualified names. Throws DdlParseError for a statement that is not ALTER TABLE.
 */
export function parseAlterTable(sql: string, defaultDb: string): ParsedAlter {
    const text = unwrapExecutableComments(sql);
    const sig = significant(text);
    if (!isWord(sig[0], "ALTER")) throw new DdlParseError(sql, "not an ALTER TABLE statement");
    let i = 1;
    let ignore = false;
    while (isWord(sig[i], "ONLINE", "OFFLINE", "IGNORE")) {
        if (isWord(sig[i], "IGNORE")) ignore = true;
        i++;
    }
    if (!isWord(sig[i], "TABLE")) throw new DdlParseError(sql, "not an ALTER TABLE statement");
    let ifExists: boolean;
    [ifExists, i] = skipIf(sig, i + 1, false);
    const t = tableRefAt(sig, i, defaultDb);
    if (!t) throw new DdlParseError(sql, "no table name after ALTER TABLE");
    i = t[1];
    if (isWord(sig[i], "WAIT") && sig[i + 1]?.kind === "number") i += 2;
    else if (isWord(sig[i], "NOWAIT")) i++;

    const actions: AlterAction[] = [];
    for (const [s, e] of mergePartitionLists(sig, splitTopLevel(sig, i, sig.length))) parseClause(sig, text, s, e, t[0].database, actions);
    return { table: t[0], actions, ignore, ifExists, sql };
}

/** `DROP PARTITION p0, p1` (and TRUNCATE, ANALYZE … PARTITION): the names after commas belong to the clause. */
function mergePartitionLists(sig: Sig, ranges: [number, number][]): [number, number][] {
    const out: [number, number][] = [];
    for (const r of ranges) {
        const prev = out[out.length - 1];
        const listing = prev && isWord(sig[prev[0] + 1], "PARTITION") && isWord(sig[prev[0]], "DROP", "TRUNCATE", "ANALYZE", "CHECK", "OPTIMIZE", "REBUILD", "REPAIR", "DISCARD", "IMPORT");
        const name = isName(sig[r[0]]) && (r[1] === r[0] + 1 || (r[1] === r[0] + 2 && isWord(sig[r[0] + 1], "TABLESPACE")));
        if (listing && name) prev[1] = r[1];
        else out.push([r[0], r[1]]);
    }
    return out;
}

function parseClause(sig: Sig, sql: string, s: number, e: number, db: string, out: AlterAction[]): void {
    const text = sliceText(sql, sig, s, e);
    const unsupported = (reason: string): void => void out.push({ kind: "unsupported", text, reason });
    const w = upper(sig[s]);

    // Table options, possibly followed (without a comma) by a partition clause.
    if (tableOptionWords.has(w) || ["DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "FORCE", "ENABLE", "DISABLE", "ORDER", "DATA", "INDEX", "WITH", "WITHOUT"].includes(w)) {
        const [opts, j] = tableOptions(sig, sql, s, e);
        if (opts.length > 0) {
            out.push({ kind: "table-options", text: sliceText(sql, sig, s, j), options: opts });
            if (j < e) parseClause(sig, sql, j, e, db, out);
            return;
        }
    }
    switch (w) {
        case "ADD":
            return parseAdd(sig, sql, s, e, text, db, out);
        case "DROP":
            return parseDrop(sig, s, e, text, out);
        case "CHANGE":
        case "MODIFY": {
            let j = s + 1;
            if (isWord(sig[j], "COLUMN")) j++;
            let ifExists: boolean;
            [ifExists, j] = skipIf(sig, j, false);
            if (!isName(sig[j])) return unsupported(`cannot read ${w} clause`);
            const from = nameOf(sig[j]);
            let name = from;
            if (w === "CHANGE") {
                if (!isName(sig[j + 1])) return unsupported("cannot read CHANGE clause");
                name = nameOf(sig[j + 1]);
                j++;
            }
            j++;
            const [position, defEnd] = positionAt(sig, j, e);
            if (defEnd <= j) return unsupported(`${w} without a column definition`);
            const def = parseColumnDefinition(name, sliceText(sql, sig, j, defEnd));
            out.push({
                kind: "change-column", text, from, column: def.column, definition: def.definition, expressions: def.expressions,
                position, ifExists, modify: w === "MODIFY", binaryCollation: def.binaryCollation, check: def.check,
            });
            pushInlineExtras(def, name, text, db, out);
            return;
        }
        case "ALTER": {
            let j = s + 1;
            if (isWord(sig[j], "INDEX", "KEY", "CHECK", "CONSTRAINT") && isName(sig[j + 1])) {
                return void out.push({ kind: "alter-index", text, name: nameOf(sig[j + 1]) });
            }
            if (isWord(sig[j], "COLUMN")) j++;
            let ifExists: boolean;
            [ifExists, j] = skipIf(sig, j, false);
            void ifExists;
            if (!isName(sig[j])) return unsupported("cannot read ALTER COLUMN clause");
            const name = nameOf(sig[j]);
            j++;
            if (isWord(sig[j], "SET") && isWord(sig[j + 1], "DEFAULT") && j + 2 < e) {
                return void out.push({ kind: "alter-column-default", text, name, default: sliceText(sql, sig, j + 2, e) });
            }
            if (isWord(sig[j], "DROP") && isWord(sig[j + 1], "DEFAULT") && j + 2 === e) {
                return void out.push({ kind: "alter-column-default", text, name, default: null });
            }
            if (isWord(sig[j], "SET") && isWord(sig[j + 1], "VISIBLE", "INVISIBLE") && j + 2 === e) {
                return void out.push({ kind: "alter-column-visibility", text, name, invisible: isWord(sig[j + 1], "INVISIBLE") });
            }
            return unsupported("unknown ALTER COLUMN clause");
        }
        case "RENAME": {
            if (isWord(sig[s + 1], "COLUMN") && isName(sig[s + 2]) && isWord(sig[s + 3], "TO") && isName(sig[s + 4]) && s + 5 === e) {
                return void out.push({ kind: "rename-column", text, from: nameOf(sig[s + 2]), to: nameOf(sig[s + 4]) });
            }
            if (isWord(sig[s + 1], "INDEX", "KEY") && isName(sig[s + 2]) && isWord(sig[s + 3], "TO") && isName(sig[s + 4]) && s + 5 === e) {
                return void out.push({ kind: "rename-index", text, from: nameOf(sig[s + 2]), to: nameOf(sig[s + 4]) });
            }
            const j = isWord(sig[s + 1], "TO", "AS") ? s + 2 : s + 1;
            const to = tableRefAt(sig, j, db);
            if (to && to[1] === e) return void out.push({ kind: "rename-table", text, to: to[0] });
            return unsupported("cannot read RENAME clause");
        }
        case "CONVERT": {
            if (isWord(sig[s + 1], "TO")) {
                let j = s + 2;
                if (isWord(sig[j], "CHARACTER") && isWord(sig[j + 1], "SET")) j += 2;
                else if (isWord(sig[j], "CHARSET")) j++;
                else return unsupported("cannot read CONVERT TO clause");
                const [cs, k] = optionValue(sig, sql, j, e);
                if (/^default$/i.test(cs)) return unsupported("CONVERT TO CHARACTER SET DEFAULT depends on the database's default charset");
                let collation: string | null = null;
                let m = k;
                if (isWord(sig[m], "COLLATE")) [collation, m] = optionValue(sig, sql, m + 1, e);
                if (m !== e) return unsupported("cannot read CONVERT TO clause");
                const clean = (v: string) => unquoteIdent(v).replace(/^['"]|['"]$/g, "").toLowerCase();
                return void out.push({ kind: "convert-charset", text, charset: clean(cs), collation: collation === null ? null : clean(collation) });
            }
            if (isWord(sig[s + 1], "PARTITION", "TABLE")) return void out.push({ kind: "partition", text, operation: "CONVERT", dataChange: true });
            return unsupported("unknown CONVERT clause");
        }
        case "PARTITION":
            if (isWord(sig[s + 1], "BY")) return void out.push({ kind: "partition", text, operation: "PARTITION BY", dataChange: false });
            return unsupported("unknown PARTITION clause");
        case "REMOVE":
            if (isWord(sig[s + 1], "PARTITIONING")) return void out.push({ kind: "partition", text, operation: "REMOVE PARTITIONING", dataChange: false });
            return unsupported("unknown REMOVE clause");
        case "TRUNCATE": case "EXCHANGE": case "COALESCE": case "REORGANIZE": case "ANALYZE": case "CHECK": case "OPTIMIZE": case "REBUILD":
        case "REPAIR": case "DISCARD": case "IMPORT": {
            const j = isWord(sig[s + 1], "PARTITION") ? s + 1 : -1;
            if (j > 0) return void out.push({ kind: "partition", text, operation: `${w} PARTITION`, dataChange: dataChangingPartitionOps.has(w) });
            if ((w === "DISCARD" || w === "IMPORT") && isWord(sig[s + 1], "TABLESPACE")) {
                return unsupported(`${w} TABLESPACE replaces the table's data outside the binary log`);
            }
            return unsupported(`unknown ${w} clause`);
        }
    }
    return unsupported("clause not recognised");
}

/** Inline keys of a column definition become their own ADD INDEX actions; inline REFERENCES a foreign key. */
function pushInlineExtras(def: ColumnDefinition, name: string, text: string, db: string, out: AlterAction[]): void {
    if (def.inlineKey !== null) {
        out.push({
            kind: "add-index", text, primary: def.inlineKey === "primary", constraintName: null, ifNotExists: false, options: "",
            index: { name: def.inlineKey === "primary" ? "PRIMARY" : "", unique: true, kind: "BTREE", columns: [{ name, prefixLength: null, descending: false }] },
        });
    }
    if (def.references !== null) {
        const sig = significant(def.references);
        const t = tableRefAt(sig, 1, db);
        let cols: string[] = [];
        let j = t ? t[1] : 1;
        if (isPunct(sig[j], "(")) {
            const c = closing(sig, j);
            cols = sig.slice(j + 1, c).filter(isName).map(nameOf);
            j = c + 1;
        }
        let onDelete = "RESTRICT";
        let onUpdate = "RESTRICT";
        while (j < sig.length) {
            if (isWord(sig[j], "ON") && isWord(sig[j + 1], "DELETE")) [onDelete, j] = refRule(sig, j + 2);
            else if (isWord(sig[j], "ON") && isWord(sig[j + 1], "UPDATE")) [onUpdate, j] = refRule(sig, j + 2);
            else j++;
        }
        out.push({
            kind: "add-foreign-key", text, ifNotExists: false,
            foreignKey: { name: "", columns: [name], referencedDatabase: t?.[0].database ?? "", referencedTable: t?.[0].name ?? "", referencedColumns: cols, onDelete, onUpdate },
        });
    }
}

function parseAdd(sig: Sig, sql: string, s: number, e: number, text: string, db: string, out: AlterAction[]): void {
    const unsupported = (reason: string): void => void out.push({ kind: "unsupported", text, reason });
    let j = s + 1;
    let constraintName: string | null = null;
    if (isWord(sig[j], "CONSTRAINT")) {
        j++;
        if (isName(sig[j]) && !isWord(sig[j], "PRIMARY", "UNIQUE", "FOREIGN", "CHECK")) constraintName = nameOf(sig[j++]);
    }
    const w = upper(sig[j]);
    if (w === "PRIMARY" && isWord(sig[j + 1], "KEY")) {
        const b = indexBody(sig, sql, j + 2, e);
        if (!b.columns) return unsupported("functional key parts cannot be represented");
        return void out.push({
            kind: "add-index", text, primary: true, constraintName, ifNotExists: false, options: b.options,
            index: { name: "PRIMARY", unique: true, kind: b.using ?? "BTREE", columns: b.columns, ...(b.comment ? { comment: b.comment } : {}) },
        });
    }
    if (w === "UNIQUE" || w === "INDEX" || w === "KEY" || w === "FULLTEXT" || w === "SPATIAL") {
        let k = j + 1;
        if ((w === "UNIQUE" || w === "FULLTEXT" || w === "SPATIAL") && isWord(sig[k], "INDEX", "KEY")) k++;
        let ifNotExists: boolean;
        [ifNotExists, k] = skipIf(sig, k, true);
        const b = indexBody(sig, sql, k, e);
        if (!b.columns) return unsupported("functional key parts (expressions) cannot be represented");
        const kind = w === "FULLTEXT" || w === "SPATIAL" ? w : b.using ?? "BTREE";
        return void out.push({
            kind: "add-index", text, primary: false, constraintName, ifNotExists, options: b.options,
            index: { name: b.name ?? "", unique: w === "UNIQUE", kind, columns: b.columns, ...(b.comment ? { comment: b.comment } : {}) },
        });
    }
    if (w === "FOREIGN" && isWord(sig[j + 1], "KEY")) {
        let k = j + 2;
        let ifNotExists: boolean;
        [ifNotExists, k] = skipIf(sig, k, true);
        let indexName: string | null = null;
        if (isName(sig[k]) && !isPunct(sig[k], "(")) indexName = nameOf(sig[k++]);
        if (!isPunct(sig[k], "(")) return unsupported("cannot read FOREIGN KEY clause");
        const c = closing(sig, k, e);
        const columns = sig.slice(k + 1, c).filter(isName).map(nameOf);
        k = c + 1;
        if (!isWord(sig[k], "REFERENCES")) return unsupported("FOREIGN KEY without REFERENCES");
        const ref = tableRefAt(sig, k + 1, db);
        if (!ref) return unsupported("cannot read REFERENCES");
        k = ref[1];
        let refCols: string[] = [];
        if (isPunct(sig[k], "(")) {
            const rc = closing(sig, k, e);
            refCols = sig.slice(k + 1, rc).filter(isName).map(nameOf);
            k = rc + 1;
        }
        let onDelete = "RESTRICT";
        let onUpdate = "RESTRICT";
        while (k < e) {
            if (isWord(sig[k], "ON") && isWord(sig[k + 1], "DELETE")) [onDelete, k] = refRule(sig, k + 2);
            else if (isWord(sig[k], "ON") && isWord(sig[k + 1], "UPDATE")) [onUpdate, k] = refRule(sig, k + 2);
            else if (isWord(sig[k], "MATCH")) k += 2;
            else return unsupported("cannot read FOREIGN KEY clause");
        }
        return void out.push({
            kind: "add-foreign-key", text, ifNotExists,
            foreignKey: {
                name: constraintName ?? indexName ?? "", columns,
                referencedDatabase: ref[0].database, referencedTable: ref[0].name, referencedColumns: refCols, onDelete, onUpdate,
            },
        });
    }
    if (w === "CHECK" && isPunct(sig[j + 1], "(")) {
        const c = closing(sig, j + 1, e);
        let k = c + 1;
        if (isWord(sig[k], "NOT") && isWord(sig[k + 1], "ENFORCED")) k += 2;
        else if (isWord(sig[k], "ENFORCED")) k++;
        if (c < 0 || k !== e) return unsupported("cannot read CHECK clause");
        return void out.push({ kind: "add-check", text, name: constraintName, clause: sql.slice(sig[j + 1].end, sig[c].start).trim() });
    }
    if (constraintName !== null || isWord(sig[s + 1], "CONSTRAINT")) return unsupported("unknown constraint");
    if (w === "PARTITION") return void out.push({ kind: "partition", text, operation: "ADD PARTITION", dataChange: false });
    if (w === "PERIOD" || (w === "SYSTEM" && isWord(sig[j + 1], "VERSIONING"))) return unsupported("system versioning and periods are not migrated");

    // ADD [COLUMN] [IF NOT EXISTS] name def [FIRST | AFTER x]  or  ADD [COLUMN] (name def, …)
    if (isWord(sig[j], "COLUMN")) j++;
    let ifNotExists: boolean;
    [ifNotExists, j] = skipIf(sig, j, true);
    if (isPunct(sig[j], "(")) {
        const c = closing(sig, j, e);
        if (c < 0 || c + 1 !== e) return unsupported("cannot read ADD COLUMN list");
        for (const [a, b] of splitTopLevel(sig, j + 1, c)) {
            if (!isName(sig[a])) return unsupported("cannot read ADD COLUMN list");
            // Index definitions may appear in the list too.
            if (isWord(sig[a], "PRIMARY", "UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL", "CONSTRAINT", "FOREIGN", "CHECK") && sig[a].kind === "word") {
                const sub = sliceText(sql, sig, a, b);
                const before = out.length;
                parseAdd(significantWithAdd(sub), `ADD ${sub}`, 0, significantWithAdd(sub).length, text, db, out);
                for (let k = before; k < out.length; k++) out[k].text = text;
                continue;
            }
            const name = nameOf(sig[a]);
            const def = parseColumnDefinition(name, sliceText(sql, sig, a + 1, b));
            out.push({
                kind: "add-column", text, column: def.column, definition: def.definition, expressions: def.expressions,
                position: null, ifNotExists, binaryCollation: def.binaryCollation, check: def.check,
            });
            pushInlineExtras(def, name, text, db, out);
        }
        return;
    }
    if (!isName(sig[j])) return unsupported("cannot read ADD clause");
    const name = nameOf(sig[j]);
    const [position, defEnd] = positionAt(sig, j + 1, e);
    if (defEnd <= j + 1) return unsupported("ADD COLUMN without a definition");
    const def = parseColumnDefinition(name, sliceText(sql, sig, j + 1, defEnd));
    out.push({
        kind: "add-column", text, column: def.column, definition: def.definition, expressions: def.expressions,
        position, ifNotExists, binaryCollation: def.binaryCollation, check: def.check,
    });
    pushInlineExtras(def, name, text, db, out);
}

function significantWithAdd(sub: string): Sig {
    return significant(`ADD ${sub}`);
}

function parseDrop(sig: Sig, s: number, e: number, text: string, out: AlterAction[]): void {
    const unsupported = (reason: string): void => void out.push({ kind: "unsupported", text, reason });
    let j = s + 1;
    const w = upper(sig[j]);
    if (w === "PRIMARY" && isWord(sig[j + 1], "KEY") && j + 2 === e) return void out.push({ kind: "drop-primary-key", text });
    if (w === "INDEX" || w === "KEY") {
        let ifExists: boolean;
        [ifExists, j] = skipIf(sig, j + 1, false);
        if (isName(sig[j]) && j + 1 === e) return void out.push({ kind: "drop-index", text, name: nameOf(sig[j]), ifExists });
        return unsupported("cannot read DROP INDEX clause");
    }
    if ((w === "FOREIGN" && isWord(sig[j + 1], "KEY")) || w === "CHECK" || w === "CONSTRAINT") {
        j += w === "FOREIGN" ? 2 : 1;
        let ifExists: boolean;
        [ifExists, j] = skipIf(sig, j, false);
        if (isName(sig[j]) && j + 1 === e) {
            const constraint = w === "FOREIGN" ? "foreign-key" : w === "CHECK" ? "check" : "any";
            return void out.push({ kind: "drop-constraint", text, name: nameOf(sig[j]), constraint, ifExists });
        }
        return unsupported(`cannot read DROP ${w} clause`);
    }
    if (w === "PARTITION") return void out.push({ kind: "partition", text, operation: "DROP PARTITION", dataChange: true });
    if (w === "PERIOD" || (w === "SYSTEM" && isWord(sig[j + 1], "VERSIONING"))) return unsupported("system versioning and periods are not migrated");
    if (w === "COLUMN") j++;
    let ifExists: boolean;
    [ifExists, j] = skipIf(sig, j, false);
    if (isName(sig[j]) && (j + 1 === e || (j + 2 === e && isWord(sig[j + 1], "RESTRICT", "CASCADE")))) {
        return void out.push({ kind: "drop-column", text, name: nameOf(sig[j]), ifExists });
    }
    return unsupported("cannot read DROP clause");
}

// ---------------------------------------------------------------------------------------
// CREATE INDEX / DROP INDEX / CREATE TABLE

/**
 * CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX … ON t (…) and DROP INDEX … ON t as the equivalent
 * ALTER TABLE (one add-index or drop-index action), so one translation serves both. Null for
 * other statements.
 */
export function parseIndexStatement(sql: string, defaultDb: string): ParsedAlter | null {
    const text = unwrapExecutableComments(sql);
    const sig = significant(text);
    let i = 1;
    if (isWord(sig[0], "DROP")) {
        while (isWord(sig[i], "ONLINE", "OFFLINE")) i++;
        if (!isWord(sig[i], "INDEX")) return null;
        let ifExists: boolean;
        [ifExists, i] = skipIf(sig, i + 1, false);
        if (!isName(sig[i]) || !isWord(sig[i + 1], "ON")) return null;
        const name = nameOf(sig[i]);
        const t = tableRefAt(sig, i + 2, defaultDb);
        if (!t) return null;
        const actions: AlterAction[] = [{ kind: "drop-index", text: `DROP INDEX ${sig[i].text}`, name, ifExists }];
        const [opts] = tableOptions(sig, text, t[1], sig.length);
        if (opts.length) actions.push({ kind: "table-options", text: sliceText(text, sig, t[1], sig.length), options: opts });
        return { table: t[0], actions, ignore: false, ifExists: false, sql };
    }
    if (!isWord(sig[0], "CREATE")) return null;
    if (isWord(sig[i], "OR") && isWord(sig[i + 1], "REPLACE")) i += 2;
    while (isWord(sig[i], "ONLINE", "OFFLINE")) i++;
    let kindWord = "";
    if (isWord(sig[i], "UNIQUE", "FULLTEXT", "SPATIAL")) kindWord = upper(sig[i++]);
    if (!isWord(sig[i], "INDEX")) return null;
    let ifNotExists: boolean;
    [ifNotExists, i] = skipIf(sig, i + 1, true);
    if (!isName(sig[i])) return null;
    const name = nameOf(sig[i]);
    const nameToken = sig[i];
    i++;
    let using: string | null = null;
    if (isWord(sig[i], "USING", "TYPE")) {
        using = upper(sig[i + 1]);
        i += 2;
    }
    if (!isWord(sig[i], "ON")) return null;
    const t = tableRefAt(sig, i + 1, defaultDb);
    if (!t) return null;
    i = t[1];
    // Body: (parts) [options]; ALGORITHM/LOCK after it are table options.
    let optEnd = sig.length;
    for (let k = i; k < sig.length; k++) {
        if (isWord(sig[k], "ALGORITHM", "LOCK") && closing(sig, i) < k) {
            optEnd = k;
            break;
        }
    }
    const b = indexBody(sig, text, i, optEnd);
    const clause = `ADD ${kindWord ? kindWord + " " : ""}INDEX ${nameToken.text} ${sliceText(text, sig, i, optEnd)}`;
    const actions: AlterAction[] = [];
    if (!b.columns) {
        actions.push({ kind: "unsupported", text: clause, reason: "functional key parts (expressions) cannot be represented" });
    } else {
        actions.push({
            kind: "add-index", text: clause, primary: false, constraintName: null, ifNotExists, options: b.options,
            index: {
                name, unique: kindWord === "UNIQUE", kind: kindWord === "FULLTEXT" || kindWord === "SPATIAL" ? kindWord : b.using ?? using ?? "BTREE",
                columns: b.columns, ...(b.comment ? { comment: b.comment } : {}),
            },
        });
    }
    if (optEnd < sig.length) {
        const [opts] = tableOptions(sig, text, optEnd, sig.length);
        actions.push({ kind: "table-options", text: sliceText(text, sig, optEnd, sig.length), options: opts });
    }
    return { table: t[0], actions, ignore: false, ifExists: false, sql };
}

/**
 * A SourceTable from CREATE TABLE as the binlog carries it (column definitions, keys,
 * foreign keys, checks, table options). Null for CREATE TABLE … LIKE (the engine reads the
 * table from the source instead) and for anything that is not CREATE TABLE. String columns
 * without a charset take the table's. Row estimates are 0.
 */
export function parseCreateTable(sql: string, defaultDb: string): SourceTable | null {
    const text = unwrapExecutableComments(sql);
    const sig = significant(text);
    if (!isWord(sig[0], "CREATE")) return null;
    let i = 1;
    if (isWord(sig[i], "OR") && isWord(sig[i + 1], "REPLACE")) i += 2;
    if (isWord(sig[i], "TEMPORARY")) i++;
    if (!isWord(sig[i], "TABLE")) return null;
    [, i] = skipIf(sig, i + 1, true);
    const t = tableRefAt(sig, i, defaultDb);
    if (!t) return null;
    i = t[1];
    if (isWord(sig[i], "LIKE") || (isPunct(sig[i], "(") && isWord(sig[i + 1], "LIKE"))) return null;
    if (!isPunct(sig[i], "(")) return null;
    const close = closing(sig, i);
    if (close < 0) return null;

    let table: SourceTable = {
        database: t[0].database, name: t[0].name, columns: [], primaryKey: null, indexes: [], foreignKeys: [], checks: [],
        engine: "", charset: "", collation: "", comment: "", estimatedRows: 0, dataBytes: 0,
    };
    const [opts] = tableOptions(sig, text, close + 1, sig.length);
    table = applyTableOptions(table, opts);

    const actions: AlterAction[] = [];
    for (const [s, e] of splitTopLevel(sig, i + 1, close)) {
        const itemText = sliceText(text, sig, s, e);
        const first = sig[s];
        const keyish = first.kind === "word" && isWord(first, "PRIMARY", "UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL", "CONSTRAINT", "FOREIGN", "CHECK", "PERIOD");
        if (keyish) {
            const sub = significant(`ADD ${itemText}`);
            parseAdd(sub, `ADD ${itemText}`, 0, sub.length, itemText, t[0].database, actions);
            continue;
        }
        const name = nameOf(first);
        const def = parseColumnDefinition(name, sliceText(text, sig, s + 1, e));
        actions.push({
            kind: "add-column", text: itemText, column: def.column, definition: def.definition, expressions: def.expressions,
            position: null, ifNotExists: false, binaryCollation: def.binaryCollation, check: def.check,
        });
        pushInlineExtras(def, name, itemText, t[0].database, actions);
    }
    for (const a of actions) table = applyAlterAction(table, a).table;
    return table;
}

// ---------------------------------------------------------------------------------------
// Applying actions to the source model

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function findColumn(table: SourceTable, name: string): SourceColumn | undefined {
    return table.columns.find((c) => same(c.name, name));
}

function findIndex(table: SourceTable, name: string): SourceIndex | undefined {
    return table.indexes.find((x) => same(x.name, name));
}

function renumber(columns: SourceColumn[]): SourceColumn[] {
    return columns.map((c, k) => (c.ordinal === k + 1 ? c : { ...c, ordinal: k + 1 }));
}

/** Places `col` in `columns` (which lacks it) at `position`, or at `fallback` when null. */
function place(columns: SourceColumn[], col: SourceColumn, position: ColumnPosition, fallback: number): SourceColumn[] {
    let at = fallback;
    if (position && "first" in position) at = 0;
    else if (position && "after" in position) {
        const k = columns.findIndex((c) => same(c.name, position.after));
        at = k < 0 ? columns.length : k + 1;
    }
    const out = [...columns];
    out.splice(Math.min(at, out.length), 0, col);
    return renumber(out);
}

/** String columns without a charset take the table's (as the server does); BINARY picks the _bin collation. */
function inheritCharset(col: SourceColumn, table: SourceTable, binaryCollation: boolean): SourceColumn {
    if (!hasCharset(col.dataType) || col.isJson || col.charset !== null) return col;
    const charset = table.charset || null;
    if (charset === null) return col;
    const collation = binaryCollation ? `${charset}_bin` : table.collation && table.collation.startsWith(`${charset}_`) ? table.collation : null;
    return { ...col, charset, collation };
}

/** Column references in an expression renamed from `from` to `to` (quoted and bare). */
function renameRefs(expr: string, from: string, to: string): string {
    const tokens = lexSql(expr);
    const sigIdx = tokens.map((t, k) => (isSignificant(t) ? k : -1)).filter((k) => k >= 0);
    const replace = new Set<number>();
    sigIdx.forEach((ti, k) => {
        const t = tokens[ti];
        if (t.kind !== "ident" && t.kind !== "word") return;
        if (!same(nameOf(t), from)) return;
        const next = tokens[sigIdx[k + 1]];
        const prev = k > 0 ? tokens[sigIdx[k - 1]] : undefined;
        if (isPunct(next, "(") || isPunct(next, ".") || isPunct(prev, ".")) return;
        replace.add(ti);
    });
    return tokens.map((t, k) => (replace.has(k) ? "`" + to.replace(/`/g, "``") + "`" : t.text)).join("");
}

/**
 * Backquotes bare column references (`x > 0` → `` `x` > 0``), as the server prints
 * expressions in information_schema: the engine's expression tools (expressions.ts) read
 * quoted references only.
 */
function quoteColumnRefs(expr: string, table: SourceTable): string {
    const tokens = lexSql(expr);
    const sigIdx = tokens.map((t, k) => (isSignificant(t) ? k : -1)).filter((k) => k >= 0);
    const out = tokens.map((t) => t.text);
    sigIdx.forEach((ti, k) => {
        const t = tokens[ti];
        if (t.kind !== "word") return;
        const next = tokens[sigIdx[k + 1]];
        const prev = k > 0 ? tokens[sigIdx[k - 1]] : undefined;
        if (isPunct(next, "(") || isPunct(next, ".") || isPunct(prev, ".")) return;
        const col = findColumn(table, t.text);
        if (col) out[ti] = "`" + col.name.replace(/`/g, "``") + "`";
    });
    return out.join("");
}

function quoteColumnExpressions(col: SourceColumn, table: SourceTable): SourceColumn {
    return col.generationExpression === null ? col : { ...col, generationExpression: quoteColumnRefs(col.generationExpression, table) };
}

function mentions(expr: string, name: string): boolean {
    return lexSql(expr).some((t) => (t.kind === "ident" || t.kind === "word") && same(nameOf(t), name));
}

function renameColumnEverywhere(table: SourceTable, from: string, to: string): SourceTable {
    if (same(from, to) && from === to) return table;
    const r = (n: string) => (same(n, from) ? to : n);
    const parts = (cols: SourceIndex["columns"]) => cols.map((p) => (same(p.name, from) ? { ...p, name: to } : p));
    return {
        ...table,
        columns: table.columns.map((c) => (c.generationExpression !== null && mentions(c.generationExpression, from) ? { ...c, generationExpression: renameRefs(c.generationExpression, from, to) } : c)),
        primaryKey: table.primaryKey?.map(r) ?? null,
        ...(table.primaryKeyParts ? { primaryKeyParts: parts(table.primaryKeyParts) } : {}),
        indexes: table.indexes.map((x) => ({ ...x, columns: parts(x.columns) })),
        foreignKeys: table.foreignKeys.map((f) => ({ ...f, columns: f.columns.map(r) })),
        checks: table.checks.map((c) => ({ ...c, clause: mentions(c.clause, from) ? renameRefs(c.clause, from, to) : c.clause, ...(c.column !== undefined ? { column: r(c.column) } : {}) })),
    };
}

function dropColumnEverywhere(table: SourceTable, name: string): SourceTable {
    const keep = (cols: SourceIndex["columns"]) => cols.filter((p) => !same(p.name, name));
    const pkParts = table.primaryKeyParts ? keep(table.primaryKeyParts) : undefined;
    const pk = table.primaryKey?.filter((c) => !same(c, name)) ?? null;
    const next: SourceTable = {
        ...table,
        columns: renumber(table.columns.filter((c) => !same(c.name, name))),
        primaryKey: pk && pk.length > 0 ? pk : null,
        // MySQL removes the column from its keys and drops keys left empty.
        indexes: table.indexes.map((x) => ({ ...x, columns: keep(x.columns) })).filter((x) => x.columns.length > 0),
        foreignKeys: table.foreignKeys.filter((f) => !f.columns.some((c) => same(c, name))),
        checks: table.checks.filter((c) => !(c.column !== undefined && same(c.column, name)) && !mentions(c.clause, name)),
    };
    if (pkParts && pkParts.length > 0 && next.primaryKey) next.primaryKeyParts = pkParts;
    else delete next.primaryKeyParts;
    return next;
}

function applyTableOptions(table: SourceTable, options: { name: string; value: string }[]): SourceTable {
    const clean = (v: string) => (v.startsWith("'") || v.startsWith('"') ? decodeStringLiteral(v) : unquoteIdent(v));
    let t = table;
    for (const o of options) {
        if (o.name === "ENGINE") t = { ...t, engine: clean(o.value) };
        else if (o.name === "COMMENT") t = { ...t, comment: clean(o.value) };
        else if (o.name === "CHARSET") {
            const charset = clean(o.value).toLowerCase();
            t = { ...t, charset, collation: t.collation.startsWith(`${charset}_`) ? t.collation : "" };
        } else if (o.name === "COLLATE") {
            const collation = clean(o.value).toLowerCase();
            t = { ...t, collation, charset: collation.split("_")[0] };
        }
    }
    return t;
}

/** The index name the server gives an unnamed key: its first column, then _2, _3 … when taken. */
function autoIndexName(table: SourceTable, base: string): string {
    const taken = (n: string) => same(n, "PRIMARY") || table.indexes.some((x) => same(x.name, n));
    if (!taken(base)) return base;
    for (let k = 2; ; k++) if (!taken(`${base}_${k}`)) return `${base}_${k}`;
}

export interface AppliedAction {
    table: SourceTable;
    /** The action with what the server decides filled in (index and foreign key names, the column as placed). */
    action: AlterAction;
    /** Set when the action changes nothing on the source (IF [NOT] EXISTS that did not apply): why. */
    noop?: string;
}

/**
 * How one action changes the source table, as the server applies it: columns placed and
 * renumbered, charsets inherited from the table, renamed columns renamed in keys, checks
 * and generation expressions, dropped columns removed from keys (keys left empty dropped),
 * PRIMARY KEY columns made NOT NULL, unnamed keys named. Actions that name a column or key
 * the model lacks (and have no IF EXISTS) leave the table as it is and say so in `noop`.
 */
export function applyAlterAction(table: SourceTable, action: AlterAction): AppliedAction {
    const r = applyUnsorted(table, action);
    return r.noop !== undefined ? r : { ...r, table: sortKeys(r.table) };
}

/**
 * Keys in the order the server keeps them (and information_schema lists them, and
 * chooseKey reads them): unique keys first, those on NOT NULL columns first among them,
 * then those without prefix parts; then the others, FULLTEXT last; otherwise as created.
 */
function sortKeys(table: SourceTable): SourceTable {
    const notNull = new Set(table.columns.filter((c) => !c.nullable).map((c) => c.name.toLowerCase()));
    const rank = (x: SourceIndex) => {
        if (x.unique) return (x.columns.every((p) => notNull.has(p.name.toLowerCase())) ? 0 : 2) + (x.columns.some((p) => p.prefixLength !== null) ? 1 : 0);
        return x.kind === "FULLTEXT" ? 5 : 4;
    };
    const ranked = table.indexes.map((x, k) => ({ x, k, r: rank(x) }));
    if (ranked.every((e, k) => k === 0 || ranked[k - 1].r <= e.r)) return table;
    return { ...table, indexes: ranked.sort((a, b) => a.r - b.r || a.k - b.k).map((e) => e.x) };
}

function applyUnsorted(table: SourceTable, action: AlterAction): AppliedAction {
    const noop = (why: string): AppliedAction => ({ table, action, noop: why });
    switch (action.kind) {
        case "add-column": {
            if (findColumn(table, action.column.name)) return noop(`column ${action.column.name} already exists`);
            const col = inheritCharset(action.column, table, action.binaryCollation);
            let columns = place(table.columns, col, action.position, table.columns.length);
            columns = columns.map((c) => (c.name === col.name ? quoteColumnExpressions(c, { ...table, columns }) : c));
            const t = { ...table, columns };
            const placed = findColumn(t, col.name)!;
            const check = action.check === null ? null : quoteColumnRefs(action.check, t);
            return { table: { ...t, checks: withColumnCheck(table.checks, col.name, check) }, action: { ...action, column: placed } };
        }
        case "drop-column": {
            if (!findColumn(table, action.name)) return noop(`column ${action.name} does not exist`);
            return { table: dropColumnEverywhere(table, action.name), action };
        }
        case "change-column": {
            const old = findColumn(table, action.from);
            if (!old) return noop(`column ${action.from} does not exist`);
            let t = renameColumnEverywhere(table, old.name, action.column.name);
            const index = t.columns.findIndex((c) => same(c.name, old.name));
            let col = inheritCharset(action.column, t, action.binaryCollation);
            // Keys keep their columns NOT NULL (the server refuses NULL for primary key columns).
            if (t.primaryKey?.some((c) => same(c, col.name)) && col.nullable) col = { ...col, nullable: false, defaultValue: col.defaultValue === "NULL" ? null : col.defaultValue };
            const rest = t.columns.filter((_, k) => k !== index);
            let columns = place(rest, col, action.position, index);
            columns = columns.map((c) => (c.name === col.name ? quoteColumnExpressions(c, { ...t, columns }) : c));
            t = { ...t, columns };
            const check = action.check === null ? null : quoteColumnRefs(action.check, t);
            t = { ...t, checks: withColumnCheck(t.checks.filter((c) => !(c.column !== undefined && same(c.column, col.name))), col.name, check) };
            return { table: t, action: { ...action, from: old.name, column: findColumn(t, col.name)! } };
        }
        case "rename-column": {
            const old = findColumn(table, action.from);
            if (!old) return noop(`column ${action.from} does not exist`);
            const t = renameColumnEverywhere(table, old.name, action.to);
            return { table: { ...t, columns: t.columns.map((c) => (c === old || same(c.name, old.name) ? { ...c, name: action.to } : c)) }, action: { ...action, from: old.name } };
        }
        case "alter-column-default": {
            const old = findColumn(table, action.name);
            if (!old) return noop(`column ${action.name} does not exist`);
            const defaultValue = action.default === null ? null : normalizeDefault(action.default, old);
            return { table: { ...table, columns: table.columns.map((c) => (c === old ? { ...c, defaultValue } : c)) }, action: { ...action, name: old.name } };
        }
        case "alter-column-visibility": {
            const old = findColumn(table, action.name);
            if (!old) return noop(`column ${action.name} does not exist`);
            const extra = action.invisible
                ? (/\bINVISIBLE\b/i.test(old.extra) ? old.extra : `${old.extra} INVISIBLE`.trim())
                : old.extra.replace(/\s*\bINVISIBLE\b/i, "").trim();
            return { table: { ...table, columns: table.columns.map((c) => (c === old ? { ...c, invisible: action.invisible, extra } : c)) }, action: { ...action, name: old.name } };
        }
        case "add-index": {
            if (action.primary) {
                if (table.primaryKey) return noop("the table already has a primary key");
                const names = action.index.columns.map((p) => findColumn(table, p.name)?.name ?? p.name);
                const parts = action.index.columns.map((p, k) => ({ ...p, name: names[k] }));
                const columns = table.columns.map((c) => (names.some((n) => same(n, c.name)) && c.nullable ? { ...c, nullable: false, defaultValue: c.defaultValue === "NULL" ? null : c.defaultValue } : c));
                const index = { ...action.index, name: "PRIMARY", columns: parts };
                return { table: { ...table, columns, primaryKey: names, primaryKeyParts: parts }, action: { ...action, index } };
            }
            const base = action.index.name || action.constraintName || action.index.columns[0]?.name || "idx";
            if (action.index.name && findIndex(table, action.index.name)) {
                return action.ifNotExists ? noop(`index ${action.index.name} already exists`) : noop(`index ${action.index.name} already exists in the model`);
            }
            const name = action.index.name || action.constraintName || autoIndexName(table, base);
            const parts = action.index.columns.map((p) => ({ ...p, name: findColumn(table, p.name)?.name ?? p.name }));
            const index: SourceIndex = { ...action.index, name, columns: parts };
            return { table: { ...table, indexes: [...table.indexes, index] }, action: { ...action, index } };
        }
        case "drop-index": {
            if (same(action.name, "PRIMARY")) return applyAlterAction(table, { kind: "drop-primary-key", text: action.text });
            const idx = findIndex(table, action.name);
            if (!idx) return noop(`index ${action.name} does not exist`);
            return { table: { ...table, indexes: table.indexes.filter((x) => x !== idx) }, action: { ...action, name: idx.name } };
        }
        case "drop-primary-key": {
            if (!table.primaryKey) return noop("the table has no primary key");
            const t = { ...table, primaryKey: null };
            delete t.primaryKeyParts;
            return { table: t, action };
        }
        case "rename-index": {
            const idx = findIndex(table, action.from);
            if (!idx) return noop(`index ${action.from} does not exist`);
            return { table: { ...table, indexes: table.indexes.map((x) => (x === idx ? { ...x, name: action.to } : x)) }, action: { ...action, from: idx.name } };
        }
        case "add-foreign-key": {
            const fk = { ...action.foreignKey };
            fk.columns = fk.columns.map((c) => findColumn(table, c)?.name ?? c);
            if (fk.name === "") {
                // InnoDB names unnamed foreign keys <table>_ibfk_<n>, n one past the highest in use.
                const re = new RegExp(`^${table.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_ibfk_(\\d+)$`);
                const n = Math.max(0, ...table.foreignKeys.map((f) => Number(re.exec(f.name)?.[1] ?? 0)));
                fk.name = `${table.name}_ibfk_${n + 1}`;
            }
            if (table.foreignKeys.some((f) => same(f.name, fk.name))) return noop(`foreign key ${fk.name} already exists`);
            const resolved: AlterAction = { ...action, foreignKey: fk };
            return { table: { ...table, foreignKeys: [...table.foreignKeys, fk] }, action: resolved };
        }
        case "add-check": {
            let name = action.name;
            if (name === null) {
                // MariaDB names unnamed table checks CONSTRAINT_1, _2 …; MySQL <table>_chk_<n>. The name only matters for DROP.
                let n = 1;
                while (table.checks.some((c) => same(c.name, `${table.name}_chk_${n}`))) n++;
                name = `${table.name}_chk_${n}`;
            }
            return { table: { ...table, checks: [...table.checks, { name, clause: quoteColumnRefs(action.clause, table) }] }, action: { ...action, name } };
        }
        case "drop-constraint": {
            const fk = table.foreignKeys.find((f) => same(f.name, action.name));
            const chk = table.checks.find((c) => same(c.name, action.name));
            if (action.constraint !== "check" && fk) return { table: { ...table, foreignKeys: table.foreignKeys.filter((f) => f !== fk) }, action };
            if (action.constraint !== "foreign-key" && chk) return { table: { ...table, checks: table.checks.filter((c) => c !== chk) }, action };
            if (action.constraint === "any") {
                const idx = findIndex(table, action.name);
                if (idx) return { table: { ...table, indexes: table.indexes.filter((x) => x !== idx) }, action };
                if (same(action.name, "PRIMARY")) return applyAlterAction(table, { kind: "drop-primary-key", text: action.text });
            }
            return noop(`constraint ${action.name} is not in the model`);
        }
        case "rename-table":
            return { table: { ...table, database: action.to.database, name: action.to.name }, action };
        case "table-options":
            return { table: applyTableOptions(table, action.options), action };
        case "convert-charset": {
            const collation = action.collation ?? (table.collation.startsWith(`${action.charset}_`) ? table.collation : null);
            const columns = table.columns.map((c) => (hasCharset(c.dataType) && !c.isJson ? { ...c, charset: action.charset, collation } : c));
            return { table: { ...table, columns, charset: action.charset, collation: collation ?? "" }, action };
        }
        case "alter-index":
        case "partition":
        case "unsupported":
            return { table, action };
    }
}

/** A column-level CHECK, named after its column as MariaDB names it. */
function withColumnCheck(checks: SourceTable["checks"], column: string, clause: string | null): SourceTable["checks"] {
    return clause === null ? checks : [...checks, { name: column, clause, column }];
}

/** All actions of a parsed ALTER applied in order. */
export function applyAlterToTable(table: SourceTable, parsed: ParsedAlter): SourceTable {
    let t = table;
    for (const a of parsed.actions) t = applyAlterAction(t, a).table;
    return t;
}

// ---------------------------------------------------------------------------------------
// Mapping bookkeeping shared by the destinations' translators (postgres/ddl-translate.ts,
// mysql/ddl-translate.ts).

/** Where a (renamed) source table goes in the destination, or null when the task does not migrate it. */
export type TableResolver = (database: string, table: string) => { schema: string; table: string } | null;

/** Lower-cased source column name → destination column name: the key of the translators' column bookkeeping. */
export type ColumnTargets = Map<string, string>;

export const columnKey = (name: string): string => name.toLowerCase();

export function columnTargets(mapping: TableMapping): ColumnTargets {
    return new Map(mapping.columns.map((c) => [columnKey(c.source.name), c.target]));
}

/**
 * Whether the task lists the table's columns (a column subset, or renamed columns). Such a
 * mapping migrates exactly the listed columns: a column added on the source later is not
 * among them, so ADD COLUMN is not applied to the destination. A table no longer found
 * under its source name (renamed since the task was read) counts as listing its columns
 * when the mapping migrates fewer columns than the table has.
 */
export function selectsExplicitColumns(mapping: TableMapping, task: Pick<TaskSpec, "objects">): boolean {
    const db = task.objects.find((o) => o.database === mapping.source.database);
    const sel = db?.tables?.find((t) => t.name === mapping.source.name);
    if (sel) return sel.columns !== undefined;
    if (db && !db.tables) return false;
    return mapping.columns.length !== mapping.source.columns.length;
}

/** Whether the mapping renames the column (objects[].tables[].columns[].renameTo), rather than following the name-case policy. */
export function isUserRenamed(sourceName: string, target: string, task: Pick<TaskSpec, "nameCase">, family: DestinationFamily): boolean {
    return target !== applyCase(sourceName, task.nameCase, family);
}

/**
 * The default destination of a table renamed on the source to `to`: the same destination
 * schema when it stays in its database (else the destination of `to`'s database when the
 * task selects it), its new name through the name-case policy. A table-level renameTo does
 * not follow the table to its new name. Null when the new database is not selected.
 */
export function defaultTableTarget(
    mapping: TableMapping,
    to: NamedTable,
    task: Pick<TaskSpec, "objects" | "nameCase">,
    family: DestinationFamily,
): { schema: string; table: string } | null {
    let schema: string;
    // A database selected table by table takes in only the tables it lists: a new name it does
    // not list is a table the task does not migrate (as a restart's selection would see it).
    const listed = task.objects.find((o) => o.database === to.database);
    if (listed?.tables && !listed.tables.some((t) => t.name === to.name)) return null;
    if (to.database === mapping.source.database) {
        schema = mapping.targetSchema;
    } else {
        const db = task.objects.find((o) => o.database === to.database);
        if (!db) return null;
        schema = applyCase(db.renameTo ?? db.database, task.nameCase, family);
    }
    return { schema, table: applyCase(to.name, task.nameCase, family) };
}

/** The mapping over a changed source table: mapped columns in the table's order, the key chosen again. */
export function remapTable(mapping: TableMapping, table: SourceTable, targets: ColumnTargets): TableMapping {
    const columns = table.columns
        .filter((c) => targets.has(columnKey(c.name)))
        .map((c) => ({ source: c, target: targets.get(columnKey(c.name)) as string }));
    return { ...mapping, source: table, columns, key: chooseKey(table, new Set(columns.map((c) => c.source.name))) };
}

/** Whether an expression (a row filter, a CHECK clause) names the column, quoted or bare. */
export function mentionsColumn(expr: string, name: string): boolean {
    return mentions(expr, name);
}
