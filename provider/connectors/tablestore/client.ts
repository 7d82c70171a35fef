import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { getSystemErrorName } from "node:util";
import { redact } from "../../errors/connection-error";
import {
    decodeErrorBody, decodeSdkErrorMessage, TablestoreClientError, TablestoreConnectionError, TablestoreError,
    type TablestoreErrorContext, type TsPrimaryKey,
} from "./errors";
import {
    isInt64, protobuf, type ProtoType, sdk, type SdkAttributeColumns, type SdkBatchWriteRowItem, type SdkCallback, type SdkClient,
    type SdkCondition, type SdkDescribeTableData, type SdkError, type SdkPrimaryKey, type SdkPrimaryKeyValue, type SdkResponse,
    type SdkRow, type SdkUpdateColumns, type TsValue,
} from "./sdk";
import { tablestoreNameProblem, type TablestoreColumnType, type TablestorePrimaryKeyType } from "./type-map";

export type { TsValue } from "./sdk";

/**
 * A typed client for the Tablestore operations the connector uses, over the official SDK
 * (and, for BulkImport, which the Node SDK lacks, over the SDK's own row encoder and signer).
 *
 * It makes one attempt per call: the SDK's retries are off (maxRetries 0, see below) and
 * retrying is the sink's policy, by tablestoreErrorClass. Every failure is typed
 * (errors.ts): the service's code and message decoded from its protobuf body, which the
 * SDK would otherwise reduce to an HTTP status number.
 */

export interface TablestoreConnection {
    /** http(s)://host[:port]; a path is ignored, as by the SDK. */
    endpoint: string;
    instanceName: string;
    accessKeyId: string;
    accessKeySecret: string;
}

export interface TablestoreClientOptions {
    /** Socket inactivity after which a request fails with ETIMEDOUT (default 30 s). */
    timeoutMs?: number;
    /** Concurrent connections to the endpoint (default 64). */
    maxSockets?: number;
}

export type RowCondition = "ignore" | "expect-exist" | "expect-not-exist";

/**
 * One row change. `put` holds the attribute values to write (PutRow: the whole row; UpdateRow:
 * the columns set); `deleteAll` the columns an UpdateRow removes (a column set to NULL).
 * Values are Tablestore values as values.ts makes them; a NULL is simply not listed.
 */
export interface RowWrite {
    table: string;
    kind: "put" | "update" | "delete";
    primaryKey: [string, TsValue][];
    put?: [string, TsValue][];
    deleteAll?: string[];
    condition: RowCondition;
}

/** A row's outcome in a batch, in the order of the rows given. */
export type RowResult = { ok: true } | { ok: false; error: TablestoreError };

export interface TablestoreRow {
    primaryKey: [string, TsValue][];
    attributes: [string, TsValue][];
}

/** Range-bound markers for getRange: below and above every value of a key column. */
export const INF_MIN: unique symbol = Symbol("INF_MIN");
export const INF_MAX: unique symbol = Symbol("INF_MAX");
export type RangeBound = [string, TsValue | typeof INF_MIN | typeof INF_MAX][];

export interface TablestoreTableDef {
    name: string;
    /** 1 to 4 columns; the first is the partition key. */
    primaryKey: { name: string; type: TablestorePrimaryKeyType }[];
    /** Predefined attribute columns (at most 32); only needed for secondary indexes. */
    definedColumns?: { name: string; type: TablestoreColumnType }[];
}

export type TablestoreTableStatus = "ACTIVE" | "INACTIVE" | "LOADING" | "UNLOADING" | "UPDATING" | "UNKNOWN";

