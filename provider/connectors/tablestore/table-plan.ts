import type { TableSelection, TaskSpec } from "../../../sdk/schema/task";
import type { SourceRow, TableMapping } from "../../engine/model";
import type { RowCondition, RowWrite, TsValue } from "./client";
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
    /** The attributes' names, in order: one array for every row of the plan (PlannedRowWrite.columns). */
    attributeNames: readonly string[];
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
    const attributes = m.columns.map((_, i) => i).filter((i) => !keyIndexes.includes(i)).map((i) => column(i, false));
    return {
        mapping: m,
        table: m.targetTable,
        primaryKey: keyIndexes.filter((i) => i >= 0).map((i) => column(i, true)),
        attributes,
        attributeNames: attributes.map((c) => c.name),
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

/**
 * A PutRow or UpdateRow made from a plan: its attribute values in the plan's column order,
 * `undefined` for NULL, with `put` and `deleteAll` derived from them when asked. A row holds
 * one array of values instead of a [name, value] pair per column, with the names the plan's
 * (one array for all its rows), which the encoder resolves once per plan rather than per row
 * (plainbuffer.ts reads `columns` and `values`). A NULL is absent from a PutRow and a DELETE_ALL
 * of an UpdateRow.
 */
export class PlannedRowWrite implements RowWrite {
    constructor(
        readonly table: string,
        readonly kind: "put" | "update",
        readonly primaryKey: [string, TsValue][],
        readonly columns: readonly string[],
        readonly values: readonly (TsValue | undefined)[],
        public condition: RowCondition,
    ) {}

    get put(): [string, TsValue][] {
        const put: [string, TsValue][] = [];
        for (let i = 0; i < this.values.length; i++) {
            const v = this.values[i];
            if (v !== undefined) put.push([this.columns[i], v]);
        }
        return put;
    }

    get deleteAll(): string[] | undefined {
        if (this.kind !== "update") return undefined;
        const names = this.columns.filter((_, i) => this.values[i] === undefined);
        return names.length > 0 ? names : undefined;
    }

    /** As a plain RowWrite would print. */
    toJSON(): RowWrite {
        const deleteAll = this.deleteAll;
        return { table: this.table, kind: this.kind, primaryKey: this.primaryKey, put: this.put, ...(deleteAll ? { deleteAll } : {}), condition: this.condition };
    }
}

function attributeValues(p: TablestoreTablePlan, row: SourceRow): { values: (TsValue | undefined)[]; present: number } {
    const cols = p.attributes;
    const values: (TsValue | undefined)[] = new Array(cols.length);
    let present = 0;
    for (let i = 0; i < cols.length; i++) {
        const c = cols[i];
        const v = c.convert(row[c.index]);
        values[i] = v;
        if (v !== undefined) present++;
    }
    return { values, present };
}

/** PutRow of the whole image: NULL columns are absent (Tablestore has no NULL). */
export function putRow(p: TablestoreTablePlan, row: SourceRow): RowWrite {
    const { values } = attributeValues(p, row);
    return new PlannedRowWrite(p.table, "put", keyOf(p, row), p.attributeNames, values, "ignore");
}

/**
 * UpdateRow of the new image ("update-row"): non-NULL columns are set, NULL ones deleted
 * (DELETE_ALL), columns the source does not send are left alone. An image with every
 * attribute NULL is a PutRow of the key: an UpdateRow needs a cell to set, and deleting
 * every column of a row that does not exist yet would not create it.
 */
export function updateRow(p: TablestoreTablePlan, row: SourceRow): RowWrite {
    const { values, present } = attributeValues(p, row);
    const primaryKey = keyOf(p, row);
    if (present === 0) return { table: p.table, kind: "put", primaryKey, put: [], condition: "ignore" };
    return new PlannedRowWrite(p.table, "update", primaryKey, p.attributeNames, values, "ignore");
}

export function deleteRow(p: TablestoreTablePlan, row: SourceRow): RowWrite {
    return { table: p.table, kind: "delete", primaryKey: keyOf(p, row), condition: "ignore" };
}
