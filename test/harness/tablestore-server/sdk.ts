/**
 * The few pieces of the untyped `tablestore` SDK this fixture's tests use, typed narrowly, plus
 * two helpers tests of a Tablestore sink will want too: `callOts` (the callback form, which is
 * the only way to see the service's error code, research §2.2) and `sendBulkImport` (a
 * hand-made BulkImport request, since the Node SDK has none, research §3).
 */
import { request } from "node:http";
import { contentMd5 } from "./auth";
import { bulkImportMessages, decodeErrorMessage, type BulkImportResponse, type ErrorMessage, type OperationTypeValue } from "./protocol";

/** int64-buffer's Int64LE, which the SDK uses for INTEGER values and timestamps. */
export interface SdkLong {
    toString(radix?: number): string;
    toNumber(): number;
    toBuffer(): Buffer;
}

export type SdkKeyValue = SdkLong | string | Buffer | object;
export type SdkValue = SdkLong | string | Buffer | number | boolean;
/** The SDK's key and column lists: one single-entry object per column, in order. */
export type SdkColumns = Record<string, SdkKeyValue>[];

export interface SdkClientConfig {
    accessKeyId: string;
    secretAccessKey: string;
    endpoint: string;
    instancename: string;
    maxRetries?: number;
    httpOptions?: { timeout?: number };
}

/** What `this` is inside an SDK callback: the response, with the raw HTTP body. */
export interface SdkResponse {
    httpResponse: { statusCode: number; body: Buffer; headers: Record<string, string> };
}

export type SdkCallback = (this: SdkResponse, err: SdkError | null, data: unknown) => void;

export interface SdkError extends Error {
    /** The HTTP status (a number): the SDK never parses the OTS code (research §2.2). */
    code: number | string;
}

/** The SDK's TableStore.ColumnCondition (opaque here). */
export interface SdkColumnCondition {
    getType(): number;
}

export type SdkMethod = (params: object, callback: SdkCallback) => unknown;

export interface SdkClient {
    [operation: string]: SdkMethod | unknown;
}

export interface TableStoreSdk {
    Client: new (config: SdkClientConfig) => SdkClient;
    Long: { fromString(s: string): SdkLong; fromNumber(n: number): SdkLong };
    INF_MIN: object;
    INF_MAX: object;
    PK_AUTO_INCR: object;
    Condition: new (rowExistence: number, columnCondition: SdkColumnCondition | null) => object;
    RowExistenceExpectation: { IGNORE: number; EXPECT_EXIST: number; EXPECT_NOT_EXIST: number };
    /** A column condition: (column, value, comparator, passIfMissing = true, latestVersionOnly = true). */
    SingleColumnCondition: new (column: string, value: SdkValue, comparator: number, passIfMissing?: boolean, latestVersionOnly?: boolean) => SdkColumnCondition;
    ComparatorType: { EQUAL: number; NOT_EQUAL: number; GREATER_THAN: number; GREATER_EQUAL: number; LESS_THAN: number; LESS_EQUAL: number };
    /** The SDK's request encoder; `_makeCondition` fills a Condition message's fields (the tests' reference for condition bytes). */
    encoder: { _makeCondition(proto: { rowExistence?: number; columnCondition?: Uint8Array }, condition: object): void };
    ReturnType: { NONE: number; Primarykey: number; AfterModify: number };
    PlainBufferBuilder: {
        serializeForPutRow(pk: SdkColumns, attrs: Record<string, unknown>[]): Buffer;
        serializeForUpdateRow(pk: SdkColumns, updates: Record<string, unknown>[]): Buffer;
        serializeForDeleteRow(pk: SdkColumns): Buffer;
        serializePrimaryKey(pk: SdkColumns): Buffer;
        /** One value as a column condition carries it: type byte and payload. */
        serializeColumnValue(value: SdkValue): Buffer;
    };
    Signer: new (req: { path: string; method: string; headers: Record<string, string> }) => {
        addAuthorization(credentials: { accessKeyId: string; secretAccessKey: string }, date: Date): void;
    };
}

export const TableStore = require("tablestore") as TableStoreSdk;

export interface OtsCallResult<T> {
    data?: T;
    err?: SdkError;
    /** The service's Error{code, message}, decoded from the body of a failed call. */
    ots?: ErrorMessage;
    status: number;
}

/** Calls an SDK operation through its callback form and never rejects: the test inspects the result. */
export function callOts<T = Record<string, unknown>>(client: SdkClient, operation: string, params: object = {}): Promise<OtsCallResult<T>> {
    const method = client[operation];
    if (typeof method !== "function") throw new Error(`the SDK client has no ${operation}`);
    return new Promise((resolve) => {
        (method as SdkMethod).call(client, params, function (this: SdkResponse, err, data) {
            const status = this.httpResponse?.statusCode ?? 0;
            if (!err) return resolve({ data: data as T, status });
            let ots: ErrorMessage | undefined;
            try {
                if (this.httpResponse?.body?.length) ots = decodeErrorMessage(this.httpResponse.body);
            } catch {
                ots = undefined;
            }
            resolve({ err, ots, status });
        });
    });
}

export interface BulkImportRow {
    type: OperationTypeValue;
    /** A PlainBuffer with header, e.g. from TableStore.PlainBufferBuilder.serializeForPutRow. */
    rowChange: Uint8Array;
}

export interface BulkImportTarget {
    endpoint: string;
    instanceName: string;
    accessKeyId: string;
    secretAccessKey: string;
}

/**
 * Sends `POST /BulkImport` as the Java SDK does, built from the Node SDK's pieces: protobufjs
 * message, PlainBuffer rows, the SDK's Signer (research §3).
 */
export function sendBulkImport(target: BulkImportTarget, tableName: string, rows: BulkImportRow[]): Promise<OtsCallResult<BulkImportResponse>> {
    const body = Buffer.from(bulkImportMessages.BulkImportRequest.encode({ tableName, rows }).finish());
    const headers: Record<string, string> = {
        "x-ots-apiversion": "2015-12-31",
        "x-ots-instancename": target.instanceName,
        "x-ots-contentmd5": contentMd5(body),
    };
    new TableStore.Signer({ path: "/BulkImport", method: "POST", headers }).addAuthorization(
        { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
        new Date(),
    );
    const url = new URL("/BulkImport", target.endpoint);
    return new Promise((resolve, reject) => {
        const req = request(url, { method: "POST", headers: { ...headers, "content-length": String(body.length) } }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const buf = Buffer.concat(chunks);
                const status = res.statusCode ?? 0;
                try {
                    if (status === 200) resolve({ data: bulkImportMessages.BulkImportResponse.decode(buf), status });
                    else resolve({ ots: decodeErrorMessage(buf), status });
                } catch (e) {
                    reject(e);
                }
            });
        });
        req.on("error", reject);
        req.end(body);
    });
}