export interface TablestoreTableDescription {
    name: string;
    primaryKey: { name: string; type: TablestorePrimaryKeyType; autoIncrement: boolean }[];
    definedColumns: { name: string; type: TablestoreColumnType }[];
    /** Seconds; -1 = data never expires. */
    timeToLive: number;
    maxVersions: number;
    status: TablestoreTableStatus;
    reservedThroughput: { read: number; write: number };
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_SOCKETS = 64;

const pkTypes: Record<number, TablestorePrimaryKeyType> = { 1: "INTEGER", 2: "STRING", 3: "BINARY" };
/** DefinedColumnType numbers (tablestore.proto); the SDK's enum lacks DCT_BLOB = 7. */
const definedTypes: Record<number, TablestoreColumnType> = { 1: "INTEGER", 2: "DOUBLE", 3: "BOOLEAN", 4: "STRING", 7: "BINARY" };
const definedTypeNumber: Record<TablestoreColumnType, number> = { INTEGER: 1, DOUBLE: 2, BOOLEAN: 3, STRING: 4, BINARY: 7 };
const statuses: Record<number, TablestoreTableStatus> = { 1: "ACTIVE", 2: "INACTIVE", 3: "LOADING", 4: "UNLOADING", 5: "UPDATING" };
const conditions: Record<RowCondition, number> = {
    "ignore": sdk.RowExistenceExpectation.IGNORE,
    "expect-exist": sdk.RowExistenceExpectation.EXPECT_EXIST,
    "expect-not-exist": sdk.RowExistenceExpectation.EXPECT_NOT_EXIST,
};

export class TablestoreClient {
    private readonly sdkClient: SdkClient;
    private readonly url: URL;
    /** The endpoint as messages show it: scheme, host and port only. */
    readonly endpoint: string;
    private readonly agent: http.Agent;
    private readonly timeoutMs: number;
    /** Names already checked by tablestoreNameProblem, by role. */
    private readonly goodNames = new Set<string>();

    constructor(private readonly conn: TablestoreConnection, opts: TablestoreClientOptions = {}) {
        const url = URL.canParse(conn.endpoint) ? new URL(conn.endpoint) : undefined;
        if (url?.protocol !== "http:" && url?.protocol !== "https:") {
            throw new TablestoreClientError(`the endpoint must be an http:// or https:// URL, got "${conn.endpoint}"`, { operation: "Connect" });
        }
        this.url = url;
        this.endpoint = this.url.origin;
        this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? DEFAULT_MAX_SOCKETS };
        // Our own agent: the SDK would otherwise use (and resize, on every request) the global one.
        this.agent = this.url.protocol === "https:" ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
        this.sdkClient = new sdk.Client({
            endpoint: this.endpoint,
            instancename: conn.instanceName,
            accessKeyId: conn.accessKeyId,
            accessKeySecret: conn.accessKeySecret,
            // The SDK writes maxRetries into a process-wide policy on every request, so one
            // client's setting becomes every client's; and it would retry reads up to 20
            // times on its own, behind the sink's retry windows. Zero everywhere: one attempt.
            maxRetries: 0,
            // Without a timeout the SDK waits forever (its default is 0, none). It also sets
            // http.globalAgent.maxSockets on every request, to 300 unless given a value:
            // Infinity is Node's own default, so the global agent stays as Node made it.
            httpOptions: { timeout: this.timeoutMs, agent: this.agent, maxSockets: Infinity },
        });
    }

    /** Closes idle connections; the client is not used afterwards. */
    close(): void {
        this.agent.destroy();
    }

    // ---------------------------------------------------------------------------------
    // Tables

    async listTables(): Promise<string[]> {
        const { data } = await this.call<{ tableNames: string[] }>({ operation: "ListTable" }, (cb) => this.sdkClient.listTable({}, cb));
        return [...(data.tableNames ?? [])];
    }

