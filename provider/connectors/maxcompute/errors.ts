import http from "node:http";
import { xmlText } from "./xml";

/**
 * MaxCompute failures as typed errors, and the one rule that says which a retry can fix.
 * rest.ts retries `retryable` ones a few times itself; the engine's classifyFailure
 * (provider/engine/retry.ts) reads `permanent` for the rest, and a connection error's
 * system `code` (ECONNRESET, ETIMEDOUT, …) as a connection failure.
 */

/** The request a failure concerns: its method and resource path (never its headers). */
export interface MaxComputeRequestRef {
    method: string;
    /** Path relative to the endpoint, with the query, e.g. "/projects/p/instances/id?taskstatus". */
    path: string;
}

export type MaxComputeErrorClass = "retryable" | "permanent" | "connection";

/**
 * Codes a retry can fix whatever the status: the service's own "try again later"
 * (InternalServerError 500, ServiceUnavailable 503 in the service's error-code table) and
 * the SQL engine's system error (ODPS-0010000, which pyodps maps to InternalServerError).
 */
const retryableCodes = new Set(["InternalServerError", "ServiceUnavailable", "ODPS-0010000"]);

/**
 * Whether an answer from the service is worth another attempt: 5xx and 429 (the Java
 * SDK's TunnelRetryHandler retries both: 429 is the service's throttling) or a code above.
 * Any other 4xx says the request, the credentials or the object is wrong.
 */
export function isRetryableAnswer(httpStatus: number | undefined, code: string): boolean {
    if (retryableCodes.has(code)) return true;
    return httpStatus !== undefined && (httpStatus >= 500 || httpStatus === 429 || httpStatus === 408);
}

/** An error the service answered with. */
export class MaxComputeError extends Error {
    readonly method: string;
    readonly path: string;
    readonly retryable: boolean;
    readonly permanent: boolean;

    constructor(
        /** The service's code ("NoSuchObject", "ODPS-0130131"), or "HTTP <status>" when the body carried none. */
        readonly code: string,
        /** The service's message, without its code. */
        readonly serverMessage: string,
        request: MaxComputeRequestRef,
        readonly httpStatus: number,
        readonly requestId: string | undefined,
    ) {
        super(`MaxCompute ${request.method} ${request.path} failed: ${code}: ${serverMessage} (HTTP ${httpStatus}${requestId ? `, request ${requestId}` : ""})`);
        this.name = "MaxComputeError";
        this.method = request.method;
        this.path = request.path;
        this.retryable = isRetryableAnswer(httpStatus, code);
        this.permanent = !this.retryable;
    }

    /** The object the path names does not exist (the service says NoSuchObject, NoSuchTable, or 404 alone). */
    get notFound(): boolean {
        return this.httpStatus === 404 || this.code === "NoSuchObject" || this.code === "NoSuchTable" || this.code === "ODPS-0130131";
    }
}

/**
 * The service could not be reached or the exchange broke off: refused, unknown host, reset,
 * or no answer within the client's timeout (code ETIMEDOUT). `code` is the system error code,
 * which the engine's classifyFailure reads as a connection failure.
 */
export class MaxComputeConnectionError extends Error {
    readonly retryable = true;
    readonly method: string;
    readonly path: string;

    constructor(
        readonly code: string,
        /** The endpoint's origin (it never carries credentials). */
        readonly endpoint: string,
        readonly detail: string,
        request: MaxComputeRequestRef,
    ) {
        super(`MaxCompute ${request.method} ${request.path}: cannot reach ${endpoint}: ${detail} (${code})`);
        this.name = "MaxComputeConnectionError";
        this.method = request.method;
        this.path = request.path;
    }
}

/**
 * A request the client would not send or an answer it could not read: a malformed endpoint,
 * a name it cannot put in a path, a 2xx without the Location or XML it needs. Nothing a retry changes.
 */
export class MaxComputeClientError extends Error {
    readonly retryable = false;
    readonly permanent = true;

    constructor(readonly reason: string, readonly request?: MaxComputeRequestRef) {
        super(`MaxCompute${request ? ` ${request.method} ${request.path}` : ""}: ${reason}`);
        this.name = "MaxComputeClientError";
    }
}

/**
 * An SQL instance that ended without success. `message` is the task's result text, which
 * is how the service reports a failed task ("ODPS-0130161:[1,8] Parse exception - …").
 */
export class MaxComputeSqlError extends Error {
    /** The ODPS-NNNNNNN code at the head of the result text, when there is one. */
    readonly code: string | undefined;
    readonly retryable: boolean;
    readonly permanent: boolean;

