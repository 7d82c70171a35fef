/**
 * The destination fence (issue 10 §3): a stream session claims its task at the destination
 * and every later write checks the claim in the transaction that commits it. A session that
 * started later takes the task over; the earlier one cannot write from then on. Shown at
 * the change sinks of both SQL destinations, and with two engines (two homes) running one
 * task: the one that took over goes on, the other stops, and the copy equals the source.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { FencedError, isFenced } from "../../provider/engine/checkpoint-store";
import { openDestination } from "../../provider/engine/connectors";
import type { StreamCheckpoint } from "../../provider/engine/change-sink";
import { mariaConnection, postgresConnection, removeHome, startTask, waitForSourcePosition, waitForStatus } from "../harness/engine-run";
import { dropSchemas } from "../harness/postgres";

const maria = inject("mariadb");
const pg = inject("postgres");
const at = (position: number): StreamCheckpoint => ({ position: { file: "mysql-bin.000001", position }, sourceTime: 0 });

describe("the destination fence", () => {
    it.each([
        ["MariaDB", () => mariaConnection(maria)],
        ["PostgreSQL", () => postgresConnection(pg)],
    ])("%s: a later claim takes over; the earlier session's writes are refused; epochs only grow", async (_name, conn) => {
        const taskId = `fence-${Date.now()}`;
        const dest = await openDestination(conn());
        const a = await dest.openChangeSink(() => { throw new Error("not read"); });
        const b = await dest.openChangeSink(() => { throw new Error("not read"); });
        try {
            if (!isFenced(a.checkpoints) || !isFenced(b.checkpoints)) throw new Error("SQL destinations fence their streams");
            const first = await a.checkpoints.claim(taskId);
            await a.checkpoints.write(taskId, at(100));
            const second = await b.checkpoints.claim(taskId);
            expect(second).toBe(first + 1);
            await expect(a.checkpoints.write(taskId, at(200))).rejects.toThrow(FencedError);
            expect((await b.checkpoints.read(taskId))?.position.position).toBe(100);
            await b.checkpoints.write(taskId, at(300));
            // An ownership lease's epoch: a lower one is refused, the one held again is accepted, a higher one takes over.
            await expect(a.checkpoints.claim(taskId, first)).rejects.toThrow(FencedError);
            expect(await b.checkpoints.claim(taskId, second)).toBe(second);
            expect(await a.checkpoints.claim(taskId, second + 5)).toBe(second + 5);
            await expect(b.checkpoints.write(taskId, at(400))).rejects.toThrow(/another session took this task's stream over/);
            await a.checkpoints.write(taskId, at(500));
            expect((await a.checkpoints.read(taskId))?.position.position).toBe(500);
            await dest.forgetStream(taskId);
        } finally {
            await a.close();
            await b.close();
            await dest.close();
        }
    });

    describe("two engines, one task", () => {
        const db = "fenced";
        let src: mysql.Connection;
        beforeAll(async () => {
            src = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
            await src.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
                CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL);
                INSERT INTO t SELECT seq, seq FROM seq_1_to_500;`);
            await dropSchemas(pg, [db]);
        });
        afterAll(async () => {
            await src?.end();
        });

        it("the engine that took the stream over goes on; the other stops with the reason, writing nothing; the copy equals the source", async () => {
            const task = { migrationTypes: ["schema", "full", "incremental"] as ("schema" | "full" | "incremental")[], objects: [{ database: db }], heartbeat: { enabled: false } };
            const one = startTask(mariaConnection(maria), postgresConnection(pg), task, { taskId: "twice" });
            let two: ReturnType<typeof startTask> | undefined;
            try {
                await waitForStatus(one.runner, (s) => s.phase === "running");
                await src.query(`UPDATE ${db}.t SET v = v + 1 WHERE id <= 10`);
                await waitForSourcePosition(one.runner, src);
                // Another home runs the same task (a second machine, a CI runner): incremental only, as a task taken over would.
                two = startTask(mariaConnection(maria), postgresConnection(pg), { ...task, migrationTypes: ["incremental"] }, { taskId: "twice" });
                // Once it holds the fence (its log says so), the first engine's next write is refused.
                const log = join(two.home, "tasks", "twice", "task.log");
                for (let i = 0; i < 300 && !(existsSync(log) && readFileSync(log, "utf8").includes("fence epoch")); i++) await new Promise((r) => setTimeout(r, 100));
                await src.query(`UPDATE ${db}.t SET v = v + 100 WHERE id > 490; DELETE FROM ${db}.t WHERE id = 3; INSERT INTO ${db}.t VALUES (1000, 1)`);
                const stopped = await waitForStatus(one.runner, (s) => s.phase === "failed", 30_000).catch((err: Error) => ({ error: err.message }));
                expect(JSON.stringify(stopped)).toMatch(/another session took this task's stream over at the destination/);
                await waitForSourcePosition(two.runner, src);
                const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
                await c.connect();
                const dst = (await c.query(`SELECT id, v FROM ${db}.t ORDER BY id`)).rows.map((r: { id: number; v: number }) => `${r.id}=${r.v}`);
                await c.end();
                const [rows] = await src.query<mysql.RowDataPacket[]>(`SELECT id, v FROM ${db}.t ORDER BY id`);
                expect(dst).toEqual(rows.map((r) => `${r.id}=${r.v}`));
            } finally {
                await one.runner.stop().catch(() => undefined);
                await two?.runner.stop().catch(() => undefined);
                removeHome(one.home);
                if (two) removeHome(two.home);
            }
        });
    });
});