    async describeTable(name: string): Promise<TablestoreTableDescription> {
        const ctx = { operation: "DescribeTable", table: name };
        const { data } = await this.call(ctx, (cb: SdkCallback<SdkDescribeTableData>) => this.sdkClient.describeTable({ tableName: name }, cb));
        const meta = data.tableMeta;
        const cu = data.reservedThroughputDetails?.capacityUnit;
        return {
            name: meta.tableName,
            primaryKey: meta.primaryKey.map((pk) => ({
                name: pk.name,
                type: pkTypes[pk.type] ?? this.unexpected(ctx, `primary-key type ${pk.type}`),
                // An absent proto2 enum reads as its first value, AUTO_INCREMENT: only a present one counts.
                autoIncrement: Object.prototype.hasOwnProperty.call(pk, "option") && pk.option === 1,
            })),
            definedColumns: (meta.definedColumn ?? []).map((c) => ({
                name: c.name,
                type: definedTypes[c.type] ?? this.unexpected(ctx, `defined column type ${c.type}`),
            })),
            timeToLive: data.tableOptions.timeToLive ?? -1,
            maxVersions: data.tableOptions.maxVersions ?? 1,
            status: statuses[data.tableStatus] ?? "UNKNOWN",
            reservedThroughput: { read: cu?.read ?? 0, write: cu?.write ?? 0 },
        };
    }

    /**
     * Creates a table that keeps one version forever (TTL -1, max versions 1), with no
     * reserved throughput (pay per use). The service takes about a minute before the table
     * takes reads and writes (OTSTableNotReady meanwhile).
     */
    async createTable(def: TablestoreTableDef): Promise<void> {
        const ctx = { operation: "CreateTable", table: def.name };
        this.checkName(ctx, def.name, "table");
        for (const c of def.primaryKey) this.checkName(ctx, c.name, "primary-key");
        for (const c of def.definedColumns ?? []) this.checkName(ctx, c.name, "attribute");
        await this.call(ctx, (cb) => this.sdkClient.createTable({
            tableMeta: {
                tableName: def.name,
                primaryKey: def.primaryKey.map((c) => ({ name: c.name, type: c.type })),
                ...(def.definedColumns?.length ? { definedColumn: def.definedColumns.map((c) => ({ name: c.name, type: definedTypeNumber[c.type] })) } : {}),
            },
            reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
            tableOptions: { timeToLive: -1, maxVersions: 1 },
        }, cb));
    }

    async deleteTable(name: string): Promise<void> {
        await this.call({ operation: "DeleteTable", table: name }, (cb) => this.sdkClient.deleteTable({ tableName: name }, cb));
    }

    // ---------------------------------------------------------------------------------
    // Reads

    /** A row by its whole primary key, or undefined when there is none. */
    async getRow(table: string, primaryKey: [string, TsValue][], columns?: string[]): Promise<TablestoreRow | undefined> {
        const ctx: TablestoreErrorContext = { operation: "GetRow", table, primaryKey };
        const pk = this.sdkPrimaryKey(ctx, primaryKey);
        const { data } = await this.call(ctx, (cb: SdkCallback<{ row: SdkRow }>) => this.sdkClient.getRow({
            tableName: table, primaryKey: pk, maxVersions: 1, ...(columns ? { columnsToGet: columns } : {}),
        }, cb));
        return data.row?.primaryKey?.length ? fromSdkRow(data.row) : undefined;
    }

    /**
     * The rows from `start` (inclusive) to `end` (exclusive) in key order, page by page:
     * `limit` rows per request at most (the service also stops a page at 4 MB or 5000 rows),
     * following next_start_primary_key until the range is done. Empty pages are skipped.
     */
    async *getRange(table: string, start: RangeBound, end: RangeBound, limit: number, columns?: string[]): AsyncGenerator<TablestoreRow[]> {
        const ctx: TablestoreErrorContext = { operation: "GetRange", table };
        const exclusiveEnd = this.sdkBound(ctx, end);
        let next: SdkPrimaryKey | null = this.sdkBound(ctx, start);
        while (next !== null) {
            const from: SdkPrimaryKey = next;
            const { data } = await this.call(ctx, (cb: SdkCallback<{ rows: SdkRow[]; nextStartPrimaryKey: { name: string; value: TsValue }[] | null }>) =>
                this.sdkClient.getRange({
                    tableName: table, direction: "FORWARD", inclusiveStartPrimaryKey: from, exclusiveEndPrimaryKey: exclusiveEnd,
                    limit, maxVersions: 1, ...(columns ? { columnsToGet: columns } : {}),
                }, cb));
            const rows = (data.rows ?? []).map(fromSdkRow);
            if (rows.length > 0) yield rows;
            next = data.nextStartPrimaryKey?.length ? data.nextStartPrimaryKey.map(({ name, value }) => ({ [name]: value as SdkPrimaryKeyValue })) : null;
        }
    }

