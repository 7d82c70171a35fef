/**
 * The operation handlers: decode the request, validate it as the service does, apply it to the
 * store, encode the response. Each throws an OtsError for a whole-request failure; BatchWriteRow
 * and BulkImport report per-row failures in their results (HTTP 200).
 *
 * Which checks fail a whole batch and which a row follows the service: validation of the
 * request (limits, schema, malformed rows) fails the batch, as DataX's row-by-row fallback on
 * OTSParameterInvalid relies on; state-dependent outcomes (a condition, an INCREMENT on a
 * non-integer) fail the row.
 */
import { NotSupportedByFixture, OtsError, conditionCheckFail, invalidPk, parameterInvalid, tableAlreadyExists, tableNotExist, tableQuotaExceeded } from "./errors";
import type { FaultInjector } from "./faults";
import { MAX_TIMESTAMP_EXCLUSIVE, isValidName, rowDataSize, type Limits } from "./limits";
import { readColumnValue, readRow, writeRow, writeRows, type AttributeCell, type AttributeValue, type KeyCell, type KeyCellValue, type KeyValue, type PlainRow } from "./plainbuffer";
import {
    ComparatorType, Direction, FilterType, OperationType, PrimaryKeyType, ReturnType, RowExistence, TableStatus, bulkImportMessages, filterMessages, has, int64ToBigInt, messages,
    type ConsumedCapacity, type Condition, type DescribeTableResponse, type MessageCodec, type ReadOptions, type ReturnContent,
    type RowInBatchWriteRowResponse, type RowInBulkImportResponse, type TableMetaMessage, type TableOptionsMessage,
} from "./protocol";
import { Bound, isConcreteKey, keyId, type Table, type BoundValue, type KeyColumnSchema, type StoredCell, type StoredRow, type Store, type TableInfo } from "./store";

export interface RequestNote {
    /** Rows a batch operation carried (for the request log). */
    rows?: number;
    tables?: string[];
}

export interface OperationContext {
    store: Store;
    limits: Limits;
    faults: FaultInjector;
    now(): number;
    note: RequestNote;
}

export type OperationHandler = (body: Buffer, ctx: OperationContext) => Uint8Array;

function decode<T>(codec: MessageCodec<T>, body: Buffer): T {
    try {
        return codec.decode(body);
    } catch {
        throw parameterInvalid("Parse PBMessage from RawString failed.");
    }
}

function encode<T>(codec: MessageCodec<T>, msg: T): Uint8Array {
    return codec.encode(msg).finish();
}

function requireTable(ctx: OperationContext, name: string): Table {
    const t = ctx.store.tables.get(name);
    if (!t) throw tableNotExist();
    return t;
}

function cu(read: number, write: number): ConsumedCapacity {
    return { capacityUnit: { read, write } };
}

const units = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));

const KEY_TYPE_BY_NUMBER: Record<number, KeyColumnSchema["type"]> = {
    [PrimaryKeyType.INTEGER]: "INTEGER",
    [PrimaryKeyType.STRING]: "STRING",
    [PrimaryKeyType.BINARY]: "BINARY",
};
const DEFINED_COLUMN_TYPES = new Set([1, 2, 3, 4, 7]);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// ---------------------------------------------------------------------------------------------
// Tables

function tableOptionsOf(info: TableInfo): TableOptionsMessage {
    const o: TableOptionsMessage = { timeToLive: info.timeToLive, maxVersions: info.maxVersions, deviationCellVersionInSec: info.deviationSeconds };
    if (info.allowUpdate !== undefined) o.allowUpdate = info.allowUpdate;
    return o;
}

function tableMetaOf(info: TableInfo): TableMetaMessage {
    return {
        tableName: info.name,
        primaryKey: info.primaryKey.map((k) => {
            const type = PrimaryKeyType[k.type];
            return k.autoIncrement ? { name: k.name, type, option: 1 } : { name: k.name, type };
        }),
        definedColumn: info.definedColumns.map((c) => ({ ...c })),
    };
}

function checkTableOptions(o: TableOptionsMessage, creating: boolean): void {
    if (creating && !has(o, "timeToLive")) throw parameterInvalid("Time-to-live is missing while creating table.");
    if (creating && !has(o, "maxVersions")) throw parameterInvalid("MaxVersions is missing while creating table.");
    if (has(o, "timeToLive") && (o.timeToLive === 0 || (o.timeToLive ?? 0) < -1)) throw parameterInvalid("TimeToLive cannot be 0 or less than -1.");
    if (has(o, "maxVersions") && (o.maxVersions ?? 0) <= 0) throw parameterInvalid("The maximum versions cannot be less than or equal to 0");
    if (has(o, "deviationCellVersionInSec") && o.deviationCellVersionInSec !== undefined) {
        const d = int64ToBigInt(o.deviationCellVersionInSec);
        if (d < 0n || d > INT64_MAX / 1000000n) throw parameterInvalid("The maximum deviation must be in range [0, INT64_MAX/1000000].");
    }
}

function checkCapacity(read: number | undefined, write: number | undefined): void {
    for (const v of [read, write]) {
        if (v !== undefined && v < 0) throw parameterInvalid(`Invalid Capacity Unit:${v} . Capacity Unit must be nonnegative.`);
    }
}

