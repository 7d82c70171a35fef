import type { DdlOperation } from "../../../sdk/schema/task";
import { isPunct, isSignificant, isWord, lexSql, type Token } from "./sql-lexer";

/** A table a statement names, with the session's default database filled in. */
export interface NamedTable {
    database: string;
    name: string;
}

/** What a logged statement does, as far as the stream needs to know. */
export interface ClassifiedStatement {
    /** One of seed 001's DDL operations, or "other" (GRANT, CREATE DATABASE, ANALYZE, ...). */
    operation: DdlOperation | "other";
    /** Tables the statement changes or names (RENAME: old and new names). */
    tables: NamedTable[];
    /** CREATE/DROP TEMPORARY TABLE: session-local, never replicated as a table. */
    temporary: boolean;
}

function unquote(t: Token): string {
    return t.kind === "ident" ? t.text.slice(1, -1).replace(/``/g, "`") : t.text;
}

/** Reads `name` or `db`.`name` at `i`; returns the table and the index after it. */
function tableAt(tokens: Token[], i: number, defaultDb: string): [NamedTable, number] | null {
    const a = tokens[i];
    if (!a || (a.kind !== "ident" && a.kind !== "word")) return null;
    if (isPunct(tokens[i + 1], ".") && tokens[i + 2] && (tokens[i + 2].kind === "ident" || tokens[i + 2].kind === "word")) {
        return [{ database: unquote(a), name: unquote(tokens[i + 2]) }, i + 3];
    }
    return [{ database: defaultDb, name: unquote(a) }, i + 1];
}

function skipWords(tokens: Token[], i: number, ...words: string[]): number {
    while (tokens[i] && words.some((w) => isWord(tokens[i], w))) i++;
    return i;
}

/** Skips `IF [NOT] EXISTS`. */
function skipIfExists(tokens: Token[], i: number): number {
    if (isWord(tokens[i], "IF")) {
        i++;
        if (isWord(tokens[i], "NOT")) i++;
        if (isWord(tokens[i], "EXISTS")) i++;
    }
    return i;
}

/** A comma-separated list of tables starting at `i`. */
function tableList(tokens: Token[], i: number, defaultDb: string): NamedTable[] {
    const out: NamedTable[] = [];
    for (;;) {
        const t = tableAt(tokens, i, defaultDb);
        if (!t) break;
        out.push(t[0]);
        i = t[1];
        if (!isPunct(tokens[i], ",")) break;
        i++;
    }
    return out;
}

/**
 * Classifies a statement from a binlog query event. It reads only the statement's head;
 * the statement itself is applied (or refused) by the engine with the text as logged.
 */
