/**
 * The dashboard (issue 10 §5, local mode) in a real headless browser: a real engine runs
 * an incremental MariaDB -> PostgreSQL task with writes, `npx pulumi-dts dashboard` serves
 * the page, and Debian's chromium loads it through its one-time login link (its own CLI:
 * --dump-dom for the DOM after scripts ran, --screenshot for a picture kept as an artefact).
 *
 * Needs chromium (apt-get install -y chromium; scripts/install-system-deps.sh installs it).
 * Without it the test fails saying how to install it, unless CI_NO_BROWSER is set: then it
 * is skipped. (With chromium installed it runs whatever CI_NO_BROWSER says.)
 * Needs the build (npm run build): the engine and the CLI run from dist.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { taskArgsSchema } from "../../sdk/schema/task";
import { callEngine } from "../../provider/engine/control/client";
import { controlToken, engineHome } from "../../provider/engine/home";
import type { HistoryResult } from "../../provider/engine/metrics-history";
import type { TaskStatus } from "../../provider/engine/status";
import type { EngineTaskSpec } from "../../provider/engine/task-store";
import { mariaConnection, postgresConnection } from "../harness/engine-run";
import { dropSchemas } from "../harness/postgres";
import { browseWith, findChromium } from "../harness/browser";

const maria = inject("mariadb");
const pg = inject("postgres");
const db = `dash_${process.pid}`;
const taskId = `dash-${process.pid}`;
const repo = resolve(__dirname, "..", "..");
const artifacts = join(repo, "test-artifacts");
const screenshot = join(artifacts, "dashboard.png");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const chromium = findChromium();
const browse = (url: string, action: string[]) => browseWith(chromium!, url, action);

// A missing browser is a failed test, not six skipped ones a summary line would hide.
describe.skipIf(!chromium && process.env.CI_NO_BROWSER !== undefined)("the dashboard test's browser", () => {
    it("is installed", () => {
        if (!chromium) {
            throw new Error("chromium is not installed: the dashboard test drives a real headless browser. Install it with " +
                "`apt-get install -y chromium` (or `bash scripts/install-system-deps.sh`), or set CI_NO_BROWSER=1 to skip this test.");
        }
    });
});

/** The start tag of the first element matching `re`, with the markup up to its closing tag `close`. */
function element(dom: string, re: RegExp, close: string): string {
    const m = re.exec(dom);
    if (!m) throw new Error(`no ${re} in the page`);
    const end = dom.indexOf(close, m.index);
    return dom.slice(m.index, end < 0 ? undefined : end + close.length);
}

