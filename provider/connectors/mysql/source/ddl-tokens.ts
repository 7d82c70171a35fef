import type { NamedTable } from "../../../engine/schema-change/statement";
import { unquoteIdent } from "../identifiers";
import { isPunct, isSignificant, isWord, lexSql, type Token } from "../sql-lexer";


/** Token helpers for the DDL parsers (alter-parser.ts, column-definition.ts). */


export type Sig = Token[];

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

export function significant(sql: string): Sig {
    const sig = lexSql(sql).filter(isSignificant);
    while (sig.length > 0 && isPunct(sig[sig.length - 1], ";")) sig.pop();
    return sig;
}

export const isName = (t: Token | undefined): t is Token => t !== undefined && (t.kind === "ident" || t.kind === "word");
export const nameOf = (t: Token): string => (t.kind === "ident" ? unquoteIdent(t.text) : t.text);
export const upper = (t: Token | undefined): string => (t && t.kind === "word" ? t.text.toUpperCase() : "");

/** Index of the parenthesis closing the one at `open` (within `end`), or -1. */
export function closing(sig: Sig, open: number, end = sig.length): number {
    let depth = 0;
    for (let j = open; j < end; j++) {
        if (isPunct(sig[j], "(")) depth++;
        else if (isPunct(sig[j], ")") && --depth === 0) return j;
    }
    return -1;
}

/** Top-level comma-separated ranges [start, end) of sig[from, to). */
export function splitTopLevel(sig: Sig, from: number, to: number): [number, number][] {
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
export function tableRefAt(sig: Sig, i: number, defaultDb: string): [NamedTable, number] | null {
    const a = sig[i];
    if (!isName(a)) return null;
    if (isPunct(sig[i + 1], ".") && isName(sig[i + 2])) return [{ database: nameOf(a), name: nameOf(sig[i + 2]) }, i + 3];
    return [{ database: defaultDb, name: nameOf(a) }, i + 1];
}

export function skipIf(sig: Sig, i: number, not: boolean): [boolean, number] {
    if (isWord(sig[i], "IF") && (!not || isWord(sig[i + 1], "NOT")) && isWord(sig[i + (not ? 2 : 1)], "EXISTS")) return [true, i + (not ? 3 : 2)];
    return [false, i];
}

/** An option value: `[=] value`, value a word, number, string, identifier or a parenthesised group. */
export function optionValue(sig: Sig, sql: string, i: number, end: number): [string, number] {
    if (isPunct(sig[i], "=")) i++;
    if (i >= end) return ["", i];
    if (isPunct(sig[i], "(")) {
        const c = closing(sig, i, end);
        const stop = c < 0 ? end - 1 : c;
        return [sql.slice(sig[i].start, sig[stop].end), stop + 1];
    }
    return [sig[i].text, i + 1];
}

export const sliceText = (sql: string, sig: Sig, from: number, to: number): string => (to > from ? sql.slice(sig[from].start, sig[to - 1].end) : "");
