import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { z } from "zod";
import { renderMetrics } from "../engine/metrics";
import type { LeaseHolder, PgLeaseOwnership } from "../engine/ownership/pg-leases";
import { reached, defaultWaitFor } from "../engine/readiness";
import type { TaskStatus } from "../engine/status";
import { engineTaskSpecSchema, taskIdSchema } from "../engine/task-store-format";
import { describeIssues } from "../engine/versioned-json";
import { type ControlStore, GenerationConflictError, type StoredTask } from "./control-store";
import type { Caller, TokenStore } from "./tokens";

/**
 * The engine service's HTTP API, version 1: JSON, bearer tokens (tokens.ts), the same
 * semantics as the local engine's control socket. Any replica answers any call: the state
 * is in the control database, and the replica that holds a task follows it there.
 *
 *   PUT    /v1/tasks/<id>          create (idempotent: the same spec again is a no-op), or update with If-Match: <generation>
 *   GET    /v1/tasks               the caller's tasks
 *   GET    /v1/tasks/<id>          generation, desired state, status, owner (never the spec: it holds the secrets)
 *   POST   /v1/tasks/<id>/wait     long-poll until the task reaches a readiness gate, fails, or the poll's time is up
 *   POST   /v1/tasks/<id>/resume   a new generation with the same spec: the owner runs a failed task again
 *   DELETE /v1/tasks/<id>          release (idempotent); the owner stops the task and forgets its stream
 *   GET    /v1/tasks/<id>/logs     the task's last log lines
 *   GET    /v1/tasks/<id>/history  the charts' samples of the last hours (metrics-history.ts)
 *   GET    /metrics                Prometheus text, per task
 *   GET    /healthz, /readyz       liveness (the process serves), readiness (its leases are renewed)
 *   GET    /, /login, /api/…       the read-only dashboard (service/dashboard.ts)
 *
 * A token sees the tasks its scope created; scope "*" (the bootstrap token) sees all.
 */
export interface ApiContext {
    store: ControlStore;
    leases: PgLeaseOwnership;
    tokens: TokenStore;
    ready(): boolean;
    log(line: string): void;
    /** mTLS: every call but the probes needs a client certificate the service's client CA signed. */
    clientCertificates?: boolean;
    /** The read-only dashboard served beside the API (paths outside /v1, /metrics and the probes). */
    dashboard?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

export const API_VERSION = 1;
const MAX_BODY = 4 * 1024 * 1024;
const MAX_WAIT_SECONDS = 60;

class HttpError extends Error {
    constructor(readonly status: number, message: string, readonly code: string) {
        super(message);
    }
}

const putBodySchema = z.object({ spec: engineTaskSpecSchema.extend({ taskId: taskIdSchema.optional() }) });
const waitBodySchema = z.object({
    until: z.enum(["started", "full-completed", "caught-up"]).optional(),
    timeoutSeconds: z.number().positive().max(MAX_WAIT_SECONDS).default(25),
});

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    const body = JSON.stringify(value) + "\n";
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)), "Cache-Control": "no-store", ...headers });
    res.end(body);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
        size += (c as Buffer).length;
        if (size > MAX_BODY) throw new HttpError(413, `the request body is over ${MAX_BODY} bytes`, "too-large");
        chunks.push(c as Buffer);
    }
    if (!size) return {};
    try {
        return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
        throw new HttpError(400, "the request body is not JSON", "bad-request");
    }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const r = schema.safeParse(value);
    if (!r.success) throw new HttpError(400, `bad ${what}: ${describeIssues(r.error, what).text}`, "bad-request");
    return r.data;
}

/** A task of another scope is as absent as one that does not exist: its id tells nothing. */
function visible(task: { scope: string } | null, caller: Caller): boolean {
    return task !== null && (caller.scope === "*" || task.scope === caller.scope);
}

function view(t: { taskId: string; generation: number; desired: string; status: TaskStatus | undefined }, owner: LeaseHolder | undefined) {
    return { taskId: t.taskId, generation: t.generation, desired: t.desired, status: t.status ?? null, owner: owner ?? { holder: null, epoch: 0 } };
}