export function classifyStatement(sql: string, defaultDb: string): ClassifiedStatement {
    const tokens = lexSql(sql).filter(isSignificant);
    const other: ClassifiedStatement = { operation: "other", tables: [], temporary: false };
    let i = 0;
    const first = tokens[0];
    if (isWord(first, "TRUNCATE")) {
        i = isWord(tokens[1], "TABLE") ? 2 : 1;
        const t = tableAt(tokens, i, defaultDb);
        return t ? { operation: "truncate-table", tables: [t[0]], temporary: false } : other;
    }
    if (isWord(first, "RENAME") && isWord(tokens[1], "TABLE")) {
        const tables: NamedTable[] = [];
        i = 2;
        for (;;) {
            const a = tableAt(tokens, i, defaultDb);
            if (!a || !isWord(tokens[a[1]], "TO")) break;
            const b = tableAt(tokens, a[1] + 1, defaultDb);
            if (!b) break;
            tables.push(a[0], b[0]);
            i = b[1];
            if (!isPunct(tokens[i], ",")) break;
            i++;
        }
        return { operation: "rename-table", tables, temporary: false };
    }
    if (isWord(first, "ALTER")) {
        i = skipWords(tokens, 1, "ONLINE", "OFFLINE", "IGNORE");
        if (isWord(tokens[i], "TABLE")) {
            const t = tableAt(tokens, i + 1, defaultDb);
            return t ? { operation: "alter-table", tables: [t[0]], temporary: false } : other;
        }
        // ALTER [ALGORITHM = …] [DEFINER = …] [SQL SECURITY …] VIEW
        if (tokens.slice(1, 20).some((t) => isWord(t, "VIEW"))) return { operation: "alter-view", tables: [], temporary: false };
        return other;
    }
    if (isWord(first, "DROP")) {
        i = 1;
        const temporary = isWord(tokens[i], "TEMPORARY");
        if (temporary) i++;
        if (isWord(tokens[i], "TABLE") || isWord(tokens[i], "TABLES")) {
            return { operation: "drop-table", tables: tableList(tokens, skipIfExists(tokens, i + 1), defaultDb), temporary };
        }
        if (isWord(tokens[i], "INDEX")) {
            i = skipIfExists(tokens, i + 1);
            const on = tokens.findIndex((t, j) => j > i && isWord(t, "ON"));
            const t = on > 0 ? tableAt(tokens, on + 1, defaultDb) : null;
            return t ? { operation: "drop-index", tables: [t[0]], temporary: false } : other;
        }
        return other;
    }
    if (isWord(first, "CREATE")) {
        const head = tokens.slice(1, 40);
        i = skipWords(tokens, 1, "OR", "REPLACE");
        const temporary = isWord(tokens[i], "TEMPORARY");
        if (temporary) i++;
        if (isWord(tokens[i], "TABLE")) {
            const t = tableAt(tokens, skipIfExists(tokens, i + 1), defaultDb);
            return t ? { operation: "create-table", tables: [t[0]], temporary } : other;
        }
        i = skipWords(tokens, i, "UNIQUE", "FULLTEXT", "SPATIAL", "ONLINE", "OFFLINE");
        if (isWord(tokens[i], "INDEX")) {
            const on = tokens.findIndex((t, j) => j > i && isWord(t, "ON"));
            const t = on > 0 ? tableAt(tokens, on + 1, defaultDb) : null;
            return t ? { operation: "create-index", tables: [t[0]], temporary: false } : other;
        }
        // Definer and other clauses come before the object kind.
        const kind = head.find((t) => isWord(t, "VIEW", "FUNCTION", "PROCEDURE", "TRIGGER", "EVENT", "DATABASE", "SCHEMA", "USER", "ROLE", "SEQUENCE", "SERVER"));
        if (isWord(kind, "VIEW")) return { operation: "create-view", tables: [], temporary: false };
        if (isWord(kind, "FUNCTION")) return { operation: "create-function", tables: [], temporary: false };
        if (isWord(kind, "PROCEDURE")) return { operation: "create-procedure", tables: [], temporary: false };
        return other;
    }
    return other;
}

/**
 * The tables a DML statement logged as text writes (a session with binlog_format
 * STATEMENT or MIXED), or null when `sql` is not DML. Its rows are not in the binlog, so
 * the stream cannot apply it exactly; the engine refuses it for selected tables.
 */
export function loggedDmlTables(sql: string, defaultDb: string): NamedTable[] | null {
    // Cheap exit before lexing: most logged statements are DDL, some of them large.
    if (!/^(?:\s|\/\*[\s\S]*?\*\/|#[^\n]*\n|--\s[^\n]*\n)*(INSERT|REPLACE|UPDATE|DELETE|LOAD)\b/i.test(sql)) return null;
    const tokens = lexSql(sql).filter(isSignificant);
    const first = tokens[0];
    let i = 1;
    if (isWord(first, "INSERT", "REPLACE")) {
        i = skipWords(tokens, i, "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO");
    } else if (isWord(first, "UPDATE")) {
        i = skipWords(tokens, i, "LOW_PRIORITY", "IGNORE");
        return tableList(tokens, i, defaultDb);
    } else if (isWord(first, "DELETE")) {
        i = skipWords(tokens, i, "LOW_PRIORITY", "QUICK", "IGNORE");
        // DELETE t1, t2 FROM … names its targets first; DELETE FROM t names one.
        if (isWord(tokens[i], "FROM")) i++;
        return tableList(tokens, i, defaultDb);
    } else if (isWord(first, "LOAD") && isWord(tokens[1], "DATA")) {
        const into = tokens.findIndex((t, j) => isWord(t, "TABLE") && isWord(tokens[j - 1], "INTO"));
        const t = into > 0 ? tableAt(tokens, into + 1, defaultDb) : null;
        return t ? [t[0]] : [];
    } else {
        return null;
    }
    const t = tableAt(tokens, i, defaultDb);
    return t ? [t[0]] : [];
}