    // ---------------------------------------------------------------------------------
    // Writes

    async putRow(row: RowWrite): Promise<void> {
        await this.writeOne("PutRow", row, "put");
    }

    async updateRow(row: RowWrite): Promise<void> {
        await this.writeOne("UpdateRow", row, "update");
    }

    async deleteRow(row: RowWrite): Promise<void> {
        await this.writeOne("DeleteRow", row, "delete");
    }

    private async writeOne(operation: string, row: RowWrite, kind: RowWrite["kind"]): Promise<void> {
        const ctx: TablestoreErrorContext = { operation, table: row.table, primaryKey: row.primaryKey };
        if (row.kind !== kind) throw new TablestoreClientError(`${operation} takes a "${kind}" row, got "${row.kind}"`, ctx);
        const change = this.sdkChange(ctx, row);
        const base = { tableName: row.table, primaryKey: change.primaryKey, condition: change.condition };
        await this.call(ctx, (cb) => {
            if (kind === "put") return this.sdkClient.putRow({ ...base, attributeColumns: change.put }, cb);
            if (kind === "update") return this.sdkClient.updateRow({ ...base, updateOfAttributeColumns: change.update }, cb);
            return this.sdkClient.deleteRow(base, cb);
        });
    }

    /**
     * One BatchWriteRow request (≤ 200 rows, ≤ 4 MB, no row twice: batches.ts). The service
     * answers per row; a failed row is a TablestoreError naming its table and key. Throws
     * for a failure of the whole request.
     */
    async batchWriteRow(rows: RowWrite[]): Promise<RowResult[]> {
        const tables = new Map<string, number[]>();
        rows.forEach((r, i) => {
            const at = tables.get(r.table);
            if (at) at.push(i);
            else tables.set(r.table, [i]);
        });
        const ctx: TablestoreErrorContext = requestContext("BatchWriteRow", rows);
        if (rows.length === 0) return [];
        const params = {
            tables: [...tables].map(([tableName, indexes]) => ({
                tableName,
                rows: indexes.map((i) => {
                    const row = rows[i];
                    const c = this.sdkChange({ operation: "BatchWriteRow", table: row.table, primaryKey: row.primaryKey }, row);
                    return {
                        type: row.kind === "put" ? "PUT" as const : row.kind === "update" ? "UPDATE" as const : "DELETE" as const,
                        primaryKey: c.primaryKey,
                        condition: c.condition,
                        ...(row.kind === "put" ? { attributeColumns: c.put } : row.kind === "update" ? { attributeColumns: c.update } : {}),
                    };
                }),
            })),
        };
        const { data, requestId } = await this.call(ctx, (cb: SdkCallback<{ tables: SdkBatchWriteRowItem[] }>) => this.sdkClient.batchWriteRow(params, cb));
        // The SDK flattens the answer, table after table, each in request order.
        const results: (RowResult | undefined)[] = new Array(rows.length);
        const next = new Map<string, number>();
        for (const item of data.tables ?? []) {
            const indexes = tables.get(item.tableName);
            const k = next.get(item.tableName) ?? 0;
            if (!indexes || k >= indexes.length) this.unexpected(ctx, `a result for a row of table "${item.tableName}" that was not sent`);
            next.set(item.tableName, k + 1);
            const i = indexes[k];
            results[i] = item.isOk ? { ok: true } : {
                ok: false,
                error: new TablestoreError(item.errorCode ?? "UnknownError", this.clean(item.errorMessage ?? ""),
                    { operation: "BatchWriteRow", table: rows[i].table, primaryKey: rows[i].primaryKey }, undefined, requestId),
            };
        }
        return completeResults(results, ctx, (c, what) => this.unexpected(c, what));
    }