function createTable(body: Buffer, ctx: OperationContext): Uint8Array {
    const req = decode(messages.CreateTableRequest, body);
    const { limits } = ctx;
    const meta = req.tableMeta;
    if (!isValidName(meta.tableName, limits)) throw parameterInvalid(`Invalid table name: ${meta.tableName}.`);
    const pk = meta.primaryKey ?? [];
    if (pk.length < limits.minPrimaryKeyColumns || pk.length > limits.maxPrimaryKeyColumns) {
        throw parameterInvalid(`The number of primary key columns must be in range: [${limits.minPrimaryKeyColumns}, ${limits.maxPrimaryKeyColumns}].`);
    }
    const seen = new Set<string>();
    const schema: KeyColumnSchema[] = [];
    for (const [i, k] of pk.entries()) {
        if (!isValidName(k.name, limits)) throw parameterInvalid(`Invalid column name: ${k.name}.`);
        if (seen.has(k.name)) throw parameterInvalid(`Duplicated primary key name: ${k.name}.`);
        seen.add(k.name);
        const type = KEY_TYPE_BY_NUMBER[k.type];
        if (!type) throw parameterInvalid(`${k.type} is an invalid type for the primary key.`);
        const autoIncrement = has(k, "option") && k.option === 1;
        if (autoIncrement && type !== "INTEGER") throw parameterInvalid("AUTO_INCREMENT primary key must be integer.");
        if (autoIncrement && i === 0) throw parameterInvalid(`First primary key can't be auto increment, table: ${meta.tableName}.`);
        schema.push({ name: k.name, type, autoIncrement });
    }
    if (schema.filter((k) => k.autoIncrement).length > 1) throw parameterInvalid("AUTO_INCREMENT primary key count must <= 1.");
    const defined = meta.definedColumn ?? [];
    if (defined.length > limits.maxDefinedColumns) {
        throw parameterInvalid(`The number of defined columns must be in range: [0, ${limits.maxDefinedColumns}].`);
    }
    for (const c of defined) {
        if (!isValidName(c.name, limits)) throw parameterInvalid(`Invalid column name: ${c.name}.`);
        if (seen.has(c.name)) throw parameterInvalid(`Duplicated attribute column name with primary key column:${c.name}.`);
        seen.add(c.name);
        if (!DEFINED_COLUMN_TYPES.has(c.type)) throw parameterInvalid(`${c.type} is an invalid type for the attribute column.`);
    }
    const options = req.tableOptions ?? {};
    checkTableOptions(options, true);
    const capacity = req.reservedThroughput.capacityUnit;
    checkCapacity(capacity.read, capacity.write);
    if ((req.indexMetas ?? []).length > 0 || (meta.indexMeta ?? []).length > 0) throw new NotSupportedByFixture("secondary indexes");
    if (req.streamSpec?.enableStream) throw new NotSupportedByFixture("streams");

    if (ctx.store.tables.has(meta.tableName)) throw tableAlreadyExists();
    if (ctx.store.tables.size >= limits.maxTables) throw tableQuotaExceeded();
    const info: TableInfo = {
        name: meta.tableName,
        primaryKey: schema,
        definedColumns: defined.map((c) => ({ name: c.name, type: c.type })),
        timeToLive: options.timeToLive ?? -1,
        maxVersions: options.maxVersions ?? 1,
        deviationSeconds: options.deviationCellVersionInSec !== undefined && has(options, "deviationCellVersionInSec")
            ? Number(int64ToBigInt(options.deviationCellVersionInSec))
            : limits.defaultDeviationSeconds,
        reservedRead: capacity.read ?? 0,
        reservedWrite: capacity.write ?? 0,
        createdAt: Math.floor(ctx.now() / 1000),
    };
    if (has(options, "allowUpdate")) info.allowUpdate = options.allowUpdate;
    ctx.store.createTable(info);
    return encode(messages.CreateTableResponse, {});
}

function describeTable(body: Buffer, ctx: OperationContext): Uint8Array {
    const req = decode(messages.DescribeTableRequest, body);
    const info = requireTable(ctx, req.tableName).info;
    const res: DescribeTableResponse = {
        tableMeta: tableMetaOf(info),
        reservedThroughputDetails: {
            capacityUnit: { read: info.reservedRead, write: info.reservedWrite },
            lastIncreaseTime: info.createdAt,
            ...(info.lastDecreaseAt !== undefined ? { lastDecreaseTime: info.lastDecreaseAt } : {}),
        },
        tableOptions: tableOptionsOf(info),
        tableStatus: TableStatus.ACTIVE,
        streamDetails: { enableStream: false },
        shardSplits: [],
        indexMetas: [],
    };
    return encode(messages.DescribeTableResponse, res);
}

function listTable(body: Buffer, ctx: OperationContext): Uint8Array {
    decode(messages.ListTableRequest, body);
    return encode(messages.ListTableResponse, { tableNames: [...ctx.store.tables.keys()].sort() });
}

function deleteTable(body: Buffer, ctx: OperationContext): Uint8Array {
    const req = decode(messages.DeleteTableRequest, body);
    requireTable(ctx, req.tableName);
    ctx.store.dropTable(req.tableName);
    return encode(messages.DeleteTableResponse, {});
}

function updateTable(body: Buffer, ctx: OperationContext): Uint8Array {
    const req = decode(messages.UpdateTableRequest, body);
    const table = requireTable(ctx, req.tableName);
    if (req.streamSpec?.enableStream) throw new NotSupportedByFixture("streams");
    const options = req.tableOptions;
    if (options) checkTableOptions(options, false);
    const capacity = req.reservedThroughput?.capacityUnit;
    if (capacity) checkCapacity(capacity.read, capacity.write);
    const info = { ...table.info };
    if (options) {
        if (has(options, "timeToLive") && options.timeToLive !== undefined) info.timeToLive = options.timeToLive;
        if (has(options, "maxVersions") && options.maxVersions !== undefined) info.maxVersions = options.maxVersions;
        if (has(options, "deviationCellVersionInSec") && options.deviationCellVersionInSec !== undefined) {
            info.deviationSeconds = Number(int64ToBigInt(options.deviationCellVersionInSec));
        }
        if (has(options, "allowUpdate")) info.allowUpdate = options.allowUpdate;
    }
    if (capacity) {
        const now = Math.floor(ctx.now() / 1000);
        if ((capacity.read ?? info.reservedRead) < info.reservedRead || (capacity.write ?? info.reservedWrite) < info.reservedWrite) info.lastDecreaseAt = now;
        info.reservedRead = capacity.read ?? info.reservedRead;
        info.reservedWrite = capacity.write ?? info.reservedWrite;
    }
    table.info = info;
    return encode(messages.UpdateTableResponse, {
        reservedThroughputDetails: {
            capacityUnit: { read: info.reservedRead, write: info.reservedWrite },
            lastIncreaseTime: info.createdAt,
            ...(info.lastDecreaseAt !== undefined ? { lastDecreaseTime: info.lastDecreaseAt } : {}),
        },
        tableOptions: tableOptionsOf(info),
    });
}

