import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EngineHome } from "../engine/home";
import { taskIdSchema } from "../engine/task-store-format";
import { DashboardAccess, LOGIN_LINK_TTL_MS } from "./access";
import type { EngineSnapshot } from "./engine-snapshot";
import { type DashboardSource, localSource } from "./sources";
import { PAGE_SCRIPT, PAGE_STYLE, renderPage, renderRefusal } from "./page";
import { renderContent } from "./render";

/**
 * The dashboard's HTTP server: read-only, on 127.0.0.1 only. It runs inside the CLI
 * process (`npx pulumi-dts dashboard`) for as long as that runs, and reads the engine
 * through the control socket like every other CLI command.
 *
 *   GET  /login?code=…      one-time login: sets the session cookie, then to /
 *   GET  /                  the page (server-rendered; its script refreshes <main>)
 *   GET  /fragment          the content of <main>
 *   GET  /app.js, /app.css  the page's script and styles
 *   GET  /api/tasks         the engine and its tasks' statuses (JSON)
 *   GET  /api/tasks/<id>/history   a task's samples (JSON)
 *   POST /api/login-links   a new one-time login link; only for a bearer of the control token
 *
 * Everything but /login needs a session or the control token: 401 otherwise.
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

/** Serves the dashboard of a home's engine (an EngineHome) or of any other source (the engine service). */
export async function startDashboard(from: EngineHome | DashboardSource, opts: { port?: number; snapshot?: (home: EngineHome) => Promise<EngineSnapshot> } = {}): Promise<Dashboard> {
    const source = "token" in from ? from : localSource(from, opts.snapshot);
    const token = source.token;
    let access: DashboardAccess | undefined;
    let host = "";

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
        // A web page elsewhere can point a name of its own at 127.0.0.1 (DNS rebinding); its
        // requests carry that name, and no cookie of ours, but are refused before anything else.
        if (!access || req.headers.host !== host) {
            send(res, 421, "text/plain; charset=utf-8", `this dashboard answers at http://${host}/ only\n`);
            return;
        }
        const url = new URL(req.url ?? "/", `http://${host}`);
        const method = req.method ?? "GET";
        const reading = method === "GET" || method === "HEAD";
        if (url.pathname === "/login" && reading) {
            const cookie = access.redeem(url.searchParams.get("code"));
            if (!cookie) {
                send(res, 401, HTML, renderRefusal("Login link used or expired",
                    `A login link works once, within ${LOGIN_LINK_TTL_MS / 60_000} minutes. Press Enter where npx pulumi-dts dashboard runs for a new one, or start it again.`));
                return;
            }
            // 303 to /: the code leaves the address bar, and a reload does not try it again.
            send(res, 303, "text/plain; charset=utf-8", "signed in\n", { "Set-Cookie": cookie, Location: "/" });
            return;
        }
        if (url.pathname === "/api/login-links" && method === "POST") {
            if (!access.holdsToken(req.headers)) {
                send(res, 401, JSON_TYPE, JSON.stringify({ error: "a login link needs the engine's control token (Authorization: Bearer)" }) + "\n", { "WWW-Authenticate": "Bearer" });
                return;
            }
            sendJson(res, 201, { url: loginUrl() });
            return;
        }
        if (!access.authorized(req.headers)) {
            send(res, 401, HTML, renderRefusal("Not signed in", "Open the login link that npx pulumi-dts dashboard printed (scripts: Authorization: Bearer with the engine's control token)."),
                { "WWW-Authenticate": "Bearer" });
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
                const h = await source.history(id.data);
                if (h.ok) sendJson(res, 200, h.history);
                else sendJson(res, h.code === "not-found" ? 404 : 503, { error: h.why });
            }
            return;
        }
        switch (url.pathname) {
            case "/":
                send(res, 200, HTML, renderPage(renderContent(await source.snapshot())));
                return;
            case "/fragment":
                send(res, 200, HTML, renderContent(await source.snapshot()));
                return;
            case "/app.js":
                send(res, 200, "text/javascript; charset=utf-8", PAGE_SCRIPT);
                return;
            case "/app.css":
                send(res, 200, "text/css; charset=utf-8", PAGE_STYLE);
                return;
            case "/api/tasks": {
                const a = await source.tasksAnswer();
                sendJson(res, a.status, a.body);
                return;
            }
            default:
                send(res, 404, "text/plain; charset=utf-8", "not found\n");
        }
    };

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
