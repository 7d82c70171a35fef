import type { SourceColumn } from "../../../engine/model";
import { hasCharset, isWrappedInParens, parseEnumMembers } from "../column-types";
import { closing, isName, nameOf, optionValue, significant, sliceText, tableRefAt, upper, type Sig } from "./ddl-tokens";
import { quoteString, unquoteIdent } from "../identifiers";
import { decodeStringLiteral, isPunct, isWord, lexSql, type Token } from "../sql-lexer";

/**
 * A column definition (`INT UNSIGNED NOT NULL DEFAULT 0 …`) as a SourceColumn filled as
 * introspect-tables.ts fills it from information_schema.
 */


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