// ---------------------------------------------------------------------------------------------
// Keys

type KeyMode = "write" | "read" | "bound";

/** The key's cells against the table schema: same names in the same order, same types. */
function checkKey(table: Table, cells: readonly KeyCell[], mode: KeyMode, limits: Limits): KeyCellValue[] {
    const schema = table.info.primaryKey;
    if (cells.length !== schema.length) throw invalidPk();
    return cells.map((cell, i) => {
        const col = schema[i];
        if (cell.name !== col.name) throw invalidPk();
        const v = cell.value;
        if (v.type === "AUTO_INCREMENT") {
            if (mode !== "write") throw parameterInvalid("PKAutoIncr can't be used for read operations.");
            if (!col.autoIncrement) throw invalidPk();
            return v;
        }
        if (v.type === "INF_MIN" || v.type === "INF_MAX") {
            if (mode !== "bound") throw invalidPk();
            return v;
        }
        if (v.type !== col.type) throw invalidPk();
        const length = v.type === "STRING" ? Buffer.byteLength(v.value, "utf8") : v.type === "BINARY" ? v.value.length : 0;
        if (length > limits.maxPrimaryKeyValueBytes) {
            throw parameterInvalid(`The length of primary key column: ${cell.name} exceeds the MaxLength: ${limits.maxPrimaryKeyValueBytes} with CurrentLength: ${length}.`);
        }
        return v;
    });
}

function concreteKey(values: readonly KeyCellValue[]): KeyValue[] {
    return values.map((v) => {
        if (!isConcreteKey(v)) throw invalidPk();
        return v;
    });
}

function keyCells(table: Table, key: readonly KeyValue[]): KeyCell[] {
    return table.info.primaryKey.map((k, i) => ({ name: k.name, value: key[i] }));
}

// ---------------------------------------------------------------------------------------------
// Writes

type WriteKind = "PUT" | "UPDATE" | "DELETE";

interface PreparedWrite {
    kind: WriteKind;
    table: Table;
    key: KeyCellValue[];
    cells: AttributeCell[];
    expectation: number;
    columnCondition?: ColumnCondition;
    returnContent?: ReturnContent | null;
    dataSize: number;
}

const EXPECTATION_NAMES: Record<number, string> = { 0: "IGNORE", 1: "EXPECT_EXIST", 2: "EXPECT_NOT_EXIST" };

/** A decoded single-column condition (the only kind this fixture evaluates). */
interface ColumnCondition {
    comparator: number;
    column: string;
    value: AttributeValue;
    /** The wire's filter_if_missing: true = a row without the column fails the condition. */
    filterIfMissing: boolean;
}

function checkCondition(kind: WriteKind, condition: Condition | undefined, autoIncrement: boolean, limits: Limits): { expectation: number; columnCondition?: ColumnCondition } {
    const expectation = condition?.rowExistence ?? RowExistence.IGNORE;
    const name = EXPECTATION_NAMES[expectation];
    if (name === undefined) throw parameterInvalid(`Invalid row-existence expectation: ${expectation}.`);
    const columnCondition = condition && has(condition, "columnCondition") && (condition.columnCondition?.length ?? 0) > 0
        ? decodeColumnCondition(condition.columnCondition as Uint8Array, limits)
        : undefined;
    // UpdateRow and DeleteRow accept IGNORE and EXPECT_EXIST only (UpdateRow.md, DeleteRow.md).
    if (kind !== "PUT" && expectation === RowExistence.EXPECT_NOT_EXIST) throw parameterInvalid(`Invalid condition:${name}.`);
    if (autoIncrement && expectation !== RowExistence.IGNORE) throw parameterInvalid(`Invalid expect:${name} when modify row with pk auto increment`);
    return columnCondition ? { expectation, columnCondition } : { expectation };
}

/**
 * Condition.column_condition: a Filter whose `filter` is a SingleColumnValueFilter. Composite
 * conditions (AND/OR/NOT) are the service's too, but not this fixture's. The service publishes
 * no message for a malformed condition: the fixture's own words.
 */
function decodeColumnCondition(bytes: Uint8Array, limits: Limits): ColumnCondition {
    let filter;
    try {
        filter = filterMessages.Filter.decode(bytes);
    } catch {
        throw parameterInvalid("Invalid column condition: cannot parse the Filter message.");
    }
    if (filter.type === FilterType.FT_COMPOSITE_COLUMN_VALUE) throw new NotSupportedByFixture("composite column conditions");
    if (filter.type !== FilterType.FT_SINGLE_COLUMN_VALUE) throw parameterInvalid(`Invalid column condition: filter type ${filter.type} is not a condition.`);
    let single;
    try {
        single = filterMessages.SingleColumnValueFilter.decode(filter.filter);
    } catch {
        throw parameterInvalid("Invalid column condition: cannot parse the SingleColumnValueFilter message.");
    }
    if (!Object.values(ComparatorType).includes(single.comparator as never)) throw parameterInvalid(`Invalid column condition: comparator ${single.comparator}.`);
    if (!isValidName(single.columnName, limits)) throw parameterInvalid(`Invalid column name: ${single.columnName}.`);
    return {
        comparator: single.comparator,
        column: single.columnName,
        value: readColumnValue(single.columnValue, single.columnName),
        filterIfMissing: single.filterIfMissing,
    };
}

