import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { getSystemErrorName } from "node:util";
import { redact } from "../../errors/connection-error";
import {
    decodeErrorBody, decodeSdkErrorMessage, TablestoreClientError, TablestoreConnectionError, TablestoreError,
    type TablestoreErrorContext,
} from "./errors";
import { decodeBatchWriteRowResponse, decodeBulkImportResponse, type TableOutcomes } from "./write-responses";
import {
    describeValue, type NameRole, PlainBufferEncoder, PlainBufferInputError, PlainNames,
} from "./plainbuffer";
import {
    compiledProtos as compiled, int64FromBigInt, isInt64, type ProtoType, sdk, type SdkCallback, type SdkClient,
    type SdkDescribeTableData, type SdkError, type SdkPrimaryKey, type SdkPrimaryKeyValue, type SdkResponse,
    type SdkRow, type TsValue,
} from "./sdk";
import { conditionMessage, type ColumnCondition, type ConditionMessage } from "./filter";
import { tablestoreNameProblem, type TablestoreColumnType, type TablestorePrimaryKeyType } from "./type-map";

export type { TsValue } from "./sdk";
export type { ColumnCondition, Comparator, SingleColumnCondition } from "./filter";

/**
 * A typed client for the Tablestore operations the connector uses: table operations and
 * reads over the official SDK; writes (PutRow, UpdateRow, DeleteRow, BatchWriteRow and
 * BulkImport, which the Node SDK lacks) over the connector's own PlainBuffer encoder
 * (plainbuffer.ts) and a request signed as the SDK signs it, which costs a fraction of the
 * SDK's serializer.
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
    /**
     * A condition on the row's current values, checked with `condition` (filter.ts): a write
     * whose condition fails is refused with OTSConditionCheckFail. Single-row writes only
     * (putRow, updateRow, deleteRow).
     */
    columnCondition?: ColumnCondition;
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
const OK: RowResult = Object.freeze({ ok: true });
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class TablestoreClient {
    private readonly sdkClient: SdkClient;
    private readonly url: URL;
    /** The endpoint as messages show it: scheme, host and port only. */
    readonly endpoint: string;
    private readonly agent: http.Agent;
    private readonly timeoutMs: number;
    /**
     * Names checked once per role (tablestoreNameProblem): the SDK, which still reads rows,
     * would mangle non-ASCII names, and the service takes ASCII names only anyway.
     */
    private readonly names = new PlainNames((name, role) => {
        const problem = tablestoreNameProblem(name, role);
        return problem === undefined ? undefined : `invalid ${role === "table" ? "table" : "column"} name: ${problem}`;
    });
    private readonly encoder = new PlainBufferEncoder(this.names);

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

    private async writeOne(operation: "PutRow" | "UpdateRow" | "DeleteRow", row: RowWrite, kind: RowWrite["kind"]): Promise<void> {
        const ctx: TablestoreErrorContext = { operation, table: row.table, primaryKey: row.primaryKey };
        if (row.kind !== kind) throw new TablestoreClientError(`${operation} takes a "${kind}" row, got "${row.kind}"`, ctx);
        this.checkName(ctx, row.table, "table");
        const pb = this.encode(ctx, [row], () => this.encoder.encodeRow(row));
        if (row.columnCondition) this.checkName(ctx, row.columnCondition.column, "attribute");
        const condition = this.encode(ctx, [row], () => conditionMessage(conditions[row.condition], row.columnCondition));
        // PutRowRequest{table_name, row}, UpdateRowRequest{table_name, row_change}, DeleteRowRequest{table_name, primary_key}; condition = 3.
        const message = kind === "put" ? mainProto.PutRowRequest.encode({ tableName: row.table, row: pb, condition })
            : kind === "update" ? mainProto.UpdateRowRequest.encode({ tableName: row.table, rowChange: pb, condition })
                : mainProto.DeleteRowRequest.encode({ tableName: row.table, primaryKey: pb, condition });
        await this.post(operation, Buffer.from(message.finish()), ctx);
    }

    /**
     * One BatchWriteRow request (≤ 200 rows, ≤ 4 MB, no row twice: batches.ts). The service
     * answers per row; a failed row is a TablestoreError naming its table and key. Throws
     * for a failure of the whole request.
     */
    async batchWriteRow(rows: RowWrite[]): Promise<RowResult[]> {
        const ctx: TablestoreErrorContext = requestContext("BatchWriteRow", rows);
        if (rows.length === 0) return [];
        singleRowConditionsOnly(ctx, rows);
        // The rows by table, each table once, in order of appearance (the service takes a table once).
        const tables: { table: string; indexes: number[] }[] = [];
        let last: { table: string; indexes: number[] } | undefined;
        for (let i = 0; i < rows.length; i++) {
            const table = rows[i].table;
            if (last?.table !== table) last = tables.find((t) => t.table === table) ?? tables[tables.push({ table, indexes: [] }) - 1];
            last.indexes.push(i);
        }
        const body = this.encode(ctx, rows, () => this.encoder.batchWriteRow(rows, tables));
        const answer = await this.post("BatchWriteRow", body, ctx);
        let response: TableOutcomes[];
        try {
            response = decodeBatchWriteRowResponse(answer.body);
        } catch (err) {
            return this.unexpected(ctx, `an unreadable BatchWriteRow answer (${(err as Error).message})`);
        }
        // Per table, each row's result in request order.
        const results: (RowResult | undefined)[] = new Array(rows.length);
        const next = new Map<string, number>();
        for (const t of response) {
            const indexes = tables.find((x) => x.table === t.tableName)?.indexes;
            let k = next.get(t.tableName) ?? 0;
            for (const r of t.rows) {
                if (!indexes || k >= indexes.length) this.unexpected(ctx, `a result for a row of table "${t.tableName}" that was not sent`);
                const i = indexes[k++];
                results[i] = r === true ? OK : {
                    ok: false,
                    error: new TablestoreError(r.code, this.clean(r.message),
                        { operation: "BatchWriteRow", table: rows[i].table, primaryKey: rows[i].primaryKey }, undefined, answer.requestId),
                };
            }
            next.set(t.tableName, k);
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
        singleRowConditionsOnly(ctx, rows);
        if (rows.length === 0) return [];
        const body = this.encode(ctx, rows, () => this.encoder.bulkImport(table, rows));
        const answer = await this.post("BulkImport", body, ctx);
        let response: TableOutcomes;
        try {
            response = decodeBulkImportResponse(answer.body);
        } catch (err) {
            return this.unexpected(ctx, `an unreadable BulkImport answer (${(err as Error).message})`);
        }
        if (response.rows.length !== rows.length) this.unexpected(ctx, `${response.rows.length} results for ${rows.length} rows`);
        const results: RowResult[] = new Array(rows.length);
        for (let i = 0; i < rows.length; i++) {
            const r = response.rows[i];
            results[i] = r === true ? OK : {
                ok: false,
                error: new TablestoreError(r.code, this.clean(r.message), { operation: "BulkImport", table, primaryKey: rows[i].primaryKey }, undefined, answer.requestId),
            };
        }
        return results;
    }

    /** Builds a request body; a row the encoder refuses is a client error naming that row. */
    private encode<T = Buffer>(ctx: TablestoreErrorContext, rows: readonly RowWrite[], build: () => T): T {
        try {
            return build();
        } catch (err) {
            if (!(err instanceof PlainBufferInputError)) throw err;
            const row = err.row === undefined ? undefined : rows[err.row];
            throw new TablestoreClientError(this.clean(err.message), row ? { operation: ctx.operation, table: row.table, primaryKey: row.primaryKey } : ctx);
        }
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

    /**
     * POST of a body the connector builds itself (writes), signed as the SDK signs (research
     * §1.2): HMAC-SHA1 over the operation, the method and the sorted x-ots-* headers.
     */
    private post(operation: string, body: Buffer, ctx: TablestoreErrorContext): Promise<{ body: Buffer; requestId: string | undefined }> {
        const path = `/${operation}`;
        const headers = signedHeaders(this.conn, operation, createHash("md5").update(body).digest("base64"), new Date());
        headers["content-length"] = String(body.length);
        const transport = this.url.protocol === "https:" ? https : http;
        return new Promise((resolve, reject) => {
            const req = transport.request({
                protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port || undefined,
                method: "POST", path, agent: this.agent, headers,
            }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("error", (err) => reject(this.networkFailure(err, ctx) ?? new TablestoreClientError(this.clean(err.message), ctx)));
                res.on("end", () => {
                    const answer = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
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
    // Keys in the SDK's shapes (reads)

    private sdkPrimaryKey(ctx: TablestoreErrorContext, pk: readonly (readonly [string, TsValue])[]): SdkPrimaryKey {
        if (pk.length === 0) throw new TablestoreClientError("a primary key needs at least one column", ctx);
        return pk.map(([name, value]) => {
            this.checkName(ctx, name, "primary-key");
            // The SDK throws for a number key, would write a boolean nowhere, and knows no bigint.
            if (typeof value === "bigint" && value >= INT64_MIN && value <= INT64_MAX) return { [name]: int64FromBigInt(value) };
            if (!(isInt64(value) || typeof value === "string" || Buffer.isBuffer(value))) {
                throw new TablestoreClientError(`primary-key column "${name}" must be INTEGER, STRING or BINARY, got ${describeValue(value)}`, ctx);
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

    private checkName(ctx: TablestoreErrorContext, name: string, role: NameRole): void {
        try {
            this.names.get(name, role);
        } catch (err) {
            if (err instanceof PlainBufferInputError) throw new TablestoreClientError(err.message, ctx);
            throw err;
        }
    }

    private unexpected(ctx: TablestoreErrorContext, what: string): never {
        throw new TablestoreClientError(`unexpected answer from the service: ${what}`, ctx);
    }

    /** Messages never carry the secret, whatever echoes it. */
    private clean(text: string): string {
        return redact(text, [this.conn.accessKeySecret]);
    }
}

/** The batch encoders write row existence only: a column condition goes with a single-row write. */
function singleRowConditionsOnly(ctx: TablestoreErrorContext, rows: readonly RowWrite[]): void {
    const conditioned = rows.find((r) => r.columnCondition !== undefined);
    if (conditioned) {
        throw new TablestoreClientError(`${ctx.operation} sends no column conditions; write a row with one by putRow, updateRow or deleteRow`,
            { operation: ctx.operation, table: conditioned.table, primaryKey: conditioned.primaryKey });
    }
}

function requestContext(operation: string, rows: readonly RowWrite[], table?: string): TablestoreErrorContext {
    let only = table;
    if (only === undefined && rows.length > 0) {
        only = rows[0].table;
        for (let i = 1; i < rows.length; i++) {
            if (rows[i].table !== only) {
                only = undefined;
                break;
            }
        }
    }
    // A request of one row concerns that row: its failure is the row's (isRowLevelDataError).
    return { operation, ...(only !== undefined ? { table: only } : {}), ...(rows.length === 1 ? { primaryKey: rows[0].primaryKey } : {}) };
}

/**
 * The headers of a request whose body has the given MD5 (base64), signed with the AccessKey
 * (research §1.2): x-ots-signature = base64(HMAC-SHA1(secret, "/" + operation + "\nPOST\n\n"
 * + each x-ots-* header as "name:value\n", by name)). The local server recomputes it.
 */
export function signedHeaders(conn: Pick<TablestoreConnection, "instanceName" | "accessKeyId" | "accessKeySecret">, operation: string, contentMd5: string, date: Date): Record<string, string> {
    const iso = date.toISOString();
    const toSign = `/${operation}\nPOST\n\nx-ots-accesskeyid:${conn.accessKeyId}\nx-ots-apiversion:${API_VERSION}\n`
        + `x-ots-contentmd5:${contentMd5}\nx-ots-date:${iso}\nx-ots-instancename:${conn.instanceName}\n`;
    return {
        "x-ots-apiversion": API_VERSION,
        "x-ots-instancename": conn.instanceName,
        "x-ots-contentmd5": contentMd5,
        "x-ots-date": iso,
        "x-ots-accesskeyid": conn.accessKeyId,
        "x-ots-signature": createHmac("sha1", conn.accessKeySecret).update(toSign, "utf8").digest("base64"),
    };
}

const API_VERSION = "2015-12-31";

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

function fromSdkRow(row: SdkRow): TablestoreRow {
    return {
        primaryKey: (row.primaryKey ?? []).map(({ name, value }) => [name, value]),
        attributes: (row.attributes ?? []).map(({ columnName, columnValue }) => [columnName, columnValue]),
    };
}

/** The SDK's compiled messages (tablestore_compiled_proto.js) for the writes the client sends itself. */
const mainProto = {
    PutRowRequest: compiled.PutRowRequest as ProtoType<{ tableName: string; row: Uint8Array; condition: ConditionMessage }>,
    UpdateRowRequest: compiled.UpdateRowRequest as ProtoType<{ tableName: string; rowChange: Uint8Array; condition: ConditionMessage }>,
    DeleteRowRequest: compiled.DeleteRowRequest as ProtoType<{ tableName: string; primaryKey: Uint8Array; condition: ConditionMessage }>,
};

