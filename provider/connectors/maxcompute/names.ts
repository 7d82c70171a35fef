import type { MaxComputeType } from "./records";

/**
 * Names at MaxCompute (research/maxcompute.md §4 and §5): the `_base` and `_log` tables of a
 * source table, the naming limits, and the `_log` table's metadata columns under DTS's two
 * naming rules of additional columns. See docs/type-mapping-maxcompute.md.
 */

/** Table and column names: at most 128 bytes (research §4, MaxCompute SQL limits). */
export const MAX_NAME_BYTES = 128;
/** Comments: at most 1024 bytes. */
export const MAX_COMMENT_BYTES = 1024;

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
/**
 * Column names: letters, digits, '_' and Chinese characters (research §4). We take the CJK
 * Unified Ideographs block for "Chinese" and, as for tables, a letter (or ideograph) first.
 */
const COLUMN_NAME = /^[A-Za-z\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]*$/;

export interface TableSuffixes {
    /** `maxcompute.baseSuffix`, default "_base". */
    baseSuffix?: string;
    /** `maxcompute.logSuffix`, default "_log". */
    logSuffix?: string;
}

export function baseTableName(target: string, s: TableSuffixes = {}): string {
    return target + (s.baseSuffix ?? "_base");
}

export function logTableName(target: string, s: TableSuffixes = {}): string {
    return target + (s.logSuffix ?? "_log");
}

/** A name the destination cannot take: a precheck failure, with the fix. */
export interface NameProblem {
    kind: "table" | "column";
    /** The source table (and column) it concerns, as the user wrote them. */
    table: string;
    column?: string;
    /** The destination name refused. */
    name: string;
    reason: string;
    fix: string;
}

/**
 * Problems with the destination names of one table: `<target><baseSuffix>` and, with
 * incremental migration, `<target><logSuffix>`, each at most 128 bytes, `[A-Za-z0-9_]`, a
 * letter first. `source` is the source table's name, for the message.
 */
export function tableNameProblems(source: string, target: string, s: TableSuffixes = {}, withLog = true): NameProblem[] {
    const out: NameProblem[] = [];
    const names = [baseTableName(target, s), ...(withLog ? [logTableName(target, s)] : [])];
    const rename = `rename it with objects[].tables[].renameTo (the suffix counts toward the ${MAX_NAME_BYTES} bytes)`;
    for (const name of names) {
        const bytes = Buffer.byteLength(name, "utf8");
        if (!TABLE_NAME.test(name)) {
            out.push({ kind: "table", table: source, name, reason: `"${name}" may hold only ASCII letters, digits and '_', and must start with a letter`, fix: `${rename}, or change maxcompute.baseSuffix/logSuffix` });
        } else if (bytes > MAX_NAME_BYTES) {
            out.push({ kind: "table", table: source, name, reason: `"${name}" is ${bytes} bytes, over MaxCompute's ${MAX_NAME_BYTES}`, fix: rename });
        }
    }
    return out;
}

/** Why a column name cannot be used, or undefined. */
export function columnNameProblem(table: string, source: string, target: string): NameProblem | undefined {
    const bytes = Buffer.byteLength(target, "utf8");
    const fix = "rename it with a column selection { name, renameTo } in objects[].tables[].columns";
    if (!COLUMN_NAME.test(target)) {
        return { kind: "column", table, column: source, name: target, reason: `"${target}" may hold only letters, digits, '_' and Chinese characters, and must start with a letter`, fix };
    }
    if (bytes > MAX_NAME_BYTES) return { kind: "column", table, column: source, name: target, reason: `"${target}" is ${bytes} bytes, over MaxCompute's ${MAX_NAME_BYTES}`, fix };
    return undefined;
}