/** Bytewise for STRING (as UTF-8) and BINARY, numeric for INTEGER and DOUBLE, false < true. */
function compareValues(a: AttributeValue, b: AttributeValue): number {
    switch (a.type) {
        case "INTEGER":
        case "DOUBLE":
        case "BOOLEAN": {
            // Same type (passesCondition checks): bigint with bigint, number with number, boolean with boolean.
            const x = a.value, y = b.value as typeof x;
            return x < y ? -1 : x > y ? 1 : 0;
        }
        case "STRING":
            return Buffer.compare(Buffer.from(a.value, "utf8"), Buffer.from(b.value as string, "utf8"));
        case "BINARY":
            return Buffer.compare(a.value, b.value as Buffer);
    }
}

/**
 * Whether the row as stored passes a column condition. The column is an attribute or a key
 * column of the row; a row that does not exist has no columns. A missing column passes when
 * filter_if_missing is false and fails when it is true: the SDKs send filter_if_missing =
 * !passIfMissing (Node lib/protocol/encoder.js, Java OTSProtocolBuilder), and passIfMissing
 * true means "若列在该行中不存在，则检查条件通过" (Node lib/filter.js). The fixture keeps one version
 * per column, so latest_version_only changes nothing. A value of another type than the
 * condition's fails it, whatever the comparator: the service documents no cross-type order
 * (the fixture's choice).
 */
function passesCondition(table: Table, existing: StoredRow | undefined, c: ColumnCondition): boolean {
    let value: AttributeValue | undefined;
    if (existing) {
        value = existing.cells.get(c.column)?.value;
        const k = table.info.primaryKey.findIndex((col) => col.name === c.column);
        if (value === undefined && k >= 0) value = existing.key[k];
    }
    if (value === undefined) return !c.filterIfMissing;
    if (value.type !== c.value.type) return false;
    const order = compareValues(value, c.value);
    switch (c.comparator) {
        case ComparatorType.CT_EQUAL: return order === 0;
        case ComparatorType.CT_NOT_EQUAL: return order !== 0;
        case ComparatorType.CT_GREATER_THAN: return order > 0;
        case ComparatorType.CT_GREATER_EQUAL: return order >= 0;
        case ComparatorType.CT_LESS_THAN: return order < 0;
        default: return order <= 0;
    }
}

function checkCells(kind: WriteKind, table: Table, row: PlainRow, ctx: OperationContext): void {
    const { limits } = ctx;
    if (kind === "DELETE") {
        if (!row.deleteMarker) throw parameterInvalid("Invalid request of delete row: missing RowDeleteMarker in request");
        if (row.cells.length > 0) throw parameterInvalid("Invalid delete row request: unexpected cells in request");
        return;
    }
    if (row.deleteMarker) throw parameterInvalid("Invalid request of put/update row: unexpected RowDeleteMarker in request.");
    if (kind === "UPDATE" && row.cells.length === 0) throw parameterInvalid("Invalid update row request: missing cells in request");
    if (row.cells.length > limits.maxAttributeColumnsPerWrite) {
        throw parameterInvalid(`The number of attribute columns exceeds the limit, limit count:${limits.maxAttributeColumnsPerWrite}, column count: ${row.cells.length}.`);
    }
    const keyNames = new Set(table.info.primaryKey.map((k) => k.name));
    const now = BigInt(ctx.now());
    const deviationMs = BigInt(table.info.deviationSeconds) * 1000n;
    for (const c of row.cells) {
        if (c.name.length === 0) throw parameterInvalid("invalid name of column: empty name.");
        if (!isValidName(c.name, limits)) throw parameterInvalid(`Invalid column name: ${c.name}.`);
        if (keyNames.has(c.name)) throw parameterInvalid(`Duplicated attribute column name with primary key column:${c.name}.`);
        if (kind === "PUT") {
            if (c.op !== "PUT") throw parameterInvalid(`OpType cannot be given for column name:${c.name} in PutRow.`);
            if (!c.value) throw parameterInvalid("Invalid request of put row: find cells without values");
        } else {
            switch (c.op) {
                case "PUT":
                    if (!c.value) throw parameterInvalid(`Invalid cell: ${c.name}. Reason: missing value`);
                    break;
                case "DELETE_ONE_VERSION":
                case "DELETE_ALL":
                    if (c.value) throw parameterInvalid("Column value cannot be given when type is DELETE_ONE_VERSION,DELETE_ALL_VERSION.");
                    if (c.op === "DELETE_ONE_VERSION" && c.timestamp === undefined) throw parameterInvalid("Timestamp must be given when type is DELETE_ONE_VERSION.");
                    if (c.op === "DELETE_ALL" && c.timestamp !== undefined) throw parameterInvalid("Timestamp cannot be given when type is DELETE_ALL_VERSION.");
                    break;
                case "INCREMENT":
                    // Not in the error-code reference: the fixture's own words for an increment it cannot apply.
                    if (c.value?.type !== "INTEGER") throw parameterInvalid(`Invalid cell: ${c.name}. Reason: INCREMENT needs an INTEGER value`);
                    if (c.timestamp !== undefined) throw parameterInvalid(`Invalid cell: ${c.name}. Reason: INCREMENT takes no timestamp`);
                    break;
            }
        }
        const v = c.value;
        if (v?.type === "DOUBLE") {
            if (Number.isNaN(v.value)) throw parameterInvalid("NaN can't be set to double value.");
            if (!Number.isFinite(v.value)) throw parameterInvalid("Infinity can't be set to double value.");
        }
        if (v?.type === "STRING" || v?.type === "BINARY") {
            const length = v.type === "STRING" ? Buffer.byteLength(v.value, "utf8") : v.value.length;
            if (length > limits.maxAttributeValueBytes) {
                throw parameterInvalid(`The length of attribute column: ${c.name} exceeded the MaxLength:${limits.maxAttributeValueBytes} with Current Length:${length}.`);
            }
        }
        if (c.timestamp !== undefined) {
            if (c.timestamp < 0n || c.timestamp >= MAX_TIMESTAMP_EXCLUSIVE) throw parameterInvalid("Timestamp must be in range [0, INT64_MAX/1000).");
            // The deviation window guards versions being written; deleting an old version is allowed.
            if (c.op === "PUT" && (c.timestamp < now - deviationMs || c.timestamp >= now + deviationMs)) {
                throw parameterInvalid(`Invalid timestamp. Cell:${c.name}.`);
            }
        }
    }
}

