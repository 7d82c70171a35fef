import { ErrorMessage, isInt64, type TsValue } from "./sdk";

/**
 * Tablestore failures as typed errors, and the one rule that sorts them into retryable,
 * permanent and connection failures. The client (client.ts) builds these; the sink decides
 * what to do with them.
 */

/** A row's primary key in key-column order, as the client writes it. */
export type TsPrimaryKey = readonly (readonly [string, TsValue])[];

/** What a failure concerns: the operation, and the table and row when they are known. */
export interface TablestoreErrorContext {
    /** Tablestore operation name: "BatchWriteRow", "BulkImport", "CreateTable", … */
    operation: string;
    table?: string;
    /** Set when the failure concerns exactly one row. */
    primaryKey?: TsPrimaryKey;
}

export type TablestoreErrorClass = "retryable" | "permanent" | "connection";

/**
 * An error the service answered with (a whole request) or reported for one row of a batch
 * (`httpStatus` undefined, `primaryKey` set).
 *
 * `permanent` mirrors tablestoreErrorClass so the engine's classifyFailure
 * (provider/engine/retry.ts), which looks for that flag, agrees with this module.
 */
export class TablestoreError extends Error {
    readonly operation: string;
    readonly table: string | undefined;
    readonly primaryKey: TsPrimaryKey | undefined;
    readonly permanent: boolean;

    constructor(
        /** The service's code, e.g. "OTSServerBusy"; "HTTP <status>" when the body carried none. */
        readonly code: string,
        /** The service's message, e.g. "Server is busy." */
        readonly serverMessage: string,
        context: TablestoreErrorContext,
        readonly httpStatus: number | undefined,
        readonly requestId: string | undefined,
    ) {
        super(`Tablestore ${context.operation}${where(context)} failed: ${code}: ${serverMessage}` +
            `${httpStatus !== undefined ? ` (HTTP ${httpStatus}` : " (row result"}${requestId ? `, request ${requestId})` : ")"}`);
        this.name = "TablestoreError";
        this.operation = context.operation;
        this.table = context.table;
        this.primaryKey = context.primaryKey;
        this.permanent = codeClass(code, serverMessage) === "permanent";
    }
}

/**
 * The service could not be reached or the exchange broke off: refused, unknown host, reset
 * ("socket hang up"), or no answer within the client's timeout. `code` is the system error
 * code (ETIMEDOUT for the timeout), which the engine's classifyFailure reads as a connection
 * failure too.
 */
export class TablestoreConnectionError extends Error {
    readonly operation: string;
    readonly table: string | undefined;
    readonly primaryKey: TsPrimaryKey | undefined;

    constructor(
        readonly code: string,
        /** The endpoint URL (it never carries credentials). */
        readonly endpoint: string,
        readonly detail: string,
        context: TablestoreErrorContext,
    ) {
        super(`Tablestore ${context.operation}${where(context)}: cannot reach ${endpoint}: ${detail} (${code})`);
        this.name = "TablestoreConnectionError";
        this.operation = context.operation;
        this.table = context.table;
        this.primaryKey = context.primaryKey;
    }
}

/**
 * A request the client would not send, or a response it could not read: a name the SDK
 * would encode wrongly, a value the SDK refuses, a malformed answer. Nothing a retry changes.
 */
export class TablestoreClientError extends Error {
    readonly permanent = true;
    readonly operation: string;
    readonly table: string | undefined;
    readonly primaryKey: TsPrimaryKey | undefined;

    constructor(readonly reason: string, context: TablestoreErrorContext) {
        super(`Tablestore ${context.operation}${where(context)}: ${reason}`);
        this.name = "TablestoreClientError";
        this.operation = context.operation;
        this.table = context.table;
        this.primaryKey = context.primaryKey;
    }
}

function where(c: TablestoreErrorContext): string {
    if (c.table === undefined) return "";
    return ` on table "${c.table}"${c.primaryKey ? ` row ${formatPrimaryKey(c.primaryKey)}` : ""}`;
}

/** A key for messages: `(id=42, name="abc")`, long values cut. */
export function formatPrimaryKey(pk: TsPrimaryKey): string {
    return `(${pk.map(([name, v]) => `${name}=${formatValue(v)}`).join(", ")})`;
}

function formatValue(v: TsValue): string {
    const cut = (s: string) => (s.length > 64 ? `${s.slice(0, 64)}…` : s);
    if (typeof v === "string") return JSON.stringify(cut(v));
    if (Buffer.isBuffer(v)) return `0x${cut(v.toString("hex"))}`;
    if (isInt64(v)) return v.toString();
    return String(v);
}

// ---------------------------------------------------------------------------------------
// Classification (research/tablestore.md §2.3)

/**
 * Java TableStoreWriter's default (CertainCodeNotRetryStrategy): every code is retried except
 * these, which say the request or the row itself is wrong.
 */
const writerNotRetried = new Set([
    "OTSParameterInvalid", "OTSConditionCheckFail", "OTSRequestBodyTooLarge",
    "OTSInvalidPK", "OTSOutOfColumnCountLimit", "OTSOutOfRowSizeLimit",
]);

