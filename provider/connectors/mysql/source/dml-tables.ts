import type { LoggedDml, NamedTable } from "../../../engine/schema-change/statement";
import { isPunct, isWord, lexSql, type Token } from "../sql-lexer";

/**
 * DML a session logged as a statement (binlog_format STATEMENT or MIXED): which tables it
 * writes. The binlog then holds the statement's text and no row images, so the stream
 * cannot apply it exactly and refuses it for the task's tables (stream.ts refuseLoggedDml).
 *
 * Exact where the statement says it: INSERT/REPLACE/LOAD DATA/LOAD XML name their target;
 * a multi-table DELETE its targets, each an alias or a table of its FROM/USING clause; a
 * multi-table UPDATE the tables of its SET targets (all its tables when a target is an
 * unqualified column). WITH clauses lead to the main statement, and a CTE's name is never a
 * table. Conservative where it cannot be exact: the statement may also write tables it does
 * not name (`unnamedWrites`) when it calls a function that is not a built-in (a stored
 * function writes what its body says, and its writes are not logged apart from the call),
 * when it is a logged SELECT or DO (the server logs one only for a stored function with
 * side effects: MariaDB logs `SELECT f()`, `DO f()` and `SET @v = f()` all as
 * SELECT `db`.`f`()), or when its text cannot be read.
 *
 * What the text cannot say, and this does not know: triggers (a STATEMENT-logged write to
 * table a whose trigger writes table b names only a), and views (`UPDATE v` names the view).
 *
 * CALL is never logged itself: the server logs each statement of the procedure's body,
 * and so for an anonymous block (BEGIN NOT ATOMIC … END) and EXECUTE [IMMEDIATE].
 */

/**
 * The tables a statement logged as text writes, or null when it writes none (DDL,
 * account management, transaction control; those are classified by classifyStatement).
 * CREATE TABLE … SELECT counts: logged as text only by a STATEMENT-logged session (a ROW
 * one logs the generated CREATE TABLE, then the rows), so its rows are not in the binlog.
 */
export function loggedDml(sql: string, defaultDb: string): LoggedDml | null {
    // Cheap exit before lexing: most logged statements are DDL, some of them large.
    if (!dmlHead.test(sql)) return null;
    const tk = significantTokens(sql);
    const out: LoggedDml = { tables: [], unnamedWrites: false, databases: defaultDb ? [defaultDb] : [] };
    // The server logs one statement per event; a text with several is read piece by piece.
    let found = false;
    // A CREATE … statement is one statement whatever its body holds (a trigger's BEGIN … ; … END).
    for (const piece of isWord(tk[0], "CREATE") ? [tk] : statements(tk)) {
        const s = new Scan(piece, defaultDb);
        if (!s.statement(0, new Set())) continue;
        found = true;
        s.functionCalls();
        for (const t of s.tables) if (!out.tables.some((x) => sameTable(x, t))) out.tables.push(t);
        for (const d of s.databases) if (!out.databases.includes(d)) out.databases.push(d);
        out.unnamedWrites ||= s.unnamed;
    }
    return found ? out : null;
}

/**
 * The tables of loggedDml alone, for callers that do not look at `unnamedWrites` yet (the
 * shape ddl-statement.ts's loggedDmlTables always had).
 */
export function loggedDmlTables(sql: string, defaultDb: string): NamedTable[] | null {
    return loggedDml(sql, defaultDb)?.tables ?? null;
}