function prepareWrite(
    ctx: OperationContext, table: Table, kind: WriteKind, rowChange: Uint8Array,
    condition: Condition | undefined, returnContent: ReturnContent | null | undefined,
): PreparedWrite {
    const row = readRow(rowChange);
    const key = checkKey(table, row.primaryKey, "write", ctx.limits);
    const autoIncrement = key.some((v) => v.type === "AUTO_INCREMENT");
    if (kind === "DELETE" && autoIncrement) throw parameterInvalid("Invalid row to delete which with pk auto increment");
    const { expectation, columnCondition } = checkCondition(kind, condition, autoIncrement, ctx.limits);
    checkCells(kind, table, row, ctx);
    const returnTypes: number[] = Object.values(ReturnType);
    if (returnContent && has(returnContent, "returnType") && !returnTypes.includes(returnContent.returnType ?? 0)) {
        throw parameterInvalid(`Invalid return type: ${returnContent.returnType}.`);
    }
    return { kind, table, key, cells: row.cells, expectation, ...(columnCondition ? { columnCondition } : {}), returnContent, dataSize: rowDataSize(row.primaryKey, row.cells) };
}

function checkRowSize(w: PreparedWrite, operation: "PutRow" | "UpdateRow", limits: Limits): void {
    if (w.dataSize > limits.maxRowWriteBytes) {
        throw parameterInvalid(`The total data size of ${operation} request exceeds the limit, limit size: ${limits.maxRowWriteBytes} , data size: ${w.dataSize}.`);
    }
}

/** Keeps the newer version; an equal timestamp overwrites, as a write to the same version does. */
function setVersion(cells: Map<string, StoredCell>, name: string, cell: StoredCell): void {
    const existing = cells.get(name);
    if (!existing || cell.timestamp >= existing.timestamp) cells.set(name, cell);
}

interface WriteResult {
    consumed: ConsumedCapacity;
    row?: Uint8Array;
}

/** Applies a validated write: condition, then the change. Throws OtsError for a row-level failure. */
function applyWrite(w: PreparedWrite, now: number): WriteResult {
    const { table } = w;
    const concrete = concreteKey(w.key.map((v) => (v.type === "AUTO_INCREMENT" ? { type: "INTEGER" as const, value: table.nextAutoIncrement() } : v)));
    const existing = table.get(concrete);
    if (w.expectation === RowExistence.EXPECT_EXIST && !existing) throw conditionCheckFail();
    if (w.expectation === RowExistence.EXPECT_NOT_EXIST && existing) throw conditionCheckFail();
    // The row-existence expectation first, then the column condition (conditional-update docs).
    if (w.columnCondition && !passesCondition(table, existing, w.columnCondition)) throw conditionCheckFail();
    let after: StoredRow | undefined;
    switch (w.kind) {
        case "PUT": {
            const cells = new Map<string, StoredCell>();
            for (const c of w.cells) {
                if (c.value) setVersion(cells, c.name, { value: c.value, timestamp: c.timestamp !== undefined ? Number(c.timestamp) : now });
            }
            after = table.put(concrete, cells);
            break;
        }
        case "UPDATE": {
            const onlyDeletes = w.cells.every((c) => c.op === "DELETE_ALL" || c.op === "DELETE_ONE_VERSION");
            if (!existing && onlyDeletes) break; // a missing row is not created by removing columns
            const cells = new Map(existing?.cells ?? []);
            for (const c of w.cells) {
                switch (c.op) {
                    case "PUT":
                        if (c.value) setVersion(cells, c.name, { value: c.value, timestamp: c.timestamp !== undefined ? Number(c.timestamp) : now });
                        break;
                    case "DELETE_ALL":
                        cells.delete(c.name);
                        break;
                    case "DELETE_ONE_VERSION": {
                        const cur = cells.get(c.name);
                        if (cur && c.timestamp !== undefined && BigInt(cur.timestamp) === c.timestamp) cells.delete(c.name);
                        break;
                    }
                    case "INCREMENT": {
                        const cur = cells.get(c.name);
                        if (cur && cur.value.type !== "INTEGER") throw parameterInvalid(`Invalid cell: ${c.name}. Reason: INCREMENT on a non-INTEGER column`);
                        const base = cur?.value.type === "INTEGER" ? cur.value.value : 0n;
                        const delta = c.value?.type === "INTEGER" ? c.value.value : 0n;
                        const sum = base + delta;
                        if (sum < INT64_MIN || sum > INT64_MAX) throw parameterInvalid(`Invalid cell: ${c.name}. Reason: INCREMENT overflows int64`);
                        cells.set(c.name, { value: { type: "INTEGER", value: sum }, timestamp: now });
                        break;
                    }
                }
            }
            after = table.put(concrete, cells);
            break;
        }
        case "DELETE":
            table.delete(concrete);
            break;
    }
    const result: WriteResult = { consumed: cu(w.expectation === RowExistence.IGNORE && !w.columnCondition ? 0 : 1, units(w.dataSize)) };
    const rt = w.returnContent?.returnType ?? ReturnType.RT_NONE;
    if (rt === ReturnType.RT_PK) {
        result.row = writeRow({ primaryKey: keyCells(table, concrete), cells: [], deleteMarker: false });
    } else if (rt === ReturnType.RT_AFTER_MODIFY) {
        const names = new Set(w.returnContent?.returnColumnNames ?? []);
        const cells = after ? sortedCells(after).filter((c) => names.has(c.name)) : [];
        result.row = writeRow({ primaryKey: keyCells(table, concrete), cells, deleteMarker: false });
    }
    return result;
}