describe.skipIf(!chromium)("the dashboard in a headless browser", () => {
    let homeDir: string;
    let home: ReturnType<typeof engineHome>;
    let src: mysql.Connection;
    let dashboard: ChildProcess | undefined;
    let dashboardOut = "";
    let loginUrl: string;
    let base: string;

    beforeAll(async () => {
        homeDir = mkdtempSync(join(tmpdir(), "dts-dash-"));
        home = engineHome(join(homeDir, "home"));
        src = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await src.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE orders (id INT PRIMARY KEY, amount INT NOT NULL, note VARCHAR(40));
            INSERT INTO orders SELECT seq, seq * 3, CONCAT('order ', seq) FROM seq_1_to_3000;
            CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL);
            INSERT INTO customers SELECT seq, CONCAT('customer ', seq) FROM seq_1_to_700;`);
        await dropSchemas(pg, [db]);
    });

    afterAll(async () => {
        if (dashboard && dashboard.exitCode === null) dashboard.kill("SIGKILL");
        if (home) {
            const ping = await callEngine<{ pid: number; supervisor?: number }>({ method: "ping" }, { home, autostart: false }).catch(() => undefined);
            await callEngine({ method: "shutdown" }, { home, autostart: false }).catch(() => undefined);
            // The engine stops its tasks after answering (and writes their last files): wait for it to exit before removing the home.
            const alive = (pid?: number) => { try { return pid !== undefined && process.kill(pid, 0); } catch { return false; } };
            for (let i = 0; i < 100 && (alive(ping?.pid) || alive(ping?.supervisor)); i++) await sleep(100);
        }
        await src?.query(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
        await src?.end();
        await dropSchemas(pg, [db]).catch(() => undefined);
        if (homeDir) rmSync(homeDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    });

    async function status(): Promise<TaskStatus> {
        return callEngine<TaskStatus>({ method: "get", taskId }, { home, autostart: false });
    }

    async function until(ok: (s: TaskStatus) => boolean, what: string, timeoutMs = 30_000): Promise<TaskStatus> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const s = await status();
            if (s.phase === "failed") throw new Error(`task failed: ${s.error}`);
            if (ok(s)) return s;
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s.incremental ?? s.phase)}`);
            await sleep(200);
        }
    }

    it("runs an incremental task with writes, and the engine keeps its history", async () => {
        const spec: EngineTaskSpec = {
            taskId,
            task: taskArgsSchema.parse({
                source: { connectionId: "src", engine: "mariadb" }, destination: { connectionId: "dst", engine: "postgresql" },
                migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db }], heartbeat: { enabled: false },
            }),
            source: mariaConnection(maria),
            destination: postgresConnection(pg),
        };
        await callEngine({ method: "submit", taskId, spec }, { home });
        await until((s) => s.phase === "running", "the stream");

        // Writes while the engine samples: three samples (one at once, then one every 10 s) with changes in them.
        let next = 10_000;
        let history: HistoryResult;
        const deadline = Date.now() + 35_000;
        for (;;) {
            await src.query(`INSERT INTO ${db}.orders SELECT seq, seq, 'new' FROM seq_${next}_to_${next + 24}; ` +
                `UPDATE ${db}.orders SET amount = amount + 1 WHERE id BETWEEN ${(next % 3000) + 1} AND ${(next % 3000) + 10}`);
            next += 25;
            history = await callEngine<HistoryResult>({ method: "history", taskId }, { home, autostart: false });
            // The first sample can fall in the full load, which has no latency.
            const streaming = history.samples.filter((x) => x.latencySeconds !== null);
            if (streaming.length >= 3 && streaming.some((x) => x.changesPerSecond > 0)) break;
            if (Date.now() > deadline) throw new Error(`the engine kept no history in time: ${JSON.stringify(history)}`);
            await sleep(250);
        }
        expect(history.intervalSeconds).toBe(10);
        expect(history.keptSeconds).toBeGreaterThanOrEqual(6 * 3600);
        expect(existsSync(join(home.tasksDir, taskId, "history.json"))).toBe(true);

        // The page is compared with the engine's answer below: let the stream finish so both stand still.
        const [[m]] = await src.query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
        await until((s) => s.incremental?.position?.file === String(m.File) && (s.incremental.position.position ?? 0) >= Number(m.Position), "the stream to catch up");
    });

    it("npx pulumi-dts dashboard serves on 127.0.0.1 only and prints a one-time login link", async () => {
        dashboard = spawn(process.execPath, [join(repo, "dist", "provider", "cli", "main.js"), "dashboard"], {
            env: { ...process.env, PULUMI_DTS_HOME: home.dir }, stdio: ["ignore", "pipe", "pipe"],
        });
        dashboard.stdout!.setEncoding("utf8").on("data", (d: string) => (dashboardOut += d));
        dashboard.stderr!.setEncoding("utf8").on("data", (d: string) => (dashboardOut += d));
        const deadline = Date.now() + 15_000;
        let m: RegExpExecArray | null;
        while (!(m = /^open: (http:\/\/127\.0\.0\.1:(\d+)\/login\?code=\S+)$/m.exec(dashboardOut))) {
            if (dashboard.exitCode !== null || Date.now() > deadline) throw new Error(`the dashboard printed no login link:\n${dashboardOut}`);
            await sleep(50);
        }
        loginUrl = m[1];
        base = `http://127.0.0.1:${m[2]}`;
        expect(dashboardOut).toContain("Ctrl-C stops the dashboard");

        // Other interfaces of this machine: nothing listens there.
        const port = Number(m[2]);
        const others = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal).map((i) => i!.address);
        for (const address of others) {
            const refused = await new Promise<string>((done) => {
                const sock = connect({ host: address, port });
                sock.once("connect", () => {
                    sock.destroy();
                    done("connected");
                });
                sock.once("error", (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
            });
            expect(refused, `${address}:${port}`).not.toBe("connected");
        }
        console.log(`dashboard at ${base}; other interfaces checked: ${others.join(", ") || "none"}`);
    });

    it("refuses every request without a session or the token (401), and a login link used twice", async () => {
        for (const path of ["/", "/fragment", "/app.js", "/api/tasks", `/api/tasks/${taskId}/history`, "/nothing-here"]) {
            const r = await fetch(base + path, { redirect: "manual" });
            expect(r.status, path).toBe(401);
        }
        const wrong = await fetch(`${base}/api/tasks`, { headers: { Authorization: "Bearer 00112233" } });
        expect(wrong.status).toBe(401);
        const forged = await fetch(`${base}/`, { headers: { Cookie: `pulumi_dts_dashboard_${new URL(base).port}=made-up` } });
        expect(forged.status).toBe(401);
        // A login link from a token-less caller is refused too.
        expect((await fetch(`${base}/api/login-links`, { method: "POST" })).status).toBe(401);
        // And the page is read-only even for the token's holder.
        const token = controlToken(home);
        expect((await fetch(`${base}/api/tasks`, { method: "POST", headers: { Authorization: `Bearer ${token}` } })).status).toBe(405);
    });

    it("shows in chromium the engine's task id, phase and per-table rows, with charts, and no secret", async () => {
        const dom = await browse(loginUrl, ["--dump-dom"]);
        const s = await status();
        const history = await callEngine<HistoryResult>({ method: "history", taskId }, { home, autostart: false });
        // Redeemed by chromium: the link is no good again.
        expect((await fetch(loginUrl, { redirect: "manual" })).status).toBe(401);

        const section = element(dom, new RegExp(`<section class="task" id="task-${taskId}"[^>]*>`), "</section>");
        expect(section).toContain(`data-task-id="${taskId}"`);
        expect(section).toContain(`data-phase="${s.phase}"`);
        expect(s.phase).toBe("running");
        expect(section).toMatch(new RegExp(`<h2 class="task-id">${taskId}</h2><span class="phase phase-running">running</span>`));
        expect(s.tables.map((t) => t.source).sort()).toEqual([`${db}.customers`, `${db}.orders`]);
        for (const t of s.tables) {
            const row = element(section, new RegExp(`<tr data-table="${t.source.replace(".", "\\.")}"[^>]*>`), "</tr>");
            expect(row).toContain(`data-rows-copied="${t.rowsCopied}"`);
            expect(row).toContain(`data-rows-estimated="${t.rowsEstimated}"`);
            expect(row).toContain(`data-state="${t.state}"`);
            expect(row).toContain(`<td class="num rows-copied">${t.rowsCopied.toLocaleString("en-US")}</td>`);
            expect(row).toContain(`<td class="name">${t.target}</td>`);
        }
        expect(s.tables.find((t) => t.source === `${db}.orders`)!.rowsCopied).toBe(3000);
        expect(section).toContain(`data-changes-applied="${s.incremental!.changesApplied}"`);
        expect(section).toContain(`data-key="${taskId}:precheck"`);

        // Charts: an SVG each, with as many points drawn as the engine has samples.
        const charts = element(section, /<div class="charts"[^>]*>/, "</div>");
        for (const [chart, series] of [["latency", ["latency"]], ["changes", ["changes"]], ["rows", ["rows"]]] as const) {
            const svg = element(charts, new RegExp(`<svg class="chart" data-chart="${chart}"[^>]*>`), "</svg>");
            for (const key of series) {
                const g = element(svg, new RegExp(`<g class="series series-${key}" data-series="${key}" data-points="(\\d+)">`), "</g>");
                const drawn = Number(/data-points="(\d+)"/.exec(g)![1]);
                expect(drawn, `${chart}/${key}`).toBeGreaterThanOrEqual(3);
                expect(drawn, `${chart}/${key}`).toBeLessThanOrEqual(history.samples.length);
                const coords = [...g.matchAll(/<polyline points="([^"]+)"/g)].flatMap((p) => p[1].trim().split(/\s+/));
                expect(coords.length).toBe(drawn);
                expect(coords.every((c) => /^\d+(\.\d+)?,\d+(\.\d+)?$/.test(c))).toBe(true);
            }
        }

        // No secret anywhere: not the connections' passwords, not the control token.
        for (const secret of [maria.password, pg.password, controlToken(home)]) expect(dom).not.toContain(secret);
        const token = controlToken(home);
        for (const path of ["/api/tasks", `/api/tasks/${taskId}/history`, "/fragment"]) {
            const text = await (await fetch(base + path, { headers: { Authorization: `Bearer ${token}` } })).text();
            for (const secret of [maria.password, pg.password, token]) expect(text, path).not.toContain(secret);
        }
        const api = await (await fetch(`${base}/api/tasks`, { headers: { Authorization: `Bearer ${token}` } })).json() as { tasks: TaskStatus[] };
        expect(api.tasks.map((t) => [t.taskId, t.phase, t.tables])).toEqual([[s.taskId, s.phase, s.tables]]);
    });

    it("keeps a screenshot of the page", async () => {
        const token = controlToken(home);
        const link = await (await fetch(`${base}/api/login-links`, { method: "POST", headers: { Authorization: `Bearer ${token}` } })).json() as { url: string };
        mkdirSync(artifacts, { recursive: true });
        rmSync(screenshot, { force: true });
        await browse(link.url, [`--screenshot=${screenshot}`, "--window-size=1280,1600", "--hide-scrollbars"]);
        expect(statSync(screenshot).size).toBeGreaterThan(20_000);
        expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe("PNG");
        console.log(`dashboard screenshot: ${screenshot}`);
    });

    it("Ctrl-C stops the dashboard", async () => {
        dashboard!.kill("SIGINT");
        const code = await new Promise<number | null>((done) => {
            if (dashboard!.exitCode !== null) done(dashboard!.exitCode);
            else dashboard!.once("exit", (c) => done(c));
        });
        expect(code).toBe(0);
        expect(dashboardOut).toContain("dashboard stopping (SIGINT)");
        await expect(fetch(`${base}/`)).rejects.toThrow();
    });
});
