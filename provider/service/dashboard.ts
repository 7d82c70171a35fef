import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { LOGIN_LINK_TTL_MS } from "../dashboard/access";
import type { EngineSnapshot, TaskHistoryView } from "../dashboard/engine-snapshot";
import type { DashboardGate } from "../dashboard/server";
import type { DashboardSource } from "../dashboard/sources";
import type { PgLeaseOwnership } from "../engine/ownership/pg-leases";
import type { ControlStore } from "./control-store";
import type { Queryable } from "./db";
import type { TokenStore } from "./tokens";

/**
 * The dashboard as the engine service serves it, beside its API, read-only: the same page
 * as the local dashboard, from the control database, for the tasks of the reader's token
 * scope. Scripts send an API token; a browser signs in with a one-time link that a token's
 * bearer asks for (POST /api/login-links). Any replica may answer any request: login codes
 * are kept (by digest) in the control database and used up there, and a session is a
 * cookie signed under a key derived from the master key, which every replica has.
 */
export const LOGIN_CODE_TABLE = "dts_dashboard_login";
const SESSION_COOKIE = "pulumi_dts_dashboard";
const SESSION_MS = 12 * 3_600_000;
const digest = (s: string) => createHash("sha256").update(s).digest();

export class ServiceDashboardGate implements DashboardGate {
    private readonly sessionKey: Buffer;
    readonly signInHint = "Ask for a one-time login link with an API token: curl -X POST -H 'Authorization: Bearer dts_…' https://<service>/api/login-links";

    constructor(private readonly db: Queryable, private readonly tokens: TokenStore, masterKey: Buffer) {
        this.sessionKey = createHmac("sha256", masterKey).update("pulumi-dts dashboard sessions v1").digest();
    }

    static async ensureSchema(db: Queryable): Promise<void> {
        await db.query(`CREATE TABLE IF NOT EXISTS ${LOGIN_CODE_TABLE} (sha256 bytea PRIMARY KEY, scope text NOT NULL, expires_at timestamptz NOT NULL)`);
    }

    private sign(payload: string): string {
        return createHmac("sha256", this.sessionKey).update(payload).digest("base64url");
    }

    /** The reader's token scope: from the bearer token, or from the session cookie; null when neither is valid. */
    async scopeOf(req: IncomingMessage): Promise<string | null> {
        const caller = await this.tokens.authenticate(req.headers.authorization);
        if (caller) return caller.scope;
        const cookie = (req.headers.cookie ?? "").split(";").map((c) => c.trim()).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
        if (!cookie) return null;
        const [version, expires, scope, mac] = decodeURIComponent(cookie.slice(SESSION_COOKIE.length + 1)).split(".");
        if (version !== "v1" || !expires || scope === undefined || !mac) return null;
        const want = Buffer.from(this.sign(`v1.${expires}.${scope}`));
        const got = Buffer.from(mac);
        if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
        return Number(expires) > Date.now() ? Buffer.from(scope, "base64url").toString("utf8") : null;
    }

    async holdsToken(req: IncomingMessage): Promise<boolean> {
        return (await this.tokens.authenticate(req.headers.authorization)) !== null;
    }

    async authorized(req: IncomingMessage): Promise<boolean> {
        return (await this.scopeOf(req)) !== null;
    }

    async loginUrl(req: IncomingMessage): Promise<string> {
        const caller = await this.tokens.authenticate(req.headers.authorization);
        if (!caller) throw new Error("a login link needs a token");
        const code = randomBytes(24).toString("base64url");
        await this.db.query(`DELETE FROM ${LOGIN_CODE_TABLE} WHERE expires_at < now()`);
        await this.db.query(`INSERT INTO ${LOGIN_CODE_TABLE} (sha256, scope, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
            [digest(code), caller.scope, LOGIN_LINK_TTL_MS / 1000]);
        const scheme = (req.socket as TLSSocket).encrypted ? "https" : "http";
        return `${scheme}://${req.headers.host}/login?code=${code}`;
    }

    async redeem(code: string | null): Promise<string | undefined> {
        if (!code) return undefined;
        // Used up by the statement that finds it: of two replicas redeeming one code, one succeeds.
        const r = await this.db.query<{ scope: string }>(`DELETE FROM ${LOGIN_CODE_TABLE} WHERE sha256 = $1 AND expires_at >= now() RETURNING scope`, [digest(code)]);
        if (!r.rows.length) return undefined;
        const payload = `v1.${Date.now() + SESSION_MS}.${Buffer.from(r.rows[0].scope).toString("base64url")}`;
        return `${SESSION_COOKIE}=${encodeURIComponent(`${payload}.${this.sign(payload)}`)}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}`;
    }
}

/** The tasks of the reader's scope, from the control database (statuses as their owners last wrote them). */
export function controlStoreSource(store: ControlStore, leases: PgLeaseOwnership, gate: ServiceDashboardGate, endpoint: string): DashboardSource {
    const scoped = async (req?: IncomingMessage) => {
        const scope = req ? await gate.scopeOf(req) : null;
        if (scope === null) throw new Error("not signed in");
        return scope === "*" ? undefined : scope;
    };
    const history = async (taskId: string, req?: IncomingMessage): Promise<TaskHistoryView> => {
        const scope = await scoped(req);
        const t = (await store.list(scope)).find((x) => x.taskId === taskId);
        if (!t) return { ok: false, why: `no task ${taskId}`, code: "not-found" };
        return { ok: true, history: await store.history(taskId) };
    };
    return {
        where: `the engine service at ${endpoint}`,
        async snapshot(req): Promise<EngineSnapshot> {
            const now = Date.now();
            const tasks = (await store.list(await scoped(req))).filter((t) => t.status !== undefined && t.desired === "run");
            const owners = await leases.holders(tasks.map((t) => t.taskId));
            const views = await Promise.all(tasks.map(async (t) => ({ status: t.status!, owner: owners.get(t.taskId)?.holder ?? null, history: { ok: true as const, history: await store.history(t.taskId, now) } })));
            return { state: "service", at: now, endpoint, tasks: views, unreadable: [] };
        },
        async tasksAnswer(req) {
            const tasks = await store.list(await scoped(req));
            return { status: 200, body: { endpoint, tasks: tasks.map((t) => t.status).filter((s) => s !== undefined) } };
        },
        history,
    };
}