function singleWrite(kind: WriteKind, operation: "PutRow" | "UpdateRow" | "DeleteRow") {
    return (body: Buffer, ctx: OperationContext): Uint8Array => {
        let tableName: string, rowChange: Uint8Array, condition: Condition, returnContent: ReturnContent | null | undefined, transactionId: string | undefined;
        if (operation === "PutRow") {
            const r = decode(messages.PutRowRequest, body);
            ({ tableName, condition, returnContent } = r);
            rowChange = r.row;
            transactionId = has(r, "transactionId") ? r.transactionId : undefined;
        } else if (operation === "UpdateRow") {
            const r = decode(messages.UpdateRowRequest, body);
            ({ tableName, condition, returnContent, rowChange } = r);
            transactionId = has(r, "transactionId") ? r.transactionId : undefined;
        } else {
            const r = decode(messages.DeleteRowRequest, body);
            ({ tableName, condition, returnContent } = r);
            rowChange = r.primaryKey;
            transactionId = has(r, "transactionId") ? r.transactionId : undefined;
        }
        if (transactionId) throw new NotSupportedByFixture("local transactions");
        const table = requireTable(ctx, tableName);
        const w = prepareWrite(ctx, table, kind, rowChange, condition, returnContent);
        if (operation !== "DeleteRow") checkRowSize(w, operation, ctx.limits);
        const result = applyWrite(w, ctx.now());
        return encode(messages[`${operation}Response`], result);
    };
}

// ---------------------------------------------------------------------------------------------
// Reads

interface ReadSpec {
    columns?: Set<string>;
    wantsKeyColumn: boolean;
    timeRange?: { start: bigint; end: bigint } | { specific: bigint };
}

function readSpec(table: Table, opts: ReadOptions, limits: Limits): ReadSpec {
    if (has(opts, "filter") && (opts.filter?.length ?? 0) > 0) throw new NotSupportedByFixture("filters");
    if ((has(opts, "startColumn") && opts.startColumn) || (has(opts, "endColumn") && opts.endColumn)) throw new NotSupportedByFixture("start_column / end_column");
    if (has(opts, "token") && (opts.token?.length ?? 0) > 0) throw new NotSupportedByFixture("row tokens");
    if (has(opts, "transactionId") && opts.transactionId) throw new NotSupportedByFixture("local transactions");
    const hasVersions = has(opts, "maxVersions");
    const tr = has(opts, "timeRange") ? opts.timeRange ?? undefined : undefined;
    if (!hasVersions && !tr) throw parameterInvalid("No version condition is specified while querying row.");
    if (hasVersions && (opts.maxVersions ?? 0) <= 0) throw parameterInvalid(`Invalid max versions: ${opts.maxVersions} . Reason: Max versions must be positive.`);
    const spec: ReadSpec = { wantsKeyColumn: false };
    if (tr) {
        const hasStart = has(tr, "startTime"), hasEnd = has(tr, "endTime"), hasSpecific = has(tr, "specificTime");
        if (hasSpecific && tr.specificTime !== undefined) {
            const t = int64ToBigInt(tr.specificTime);
            if (t < 0n) throw parameterInvalid("Specific timestamp cannot be less than 0..");
            spec.timeRange = { specific: t };
        } else if (hasStart !== hasEnd) {
            throw parameterInvalid("Start and end time must be given at the same time.");
        } else if (hasStart && tr.startTime !== undefined && tr.endTime !== undefined) {
            spec.timeRange = { start: int64ToBigInt(tr.startTime), end: int64ToBigInt(tr.endTime) };
        }
    }
    const columns = opts.columnsToGet ?? [];
    if (columns.length > limits.maxColumnsToGet) {
        throw parameterInvalid(`The number of columns from the request exceeds the limit, limit count: ${limits.maxColumnsToGet} , column count:${columns.length}.`);
    }
    if (columns.length > 0) {
        const keyNames = new Set(table.info.primaryKey.map((k) => k.name));
        spec.columns = new Set(columns);
        spec.wantsKeyColumn = columns.some((c) => keyNames.has(c));
    }
    return spec;
}

