import type { TaskSpec } from "../../../../sdk/schema/task";
import { applyCase } from "../../../engine/mapping";
import type { SourceForeignKey, SourceIndex, SourceTable, TableMapping } from "../../../engine/model";
import { type AlterAction, manualRecovery, type TableAlteration, UntranslatableDdlError } from "../../../engine/schema-change/alter";
import { type ColumnTargets, columnKey, columnTargets, findColumn, isUserRenamed, remapTable, renameTarget, selectsExplicitColumns, type TableResolver } from "../../../engine/schema-change/mapping-change";
import type { ReferenceResolver } from "./ddl";
import type { NamedTable } from "../../../engine/schema-change/statement";
import { qualified, quoteIdent } from "../identifiers";
import { isPunct, isSignificant, lexSql } from "../sql-lexer";

export { UntranslatableDdlError } from "../../../engine/schema-change/alter";
export type { TableResolver } from "../../../engine/schema-change/mapping-change";

/**
 * Source DDL re-rendered for a MySQL-family destination (seed 001: the destination follows
 * ALTER TABLE and the other table DDL). The source's definitions are kept as written; what
 * changes is names: the table's destination schema and name, renamed columns (and column
 * references inside generation expressions, defaults and CHECK clauses), the destination of
 * a table renamed or referenced by a foreign key. Columns the mapping does not migrate are
 * left out of DROP/CHANGE/MODIFY/RENAME COLUMN, and keys on them are not created, as schema
 * migration leaves them out.
 */

export interface MysqlTranslateOptions {
    /** Where a table renamed on the source goes; default: defaultTableTarget (same destination database, new name). */
    resolveTable?: TableResolver;
    /** Where a table a new foreign key references goes (as for foreignKeySqls); without it such a foreign key is refused. */
    resolveReference?: ReferenceResolver;
}

export interface MysqlDdlTranslation {
    statements: string[];
    mapping: TableMapping;
    notes: string[];
}

const defaultCase = "as-source";

/** Whether an index exists on the destination: all its columns are migrated (as secondaryIndexSqls creates them). */
function indexOnDestination(index: Pick<SourceIndex, "columns">, targets: ColumnTargets): boolean {
    return index.columns.every((p) => targets.has(columnKey(p.name)));
}

function primaryKeyOnDestination(table: SourceTable, targets: ColumnTargets): boolean {
    return table.primaryKey !== null && table.primaryKey.every((c) => targets.has(columnKey(c)));
}

/**
 * Renames column references inside the given ranges of a definition text: backquoted names
 * and bare words that name a column of `table` (not followed by "(" or next to "."). A
 * referenced column that is not migrated is an error, since the destination could not
 * compute the expression.
 */
function renameInRanges(text: string, ranges: [number, number][], table: SourceTable, targets: ColumnTargets, onMissing: (column: string) => never): string {
    if (ranges.length === 0) return text;
    const tokens = lexSql(text);
    const sig = tokens.filter(isSignificant);
    const out: string[] = [];
    let at = 0;
    sig.forEach((t, k) => {
        if (!ranges.some(([s, e]) => t.start >= s && t.end <= e)) return;
        if (t.kind !== "ident" && t.kind !== "word") return;
        if (isPunct(sig[k + 1], "(") || isPunct(sig[k + 1], ".") || isPunct(sig[k - 1], ".")) return;
        const name = t.kind === "ident" ? t.text.slice(1, -1).replace(/``/g, "`") : t.text;
        const col = findColumn(table, name);
        if (col === undefined) return;
        const target = targets.get(columnKey(col.name));
        if (target === undefined) onMissing(col.name);
        if (target === name) return;
        out.push(text.slice(at, t.start), quoteIdent(target!));
        at = t.end;
    });
    out.push(text.slice(at));
    return out.join("");
}

