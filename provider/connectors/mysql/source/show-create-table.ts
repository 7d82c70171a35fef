import { unquoteIdent } from "../identifiers";
import { isPunct, isSignificant, isWord, lexSql, type Token } from "../sql-lexer";

/**
 * The expression texts of a SHOW CREATE TABLE statement: generation expressions,
 * expression defaults and CHECK clauses. MariaDB's information_schema holds these in
 * utf8mb3 columns and turns every 4-byte character (emoji, rare CJK) into "?"; SHOW
 * CREATE TABLE prints them intact, so introspection reads them from here when the
 * catalog's text has a "?".
 */
export interface CreateTableExpressions {
    /** Per column (lower-cased name): GENERATED ALWAYS AS (…), DEFAULT …, column-level CHECK (…). */
    columns: Map<string, { generation?: string; default?: string; check?: string }>;
    /** Table-level CONSTRAINT name CHECK (…), by name. */
    checks: Map<string, string>;
}

/** Words that end a DEFAULT expression in a column definition as the server prints it. */
const afterDefault = ["ON", "AUTO_INCREMENT", "INVISIBLE", "COMMENT", "CHECK", "COMPRESSED", "WITHOUT", "WITH", "REFERENCES", "PRIMARY", "UNIQUE", "KEY"];

/** Index of the parenthesis closing the one at `open`, or -1. */
function closing(sig: Token[], open: number): number {
    let depth = 0;
    for (let j = open; j < sig.length; j++) {
        if (isPunct(sig[j], "(")) depth++;
        else if (isPunct(sig[j], ")") && --depth === 0) return j;
    }
    return -1;
}

export function parseCreateTableExpressions(sql: string): CreateTableExpressions {
    const sig = lexSql(sql).filter(isSignificant);
    const out: CreateTableExpressions = { columns: new Map(), checks: new Map() };
    const open = sig.findIndex((t) => isPunct(t, "("));
    const close = open < 0 ? -1 : closing(sig, open);
    if (close < 0) return out;
    const inner = (o: number, c: number) => sql.slice(sig[o].end, sig[c].start);

    // Items of the table body: split at commas outside nested parentheses.
    const items: [number, number][] = [];
    let start = open + 1;
    let depth = 0;
    for (let j = open + 1; j < close; j++) {
        if (isPunct(sig[j], "(")) depth++;
        else if (isPunct(sig[j], ")")) depth--;
        else if (isPunct(sig[j], ",") && depth === 0) {
            items.push([start, j]);
            start = j + 1;
        }
    }
    items.push([start, close]);

    for (const [s, e] of items) {
        if (isWord(sig[s], "CONSTRAINT") && isWord(sig[s + 2], "CHECK") && isPunct(sig[s + 3], "(")) {
            const c = closing(sig, s + 3);
            if (c > 0) out.checks.set(unquoteIdent(sig[s + 1].text), inner(s + 3, c));
            continue;
        }
        if (sig[s]?.kind !== "ident") continue;
        const col: { generation?: string; default?: string; check?: string } = {};
        for (let j = s + 1; j < e; j++) {
            if (isWord(sig[j], "AS") && isPunct(sig[j + 1], "(") && isWord(sig[j - 1], "ALWAYS")) {
                const c = closing(sig, j + 1);
                col.generation = inner(j + 1, c);
                j = c;
            } else if (isWord(sig[j], "CHECK") && isPunct(sig[j + 1], "(")) {
                const c = closing(sig, j + 1);
                col.check = inner(j + 1, c);
                j = c;
            } else if (isWord(sig[j], "DEFAULT")) {
                let k = j + 1;
                let d = 0;
                for (; k < e; k++) {
                    if (isPunct(sig[k], "(")) d++;
                    else if (isPunct(sig[k], ")")) d--;
                    else if (d === 0 && isWord(sig[k], ...afterDefault)) break;
                }
                if (k > j + 1) col.default = sql.slice(sig[j + 1].start, sig[k - 1].end);
                j = k - 1;
            } else if (isPunct(sig[j], "(")) {
                j = closing(sig, j);
                if (j < 0) break;
            }
        }
        out.columns.set(unquoteIdent(sig[s].text).toLowerCase(), col);
    }
    return out;
}
