/**
 * Message codecs. Requests are decoded and responses encoded with the SDK's own compiled protos
 * (tablestore/lib/protocol/tablestore_compiled_proto.js), so the fixture and the SDK cannot
 * disagree on a field number; BulkImport, absent from the Node protos, is defined here from the
 * Java SDK's message definitions (research §3) with the protobufjs the SDK itself depends on.
 *
 * The interfaces below are the decoded shapes this fixture reads (protobufjs camelCases the
 * names). They cover only the fields the fixture uses.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";

const requireHere = createRequire(__filename);
const sdkDir = dirname(requireHere.resolve("tablestore/package.json"));
const requireFromSdk = createRequire(`${sdkDir}/`);

/** protobufjs `int64` fields decode to a Long (or a number when Long is absent). */
export type Int64 = number | { toString(): string };

export function int64ToBigInt(v: Int64): bigint {
    return BigInt(typeof v === "number" ? Math.trunc(v) : v.toString());
}

interface Writer {
    finish(): Uint8Array;
}

export interface MessageCodec<T> {
    decode(buf: Uint8Array): T;
    encode(msg: T): Writer;
}

export interface CapacityUnit { read?: number; write?: number }
export interface ConsumedCapacity { capacityUnit: CapacityUnit }
export interface ErrorMessage { code: string; message?: string }

export interface PrimaryKeySchema { name: string; type: number; option?: number }
export interface DefinedColumnSchema { name: string; type: number }
export interface IndexMeta { name: string }
export interface TableMetaMessage {
    tableName: string;
    primaryKey: PrimaryKeySchema[];
    definedColumn: DefinedColumnSchema[];
    indexMeta?: IndexMeta[];
}
export interface TableOptionsMessage {
    timeToLive?: number;
    maxVersions?: number;
    bloomFilterType?: number;
    blockSize?: number;
    deviationCellVersionInSec?: Int64;
    allowUpdate?: boolean;
}
export interface ReservedThroughput { capacityUnit: CapacityUnit }
export interface StreamSpecification { enableStream: boolean; expirationTime?: number }

export interface CreateTableRequest {
    tableMeta: TableMetaMessage;
    reservedThroughput: ReservedThroughput;
    tableOptions?: TableOptionsMessage | null;
    partitions?: unknown[];
    streamSpec?: StreamSpecification | null;
    indexMetas?: IndexMeta[];
}
export interface TableNameRequest { tableName: string }
export interface UpdateTableRequest {
    tableName: string;
    reservedThroughput?: ReservedThroughput | null;
    tableOptions?: TableOptionsMessage | null;
    streamSpec?: StreamSpecification | null;
}
export interface ReservedThroughputDetails { capacityUnit: CapacityUnit; lastIncreaseTime: Int64; lastDecreaseTime?: Int64 }
export interface DescribeTableResponse {
    tableMeta: TableMetaMessage;
    reservedThroughputDetails: ReservedThroughputDetails;
    tableOptions: TableOptionsMessage;
    tableStatus: number;
    streamDetails?: { enableStream: boolean };
    shardSplits?: Uint8Array[];
    indexMetas?: IndexMeta[];
}
export interface UpdateTableResponse { reservedThroughputDetails: ReservedThroughputDetails; tableOptions: TableOptionsMessage }
export interface ListTableResponse { tableNames: string[] }

export interface TimeRange { startTime?: Int64; endTime?: Int64; specificTime?: Int64 }
export interface Condition { rowExistence: number; columnCondition?: Uint8Array }
export interface ReturnContent { returnType?: number; returnColumnNames?: string[] }

export interface ReadOptions {
    columnsToGet: string[];
    timeRange?: TimeRange | null;
    maxVersions?: number;
    filter?: Uint8Array;
    startColumn?: string;
    endColumn?: string;
    token?: Uint8Array;
    transactionId?: string;
}
export interface GetRowRequest extends ReadOptions { tableName: string; primaryKey: Uint8Array }
export interface GetRowResponse { consumed: ConsumedCapacity; row: Uint8Array }

interface WriteRequestBase { tableName: string; condition: Condition; returnContent?: ReturnContent | null; transactionId?: string }
export interface PutRowRequest extends WriteRequestBase { row: Uint8Array }
export interface UpdateRowRequest extends WriteRequestBase { rowChange: Uint8Array }
export interface DeleteRowRequest extends WriteRequestBase { primaryKey: Uint8Array }
export interface WriteRowResponse { consumed: ConsumedCapacity; row?: Uint8Array }

