import http from "node:http";
import https from "node:https";
import { redact } from "../../errors/connection-error";
import {
    errorFromResponse, isRetryable, MaxComputeClientError, MaxComputeConnectionError, MaxComputeError,
    type MaxComputeRequestRef,
} from "./errors";
import { authorization, httpDate, type SignableRequest } from "./signer";
import type { MaxComputeColumn, MaxComputeConnection, MaxComputeProject, MaxComputeTable } from "./types";
import { xmlElement, xmlText } from "./xml";

/**
 * The MaxCompute REST API over node:http(s): each request signed (signer.ts), sent, and on
 * a retryable failure (errors.ts: 5xx, 429, a broken connection) tried again a few times
 * with a short backoff. That inner retry only rides out a blip: longer outages are the
 * engine's retry window, which sees the typed error this throws after the last attempt.
 */

export interface MaxComputeRestOptions {
    /** Socket inactivity after which an attempt fails with ETIMEDOUT (default 30 s). */
    timeoutMs?: number;
    /** Attempts per request, the first included (default 3). */
    attempts?: number;
    /** The wait before the second attempt, doubled before each further one (default 200 ms). */
    backoffMs?: number;
    userAgent?: string;
    /** Concurrent connections to the endpoint (default 16). */
    maxSockets?: number;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE" | "HEAD";

export interface RestRequest {
    method: HttpMethod;
    /** Path segments after the endpoint, decoded, e.g. ["projects", "p", "tables", "t"]. */
    segments: readonly string[];
    /** Query parameters, decoded; "" for a bare one (`?taskstatus`). */
    params?: Readonly<Record<string, string>>;
    /** The project the request runs in, sent as curr_project as both SDKs do. */
    project?: string;
    headers?: Readonly<Record<string, string>>;
    body?: string | Buffer;
}

export interface RestResponse {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
    requestId: string | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 200;
const DEFAULT_USER_AGENT = "pulumi-dts-maxcompute";

export class MaxComputeRest {
    /** The endpoint's origin, as messages show it. */
    readonly endpoint: string;
    private readonly url: URL;
    /** The endpoint's path ("/api"), which the signature leaves out. */
    private readonly basePath: string;
    private readonly agent: http.Agent;
    private readonly timeoutMs: number;
    private readonly attempts: number;
    private readonly backoffMs: number;
    private readonly userAgent: string;

    constructor(private readonly conn: MaxComputeConnection, opts: MaxComputeRestOptions = {}) {
        const url = URL.canParse(conn.endpoint) ? new URL(conn.endpoint) : undefined;
        if (url?.protocol !== "http:" && url?.protocol !== "https:") {
            throw new MaxComputeClientError(`the endpoint must be an http:// or https:// URL, got "${conn.endpoint}"`);
        }
        if (url.search !== "" || url.username !== "" || url.password !== "") {
            throw new MaxComputeClientError(`the endpoint must carry no query and no credentials, got "${url.origin}${url.pathname}…"`);
        }
        this.url = url;
        this.endpoint = url.origin;
        this.basePath = url.pathname.replace(/\/+$/, "");
        this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        this.attempts = Math.max(1, opts.attempts ?? DEFAULT_ATTEMPTS);
        this.backoffMs = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
        this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
        const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? 16 };
        this.agent = url.protocol === "https:" ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    }

    /** Closes idle connections; the client is not used afterwards. */
    close(): void {
        this.agent.destroy();
    }

    // ---------------------------------------------------------------------------------
    // Calls

    /** The project, which also proves the endpoint, the AccessKey and the permission to read it. */
    async getProject(project: string): Promise<MaxComputeProject> {
        const res = await this.request({ method: "GET", segments: ["projects", pathSegment(project, "project")], project });
        const xml = res.body.toString("utf8");
        const root = xmlElement(xml, "Project");
        const projectName = root && xmlText(root.inner, "Name");
        if (!root || !projectName) throw this.unreadable(res, `no <Project><Name> in the answer`, "GET", ["projects", project]);
        return {
            name: projectName,
            owner: xmlText(root.inner, "Owner") || undefined,
            state: xmlText(root.inner, "State") || undefined,
            comment: xmlText(root.inner, "Comment") || undefined,
        };
    }

    /**
     * The table's columns and partition columns. The answer is XML `<Table>` whose `<Schema>`
     * is JSON text: {"columns":[{name,type,comment,isNullable}],"partitionKeys":[…]}.
     * A missing table is a MaxComputeError whose `notFound` is true.
     */
    async getTable(project: string, table: string): Promise<MaxComputeTable> {
        const segments = ["projects", pathSegment(project, "project"), "tables", pathSegment(table, "table")];
        const res = await this.request({ method: "GET", segments, project });
        const root = xmlElement(res.body.toString("utf8"), "Table");
        const schemaText = root && xmlText(root.inner, "Schema");
        if (!root || schemaText === undefined) throw this.unreadable(res, "no <Table><Schema> in the answer", "GET", segments);
        let schema: unknown;
        try {
            schema = JSON.parse(schemaText);
        } catch {
            throw this.unreadable(res, "the table's <Schema> is not JSON", "GET", segments);
        }
        const s = (schema ?? {}) as { columns?: unknown; partitionKeys?: unknown };
        return {
            name: xmlText(root.inner, "Name") || table,
            tableId: xmlText(root.inner, "TableId") || undefined,
            columns: columnsOf(s.columns),
            partitionColumns: columnsOf(s.partitionKeys),
        };
    }

