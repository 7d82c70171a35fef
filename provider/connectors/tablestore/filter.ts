import { encodeColumnValue } from "./plainbuffer";
import type { ProtoType, TsValue } from "./sdk";

/**
 * Column conditions of single-row writes (Condition.column_condition), as the service reads
 * them (tablestore.proto, tablestore_filter.proto; research/tablestore.md §5):
 *
 *     Condition               { row_existence = 1; column_condition = 2 (bytes: a Filter) }
 *     Filter                  { type = 1 (FT_SINGLE_COLUMN_VALUE = 1); filter = 2 (bytes) }
 *     SingleColumnValueFilter { comparator = 1 (CT_EQUAL = 1 … CT_LESS_EQUAL = 6); column_name = 2;
 *                               column_value = 3 (a PlainBuffer value, encodeColumnValue);
 *                               filter_if_missing = 4; latest_version_only = 5 }
 *
 * `filter_if_missing` is the negation of the SDKs' passIfMissing: true means a row without the
 * column fails the condition, false that it passes (Node SDK lib/protocol/encoder.js
 * `filterIfMissing: !condition.passIfMissing` and lib/filter.js setPassIfMissing: "如果设置为True，
 * 则若列在该行中不存在，则检查条件通过"; the Java and .NET SDKs write `!isPassIfMissing()` alike;
 * help.aliyun.com/en/tablestore/developer-reference/singlecolumnvaluefilter: "whether to filter
 * the row if the column does not exist"). Some translations of that page describe the field the
 * other way round; the SDKs, which the service has answered for years, are followed here.
 *
 * The messages are the SDK's compiled ones (the same tablestore_compiled_proto.js sdk.ts loads),
 * so a field number cannot drift from the SDK's.
 */

export type Comparator = "=" | "!=" | ">" | ">=" | "<" | "<=";

/** ComparatorType (tablestore_filter.proto). */
export const COMPARATOR: Readonly<Record<Comparator, number>> = { "=": 1, "!=": 2, ">": 3, ">=": 4, "<": 5, "<=": 6 };
/** FilterType.FT_SINGLE_COLUMN_VALUE (tablestore_filter.proto). */
export const FT_SINGLE_COLUMN_VALUE = 1;

/** `column comparator value`: one column of the row against a constant. */
export interface SingleColumnCondition {
    column: string;
    comparator: Comparator;
    value: TsValue;
    /** true: a row without the column passes; false: it fails (the wire's filter_if_missing is the negation). */
    passIfMissing: boolean;
    /** Compare the latest version only (default true; the connector keeps one version). */
    latestVersionOnly?: boolean;
}

export type ColumnCondition = SingleColumnCondition;

interface SingleColumnValueFilterMessage {
    comparator: number;
    columnName: string;
    columnValue: Uint8Array;
    filterIfMissing: boolean;
    latestVersionOnly: boolean;
}

interface FilterMessage {
    type: number;
    filter: Uint8Array;
}

const filterProtos: Record<string, ProtoType<unknown>> = require("tablestore/lib/protocol/tablestore_compiled_proto.js").filter.proto;
const SingleColumnValueFilter = filterProtos.SingleColumnValueFilter as ProtoType<SingleColumnValueFilterMessage>;
const Filter = filterProtos.Filter as ProtoType<FilterMessage>;

/**
 * The serialized Filter of a column condition, Condition.column_condition's bytes. A value the
 * condition cannot carry throws PlainBufferInputError.
 */
export function encodeColumnCondition(c: ColumnCondition): Buffer {
    const comparator = COMPARATOR[c.comparator];
    if (comparator === undefined) throw new Error(`unknown comparator ${String(c.comparator)}`);
    const single = SingleColumnValueFilter.encode({
        comparator,
        columnName: c.column,
        columnValue: encodeColumnValue(c.column, c.value),
        filterIfMissing: !c.passIfMissing,
        latestVersionOnly: c.latestVersionOnly ?? true,
    }).finish();
    return Buffer.from(Filter.encode({ type: FT_SINGLE_COLUMN_VALUE, filter: single }).finish());
}

/** Condition{row_existence, column_condition} as the compiled request messages take it. */
export interface ConditionMessage {
    rowExistence: number;
    columnCondition?: Uint8Array;
}

export function conditionMessage(rowExistence: number, column?: ColumnCondition): ConditionMessage {
    return column ? { rowExistence, columnCondition: encodeColumnCondition(column) } : { rowExistence };
}