export interface TableInBatchGetRowRequest extends ReadOptions { tableName: string; primaryKey: Uint8Array[] }
export interface BatchGetRowRequest { tables: TableInBatchGetRowRequest[] }
export interface RowInBatchGetRowResponse { isOk: boolean; error?: ErrorMessage; consumed?: ConsumedCapacity; row?: Uint8Array }
export interface BatchGetRowResponse { tables: { tableName: string; rows: RowInBatchGetRowResponse[] }[] }

/** PUT=1, UPDATE=2, DELETE=3 in BatchWriteRow and BulkImport alike. */
export const OperationType = { PUT: 1, UPDATE: 2, DELETE: 3 } as const;
export type OperationTypeValue = (typeof OperationType)[keyof typeof OperationType];

export interface RowInBatchWriteRowRequest { type: number; rowChange: Uint8Array; condition: Condition; returnContent?: ReturnContent | null }
export interface BatchWriteRowRequest { tables: { tableName: string; rows: RowInBatchWriteRowRequest[] }[]; transactionId?: string }
export interface RowInBatchWriteRowResponse { isOk: boolean; error?: ErrorMessage; consumed?: ConsumedCapacity; row?: Uint8Array }
export interface BatchWriteRowResponse { tables: { tableName: string; rows: RowInBatchWriteRowResponse[] }[] }

export interface GetRangeRequest extends ReadOptions {
    tableName: string;
    direction: number;
    limit?: number;
    inclusiveStartPrimaryKey: Uint8Array;
    exclusiveEndPrimaryKey: Uint8Array;
}
export interface GetRangeResponse { consumed: ConsumedCapacity; rows: Uint8Array; nextStartPrimaryKey?: Uint8Array }

export interface RowInBulkImportRequest { type: number; rowChange: Uint8Array }
export interface BulkImportRequest { tableName: string; rows: RowInBulkImportRequest[] }
export interface RowInBulkImportResponse { isOk: boolean; error?: ErrorMessage; consumed?: ConsumedCapacity }
export interface BulkImportResponse { tableName: string; rows: RowInBulkImportResponse[] }

export const Direction = { FORWARD: 0, BACKWARD: 1 } as const;
export const RowExistence = { IGNORE: 0, EXPECT_EXIST: 1, EXPECT_NOT_EXIST: 2 } as const;
export const ReturnType = { RT_NONE: 0, RT_PK: 1, RT_AFTER_MODIFY: 2 } as const;
export const PrimaryKeyType = { INTEGER: 1, STRING: 2, BINARY: 3 } as const;
export const TableStatus = { ACTIVE: 1 } as const;

interface CompiledProtos {
    main: { proto: Record<string, MessageCodec<unknown>> };
    filter: { proto: Record<string, MessageCodec<unknown>> };
}

const compiled = requireFromSdk("./lib/protocol/tablestore_compiled_proto.js") as CompiledProtos;
const pb = compiled.main.proto;

function codec<T>(name: string): MessageCodec<T> {
    const c = pb[name];
    if (!c) throw new Error(`the SDK's compiled protos have no ${name}`);
    return c as MessageCodec<T>;
}

export const messages = {
    Error: codec<ErrorMessage>("Error"),
    CreateTableRequest: codec<CreateTableRequest>("CreateTableRequest"),
    CreateTableResponse: codec<Record<string, never>>("CreateTableResponse"),
    DescribeTableRequest: codec<TableNameRequest>("DescribeTableRequest"),
    DescribeTableResponse: codec<DescribeTableResponse>("DescribeTableResponse"),
    UpdateTableRequest: codec<UpdateTableRequest>("UpdateTableRequest"),
    UpdateTableResponse: codec<UpdateTableResponse>("UpdateTableResponse"),
    ListTableRequest: codec<Record<string, never>>("ListTableRequest"),
    ListTableResponse: codec<ListTableResponse>("ListTableResponse"),
    DeleteTableRequest: codec<TableNameRequest>("DeleteTableRequest"),
    DeleteTableResponse: codec<Record<string, never>>("DeleteTableResponse"),
    GetRowRequest: codec<GetRowRequest>("GetRowRequest"),
    GetRowResponse: codec<GetRowResponse>("GetRowResponse"),
    PutRowRequest: codec<PutRowRequest>("PutRowRequest"),
    PutRowResponse: codec<WriteRowResponse>("PutRowResponse"),
    UpdateRowRequest: codec<UpdateRowRequest>("UpdateRowRequest"),
    UpdateRowResponse: codec<WriteRowResponse>("UpdateRowResponse"),
    DeleteRowRequest: codec<DeleteRowRequest>("DeleteRowRequest"),
    DeleteRowResponse: codec<WriteRowResponse>("DeleteRowResponse"),
    BatchGetRowRequest: codec<BatchGetRowRequest>("BatchGetRowRequest"),
    BatchGetRowResponse: codec<BatchGetRowResponse>("BatchGetRowResponse"),
    BatchWriteRowRequest: codec<BatchWriteRowRequest>("BatchWriteRowRequest"),
    BatchWriteRowResponse: codec<BatchWriteRowResponse>("BatchWriteRowResponse"),
    GetRangeRequest: codec<GetRangeRequest>("GetRangeRequest"),
    GetRangeResponse: codec<GetRangeResponse>("GetRangeResponse"),
};