    /**
     * One BulkImport request: rows of one table, no conditions (the service ignores row
     * existence here: every row is written as IGNORE), cheaper in capacity units than
     * BatchWriteRow. Per-row results as for batchWriteRow.
     */
    async bulkImport(table: string, rows: RowWrite[]): Promise<RowResult[]> {
        const ctx: TablestoreErrorContext = requestContext("BulkImport", rows, table);
        const other = rows.find((r) => r.table !== table);
        if (other) throw new TablestoreClientError(`BulkImport writes one table; a row is for "${other.table}"`, ctx);
        if (rows.length === 0) return [];
        const request = bulkProto.request.fromObject({
            tableName: table,
            rows: rows.map((row) => {
                const rowCtx = { operation: "BulkImport", table, primaryKey: row.primaryKey };
                const c = this.sdkChange(rowCtx, row);
                const b = sdk.PlainBufferBuilder;
                let rowChange: Buffer;
                try {
                    // The PlainBuffer PutRow/UpdateRow/DeleteRow carry, header included (research §3).
                    rowChange = row.kind === "put" ? b.serializeForPutRow(c.primaryKey, c.put)
                        : row.kind === "update" ? b.serializeForUpdateRow(c.primaryKey, c.update)
                            : b.serializeForDeleteRow(c.primaryKey);
                } catch (err) {
                    throw new TablestoreClientError(this.clean((err as Error).message), rowCtx);
                }
                return { type: row.kind === "put" ? 1 : row.kind === "update" ? 2 : 3, rowChange };
            }),
        });
        const body = Buffer.from(bulkProto.request.encode(request).finish());
        const answer = await this.post("BulkImport", body, ctx);
        let response: BulkImportResponse;
        try {
            response = bulkProto.response.decode(answer.body);
        } catch (err) {
            return this.unexpected(ctx, `an unreadable BulkImport answer (${(err as Error).message})`);
        }
        if (response.rows.length !== rows.length) this.unexpected(ctx, `${response.rows.length} results for ${rows.length} rows`);
        return response.rows.map((r, i): RowResult => (r.isOk ? { ok: true } : {
            ok: false,
            error: new TablestoreError(r.error?.code ?? "UnknownError", this.clean(r.error?.message ?? ""),
                { operation: "BulkImport", table, primaryKey: rows[i].primaryKey }, undefined, answer.requestId),
        }));
    }

    // ---------------------------------------------------------------------------------
    // Requests

    /**
     * Runs one SDK call with its callback API, where `this` is the SDK's response: the only
     * place the service's error body is still at hand (research §2.2).
     */
    private call<T>(ctx: TablestoreErrorContext, invoke: (cb: SdkCallback<T>) => unknown): Promise<{ data: T; requestId: string | undefined }> {
        const client = this;
        return new Promise((resolve, reject) => {
            let settled = false;
            const cb: SdkCallback<T> = function (this: SdkResponse, err, data) {
                if (settled) return;
                settled = true;
                if (err) reject(client.failure(err, this, ctx));
                else resolve({ data, requestId: requestIdOf(this?.httpResponse?.headers) });
            };
            try {
                invoke(cb);
            } catch (err) {
                // The SDK's encoders throw synchronously for values it cannot write.
                if (!settled) {
                    settled = true;
                    reject(new TablestoreClientError(this.clean((err as Error).message), ctx));
                }
            }
        });
    }

    /** The typed error for what the SDK reported. */
    private failure(err: SdkError, resp: SdkResponse | undefined, ctx: TablestoreErrorContext): Error {
        const status = resp?.httpResponse?.statusCode;
        const requestId = requestIdOf(resp?.httpResponse?.headers);
        if (typeof status === "number" && status >= 300) {
            return this.serviceError(status, resp?.httpResponse?.body, requestId, ctx, err.message);
        }
        const network = this.networkFailure(err, ctx);
        if (network) return network;
        // Status 2xx: the SDK could not read the answer; no status: it would not send the request.
        const what = typeof status === "number" ? `could not read the service's answer (HTTP ${status}): ` : "";
        return new TablestoreClientError(this.clean(what + (err.message ?? String(err))), ctx);
    }

