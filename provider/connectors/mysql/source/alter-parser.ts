import type { SourceIndex, SourceTable } from "../../../engine/model";
import { applyAlterAction, applyTableOptions } from "./alter-apply";
import { type ColumnDefinition, parseColumnDefinition } from "./column-definition";
import { type AlterAction, type ColumnPosition, DdlParseError, type ParsedAlter } from "../../../engine/schema-change/alter";
import { closing, isName, nameOf, optionValue, type Sig, significant, skipIf, sliceText, splitTopLevel, tableRefAt, unwrapExecutableComments, upper } from "./ddl-tokens";
import { unquoteIdent } from "../identifiers";
import { decodeStringLiteral, isPunct, isWord } from "../sql-lexer";

/**
 * Parsing of the DDL the incremental stream receives as text (binlog query events): ALTER
 * TABLE into a list of actions, a column definition into a SourceColumn filled as
 * introspect-tables.ts fills it from information_schema, CREATE TABLE into a SourceTable,
 * CREATE/DROP INDEX into the same actions as ALTER TABLE … ADD/DROP INDEX. Also the
 * source-side bookkeeping both destinations share: how each action changes the SourceTable
 * (applyAlterAction), so a TableMapping stays what re-introspection would give.
 *
 * The parser reads statements the server accepted (they are in the binlog), so it is lenient:
 * what it does not understand becomes an `unsupported` action with the clause text, never a
 * guess. MySQL's executable comments (/*!50100 … *\/, MariaDB's /*M!… *\/) are read as if
 * their version condition held. Assumes sql_mode without ANSI_QUOTES (double quotes are
 * strings), as the rest of the engine does.


/** Key parts `(a(10), b DESC)` at `open`; null for functional parts ((expr)), which SourceIndex cannot hold. */
function keyParts(sig: Sig, open: number, end: number): [SourceIndex["columns"] | null, number] {
    const c = closing(sig, open, end);
    if (c < 0) return [null, end];
    const parts: SourceIndex["columns"] = [];
    for (const [s, e] of splitTopLevel(sig, open + 1, c)) {
        if (!isName(sig[s])) return [null, c + 1];
        let prefixLength: number | null = null;
        let j = s + 1;
        if (isPunct(sig[j], "(") && sig[j + 1]?.kind === "number" && isPunct(sig[j + 2], ")")) {
            prefixLength = Number(sig[j + 1].text);
            j += 3;
        }
        let descending = false;
        if (isWord(sig[j], "DESC")) (descending = true), j++;
        else if (isWord(sig[j], "ASC")) j++;
        if (j !== e) return [null, c + 1];
        parts.push({ name: nameOf(sig[s]), prefixLength, descending });
    }
    return [parts, c + 1];
}

interface IndexBody {
    name: string | null;
    using: string | null;
    columns: SourceIndex["columns"] | null;
    comment: string | null;
    /** Options other than USING as written. */
    options: string;
    end: number;
}

/** `[name] [USING type] (parts) [options]` starting at i. */
function indexBody(sig: Sig, sql: string, i: number, end: number): IndexBody {
    let name: string | null = null;
    let using: string | null = null;
    if (isName(sig[i]) && !isWord(sig[i], "USING", "TYPE") && !isPunct(sig[i + 1], ".")) {
        name = nameOf(sig[i]);
        i++;
    }
    if (isWord(sig[i], "USING", "TYPE")) {
        using = upper(sig[i + 1]);
        i += 2;
    }
    if (!isPunct(sig[i], "(")) return { name, using, columns: null, comment: null, options: "", end };
    const [columns, after] = keyParts(sig, i, end);
    i = after;
    let comment: string | null = null;
    const opts: string[] = [];
    while (i < end) {
        if (isWord(sig[i], "USING", "TYPE")) {
            using = upper(sig[i + 1]);
            i += 2;
            continue;
        }
        const start = i;
        if (isWord(sig[i], "COMMENT") && sig[i + 1]?.kind === "string") {
            comment = decodeStringLiteral(sig[i + 1].text);
            i += 2;
        } else if (isWord(sig[i], "KEY_BLOCK_SIZE", "ENGINE_ATTRIBUTE", "SECONDARY_ENGINE_ATTRIBUTE", "CLUSTERING")) {
            i = optionValue(sig, sql, i + 1, end)[1];
        } else if (isWord(sig[i], "WITH") && isWord(sig[i + 1], "PARSER")) {
            i += 3;
        } else if (isWord(sig[i], "NOT") && isWord(sig[i + 1], "IGNORED")) {
            i += 2;
        } else {
            i++;
        }
        opts.push(sliceText(sql, sig, start, i));
    }
    return { name, using, columns, comment, options: opts.join(" "), end: i };
}

