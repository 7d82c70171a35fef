import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { TaskStatus } from "../status";
import { taskStatusSchema } from "../task-store-format";
import type { EngineTaskSpec } from "../task-store";
import type { WaitFor } from "../readiness";
import { type HistoryResult, historyResultSchema } from "../metrics-history";
import { EngineError } from "./client";

/**
 * The client of the engine service's HTTP API (provider/service/api.ts), for the provider
 * when the stack names an endpoint (pulumi-dts:endpoint): the same calls as the local
 * engine's socket, so a CI runner only talks to the service. The token goes only over TLS,
 * or plaintext to loopback; the service's certificate is checked against pulumi-dts:caCert
 * when given, else the system's roots.
 */
export interface RemoteEngineSettings {
    endpoint: string;
    token: string;
    caCert?: string;
    /** mTLS: the client's certificate and key (PEM). */
    clientCert?: string;
    clientKey?: string;
}

export interface RemoteTask {
    taskId: string;
    generation: number;
    desired: "run" | "released";
    /** Null until a replica has run the task. */
    status: TaskStatus | null;
    owner: { holder: string | null; epoch: number };
}

/**
 * The settings from stack config keys (pulumi-dts:endpoint, …) or, where a key is not set,
 * the environment (PULUMI_DTS_ENDPOINT, PULUMI_DTS_TOKEN, PULUMI_DTS_CA_CERT, …); a PEM
 * value may also be given as the path of a file holding it. Undefined: no endpoint, the
 * local engine.
 */
export function remoteSettings(config: { get(key: string): string | undefined } | undefined, env: NodeJS.ProcessEnv): RemoteEngineSettings | undefined {
    const get = (key: string, envName: string) => config?.get(`pulumi-dts:${key}`) ?? (env[envName] || undefined);
    const pem = (v: string | undefined) => (v !== undefined && !v.includes("-----BEGIN") && existsSync(v) ? readFileSync(v, "utf8") : v);
    const endpoint = get("endpoint", "PULUMI_DTS_ENDPOINT");
    if (!endpoint) return undefined;
    return {
        endpoint, token: get("token", "PULUMI_DTS_TOKEN") ?? "",
        caCert: pem(get("caCert", "PULUMI_DTS_CA_CERT")), clientCert: pem(get("clientCert", "PULUMI_DTS_CLIENT_CERT")), clientKey: pem(get("clientKey", "PULUMI_DTS_CLIENT_KEY")),
    };
}

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** Checks the settings before anything is sent; the errors name the config key. */
export function checkRemoteSettings(s: RemoteEngineSettings): URL {
    let url: URL;
    try {
        url = new URL(s.endpoint);
    } catch {
        throw new EngineError(`pulumi-dts:endpoint must be a URL such as https://dts.example.com:7443, not ${JSON.stringify(s.endpoint)}`, "bad-config");
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
        throw new EngineError(`pulumi-dts:endpoint ${url.origin} would send the token in plaintext: use https:// (plain http:// is only allowed to 127.0.0.1 or localhost)`, "bad-config");
    }
    if (!s.token) throw new EngineError("pulumi-dts:token is needed with pulumi-dts:endpoint (pulumi config set --secret pulumi-dts:token <token>)", "bad-config");
    if ((s.clientCert === undefined) !== (s.clientKey === undefined)) throw new EngineError("pulumi-dts:clientCert and pulumi-dts:clientKey go together (mTLS)", "bad-config");
    return url;
}

export class RemoteEngineClient {
    private readonly base: URL;

    constructor(private readonly s: RemoteEngineSettings) {
        this.base = checkRemoteSettings(s);
    }

