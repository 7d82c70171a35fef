import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { controlToken, type EngineHome } from "../engine/home";
import { taskIdSchema } from "../engine/task-store-format";
import { DashboardAccess, LOGIN_LINK_TTL_MS } from "./access";
import type { EngineSnapshot } from "./engine-snapshot";
import { type DashboardSource, localSource } from "./sources";
import { PAGE_SCRIPT, PAGE_STYLE, renderPage, renderRefusal } from "./page";
import { renderContent } from "./render";

/**
 * The dashboard's HTTP server: read-only. The local one runs on 127.0.0.1 only, inside the
 * CLI process (`npx pulumi-dts dashboard`) for as long as that runs, and reads the engine
 * through the control socket like every other CLI command (or the engine service through
 * its API). The engine service also serves it itself, beside its API (service/dashboard.ts).
 *
 *   GET  /login?code=…      one-time login: sets the session cookie, then to /
 *   GET  /                  the page (server-rendered; its script refreshes <main>)
 *   GET  /fragment          the content of <main>
 *   GET  /app.js, /app.css  the page's script and styles
 *   GET  /api/tasks         the engine and its tasks' statuses (JSON)
 *   GET  /api/tasks/<id>/history   a task's samples (JSON)
 *   POST /api/login-links   a new one-time login link; only for a bearer of the control token
 *
 * Everything but /login needs a session or a token: 401 otherwise.
 */

export const DASHBOARD_HOST = "127.0.0.1";

export interface Dashboard {
    server: Server;
    port: number;
    /** A new one-time login URL. */
    loginUrl(): string;
    close(): Promise<void>;
}

/** What every answer carries: nothing from elsewhere, nothing inline, nothing cached, no referrer. */
const SECURITY_HEADERS: Record<string, string> = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
};

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": String(Buffer.byteLength(body)), ...headers });
    res.end(res.req.method === "HEAD" ? undefined : body);
}

const HTML = "text/html; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";

function sendJson(res: ServerResponse, status: number, value: unknown): void {
    send(res, status, JSON_TYPE, JSON.stringify(value, null, 1) + "\n");
}

/**
 * Who may read the dashboard and how a browser signs in: the local dashboard's gate is
 * DashboardAccess (the home's control token, sessions in this process); the engine
 * service's is its API tokens, with sessions any replica can check (service/dashboard.ts).
 */
export interface DashboardGate {
    /** Uses up a one-time login code; the session's Set-Cookie value, or undefined. */
    redeem(code: string | null): Promise<string | undefined>;
    /** A bearer of a token that may read (scripts, and asking for login links). */
    holdsToken(req: IncomingMessage): Promise<boolean>;
    authorized(req: IncomingMessage): Promise<boolean>;
    /** A new one-time login link, for a request that holds a token. */
    loginUrl(req: IncomingMessage): Promise<string>;
    /** What a refused browser is told to do. */
    readonly signInHint: string;
}

/**
 * The dashboard's requests, whoever serves them: the local dashboard's server, or the
 * engine service next to its API. `host`: the only Host header answered (the local
 * dashboard's defence against DNS rebinding); undefined answers any.
 */
