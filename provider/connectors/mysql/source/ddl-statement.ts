import type { DdlOperation } from "../../../../sdk/schema/task";
import { isPunct, isSignificant, isWord, lexSql, type Token } from "../sql-lexer";
import type { ClassifiedStatement, NamedTable, ObjectOperation } from "../../../engine/schema-change/statement";

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
 * Classifies a statement from a binlog query event by its leading keywords: the verb, the
 * clauses the grammar allows before the object kind (OR REPLACE, ALGORITHM, DEFINER, SQL
 * SECURITY, AGGREGATE, TEMPORARY, ONLINE/IGNORE), then the kind and the name. Nothing
 * after the name decides, so a body (ALTER EVENT … DO CREATE VIEW …) is never taken for
 * the statement. The statement itself is applied (or refused) by the engine with the text
 * as logged.
 */
export function classifyStatement(sql: string, defaultDb: string): ClassifiedStatement {
    const tokens = lexSql(sql).filter(isSignificant);
    const result = (operation: ClassifiedStatement["operation"], parts: Partial<ClassifiedStatement> = {}): ClassifiedStatement =>
        ({ operation, tables: [], objects: [], temporary: false, orReplace: false, ...parts });
    const other = result("other");
    const first = tokens[0];
    if (isWord(first, "TRUNCATE")) {
        const t = tableAt(tokens, isWord(tokens[1], "TABLE") ? 2 : 1, defaultDb);
        return t ? result("truncate-table", { tables: [t[0]] }) : other;
    }
    if (isWord(first, "RENAME") && isWord(tokens[1], "TABLE")) {
        const tables: NamedTable[] = [];
        let i = 2;
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
        return result("rename-table", { tables });
    }
    if (isWord(first, "ALTER")) {
        let i = skipWords(tokens, 1, "ONLINE", "OFFLINE", "IGNORE");
        if (isWord(tokens[i], "TABLE")) {
            const t = tableAt(tokens, i + 1, defaultDb);
            return t ? result("alter-table", { tables: [t[0]] }) : other;
        }
        if (isWord(tokens[1], "DATABASE", "SCHEMA")) return result("alter-database", { objects: [{ database: alteredDatabase(tokens, 2, defaultDb), name: "" }] });
        i = skipObjectClauses(tokens, 1);
        const kind = tokens[i];
        const named = tableAt(tokens, i + 1, defaultDb);
        if (!named) return other;
        if (isWord(kind, "VIEW")) return result("alter-view", { objects: [named[0]] });
        if (isWord(kind, "FUNCTION")) return result("alter-function", { objects: [named[0]] });
        if (isWord(kind, "PROCEDURE")) return result("alter-procedure", { objects: [named[0]] });
        if (isWord(kind, "EVENT")) {
            const renamed = eventRenamedTo(tokens, named[1], named[0].database);
            return result("alter-event", { objects: renamed ? [named[0], renamed] : [named[0]] });
        }
        return other;
    }
    if (isWord(first, "DROP")) {
        let i = 1;
        const temporary = isWord(tokens[i], "TEMPORARY");
        if (temporary) i++;
        const kind = tokens[i];
        if (isWord(kind, "TABLE", "TABLES")) {
            return result("drop-table", { tables: tableList(tokens, skipIfExists(tokens, i + 1), defaultDb), temporary });
        }
        if (isWord(kind, "INDEX")) {
            i = skipIfExists(tokens, i + 1);
            const on = tokens.findIndex((t, j) => j > i && isWord(t, "ON"));
            const t = on > 0 ? tableAt(tokens, on + 1, defaultDb) : null;
            return t ? result("drop-index", { tables: [t[0]] }) : other;
        }
        const names = objectList(tokens, skipIfExists(tokens, i + 1), defaultDb);
        if (names.length === 0) return other;
        if (isWord(kind, "DATABASE", "SCHEMA")) return result("drop-database", { objects: [{ database: names[0].name, name: "" }] });
        const op = dropOperations[kind?.text.toUpperCase() ?? ""];
        return op ? result(op, { objects: isWord(kind, "VIEW") ? names : [names[0]] }) : other;
    }
    if (isWord(first, "CREATE")) {
        let i = 1;
        const orReplace = isWord(tokens[1], "OR") && isWord(tokens[2], "REPLACE");
        if (orReplace) i = 3;
        const temporary = isWord(tokens[i], "TEMPORARY");
        if (temporary) i++;
        if (isWord(tokens[i], "TABLE")) {
            const t = tableAt(tokens, skipIfExists(tokens, i + 1), defaultDb);
            return t ? result("create-table", { tables: [t[0]], temporary, orReplace }) : other;
        }
        if (isWord(tokens[i], "DATABASE", "SCHEMA")) {
            const d = tableAt(tokens, skipIfExists(tokens, i + 1), defaultDb);
            return d ? result("create-database", { objects: [{ database: d[0].name, name: "" }], orReplace }) : other;
        }
        const j = skipWords(tokens, i, "UNIQUE", "FULLTEXT", "SPATIAL", "ONLINE", "OFFLINE");
        if (isWord(tokens[j], "INDEX")) {
            const on = tokens.findIndex((t, k) => k > j && isWord(t, "ON"));
            const t = on > 0 ? tableAt(tokens, on + 1, defaultDb) : null;
            return t ? result("create-index", { tables: [t[0]] }) : other;
        }
        i = skipObjectClauses(tokens, i);
        const kind = tokens[i];
        const named = tableAt(tokens, skipIfExists(tokens, i + 1), defaultDb);
        if (!named) return other;
        const objects = [named[0]];
        if (isWord(kind, "VIEW")) return result("create-view", { objects, orReplace });
        if (isWord(kind, "FUNCTION")) return result("create-function", { objects, orReplace });
        if (isWord(kind, "PROCEDURE")) return result("create-procedure", { objects, orReplace });
        if (isWord(kind, "EVENT")) return result("create-event", { objects, orReplace });
        if (isWord(kind, "TRIGGER")) {
            // name {BEFORE|AFTER} {INSERT|UPDATE|DELETE} ON table: the table is in the trigger's database.
            const on = isWord(tokens[named[1] + 2], "ON") ? named[1] + 2 : -1;
            const t = on > 0 ? tableAt(tokens, on + 1, named[0].database) : null;
            return result("create-trigger", { objects, tables: t ? [t[0]] : [], orReplace });
        }
        return other;
    }
    return other;
}