export function apiHandler(ctx: ApiContext): (req: IncomingMessage, res: ServerResponse) => void {
    const route = async (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? "/", "http://service");
        const path = url.pathname;
        const method = req.method ?? "GET";
        if (path === "/healthz") return sendJson(res, 200, { ok: true });
        if (path === "/readyz") return ctx.ready() ? sendJson(res, 200, { ready: true }) : sendJson(res, 503, { ready: false, why: "leases not renewed within the TTL (control database unreachable?)" });
        if (ctx.clientCertificates && !(req.socket as TLSSocket).authorized) {
            return sendJson(res, 401, { error: `a client certificate signed by the service's client CA is needed (mTLS): ${(req.socket as TLSSocket).authorizationError ?? "none was sent"}`, code: "unauthorized" });
        }
        if (ctx.dashboard && !path.startsWith("/v1/") && path !== "/metrics") return ctx.dashboard(req, res);
        const caller = await ctx.tokens.authenticate(req.headers.authorization);
        if (!caller) return sendJson(res, 401, { error: "a valid bearer token is needed (Authorization: Bearer dts_…)", code: "unauthorized" }, { "WWW-Authenticate": "Bearer" });
        if (path === "/metrics" && method === "GET") {
            const tasks = (await ctx.store.list(caller.scope === "*" ? undefined : caller.scope)).filter((t) => t.status).map((t) => t.status!);
            const body = renderMetrics(tasks);
            res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)) });
            return res.end(body);
        }
        if (path === "/v1/tasks" && method === "GET") {
            const tasks = await ctx.store.list(caller.scope === "*" ? undefined : caller.scope);
            const owners = await ctx.leases.holders(tasks.map((t) => t.taskId));
            return sendJson(res, 200, { tasks: tasks.map((t) => view(t, owners.get(t.taskId))) });
        }
        const m = /^\/v1\/tasks\/([^/]+)(?:\/(wait|resume|logs|history))?$/.exec(path);
        if (!m) throw new HttpError(404, `no route ${method} ${path}`, "not-found");
        const taskId = parse(taskIdSchema, decodeURIComponent(m[1]), "task id");
        const action = m[2];
        const find = async (): Promise<StoredTask> => {
            const t = await ctx.store.get(taskId);
            if (!t || !visible(t, caller)) throw new HttpError(404, `no task ${taskId}`, "not-found");
            return t;
        };
        if (!action && method === "PUT") {
            const body = parse(putBodySchema, await readBody(req), "request body");
            if (body.spec.taskId !== undefined && body.spec.taskId !== taskId) throw new HttpError(400, `spec.taskId must be the path's task id ${taskId}`, "bad-request");
            const ifMatch = req.headers["if-match"];
            const expected = ifMatch === undefined ? undefined : Number(String(ifMatch).replace(/"/g, ""));
            if (expected !== undefined && !Number.isInteger(expected)) throw new HttpError(400, `If-Match must be a generation number, not ${ifMatch}`, "bad-request");
            const existing = await ctx.store.get(taskId);
            if (existing && !visible(existing, caller)) throw new HttpError(409, `task ${taskId} exists under another token scope`, "exists");
            if (existing?.desired === "released") throw new HttpError(409, `task ${taskId} is being released; wait until it is gone`, "releasing");
            try {
                const generation = await ctx.store.put({ ...body.spec, taskId }, expected, caller.scope);
                await ctx.leases.register(taskId);
                ctx.log(`task ${taskId}: generation ${generation} (token ${caller.tokenId})`);
                return sendJson(res, existing ? 200 : 201, { taskId, generation }, { ETag: `"${generation}"` });
            } catch (err) {
                if (err instanceof GenerationConflictError) {
                    throw expected === undefined
                        ? new HttpError(409, `task ${taskId} exists with another spec (generation ${err.current}); update it with If-Match: <generation>`, "exists")
                        : new HttpError(412, err.message, "generation-conflict");
                }
                throw err;
            }
        }
        if (!action && method === "GET") {
            const t = await find();
            return sendJson(res, 200, view(t, (await ctx.leases.holders([taskId])).get(taskId)), { ETag: `"${t.generation}"` });
        }
        if (!action && method === "DELETE") {
            await find();
            await ctx.store.release(taskId);
            ctx.log(`task ${taskId}: release requested (token ${caller.tokenId})`);
            return sendJson(res, 202, { released: true });
        }
        if (action === "logs" && method === "GET") {
            await find();
            const lines = Math.min(10_000, Math.max(1, Number(url.searchParams.get("lines") ?? 200) || 200));
            return sendJson(res, 200, { lines: await ctx.store.logs(taskId, lines) });
        }
        if (action === "history" && method === "GET") {
            await find();
            return sendJson(res, 200, await ctx.store.history(taskId));
        }
        if (action === "resume" && method === "POST") {
            const t = await find();
            const generation = await ctx.store.put(t.spec, t.generation);
            return sendJson(res, 200, { taskId, generation });
        }
        if (action === "wait" && method === "POST") {
            const body = parse(waitBodySchema, await readBody(req), "request body");
            const deadline = Date.now() + body.timeoutSeconds * 1000;
            for (;;) {
                const t = await find();
                const until = body.until ?? defaultWaitFor(t.spec.task);
                const s = t.status;
                const done = s !== undefined && (reached(s, until, t.spec.task) || s.phase === "failed" || s.phase === "precheck-failed");
                if (done || Date.now() >= deadline || req.socket.destroyed) {
                    return sendJson(res, 200, { reached: s !== undefined && reached(s, until, t.spec.task), ...view(t, (await ctx.leases.holders([taskId])).get(taskId)) });
                }
                await new Promise((r) => setTimeout(r, 500));
            }
        }
        throw new HttpError(405, `${method} is not allowed on ${path}`, "method-not-allowed");
    };
    return (req, res) => {
        route(req, res).catch((err) => {
            if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message, code: err.code });
            ctx.log(`${req.method} ${req.url}: ${(err as Error).message}`);
            sendJson(res, 500, { error: `the service failed: ${(err as Error).message}`, code: "internal" });
        });
    };
}