const refRule = (sig: Sig, j: number): [string, number] => {
    if (isWord(sig[j], "SET") && isWord(sig[j + 1], "NULL", "DEFAULT")) return [`SET ${upper(sig[j + 1])}`, j + 2];
    if (isWord(sig[j], "NO") && isWord(sig[j + 1], "ACTION")) return ["NO ACTION", j + 2];
    return [upper(sig[j]) || "RESTRICT", j + 1];
};

// ---------------------------------------------------------------------------------------
// ALTER TABLE

/** The position clause at the end of an ADD/CHANGE/MODIFY column clause, and where the definition ends. */
function positionAt(sig: Sig, from: number, end: number): [ColumnPosition, number] {
    if (end - 1 >= from && isWord(sig[end - 1], "FIRST")) return [{ first: true }, end - 1];
    if (end - 2 >= from && isWord(sig[end - 2], "AFTER") && isName(sig[end - 1])) return [{ after: nameOf(sig[end - 1]) }, end - 2];
    return [null, end];
}

const tableOptionWords = new Set([
    "ENGINE", "TYPE", "AUTO_INCREMENT", "AVG_ROW_LENGTH", "CHECKSUM", "TABLE_CHECKSUM", "COMMENT", "COMPRESSION", "CONNECTION",
    "DELAY_KEY_WRITE", "ENCRYPTION", "ENCRYPTED", "ENCRYPTION_KEY_ID", "INSERT_METHOD", "KEY_BLOCK_SIZE", "MAX_ROWS", "MIN_ROWS",
    "PACK_KEYS", "PAGE_CHECKSUM", "PAGE_COMPRESSED", "PAGE_COMPRESSION_LEVEL", "PASSWORD", "ROW_FORMAT", "STATS_AUTO_RECALC",
    "STATS_PERSISTENT", "STATS_SAMPLE_PAGES", "TABLESPACE", "TRANSACTIONAL", "UNION", "IETF_QUOTES", "SECONDARY_ENGINE",
    "ENGINE_ATTRIBUTE", "SECONDARY_ENGINE_ATTRIBUTE", "AUTOEXTEND_SIZE", "STORAGE", "ALGORITHM", "LOCK", "SEQUENCE",
]);

/** Reads table options (ENGINE=x COMMENT 'y' …) from i; returns them and where they stop. */
function tableOptions(sig: Sig, sql: string, i: number, end: number): [{ name: string; value: string }[], number] {
    const out: { name: string; value: string }[] = [];
    while (i < end) {
        const w = upper(sig[i]);
        if (w === "DEFAULT" && isWord(sig[i + 1], "CHARSET", "CHARACTER", "COLLATE")) {
            i++;
            continue;
        }
        if (w === "CHARACTER" && isWord(sig[i + 1], "SET")) {
            const [v, j] = optionValue(sig, sql, i + 2, end);
            out.push({ name: "CHARSET", value: v });
            i = j;
        } else if (w === "CHARSET" || w === "COLLATE") {
            const [v, j] = optionValue(sig, sql, i + 1, end);
            out.push({ name: w, value: v });
            i = j;
        } else if ((w === "DATA" || w === "INDEX") && isWord(sig[i + 1], "DIRECTORY")) {
            const [v, j] = optionValue(sig, sql, i + 2, end);
            out.push({ name: `${w} DIRECTORY`, value: v });
            i = j;
        } else if (tableOptionWords.has(w)) {
            const [v, j] = optionValue(sig, sql, i + 1, end);
            out.push({ name: w === "TYPE" ? "ENGINE" : w, value: v });
            i = j;
        } else if (w === "FORCE") {
            out.push({ name: "FORCE", value: "" });
            i++;
        } else if ((w === "ENABLE" || w === "DISABLE") && isWord(sig[i + 1], "KEYS")) {
            out.push({ name: `${w} KEYS`, value: "" });
            i += 2;
        } else if ((w === "WITH" || w === "WITHOUT") && isWord(sig[i + 1], "VALIDATION")) {
            out.push({ name: `${w} VALIDATION`, value: "" });
            i += 2;
        } else if (w === "ORDER" && isWord(sig[i + 1], "BY")) {
            // ORDER BY a, b runs to the end of the clause.
            out.push({ name: "ORDER BY", value: sliceText(sql, sig, i + 2, end) });
            i = end;
        } else if (isPunct(sig[i], ",")) {
            i++;
        } else {
            break;
        }
    }
    return [out, i];
}

