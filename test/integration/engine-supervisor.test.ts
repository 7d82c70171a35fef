/**
 * The local engine restarts itself (issue 10 §1): the supervisor the provider starts runs
 * the engine and starts it again when it dies, so a stream killed with SIGKILL resumes on
 * its own and later source writes arrive with no `pulumi` (or any other) command. A
 * requested stop ends engine and supervisor alike.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { taskArgsSchema } from "../../sdk/schema/task";
import { callEngine, pingEngine } from "../../provider/engine/control/client";
import { engineHome } from "../../provider/engine/home";
import type { TaskStatus } from "../../provider/engine/status";
import type { EngineTaskSpec } from "../../provider/engine/task-store";
import { mariaConnection, postgresConnection } from "../harness/engine-run";
import { dropSchemas } from "../harness/postgres";

const maria = inject("mariadb");
const pg = inject("postgres");
const db = "supervised";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the supervised local engine", () => {
    let homeDir: string;
    let home: ReturnType<typeof engineHome>;
    let src: mysql.Connection;
    let dst: Client;

    beforeAll(async () => {
        homeDir = mkdtempSync(join(tmpdir(), "dts-sup-"));
        home = engineHome(join(homeDir, "home"));
        src = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await src.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL);
            INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_1000;`);
        dst = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await dst.connect();
        await dropSchemas(pg, [db]);
    });

    afterAll(async () => {
        await callEngine({ method: "shutdown" }, { home, autostart: false }).catch(() => undefined);
        await src?.end();
        await dst?.end();
        rmSync(homeDir, { recursive: true, force: true });
    });

    /** The task's status from the engine, never starting one: a restart must come from the supervisor. */
    async function until(ok: (s: TaskStatus) => boolean, timeoutMs = 60_000): Promise<TaskStatus> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const s = await callEngine<TaskStatus>({ method: "get", taskId: "sv1" }, { home, autostart: false }).catch(() => undefined);
            if (s && ok(s)) return s;
            if (s?.phase === "failed") throw new Error(`task failed: ${s.error}`);
            if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(s?.incremental ?? s?.phase ?? "no engine")}`);
            await sleep(100);
        }
    }

    async function destinationRows(): Promise<string[]> {
        const r = await dst.query(`SELECT id::text || '=' || v AS x FROM ${db}.t ORDER BY id`);
        return r.rows.map((x: { x: string }) => x.x);
    }

    async function sourceRows(): Promise<string[]> {
        const [rows] = await src.query<mysql.RowDataPacket[]>(`SELECT CONCAT(id, '=', v) AS x FROM ${db}.t ORDER BY id`);
        return rows.map((r) => String(r.x));
    }

    it("kill -9 of the engine during a stream: it comes back by itself and later writes arrive", async () => {
        const spec: EngineTaskSpec = {
            taskId: "sv1",
            task: taskArgsSchema.parse({
                source: { connectionId: "src", engine: "mariadb" }, destination: { connectionId: "dst", engine: "postgresql" },
                migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db }], heartbeat: { enabled: false },
            }),
            source: mariaConnection(maria),
            destination: postgresConnection(pg),
        };
        await callEngine({ method: "submit", taskId: "sv1", spec }, { home });
        await until((s) => s.phase === "running");

        for (let round = 0; round < 3; round++) {
            const before = await pingEngine(home);
            expect(before).toBeDefined();
            process.kill(before!.pid, "SIGKILL");
            const killedAt = Date.now();
            // Writes while the engine is down: they must arrive once it is back, with nothing asked of it.
            await src.query(`INSERT INTO ${db}.t VALUES (${2000 + round}, 'while down'); UPDATE ${db}.t SET v = 'changed ${round}' WHERE id = ${round + 1}; DELETE FROM ${db}.t WHERE id = ${500 + round}`);
            let after: Awaited<ReturnType<typeof pingEngine>>;
            for (;;) {
                after = await pingEngine(home);
                if (after && after.pid !== before!.pid) break;
                expect(Date.now() - killedAt).toBeLessThan(15_000);
                await sleep(100);
            }
            const [[m]] = await src.query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
            await until((s) => s.phase === "running" && s.incremental?.position?.file === String(m.File) && (s.incremental.position.position ?? 0) >= Number(m.Position));
            expect(await destinationRows()).toEqual(await sourceRows());
        }
        expect(readFileSync(home.logFile, "utf8")).toMatch(/supervisor \d+: engine exited \(SIGKILL\); starting it again/);
    });

    it("a requested stop ends the engine and its supervisor: nothing starts again", async () => {
        const ping = await pingEngine(home);
        expect(ping).toBeDefined();
        await callEngine({ method: "shutdown" }, { home, autostart: false });
        for (let i = 0; i < 100 && (await pingEngine(home)); i++) await sleep(100);
        await sleep(3000);
        expect(await pingEngine(home)).toBeUndefined();
        expect(readFileSync(home.logFile, "utf8")).toMatch(/supervisor \d+: .*supervisor exiting/);
    });
});
