import type { Agent } from "node:http";

/**
 * The part of the official `tablestore` SDK (5.6.x, untyped) this connector uses (table
 * operations and reads: the client writes rows itself, plainbuffer.ts), typed here and
 * nowhere else. Everything that touches the SDK's objects goes through these declarations,
 * so an SDK upgrade is checked against one file.
 *
 * What the SDK does that the declarations below encode (research/tablestore.md §1.5, §2.2):
 * - a JS number is always written as DOUBLE; an INTEGER must be an `Int64LE` object;
 * - `null`/`undefined` values throw: Tablestore has no NULL;
 * - server errors reach the callback as a numeric HTTP status with the protobuf body
 *   stringified into `message`; the body itself is on the callback's `this`;
 * - `maxRetries` is written into a process-wide retry policy on every request.
 */

/** The SDK's 64-bit integer (`int64-buffer`'s Int64LE): INTEGER values as it reads them, and the only INTEGER it writes. */
export interface Int64 {
    /** Exact decimal text (toNumber() is not exact above 2^53). */
    toString(radix?: number): string;
    /** The 8 bytes, little-endian. */
    toBuffer(): Buffer;
    toNumber(): number;
}

/**
 * An INTEGER: a bigint in −2^63 … 2^63−1 (what values.ts makes, and what the connector's own
 * row encoder, plainbuffer.ts, writes), or the SDK's Int64 (what reads return; writes take it too).
 */
export type TsInteger = bigint | Int64;

/**
 * A cell or key value: TsInteger = INTEGER, number = DOUBLE, boolean = BOOLEAN,
 * string = STRING, Buffer = BINARY. A JS number is never an INTEGER.
 */
export type TsValue = TsInteger | number | boolean | string | Buffer;

/** The SDK's range-bound markers (INF_MIN / INF_MAX are identity-compared objects). */
export interface SdkInfinity {
    readonly __sdkInfinity?: never;
}

export type SdkPrimaryKeyValue = Int64 | string | Buffer | SdkInfinity;
/** `[{ name: value }, …]`: one single-key object per column, in key order. */
export type SdkPrimaryKey = Record<string, SdkPrimaryKeyValue>[];
export type SdkAttributeColumns = Record<string, TsValue>[];
/** UpdateRow's `[{ PUT: [{ c: v }] }, { DELETE_ALL: ["c"] }]`. */
export type SdkUpdateColumns = ({ PUT: SdkAttributeColumns } | { DELETE_ALL: string[] })[];

export interface SdkClientConfig {
    endpoint: string;
    instancename: string;
    accessKeyId: string;
    accessKeySecret: string;
    maxRetries: number;
    httpOptions: { timeout: number; maxSockets?: number; agent?: Agent };
}

/** What the SDK's callback gets as `this`: the raw HTTP exchange. */
export interface SdkResponse {
    httpResponse?: {
        statusCode?: number;
        headers?: Record<string, string | string[] | undefined>;
        body?: Buffer;
    };
    retryCount?: number;
}

/** The SDK's error: `code` is the HTTP status (a number) for server errors, a string for its own. */
export interface SdkError extends Error {
    code?: string | number;
    errno?: number;
    syscall?: string;
    hostname?: string;
}

export type SdkCallback<T> = (this: SdkResponse, err: SdkError | null, data: T) => void;

export interface SdkRow {
    primaryKey?: { name: string; value: TsValue }[];
    attributes?: { columnName: string; columnValue: TsValue; timestamp: Int64 | null }[];
}

export interface SdkTableMeta {
    tableName: string;
    primaryKey: { name: string; type: number; option?: number | null }[];
    definedColumn?: { name: string; type: number }[];
}

export interface SdkDescribeTableData {
    tableMeta: SdkTableMeta;
    tableOptions: { timeToLive?: number | null; maxVersions?: number | null };
    tableStatus: number;
    reservedThroughputDetails?: { capacityUnit?: { read?: number | null; write?: number | null } };
}

export interface SdkCreateTableParams {
    tableMeta: {
        tableName: string;
        primaryKey: { name: string; type: "INTEGER" | "STRING" | "BINARY" }[];
        definedColumn?: { name: string; type: number }[];
    };
    reservedThroughput: { capacityUnit: { read: number; write: number } };
    tableOptions: { timeToLive: number; maxVersions: number };
}