/** FIRST / AFTER the nearest migrated column before `name` in the new column order. */
function positionClause(table: SourceTable, name: string, targets: ColumnTargets): string {
    const k = table.columns.findIndex((c) => columnKey(c.name) === columnKey(name));
    for (let j = k - 1; j >= 0; j--) {
        const t = targets.get(columnKey(table.columns[j].name));
        if (t !== undefined) return ` AFTER ${quoteIdent(t)}`;
    }
    return " FIRST";
}

function keyPartsSql(parts: SourceIndex["columns"], targets: ColumnTargets): string {
    return parts
        .map((p) => `${quoteIdent(targets.get(columnKey(p.name)) ?? p.name)}${p.prefixLength !== null ? `(${p.prefixLength})` : ""}${p.descending ? " DESC" : ""}`)
        .join(", ");
}

/** Table options the destination takes as they are; ALGORITHM/LOCK/directories are the source server's business. */
const hostOptions = new Set(["ALGORITHM", "LOCK", "DATA DIRECTORY", "INDEX DIRECTORY", "TABLESPACE", "ORDER BY"]);

/**
 * RENAME TABLE of a mapped table as `RENAME TABLE old TO new` in destination names, with
 * the mapping under its new source name.
 */
export function renameTableForMysql(
    mapping: TableMapping,
    to: NamedTable,
    task: Pick<TaskSpec, "objects" | "nameCase">,
    options: Pick<MysqlTranslateOptions, "resolveTable"> = {},
    statement = `RENAME TABLE ${mapping.source.database}.${mapping.source.name} TO ${to.database}.${to.name}`,
): MysqlDdlTranslation {
    const target = renameTarget(mapping, to, task, defaultCase, options.resolveTable, statement);
    const next = { ...mapping, source: { ...mapping.source, database: to.database, name: to.name }, targetSchema: target.schema, targetTable: target.table };
    const same = target.schema === mapping.targetSchema && target.table === mapping.targetTable;
    return {
        statements: same ? [] : [`RENAME TABLE ${qualified(mapping.targetSchema, mapping.targetTable)} TO ${qualified(target.schema, target.table)}`],
        mapping: next,
        notes: [],
    };
}

/**
 * ALTER TABLE of a mapped table for a MySQL-family destination: one ALTER TABLE statement
 * (none when nothing applies) on the table's destination name, each clause as on the
 * source with destination names. Dropped: ALGORITHM, LOCK, directories and ORDER BY, which
 * are about the source server. Refused (UntranslatableDdlError): partition operations that
 * remove rows without logging them (schema migration does not reproduce partitioning, so
 * the others are left out with a note), foreign keys to other tables without
 * `resolveReference`, generated columns or defaults over columns that are not migrated,
 * and `unsupported` clauses.
 *
 * Column selection: columns the mapping does not migrate are ignored by DROP, CHANGE,
 * MODIFY, RENAME COLUMN and ALTER COLUMN; ADD COLUMN on a table whose mapping lists its
 * columns explicitly is ignored (the new column is not selected). CHANGE/MODIFY … AFTER x
 * is placed after the nearest migrated column.
 */