const dropOperations: Record<string, ObjectOperation> = {
    VIEW: "drop-view", FUNCTION: "drop-function", PROCEDURE: "drop-procedure", TRIGGER: "drop-trigger", EVENT: "drop-event",
};

/**
 * Skips what may stand between CREATE [OR REPLACE] / ALTER and a view's, routine's,
 * trigger's or event's kind keyword: ALGORITHM = x, DEFINER = user, SQL SECURITY x, AGGREGATE.
 */
function skipObjectClauses(tokens: Token[], i: number): number {
    for (;;) {
        const t = tokens[i];
        if (isWord(t, "ALGORITHM") && isPunct(tokens[i + 1], "=")) i += 3;
        else if (isWord(t, "SQL") && isWord(tokens[i + 1], "SECURITY")) i += 3;
        else if (isWord(t, "AGGREGATE")) i += 1;
        else if (isWord(t, "DEFINER") && isPunct(tokens[i + 1], "=")) i = skipUser(tokens, i + 2);
        else return i;
    }
}

/** A user: CURRENT_USER [()], CURRENT_ROLE, or name [@host] with each part a word, `ident` or 'string'. */
function skipUser(tokens: Token[], i: number): number {
    if (isWord(tokens[i], "CURRENT_USER", "CURRENT_ROLE")) {
        i++;
        if (isPunct(tokens[i], "(") && isPunct(tokens[i + 1], ")")) i += 2;
        return i;
    }
    i++;
    if (isPunct(tokens[i], "@")) i += 2;
    return i;
}

/** A comma-separated list of [db.]name (DROP VIEW a, b). */
function objectList(tokens: Token[], i: number, defaultDb: string): NamedTable[] {
    const out: NamedTable[] = [];
    for (let t = tableAt(tokens, i, defaultDb); t; t = isPunct(tokens[t[1]], ",") ? tableAt(tokens, t[1] + 1, defaultDb) : null) out.push(t[0]);
    return out;
}

/** ALTER DATABASE [name] options: without a name, the session's database. */
function alteredDatabase(tokens: Token[], i: number, defaultDb: string): string {
    const t = tokens[i];
    if (!t || isWord(t, "DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "COMMENT", "READ", "ENCRYPTION")) return defaultDb;
    return t.kind === "ident" || t.kind === "word" ? unquote(t) : defaultDb;
}

/** ALTER EVENT … RENAME TO [db.]new, looked for before DO (the body may say RENAME … TO too). */
function eventRenamedTo(tokens: Token[], i: number, eventDb: string): NamedTable | null {
    for (; i < tokens.length && !isWord(tokens[i], "DO"); i++) {
        if (isWord(tokens[i], "RENAME") && isWord(tokens[i + 1], "TO")) return tableAt(tokens, i + 2, eventDb)?.[0] ?? null;
    }
    return null;
}

/** The tables a DML statement logged as text writes (dml-tables.ts reads them). */
export { loggedDml, loggedDmlTables } from "./dml-tables";
