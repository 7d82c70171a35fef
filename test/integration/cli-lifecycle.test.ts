import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { taskArgsSchema } from "../../sdk/schema/task";
import { callEngine, pingEngine } from "../../provider/engine/control/client";
import { engineHome } from "../../provider/engine/home";
import type { TaskStatus } from "../../provider/engine/status";
import type { EngineTaskSpec } from "../../provider/engine/task-store";
import { mariaConnection } from "../harness/engine-run";

// The built CLI, as a user runs it (npx pulumi-dts), against a real engine process.
const cli = resolve(__dirname, "..", "..", "dist", "provider", "cli", "main.js");
const maria = inject("mariadb");
const db = `cl_${process.pid}`;

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

function run(homeDir: string, ...args: string[]): Promise<Run> {
    return new Promise((ok, fail) => {
        const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, PULUMI_DTS_HOME: homeDir } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d));
        child.stderr.on("data", (d: Buffer) => (stderr += d));
        child.on("error", fail);
        child.on("close", (code) => ok({ code: code ?? -1, stdout, stderr }));
    });
}

function spec(taskId: string, database: string): EngineTaskSpec {
    const conn = mariaConnection(maria);
    return {
        taskId,
        task: taskArgsSchema.parse({
            source: { connectionId: "src", engine: "mariadb" }, destination: { connectionId: "dst", engine: "mariadb" },
            migrationTypes: ["schema", "full"], objects: [{ database, renameTo: `${db}_copy` }],
        }),
        source: conn,
        destination: conn,
    };
}

