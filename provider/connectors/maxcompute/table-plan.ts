import type { TaskSpec } from "../../../sdk/schema/task";
import type { SourceRow, TableMapping } from "../../engine/model";
import type { MaxComputeTablePlan } from "./bulk-sink";
import { type DdlColumn, dataColumns } from "./ddl";
import { baseTableName, type TableSuffixes } from "./names";
import type { TunnelRecord } from "./records";
import { type MaxComputeColumnMapping, maxComputeColumnMapping, type MaxComputeTypeOptions, UnrepresentableValueError, valueConverter, type ValueConverter } from "./type-map";

/**
 * How one migrated table lands in MaxCompute: `<target><baseSuffix>` with a column per
 * source column, typed by the type map, and the conversion of each value. MaxCompute has no
 * databases in a project: a table goes by its mapped name alone.
 */
export interface MaxComputeTableShape extends MaxComputeTablePlan {
    mapping: TableMapping;
    columns: { target: string; mapping: MaxComputeColumnMapping }[];
    ddlColumns: DdlColumn[];
}

/**
 * Where each of a session's columns takes its value from, by name (MaxCompute names are
 * case-insensitive): the index into `names`, or -1 for a column the writer has no value for
 * (NULL). MaxCompute appends added columns at the end, wherever the source put them, so a
 * table's column order can differ from the mapping's.
 */
export function columnOrder(sessionColumns: readonly { name: string }[], names: readonly string[]): number[] {
    const at = new Map(names.map((n, i) => [n.toLowerCase(), i]));
    return sessionColumns.map((c) => at.get(c.name.toLowerCase()) ?? -1);
}

/** A record in the session's column order from values in `order`'s source order. */
export function reorder(values: readonly unknown[], order: readonly number[]): TunnelRecord {
    const out = new Array(order.length);
    for (let i = 0; i < order.length; i++) out[i] = order[i] < 0 ? null : values[order[i]];
    return out;
}

export function suffixesOf(task: Pick<TaskSpec, "maxcompute">): TableSuffixes {
    return { baseSuffix: task.maxcompute?.baseSuffix, logSuffix: task.maxcompute?.logSuffix };
}

/** The type options the task chose (maxcompute.types); absent ones keep the lossless defaults. */
export function typeOptionsOf(task: Pick<TaskSpec, "maxcompute">): MaxComputeTypeOptions {
    return { ...(task.maxcompute?.types ?? {}) };
}

/** Builds the shape; throws MaxComputeColumnTypeError for a column the map refuses. */
export function planTable(m: TableMapping, task: Pick<TaskSpec, "maxcompute">): MaxComputeTableShape {
    const options = typeOptionsOf(task);
    const columns = m.columns.map((c) => ({ target: c.target, mapping: maxComputeColumnMapping(c.source, options) }));
    const converters: ValueConverter[] = columns.map((c) => valueConverter(c.mapping));
    return {
        mapping: m,
        table: baseTableName(m.targetTable, suffixesOf(task)),
        columns,
        ddlColumns: dataColumns(columns),
        names: columns.map((c) => c.target),
        toRecord(row: SourceRow): TunnelRecord {
            const out = new Array(converters.length);
            for (let i = 0; i < converters.length; i++) out[i] = converters[i](row[i]);
            return out;
        },
        isRowValueError: (err): err is Error => err instanceof UnrepresentableValueError,
    };
}