export interface SdkGetRangeParams {
    tableName: string;
    direction: "FORWARD" | "BACKWARD";
    inclusiveStartPrimaryKey: SdkPrimaryKey;
    exclusiveEndPrimaryKey: SdkPrimaryKey;
    limit: number;
    maxVersions: number;
    columnsToGet?: string[];
}

export interface SdkClient {
    listTable(params: Record<string, never>, cb: SdkCallback<{ tableNames: string[] }>): unknown;
    createTable(params: SdkCreateTableParams, cb: SdkCallback<unknown>): unknown;
    describeTable(params: { tableName: string }, cb: SdkCallback<SdkDescribeTableData>): unknown;
    deleteTable(params: { tableName: string }, cb: SdkCallback<unknown>): unknown;
    getRow(params: { tableName: string; primaryKey: SdkPrimaryKey; maxVersions: number; columnsToGet?: string[] }, cb: SdkCallback<{ row: SdkRow }>): unknown;
    getRange(params: SdkGetRangeParams, cb: SdkCallback<{ rows: SdkRow[]; nextStartPrimaryKey: { name: string; value: TsValue }[] | null }>): unknown;
}

interface TableStoreModule {
    Client: new (config: SdkClientConfig) => SdkClient;
    RowExistenceExpectation: { IGNORE: number; EXPECT_EXIST: number; EXPECT_NOT_EXIST: number };
    INF_MIN: SdkInfinity;
    INF_MAX: SdkInfinity;
    Long: { fromNumber(n: number): Int64 };
    /** The SDK's row serializer: no longer used for writes (plainbuffer.ts), kept as the tests' reference. */
    PlainBufferBuilder: {
        serializeForPutRow(pk: SdkPrimaryKey, attributes: SdkAttributeColumns): Buffer;
        serializeForUpdateRow(pk: SdkPrimaryKey, updates: SdkUpdateColumns): Buffer;
        serializeForDeleteRow(pk: SdkPrimaryKey): Buffer;
    };
    /** The SDK's request signer: the reference for client.ts signedHeaders. */
    Signer: new (request: { path: string; method: string; headers: Record<string, string> }) => {
        addAuthorization(credentials: { accessKeyId: string; secretAccessKey: string }, date: Date): void;
    };
}

/** A protobuf message type as protobufjs 6 exposes it. */
export interface ProtoType<T> {
    encode(message: T): { finish(): Uint8Array };
    decode(bytes: Uint8Array): T;
}

export const sdk: TableStoreModule = require("tablestore");

/** The SDK's compiled messages (`main.proto`, tablestore_compiled_proto.js), untyped: cast where used. */
export const compiledProtos: Record<string, ProtoType<unknown>> = require("tablestore/lib/protocol/tablestore_compiled_proto.js").main.proto;

/** The SDK's own compiled `main.proto.Error` (code, message), for decoding error bodies. */
export const ErrorMessage = compiledProtos.Error as ProtoType<{ code: string; message?: string | null }>;

type Int64Class = new (source: number | Buffer) => Int64;
/** int64-buffer's Int64LE: the SDK tells INTEGER values by `instanceof` this class. */
const Int64LE = Object.getPrototypeOf(sdk.Long.fromNumber(0)).constructor as Int64Class;

export function isInt64(v: unknown): v is Int64 {
    return v instanceof Int64LE;
}

/**
 * An INTEGER value for a bigint the caller has range-checked. Built from the bytes, not
 * with Long.fromString, which wraps out-of-range text and stops at the first non-digit.
 */
export function int64FromBigInt(n: bigint): Int64 {
    const buf = Buffer.allocUnsafe(8);
    buf.writeBigInt64LE(n);
    return new Int64LE(buf);
}

/** An INTEGER value for a safe integer (|n| ≤ 2^53 − 1); the constructor is exact there. */
export function int64FromSafeInteger(n: number): Int64 {
    if (!Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${n}`);
    return new Int64LE(n);
}

export function int64ToBigInt(v: Int64): bigint {
    return v.toBuffer().readBigInt64LE(0);
}

/** An INTEGER value in either form (TsInteger). */
export function isInteger(v: unknown): v is TsInteger {
    return typeof v === "bigint" || v instanceof Int64LE;
}

/** An INTEGER value as a bigint, whichever form it has. */
export function integerValue(v: TsInteger): bigint {
    return typeof v === "bigint" ? v : int64ToBigInt(v);
}
