import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DashboardAccess, LOGIN_LINK_TTL_MS } from "../../provider/dashboard/access";
import type { EngineSnapshot } from "../../provider/dashboard/engine-snapshot";
import { type Dashboard, startDashboard } from "../../provider/dashboard/server";
import { controlToken, type EngineHome, engineHome } from "../../provider/engine/home";

const TOKEN = "a".repeat(64);

describe("dashboard access", () => {
    it("a login code works once, within its time, and gives a session cookie for this port only", () => {
        let now = 1_000_000;
        const access = new DashboardAccess(TOKEN, 4567, () => now);
        const code = access.issueLoginCode();
        const cookie = access.redeem(code)!;
        expect(cookie).toMatch(/^pulumi_dts_dashboard_4567=[\w-]{40,}; HttpOnly; SameSite=Strict; Path=\/$/);
        expect(access.redeem(code)).toBeUndefined();
        const session = cookie.split(";")[0];
        expect(access.authorized({ cookie: `other=1; ${session}` })).toBe(true);
        expect(access.authorized({ cookie: session.replace("4567", "4568") })).toBe(false);
        expect(new DashboardAccess(TOKEN, 4567).authorized({ cookie: session })).toBe(false);

        const late = access.issueLoginCode();
        now += LOGIN_LINK_TTL_MS;
        expect(access.redeem(late)).toBeUndefined();
        expect(access.redeem(null)).toBeUndefined();
        expect(access.redeem("guess")).toBeUndefined();
    });

    it("a bearer of the control token is let in; anything else is not", () => {
        const access = new DashboardAccess(TOKEN, 1);
        expect(access.authorized({ authorization: `Bearer ${TOKEN}` })).toBe(true);
        expect(access.authorized({ authorization: `bearer ${TOKEN}` })).toBe(true);
        expect(access.authorized({ authorization: `Bearer ${TOKEN.slice(1)}` })).toBe(false);
        expect(access.authorized({ authorization: TOKEN })).toBe(false);
        expect(access.authorized({})).toBe(false);
    });
});

/** A raw request: fetch sets Host itself, and these tests need to choose it. */
function get(port: number, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
    return new Promise((ok, fail) => {
        const req = request({ host: "127.0.0.1", port, path, method, headers }, (res) => {
            let body = "";
            res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => ok({ status: res.statusCode!, headers: res.headers, body }));
        });
        req.on("error", fail);
        req.end();
    });
}

describe("the dashboard server", () => {
    let dir: string;
    let home: EngineHome;
    let dash: Dashboard;
    let host: string;
    const snapshot = async (h: EngineHome): Promise<EngineSnapshot> => ({ state: "down", at: Date.now(), home: h.dir });

    beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), "dts-dash-unit-"));
        home = engineHome(dir);
        dash = await startDashboard(home, { snapshot });
        host = `127.0.0.1:${dash.port}`;
    });
    afterAll(async () => {
        await dash.close();
        rmSync(dir, { recursive: true, force: true });
    });

    it("listens on 127.0.0.1 only", () => {
        expect(dash.server.address()).toMatchObject({ address: "127.0.0.1", port: dash.port });
    });

    it("answers 401 without a session, whatever the path, with its security headers", async () => {
        for (const path of ["/", "/fragment", "/app.js", "/app.css", "/api/tasks", "/api/tasks/x/history", "/favicon.ico"]) {
            const r = await get(dash.port, path, { Host: host });
            expect(r.status, path).toBe(401);
            expect(r.headers["content-security-policy"]).toContain("default-src 'none'");
            expect(r.headers["cache-control"]).toBe("no-store");
        }
    });

    it("logs in once through a link, then serves the page; the link does not work again", async () => {
        const link = new URL(dash.loginUrl());
        expect(link.host).toBe(host);
        const login = await get(dash.port, link.pathname + link.search, { Host: host });
        expect(login.status).toBe(303);
        expect(login.headers.location).toBe("/");
        const cookie = String(login.headers["set-cookie"]).split(";")[0];
        const page = await get(dash.port, "/", { Host: host, Cookie: cookie });
        expect(page.status).toBe(200);
        expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
        expect(page.body).toContain('<script src="/app.js" defer></script>');
        expect(page.body).not.toMatch(/<script>|<style>|https?:\/\//);
        expect(page.body).toContain('data-engine="down"');
        expect((await get(dash.port, "/app.js", { Host: host, Cookie: cookie })).headers["content-type"]).toBe("text/javascript; charset=utf-8");
        expect((await get(dash.port, "/nothing", { Host: host, Cookie: cookie })).status).toBe(404);
        expect((await get(dash.port, "/", { Host: host, Cookie: cookie }, "DELETE")).status).toBe(405);
        expect((await get(dash.port, link.pathname + link.search, { Host: host })).status).toBe(401);
    });

    it("refuses another Host (DNS rebinding) before anything, even with the token", async () => {
        const token = controlToken(home);
        const r = await get(dash.port, "/", { Host: `evil.example:${dash.port}`, Authorization: `Bearer ${token}` });
        expect(r.status).toBe(421);
        expect((await get(dash.port, dash.loginUrl().replace(/^http:\/\/[^/]+/, ""), { Host: `localhost:${dash.port}` })).status).toBe(421);
    });

    it("mints login links only for a bearer of the control token", async () => {
        expect((await get(dash.port, "/api/login-links", { Host: host }, "POST")).status).toBe(401);
        const r = await get(dash.port, "/api/login-links", { Host: host, Authorization: `Bearer ${controlToken(home)}` }, "POST");
        expect(r.status).toBe(201);
        expect(JSON.parse(r.body).url).toMatch(new RegExp(`^http://${host}/login\\?code=[\\w-]+$`));
    });

    it("tells a script with the token that the engine is down (503), and refuses a malformed task id", async () => {
        const auth = { Host: host, Authorization: `Bearer ${controlToken(home)}` };
        const r = await get(dash.port, "/api/tasks", auth);
        expect(r.status).toBe(503);
        expect(JSON.parse(r.body).error).toMatch(/engine not running/);
        expect((await get(dash.port, "/api/tasks/..%2F..%2Fetc/history", auth)).status).toBe(400);
    });
});