    async tableExists(project: string, table: string): Promise<boolean> {
        try {
            await this.getTable(project, table);
            return true;
        } catch (err) {
            if (err instanceof MaxComputeError && err.notFound) return false;
            throw err;
        }
    }

    // ---------------------------------------------------------------------------------
    // Requests

    /** One call: signed afresh for each attempt (the Date is signed), retried while retryable. */
    async request(req: RestRequest): Promise<RestResponse> {
        for (let attempt = 1; ; attempt++) {
            try {
                return await this.once(req);
            } catch (err) {
                if (attempt >= this.attempts || !isRetryable(err)) throw err;
                await sleep(this.backoffMs * 2 ** (attempt - 1));
            }
        }
    }

    private once(req: RestRequest): Promise<RestResponse> {
        const params: Record<string, string> = { ...(req.params ?? {}) };
        if (req.project !== undefined) params.curr_project = req.project;
        const resource = `/${req.segments.join("/")}`;
        const ref: MaxComputeRequestRef = { method: req.method, path: pathForMessages(resource, params) };
        const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, "utf8");
        const headers: Record<string, string> = {
            "date": httpDate(new Date()),
            "user-agent": this.userAgent,
            "x-odps-user-agent": this.userAgent,
            ...lowerKeys(req.headers ?? {}),
        };
        if (body !== undefined) headers["content-length"] = String(body.length);
        const signable: SignableRequest = { method: req.method, resource, params, headers };
        headers.authorization = authorization(signable, this.conn.accessKeyId, this.conn.accessKeySecret);
        const path = `${this.basePath}/${req.segments.map(encodeURIComponent).join("/")}${queryString(params)}`;
        const transport = this.url.protocol === "https:" ? https : http;
        return new Promise((resolve, reject) => {
            let settled = false;
            const fail = (err: Error) => {
                if (settled) return;
                settled = true;
                reject(err);
            };
            const httpReq = transport.request({
                protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port || undefined,
                method: req.method, path, agent: this.agent, headers,
            }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("error", (err) => fail(this.connectionFailure(err, ref)));
                res.on("end", () => {
                    if (settled) return;
                    settled = true;
                    const answer = Buffer.concat(chunks);
                    const status = res.statusCode ?? 0;
                    if (status < 200 || status >= 300) {
                        reject(errorFromResponse(ref, status, res.headers, answer, (t) => this.clean(t)));
                        return;
                    }
                    const id = res.headers["x-odps-request-id"];
                    resolve({ status, headers: res.headers, body: answer, requestId: (Array.isArray(id) ? id[0] : id) || undefined });
                });
            });
            httpReq.setTimeout(this.timeoutMs, () => {
                fail(new MaxComputeConnectionError("ETIMEDOUT", this.endpoint, `no answer within ${this.timeoutMs} ms`, ref));
                httpReq.destroy();
            });
            httpReq.on("error", (err) => fail(this.connectionFailure(err, ref)));
            httpReq.end(body);
        });
    }

    private connectionFailure(err: NodeJS.ErrnoException, ref: MaxComputeRequestRef): MaxComputeConnectionError {
        // "socket hang up" (a reset while waiting for the answer) carries ECONNRESET too.
        const code = typeof err.code === "string" && /^E[A-Z_]+$/.test(err.code) ? err.code : "ECONNRESET";
        return new MaxComputeConnectionError(code, this.endpoint, this.clean(err.message), ref);
    }

    /** A 2xx whose body is not what the call expects: permanent, with the request id to report. */
    unreadable(res: RestResponse, what: string, method: HttpMethod, segments: readonly string[]): MaxComputeClientError {
        return new MaxComputeClientError(`unexpected answer from the service: ${what}${res.requestId ? ` (request ${res.requestId})` : ""}`,
            { method, path: `/${segments.join("/")}` });
    }

    /** Messages never carry the secret, whatever echoes it. */
    private clean(text: string): string {
        return redact(text, [this.conn.accessKeySecret]);
    }
}

/**
 * A project or table name as a path segment. The service's own rules (letters, digits and
 * "_", research §4) are the DDL layer's to enforce; this only refuses what would change
 * which resource the path names.
 */
export function pathSegment(value: string, what: string): string {
    if (value === "" || /[/?#%\\\s]/.test(value) || value === "." || value === "..") {
        throw new MaxComputeClientError(`invalid ${what} name ${JSON.stringify(value)}`);
    }
    return value;
}

function columnsOf(v: unknown): MaxComputeColumn[] {
    if (!Array.isArray(v)) return [];
    return v.flatMap((c: unknown) => {
        const o = (c ?? {}) as Record<string, unknown>;
        if (typeof o.name !== "string" || typeof o.type !== "string") return [];
        const nullable = typeof o.isNullable === "boolean" ? o.isNullable
            : o.isNullable === "true" ? true : o.isNullable === "false" ? false : undefined;
        return [{ name: o.name, type: o.type, comment: typeof o.comment === "string" && o.comment !== "" ? o.comment : undefined, nullable }];
    });
}

function queryString(params: Readonly<Record<string, string>>): string {
    const parts = Object.keys(params).sort().map((k) => (params[k] === "" ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`));
    return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

/** The resource with its query, without curr_project (the project is in the path already). */
function pathForMessages(resource: string, params: Readonly<Record<string, string>>): string {
    const shown = Object.keys(params).filter((k) => k !== "curr_project");
    return shown.length === 0 ? resource : `${resource}?${shown.map((k) => (params[k] === "" ? k : `${k}=${params[k]}`)).join("&")}`;
}

function lowerKeys(h: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
    return out;
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