    private call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ status: number; body: T }> {
        const url = new URL(path, this.base);
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const send = url.protocol === "https:" ? httpsRequest : httpRequest;
        return new Promise((resolve, reject) => {
            const req = send(url, {
                method,
                headers: {
                    Authorization: `Bearer ${this.s.token}`, Accept: "application/json", ...headers,
                    ...(payload !== undefined ? { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(payload)) } : {}),
                },
                ...(url.protocol === "https:" ? {
                    ...(this.s.caCert ? { ca: this.s.caCert } : {}),
                    ...(this.s.clientCert ? { cert: this.s.clientCert, key: this.s.clientKey } : {}),
                } : {}),
                timeout: timeoutMs,
            }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    let parsed: unknown;
                    try {
                        parsed = text ? JSON.parse(text) : {};
                    } catch {
                        return reject(new EngineError(`the engine service at ${this.base.origin} answered ${res.statusCode} with something other than JSON: ${text.slice(0, 200)}`, "bad-response"));
                    }
                    const status = res.statusCode ?? 0;
                    if (status >= 200 && status < 300) return resolve({ status, body: parsed as T });
                    const err = parsed as { error?: string; code?: string };
                    const why = err.error ?? `HTTP ${status}`;
                    if (status === 401) return reject(new EngineError(`the engine service at ${this.base.origin} refused the token (pulumi-dts:token): ${why}`, "unauthorized"));
                    reject(new EngineError(why, err.code ?? (status === 404 ? "not-found" : `http-${status}`)));
                });
                res.on("error", reject);
            });
            req.on("timeout", () => req.destroy(new EngineError(`the engine service at ${this.base.origin} did not answer ${method} ${url.pathname} within ${timeoutMs / 1000} s`, "timeout")));
            req.on("error", (err: NodeJS.ErrnoException) => {
                if (err instanceof EngineError) return reject(err);
                const tls = /certificate|CERT|self.signed|unable to verify|SSL|alert/i.test(`${err.code} ${err.message}`);
                reject(new EngineError(tls
                    ? `the TLS connection to the engine service at ${this.base.origin} failed (${err.message}): is pulumi-dts:caCert the CA that signed the service's certificate` +
                        `${this.s.clientCert ? ", and does the service accept pulumi-dts:clientCert" : ""}?`
                    : `cannot reach the engine service at ${this.base.origin} (pulumi-dts:endpoint): ${err.message}`, tls ? "tls" : "unreachable"));
            });
            req.end(payload);
        });
    }

    private static task(raw: RemoteTask): RemoteTask {
        return { ...raw, status: raw.status === null ? null : taskStatusSchema.parse(raw.status) };
    }

    /** Creates the task; the same spec again (a retried run) is not a second task. */
    async put(spec: EngineTaskSpec, ifGeneration?: number): Promise<number> {
        const r = await this.call<{ generation: number }>("PUT", `/v1/tasks/${encodeURIComponent(spec.taskId)}`, { spec },
            ifGeneration === undefined ? {} : { "If-Match": `"${ifGeneration}"` });
        return r.body.generation;
    }

    async get(taskId: string): Promise<RemoteTask> {
        return RemoteEngineClient.task((await this.call<RemoteTask>("GET", `/v1/tasks/${encodeURIComponent(taskId)}`)).body);
    }

    /** Long-poll: returns when the task reaches `until`, fails, or after `seconds`. */
    async wait(taskId: string, until: WaitFor, seconds: number): Promise<RemoteTask> {
        const r = await this.call<RemoteTask>("POST", `/v1/tasks/${encodeURIComponent(taskId)}/wait`, { until, timeoutSeconds: seconds }, {}, (seconds + 30) * 1000);
        return RemoteEngineClient.task(r.body);
    }

    async resume(taskId: string): Promise<number> {
        return (await this.call<{ generation: number }>("POST", `/v1/tasks/${encodeURIComponent(taskId)}/resume`)).body.generation;
    }

    async release(taskId: string): Promise<void> {
        await this.call("DELETE", `/v1/tasks/${encodeURIComponent(taskId)}`);
    }

    async logs(taskId: string, lines: number): Promise<string[]> {
        return (await this.call<{ lines: string[] }>("GET", `/v1/tasks/${encodeURIComponent(taskId)}/logs?lines=${lines}`)).body.lines;
    }

    async history(taskId: string): Promise<HistoryResult> {
        return historyResultSchema.parse((await this.call<unknown>("GET", `/v1/tasks/${encodeURIComponent(taskId)}/history`)).body);
    }

    async list(): Promise<RemoteTask[]> {
        return (await this.call<{ tasks: RemoteTask[] }>("GET", "/v1/tasks")).body.tasks.map((t) => RemoteEngineClient.task(t));
    }
}