async function waitDone(home: ReturnType<typeof engineHome>, taskId: string): Promise<TaskStatus> {
    const deadline = Date.now() + 60_000;
    for (;;) {
        const s = await callEngine<TaskStatus>({ method: "get", taskId }, { home });
        if (["completed", "failed", "precheck-failed"].includes(s.phase)) return s;
        if (Date.now() > deadline) throw new Error(`timed out; last status ${JSON.stringify(s).slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

describe("pulumi-dts CLI: help, status with the engine down, logs of unknown and released tasks", () => {
    let tmp: string;
    let home: ReturnType<typeof engineHome>;
    let admin: mysql.Connection;

    beforeAll(async () => {
        expect(existsSync(cli), `${cli} is missing: npm run build`).toBe(true);
        tmp = mkdtempSync(join(tmpdir(), "dts-cli-"));
        home = engineHome(join(tmp, "home"));
        admin = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await admin.query(`CREATE DATABASE ${db}; USE ${db}; CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_1000;`);
    });

    afterAll(async () => {
        await callEngine({ method: "shutdown" }, { home, autostart: false }).catch(() => undefined);
        await admin.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_copy`);
        await admin.end();
        rmSync(tmp, { recursive: true, force: true });
    });

    it("--help, -h and help print the usage and exit 0; an unknown command exits 2 with the usage", async () => {
        for (const flag of ["--help", "-h", "help"]) {
            const r = await run(home.dir, flag);
            expect(r.code, flag).toBe(0);
            expect(r.stdout).toContain("usage: pulumi-dts <command>");
            expect(r.stdout).toContain("logs <task> [lines]");
            expect(r.stdout).toContain(home.dir);
        }
        for (const args of [["frobnicate"], ["engine", "restart"], ["task", "pause", "x"], []]) {
            const r = await run(home.dir, ...args);
            expect(r.code, args.join(" ")).toBe(2);
            expect(r.stderr).toContain("usage: pulumi-dts <command>");
        }
        const bad = await run(home.dir, "logs", "../../etc");
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain("is not a task id");
    });

    it("status with the engine down lists the stored tasks with their statuses as last written, without starting the engine", async () => {
        await callEngine({ method: "submit", taskId: "done", spec: spec("done", db) }, { home });
        await callEngine({ method: "submit", taskId: "broken", spec: spec("broken", `${db}_missing`) }, { home });
        expect((await waitDone(home, "done")).phase).toBe("completed");
        expect((await waitDone(home, "broken")).phase).toBe("precheck-failed");

        const stop = await run(home.dir, "engine", "stop");
        expect(stop.code).toBe(0);
        expect(stop.stdout).toMatch(/engine \d+ stopped/);
        expect(await pingEngine(home)).toBeUndefined();

        const r = await run(home.dir, "status");
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`engine not running (home ${home.dir})`);
        expect(r.stdout).toContain("2 stored task(s), statuses as last written");
        expect(r.stdout).toMatch(/^done {2}completed {2}1,000 rows/m);
        expect(r.stdout).toMatch(/^broken {2}precheck-failed/m);
        expect(r.stdout).toContain("last written");

        const one = await run(home.dir, "status", "done");
        expect(one.code).toBe(0);
        expect(one.stdout).toContain("1 stored task(s)");
        expect(one.stdout).not.toContain("broken");
        // Reading the files must not start the engine (and resume its tasks).
        expect(await pingEngine(home)).toBeUndefined();

        // Logs are read from the files too.
        const logs = await run(home.dir, "logs", "done");
        expect(logs.code).toBe(0);
        expect(logs.stdout).toContain("completed: 1000 rows");
        expect(await pingEngine(home)).toBeUndefined();
    });

    it("logs of an unknown task exit 1 naming the task, the home and the tasks there are", async () => {
        for (const args of [["logs", "nosuch"], ["status", "nosuch"]]) {
            const r = await run(home.dir, ...args);
            expect(r.code, args.join(" ")).toBe(1);
            expect(r.stderr).toContain("no task nosuch");
            expect(r.stderr).toContain(home.dir);
            expect(r.stderr).toMatch(/known tasks: (broken, done|done, broken)/);
        }
    });

    it("a released task's log is kept, without its spec or secrets, and logs finds it", async () => {
        const before = (await run(home.dir, "logs", "broken")).stdout;
        expect(before).toContain("precheck failed");

        const rel = await run(home.dir, "task", "release", "broken");
        expect(rel.code).toBe(0);
        const kept = join(home.dir, "released", "broken.log");
        expect(rel.stdout).toContain(`its log is kept in ${kept}`);
        expect(existsSync(join(home.tasksDir, "broken"))).toBe(false);
        expect(readdirSync(join(home.dir, "released"))).toEqual(["broken.log"]);
        expect(statSync(join(home.dir, "released")).mode & 0o777).toBe(0o700);
        expect(statSync(kept).mode & 0o777).toBe(0o600);
        expect(readFileSync(kept, "utf8")).not.toContain(maria.password);

        const r = await run(home.dir, "logs", "broken");
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/task broken was released at \d{4}-\d\d-\d\dT/);
        expect(r.stderr).toContain(kept);
        expect(r.stdout).toContain("precheck failed");
        expect(r.stdout).toMatch(/released: the task's files are removed/);
        const tail = await run(home.dir, "logs", "broken", "1");
        expect(tail.stdout.trim().split("\n")).toHaveLength(1);

        // The engine answers the same for callers that ask it.
        const viaEngine = await callEngine<string[]>({ method: "logs", taskId: "broken" }, { home });
        expect(viaEngine[0]).toContain("task broken was released at");
        expect(viaEngine.join("\n")).toContain("precheck failed");

        const status = await run(home.dir, "status", "broken");
        expect(status.code).toBe(1);
        expect(status.stderr).toContain("task broken was released at");

        const unknown = await run(home.dir, "logs", "nosuch");
        expect(unknown.stderr).toContain("known tasks: done; released tasks with kept logs: broken");
        await expect(callEngine({ method: "logs", taskId: "nosuch" }, { home })).rejects.toThrow(/no task nosuch in the engine home .*known tasks: done/);

        const again = await run(home.dir, "task", "release", "broken");
        expect(again.code).toBe(1);
        expect(again.stderr).toContain("task broken was released at");
    });
});