// BulkImport, as in the Java SDK's ots_internal_api.proto (research §3). Error, CapacityUnit
// and ConsumedCapacity repeat the shared definitions so this small root stands alone.
const BULK_IMPORT_PROTO = `
syntax = "proto2";
package bulkimport;
message Error { required string code = 1; optional string message = 2; }
message CapacityUnit { optional int32 read = 1; optional int32 write = 2; }
message ConsumedCapacity { required CapacityUnit capacity_unit = 1; }
enum OperationType { PUT = 1; UPDATE = 2; DELETE = 3; }
message RowInBulkImportRequest { required OperationType type = 1; required bytes row_change = 2; }
message BulkImportRequest { required string table_name = 1; repeated RowInBulkImportRequest rows = 2; }
message RowInBulkImportResponse { required bool is_ok = 1; optional Error error = 2; optional ConsumedCapacity consumed = 3; }
message BulkImportResponse { required string table_name = 1; repeated RowInBulkImportResponse rows = 2; }
`;

interface ProtobufType<T> {
    decode(buf: Uint8Array): T;
    encode(msg: T): Writer;
    fromObject(obj: object): T;
    toObject(msg: T, opts?: object): T;
}
interface ProtobufJs {
    parse(source: string, opts?: { keepCase?: boolean }): { root: { lookupType(name: string): ProtobufType<unknown> } };
}

const protobufjs = requireFromSdk("protobufjs") as ProtobufJs;
const bulkRoot = protobufjs.parse(BULK_IMPORT_PROTO).root;

/** Reflection types encode only what fromObject built; wrap so callers pass plain objects. */
function reflected<T>(name: string): MessageCodec<T> {
    const t = bulkRoot.lookupType(`bulkimport.${name}`) as ProtobufType<T>;
    return {
        decode: (buf) => t.decode(buf),
        encode: (msg) => t.encode(t.fromObject(msg as object)),
    };
}

export const bulkImportMessages = {
    BulkImportRequest: reflected<BulkImportRequest>("BulkImportRequest"),
    BulkImportResponse: reflected<BulkImportResponse>("BulkImportResponse"),
};

// Column conditions (tablestore_filter.proto, package filter.proto): Condition.column_condition
// is a serialized Filter, whose `filter` is the serialized message of its type.
export interface FilterMessage { type: number; filter: Uint8Array }
export interface SingleColumnValueFilterMessage {
    comparator: number;
    columnName: string;
    /** One PlainBuffer value: type byte and payload (plainbuffer.readColumnValue). */
    columnValue: Uint8Array;
    filterIfMissing: boolean;
    latestVersionOnly: boolean;
}
export const FilterType = { FT_SINGLE_COLUMN_VALUE: 1, FT_COMPOSITE_COLUMN_VALUE: 2, FT_COLUMN_PAGINATION: 3 } as const;
export const ComparatorType = { CT_EQUAL: 1, CT_NOT_EQUAL: 2, CT_GREATER_THAN: 3, CT_GREATER_EQUAL: 4, CT_LESS_THAN: 5, CT_LESS_EQUAL: 6 } as const;

function filterCodec<T>(name: string): MessageCodec<T> {
    const c = compiled.filter.proto[name];
    if (!c) throw new Error(`the SDK's compiled protos have no filter.proto.${name}`);
    return c as MessageCodec<T>;
}

export const filterMessages = {
    Filter: filterCodec<FilterMessage>("Filter"),
    SingleColumnValueFilter: filterCodec<SingleColumnValueFilterMessage>("SingleColumnValueFilter"),
};

export function encodeErrorMessage(e: ErrorMessage): Buffer {
    return Buffer.from(messages.Error.encode(e).finish());
}

export function decodeErrorMessage(buf: Uint8Array): ErrorMessage {
    return messages.Error.decode(buf);
}

/** Whether a proto2 optional field was present: decode sets only present fields on the message. */
export function has<T extends object>(msg: T, field: keyof T & string): boolean {
    return Object.prototype.hasOwnProperty.call(msg, field);
}