    private serviceError(status: number, body: Buffer | undefined, requestId: string | undefined, ctx: TablestoreErrorContext, sdkMessage?: string): TablestoreError {
        const fromBody = decodeErrorBody(body);
        // The SDK's mangled message, should the body be gone.
        const fromMessage = fromBody === undefined && sdkMessage ? decodeSdkErrorMessage(sdkMessage) : undefined;
        const decoded = fromBody ?? fromMessage;
        if (decoded) return new TablestoreError(decoded.code, this.clean(decoded.message), ctx, status, requestId ?? fromMessage?.requestId);
        // Not the service's protobuf (a proxy's page, an empty body): the status is all there is.
        const text = body && body.length > 0 ? body.subarray(0, 200).toString("utf8").replace(/\s+/g, " ").trim() : http.STATUS_CODES[status] ?? "";
        return new TablestoreError(`HTTP ${status}`, this.clean(text), ctx, status, requestId);
    }

    private networkFailure(err: SdkError | NodeJS.ErrnoException, ctx: TablestoreErrorContext): TablestoreConnectionError | undefined {
        const message = err.message ?? "";
        // The SDK raises "TimeoutError", then relabels it "NetworkingError" like any other.
        if (err.code === "TimeoutError" || /^Connection timed out after/.test(message)) {
            return new TablestoreConnectionError("ETIMEDOUT", this.endpoint, `no answer within ${this.timeoutMs} ms`, ctx);
        }
        const e = err as SdkError;
        const systemCode = typeof err.code === "string" && /^E[A-Z_]+$/.test(err.code) ? err.code : undefined;
        if (err.code !== "NetworkingError" && systemCode === undefined && e.errno === undefined && e.syscall === undefined) return undefined;
        // The SDK replaces the system code with "NetworkingError"; the message keeps it
        // ("connect ECONNREFUSED 127.0.0.1:1", "getaddrinfo ENOTFOUND host"), except for a
        // reset while waiting for the answer, "socket hang up".
        const code = systemCode
            ?? /\b(E[A-Z][A-Z_]{2,})\b/.exec(message)?.[1]
            ?? (typeof e.errno === "number" ? safeErrorName(e.errno) : undefined)
            ?? "ECONNRESET";
        return new TablestoreConnectionError(code, this.endpoint, this.clean(message), ctx);
    }