/** Column names are case-insensitive: two that differ only in case are one column. */
export function duplicateColumnProblems(table: string, targets: readonly string[]): NameProblem[] {
    const seen = new Map<string, string>();
    const out: NameProblem[] = [];
    for (const t of targets) {
        const k = t.toLowerCase();
        const prev = seen.get(k);
        if (prev !== undefined) {
            out.push({ kind: "column", table, column: t, name: t, reason: `"${t}" and "${prev}" are the same name at MaxCompute, whose column names are case-insensitive`, fix: "rename one with a column selection { name, renameTo }" });
        } else seen.set(k, t);
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// The _log table's metadata columns

/** `maxcompute.additionalColumnRule`: DTS's "New Rule" prefixes every additional column with `new_dts_sync_`. */
export type AdditionalColumnRule = "new" | "previous";
import { partitionValue, type PartitionUnit } from "./log-rows";

export type PartitionColumn = "modifytime_year" | "modifytime_month" | "modifytime_day" | "modifytime_hour" | "modifytime_minute";

/** Partition levels in their fixed order, outermost first. */
export const PARTITION_COLUMNS: readonly PartitionColumn[] = ["modifytime_year", "modifytime_month", "modifytime_day", "modifytime_hour", "modifytime_minute"];
export const NEW_RULE_PREFIX = "new_dts_sync_";

/**
 * The metadata columns after the data columns, in order, with their types. The research found
 * no types (the doc shows them only as an image, §5); chosen:
 * - record_id BIGINT: grows with each entry, derived from the source position; the merge SQL
 *   unions `0 as record_id`, a number;
 * - operation_flag STRING: I, D or U;
 * - utc_timestamp BIGINT, epoch seconds in UTC: the merge SQL compares `utc_timestamp <
 *   1565944878`, an epoch-seconds number, and a binlog event header's time is whole seconds,
 *   so nothing is lost;
 * - before_flag, after_flag STRING: Y or N.
 */
export const LOG_METADATA_COLUMNS: readonly { readonly base: string; readonly type: MaxComputeType }[] = Object.freeze([
    { base: "record_id", type: "BIGINT" },
    { base: "operation_flag", type: "STRING" },
    { base: "utc_timestamp", type: "BIGINT" },
    { base: "before_flag", type: "STRING" },
    { base: "after_flag", type: "STRING" },
]);
/** Partition columns are STRING (a partition key may be STRING, research §4). */
export const PARTITION_COLUMN_TYPE: MaxComputeType = "STRING";

export interface LogColumn {
    /** The name under the rule: record_id, or new_dts_sync_record_id. */
    name: string;
    /** The name without the rule's prefix. */
    base: string;
    type: MaxComputeType;
}

export interface LogLayout {
    /** Metadata data columns, after the source's data columns. */
    metadata: LogColumn[];
    /** Partition columns (PARTITIONED BY), in level order. */
    partitions: LogColumn[];
}

export function logLayout(rule: AdditionalColumnRule, partitions: readonly PartitionColumn[]): LogLayout {
    const prefix = rule === "new" ? NEW_RULE_PREFIX : "";
    const chosen = PARTITION_COLUMNS.filter((p) => partitions.includes(p));
    return {
        metadata: LOG_METADATA_COLUMNS.map((c) => ({ name: prefix + c.base, base: c.base, type: c.type })),
        partitions: chosen.map((p) => ({ name: prefix + p, base: p, type: PARTITION_COLUMN_TYPE })),
    };
}

/**
 * A metadata or partition column whose name is a data column's (case-insensitively): a
 * precheck failure, as at DTS ("If an added column name conflicts with an existing column,
 * the task fails").
 */
export function metadataConflicts(table: string, dataColumns: readonly string[], layout: LogLayout, rule: AdditionalColumnRule): NameProblem[] {
    const data = new Map(dataColumns.map((c) => [c.toLowerCase(), c]));
    const other = rule === "new" ? "previous" : "new";
    return [...layout.metadata, ...layout.partitions].flatMap((m) => {
        const c = data.get(m.name.toLowerCase());
        return c === undefined ? [] : [{
            kind: "column" as const, table, column: c, name: m.name,
            reason: `the _log table's metadata column "${m.name}" has the name of the source column "${c}"`,
            fix: `set maxcompute.additionalColumnRule to "${other}", or rename the column with a column selection { name, renameTo }`,
        }];
    });
}

/**
 * The partition values of a change at `utcSeconds` (epoch seconds, UTC), per chosen column,
 * in log-rows.ts's format (each value holds the whole time down to its unit: 2026,
 * 202612, 20261204, …), which stays unambiguous whichever subset of the columns a task chooses.
 */
export function partitionValues(utcSeconds: number, layout: LogLayout): [string, string][] {
    return layout.partitions.map((p) => [p.name, partitionValue(p.base.replace("modifytime_", "") as PartitionUnit, utcSeconds * 1000)]);
}