export function dashboardHandler(source: DashboardSource, gate: DashboardGate, host?: () => string): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
    return async (req, res) => {
        // A web page elsewhere can point a name of its own at 127.0.0.1 (DNS rebinding); its
        // requests carry that name, and no cookie of ours, but are refused before anything else.
        if (host && req.headers.host !== host()) {
            send(res, 421, "text/plain; charset=utf-8", `this dashboard answers at http://${host()}/ only\n`);
            return;
        }
        const url = new URL(req.url ?? "/", "http://dashboard");
        const method = req.method ?? "GET";
        const reading = method === "GET" || method === "HEAD";
        if (url.pathname === "/login" && reading) {
            const cookie = await gate.redeem(url.searchParams.get("code"));
            if (!cookie) {
                send(res, 401, HTML, renderRefusal("Login link used or expired",
                    `A login link works once, within ${LOGIN_LINK_TTL_MS / 60_000} minutes. ${gate.signInHint}`));
                return;
            }
            // 303 to /: the code leaves the address bar, and a reload does not try it again.
            send(res, 303, "text/plain; charset=utf-8", "signed in\n", { "Set-Cookie": cookie, Location: "/" });
            return;
        }
        if (url.pathname === "/api/login-links" && method === "POST") {
            if (!(await gate.holdsToken(req))) {
                send(res, 401, JSON_TYPE, JSON.stringify({ error: "a login link needs a token (Authorization: Bearer)" }) + "\n", { "WWW-Authenticate": "Bearer" });
                return;
            }
            sendJson(res, 201, { url: await gate.loginUrl(req) });
            return;
        }
        if (!(await gate.authorized(req))) {
            send(res, 401, HTML, renderRefusal("Not signed in", gate.signInHint), { "WWW-Authenticate": "Bearer" });
            return;
        }
        if (!reading) {
            send(res, 405, "text/plain; charset=utf-8", "the dashboard is read-only\n", { Allow: "GET, HEAD" });
            return;
        }
        const history = /^\/api\/tasks\/([^/]+)\/history$/.exec(url.pathname);
        if (history) {
            const id = taskIdSchema.safeParse(decodeURIComponent(history[1]));
            if (!id.success) sendJson(res, 400, { error: `not a task id: ${id.error.issues[0]?.message}` });
            else {
                const h = await source.history(id.data, req);
                if (h.ok) sendJson(res, 200, h.history);
                else sendJson(res, h.code === "not-found" ? 404 : 503, { error: h.why });
            }
            return;
        }
        switch (url.pathname) {
            case "/":
                send(res, 200, HTML, renderPage(renderContent(await source.snapshot(req))));
                return;
            case "/fragment":
                send(res, 200, HTML, renderContent(await source.snapshot(req)));
                return;
            case "/app.js":
                send(res, 200, "text/javascript; charset=utf-8", PAGE_SCRIPT);
                return;
            case "/app.css":
                send(res, 200, "text/css; charset=utf-8", PAGE_STYLE);
                return;
            case "/api/tasks": {
                const a = await source.tasksAnswer(req);
                sendJson(res, a.status, a.body);
                return;
            }
            default:
                send(res, 404, "text/plain; charset=utf-8", "not found\n");
        }
    };
}

/**
 * Serves the dashboard on 127.0.0.1 from this process: of a home's engine (an EngineHome),
 * or of another source with the token its scripts hold (the engine service, read over its API).
 */
export async function startDashboard(from: EngineHome | { source: DashboardSource; token: string },
    opts: { port?: number; snapshot?: (home: EngineHome) => Promise<EngineSnapshot> } = {}): Promise<Dashboard> {
    const source = "source" in from ? from.source : localSource(from, opts.snapshot);
    const token = "source" in from ? from.token : controlToken(from);
    let access: DashboardAccess | undefined;
    let host = "";
    const gate: DashboardGate = {
        redeem: async (code) => access!.redeem(code),
        holdsToken: async (req) => access!.holdsToken(req.headers),
        authorized: async (req) => access!.authorized(req.headers),
        loginUrl: async () => loginUrl(),
        signInHint: "Open the login link that npx pulumi-dts dashboard printed (press Enter where it runs for a new one); scripts: Authorization: Bearer with the token.",
    };
    const handle = dashboardHandler(source, gate, () => host);

    const server = createServer((req, res) => {
        handle(req, res).catch((err) => {
            if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `dashboard error: ${(err as Error).message}\n`);
            else res.destroy();
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        // Loopback only: the dashboard is for the machine's own user, never for the network.
        server.listen(opts.port ?? 0, DASHBOARD_HOST, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    host = `${DASHBOARD_HOST}:${port}`;
    access = new DashboardAccess(token, port);
    const issuer = access;
    const loginUrl = () => `http://${host}/login?code=${issuer.issueLoginCode()}`;
    return {
        server,
        port,
        loginUrl,
        close: () => new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
        }),
    };
}
