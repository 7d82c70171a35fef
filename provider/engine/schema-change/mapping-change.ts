import type { TaskSpec } from "../../../sdk/schema/task";
import { applyCase, chooseKey, type DefaultNameCase } from "../mapping";
import type { SourceColumn, SourceTable, TableMapping } from "../model";
import { UntranslatableDdlError } from "./alter";
import type { NamedTable } from "./statement";

/** Mapping bookkeeping shared by the destinations' DDL translators. */


/** Where a (renamed) source table goes in the destination, or null when the task does not migrate it. */
export type TableResolver = (database: string, table: string) => { schema: string; table: string } | null;

/** Lower-cased source column name → destination column name: the key of the translators' column bookkeeping. */
export type ColumnTargets = Map<string, string>;

export const columnKey = (name: string): string => name.toLowerCase();

export function columnTargets(mapping: TableMapping): ColumnTargets {
    return new Map(mapping.columns.map((c) => [columnKey(c.source.name), c.target]));
}

/**
 * Whether the task lists the table's columns (a column subset, or renamed columns). Such a
 * mapping migrates exactly the listed columns: a column added on the source later is not
 * among them, so ADD COLUMN is not applied to the destination. A table no longer found
 * under its source name (renamed since the task was read) counts as listing its columns
 * when the mapping migrates fewer columns than the table has.
 */
export function selectsExplicitColumns(mapping: TableMapping, task: Pick<TaskSpec, "objects">): boolean {
    const db = task.objects.find((o) => o.database === mapping.source.database);
    const sel = db?.tables?.find((t) => t.name === mapping.source.name);
    if (sel) return sel.columns !== undefined;
    if (db && !db.tables) return false;
    return mapping.columns.length !== mapping.source.columns.length;
}

/** Whether the mapping renames the column (objects[].tables[].columns[].renameTo), rather than following the name-case policy. */
export function isUserRenamed(sourceName: string, target: string, task: Pick<TaskSpec, "nameCase">, defaultCase: DefaultNameCase): boolean {
    return target !== applyCase(sourceName, task.nameCase, defaultCase);
}

/**
 * The default destination of a table renamed on the source to `to`: the same destination
 * schema when it stays in its database (else the destination of `to`'s database when the
 * task selects it), its new name through the name-case policy. A table-level renameTo does
 * not follow the table to its new name. Null when the new database is not selected.
 */
export function defaultTableTarget(
    mapping: TableMapping,
    to: NamedTable,
    task: Pick<TaskSpec, "objects" | "nameCase">,
    defaultCase: DefaultNameCase,
): { schema: string; table: string } | null {
    let schema: string;
    // A database selected table by table takes in only the tables it lists: a new name it does
    // not list is a table the task does not migrate (as a restart's selection would see it).
    const listed = task.objects.find((o) => o.database === to.database);
    if (listed?.tables && !listed.tables.some((t) => t.name === to.name)) return null;
    if (to.database === mapping.source.database) {
        schema = mapping.targetSchema;
    } else {
        const db = task.objects.find((o) => o.database === to.database);
        if (!db) return null;
        schema = applyCase(db.renameTo ?? db.database, task.nameCase, defaultCase);
    }
    return { schema, table: applyCase(to.name, task.nameCase, defaultCase) };
}

/** The mapping over a changed source table: mapped columns in the table's order, the key chosen again. */
export function remapTable(mapping: TableMapping, table: SourceTable, targets: ColumnTargets): TableMapping {
    const columns = table.columns
        .filter((c) => targets.has(columnKey(c.name)))
        .map((c) => ({ source: c, target: targets.get(columnKey(c.name)) as string }));
    return { ...mapping, source: table, columns, key: chooseKey(table, new Set(columns.map((c) => c.source.name))) };
}

/** A column of the table by name, as MySQL-defaultCase sources compare column names: case-insensitively. */
export function findColumn(table: SourceTable, name: string): SourceColumn | undefined {
    return table.columns.find((c) => columnKey(c.name) === columnKey(name));
}

/**
 * Where a table renamed on the source goes at the destination: the task's resolver when it
 * has one, else defaultTableTarget. A name the task does not migrate cannot be followed.
 */
export function renameTarget(
    mapping: TableMapping,
    to: NamedTable,
    task: Pick<TaskSpec, "objects" | "nameCase">,
    defaultCase: DefaultNameCase,
    resolveTable: TableResolver | undefined,
    statement: string,
): { schema: string; table: string } {
    const target = resolveTable ? resolveTable(to.database, to.name) : defaultTableTarget(mapping, to, task, defaultCase);
    if (target === null) {
        throw new UntranslatableDdlError(statement, `the table is renamed to ${to.database}.${to.name}, which the task does not migrate`,
            "To recover: select the new name in the task's objects (or rename or drop the destination table yourself), then leave \"rename-table\" out of the ddl selection and run pulumi up");
    }
    return target;
}
