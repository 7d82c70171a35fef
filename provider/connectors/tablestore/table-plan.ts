import type { TableSelection, TaskSpec } from "../../../sdk/schema/task";
import type { SourceRow, TableMapping } from "../../engine/model";
import type { RowWrite } from "./client";
import { type TablestoreColumnMapping, tablestoreColumnMapping, type TablestoreColumnType, type TablestorePrimaryKeyType } from "./type-map";
import { tablestoreValueConverter, UnrepresentableValueError, type ValueConverter } from "./values";

/**
 * How one migrated table lands in Tablestore: its table name, its primary key (the task's
 * tablestorePrimaryKey or the source's key, the first column being the partition key), and
 * per column the type and the value conversion. Rows become RowWrites here, so the full
 * load and the stream write the same values.
 */

export interface PlannedColumn {
    /** Index into the mapping's columns (and so into a SourceRow). */
    index: number;
    /** Tablestore column name: the mapping's target name. */
    name: string;
    type: TablestoreColumnMapping;
    convert: ValueConverter;
}

export interface TablestoreTablePlan {
    mapping: TableMapping;
    /** Tablestore has no databases: the table goes by its mapped name alone. */
    table: string;
    primaryKey: PlannedColumn[];
    attributes: PlannedColumn[];
}

function selectionOf(task: Pick<TaskSpec, "objects">, m: TableMapping): TableSelection | undefined {
    return task.objects.find((o) => o.database === m.source.database)?.tables?.find((t) => t.name === m.source.name);
}

/**
 * The columns of the destination primary key, as source column names: the task's
 * tablestorePrimaryKey (source or destination names), else the key the engine chose (the
 * primary key, else a NOT NULL unique key); null when there is none.
 */
export function tablestoreKey(m: TableMapping, task: Pick<TaskSpec, "objects">): string[] | null {
    const chosen = selectionOf(task, m)?.tablestorePrimaryKey;
    if (!chosen) return m.key;
    return chosen.map((n) => m.columns.find((c) => c.source.name === n)?.source.name ?? m.columns.find((c) => c.target === n)?.source.name ?? n);
}

/** The type asked for a column ("set column data types"), by source or destination name. */
function override(sel: TableSelection | undefined, source: string, target: string): TablestoreColumnType | undefined {
    const types = sel?.tablestoreTypes;
    return types?.[source] ?? types?.[target];
}

/** Builds the plan; throws TablestoreColumnTypeError for a column the map refuses. */
export function planTable(m: TableMapping, task: Pick<TaskSpec, "objects" | "tablestore">): TablestoreTablePlan {
    const sel = selectionOf(task, m);
    const key = tablestoreKey(m, task) ?? [];
    const temporal = task.tablestore?.temporal ?? "iso-string";
    const column = (index: number, primaryKey: boolean): PlannedColumn => {
        const c = m.columns[index];
        const type = tablestoreColumnMapping(c.source, { temporal, primaryKey, override: override(sel, c.source.name, c.target) });
        return { index, name: c.target, type, convert: tablestoreValueConverter(type) };
    };
    const keyIndexes = key.map((k) => m.columns.findIndex((c) => c.source.name === k));
    return {
        mapping: m,
        table: m.targetTable,
        primaryKey: keyIndexes.filter((i) => i >= 0).map((i) => column(i, true)),
        attributes: m.columns.map((_, i) => i).filter((i) => !keyIndexes.includes(i)).map((i) => column(i, false)),
    };
}

/** The primary-key types of the table to create, in key order. */
export function keySchema(p: TablestoreTablePlan): { name: string; type: TablestorePrimaryKeyType }[] {
    return p.primaryKey.map((c) => ({ name: c.name, type: c.type.type as TablestorePrimaryKeyType }));
}

/** A key column that is NULL in the row: the key the task chose allows NULL, Tablestore does not. */
export class NullKeyValueError extends Error {
    constructor(readonly column: string) {
        super(`column "${column}" is NULL, and it is a primary-key column (Tablestore keys have no NULL); choose NOT NULL columns for tablestorePrimaryKey`);
        this.name = "NullKeyValueError";
    }
}

/** A value of this row that Tablestore cannot hold: the row is dirty data, the rest are written. */
export function isRowValueError(err: unknown): err is Error {
    return err instanceof UnrepresentableValueError || err instanceof NullKeyValueError;
}

function keyOf(p: TablestoreTablePlan, row: SourceRow): RowWrite["primaryKey"] {
    const cols = p.primaryKey;
    const key: RowWrite["primaryKey"] = new Array(cols.length);
    for (let i = 0; i < cols.length; i++) {
        const c = cols[i];
        const v = c.convert(row[c.index]);
        if (v === undefined) throw new NullKeyValueError(c.name);
        key[i] = [c.name, v];
    }
    return key;
}

/** PutRow of the whole image: NULL columns are absent (Tablestore has no NULL). */
export function putRow(p: TablestoreTablePlan, row: SourceRow): RowWrite {
    // Sized once (a row's arrays are most of what a write keeps in memory), cut if NULLs are left out.
    const cols = p.attributes;
    const put: [string, NonNullable<ReturnType<ValueConverter>>][] = new Array(cols.length);
    let n = 0;
    for (let i = 0; i < cols.length; i++) {
        const c = cols[i];
        const v = c.convert(row[c.index]);
        if (v !== undefined) put[n++] = [c.name, v];
    }
    if (n < cols.length) put.length = n;
    return { table: p.table, kind: "put", primaryKey: keyOf(p, row), put, condition: "ignore" };
}

/**
 * UpdateRow of the new image ("update-row"): non-NULL columns are set, NULL ones deleted
 * (DELETE_ALL), columns the source does not send are left alone. An image with every
 * attribute NULL is a PutRow of the key: an UpdateRow needs a cell to set, and deleting
 * every column of a row that does not exist yet would not create it.
 */
export function updateRow(p: TablestoreTablePlan, row: SourceRow): RowWrite {
    const put: [string, NonNullable<ReturnType<ValueConverter>>][] = [];
    const deleteAll: string[] = [];
    for (const c of p.attributes) {
        const v = c.convert(row[c.index]);
        if (v === undefined) deleteAll.push(c.name);
        else put.push([c.name, v]);
    }
    const primaryKey = keyOf(p, row);
    if (put.length === 0) return { table: p.table, kind: "put", primaryKey, put, condition: "ignore" };
    return { table: p.table, kind: "update", primaryKey, put, ...(deleteAll.length ? { deleteAll } : {}), condition: "ignore" };
}

export function deleteRow(p: TablestoreTablePlan, row: SourceRow): RowWrite {
    return { table: p.table, kind: "delete", primaryKey: keyOf(p, row), condition: "ignore" };
}