export function alterForMysql(mapping: TableMapping, alteration: TableAlteration, task: TaskSpec, options: MysqlTranslateOptions = {}): MysqlDdlTranslation {
    const parsed = alteration.parsed;
    const explicit = selectsExplicitColumns(mapping, task);
    const clauses: string[] = [];
    const notes: string[] = [];
    const targets = columnTargets(mapping);
    const head = qualified(mapping.targetSchema, mapping.targetTable);
    const hostLeft: string[] = [];
    let current = mapping;
    const fail = (reason: string, fix = manualRecovery()): never => {
        throw new UntranslatableDdlError(parsed.sql, reason, fix);
    };
    const references = (fk: SourceForeignKey, table: SourceTable) => fk.referencedDatabase === table.database && fk.referencedTable === table.name;
    /**
     * Schema migration and ADD FOREIGN KEY leave out a foreign key to a table that is not
     * migrated. Dropping one at the destination would fail the whole ALTER (the sink takes
     * "no such key" for a replay and would lose the statement's other clauses). Without a
     * resolver there is no telling, so it is taken to be there.
     */
    const foreignKeyOnDestination = (fk: SourceForeignKey, table: SourceTable, cols: ColumnTargets) =>
        fk.columns.every((c) => cols.has(columnKey(c))) &&
        (references(fk, table) || options.resolveReference === undefined || options.resolveReference(fk.referencedDatabase, fk.referencedTable) !== null);

    for (const applied of alteration.steps) {
        const before = current;
        if (applied.noop !== undefined) {
            notes.push(`${applied.written.text}: nothing to do (${applied.noop})`);
            continue;
        }
        const a: AlterAction = applied.action;
        const missing = (what: string) => (column: string): never =>
            fail(`${what} references column ${column}, which is not migrated`);
        switch (a.kind) {
            case "add-column": {
                if (explicit) {
                    notes.push(`column ${a.column.name} added on the source is not migrated: the task lists the table's columns`);
                    break;
                }
                const target = applyCase(a.column.name, task.nameCase, defaultCase);
                targets.set(columnKey(a.column.name), target);
                const def = renameInRanges(a.definition, a.expressions, applied.table, targets, missing(`column ${a.column.name}`));
                const pos = a.position === null ? "" : positionClause(applied.table, a.column.name, targets);
                clauses.push(`ADD COLUMN ${a.ifNotExists ? "IF NOT EXISTS " : ""}${quoteIdent(target)} ${def}${pos}`);
                break;
            }
            case "drop-column": {
                const target = targets.get(columnKey(a.name));
                if (target === undefined) {
                    notes.push(`column ${a.name} is not migrated: nothing to drop`);
                    break;
                }
                clauses.push(`DROP COLUMN ${a.ifExists ? "IF EXISTS " : ""}${quoteIdent(target)}`);
                targets.delete(columnKey(a.name));
                break;
            }
            case "change-column": {
                const old = findColumn(before.source, a.from)!;
                const oldTarget = targets.get(columnKey(old.name));
                if (oldTarget === undefined) {
                    notes.push(`column ${old.name} is not migrated: the change is not applied`);
                    break;
                }
                const newTarget = isUserRenamed(old.name, oldTarget, task, defaultCase) ? oldTarget : applyCase(a.column.name, task.nameCase, defaultCase);
                targets.delete(columnKey(old.name));
                targets.set(columnKey(a.column.name), newTarget);
                const def = renameInRanges(a.definition, a.expressions, applied.table, targets, missing(`column ${a.column.name}`));
                const pos = a.position === null ? "" : positionClause(applied.table, a.column.name, targets);
                const ifExists = a.ifExists ? "IF EXISTS " : "";
                clauses.push(
                    newTarget === oldTarget
                        ? `MODIFY COLUMN ${ifExists}${quoteIdent(newTarget)} ${def}${pos}`
                        : `CHANGE COLUMN ${ifExists}${quoteIdent(oldTarget)} ${quoteIdent(newTarget)} ${def}${pos}`,
                );
                break;
            }
            case "rename-column": {
                const oldTarget = targets.get(columnKey(a.from));
                if (oldTarget === undefined) {
                    notes.push(`column ${a.from} is not migrated: nothing to rename`);
                    break;
                }
                const newTarget = isUserRenamed(a.from, oldTarget, task, defaultCase) ? oldTarget : applyCase(a.to, task.nameCase, defaultCase);
                if (newTarget !== oldTarget) clauses.push(`RENAME COLUMN ${quoteIdent(oldTarget)} TO ${quoteIdent(newTarget)}`);
                targets.delete(columnKey(a.from));
                targets.set(columnKey(a.to), newTarget);
                break;
            }
            case "alter-column-default": {
                const target = targets.get(columnKey(a.name));
                if (target === undefined) break;
                if (a.default === null) {
                    clauses.push(`ALTER COLUMN ${quoteIdent(target)} DROP DEFAULT`);
                } else {
                    const expr = renameInRanges(a.default, [[0, a.default.length]], applied.table, targets, missing(`the default of column ${a.name}`));
                    clauses.push(`ALTER COLUMN ${quoteIdent(target)} SET DEFAULT ${expr}`);
                }
                break;
            }
            case "alter-column-visibility": {
                const target = targets.get(columnKey(a.name));
                if (target !== undefined) clauses.push(`ALTER COLUMN ${quoteIdent(target)} SET ${a.invisible ? "INVISIBLE" : "VISIBLE"}`);
                break;
            }
            case "add-index": {
                const idx = a.index;
                if (!indexOnDestination(idx, targets)) {
                    const cols = idx.columns.filter((p) => !targets.has(columnKey(p.name))).map((p) => p.name);
                    notes.push(`${a.primary ? "primary key" : `index ${idx.name}`} is not created: column(s) ${cols.join(", ")} are not migrated`);
                    break;
                }
                const using = idx.kind === "BTREE" || idx.kind === "HASH" ? (/\bUSING\b/i.test(a.text) ? ` USING ${idx.kind}` : "") : "";
                const opts = a.options ? ` ${a.options}` : "";
                const parts = `(${keyPartsSql(idx.columns, targets)})`;
                if (a.primary) {
                    clauses.push(`ADD PRIMARY KEY ${parts}${using}${opts}`);
                } else {
                    const kind = idx.kind === "FULLTEXT" || idx.kind === "SPATIAL" ? `${idx.kind} ` : idx.unique ? "UNIQUE " : "";
                    const constraint = a.constraintName !== null && idx.unique ? `CONSTRAINT ${quoteIdent(a.constraintName)} ` : "";
                    clauses.push(`ADD ${constraint}${kind}INDEX ${a.ifNotExists ? "IF NOT EXISTS " : ""}${quoteIdent(idx.name)} ${parts}${using}${opts}`);
                }
                break;
            }
            case "drop-index": {
                const idx = before.source.indexes.find((x) => x.name === a.name)!;
                if (indexOnDestination(idx, columnTargets(before))) clauses.push(`DROP INDEX ${a.ifExists ? "IF EXISTS " : ""}${quoteIdent(idx.name)}`);
                break;
            }
            case "drop-primary-key":
                if (primaryKeyOnDestination(before.source, columnTargets(before))) clauses.push("DROP PRIMARY KEY");
                break;
            case "rename-index": {
                const idx = before.source.indexes.find((x) => x.name === a.from)!;
                if (indexOnDestination(idx, targets)) clauses.push(`RENAME INDEX ${quoteIdent(idx.name)} TO ${quoteIdent(a.to)}`);
                break;
            }
            case "alter-index": {
                const idx = before.source.indexes.find((x) => x.name.toLowerCase() === a.name.toLowerCase());
                if (!idx || indexOnDestination(idx, targets)) clauses.push(a.text);
                break;
            }
            case "add-foreign-key": {
                const fk = a.foreignKey;
                const unmapped = fk.columns.filter((c) => !targets.has(columnKey(c)));
                if (unmapped.length > 0) {
                    notes.push(`foreign key ${fk.name} is not created: column(s) ${unmapped.join(", ")} are not migrated`);
                    break;
                }
                const self = references(fk, before.source);
                let ref: ReturnType<ReferenceResolver>;
                if (self) {
                    ref = { schema: current.targetSchema, table: current.targetTable, columnName: (c) => targets.get(columnKey(c)) ?? c };
                } else if (options.resolveReference) {
                    ref = options.resolveReference(fk.referencedDatabase, fk.referencedTable);
                } else {
                    return fail(`foreign key ${fk.name} references ${fk.referencedDatabase}.${fk.referencedTable}, whose destination is not known here`);
                }
                if (ref === null) {
                    notes.push(`foreign key ${fk.name} is not created: it references ${fk.referencedDatabase}.${fk.referencedTable}, which is not migrated`);
                    break;
                }
                clauses.push(
                    `ADD CONSTRAINT ${quoteIdent(fk.name)} FOREIGN KEY (${fk.columns.map((c) => quoteIdent(targets.get(columnKey(c))!)).join(", ")}) ` +
                        `REFERENCES ${qualified(ref.schema, ref.table)} (${fk.referencedColumns.map((c) => quoteIdent(ref!.columnName(c))).join(", ")}) ` +
                        `ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`,
                );
                break;
            }
            case "add-check": {
                let clause: string;
                try {
                    clause = renameInRanges(a.clause, [[0, a.clause.length]], applied.table, targets, (c) => {
                        throw new SkipClause(c);
                    });
                } catch (e) {
                    if (!(e instanceof SkipClause)) throw e;
                    // As schema migration: a constraint on a column that is not migrated has nothing to constrain.
                    notes.push(`CHECK constraint ${a.name} is not created: it references column ${e.message}, which is not migrated`);
                    break;
                }
                // The source's name only when it was written: an unnamed check is named by each server alike.
                const named = applied.written.kind === "add-check" && applied.written.name !== null ? `CONSTRAINT ${quoteIdent(applied.written.name)} ` : "";
                clauses.push(`ADD ${named}CHECK (${clause})`);
                break;
            }
            case "drop-constraint": {
                const fk = before.source.foreignKeys.find((f) => f.name.toLowerCase() === a.name.toLowerCase());
                const idx = before.source.indexes.find((x) => x.name.toLowerCase() === a.name.toLowerCase());
                const chk = before.source.checks.find((c) => c.name.toLowerCase() === a.name.toLowerCase());
                const beforeTargets = columnTargets(before);
                const there =
                    (fk !== undefined && a.constraint !== "check" && foreignKeyOnDestination(fk, before.source, beforeTargets)) ||
                    (idx !== undefined && a.constraint === "any" && indexOnDestination(idx, beforeTargets)) ||
                    (chk !== undefined && a.constraint !== "foreign-key") ||
                    (a.constraint === "any" && a.name.toUpperCase() === "PRIMARY" && primaryKeyOnDestination(before.source, beforeTargets));
                if (there) clauses.push(a.text);
                else notes.push(`${a.text}: the constraint is not on the destination`);
                break;
            }
            case "rename-table": {
                const target = renameTarget(before, a.to, task, defaultCase, options.resolveTable, parsed.sql);
                if (target.schema !== current.targetSchema || target.table !== current.targetTable) {
                    clauses.push(`RENAME TO ${qualified(target.schema, target.table)}`);
                }
                current = { ...remapTable(before, applied.table, targets), targetSchema: target.schema, targetTable: target.table };
                continue;
            }
            case "table-options": {
                const kept = a.options.filter((o) => !hostOptions.has(o.name));
                hostLeft.push(...a.options.filter((o) => hostOptions.has(o.name)).map((o) => o.name));
                for (const o of kept) clauses.push(o.value === "" ? o.name : `${o.name === "CHARSET" ? "DEFAULT CHARSET" : o.name}=${o.value}`);
                break;
            }
            case "convert-charset":
                clauses.push(a.text);
                break;
            case "partition":
                if (a.dataChange) fail(`${a.operation} removes or moves the partition's rows on the source without logging them as row changes`);
                notes.push(`${a.text}: partitioning is not reproduced on the destination (schema migration creates tables without it)`);
                break;
            case "unsupported":
                fail(`${a.reason}: ${a.text}`);
                break;
        }
        current = remapTable(current, applied.table, targets);
    }
    if (hostLeft.length > 0) notes.push(`${hostLeft.join(", ")} left out: ${hostLeft.length > 1 ? "they are" : "it is"} about the source server`);
    const statements = clauses.length > 0 ? [`ALTER ${parsed.ignore ? "IGNORE " : ""}TABLE ${head} ${clauses.join(", ")}`] : [];
    return { statements, mapping: current, notes };
}

class SkipClause extends Error {}
