import type { SourceColumn, SourceIndex, SourceTable } from "../../../engine/model";
import { normalizeDefault } from "./column-definition";
import { hasCharset } from "../column-types";
import { type AlterAction, type ColumnPosition, type ParsedAlter, type TableAlteration } from "../../../engine/schema-change/alter";
import { nameOf } from "./ddl-tokens";
import { unquoteIdent } from "../identifiers";
import { decodeStringLiteral, isPunct, isSignificant, lexSql } from "../sql-lexer";

/**
 * How each ALTER action changes the source model (a SourceTable), so a TableMapping stays
 * what re-introspecting the table would give.
 */


export const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function findColumn(table: SourceTable, name: string): SourceColumn | undefined {
    return table.columns.find((c) => same(c.name, name));
}

function findIndex(table: SourceTable, name: string): SourceIndex | undefined {
    return table.indexes.find((x) => same(x.name, name));
}

function renumber(columns: SourceColumn[]): SourceColumn[] {
    return columns.map((c, k) => (c.ordinal === k + 1 ? c : { ...c, ordinal: k + 1 }));
}

/** Places `col` in `columns` (which lacks it) at `position`, or at `fallback` when null. */
function place(columns: SourceColumn[], col: SourceColumn, position: ColumnPosition, fallback: number): SourceColumn[] {
    let at = fallback;
    if (position && "first" in position) at = 0;
    else if (position && "after" in position) {
        const k = columns.findIndex((c) => same(c.name, position.after));
        at = k < 0 ? columns.length : k + 1;
    }
    const out = [...columns];
    out.splice(Math.min(at, out.length), 0, col);
    return renumber(out);
}

/** String columns without a charset take the table's (as the server does); BINARY picks the _bin collation. */
function inheritCharset(col: SourceColumn, table: SourceTable, binaryCollation: boolean): SourceColumn {
    if (!hasCharset(col.dataType) || col.isJson || col.charset !== null) return col;
    const charset = table.charset || null;
    if (charset === null) return col;
    const collation = binaryCollation ? `${charset}_bin` : table.collation && table.collation.startsWith(`${charset}_`) ? table.collation : null;
    return { ...col, charset, collation };
}

