import { quoteString } from "./identifiers";
import { decodeStringLiteral, isPunct, isSignificant, lexSql } from "./sql-lexer";

/**
 * Members of an ENUM or SET column type as information_schema prints it:
 * enum('a,b','it''s','x\\y'). Members are single-quoted with quotes doubled and
 * backslashes escaped, so splitting on commas is wrong; the literals are tokenized.
 * Returns null when the type is not ENUM/SET or does not have that shape.
 */
export function parseEnumMembers(columnType: string): string[] | null {
    const m = /^\s*(enum|set)\s*\(/i.exec(columnType);
    if (!m) return null;
    const tokens = lexSql(columnType.slice(m[0].length)).filter(isSignificant);
    const members: string[] = [];
    let i = 0;
    for (;;) {
        const t = tokens[i];
        if (t === undefined || t.kind !== "string") return null;
        members.push(decodeStringLiteral(t.text));
        const sep = tokens[i + 1];
        if (isPunct(sep, ")")) break;
        if (!isPunct(sep, ",")) return null;
        i += 2;
    }
    return members;
}

const numericTypes = new Set([
    "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float", "double", "real", "year", "bit", "bool", "boolean",
]);

const currentTimestamp = /^(current_timestamp|now|localtime|localtimestamp)\s*(\(\s*\d*\s*\))?$/i;

/**
 * Converts a COLUMN_DEFAULT in the MySQL format (MySQL, and MariaDB before 10.2.7) to the
 * MariaDB ≥10.2.7 format SourceColumn.defaultValue uses everywhere: string literals quoted,
 * NULL as the text NULL, expressions bare. MySQL writes literals unquoted and marks
 * expression defaults with DEFAULT_GENERATED in EXTRA; a nullable column without a default
 * reads as SQL NULL there, which MariaDB spells 'NULL' (the server's DEFAULT NULL).
 */
export function mariadbStyleDefault(raw: string | null, c: { dataType: string; extra: string; nullable: boolean; generated: boolean }): string | null {
    if (c.generated) return null;
    if (raw === null) return c.nullable && !/auto_increment/i.test(c.extra) ? "NULL" : null;
    if (/DEFAULT_GENERATED/i.test(c.extra) || currentTimestamp.test(raw.trim())) return raw;
    if (numericTypes.has(c.dataType.toLowerCase())) return raw;
    // MySQL prints binary defaults as hex literals.
    if (/^0x[0-9a-f]*$/i.test(raw) && /binary|blob/i.test(c.dataType)) return raw;
    return quoteString(raw);
}

/**
 * The DEFAULT clause body for a MariaDB-format default. Literals (strings, numbers,
 * b'…'/x'…'/0x…, NULL) and CURRENT_TIMESTAMP go as printed; any other expression is
 * parenthesised because MySQL 8 accepts expression defaults only in parentheses
 * (MariaDB accepts both and prints them bare).
 */
export function defaultClause(raw: string): string {
    const text = raw.trim();
    if (/^null$/i.test(text) || currentTimestamp.test(text)) return text;
    const t = lexSql(text).filter(isSignificant);
    const literal =
        (t.length === 1 && (t[0].kind === "string" || t[0].kind === "number" || /^0x[0-9a-f]*$/i.test(t[0].text) || /^0b[01]*$/i.test(t[0].text))) ||
        // introducer or bit/hex prefix: _utf8mb4'x', b'101', x'0A'
        (t.length === 2 && t[0].kind === "word" && t[1].kind === "string" && t[1].start === t[0].end && /^(_\w+|b|x|n)$/i.test(t[0].text)) ||
        (t.length === 2 && (isPunct(t[0], "-") || isPunct(t[0], "+")) && t[1].kind === "number");
    if (literal || isWrappedInParens(text)) return text;
    return `(${text})`;
}

/** True when the whole text is one parenthesised group: (a + b), not (a) + (b). */
export function isWrappedInParens(text: string): boolean {
    const t = lexSql(text.trim()).filter(isSignificant);
    if (t.length < 2 || !isPunct(t[0], "(") || !isPunct(t[t.length - 1], ")")) return false;
    let depth = 0;
    for (let i = 0; i < t.length; i++) {
        if (isPunct(t[i], "(")) depth++;
        else if (isPunct(t[i], ")")) {
            depth--;
            if (depth === 0 && i < t.length - 1) return false;
        }
    }
    return depth === 0;
}

/** Column types whose values carry a character set (and so CHARACTER SET/COLLATE clauses). */
export function hasCharset(dataType: string): boolean {
    return /^(char|varchar|tinytext|text|mediumtext|longtext|enum|set)$/i.test(dataType);
}
