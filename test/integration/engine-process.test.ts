import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { taskArgsSchema } from "../../sdk/schema/task";
import { callEngine, pingEngine, spawnEngine } from "../../provider/engine/control/client";
import { engineHome } from "../../provider/engine/home";
import type { TaskStatus } from "../../provider/engine/status";
import type { Checkpoint, EngineTaskSpec } from "../../provider/engine/task-store";
import { mariaConnection } from "../harness/engine-run";

// These tests drive the real engine process (dist/provider/engine/main.js), as the provider does.
const maria = inject("mariadb");
const db = `ep_${process.pid}`;
const ROWS = 200_000;

function spec(taskId: string, objects: unknown, extra: Record<string, unknown> = {}): EngineTaskSpec {
    const conn = mariaConnection(maria);
    return {
        taskId,
        task: taskArgsSchema.parse({ source: { connectionId: "src", engine: "mariadb" }, destination: { connectionId: "dst", engine: "mariadb" }, migrationTypes: ["schema", "full"], objects, ...extra }),
        source: conn,
        destination: conn,
    };
}

async function waitUntil(home: ReturnType<typeof engineHome>, taskId: string, done: (s: TaskStatus) => boolean, timeoutMs = 120_000): Promise<TaskStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const s = await callEngine<TaskStatus>({ method: "get", taskId }, { home });
        if (done(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out; last status ${JSON.stringify(s).slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

describe("engine process", () => {
    let homeDir: string;
    let home: ReturnType<typeof engineHome>;
    let admin: mysql.Connection;

    beforeAll(async () => {
        homeDir = mkdtempSync(join(tmpdir(), "dts-engine-"));
        home = engineHome(join(homeDir, "home"));
        admin = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await admin.query(`CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(30) NOT NULL);
            INSERT INTO big SELECT seq, CONCAT('value-', seq) FROM seq_1_to_${ROWS};
            CREATE TABLE small (id INT PRIMARY KEY, v INT);
            INSERT INTO small SELECT seq, seq FROM seq_1_to_20000;`);
    });

    afterAll(async () => {
        await callEngine({ method: "shutdown" }, { home, autostart: false }).catch(() => undefined);
        await admin.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_k; DROP DATABASE IF EXISTS ${db}_t; DROP DATABASE IF EXISTS ${db}_u`);
        await admin.end();
        rmSync(homeDir, { recursive: true, force: true });
    });

    it("starts on demand, keeps its home private, and never writes the password where others can read it", async () => {
        const r = await callEngine<{ pid: number }>({ method: "ping" }, { home });
        expect(r.pid).toBeGreaterThan(0);
        expect(statSync(home.dir).mode & 0o777).toBe(0o700);
        expect(statSync(home.tokenFile).mode & 0o777).toBe(0o600);
        expect(statSync(home.socket).mode & 0o777).toBe(0o600);
    });

    it("a killed engine restarts on the next call and resumes the load without re-copying finished chunks or duplicating rows", async () => {
        // Throttled so the kill lands mid-load.
        await callEngine({ method: "submit", taskId: "kill", spec: spec("kill", [{ database: db, renameTo: `${db}_k`, tables: [{ name: "big" }] }], { throttle: { full: { rps: 40_000 } } }) }, { home });
        await waitUntil(home, "kill", (s) => s.phase === "migrating-full" && s.tables[0].chunksDone >= 1);
        const pid = (await pingEngine(home))!.pid;
        process.kill(pid, "SIGKILL");
        const cp = JSON.parse(readFileSync(join(home.tasksDir, "kill", "checkpoint.json"), "utf8")) as Checkpoint;
        const doneBefore = cp.tables[`${db}.big`].chunks!.map((c, i) => (c.state === "done" ? i + 1 : 0)).filter(Boolean);
        const total = cp.tables[`${db}.big`].chunks!.length;
        expect(doneBefore.length).toBeGreaterThan(0);
        expect(doneBefore.length).toBeLessThan(total);
        const logBefore = readFileSync(join(home.tasksDir, "kill", "task.log"), "utf8").split("\n").length;

        // The next call (as the provider's next hook would) starts a new engine, which resumes the task.
        const s = await waitUntil(home, "kill", (x) => x.phase === "completed" || x.phase === "failed");
        expect(s.error).toBeUndefined();
        expect(s.phase).toBe("completed");
        expect((await pingEngine(home))!.pid).not.toBe(pid);
        const after = readFileSync(join(home.tasksDir, "kill", "task.log"), "utf8").split("\n").slice(logBefore - 1).join("\n");
        for (const i of doneBefore) expect(after).not.toMatch(new RegExp(`chunk ${i}/${total}\\b`));
        const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM ${db}_k.big`);
        expect(rows[0]).toMatchObject({ n: ROWS, d: ROWS });
        const [sums] = await admin.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE ${db}.big, ${db}_k.big`);
        expect(sums[0].Checksum).toBe(sums[1].Checksum);
        // The spec holds the password (to resume after a restart): owner-only. Logs never hold it.
        expect(statSync(join(home.tasksDir, "kill", "spec.json")).mode & 0o777).toBe(0o600);
        expect(readFileSync(join(home.tasksDir, "kill", "task.log"), "utf8")).not.toContain(maria.password);
        expect(readFileSync(home.logFile, "utf8")).not.toContain(maria.password);
    });

    it("throttling: rows written never run ahead of the configured rows per second", async () => {
        const rps = 20_000;
        await callEngine({ method: "submit", taskId: "throttle", spec: spec("throttle", [{ database: db, renameTo: `${db}_t`, tables: [{ name: "big" }] }], { throttle: { full: { rps } } }) }, { home });
        const start = Date.now();
        let samples = 0;
        for (;;) {
            const s = await callEngine<TaskStatus>({ method: "get", taskId: "throttle" }, { home });
            const elapsed = (Date.now() - start) / 1000;
            // Token bucket: at most one second of burst, plus one read batch per worker in flight.
            expect(s.rowsCopied).toBeLessThanOrEqual(rps * (elapsed + 1) + 4 * 2000);
            samples++;
            if (s.phase === "completed" || s.phase === "failed") {
                expect(s.phase).toBe("completed");
                break;
            }
            await new Promise((r) => setTimeout(r, 250));
        }
        expect(samples).toBeGreaterThan(10);
    });

    it("engines started in a race leave exactly one running per home", async () => {
        await callEngine({ method: "shutdown" }, { home, autostart: false }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
        spawnEngine(home);
        spawnEngine(home);
        spawnEngine(home);
        await callEngine({ method: "ping" }, { home });
        await new Promise((r) => setTimeout(r, 1500));
        const engines = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).filter((pid) => {
            try {
                const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
                const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
                return cmd.includes("engine/main.js") && env.includes(`PULUMI_DTS_HOME=${home.dir}`);
            } catch {
                return false;
            }
        });
        expect(engines).toHaveLength(1);
    });

    it("the provider's read reports a task's status, and a task gone from the engine as gone", async () => {
        const saved = process.env.PULUMI_DTS_HOME;
        process.env.PULUMI_DTS_HOME = home.dir;
        try {
            const hooks = await import("../../provider/hooks/task");
            const live = await hooks.read("kill", { taskId: "kill" });
            expect(live).toMatchObject({ id: "kill", props: { status: "completed", rowsCopied: ROWS } });
            expect(await hooks.read("no-such-task", { taskId: "no-such-task" })).toEqual({ id: undefined, props: {} });
        } finally {
            if (saved === undefined) delete process.env.PULUMI_DTS_HOME;
            else process.env.PULUMI_DTS_HOME = saved;
        }
    });

    it("runs two tasks side by side", async () => {
        await callEngine({ method: "submit", taskId: "a", spec: spec("a", [{ database: db, renameTo: `${db}_u`, tables: [{ name: "small" }] }]) }, { home });
        await callEngine({ method: "submit", taskId: "b", spec: spec("b", [{ database: db, renameTo: `${db}_u`, tables: [{ name: "big", renameTo: "big2" }] }]) }, { home });
        const [a, b] = await Promise.all([
            waitUntil(home, "a", (s) => ["completed", "failed"].includes(s.phase)),
            waitUntil(home, "b", (s) => ["completed", "failed"].includes(s.phase)),
        ]);
        expect([a.phase, b.phase]).toEqual(["completed", "completed"]);
        const list = await callEngine<TaskStatus[]>({ method: "list" }, { home });
        expect(list.map((t) => t.taskId).sort()).toEqual(["a", "b", "kill", "throttle"]);
        await callEngine({ method: "release", taskId: "a" }, { home });
        expect((await callEngine<TaskStatus[]>({ method: "list" }, { home })).map((t) => t.taskId)).not.toContain("a");
    });
});