    /** POST of a body the SDK cannot build (BulkImport), signed as the SDK signs. */
    private post(operation: string, body: Buffer, ctx: TablestoreErrorContext): Promise<{ body: Buffer; requestId: string | undefined }> {
        const path = `/${operation}`;
        const headers: Record<string, string> = {
            "x-ots-apiversion": "2015-12-31",
            "x-ots-instancename": this.conn.instanceName,
            "x-ots-contentmd5": createHash("md5").update(body).digest("base64"),
        };
        new sdk.Signer({ path, method: "POST", headers })
            .addAuthorization({ accessKeyId: this.conn.accessKeyId, secretAccessKey: this.conn.accessKeySecret }, new Date());
        const transport = this.url.protocol === "https:" ? https : http;
        return new Promise((resolve, reject) => {
            const req = transport.request({
                protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port || undefined,
                method: "POST", path, agent: this.agent,
                headers: { ...headers, "content-length": String(body.length) },
            }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("error", (err) => reject(this.networkFailure(err, ctx) ?? new TablestoreClientError(this.clean(err.message), ctx)));
                res.on("end", () => {
                    const answer = Buffer.concat(chunks);
                    const requestId = requestIdOf(res.headers);
                    const status = res.statusCode ?? 0;
                    if (status >= 300 || status < 200) reject(this.serviceError(status, answer, requestId, ctx));
                    else resolve({ body: answer, requestId });
                });
            });
            req.setTimeout(this.timeoutMs, () => {
                reject(new TablestoreConnectionError("ETIMEDOUT", this.endpoint, `no answer within ${this.timeoutMs} ms`, ctx));
                req.destroy();
            });
            req.on("error", (err) => reject(this.networkFailure(err, ctx) ?? new TablestoreClientError(this.clean(err.message), ctx)));
            req.end(body);
        });
    }

    // ---------------------------------------------------------------------------------
    // Rows in the SDK's shapes

    private sdkChange(ctx: TablestoreErrorContext, row: RowWrite): {
        primaryKey: SdkPrimaryKey; put: SdkAttributeColumns; update: SdkUpdateColumns; condition: SdkCondition;
    } {
        this.checkName(ctx, row.table, "table");
        if (row.kind !== "update" && row.deleteAll?.length) {
            throw new TablestoreClientError(`a ${row.kind} row cannot delete columns (deleteAll is for updates)`, ctx);
        }
        if (row.kind === "delete" && row.put?.length) throw new TablestoreClientError("a delete row cannot write columns", ctx);
        const put: SdkAttributeColumns = [];
        for (const [name, value] of row.put ?? []) {
            this.checkName(ctx, name, "attribute");
            if (!isWritable(value)) throw new TablestoreClientError(`column "${name}" has no Tablestore value (${describe(value)})`, ctx);
            // A computed key makes an own property even for "__proto__".
            put.push({ [name]: value });
        }
        const deletes = row.deleteAll ?? [];
        for (const name of deletes) this.checkName(ctx, name, "attribute");
        const update: SdkUpdateColumns = [];
        if (put.length > 0) update.push({ PUT: put });
        if (deletes.length > 0) update.push({ DELETE_ALL: [...deletes] });
        return {
            primaryKey: this.sdkPrimaryKey(ctx, row.primaryKey),
            put, update,
            condition: new sdk.Condition(conditions[row.condition], null),
        };
    }

    private sdkPrimaryKey(ctx: TablestoreErrorContext, pk: readonly (readonly [string, TsValue])[]): SdkPrimaryKey {
        if (pk.length === 0) throw new TablestoreClientError("a primary key needs at least one column", ctx);
        return pk.map(([name, value]) => {
            this.checkName(ctx, name, "primary-key");
            // The SDK throws for a number key and would write a boolean nowhere.
            if (!(isInt64(value) || typeof value === "string" || Buffer.isBuffer(value))) {
                throw new TablestoreClientError(`primary-key column "${name}" must be INTEGER, STRING or BINARY, got ${describe(value)}`, ctx);
            }
            return { [name]: value };
        });
    }

    private sdkBound(ctx: TablestoreErrorContext, bound: RangeBound): SdkPrimaryKey {
        if (bound.length === 0) throw new TablestoreClientError("a range bound needs every primary-key column", ctx);
        return bound.map(([name, v]) => {
            this.checkName(ctx, name, "primary-key");
            if (v === INF_MIN) return { [name]: sdk.INF_MIN };
            if (v === INF_MAX) return { [name]: sdk.INF_MAX };
            return this.sdkPrimaryKey(ctx, [[name, v]])[0];
        });
    }

    /**
     * Names the SDK would encode wrongly are refused before it runs: it writes a name's
     * length in UTF-16 units (non-ASCII names corrupt the row), and takes an attribute
     * named "timestamp" for the cell version (tablestoreNameProblem).
     */
    private checkName(ctx: TablestoreErrorContext, name: string, role: "table" | "primary-key" | "attribute"): void {
        const key = `${role}\u0000${name}`;
        if (this.goodNames.has(key)) return;
        const problem = tablestoreNameProblem(name, role);
        if (problem) throw new TablestoreClientError(`invalid ${role === "table" ? "table" : "column"} name: ${problem}`, ctx);
        if (this.goodNames.size < 100_000) this.goodNames.add(key);
    }

    private unexpected(ctx: TablestoreErrorContext, what: string): never {
        throw new TablestoreClientError(`unexpected answer from the service: ${what}`, ctx);
    }

    /** Messages never carry the secret, whatever echoes it. */
    private clean(text: string): string {
        return redact(text, [this.conn.accessKeySecret]);
    }
}