/** Names are ASCII (checked on write), where string order is byte order. */
function compareNames(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

function sortedCells(row: StoredRow): AttributeCell[] {
    return [...row.cells]
        .sort(([a], [b]) => compareNames(a, b))
        .map(([name, c]) => ({ name, op: "PUT" as const, value: c.value, timestamp: BigInt(c.timestamp) }));
}

/**
 * The row as a read returns it: attributes sorted by name, each with its timestamp, filtered by
 * columns_to_get and the time range. A row none of whose requested columns exist is not
 * returned, unless a primary-key column was requested.
 */
function project(table: Table, row: StoredRow, spec: ReadSpec): PlainRow | undefined {
    let cells = sortedCells(row);
    if (spec.columns) cells = cells.filter((c) => spec.columns?.has(c.name));
    const tr = spec.timeRange;
    if (tr) {
        cells = cells.filter((c) => {
            const ts = c.timestamp ?? 0n;
            return "specific" in tr ? ts === tr.specific : ts >= tr.start && ts < tr.end;
        });
    }
    if (cells.length === 0 && !spec.wantsKeyColumn) {
        if (spec.columns) return undefined;
        if (tr && row.cells.size > 0) return undefined;
    }
    return { primaryKey: keyCells(table, row.key), cells, deleteMarker: false };
}

function projectedSize(row: PlainRow): number {
    return rowDataSize(row.primaryKey, row.cells);
}

function getRow(body: Buffer, ctx: OperationContext): Uint8Array {
    const req = decode(messages.GetRowRequest, body);
    const table = requireTable(ctx, req.tableName);
    const spec = readSpec(table, req, ctx.limits);
    const parsed = readRow(req.primaryKey);
    if (parsed.cells.length > 0) throw parameterInvalid("Attribute column cannot be given while reading data.");
    const key = concreteKey(checkKey(table, parsed.primaryKey, "read", ctx.limits));
    const stored = table.get(key);
    const row = stored ? project(table, stored, spec) : undefined;
    const bytes = row ? writeRow(row) : Buffer.alloc(0);
    return encode(messages.GetRowResponse, { consumed: cu(units(row ? projectedSize(row) : 0), 0), row: bytes });
}

function batchGetRow(body: Buffer, ctx: OperationContext): Uint8Array {
    const req = decode(messages.BatchGetRowRequest, body);
    const tables = req.tables ?? [];
    const total = tables.reduce((n, t) => n + (t.primaryKey ?? []).length, 0);
    if (total === 0) throw parameterInvalid("No row specified in the request of BatchGetRow.");
    if (total > ctx.limits.maxBatchGetRows) throw parameterInvalid(`Rows count exceeds the upper limit:${ctx.limits.maxBatchGetRows}.`);
    const names = new Set<string>();
    for (const t of tables) {
        if (names.has(t.tableName)) throw parameterInvalid(`Duplicated table name: ${t.tableName}.`);
        names.add(t.tableName);
    }
    ctx.note.rows = total;
    ctx.note.tables = [...names];
    const prepared = tables.map((t) => {
        const table = requireTable(ctx, t.tableName);
        const spec = readSpec(table, t, ctx.limits);
        const ids = new Set<string>();
        const keys = (t.primaryKey ?? []).map((pk) => {
            const parsed = readRow(pk);
            const key = concreteKey(checkKey(table, parsed.primaryKey, "read", ctx.limits));
            const id = keyId(key);
            if (ids.has(id)) throw parameterInvalid("Duplicate rows detected in MultiGet.");
            ids.add(id);
            return key;
        });
        return { table, spec, keys };
    });
    return encode(messages.BatchGetRowResponse, {
        tables: prepared.map(({ table, spec, keys }) => ({
            tableName: table.info.name,
            rows: keys.map((key) => {
                const stored = table.get(key);
                const row = stored ? project(table, stored, spec) : undefined;
                return { isOk: true, consumed: cu(units(row ? projectedSize(row) : 0), 0), row: row ? writeRow(row) : Buffer.alloc(0) };
            }),
        })),
    });
}

function toBound(table: Table, buf: Uint8Array, limits: Limits): Bound {
    const parsed = readRow(buf);
    const values = checkKey(table, parsed.primaryKey, "bound", limits) as BoundValue[];
    return new Bound(values);
}

function getRange(body: Buffer, ctx: OperationContext): Uint8Array {
    const req = decode(messages.GetRangeRequest, body);
    const table = requireTable(ctx, req.tableName);
    const spec = readSpec(table, req, ctx.limits);
    if (has(req, "limit") && (req.limit ?? 0) <= 0) throw parameterInvalid("The limit must be greater than 0.");
    if (req.direction !== Direction.FORWARD && req.direction !== Direction.BACKWARD) throw parameterInvalid(`Invalid direction: ${req.direction}.`);
    const forward = req.direction === Direction.FORWARD;
    const start = toBound(table, req.inclusiveStartPrimaryKey, ctx.limits);
    const end = toBound(table, req.exclusiveEndPrimaryKey, ctx.limits);
    const order = start.compare(end);
    if (forward && order >= 0) throw parameterInvalid("Begin key must less than end key in FORWARD.");
    if (!forward && order <= 0) throw parameterInvalid("Begin key must more than end key in BACKWARD.");

    const maxRows = Math.min(has(req, "limit") ? req.limit ?? Infinity : Infinity, ctx.limits.getRangePageRows);
    const out: PlainRow[] = [];
    let bytes = 0;
    let next: StoredRow | undefined;
    for (const { row, sortKey } of table.scan(start, forward ? "FORWARD" : "BACKWARD")) {
        const c = end.compareKey(sortKey);
        if (forward ? c >= 0 : c <= 0) break; // reached the exclusive end
        const projected = project(table, row, spec);
        if (!projected) continue;
        const size = projectedSize(projected);
        if (out.length >= maxRows || (out.length > 0 && bytes + size > ctx.limits.getRangePageBytes)) {
            next = row;
            break;
        }
        out.push(projected);
        bytes += size;
    }
    return encode(messages.GetRangeResponse, {
        consumed: cu(units(bytes), 0),
        rows: writeRows(out),
        ...(next ? { nextStartPrimaryKey: writeRow({ primaryKey: keyCells(table, next.key), cells: [], deleteMarker: false }) } : {}),
    });
}

// ---------------------------------------------------------------------------------------------
// Batch writes

const KIND_BY_TYPE: Record<number, WriteKind> = { [OperationType.PUT]: "PUT", [OperationType.UPDATE]: "UPDATE", [OperationType.DELETE]: "DELETE" };

interface BatchRowInput {
    type: number;
    rowChange: Uint8Array;
    condition?: Condition;
    returnContent?: ReturnContent | null;
}

/**
 * Validates one table's rows of a batch: each row, then that no key appears twice (the strict,
 * older behaviour; the sink must collapse or split same-key changes).
 */
function prepareBatchRows(ctx: OperationContext, table: Table, rows: readonly BatchRowInput[]): PreparedWrite[] {
    const ids = new Set<string>();
    return rows.map((r) => {
        const kind = KIND_BY_TYPE[r.type];
        if (!kind) throw parameterInvalid("The type of row in batch write operation is invalid.");
        const w = prepareWrite(ctx, table, kind, r.rowChange, r.condition, r.returnContent ?? undefined);
        if (w.key.every(isConcreteKey)) {
            const id = keyId(w.key);
            if (ids.has(id)) throw parameterInvalid("The input parameter is invalid.");
            ids.add(id);
        }
        return w;
    });
}

interface RowOutcome {
    isOk: boolean;
    error?: { code: string; message: string };
    consumed?: ConsumedCapacity;
    row?: Uint8Array;
}

function applyBatchRow(ctx: OperationContext, operation: string, w: PreparedWrite, now: number): RowOutcome {
    const fault = ctx.faults.forRow(operation, w.table.info.name);
    if (fault?.error && !fault.applied) return { isOk: false, error: { code: fault.error.code, message: fault.error.message } };
    try {
        const r = applyWrite(w, now);
        if (fault?.error) return { isOk: false, error: { code: fault.error.code, message: fault.error.message } };
        return { isOk: true, consumed: r.consumed, ...(r.row ? { row: r.row } : {}) };
    } catch (e) {
        if (e instanceof OtsError) return { isOk: false, error: { code: e.code, message: e.message } };
        throw e;
    }
}

function checkBatchSize(operation: string, rows: number, size: number, limits: Limits): void {
    if (rows > limits.maxBatchWriteRows) throw parameterInvalid(`Rows count exceeds the upper limit:${limits.maxBatchWriteRows}.`);
    if (size > limits.maxBatchWriteBytes) {
        throw parameterInvalid(`The total data size of ${operation} request exceeds the limit, limit size: ${limits.maxBatchWriteBytes}, data size:${size}.`);
    }
}

function batchWriteRow(body: Buffer, ctx: OperationContext): Uint8Array {
    const req = decode(messages.BatchWriteRowRequest, body);
    if (has(req, "transactionId") && req.transactionId) throw new NotSupportedByFixture("local transactions");
    const tables = req.tables ?? [];
    if (tables.length === 0) throw parameterInvalid("No row is specified in BatchWriteRow.");
    const names = new Set<string>();
    let total = 0;
    for (const t of tables) {
        if (names.has(t.tableName)) throw parameterInvalid(`Duplicated table name: ${t.tableName}.`);
        names.add(t.tableName);
        if ((t.rows ?? []).length === 0) throw parameterInvalid(`No operation is specified for table:${t.tableName}.`);
        total += t.rows.length;
    }
    ctx.note.rows = total;
    ctx.note.tables = [...names];
    if (total > ctx.limits.maxBatchWriteRows) throw parameterInvalid(`Rows count exceeds the upper limit:${ctx.limits.maxBatchWriteRows}.`);
    const prepared = tables.map((t) => {
        const table = requireTable(ctx, t.tableName);
        return { table, writes: prepareBatchRows(ctx, table, t.rows) };
    });
    const size = prepared.reduce((n, p) => n + p.writes.reduce((m, w) => m + w.dataSize, 0), 0);
    checkBatchSize("BatchWriteRow", total, size, ctx.limits);
    const now = ctx.now();
    const rows: { tableName: string; rows: RowInBatchWriteRowResponse[] }[] = prepared.map((p) => ({
        tableName: p.table.info.name,
        rows: p.writes.map((w) => applyBatchRow(ctx, "BatchWriteRow", w, now)),
    }));
    return encode(messages.BatchWriteRowResponse, { tables: rows });
}

function bulkImport(body: Buffer, ctx: OperationContext): Uint8Array {
    const req = decode(bulkImportMessages.BulkImportRequest, body);
    const table = requireTable(ctx, req.tableName);
    const input = req.rows ?? [];
    ctx.note.rows = input.length;
    ctx.note.tables = [req.tableName];
    if (input.length === 0) throw parameterInvalid("No row is specified in BulkImport.");
    if (input.length > ctx.limits.maxBatchWriteRows) throw parameterInvalid(`Rows count exceeds the upper limit:${ctx.limits.maxBatchWriteRows}.`);
    // No conditions in BulkImport: every row is written as IGNORE.
    const writes = prepareBatchRows(ctx, table, input.map((r) => ({ type: r.type, rowChange: r.rowChange })));
    checkBatchSize("BulkImport", input.length, writes.reduce((m, w) => m + w.dataSize, 0), ctx.limits);
    const now = ctx.now();
    const rows: RowInBulkImportResponse[] = writes.map((w) => {
        const o = applyBatchRow(ctx, "BulkImport", w, now);
        return o.isOk ? { isOk: true, consumed: o.consumed } : { isOk: false, error: o.error };
    });
    return encode(bulkImportMessages.BulkImportResponse, { tableName: req.tableName, rows });
}

// ---------------------------------------------------------------------------------------------

export const OPERATIONS: Readonly<Record<string, OperationHandler>> = {
    CreateTable: createTable,
    DescribeTable: describeTable,
    ListTable: listTable,
    DeleteTable: deleteTable,
    UpdateTable: updateTable,
    PutRow: singleWrite("PUT", "PutRow"),
    UpdateRow: singleWrite("UPDATE", "UpdateRow"),
    DeleteRow: singleWrite("DELETE", "DeleteRow"),
    GetRow: getRow,
    BatchGetRow: batchGetRow,
    GetRange: getRange,
    BatchWriteRow: batchWriteRow,
    BulkImport: bulkImport,
};

/** Operations the service has and this fixture answers with OTSNotSupportedByLocalServer. */
export const KNOWN_UNSUPPORTED: ReadonlySet<string> = new Set([
    "ComputeSplitPointsBySize", "ComputeSplits", "ParallelScan", "BulkExport",
    "CreateIndex", "DropIndex", "CreateSearchIndex", "DeleteSearchIndex", "DescribeSearchIndex", "ListSearchIndex", "UpdateSearchIndex", "Search",
    "StartLocalTransaction", "CommitTransaction", "AbortTransaction",
    "ListStream", "DescribeStream", "GetShardIterator", "GetStreamRecord",
    "SQLQuery", "CreateTimeseriesTable", "ListTimeseriesTable",
]);