const dataChangingPartitionOps = new Set(["DROP", "TRUNCATE", "EXCHANGE", "DISCARD", "IMPORT", "CONVERT"]);

/**
 * Parses ALTER TABLE. `defaultDb` is the session's database from the query event, used for
 * unqualified names. Throws DdlParseError for a statement that is not ALTER TABLE.
 */
export function parseAlterTable(sql: string, defaultDb: string): ParsedAlter {
    const text = unwrapExecutableComments(sql);
    const sig = significant(text);
    if (!isWord(sig[0], "ALTER")) throw new DdlParseError(sql, "not an ALTER TABLE statement");
    let i = 1;
    let ignore = false;
    while (isWord(sig[i], "ONLINE", "OFFLINE", "IGNORE")) {
        if (isWord(sig[i], "IGNORE")) ignore = true;
        i++;
    }
    if (!isWord(sig[i], "TABLE")) throw new DdlParseError(sql, "not an ALTER TABLE statement");
    let ifExists: boolean;
    [ifExists, i] = skipIf(sig, i + 1, false);
    const t = tableRefAt(sig, i, defaultDb);
    if (!t) throw new DdlParseError(sql, "no table name after ALTER TABLE");
    i = t[1];
    if (isWord(sig[i], "WAIT") && sig[i + 1]?.kind === "number") i += 2;
    else if (isWord(sig[i], "NOWAIT")) i++;

    const actions: AlterAction[] = [];
    for (const [s, e] of mergePartitionLists(sig, splitTopLevel(sig, i, sig.length))) parseClause(sig, text, s, e, t[0].database, actions);
    return { table: t[0], actions, ignore, ifExists, sql };
}

/** `DROP PARTITION p0, p1` (and TRUNCATE, ANALYZE … PARTITION): the names after commas belong to the clause. */
function mergePartitionLists(sig: Sig, ranges: [number, number][]): [number, number][] {
    const out: [number, number][] = [];
    for (const r of ranges) {
        const prev = out[out.length - 1];
        const listing = prev && isWord(sig[prev[0] + 1], "PARTITION") && isWord(sig[prev[0]], "DROP", "TRUNCATE", "ANALYZE", "CHECK", "OPTIMIZE", "REBUILD", "REPAIR", "DISCARD", "IMPORT");
        const name = isName(sig[r[0]]) && (r[1] === r[0] + 1 || (r[1] === r[0] + 2 && isWord(sig[r[0] + 1], "TABLESPACE")));
        if (listing && name) prev[1] = r[1];
        else out.push([r[0], r[1]]);
    }
    return out;
}

