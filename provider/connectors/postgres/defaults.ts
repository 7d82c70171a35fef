import type { SourceColumn } from "../../engine/model";
import { quoteLiteral } from "./identifiers";
import { bitWidth, type ValueKind } from "./type-map";

/** A column default as PostgreSQL SQL, or why it was left out. */
export type TranslatedDefault = { sql: string | null } | { omitted: string };

const numberLiteral = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const currentTimestamp = /^(current_timestamp|now|localtimestamp|localtime)(\(\d*\))?$/i;
const currentDate = /^(curdate\(\)|current_date(\(\))?)$/i;

/**
 * Translates information_schema's COLUMN_DEFAULT. MariaDB ≥10.2.7 quotes literals
 * ('it''s \\ x'), writes NULL bare, and expressions bare (current_timestamp(6)); MySQL 8
 * writes literals unquoted and marks expressions DEFAULT_GENERATED. Only what means the
 * same in PostgreSQL is translated: everything else is omitted, never guessed.
 */
export function translateDefault(col: SourceColumn, kind: ValueKind): TranslatedDefault {
    const raw = col.defaultValue;
    if (raw === null || raw === "NULL" || col.generationExpression !== null) return { sql: null };
    const omit = (why: string): TranslatedDefault => ({ omitted: `default ${raw} of column "${col.name}" omitted: ${why}` });
    if (currentTimestamp.test(raw)) {
        return kind === "datetime" || kind === "timestamp" ? { sql: "CURRENT_TIMESTAMP" } : omit("not a timestamp column");
    }
    if (currentDate.test(raw)) return kind === "date" ? { sql: "CURRENT_DATE" } : omit("not a date column");
    const quoted = raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'");
    const generated = /default_generated/i.test(col.extra);
    if (kind === "bit") return bitDefault(raw, bitWidth(col), omit);
    if (kind === "binary") {
        // information_schema converts the bytes to text, turning what is not valid in its charset into '?'.
        return omit("binary defaults are not reported byte-exactly by information_schema");
    }
    let text: string;
    if (quoted) {
        text = unescapeMysqlLiteral(raw.slice(1, -1));
    } else if (!generated && (numberLiteral.test(raw) || isMember(col, raw))) {
        text = raw;
    } else {
        return omit("expression defaults are not translated");
    }
    if (text.includes("\u0000")) return omit("contains U+0000");
    switch (kind) {
        case "integer": case "decimal": case "float": case "year":
            return numberLiteral.test(text) ? { sql: text } : omit("not a number");
        case "date": case "datetime": case "timestamp":
            if (/^0000|^\d{4}-00|^\d{4}-\d\d-00/.test(text)) return omit("zero dates have no PostgreSQL value");
            // TIMESTAMP literals are read in UTC, like the reader's session.
            return { sql: quoteLiteral(kind === "timestamp" ? `${text}+00` : text) };
        case "time": {
            const t = mysqlTimeLiteral(text);
            return t === null ? omit("not a TIME value") : { sql: quoteLiteral(t) };
        }
        case "json":
            try {
                JSON.parse(text);
            } catch {
                return omit("not valid JSON");
            }
            return { sql: quoteLiteral(text) };
        default:
            return { sql: quoteLiteral(text) };
    }
}

/**
 * A TIME literal as MySQL reads it, in the 'HH:MM:SS[.frac]' form PostgreSQL's interval
 * takes: information_schema reports the stored value, but DDL read from the binlog carries
 * the literal as written, and MySQL accepts a datetime ('0000-00-00 01:00:00.000' is
 * 01:00:00) and days ('1 02:00:00' is 26:00:00). null for what MySQL would not take as a time.
 */
export function mysqlTimeLiteral(text: string): string | null {
    const s = text.trim();
    const datetime = /^\d{2,4}-\d{1,2}-\d{1,2}[ T](\d{1,2}:\d{1,2}(?::\d{1,2})?(?:\.\d+)?)$/.exec(s);
    if (datetime) return datetime[1];
    const days = /^(-?)(\d+) (\d{1,3})(:\d{1,2}(?::\d{1,2})?(?:\.\d+)?)?$/.exec(s);
    if (days) return `${days[1]}${Number(days[2]) * 24 + Number(days[3])}${days[4] ?? ":00:00"}`;
    if (/^-?\d{1,3}:\d{1,2}(:\d{1,2})?(\.\d+)?$/.test(s)) return s;
    const compact = /^(-?)(\d{0,3})(\d{2})(\d{2})(\.\d+)?$/.exec(s);
    if (compact) return `${compact[1]}${compact[2] || "0"}:${compact[3]}:${compact[4]}${compact[5] ?? ""}`;
    return null;
}

function isMember(col: SourceColumn, raw: string): boolean {
    const members = col.enumValues;
    if (!members) return false;
    if (col.dataType === "enum") return members.includes(raw);
    return raw === "" || raw.split(",").every((m) => members.includes(m));
}

function bitDefault(raw: string, width: number, omit: (why: string) => TranslatedDefault): TranslatedDefault {
    let digits: string | null = null;
    const m = /^b'([01]*)'$/i.exec(raw);
    if (m) digits = m[1];
    else if (/^\d+$/.test(raw)) digits = BigInt(raw).toString(2);
    if (digits === null) return omit("not a bit literal");
    digits = digits.replace(/^0+(?=.)/, "");
    if (digits.length > width) return omit(`wider than BIT(${width})`);
    // bit(n) accepts only exactly n digits.
    return { sql: `B'${digits.padStart(width, "0")}'` };
}

const escapes: Record<string, string> = { "0": "\u0000", b: "\b", n: "\n", r: "\r", t: "\t", Z: "\u001a" };

/** Undoes MySQL string-literal escaping: '' and \x sequences (\% and \_ keep their backslash, as in MySQL). */
export function unescapeMysqlLiteral(s: string): string {
    let out = "";
    for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (c === "'" && s[i + 1] === "'") {
            out += "'";
            i++;
        } else if (c === "\\" && i + 1 < s.length) {
            const n = s[++i];
            out += n === "%" || n === "_" ? `\\${n}` : escapes[n] ?? n;
        } else {
            out += c;
        }
    }
    return out;
}
