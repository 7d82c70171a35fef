import { quoteIdent, unquoteIdent } from "../identifiers";
import { isPunct, isSignificant, lexSql, type Token } from "../sql-lexer";

/**
 * Column references in an expression the server printed (GENERATION_EXPRESSION,
 * CHECK_CLAUSE): both MariaDB and MySQL print every column reference backtick-quoted,
 * so only quoted identifiers count. A quoted name followed by "(" is a function and one
 * followed by "." a qualifier; neither is a column.
 */
function columnRefTokens(tokens: Token[]): Token[] {
    const sig = tokens.filter(isSignificant);
    return sig.filter((t, i) => t.kind === "ident" && !isPunct(sig[i + 1], "(") && !isPunct(sig[i + 1], "."));
}

export function columnRefs(expr: string): string[] {
    return columnRefTokens(lexSql(expr)).map((t) => unquoteIdent(t.text));
}

/**
 * Renames column references in an expression. `rename` gets the referenced name and
 * returns the new one, or undefined to leave it. Limits: bare (unquoted) references are
 * not renamed, which is fine for server-printed text; hand-written text may have them.
 */
export function renameColumnRefs(expr: string, rename: (name: string) => string | undefined): string {
    const tokens = lexSql(expr);
    const refs = new Set(columnRefTokens(tokens));
    return tokens
        .map((t) => {
            if (!refs.has(t)) return t.text;
            const to = rename(unquoteIdent(t.text));
            return to === undefined ? t.text : quoteIdent(to);
        })
        .join("");
}

/**
 * Rewrites references qualified with database `fromDb` (`from`.x or from.x) to `toDb`,
 * leaving strings, comments and the middle parts of a.b.c alone. Best effort: the name
 * matches case-sensitively (lower_case_table_names=0), and a table alias spelled like the
 * database is rewritten too. Unqualified references are untouched: they resolve against
 * the database current when the statement runs, which the caller sets.
 */
export function renameSchemaInCreate(createSql: string, fromDb: string, toDb: string): string {
    if (fromDb === toDb) return createSql;
    const tokens = lexSql(createSql);
    const sigIdx = tokens.map((t, i) => (isSignificant(t) ? i : -1)).filter((i) => i >= 0);
    const replace = new Set<number>();
    sigIdx.forEach((ti, k) => {
        const t = tokens[ti];
        if (t.kind !== "ident" && t.kind !== "word") return;
        if (unquoteIdent(t.text) !== fromDb) return;
        const next = tokens[sigIdx[k + 1]];
        const prev = k > 0 ? tokens[sigIdx[k - 1]] : undefined;
        if (isPunct(next, ".") && !isPunct(prev, ".")) replace.add(ti);
    });
    return tokens.map((t, i) => (replace.has(i) ? quoteIdent(toDb) : t.text)).join("");
}
