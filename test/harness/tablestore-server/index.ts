/**
 * A local Tablestore (OTS) server for tests: the official SDK talks to it over real HTTP.
 * Test fixture only, not a product feature; README.md says what it checks and what it does not.
 *
 *     const ots = await startTablestoreServer({ instanceName: "inst", accessKeys: [{ id: "ak", secret: "sk" }] });
 *     const client = new TableStore.Client({ endpoint: ots.endpoint, instancename: ots.instanceName,
 *         accessKeyId: "ak", secretAccessKey: "sk", maxRetries: 0 });
 *     ots.inject({ operations: ["BatchWriteRow"], error: "OTSServerBusy", times: 3 });
 *     …
 *     await ots.close();
 */
import type { AccessKey } from "./auth";
import { FaultInjector, type FaultHandle, type FaultSpec } from "./faults";
import { SERVICE_LIMITS, type Limits } from "./limits";
import type { AttributeValue, KeyValue } from "./plainbuffer";
import { OtsHttpServer, type RequestLogEntry } from "./server";
import { Store, type Durability, type TableInfo } from "./store";

export type { AccessKey } from "./auth";
export type { FaultError, FaultHandle, FaultSpec } from "./faults";
export { OtsError, RETRYABLE_ERRORS, type RetryableErrorCode } from "./errors";
export { SERVICE_LIMITS, rowDataSize, type Limits } from "./limits";
export type { RequestLogEntry } from "./server";
export type { TableInfo, KeyColumnSchema, DefinedColumn, Durability } from "./store";
export * as plainbuffer from "./plainbuffer";
export { bulkImportMessages, decodeErrorMessage, messages, OperationType } from "./protocol";
export { callOts, sendBulkImport, TableStore, type OtsCallResult, type BulkImportRow, type BulkImportTarget } from "./sdk";

export interface TablestoreServerOptions {
    /** Default 0: a free port. */
    port?: number;
    /** Default 127.0.0.1. */
    host?: string;
    instanceName: string;
    accessKeys: AccessKey[];
    /** Keep the data in this JSON file; a server started on the same file finds it again. */
    dataFile?: string;
    /** "every-request" (default): written before each write is acknowledged. "on-close": only by close(). */
    durability?: Durability;
    /** Shorthand for limits.maxTables (the service: 64). */
    maxTables?: number;
    /** Override service limits, e.g. { getRangePageRows: 10 } to page with few rows. */
    limits?: Partial<Limits>;
    /** The server's clock in ms (default Date.now): x-ots-date skew, cell timestamps, deviation checks. */
    clock?: () => number;
    /** Entries kept by requestLog() (default 10,000). */
    requestLogCapacity?: number;
}

/** JS values as a test compares them: INTEGER is bigint, DOUBLE number, BINARY Buffer. */
export type JsKeyValue = bigint | string | Buffer;
export type JsAttributeValue = bigint | number | boolean | string | Buffer;

export interface RowView {
    primaryKey: Record<string, JsKeyValue>;
    /** Attributes by name, in the order reads return them (bytewise by name). */
    attributes: Record<string, JsAttributeValue>;
    /** Each attribute's version timestamp, milliseconds. */
    timestamps: Record<string, number>;
}

function jsValue(v: AttributeValue | KeyValue): JsAttributeValue {
    return v.value;
}

export interface TablestoreServer {
    /** http://127.0.0.1:PORT, the SDK's `endpoint`. */
    readonly endpoint: string;
    readonly port: number;
    readonly instanceName: string;
    inject(fault: FaultSpec): FaultHandle;
    clearFaults(): void;
    /** Requests received per operation name (every request, failed ones included), since start or resetCounts(). */
    requestCounts(): Record<string, number>;
    /** The most recent requests in order, with status, OTS code and batch row counts. */
    requestLog(): RequestLogEntry[];
    resetCounts(): void;
    /** Table names, sorted. */
    tables(): string[];
    describe(table: string): TableInfo | undefined;
    /** The table's rows in key order, read straight from the store (tests compare against them). */
    rows(table: string): RowView[];
    /** Writes the data file now (a no-op without one). */
    flush(): void;
    /** Stops listening, drops connections, writes the data file. */
    close(): Promise<void>;
}

export async function startTablestoreServer(options: TablestoreServerOptions): Promise<TablestoreServer> {
    if (options.accessKeys.length === 0) throw new Error("startTablestoreServer: at least one access key");
    const limits: Limits = { ...SERVICE_LIMITS, ...options.limits };
    if (options.maxTables !== undefined) limits.maxTables = options.maxTables;
    const store = new Store(options.dataFile, options.durability);
    const faults = new FaultInjector();
    const http = new OtsHttpServer({
        instanceName: options.instanceName,
        accessKeys: options.accessKeys,
        store,
        limits,
        faults,
        now: options.clock ?? Date.now,
        logCapacity: options.requestLogCapacity ?? 10_000,
    });
    const host = options.host ?? "127.0.0.1";
    const address = await http.listen(options.port ?? 0, host);
    let closed = false;
    return {
        endpoint: `http://${host}:${address.port}`,
        port: address.port,
        instanceName: options.instanceName,
        inject: (fault) => faults.inject(fault),
        clearFaults: () => faults.clear(),
        requestCounts: () => Object.fromEntries(http.counts),
        requestLog: () => http.log.map((e) => ({ ...e })),
        resetCounts: () => {
            http.counts.clear();
            http.log.length = 0;
        },
        tables: () => [...store.tables.keys()].sort(),
        describe: (name) => {
            const t = store.tables.get(name);
            return t ? structuredClone(t.info) : undefined;
        },
        rows: (name) => {
            const t = store.tables.get(name);
            if (!t) throw new Error(`no table ${name}`);
            const out: RowView[] = [];
            for (const r of t.all()) {
                const view: RowView = { primaryKey: {}, attributes: {}, timestamps: {} };
                t.info.primaryKey.forEach((k, i) => (view.primaryKey[k.name] = r.key[i].value));
                const names = [...r.cells.keys()].sort(); // ASCII names: string order is byte order
                for (const n of names) {
                    const c = r.cells.get(n);
                    if (!c) continue;
                    view.attributes[n] = jsValue(c.value);
                    view.timestamps[n] = c.timestamp;
                }
                out.push(view);
            }
            return out;
        },
        flush: () => store.flush(),
        close: async () => {
            if (closed) return;
            closed = true;
            await http.close();
            store.flush();
        },
    };
}