/** Column references in an expression renamed from `from` to `to` (quoted and bare). */
function renameRefs(expr: string, from: string, to: string): string {
    const tokens = lexSql(expr);
    const sigIdx = tokens.map((t, k) => (isSignificant(t) ? k : -1)).filter((k) => k >= 0);
    const replace = new Set<number>();
    sigIdx.forEach((ti, k) => {
        const t = tokens[ti];
        if (t.kind !== "ident" && t.kind !== "word") return;
        if (!same(nameOf(t), from)) return;
        const next = tokens[sigIdx[k + 1]];
        const prev = k > 0 ? tokens[sigIdx[k - 1]] : undefined;
        if (isPunct(next, "(") || isPunct(next, ".") || isPunct(prev, ".")) return;
        replace.add(ti);
    });
    return tokens.map((t, k) => (replace.has(k) ? "`" + to.replace(/`/g, "``") + "`" : t.text)).join("");
}

/**
 * Backquotes bare column references (`x > 0` → `` `x` > 0``), as the server prints
 * expressions in information_schema: the engine's expression tools (expressions.ts) read
 * quoted references only.
 */
function quoteColumnRefs(expr: string, table: SourceTable): string {
    const tokens = lexSql(expr);
    const sigIdx = tokens.map((t, k) => (isSignificant(t) ? k : -1)).filter((k) => k >= 0);
    const out = tokens.map((t) => t.text);
    sigIdx.forEach((ti, k) => {
        const t = tokens[ti];
        if (t.kind !== "word") return;
        const next = tokens[sigIdx[k + 1]];
        const prev = k > 0 ? tokens[sigIdx[k - 1]] : undefined;
        if (isPunct(next, "(") || isPunct(next, ".") || isPunct(prev, ".")) return;
        const col = findColumn(table, t.text);
        if (col) out[ti] = "`" + col.name.replace(/`/g, "``") + "`";
    });
    return out.join("");
}

function quoteColumnExpressions(col: SourceColumn, table: SourceTable): SourceColumn {
    return col.generationExpression === null ? col : { ...col, generationExpression: quoteColumnRefs(col.generationExpression, table) };
}

export function mentions(expr: string, name: string): boolean {
    return lexSql(expr).some((t) => (t.kind === "ident" || t.kind === "word") && same(nameOf(t), name));
}

function renameColumnEverywhere(table: SourceTable, from: string, to: string): SourceTable {
    if (same(from, to) && from === to) return table;
    const r = (n: string) => (same(n, from) ? to : n);
    const parts = (cols: SourceIndex["columns"]) => cols.map((p) => (same(p.name, from) ? { ...p, name: to } : p));
    return {
        ...table,
        columns: table.columns.map((c) => (c.generationExpression !== null && mentions(c.generationExpression, from) ? { ...c, generationExpression: renameRefs(c.generationExpression, from, to) } : c)),
        primaryKey: table.primaryKey?.map(r) ?? null,
        ...(table.primaryKeyParts ? { primaryKeyParts: parts(table.primaryKeyParts) } : {}),
        indexes: table.indexes.map((x) => ({ ...x, columns: parts(x.columns) })),
        foreignKeys: table.foreignKeys.map((f) => ({ ...f, columns: f.columns.map(r) })),
        checks: table.checks.map((c) => ({ ...c, clause: mentions(c.clause, from) ? renameRefs(c.clause, from, to) : c.clause, ...(c.column !== undefined ? { column: r(c.column) } : {}) })),
    };
}

function dropColumnEverywhere(table: SourceTable, name: string): SourceTable {
    const keep = (cols: SourceIndex["columns"]) => cols.filter((p) => !same(p.name, name));
    const pkParts = table.primaryKeyParts ? keep(table.primaryKeyParts) : undefined;
    const pk = table.primaryKey?.filter((c) => !same(c, name)) ?? null;
    const next: SourceTable = {
        ...table,
        columns: renumber(table.columns.filter((c) => !same(c.name, name))),
        primaryKey: pk && pk.length > 0 ? pk : null,
        // MySQL removes the column from its keys and drops keys left empty.
        indexes: table.indexes.map((x) => ({ ...x, columns: keep(x.columns) })).filter((x) => x.columns.length > 0),
        foreignKeys: table.foreignKeys.filter((f) => !f.columns.some((c) => same(c, name))),
        checks: table.checks.filter((c) => !(c.column !== undefined && same(c.column, name)) && !mentions(c.clause, name)),
    };
    if (pkParts && pkParts.length > 0 && next.primaryKey) next.primaryKeyParts = pkParts;
    else delete next.primaryKeyParts;
    return next;
}

export function applyTableOptions(table: SourceTable, options: { name: string; value: string }[]): SourceTable {
    const clean = (v: string) => (v.startsWith("'") || v.startsWith('"') ? decodeStringLiteral(v) : unquoteIdent(v));
    let t = table;
    for (const o of options) {
        if (o.name === "ENGINE") t = { ...t, engine: clean(o.value) };
        else if (o.name === "COMMENT") t = { ...t, comment: clean(o.value) };
        else if (o.name === "CHARSET") {
            const charset = clean(o.value).toLowerCase();
            t = { ...t, charset, collation: t.collation.startsWith(`${charset}_`) ? t.collation : "" };
        } else if (o.name === "COLLATE") {
            const collation = clean(o.value).toLowerCase();
            t = { ...t, collation, charset: collation.split("_")[0] };
        }
    }
    return t;
}

/** The index name the server gives an unnamed key: its first column, then _2, _3 … when taken. */
function autoIndexName(table: SourceTable, base: string): string {
    const taken = (n: string) => same(n, "PRIMARY") || table.indexes.some((x) => same(x.name, n));
    if (!taken(base)) return base;
    for (let k = 2; ; k++) if (!taken(`${base}_${k}`)) return `${base}_${k}`;
}

export interface AppliedAction {
    table: SourceTable;
    /** The action with what the server decides filled in (index and foreign key names, the column as placed). */
    action: AlterAction;
    /** Set when the action changes nothing on the source (IF [NOT] EXISTS that did not apply): why. */
    noop?: string;
}

/**
 * How one action changes the source table, as the server applies it: columns placed and
 * renumbered, charsets inherited from the table, renamed columns renamed in keys, checks
 * and generation expressions, dropped columns removed from keys (keys left empty dropped),
 * PRIMARY KEY columns made NOT NULL, unnamed keys named. Actions that name a column or key
 * the model lacks (and have no IF EXISTS) leave the table as it is and say so in `noop`.
 */
export function applyAlterAction(table: SourceTable, action: AlterAction): AppliedAction {
    const r = applyUnsorted(table, action);
    return r.noop !== undefined ? r : { ...r, table: sortKeys(r.table) };
}

/**
 * Keys in the order the server keeps them (and information_schema lists them, and
 * chooseKey reads them): unique keys first, those on NOT NULL columns first among them,
 * then those without prefix parts; then the others, FULLTEXT last; otherwise as created.
 */
function sortKeys(table: SourceTable): SourceTable {
    const notNull = new Set(table.columns.filter((c) => !c.nullable).map((c) => c.name.toLowerCase()));
    const rank = (x: SourceIndex) => {
        if (x.unique) return (x.columns.every((p) => notNull.has(p.name.toLowerCase())) ? 0 : 2) + (x.columns.some((p) => p.prefixLength !== null) ? 1 : 0);
        return x.kind === "FULLTEXT" ? 5 : 4;
    };
    const ranked = table.indexes.map((x, k) => ({ x, k, r: rank(x) }));
    if (ranked.every((e, k) => k === 0 || ranked[k - 1].r <= e.r)) return table;
    return { ...table, indexes: ranked.sort((a, b) => a.r - b.r || a.k - b.k).map((e) => e.x) };
}

function applyUnsorted(table: SourceTable, action: AlterAction): AppliedAction {
    const noop = (why: string): AppliedAction => ({ table, action, noop: why });
    switch (action.kind) {
        case "add-column": {
            if (findColumn(table, action.column.name)) return noop(`column ${action.column.name} already exists`);
            const col = inheritCharset(action.column, table, action.binaryCollation);
            let columns = place(table.columns, col, action.position, table.columns.length);
            columns = columns.map((c) => (c.name === col.name ? quoteColumnExpressions(c, { ...table, columns }) : c));
            const t = { ...table, columns };
            const placed = findColumn(t, col.name)!;
            const check = action.check === null ? null : quoteColumnRefs(action.check, t);
            return { table: { ...t, checks: withColumnCheck(table.checks, col.name, check) }, action: { ...action, column: placed } };
        }
        case "drop-column": {
            if (!findColumn(table, action.name)) return noop(`column ${action.name} does not exist`);
            return { table: dropColumnEverywhere(table, action.name), action };
        }
        case "change-column": {
            const old = findColumn(table, action.from);
            if (!old) return noop(`column ${action.from} does not exist`);
            let t = renameColumnEverywhere(table, old.name, action.column.name);
            const index = t.columns.findIndex((c) => same(c.name, old.name));
            let col = inheritCharset(action.column, t, action.binaryCollation);
            // Keys keep their columns NOT NULL (the server refuses NULL for primary key columns).
            if (t.primaryKey?.some((c) => same(c, col.name)) && col.nullable) col = { ...col, nullable: false, defaultValue: col.defaultValue === "NULL" ? null : col.defaultValue };
            const rest = t.columns.filter((_, k) => k !== index);
            let columns = place(rest, col, action.position, index);
            columns = columns.map((c) => (c.name === col.name ? quoteColumnExpressions(c, { ...t, columns }) : c));
            t = { ...t, columns };
            const check = action.check === null ? null : quoteColumnRefs(action.check, t);
            t = { ...t, checks: withColumnCheck(t.checks.filter((c) => !(c.column !== undefined && same(c.column, col.name))), col.name, check) };
            return { table: t, action: { ...action, from: old.name, column: findColumn(t, col.name)! } };
        }
        case "rename-column": {
            const old = findColumn(table, action.from);
            if (!old) return noop(`column ${action.from} does not exist`);
            const t = renameColumnEverywhere(table, old.name, action.to);
            return { table: { ...t, columns: t.columns.map((c) => (c === old || same(c.name, old.name) ? { ...c, name: action.to } : c)) }, action: { ...action, from: old.name } };
        }
        case "alter-column-default": {
            const old = findColumn(table, action.name);
            if (!old) return noop(`column ${action.name} does not exist`);
            const defaultValue = action.default === null ? null : normalizeDefault(action.default, old);
            return { table: { ...table, columns: table.columns.map((c) => (c === old ? { ...c, defaultValue } : c)) }, action: { ...action, name: old.name } };
        }
        case "alter-column-visibility": {
            const old = findColumn(table, action.name);
            if (!old) return noop(`column ${action.name} does not exist`);
            const extra = action.invisible
                ? (/\bINVISIBLE\b/i.test(old.extra) ? old.extra : `${old.extra} INVISIBLE`.trim())
                : old.extra.replace(/\s*\bINVISIBLE\b/i, "").trim();
            return { table: { ...table, columns: table.columns.map((c) => (c === old ? { ...c, invisible: action.invisible, extra } : c)) }, action: { ...action, name: old.name } };
        }
        case "add-index": {
            if (action.primary) {
                if (table.primaryKey) return noop("the table already has a primary key");
                const names = action.index.columns.map((p) => findColumn(table, p.name)?.name ?? p.name);
                const parts = action.index.columns.map((p, k) => ({ ...p, name: names[k] }));
                const columns = table.columns.map((c) => (names.some((n) => same(n, c.name)) && c.nullable ? { ...c, nullable: false, defaultValue: c.defaultValue === "NULL" ? null : c.defaultValue } : c));
                const index = { ...action.index, name: "PRIMARY", columns: parts };
                return { table: { ...table, columns, primaryKey: names, primaryKeyParts: parts }, action: { ...action, index } };
            }
            const base = action.index.name || action.constraintName || action.index.columns[0]?.name || "idx";
            if (action.index.name && findIndex(table, action.index.name)) {
                return action.ifNotExists ? noop(`index ${action.index.name} already exists`) : noop(`index ${action.index.name} already exists in the model`);
            }
            const name = action.index.name || action.constraintName || autoIndexName(table, base);
            const parts = action.index.columns.map((p) => ({ ...p, name: findColumn(table, p.name)?.name ?? p.name }));
            const index: SourceIndex = { ...action.index, name, columns: parts };
            return { table: { ...table, indexes: [...table.indexes, index] }, action: { ...action, index } };
        }
        case "drop-index": {
            if (same(action.name, "PRIMARY")) return applyAlterAction(table, { kind: "drop-primary-key", text: action.text });
            const idx = findIndex(table, action.name);
            if (!idx) return noop(`index ${action.name} does not exist`);
            return { table: { ...table, indexes: table.indexes.filter((x) => x !== idx) }, action: { ...action, name: idx.name } };
        }
        case "drop-primary-key": {
            if (!table.primaryKey) return noop("the table has no primary key");
            const t = { ...table, primaryKey: null };
            delete t.primaryKeyParts;
            return { table: t, action };
        }
        case "rename-index": {
            const idx = findIndex(table, action.from);
            if (!idx) return noop(`index ${action.from} does not exist`);
            return { table: { ...table, indexes: table.indexes.map((x) => (x === idx ? { ...x, name: action.to } : x)) }, action: { ...action, from: idx.name } };
        }
        case "add-foreign-key": {
            const fk = { ...action.foreignKey };
            fk.columns = fk.columns.map((c) => findColumn(table, c)?.name ?? c);
            if (fk.name === "") {
                // InnoDB names unnamed foreign keys <table>_ibfk_<n>, n one past the highest in use.
                const re = new RegExp(`^${table.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_ibfk_(\\d+)$`);
                const n = Math.max(0, ...table.foreignKeys.map((f) => Number(re.exec(f.name)?.[1] ?? 0)));
                fk.name = `${table.name}_ibfk_${n + 1}`;
            }
            if (table.foreignKeys.some((f) => same(f.name, fk.name))) return noop(`foreign key ${fk.name} already exists`);
            const resolved: AlterAction = { ...action, foreignKey: fk };
            return { table: { ...table, foreignKeys: [...table.foreignKeys, fk] }, action: resolved };
        }
        case "add-check": {
            let name = action.name;
            if (name === null) {
                // MariaDB names unnamed table checks CONSTRAINT_1, _2 …; MySQL <table>_chk_<n>. The name only matters for DROP.
                let n = 1;
                while (table.checks.some((c) => same(c.name, `${table.name}_chk_${n}`))) n++;
                name = `${table.name}_chk_${n}`;
            }
            return { table: { ...table, checks: [...table.checks, { name, clause: quoteColumnRefs(action.clause, table) }] }, action: { ...action, name } };
        }
        case "drop-constraint": {
            const fk = table.foreignKeys.find((f) => same(f.name, action.name));
            const chk = table.checks.find((c) => same(c.name, action.name));
            if (action.constraint !== "check" && fk) return { table: { ...table, foreignKeys: table.foreignKeys.filter((f) => f !== fk) }, action };
            if (action.constraint !== "foreign-key" && chk) return { table: { ...table, checks: table.checks.filter((c) => c !== chk) }, action };
            if (action.constraint === "any") {
                const idx = findIndex(table, action.name);
                if (idx) return { table: { ...table, indexes: table.indexes.filter((x) => x !== idx) }, action };
                if (same(action.name, "PRIMARY")) return applyAlterAction(table, { kind: "drop-primary-key", text: action.text });
            }
            return noop(`constraint ${action.name} is not in the model`);
        }
        case "rename-table":
            return { table: { ...table, database: action.to.database, name: action.to.name }, action };
        case "table-options":
            return { table: applyTableOptions(table, action.options), action };
        case "convert-charset": {
            const collation = action.collation ?? (table.collation.startsWith(`${action.charset}_`) ? table.collation : null);
            const columns = table.columns.map((c) => (hasCharset(c.dataType) && !c.isJson ? { ...c, charset: action.charset, collation } : c));
            return { table: { ...table, columns, charset: action.charset, collation: collation ?? "" }, action };
        }
        case "alter-index":
        case "partition":
        case "unsupported":
            return { table, action };
    }
}

/** A column-level CHECK, named after its column as MariaDB names it. */
function withColumnCheck(checks: SourceTable["checks"], column: string, clause: string | null): SourceTable["checks"] {
    return clause === null ? checks : [...checks, { name: column, clause, column }];
}

/** All actions of a parsed ALTER applied in order. */
export function applyAlterToTable(table: SourceTable, parsed: ParsedAlter): SourceTable {
    let t = table;
    for (const a of parsed.actions) t = applyAlterAction(t, a).table;
    return t;
}

/**
 * The alteration the stream hands a destination: every action applied in the order the
 * server applies them (RENAME TO after the other changes), starting from `table`.
 */
export function alterationOf(table: SourceTable, parsed: ParsedAlter): TableAlteration {
    const ordered = [...parsed.actions.filter((a) => a.kind !== "rename-table"), ...parsed.actions.filter((a) => a.kind === "rename-table")];
    let t = table;
    const steps = ordered.map((written) => {
        const applied = applyAlterAction(t, written);
        t = applied.table;
        return { written, ...applied };
    });
    return { parsed, steps, mentions };
}