function parseClause(sig: Sig, sql: string, s: number, e: number, db: string, out: AlterAction[]): void {
    const text = sliceText(sql, sig, s, e);
    const unsupported = (reason: string): void => void out.push({ kind: "unsupported", text, reason });
    const w = upper(sig[s]);

    // Table options, possibly followed (without a comma) by a partition clause.
    if (tableOptionWords.has(w) || ["DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "FORCE", "ENABLE", "DISABLE", "ORDER", "DATA", "INDEX", "WITH", "WITHOUT"].includes(w)) {
        const [opts, j] = tableOptions(sig, sql, s, e);
        if (opts.length > 0) {
            out.push({ kind: "table-options", text: sliceText(sql, sig, s, j), options: opts });
            if (j < e) parseClause(sig, sql, j, e, db, out);
            return;
        }
    }
    switch (w) {
        case "ADD":
            return parseAdd(sig, sql, s, e, text, db, out);
        case "DROP":
            return parseDrop(sig, s, e, text, out);
        case "CHANGE":
        case "MODIFY": {
            let j = s + 1;
            if (isWord(sig[j], "COLUMN")) j++;
            let ifExists: boolean;
            [ifExists, j] = skipIf(sig, j, false);
            if (!isName(sig[j])) return unsupported(`cannot read ${w} clause`);
            const from = nameOf(sig[j]);
            let name = from;
            if (w === "CHANGE") {
                if (!isName(sig[j + 1])) return unsupported("cannot read CHANGE clause");
                name = nameOf(sig[j + 1]);
                j++;
            }
            j++;
            const [position, defEnd] = positionAt(sig, j, e);
            if (defEnd <= j) return unsupported(`${w} without a column definition`);
            const def = parseColumnDefinition(name, sliceText(sql, sig, j, defEnd));
            out.push({
                kind: "change-column", text, from, column: def.column, definition: def.definition, expressions: def.expressions,
                position, ifExists, modify: w === "MODIFY", binaryCollation: def.binaryCollation, check: def.check,
            });
            pushInlineExtras(def, name, text, db, out);
            return;
        }
        case "ALTER": {
            let j = s + 1;
            if (isWord(sig[j], "INDEX", "KEY", "CHECK", "CONSTRAINT") && isName(sig[j + 1])) {
                return void out.push({ kind: "alter-index", text, name: nameOf(sig[j + 1]) });
            }
            if (isWord(sig[j], "COLUMN")) j++;
            let ifExists: boolean;
            [ifExists, j] = skipIf(sig, j, false);
            void ifExists;
            if (!isName(sig[j])) return unsupported("cannot read ALTER COLUMN clause");
            const name = nameOf(sig[j]);
            j++;
            if (isWord(sig[j], "SET") && isWord(sig[j + 1], "DEFAULT") && j + 2 < e) {
                return void out.push({ kind: "alter-column-default", text, name, default: sliceText(sql, sig, j + 2, e) });
            }
            if (isWord(sig[j], "DROP") && isWord(sig[j + 1], "DEFAULT") && j + 2 === e) {
                return void out.push({ kind: "alter-column-default", text, name, default: null });
            }
            if (isWord(sig[j], "SET") && isWord(sig[j + 1], "VISIBLE", "INVISIBLE") && j + 2 === e) {
                return void out.push({ kind: "alter-column-visibility", text, name, invisible: isWord(sig[j + 1], "INVISIBLE") });
            }
            return unsupported("unknown ALTER COLUMN clause");
        }
        case "RENAME": {
            if (isWord(sig[s + 1], "COLUMN") && isName(sig[s + 2]) && isWord(sig[s + 3], "TO") && isName(sig[s + 4]) && s + 5 === e) {
                return void out.push({ kind: "rename-column", text, from: nameOf(sig[s + 2]), to: nameOf(sig[s + 4]) });
            }
            if (isWord(sig[s + 1], "INDEX", "KEY") && isName(sig[s + 2]) && isWord(sig[s + 3], "TO") && isName(sig[s + 4]) && s + 5 === e) {
                return void out.push({ kind: "rename-index", text, from: nameOf(sig[s + 2]), to: nameOf(sig[s + 4]) });
            }
            const j = isWord(sig[s + 1], "TO", "AS") ? s + 2 : s + 1;
            const to = tableRefAt(sig, j, db);
            if (to && to[1] === e) return void out.push({ kind: "rename-table", text, to: to[0] });
            return unsupported("cannot read RENAME clause");
        }
        case "CONVERT": {
            if (isWord(sig[s + 1], "TO")) {
                let j = s + 2;
                if (isWord(sig[j], "CHARACTER") && isWord(sig[j + 1], "SET")) j += 2;
                else if (isWord(sig[j], "CHARSET")) j++;
                else return unsupported("cannot read CONVERT TO clause");
                const [cs, k] = optionValue(sig, sql, j, e);
                if (/^default$/i.test(cs)) return unsupported("CONVERT TO CHARACTER SET DEFAULT depends on the database's default charset");
                let collation: string | null = null;
                let m = k;
                if (isWord(sig[m], "COLLATE")) [collation, m] = optionValue(sig, sql, m + 1, e);
                if (m !== e) return unsupported("cannot read CONVERT TO clause");
                const clean = (v: string) => unquoteIdent(v).replace(/^['"]|['"]$/g, "").toLowerCase();
                return void out.push({ kind: "convert-charset", text, charset: clean(cs), collation: collation === null ? null : clean(collation) });
            }
            if (isWord(sig[s + 1], "PARTITION", "TABLE")) return void out.push({ kind: "partition", text, operation: "CONVERT", dataChange: true });
            return unsupported("unknown CONVERT clause");
        }
        case "PARTITION":
            if (isWord(sig[s + 1], "BY")) return void out.push({ kind: "partition", text, operation: "PARTITION BY", dataChange: false });
            return unsupported("unknown PARTITION clause");
        case "REMOVE":
            if (isWord(sig[s + 1], "PARTITIONING")) return void out.push({ kind: "partition", text, operation: "REMOVE PARTITIONING", dataChange: false });
            return unsupported("unknown REMOVE clause");
        case "TRUNCATE": case "EXCHANGE": case "COALESCE": case "REORGANIZE": case "ANALYZE": case "CHECK": case "OPTIMIZE": case "REBUILD":
        case "REPAIR": case "DISCARD": case "IMPORT": {
            const j = isWord(sig[s + 1], "PARTITION") ? s + 1 : -1;
            if (j > 0) return void out.push({ kind: "partition", text, operation: `${w} PARTITION`, dataChange: dataChangingPartitionOps.has(w) });
            if ((w === "DISCARD" || w === "IMPORT") && isWord(sig[s + 1], "TABLESPACE")) {
                return unsupported(`${w} TABLESPACE replaces the table's data outside the binary log`);
            }
            return unsupported(`unknown ${w} clause`);
        }
    }
    return unsupported("clause not recognised");
}

/** Inline keys of a column definition become their own ADD INDEX actions; inline REFERENCES a foreign key. */
function pushInlineExtras(def: ColumnDefinition, name: string, text: string, db: string, out: AlterAction[]): void {
    if (def.inlineKey !== null) {
        out.push({
            kind: "add-index", text, primary: def.inlineKey === "primary", constraintName: null, ifNotExists: false, options: "",
            index: { name: def.inlineKey === "primary" ? "PRIMARY" : "", unique: true, kind: "BTREE", columns: [{ name, prefixLength: null, descending: false }] },
        });
    }
    if (def.references !== null) {
        const sig = significant(def.references);
        const t = tableRefAt(sig, 1, db);
        let cols: string[] = [];
        let j = t ? t[1] : 1;
        if (isPunct(sig[j], "(")) {
            const c = closing(sig, j);
            cols = sig.slice(j + 1, c).filter(isName).map(nameOf);
            j = c + 1;
        }
        let onDelete = "RESTRICT";
        let onUpdate = "RESTRICT";
        while (j < sig.length) {
            if (isWord(sig[j], "ON") && isWord(sig[j + 1], "DELETE")) [onDelete, j] = refRule(sig, j + 2);
            else if (isWord(sig[j], "ON") && isWord(sig[j + 1], "UPDATE")) [onUpdate, j] = refRule(sig, j + 2);
            else j++;
        }
        out.push({
            kind: "add-foreign-key", text, ifNotExists: false,
            foreignKey: { name: "", columns: [name], referencedDatabase: t?.[0].database ?? "", referencedTable: t?.[0].name ?? "", referencedColumns: cols, onDelete, onUpdate },
        });
    }
}

function parseAdd(sig: Sig, sql: string, s: number, e: number, text: string, db: string, out: AlterAction[]): void {
    const unsupported = (reason: string): void => void out.push({ kind: "unsupported", text, reason });
    let j = s + 1;
    let constraintName: string | null = null;
    if (isWord(sig[j], "CONSTRAINT")) {
        j++;
        if (isName(sig[j]) && !isWord(sig[j], "PRIMARY", "UNIQUE", "FOREIGN", "CHECK")) constraintName = nameOf(sig[j++]);
    }
    const w = upper(sig[j]);
    if (w === "PRIMARY" && isWord(sig[j + 1], "KEY")) {
        const b = indexBody(sig, sql, j + 2, e);
        if (!b.columns) return unsupported("functional key parts cannot be represented");
        return void out.push({
            kind: "add-index", text, primary: true, constraintName, ifNotExists: false, options: b.options,
            index: { name: "PRIMARY", unique: true, kind: b.using ?? "BTREE", columns: b.columns, ...(b.comment ? { comment: b.comment } : {}) },
        });
    }
    if (w === "UNIQUE" || w === "INDEX" || w === "KEY" || w === "FULLTEXT" || w === "SPATIAL") {
        let k = j + 1;
        if ((w === "UNIQUE" || w === "FULLTEXT" || w === "SPATIAL") && isWord(sig[k], "INDEX", "KEY")) k++;
        let ifNotExists: boolean;
        [ifNotExists, k] = skipIf(sig, k, true);
        const b = indexBody(sig, sql, k, e);
        if (!b.columns) return unsupported("functional key parts (expressions) cannot be represented");
        const kind = w === "FULLTEXT" || w === "SPATIAL" ? w : b.using ?? "BTREE";
        return void out.push({
            kind: "add-index", text, primary: false, constraintName, ifNotExists, options: b.options,
            index: { name: b.name ?? "", unique: w === "UNIQUE", kind, columns: b.columns, ...(b.comment ? { comment: b.comment } : {}) },
        });
    }
    if (w === "FOREIGN" && isWord(sig[j + 1], "KEY")) {
        let k = j + 2;
        let ifNotExists: boolean;
        [ifNotExists, k] = skipIf(sig, k, true);
        let indexName: string | null = null;
        if (isName(sig[k]) && !isPunct(sig[k], "(")) indexName = nameOf(sig[k++]);
        if (!isPunct(sig[k], "(")) return unsupported("cannot read FOREIGN KEY clause");
        const c = closing(sig, k, e);
        const columns = sig.slice(k + 1, c).filter(isName).map(nameOf);
        k = c + 1;
        if (!isWord(sig[k], "REFERENCES")) return unsupported("FOREIGN KEY without REFERENCES");
        const ref = tableRefAt(sig, k + 1, db);
        if (!ref) return unsupported("cannot read REFERENCES");
        k = ref[1];
        let refCols: string[] = [];
        if (isPunct(sig[k], "(")) {
            const rc = closing(sig, k, e);
            refCols = sig.slice(k + 1, rc).filter(isName).map(nameOf);
            k = rc + 1;
        }
        let onDelete = "RESTRICT";
        let onUpdate = "RESTRICT";
        while (k < e) {
            if (isWord(sig[k], "ON") && isWord(sig[k + 1], "DELETE")) [onDelete, k] = refRule(sig, k + 2);
            else if (isWord(sig[k], "ON") && isWord(sig[k + 1], "UPDATE")) [onUpdate, k] = refRule(sig, k + 2);
            else if (isWord(sig[k], "MATCH")) k += 2;
            else return unsupported("cannot read FOREIGN KEY clause");
        }
        return void out.push({
            kind: "add-foreign-key", text, ifNotExists,
            foreignKey: {
                name: constraintName ?? indexName ?? "", columns,
                referencedDatabase: ref[0].database, referencedTable: ref[0].name, referencedColumns: refCols, onDelete, onUpdate,
            },
        });
    }
    if (w === "CHECK" && isPunct(sig[j + 1], "(")) {
        const c = closing(sig, j + 1, e);
        let k = c + 1;
        if (isWord(sig[k], "NOT") && isWord(sig[k + 1], "ENFORCED")) k += 2;
        else if (isWord(sig[k], "ENFORCED")) k++;
        if (c < 0 || k !== e) return unsupported("cannot read CHECK clause");
        return void out.push({ kind: "add-check", text, name: constraintName, clause: sql.slice(sig[j + 1].end, sig[c].start).trim() });
    }
    if (constraintName !== null || isWord(sig[s + 1], "CONSTRAINT")) return unsupported("unknown constraint");
    if (w === "PARTITION") return void out.push({ kind: "partition", text, operation: "ADD PARTITION", dataChange: false });
    if (w === "PERIOD" || (w === "SYSTEM" && isWord(sig[j + 1], "VERSIONING"))) return unsupported("system versioning and periods are not migrated");

    // ADD [COLUMN] [IF NOT EXISTS] name def [FIRST | AFTER x]  or  ADD [COLUMN] (name def, …)
    if (isWord(sig[j], "COLUMN")) j++;
    let ifNotExists: boolean;
    [ifNotExists, j] = skipIf(sig, j, true);
    if (isPunct(sig[j], "(")) {
        const c = closing(sig, j, e);
        if (c < 0 || c + 1 !== e) return unsupported("cannot read ADD COLUMN list");
        for (const [a, b] of splitTopLevel(sig, j + 1, c)) {
            if (!isName(sig[a])) return unsupported("cannot read ADD COLUMN list");
            // Index definitions may appear in the list too.
            if (isWord(sig[a], "PRIMARY", "UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL", "CONSTRAINT", "FOREIGN", "CHECK") && sig[a].kind === "word") {
                const sub = sliceText(sql, sig, a, b);
                const before = out.length;
                parseAdd(significantWithAdd(sub), `ADD ${sub}`, 0, significantWithAdd(sub).length, text, db, out);
                for (let k = before; k < out.length; k++) out[k].text = text;
                continue;
            }
            const name = nameOf(sig[a]);
            const def = parseColumnDefinition(name, sliceText(sql, sig, a + 1, b));
            out.push({
                kind: "add-column", text, column: def.column, definition: def.definition, expressions: def.expressions,
                position: null, ifNotExists, binaryCollation: def.binaryCollation, check: def.check,
            });
            pushInlineExtras(def, name, text, db, out);
        }
        return;
    }
    if (!isName(sig[j])) return unsupported("cannot read ADD clause");
    const name = nameOf(sig[j]);
    const [position, defEnd] = positionAt(sig, j + 1, e);
    if (defEnd <= j + 1) return unsupported("ADD COLUMN without a definition");
    const def = parseColumnDefinition(name, sliceText(sql, sig, j + 1, defEnd));
    out.push({
        kind: "add-column", text, column: def.column, definition: def.definition, expressions: def.expressions,
        position, ifNotExists, binaryCollation: def.binaryCollation, check: def.check,
    });
    pushInlineExtras(def, name, text, db, out);
}

function significantWithAdd(sub: string): Sig {
    return significant(`ADD ${sub}`);
}

function parseDrop(sig: Sig, s: number, e: number, text: string, out: AlterAction[]): void {
    const unsupported = (reason: string): void => void out.push({ kind: "unsupported", text, reason });
    let j = s + 1;
    const w = upper(sig[j]);
    if (w === "PRIMARY" && isWord(sig[j + 1], "KEY") && j + 2 === e) return void out.push({ kind: "drop-primary-key", text });
    if (w === "INDEX" || w === "KEY") {
        let ifExists: boolean;
        [ifExists, j] = skipIf(sig, j + 1, false);
        if (isName(sig[j]) && j + 1 === e) return void out.push({ kind: "drop-index", text, name: nameOf(sig[j]), ifExists });
        return unsupported("cannot read DROP INDEX clause");
    }
    if ((w === "FOREIGN" && isWord(sig[j + 1], "KEY")) || w === "CHECK" || w === "CONSTRAINT") {
        j += w === "FOREIGN" ? 2 : 1;
        let ifExists: boolean;
        [ifExists, j] = skipIf(sig, j, false);
        if (isName(sig[j]) && j + 1 === e) {
            const constraint = w === "FOREIGN" ? "foreign-key" : w === "CHECK" ? "check" : "any";
            return void out.push({ kind: "drop-constraint", text, name: nameOf(sig[j]), constraint, ifExists });
        }
        return unsupported(`cannot read DROP ${w} clause`);
    }
    if (w === "PARTITION") return void out.push({ kind: "partition", text, operation: "DROP PARTITION", dataChange: true });
    if (w === "PERIOD" || (w === "SYSTEM" && isWord(sig[j + 1], "VERSIONING"))) return unsupported("system versioning and periods are not migrated");
    if (w === "COLUMN") j++;
    let ifExists: boolean;
    [ifExists, j] = skipIf(sig, j, false);
    if (isName(sig[j]) && (j + 1 === e || (j + 2 === e && isWord(sig[j + 1], "RESTRICT", "CASCADE")))) {
        return void out.push({ kind: "drop-column", text, name: nameOf(sig[j]), ifExists });
    }
    return unsupported("cannot read DROP clause");
}

// ---------------------------------------------------------------------------------------
// CREATE INDEX / DROP INDEX / CREATE TABLE

/**
 * CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX … ON t (…) and DROP INDEX … ON t as the equivalent
 * ALTER TABLE (one add-index or drop-index action), so one translation serves both. Null for
 * other statements.
 */
export function parseIndexStatement(sql: string, defaultDb: string): ParsedAlter | null {
    const text = unwrapExecutableComments(sql);
    const sig = significant(text);
    let i = 1;
    if (isWord(sig[0], "DROP")) {
        while (isWord(sig[i], "ONLINE", "OFFLINE")) i++;
        if (!isWord(sig[i], "INDEX")) return null;
        let ifExists: boolean;
        [ifExists, i] = skipIf(sig, i + 1, false);
        if (!isName(sig[i]) || !isWord(sig[i + 1], "ON")) return null;
        const name = nameOf(sig[i]);
        const t = tableRefAt(sig, i + 2, defaultDb);
        if (!t) return null;
        const actions: AlterAction[] = [{ kind: "drop-index", text: `DROP INDEX ${sig[i].text}`, name, ifExists }];
        const [opts] = tableOptions(sig, text, t[1], sig.length);
        if (opts.length) actions.push({ kind: "table-options", text: sliceText(text, sig, t[1], sig.length), options: opts });
        return { table: t[0], actions, ignore: false, ifExists: false, sql };
    }
    if (!isWord(sig[0], "CREATE")) return null;
    if (isWord(sig[i], "OR") && isWord(sig[i + 1], "REPLACE")) i += 2;
    while (isWord(sig[i], "ONLINE", "OFFLINE")) i++;
    let kindWord = "";
    if (isWord(sig[i], "UNIQUE", "FULLTEXT", "SPATIAL")) kindWord = upper(sig[i++]);
    if (!isWord(sig[i], "INDEX")) return null;
    let ifNotExists: boolean;
    [ifNotExists, i] = skipIf(sig, i + 1, true);
    if (!isName(sig[i])) return null;
    const name = nameOf(sig[i]);
    const nameToken = sig[i];
    i++;
    let using: string | null = null;
    if (isWord(sig[i], "USING", "TYPE")) {
        using = upper(sig[i + 1]);
        i += 2;
    }
    if (!isWord(sig[i], "ON")) return null;
    const t = tableRefAt(sig, i + 1, defaultDb);
    if (!t) return null;
    i = t[1];
    // Body: (parts) [options]; ALGORITHM/LOCK after it are table options.
    let optEnd = sig.length;
    for (let k = i; k < sig.length; k++) {
        if (isWord(sig[k], "ALGORITHM", "LOCK") && closing(sig, i) < k) {
            optEnd = k;
            break;
        }
    }
    const b = indexBody(sig, text, i, optEnd);
    const clause = `ADD ${kindWord ? kindWord + " " : ""}INDEX ${nameToken.text} ${sliceText(text, sig, i, optEnd)}`;
    const actions: AlterAction[] = [];
    if (!b.columns) {
        actions.push({ kind: "unsupported", text: clause, reason: "functional key parts (expressions) cannot be represented" });
    } else {
        actions.push({
            kind: "add-index", text: clause, primary: false, constraintName: null, ifNotExists, options: b.options,
            index: {
                name, unique: kindWord === "UNIQUE", kind: kindWord === "FULLTEXT" || kindWord === "SPATIAL" ? kindWord : b.using ?? using ?? "BTREE",
                columns: b.columns, ...(b.comment ? { comment: b.comment } : {}),
            },
        });
    }
    if (optEnd < sig.length) {
        const [opts] = tableOptions(sig, text, optEnd, sig.length);
        actions.push({ kind: "table-options", text: sliceText(text, sig, optEnd, sig.length), options: opts });
    }
    return { table: t[0], actions, ignore: false, ifExists: false, sql };
}

/**
 * A SourceTable from CREATE TABLE as the binlog carries it (column definitions, keys,
 * foreign keys, checks, table options). Null for CREATE TABLE … LIKE (the engine reads the
 * table from the source instead) and for anything that is not CREATE TABLE. String columns
 * without a charset take the table's. Row estimates are 0.
 */
export function parseCreateTable(sql: string, defaultDb: string): SourceTable | null {
    const text = unwrapExecutableComments(sql);
    const sig = significant(text);
    if (!isWord(sig[0], "CREATE")) return null;
    let i = 1;
    if (isWord(sig[i], "OR") && isWord(sig[i + 1], "REPLACE")) i += 2;
    if (isWord(sig[i], "TEMPORARY")) i++;
    if (!isWord(sig[i], "TABLE")) return null;
    [, i] = skipIf(sig, i + 1, true);
    const t = tableRefAt(sig, i, defaultDb);
    if (!t) return null;
    i = t[1];
    if (isWord(sig[i], "LIKE") || (isPunct(sig[i], "(") && isWord(sig[i + 1], "LIKE"))) return null;
    if (!isPunct(sig[i], "(")) return null;
    const close = closing(sig, i);
    if (close < 0) return null;

    let table: SourceTable = {
        database: t[0].database, name: t[0].name, columns: [], primaryKey: null, indexes: [], foreignKeys: [], checks: [],
        engine: "", charset: "", collation: "", comment: "", estimatedRows: 0, dataBytes: 0,
    };
    const [opts] = tableOptions(sig, text, close + 1, sig.length);
    table = applyTableOptions(table, opts);

    const actions: AlterAction[] = [];
    for (const [s, e] of splitTopLevel(sig, i + 1, close)) {
        const itemText = sliceText(text, sig, s, e);
        const first = sig[s];
        const keyish = first.kind === "word" && isWord(first, "PRIMARY", "UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL", "CONSTRAINT", "FOREIGN", "CHECK", "PERIOD");
        if (keyish) {
            const sub = significant(`ADD ${itemText}`);
            parseAdd(sub, `ADD ${itemText}`, 0, sub.length, itemText, t[0].database, actions);
            continue;
        }
        const name = nameOf(first);
        const def = parseColumnDefinition(name, sliceText(text, sig, s + 1, e));
        actions.push({
            kind: "add-column", text: itemText, column: def.column, definition: def.definition, expressions: def.expressions,
            position: null, ifNotExists: false, binaryCollation: def.binaryCollation, check: def.check,
        });
        pushInlineExtras(def, name, itemText, t[0].database, actions);
    }
    for (const a of actions) table = applyAlterAction(table, a).table;
    return table;
}