function requestContext(operation: string, rows: RowWrite[], table?: string): TablestoreErrorContext {
    const tables = new Set(rows.map((r) => r.table));
    const only = table ?? (tables.size === 1 ? rows[0].table : undefined);
    // A request of one row concerns that row: its failure is the row's (isRowLevelDataError).
    return { operation, ...(only !== undefined ? { table: only } : {}), ...(rows.length === 1 ? { primaryKey: rows[0].primaryKey } : {}) };
}

function completeResults(results: (RowResult | undefined)[], ctx: TablestoreErrorContext, unexpected: (c: TablestoreErrorContext, what: string) => never): RowResult[] {
    for (let i = 0; i < results.length; i++) {
        if (results[i] === undefined) unexpected(ctx, `no result for row ${i + 1} of ${results.length}`);
    }
    return results as RowResult[];
}

function requestIdOf(headers: Record<string, string | string[] | undefined> | http.IncomingHttpHeaders | undefined): string | undefined {
    const v = headers?.["x-ots-requestid"] ?? headers?.["x-ots-request-id"];
    return Array.isArray(v) ? v[0] : v || undefined;
}

function safeErrorName(errno: number): string | undefined {
    try {
        return getSystemErrorName(errno);
    } catch {
        return undefined;
    }
}

function isWritable(v: unknown): v is TsValue {
    if (typeof v === "number") return Number.isFinite(v);
    return typeof v === "string" || typeof v === "boolean" || Buffer.isBuffer(v) || isInt64(v);
}

function describe(v: unknown): string {
    if (v === null || v === undefined) return "no value: NULL is an absent column";
    if (typeof v === "number") return Number.isFinite(v) ? "a DOUBLE" : `${v}, which a DOUBLE cannot hold`;
    if (typeof v === "boolean") return "a BOOLEAN";
    return typeof v === "object" && !Buffer.isBuffer(v) && !isInt64(v) ? "an object" : typeof v;
}

function fromSdkRow(row: SdkRow): TablestoreRow {
    return {
        primaryKey: (row.primaryKey ?? []).map(({ name, value }) => [name, value]),
        attributes: (row.attributes ?? []).map(({ columnName, columnValue }) => [columnName, columnValue]),
    };
}

// ---------------------------------------------------------------------------------------
// BulkImport messages (Java SDK ots_internal_api.proto; not in the Node SDK's protos)

interface BulkImportResponse {
    tableName: string;
    rows: { isOk: boolean; error?: { code: string; message?: string } | null }[];
}

const bulkRoot = protobuf.Root.fromJSON({
    nested: {
        bulk: {
            nested: {
                OperationType: { values: { PUT: 1, UPDATE: 2, DELETE: 3 } },
                CapacityUnit: { fields: { read: { type: "int32", id: 1 }, write: { type: "int32", id: 2 } } },
                ConsumedCapacity: { fields: { capacityUnit: { rule: "required", type: "CapacityUnit", id: 1 } } },
                Error: { fields: { code: { rule: "required", type: "string", id: 1 }, message: { type: "string", id: 2 } } },
                RowInBulkImportRequest: {
                    fields: { type: { rule: "required", type: "OperationType", id: 1 }, rowChange: { rule: "required", type: "bytes", id: 2 } },
                },
                BulkImportRequest: {
                    fields: { tableName: { rule: "required", type: "string", id: 1 }, rows: { rule: "repeated", type: "RowInBulkImportRequest", id: 2 } },
                },
                RowInBulkImportResponse: {
                    fields: { isOk: { rule: "required", type: "bool", id: 1 }, error: { type: "Error", id: 2 }, consumed: { type: "ConsumedCapacity", id: 3 } },
                },
                BulkImportResponse: {
                    fields: { tableName: { rule: "required", type: "string", id: 1 }, rows: { rule: "repeated", type: "RowInBulkImportResponse", id: 2 } },
                },
            },
        },
    },
});

const bulkProto = {
    request: bulkRoot.lookupType("bulk.BulkImportRequest") as ProtoType<unknown>,
    response: bulkRoot.lookupType("bulk.BulkImportResponse") as ProtoType<BulkImportResponse>,
};