    constructor(
        readonly sql: string,
        readonly project: string,
        readonly instanceId: string,
        /** The task's final status: "FAILED", "CANCELLED", … (upper case). */
        readonly taskStatus: string,
        /** The task's result text (its error), "" when it gave none. */
        readonly result: string,
    ) {
        super(`MaxCompute SQL instance ${instanceId} in project "${project}" ended ${taskStatus}: ${result || "(no result text)"}; SQL: ${clip(sql, 500)}`);
        this.name = "MaxComputeSqlError";
        this.code = /\b(ODPS-\d{7})\b/.exec(result)?.[1];
        // A statement the engine refused fails again; only its own system error may pass.
        this.retryable = this.code !== undefined && retryableCodes.has(this.code);
        this.permanent = !this.retryable;
    }
}

/**
 * An SQL instance still running when the client stopped waiting. Not permanent: the
 * statement may finish, and the engine's retry runs it again (DDL that a second run leaves alone).
 */
export class MaxComputeSqlTimeoutError extends Error {
    readonly retryable = false;
    readonly permanent = false;

    constructor(readonly sql: string, readonly project: string, readonly instanceId: string, readonly lastStatus: string, readonly waitedMs: number) {
        super(`MaxCompute SQL instance ${instanceId} in project "${project}" still ${lastStatus} after ${Math.round(waitedMs / 1000)} s; SQL: ${clip(sql, 500)}`);
        this.name = "MaxComputeSqlTimeoutError";
    }
}

/** The single retry rule for MaxCompute failures; anything else (a bug in the caller) is permanent. */
export function maxComputeErrorClass(err: unknown): MaxComputeErrorClass {
    if (err instanceof MaxComputeConnectionError) return "connection";
    if (err instanceof MaxComputeError || err instanceof MaxComputeSqlError || err instanceof MaxComputeSqlTimeoutError) {
        return err.permanent ? "permanent" : "retryable";
    }
    return "permanent";
}

/** Whether rest.ts should send a request again after `err`: an answer or a connection worth another try. */
export function isRetryable(err: unknown): boolean {
    return (err instanceof MaxComputeError || err instanceof MaxComputeConnectionError) && err.retryable;
}

// ---------------------------------------------------------------------------------------
// Reading error bodies

export interface ParsedErrorBody {
    code: string | undefined;
    message: string | undefined;
    requestId: string | undefined;
}

/**
 * The service's error body: XML `<Error><Code/><Message/><RequestId/><HostId/></Error>` or
 * JSON with the same keys (the tunnel's form; pyodps errors.py reads both), undefined when
 * the body is neither (a proxy's page, nothing).
 */
export function parseErrorBody(body: string): ParsedErrorBody | undefined {
    const text = body.trim();
    if (text.startsWith("<")) {
        if (!/<Error[\s>]/.test(text)) return undefined;
        const code = xmlText(text, "Code");
        const message = xmlText(text, "Message");
        if (code === undefined && message === undefined) return undefined;
        return { code: code?.trim() || undefined, message: message?.trim(), requestId: xmlText(text, "RequestId")?.trim() || undefined };
    }
    if (text.startsWith("{")) {
        let obj: unknown;
        try {
            obj = JSON.parse(text);
        } catch {
            return undefined;
        }
        if (obj === null || typeof obj !== "object") return undefined;
        const o = obj as Record<string, unknown>;
        const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
        const code = str(o.Code);
        const message = str(o.Message);
        if (code === undefined && message === undefined) return undefined;
        return { code, message, requestId: str(o.RequestId) };
    }
    return undefined;
}

/**
 * The error for a non-2xx answer. The request id comes from the `x-odps-request-id` header
 * first (it is there for JSON bodies, which may lack one), else from the body. `clean`
 * scrubs whatever the service echoes (the secret never appears in a message).
 */
export function errorFromResponse(
    request: MaxComputeRequestRef,
    httpStatus: number,
    headers: http.IncomingHttpHeaders,
    body: Buffer,
    clean: (text: string) => string = (t) => t,
): MaxComputeError {
    const text = body.toString("utf8");
    const parsed = parseErrorBody(text);
    const headerId = headers["x-odps-request-id"];
    const requestId = (Array.isArray(headerId) ? headerId[0] : headerId) || parsed?.requestId;
    if (parsed) {
        return new MaxComputeError(parsed.code ?? `HTTP ${httpStatus}`, clean(parsed.message ?? ""), request, httpStatus, requestId);
    }
    const excerpt = text.slice(0, 200).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
    return new MaxComputeError(`HTTP ${httpStatus}`, clean(excerpt || http.STATUS_CODES[httpStatus] || ""), request, httpStatus, requestId);
}

function clip(s: string, n: number): string {
    return s.length > n ? `${s.slice(0, n)}…` : s;
}