/**
 * Also permanent here, though the Java writer would retry them: its writer never sees them
 * (it has no credentials to get wrong and creates no tables), and waiting changes none.
 * OTSObjectNotExist stays retryable as in the writer: a table just created may not be
 * visible to every partition yet.
 */
const alsoPermanent = new Set([
    "OTSAuthFailed", "OTSNoPermissionAccess", "OTSMethodNotAllowed", "OTSObjectAlreadyExist",
]);

/** OTSQuotaExhausted is two conditions told apart by the message (Java DefaultRetryStrategy). */
const TABLE_QUOTA_MESSAGE = "Number of tables exceeded the quota.";

function codeClass(code: string, message: string): "retryable" | "permanent" {
    if (writerNotRetried.has(code) || alsoPermanent.has(code)) return "permanent";
    // "Too frequent table operations." (10 table operations per second per instance) passes.
    if (code === "OTSQuotaExhausted" && message.trim() === TABLE_QUOTA_MESSAGE) return "permanent";
    return "retryable";
}

/** SDK error codes for a failed exchange (its `NetworkingError` wraps the system error). */
const sdkConnectionCodes = new Set(["NetworkingError", "TimeoutError"]);

/**
 * The single retry rule for Tablestore failures:
 * - "connection": the service was not reached or the exchange broke off;
 * - "permanent": the request, the row, the credentials or the table quota are wrong;
 * - "retryable": everything else (busy, throttled, timeouts and 5xx on the service side,
 *   unknown codes), as the Java TableStoreWriter retries it.
 * Also accepts a raw SDK error (numeric `code`, protobuf body in `message`).
 */
export function tablestoreErrorClass(err: unknown): TablestoreErrorClass {
    if (err instanceof TablestoreConnectionError) return "connection";
    if (err instanceof TablestoreClientError) return "permanent";
    if (err instanceof TablestoreError) return codeClass(err.code, err.serverMessage);
    const e = (err ?? {}) as { code?: unknown; message?: unknown };
    if (typeof e.code === "string" && sdkConnectionCodes.has(e.code)) return "connection";
    if (typeof e.code === "number" && typeof e.message === "string") {
        const decoded = decodeSdkErrorMessage(e.message);
        return decoded ? codeClass(decoded.code, decoded.message) : "retryable";
    }
    // Not a Tablestore failure: a bug in the caller, which retrying does not fix.
    return "permanent";
}

/** Codes that, for one row, say the row itself cannot be written. */
const rowDataCodes = new Set([
    "OTSParameterInvalid", "OTSOutOfColumnCountLimit", "OTSOutOfRowSizeLimit", "OTSInvalidPK", "OTSConditionCheckFail",
]);

/**
 * Whether a failure says that one row is bad (the sink's dirty data), not the request: a
 * row of a batch, or a single-row request, refused for its content or its condition.
 * A whole batch refused with OTSParameterInvalid is not: some row in it is, and finding it
 * takes writing the rows one by one.
 */
export function isRowLevelDataError(err: unknown): boolean {
    return err instanceof TablestoreError && err.primaryKey !== undefined && rowDataCodes.has(err.code);
}

// ---------------------------------------------------------------------------------------
// Decoding what the SDK made of the service's error

/** The service's error body (protobuf `Error`), or undefined when the bytes are not one. */
export function decodeErrorBody(body: Uint8Array | undefined): { code: string; message: string } | undefined {
    if (!body || body.length === 0) return undefined;
    try {
        const e = ErrorMessage.decode(body);
        return /^[A-Za-z][A-Za-z0-9]*$/.test(e.code) ? { code: e.code, message: e.message ?? "" } : undefined;
    } catch {
        return undefined;
    }
}

/**
 * The SDK's error message for a server error is the protobuf body decoded as UTF-8 plus
 * " requestId:<id>" (client.js extractError, after its XML parser fails): for example
 * "\n\rOTSServerBusy\u0012\bmsg here requestId:rid-1". This recovers code, message and
 * request id from it, for when the body itself is not at hand.
 *
 * Re-encoding the text gives the body back whenever it was valid UTF-8 (short messages).
 * Otherwise a length byte ≥ 0x80 became U+FFFD, and the code is found by its shape.
 */
export function decodeSdkErrorMessage(text: string): { code: string; message: string; requestId?: string } | undefined {
    const m = /^([\s\S]*) requestId:(\S*)$/.exec(text);
    const body = m ? m[1] : text;
    const requestId = m && m[2] !== "" ? m[2] : undefined;
    const exact = decodeErrorBody(Buffer.from(body, "utf8"));
    if (exact) return { ...exact, requestId };
    const c = /(OTS[A-Za-z]+)/.exec(body);
    if (!c) return undefined;
    let i = c.index + c[1].length;
    let message = "";
    if (body.charCodeAt(i) === 0x12) {
        i++;
        while (body.charCodeAt(i) === 0xfffd) i++;
        message = body.slice(i + 1);
    }
    return { code: c[1], message, requestId };
}