/** Whitespace and ordinary comments, then a keyword that may start a data change, an executable comment, or a parenthesis. */
const dmlHead = /^(?:\s|\/\*(?!M?!)[\s\S]*?\*\/|#[^\n]*(?:\n|$)|--(?:\s[^\n]*)?(?:\n|$))*(?:\(|\/\*M?!|(?:INSERT|REPLACE|UPDATE|DELETE|LOAD|WITH|SELECT|DO|SET|CALL|VALUES|ANALYZE|EXECUTE|CREATE)\b)/i;

/**
 * Tokens without spaces and comments, except that the text of an executable comment
 * (`/*! … *\/`, `/*!50001 … *\/`, MariaDB's `/*M!100100 … *\/`) is read as statement text,
 * since the server runs it. Optimizer hints (`/*+ … *\/`) are comments.
 */
function significantTokens(sql: string): Token[] {
    const out: Token[] = [];
    for (const t of lexSql(sql)) {
        if (t.kind === "space") continue;
        if (t.kind === "comment") {
            const m = /^\/\*M?!\d{0,6}/.exec(t.text);
            if (m) out.push(...significantTokens(t.text.slice(m[0].length, t.text.endsWith("*/") ? -2 : undefined)));
            continue;
        }
        out.push(t);
    }
    return out;
}

/** The statements of a text, split at semicolons outside parentheses. */
function statements(tk: Token[]): Token[][] {
    const out: Token[][] = [];
    let depth = 0;
    let from = 0;
    for (let i = 0; i <= tk.length; i++) {
        const t = tk[i];
        if (isPunct(t, "(")) depth++;
        else if (isPunct(t, ")")) depth = Math.max(0, depth - 1);
        else if (i === tk.length || (depth === 0 && isPunct(t, ";"))) {
            if (i > from) out.push(tk.slice(from, i));
            from = i + 1;
        }
    }
    return out;
}

function unquote(t: Token): string {
    return t.kind === "ident" ? t.text.slice(1, -1).replace(/``/g, "`") : t.text;
}

const isName = (t: Token | undefined): t is Token => t !== undefined && (t.kind === "ident" || t.kind === "word");

function sameTable(a: NamedTable, b: NamedTable): boolean {
    return a.database === b.database && a.name === b.name;
}

/** A table factor of a FROM/USING/UPDATE clause: a table (with its alias), or a derived table / CTE (table null). */
interface Ref {
    table: NamedTable | null;
    alias?: string;
    /** The name as written, unqualified (matches a multi-table DELETE target or a SET qualifier). */
    name?: string;
}

/** Words that end a table factor rather than alias it (an alias without AS cannot be a reserved word). */
const notAlias = new Set([
    "ON", "USING", "JOIN", "INNER", "CROSS", "LEFT", "RIGHT", "NATURAL", "STRAIGHT_JOIN", "OUTER", "FULL", "SET", "WHERE", "USE",
    "IGNORE", "FORCE", "PARTITION", "FOR", "ORDER", "LIMIT", "GROUP", "HAVING", "WINDOW", "RETURNING", "UNION", "EXCEPT",
    "INTERSECT", "AS", "LATERAL", "BEFORE", "INTO", "VALUES", "VALUE", "SELECT", "FROM", "LOCK", "PROCEDURE", "WITH",
]);

/** Words that start a query where a table may stand: a derived table, not a nested join. */
const queryStart = ["SELECT", "WITH", "VALUES", "TABLE"];

/** Where a DELETE's FROM/USING clause ends. */
const deleteRefsEnd = ["WHERE", "ORDER", "LIMIT", "RETURNING", "BEFORE"];

class Scan {
    tables: NamedTable[] = [];
    databases: string[] = [];
    unnamed = false;
    /** Token indexes of names followed by `(` that are not function calls (INSERT INTO t (cols), CTE column lists). */
    private readonly notCalls = new Set<number>();
    /** Aliases and unqualified table names of the statement (qualifiers that are not databases). */
    private readonly localNames = new Set<string>();
    private cteNames = new Set<string>();

    constructor(private readonly tk: Token[], private readonly defaultDb: string) {}

    /** Reads the statement at `i`; false when it is not one that writes data. */
    statement(i: number, ctes: Set<string>): boolean {
        const tk = this.tk;
        this.cteNames = ctes;
        const t = tk[i];
        if (isPunct(t, "(")) {
            // (SELECT f()) …: a logged query is a function's side effect.
            let j = i;
            while (isPunct(tk[j], "(")) j++;
            if (!isWord(tk[j], ...queryStart)) return false;
            this.unnamed = true;
            return true;
        }
        if (isWord(t, "WITH")) return this.withClause(i + 1);
        if (isWord(t, "INSERT", "REPLACE")) return this.insert(i + 1);
        if (isWord(t, "UPDATE")) return this.update(i + 1);
        if (isWord(t, "DELETE")) return this.delete(i + 1);
        if (isWord(t, "LOAD") && isWord(tk[i + 1], "DATA", "XML")) return this.load(i + 2);
        if (isWord(t, "SELECT", "DO", "VALUES", "CALL", "EXECUTE")) {
            this.unnamed = true;
            return true;
        }
        if (isWord(t, "SET")) return this.set(i + 1);
        if (isWord(t, "ANALYZE")) {
            // MariaDB's ANALYZE [FORMAT=JSON] <statement> runs the statement; ANALYZE TABLE is not DML.
            let j = i + 1;
            if (isWord(tk[j], "FORMAT") && isPunct(tk[j + 1], "=")) j += 3;
            return isWord(tk[j], "SELECT", "INSERT", "REPLACE", "UPDATE", "DELETE", "WITH") || isPunct(tk[j], "(") ? this.statement(j, ctes) : false;
        }
        if (isWord(t, "CREATE")) return this.createSelect(i + 1);
        return false;
    }

    private unparsed(): true {
        this.unnamed = true;
        return true;
    }

    private addTable(t: NamedTable): void {
        if (!this.tables.some((x) => sameTable(x, t))) this.tables.push(t);
    }

    private addDatabase(db: string): void {
        if (!this.databases.includes(db)) this.databases.push(db);
    }

    /** `name` or `db`.`name` at `i`: the table and the index after it. */
    private tableAt(i: number): [NamedTable, number] | null {
        const tk = this.tk;
        const a = tk[i];
        if (!isName(a)) return null;
        if (isPunct(tk[i + 1], ".") && isName(tk[i + 2])) {
            this.notCalls.add(i + 2);
            const t = { database: unquote(a), name: unquote(tk[i + 2]) };
            this.addDatabase(t.database);
            return [t, i + 3];
        }
        this.notCalls.add(i);
        return [{ database: this.defaultDb, name: unquote(a) }, i + 1];
    }

    /** Index just past the parenthesised group opening at `i`. */
    private skipGroup(i: number): number {
        let depth = 0;
        for (let j = i; j < this.tk.length; j++) {
            if (isPunct(this.tk[j], "(")) depth++;
            else if (isPunct(this.tk[j], ")") && --depth === 0) return j + 1;
        }
        return this.tk.length;
    }

    /** The first index at or after `i`, outside parentheses, whose token satisfies `stop`; tk.length when none. */
    private findTop(i: number, stop: (t: Token, j: number) => boolean): number {
        let depth = 0;
        for (let j = i; j < this.tk.length; j++) {
            const t = this.tk[j];
            if (isPunct(t, "(")) depth++;
            else if (isPunct(t, ")")) depth--;
            else if (depth === 0 && stop(t, j)) return j;
        }
        return this.tk.length;
    }

    private skipWords(i: number, ...words: string[]): number {
        while (isWord(this.tk[i], ...words)) i++;
        return i;
    }

    /** WITH [RECURSIVE] name [(cols)] AS (query) [, …] then the main statement. */
    private withClause(i: number): boolean {
        const tk = this.tk;
        const ctes = new Set(this.cteNames);
        if (isWord(tk[i], "RECURSIVE")) i++;
        for (;;) {
            const n = tk[i];
            if (!isName(n)) return this.unparsed();
            ctes.add(unquote(n).toLowerCase());
            this.notCalls.add(i);
            i++;
            if (isPunct(tk[i], "(")) i = this.skipGroup(i);
            if (!isWord(tk[i], "AS") || !isPunct(tk[i + 1], "(")) return this.unparsed();
            i = this.skipGroup(i + 1);
            if (!isPunct(tk[i], ",")) break;
            i++;
        }
        // The main statement; a WITH … SELECT logged as text is a function's side effect.
        return this.statement(i, ctes) || this.unparsed();
    }

    /** INSERT/REPLACE [LOW_PRIORITY | DELAYED | HIGH_PRIORITY] [IGNORE] [INTO] table … */
    private insert(i: number): boolean {
        i = this.skipWords(i, "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO");
        const t = this.tableAt(i);
        if (!t) return this.unparsed();
        this.addTable(t[0]);
        this.localNames.add(t[0].name.toLowerCase());
        return true;
    }

    /** LOAD DATA|XML [LOW_PRIORITY | CONCURRENT] [LOCAL] INFILE 'file' [REPLACE | IGNORE] INTO TABLE table … */
    private load(i: number): boolean {
        const into = this.findTop(i, (t, j) => isWord(t, "TABLE") && isWord(this.tk[j - 1], "INTO"));
        const t = into < this.tk.length ? this.tableAt(into + 1) : null;
        if (!t) return this.unparsed();
        this.addTable(t[0]);
        // Before SET, a parenthesis holds the column list (after the table, PARTITION (…), CHARACTER SET x or IGNORE n LINES).
        const set = this.findTop(t[1], (x, j) => isWord(x, "SET") && !isWord(this.tk[j - 1], "CHARACTER"));
        for (let j = t[1]; j < set; j++) if (isPunct(this.tk[j + 1], "(")) this.notCalls.add(j);
        return true;
    }

    /** CREATE [OR REPLACE] TABLE [IF NOT EXISTS] t … [IGNORE | REPLACE] [AS] SELECT …: the rows it inserts are not logged. */
    private createSelect(i: number): boolean {
        const tk = this.tk;
        if (isWord(tk[i], "OR") && isWord(tk[i + 1], "REPLACE")) i += 2;
        // CREATE TEMPORARY TABLE … SELECT: session-local, never a table the task migrates.
        if (!isWord(tk[i], "TABLE")) return false;
        i++;
        if (isWord(tk[i], "IF") && isWord(tk[i + 1], "NOT") && isWord(tk[i + 2], "EXISTS")) i += 3;
        const t = this.tableAt(i);
        if (!t) return false;
        const after = t[1];
        const select = this.findTop(after, (x, j) => isWord(x, "SELECT") || (isWord(x, "WITH") && !isWord(tk[j + 1], "SYSTEM")));
        const parenthesised = isPunct(tk[after], "(") && isWord(tk[after + 1], "SELECT", "WITH");
        if (select === tk.length && !parenthesised) return false;
        this.addTable(t[0]);
        return true;
    }

    /** SET STATEMENT … FOR <statement> (MariaDB), or a SET that calls a stored function. */
    private set(i: number): boolean {
        const tk = this.tk;
        if (isWord(tk[i], "STATEMENT")) {
            const f = this.findTop(i + 1, (t) => isWord(t, "FOR"));
            return f < tk.length ? this.statement(f + 1, this.cteNames) : false;
        }
        // Account and session statements the server logs; none writes a table.
        if (isWord(tk[i], "PASSWORD", "ROLE", "DEFAULT", "NAMES", "CHARACTER", "CHARSET", "TRANSACTION")) return false;
        // Otherwise (SET @v = f(), MySQL): only a stored function's side effects put it in the binlog.
        return this.hasStoredCall();
    }

    /**
     * Table factors between `i` and `end`: tables (with aliases), derived tables, nested
     * joins, index hints, PARTITION (…), ON/USING conditions.
     */
    private references(i: number, end: number): Ref[] {
        const tk = this.tk;
        const refs: Ref[] = [];
        let expect = true;
        while (i < end) {
            const t = tk[i];
            if (!expect) {
                if (isPunct(t, ",") || isWord(t, "JOIN", "STRAIGHT_JOIN")) expect = true;
                i = isPunct(t, "(") ? this.skipGroup(i) : i + 1;
                continue;
            }
            if (isPunct(t, "(")) {
                let j = i;
                while (isPunct(tk[j], "(")) j++;
                if (isWord(tk[j], ...queryStart)) {
                    // Derived table: read only, never written.
                    i = this.alias(this.skipGroup(i), end, refs, null, undefined);
                    expect = false;
                } else {
                    i++; // a nested join: its tables are factors like any other
                }
                continue;
            }
            if (isPunct(t, "{") || isWord(t, "OJ", "LATERAL")) {
                i++;
                continue;
            }
            if (isName(t) && isPunct(tk[i + 1], "(")) {
                // A table function (JSON_TABLE): read only.
                i = this.alias(this.skipGroup(i + 1), end, refs, null, undefined);
                expect = false;
                continue;
            }
            const named = this.tableAt(i);
            if (!named) {
                i++;
                continue;
            }
            const name = named[0].name;
            const cte = named[1] === i + 1 && this.cteNames.has(name.toLowerCase());
            i = named[1];
            if (isWord(tk[i], "PARTITION") && isPunct(tk[i + 1], "(")) i = this.skipGroup(i + 1);
            i = this.alias(i, end, refs, cte ? null : named[0], name);
            expect = false;
        }
        for (const r of refs) {
            if (r.alias) this.localNames.add(r.alias.toLowerCase());
            if (r.name) this.localNames.add(r.name.toLowerCase());
        }
        return refs;
    }

    /** [AS] alias [(cols)] after a table factor at `i`; pushes the factor; returns the index after. */
    private alias(i: number, end: number, refs: Ref[], table: NamedTable | null, name: string | undefined): number {
        const tk = this.tk;
        let alias: string | undefined;
        if (i < end && isWord(tk[i], "AS") && isName(tk[i + 1])) {
            alias = unquote(tk[i + 1]);
            i += 2;
        } else if (i < end && (tk[i].kind === "ident" || (tk[i].kind === "word" && !notAlias.has(tk[i].text.toUpperCase())))) {
            alias = unquote(tk[i]);
            i++;
        }
        if (alias !== undefined && isPunct(tk[i], "(")) {
            this.notCalls.add(i - 1);
            i = this.skipGroup(i);
        }
        refs.push({ table, alias, name });
        return i;
    }

    /** The table a qualifier (`x` of x.col, or a DELETE target) stands for: an alias, else a table's own name. */
    private resolve(refs: Ref[], db: string | undefined, name: string): NamedTable | null | undefined {
        if (db !== undefined) return refs.find((r) => r.table && r.table.database === db && r.table.name === name)?.table ?? undefined;
        const byAlias = refs.find((r) => r.alias === name) ?? refs.find((r) => r.alias?.toLowerCase() === name.toLowerCase());
        if (byAlias) return byAlias.table; // null: a derived table or CTE, never written
        const byName = refs.find((r) => !r.alias && r.name === name) ?? refs.find((r) => !r.alias && r.name?.toLowerCase() === name.toLowerCase());
        return byName ? byName.table : undefined;
    }

    private allTables(refs: Ref[]): void {
        for (const r of refs) if (r.table) this.addTable(r.table);
    }

    /** UPDATE [LOW_PRIORITY] [IGNORE] table_references SET assignments … */
    private update(i: number): boolean {
        i = this.skipWords(i, "LOW_PRIORITY", "IGNORE");
        const set = this.findTop(i, (t) => isWord(t, "SET"));
        const refs = this.references(i, set);
        if (set === this.tk.length || refs.length === 0) {
            this.allTables(refs);
            return this.unparsed();
        }
        const real = refs.filter((r) => r.table);
        if (real.length <= 1) {
            this.allTables(refs);
            return true;
        }
        // Several tables: only those a SET target names are written.
        const targets = this.assignmentTargets(set + 1);
        const written: NamedTable[] = [];
        for (const q of targets) {
            const t = q ? this.resolve(refs, q.db, q.name) : undefined;
            if (t === undefined) {
                this.allTables(refs);
                return true;
            }
            if (t) written.push(t);
        }
        for (const t of written) this.addTable(t);
        return true;
    }

    /** The qualifier of each SET target from `i` (undefined for an unqualified column) up to WHERE/ORDER/LIMIT. */
    private assignmentTargets(i: number): ({ db?: string; name: string } | undefined)[] {
        const tk = this.tk;
        const end = this.findTop(i, (t) => isWord(t, "WHERE", "ORDER", "LIMIT", "RETURNING"));
        const out: ({ db?: string; name: string } | undefined)[] = [];
        while (i < end) {
            const next = Math.min(this.findTop(i, (t) => isPunct(t, ",")), end);
            const eq = this.findTop(i, (t) => isPunct(t, "=") || isPunct(t, ":"));
            const lhs = tk.slice(i, Math.min(eq, next));
            if (lhs.length === 5 && isPunct(lhs[1], ".") && isPunct(lhs[3], ".") && isName(lhs[0]) && isName(lhs[2])) {
                out.push({ db: unquote(lhs[0]), name: unquote(lhs[2]) });
                this.addDatabase(unquote(lhs[0]));
            } else if (lhs.length === 3 && isPunct(lhs[1], ".") && isName(lhs[0])) {
                out.push({ name: unquote(lhs[0]) });
            } else {
                out.push(undefined);
            }
            i = next + 1;
        }
        return out;
    }

    /**
     * DELETE [LOW_PRIORITY] [QUICK] [IGNORE] [HISTORY] then one of
     *   FROM table [[AS] alias] [PARTITION (…)] …           (one table)
     *   targets FROM table_references …                    (targets: alias or table, [.*])
     *   FROM targets USING table_references …
     */
    private delete(i: number): boolean {
        const tk = this.tk;
        i = this.skipWords(i, "LOW_PRIORITY", "QUICK", "IGNORE", "HISTORY");
        const refsEnd = (from: number) =>
            this.findTop(from, (t, j) => isWord(t, ...deleteRefsEnd) || (isWord(t, "FOR") && isWord(tk[j + 1], "PORTION")));
        if (isWord(tk[i], "FROM")) {
            const [targets, after] = this.targetList(i + 1);
            if (targets.length === 0) return this.unparsed();
            if (isWord(tk[after], "USING")) return this.resolveTargets(targets, this.references(after + 1, refsEnd(after + 1)));
            // One table (a second would be a syntax error); an alias or PARTITION may follow.
            const t = targets[0];
            this.addTable({ database: t.db ?? this.defaultDb, name: t.name });
            this.localNames.add(t.name.toLowerCase());
            const a = isWord(tk[after], "AS") ? tk[after + 1] : tk[after];
            if (a && (a.kind === "ident" || (a.kind === "word" && !notAlias.has(a.text.toUpperCase())))) this.localNames.add(unquote(a).toLowerCase());
            return true;
        }
        const [targets, after] = this.targetList(i);
        if (targets.length === 0 || !isWord(tk[after], "FROM")) return this.unparsed();
        return this.resolveTargets(targets, this.references(after + 1, refsEnd(after + 1)));
    }

    /** A comma-separated list of [db.]name[.*] at `i`. */
    private targetList(i: number): [{ db?: string; name: string }[], number] {
        const tk = this.tk;
        const out: { db?: string; name: string }[] = [];
        for (;;) {
            if (!isName(tk[i])) break;
            let db: string | undefined;
            let name = unquote(tk[i]);
            this.notCalls.add(i);
            i++;
            if (isPunct(tk[i], ".") && isName(tk[i + 1])) {
                db = name;
                name = unquote(tk[i + 1]);
                this.notCalls.add(i + 1);
                i += 2;
            }
            if (isPunct(tk[i], ".") && isPunct(tk[i + 1], "*")) i += 2;
            out.push({ db, name });
            if (db !== undefined) this.addDatabase(db);
            if (!isPunct(tk[i], ",")) break;
            i++;
        }
        return [out, i];
    }

    private resolveTargets(targets: { db?: string; name: string }[], refs: Ref[]): boolean {
        const written: NamedTable[] = [];
        for (const q of targets) {
            const t = this.resolve(refs, q.db, q.name);
            if (t === undefined) {
                // Not in the clause (the server would have refused it): everything, and the name itself.
                this.allTables(refs);
                this.addTable({ database: q.db ?? this.defaultDb, name: q.name });
                return true;
            }
            if (t) written.push(t);
        }
        for (const t of written) this.addTable(t);
        return true;
    }

    /** A call of a function that is not a built-in anywhere in the statement. */
    private hasStoredCall(): boolean {
        this.functionCalls();
        return this.unnamed;
    }

    /**
     * Marks the statement as writing unnamed tables when it calls a function that is not a
     * built-in: a stored function (or a loadable one) may write anything, and under
     * statement logging its writes are not logged apart from the call. `db.f(…)` names
     * the function's database.
     */
    functionCalls(): void {
        const tk = this.tk;
        for (let i = 0; i < tk.length - 1; i++) {
            const t = tk[i];
            if (!isName(t) || !isPunct(tk[i + 1], "(") || this.notCalls.has(i)) continue;
            const prev = tk[i - 1];
            if (isPunct(prev, ".") && isName(tk[i - 2])) {
                // db.f(…): always a stored function (built-ins are never qualified).
                this.addDatabase(unquote(tk[i - 2]));
                this.unnamed = true;
                continue;
            }
            if (isWord(prev, "AS")) continue; // CAST(x AS DECIMAL(10, 2)), derived (cols)
            const name = unquote(t).toUpperCase();
            if (t.kind === "word" && parenKeywords.has(name)) continue;
            if (isBuiltin(name)) continue;
            this.unnamed = true;
        }
        // Qualifiers that are not aliases or tables of the statement: databases (FROM d.t in a subquery, d.t.col).
        for (let i = 1; i < tk.length; i++) if (isWord(tk[i - 1], "AS") && isName(tk[i])) this.localNames.add(unquote(tk[i]).toLowerCase());
        for (let i = 0; i + 2 < tk.length; i++) {
            if (!isName(tk[i]) || !isPunct(tk[i + 1], ".") || !isName(tk[i + 2]) || isPunct(tk[i - 1], ".")) continue;
            const q = unquote(tk[i]);
            if (this.localNames.has(q.toLowerCase()) || this.cteNames.has(q.toLowerCase())) continue;
            if (tk[i].kind === "word" && (parenKeywords.has(q.toUpperCase()) || isBuiltin(q.toUpperCase()))) continue;
            this.addDatabase(q);
        }
    }
}

/** Keywords a parenthesis may follow without making a call: operators, clauses, types. */
const parenKeywords = new Set([
    "IN", "EXISTS", "VALUES", "VALUE", "AND", "OR", "NOT", "XOR", "ON", "USING", "JOIN", "STRAIGHT_JOIN", "SELECT", "FROM", "WHERE",
    "BY", "AS", "OVER", "PARTITION", "KEY", "INDEX", "INTO", "SET", "THEN", "ELSE", "WHEN", "CASE", "IS", "LIKE", "BETWEEN", "ANY",
    "ALL", "SOME", "DISTINCT", "DISTINCTROW", "ROW", "INTERVAL", "BINARY", "RETURNING", "LIMIT", "OFFSET", "HAVING", "WINDOW",
    "UNION", "EXCEPT", "INTERSECT", "LATERAL", "DIV", "MOD", "REGEXP", "RLIKE", "ESCAPE", "AGAINST", "MATCH", "COLUMNS", "PATH",
    "FOR", "UPDATE", "DELETE", "INSERT", "REPLACE", "IGNORE", "FORCE", "USE", "DO", "TABLE", "WITH", "RECURSIVE", "OF", "TO",
    "DEFAULT", "NULL", "UNKNOWN", "TRUE", "FALSE", "LOW_PRIORITY", "HIGH_PRIORITY", "DELAYED", "QUICK", "STRAIGHT_JOIN",
    "SQL_CALC_FOUND_ROWS", "ROWS", "RANGE", "EXPLAIN", "ANALYZE", "ORDER", "GROUP", "DESC", "ASC", "LEFT", "RIGHT", "CROSS",
    "INNER", "OUTER", "NATURAL", "ELSEIF", "RETURN", "WHILE", "UNTIL", "LEADING", "TRAILING", "BOTH", "SEPARATOR", "COLLATE",
    // Types (CAST(x AS CHAR(3)), CONVERT(x, DECIMAL(10,2)), JSON_TABLE columns).
    "CHAR", "CHARACTER", "VARCHAR", "VARCHAR2", "NCHAR", "NVARCHAR", "VARBINARY", "DECIMAL", "DEC", "NUMERIC", "NUMBER", "FIXED",
    "FLOAT", "DOUBLE", "REAL", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "MEDIUMINT", "INT1", "INT2", "INT3", "INT4",
    "INT8", "FLOAT4", "FLOAT8", "SIGNED", "UNSIGNED", "DATETIME", "TIME", "TIMESTAMP", "DATE", "YEAR", "BIT", "TEXT", "BLOB",
    "JSON", "RAW", "ENUM", "INET4", "INET6", "UUID", "VECTOR",
]);

/** Names of built-in functions (MariaDB's information_schema.SQL_FUNCTIONS and help tables, and MySQL 8's). */
const builtins = new Set(`
ABS ACOS ADDDATE ADDTIME ADD_MONTHS AES_DECRYPT AES_ENCRYPT ANY_VALUE AREA ASBINARY ASCII ASIN ASTEXT ASWKB ASWKT ATAN ATAN2
AVG BENCHMARK BIN BINLOG_GTID_POS BIN_TO_UUID BIT_AND BIT_COUNT BIT_LENGTH BIT_OR BIT_XOR BOUNDARY BUFFER CAN_ACCESS_COLUMN
CAN_ACCESS_DATABASE CAN_ACCESS_TABLE CAN_ACCESS_VIEW CAST CEIL CEILING CENTROID CHAR CHARACTER_LENGTH CHARSET CHAR_LENGTH CHR
COALESCE COERCIBILITY COLLATION COMPRESS CONCAT CONCAT_OPERATOR_ORACLE CONCAT_WS CONNECTION_ID CONTAINS CONV CONVERT
CONVERT_TZ CONVEXHULL COS COT COUNT CRC32 CRC32C CROSSES CUME_DIST CURDATE CURRENT_DATE CURRENT_ROLE CURRENT_TIME
CURRENT_TIMESTAMP CURRENT_USER CURTIME DATABASE DATE DATEDIFF DATE_ADD DATE_FORMAT DATE_SUB DAY DAYNAME DAYOFMONTH DAYOFWEEK
DAYOFYEAR DECODE DECODE_HISTOGRAM DECODE_ORACLE DEFAULT DEGREES DENSE_RANK DES_DECRYPT DES_ENCRYPT DIMENSION DISJOINT ELT
ENCODE ENCRYPT ENDPOINT ENVELOPE EQUALS EXP EXPORT_SET EXTERIORRING EXTRACT EXTRACTVALUE FIELD FIND_IN_SET FIRST_VALUE FLOOR
FORMAT FORMAT_BYTES FORMAT_PICO_TIME FOUND_ROWS FROM_BASE64 FROM_DAYS FROM_UNIXTIME GEOMETRYCOLLECTION GEOMETRYN GEOMETRYTYPE
GET_FORMAT GET_LOCK GLENGTH GREATEST GROUPING GROUP_CONCAT GTID_SUBSET GTID_SUBTRACT HEX HOUR ICU_VERSION IF IFNULL INET6_ATON
INET6_NTOA INET_ATON INET_NTOA INSERT INSTR INTERIORRINGN INTERSECTS INTERVAL ISCLOSED ISEMPTY ISNULL ISRING ISSIMPLE IS_FREE_LOCK
IS_IPV4 IS_IPV4_COMPAT IS_IPV4_MAPPED IS_IPV6 IS_USED_LOCK IS_UUID KDF LAG LASTVAL LAST_DAY LAST_INSERT_ID LAST_VALUE LCASE LEAD
LEAST LEFT LENGTH LENGTHB LINESTRING LN LOAD_FILE LOCALTIME LOCALTIMESTAMP LOCATE LOG LOG10 LOG2 LOWER LPAD LPAD_ORACLE LTRIM
LTRIM_ORACLE MAKEDATE MAKETIME MAKE_SET MASTER_GTID_WAIT MASTER_POS_WAIT MATCH MAX MD5 MEDIAN MICROSECOND MID MIN MINUTE MOD
MONTH MONTHNAME MONTHS_BETWEEN MULTILINESTRING MULTIPOINT MULTIPOLYGON NAME_CONST NATURAL_SORT_KEY NEXTVAL NOW NTH_VALUE NTILE
NULLIF NUMGEOMETRIES NUMINTERIORRINGS NUMPOINTS NVL NVL2 OCT OCTET_LENGTH OLD_PASSWORD OLD_VALUE ORD OVERLAPS PASSWORD
PERCENTILE_CONT PERCENTILE_DISC PERCENT_RANK PERIOD_ADD PERIOD_DIFF PI POINT POINTN POINTONSURFACE POLYGON POSITION POW POWER
PS_CURRENT_THREAD_ID PS_THREAD_ID QUARTER QUOTE RADIANS RAND RANDOM_BYTES RANK RELEASE_ALL_LOCKS RELEASE_LOCK REPEAT REPLACE
REPLACE_ORACLE REVERSE RIGHT ROLES_GRAPHML ROUND ROWNUM ROW_COUNT ROW_NUMBER RPAD RPAD_ORACLE RTRIM RTRIM_ORACLE SCHEMA SCHEMAS
SECOND SEC_TO_TIME SESSION_USER SETVAL SFORMAT SHA SHA1 SHA2 SIGN SIN SLEEP SOUNDEX SOURCE_POS_WAIT SPACE SQRT SRID STARTPOINT
STATEMENT_DIGEST STATEMENT_DIGEST_TEXT STD STDDEV STDDEV_POP STDDEV_SAMP STRCMP STR_TO_DATE SUBDATE SUBSTR SUBSTRING
SUBSTRING_INDEX SUBSTR_ORACLE SUBTIME SUM SYSDATE SYSTEM_USER SYS_GUID TAN TIME TIMEDIFF TIMESTAMP TIMESTAMPADD TIMESTAMPDIFF
TIME_FORMAT TIME_TO_SEC TOUCHES TO_BASE64 TO_CHAR TO_DATE TO_DAYS TO_NUMBER TO_SECONDS TRIM TRIM_ORACLE TRUNC TRUNCATE UCASE
UNCOMPRESS UNCOMPRESSED_LENGTH UNHEX UNIX_TIMESTAMP UPDATEXML UPPER USER UTC_DATE UTC_TIME UTC_TIMESTAMP UUID UUID_SHORT
UUID_TO_BIN UUID_V4 UUID_V7 VALIDATE_PASSWORD_STRENGTH VALUES VARIANCE VAR_POP VAR_SAMP VERSION WAIT_FOR_EXECUTED_GTID_SET
WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS WEEK WEEKDAY WEEKOFYEAR WEIGHT_STRING WITHIN X Y YEAR YEARWEEK
`.trim().split(/\s+/));

/** Families of built-ins: spatial (ST_*, MBR*, *FromText, *FromWKB), JSON_*, REGEXP_*, dynamic columns, vectors, Galera. */
const builtinFamily = /^(?:ST_|MBR|JSON_|REGEXP_|COLUMN_|VEC_|WSREP_|GEOM|INTERNAL_|GET_DD_)|(?:FROMTEXT|FROMWKB)$/;

function isBuiltin(upper: string): boolean {
    return builtins.has(upper) || builtinFamily.test(upper);
}
