import type { DatabaseSelection, TaskSpec } from "../../sdk/schema/task";
import type { ColumnMapping, SourceColumn, SourceTable, TableMapping, ZeroDateChoice } from "./model";
import type { PrecheckItem } from "./status";

/**
 * What a destination does with names under nameCase "dts-default": keeps the source's case
 * (MySQL, Tablestore: case-sensitive names) or folds to lower case (PostgreSQL, where
 * unquoted names are lower case and users expect to query without quotes).
 */
export type DefaultNameCase = "as-source" | "lower";

type ColumnSelection = string | { name: string; renameTo?: string };

/** Destination names under the capitalisation policy; "dts-default" is the destination's own default. */
export function applyCase(name: string, policy: TaskSpec["nameCase"], defaultCase: DefaultNameCase): string {
    switch (policy) {
        case "source":
            return name;
        case "lower":
            return name.toLowerCase();
        case "upper":
            return name.toUpperCase();
        case "dts-default":
            return defaultCase === "lower" ? name.toLowerCase() : name;
    }
}

/** The key used to split, resume and apply: PK, else a unique key of NOT NULL, whole columns. */
export function chooseKey(table: SourceTable, mapped: Set<string>): string[] | null {
    if (table.primaryKey && table.primaryKey.every((c) => mapped.has(c))) return table.primaryKey;
    const notNull = new Set(table.columns.filter((c) => !c.nullable).map((c) => c.name));
    for (const idx of table.indexes) {
        if (!idx.unique) continue;
        if (idx.columns.every((c) => c.prefixLength === null && notNull.has(c.name) && mapped.has(c.name))) {
            return idx.columns.map((c) => c.name);
        }
    }
    return null;
}

/** Where a source database goes: its destination database (MySQL) or schema (PostgreSQL), as buildMappings names it. */
export function targetSchemaOf(spec: Pick<TaskSpec, "objects" | "nameCase">, database: string, defaultCase: DefaultNameCase): string {
    const sel = spec.objects.find((o) => o.database === database);
    return applyCase(sel?.renameTo ?? database, spec.nameCase, defaultCase);
}

export interface MappingResult {
    mappings: TableMapping[];
    /** Selection problems, as precheck items (unknown tables or columns). */
    problems: PrecheckItem[];
}

/**
 * Resolves the task's object selection against the source's tables: which tables and
 * columns go where, after renames at database, table and column level.
 */
export function buildMappings(
    spec: Pick<TaskSpec, "objects" | "nameCase">,
    defaultCase: DefaultNameCase,
    tablesByDatabase: Map<string, SourceTable[]>,
): MappingResult {
    const mappings: TableMapping[] = [];
    const problems: PrecheckItem[] = [];
    for (const db of spec.objects) {
        const tables = tablesByDatabase.get(db.database);
        if (!tables) {
            problems.push({
                id: "objects-exist", title: "Selected objects exist", outcome: "failed", object: db.database,
                detail: `database "${db.database}" does not exist on the source`, fix: "check the name in objects[].database (names are case-sensitive)",
            });
            continue;
        }
        const targetSchema = targetSchemaOf(spec, db.database, defaultCase);
        for (const sel of selectedTables(db, tables, problems)) {
            const { table, renameTo, columns, where, zeroDates } = sel;
            const cols = mapColumns(table, columns, spec.nameCase, defaultCase, problems);
            if (!cols) continue;
            if (zeroDates && !applyZeroDates(table, cols, zeroDates, problems)) continue;
            mappings.push({
                source: table,
                targetSchema,
                targetTable: applyCase(renameTo ?? table.name, spec.nameCase, defaultCase),
                columns: cols,
                where: where ?? null,
                key: chooseKey(table, new Set(cols.map((c) => c.source.name))),
            });
        }
    }
    return { mappings, problems };
}

interface ResolvedTable {
    table: SourceTable;
    renameTo?: string;
    columns?: ColumnSelection[];
    where?: string;
    zeroDates?: Record<string, ZeroDateChoice>;
}

function selectedTables(db: DatabaseSelection, tables: SourceTable[], problems: PrecheckItem[]): ResolvedTable[] {
    if (!db.tables) return tables.map((table) => ({ table }));
    const byName = new Map(tables.map((t) => [t.name, t]));
    const out: ResolvedTable[] = [];
    for (const t of db.tables) {
        const table = byName.get(t.name);
        if (!table) {
            problems.push({
                id: "objects-exist", title: "Selected objects exist", outcome: "failed", object: `${db.database}.${t.name}`,
                detail: `table "${t.name}" does not exist in source database "${db.database}" (or is a view)`,
                fix: "check objects[].tables[].name; names are case-sensitive",
            });
            continue;
        }
        out.push({ table, renameTo: t.renameTo, columns: t.columns, where: t.where, zeroDates: t.zeroDates });
    }
    return out;
}

/** Sets each named column's zero-date choice; a column that is not a migrated date column is a selection problem. */
function applyZeroDates(table: SourceTable, cols: ColumnMapping[], zeroDates: Record<string, ZeroDateChoice>, problems: PrecheckItem[]): boolean {
    let ok = true;
    for (const [name, choice] of Object.entries(zeroDates)) {
        const c = cols.find((x) => x.source.name === name);
        if (!c || !["date", "datetime", "timestamp"].includes(c.source.dataType)) {
            ok = false;
            problems.push({
                id: "objects-exist", title: "Selected objects exist", outcome: "failed", object: `${table.database}.${table.name}.${name}`,
                detail: `zeroDates names "${name}", which is not a migrated DATE, DATETIME or TIMESTAMP column of ${table.database}.${table.name}`,
                fix: `name one of: ${cols.filter((x) => ["date", "datetime", "timestamp"].includes(x.source.dataType)).map((x) => x.source.name).join(", ") || "(none)"}`,
            });
            continue;
        }
        c.zeroDate = choice;
    }
    return ok;
}

function mapColumns(
    table: SourceTable,
    selection: ColumnSelection[] | undefined,
    policy: TaskSpec["nameCase"],
    defaultCase: DefaultNameCase,
    problems: PrecheckItem[],
): ColumnMapping[] | null {
    const map = (source: SourceColumn, target?: string): ColumnMapping => ({ source, target: applyCase(target ?? source.name, policy, defaultCase) });
    if (!selection) return table.columns.map((c) => map(c));
    const byName = new Map(table.columns.map((c) => [c.name, c]));
    const out: ColumnMapping[] = [];
    let ok = true;
    for (const s of selection) {
        const name = typeof s === "string" ? s : s.name;
        const col = byName.get(name);
        if (!col) {
            ok = false;
            problems.push({
                id: "objects-exist", title: "Selected objects exist", outcome: "failed", object: `${table.database}.${table.name}.${name}`,
                detail: `column "${name}" does not exist in ${table.database}.${table.name}`,
                fix: `choose among: ${table.columns.map((c) => c.name).join(", ")}`,
            });
            continue;
        }
        out.push(map(col, typeof s === "string" ? undefined : s.renameTo));
    }
    // Keep the source's column order: it is what users see in both databases.
    return ok ? out.sort((a, b) => a.source.ordinal - b.source.ordinal) : null;
}
