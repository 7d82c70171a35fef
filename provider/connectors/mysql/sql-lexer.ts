/**
 * A small MySQL/MariaDB tokenizer: enough to edit statements the server printed
 * (SHOW CREATE …, information_schema expressions) without touching string literals,
 * quoted identifiers or comments. It does not parse; callers walk the tokens.
 */

export type TokenKind = "space" | "comment" | "ident" | "string" | "word" | "number" | "punct";

export interface Token {
    kind: TokenKind;
    /** Exact source text, quotes included. */
    text: string;
    start: number;
    end: number;
}

const wordStart = /[A-Za-z_$\u0080-\uffff]/;
const wordChar = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Index just past a quoted run starting at `i` (the opening quote); tolerant of a missing close. */
function quotedEnd(sql: string, i: number, quote: string, backslashEscapes: boolean): number {
    let j = i + 1;
    while (j < sql.length) {
        const ch = sql[j];
        if (backslashEscapes && ch === "\\") {
            j += 2;
            continue;
        }
        if (ch === quote) {
            if (sql[j + 1] === quote) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j++;
    }
    return sql.length;
}

function commentEnd(sql: string, i: number): number | null {
    const ch = sql[i];
    if (ch === "#" || (ch === "-" && sql[i + 1] === "-" && (i + 2 >= sql.length || /\s/.test(sql[i + 2])))) {
        const nl = sql.indexOf("\n", i);
        return nl < 0 ? sql.length : nl;
    }
    if (ch === "/" && sql[i + 1] === "*") {
        const close = sql.indexOf("*/", i + 2);
        return close < 0 ? sql.length : close + 2;
    }
    return null;
}

export function lexSql(sql: string): Token[] {
    const out: Token[] = [];
    let i = 0;
    const push = (kind: TokenKind, end: number) => {
        out.push({ kind, text: sql.slice(i, end), start: i, end });
        i = end;
    };
    while (i < sql.length) {
        const ch = sql[i];
        if (/\s/.test(ch)) {
            let j = i + 1;
            while (j < sql.length && /\s/.test(sql[j])) j++;
            push("space", j);
            continue;
        }
        const c = commentEnd(sql, i);
        if (c !== null) {
            push("comment", c);
            continue;
        }
        if (ch === "`") {
            push("ident", quotedEnd(sql, i, "`", false));
            continue;
        }
        if (ch === "'" || ch === '"') {
            push("string", quotedEnd(sql, i, ch, true));
            continue;
        }
        if (/[0-9]/.test(ch)) {
            let j = i;
            while (j < sql.length && /[0-9]/.test(sql[j])) j++;
            if (sql[j] === "." && /[0-9]/.test(sql[j + 1] ?? "")) {
                j++;
                while (j < sql.length && /[0-9]/.test(sql[j])) j++;
            }
            if (/[eE]/.test(sql[j] ?? "") && /[-+0-9]/.test(sql[j + 1] ?? "")) {
                let k = j + 1;
                if (/[-+]/.test(sql[k])) k++;
                if (/[0-9]/.test(sql[k] ?? "")) {
                    j = k;
                    while (j < sql.length && /[0-9]/.test(sql[j])) j++;
                }
            }
            // 1abc and 0x1F are words to the server, not numbers.
            if (j < sql.length && wordChar.test(sql[j])) {
                while (j < sql.length && wordChar.test(sql[j])) j++;
                push("word", j);
            } else {
                push("number", j);
            }
            continue;
        }
        if (wordStart.test(ch)) {
            let j = i + 1;
            while (j < sql.length && wordChar.test(sql[j])) j++;
            push("word", j);
            continue;
        }
        push("punct", i + 1);
    }
    return out;
}

export const isSignificant = (t: Token): boolean => t.kind !== "space" && t.kind !== "comment";

/** Case-insensitive keyword test on a bare word token. */
export function isWord(t: Token | undefined, ...words: string[]): boolean {
    if (t === undefined || t.kind !== "word") return false;
    const up = t.text.toUpperCase();
    return words.some((w) => w === up);
}

export function isPunct(t: Token | undefined, p: string): boolean {
    return t !== undefined && t.kind === "punct" && t.text === p;
}

/** Decodes a single- or double-quoted literal token: doubled quotes and backslash escapes. */
export function decodeStringLiteral(text: string): string {
    const quote = text[0];
    const body = text.slice(1, text.endsWith(quote) && text.length >= 2 ? -1 : undefined);
    const escapes: Record<string, string> = { "0": "\0", b: "\b", n: "\n", r: "\r", t: "\t", Z: "\x1a" };
    let out = "";
    for (let i = 0; i < body.length; i++) {
        const ch = body[i];
        if (ch === "\\" && i + 1 < body.length) {
            const next = body[++i];
            // \% and \_ keep their backslash: the server does the same outside LIKE patterns.
            out += escapes[next] ?? (next === "%" || next === "_" ? "\\" + next : next);
        } else if (ch === quote && body[i + 1] === quote) {
            out += quote;
            i++;
        } else {
            out += ch;
        }
    }
    return out;
}
