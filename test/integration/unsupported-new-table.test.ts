/**
 * A table the destination cannot hold, created during the stream (issue 18 §4): with
 * unsupportedNewTables "skip" (the default) it is left out and listed, and the tables
 * created after it migrate; with "stop" the task stops naming it.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { dropSchemas } from "../harness/postgres";
import { mariaConnection, postgresConnection, removeHome, startTask, waitForStatus } from "../harness/engine-run";

const maria = inject("mariadb");
const pg = inject("postgres");

describe("a table the destination cannot hold, created during the stream", () => {
    const cleanups: (() => Promise<void>)[] = [];
    const dbs: string[] = [];
    afterAll(async () => {
        for (const f of cleanups.reverse()) await f();
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        for (const db of dbs) await c.query(`DROP DATABASE IF EXISTS ${db}`);
        await c.end();
        await dropSchemas(pg, dbs);
    });

    for (const policy of ["skip", "stop"] as const) {
        it(`unsupportedNewTables "${policy}"`, async () => {
            const db = `unsup_${policy}_${process.pid}`;
            dbs.push(db);
            const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
            cleanups.push(() => c.end());
            await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; CREATE TABLE ${db}.seed (id INT PRIMARY KEY)`);
            const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), {
                migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db }], unsupportedNewTables: policy,
            });
            cleanups.push(async () => { await runner.stop(); await runner.forgetStream(); removeHome(home); });
            await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
            await c.query(`CREATE TABLE ${db}.places (id INT PRIMARY KEY, p POINT NOT NULL); INSERT INTO ${db}.places VALUES (1, POINT(1, 2));
                ALTER TABLE ${db}.places ADD COLUMN note VARCHAR(10);
                CREATE TABLE ${db}.after_it (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO ${db}.after_it VALUES (1, 'arrives');`);
            if (policy === "stop") {
                const deadline = Date.now() + 30_000;
                while (runner.status.phase !== "failed" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
                expect(runner.status.phase).toBe("failed");
                expect(runner.status.error).toMatch(new RegExp(`cannot hold ${db}\\.places: .*${db}\\.places\\.p`));
                return;
            }
            const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
            await p.connect();
            cleanups.push(() => p.end());
            const deadline = Date.now() + 30_000;
            let rows: string[] = [];
            while (Date.now() < deadline) {
                if (runner.status.phase === "failed") throw new Error(runner.status.error);
                rows = await p.query(`SELECT id, v FROM ${db}.after_it`).then((r) => r.rows.map((x) => `${x.id}:${x.v}`), () => []);
                if (rows.length) break;
                await new Promise((r) => setTimeout(r, 100));
            }
            expect(rows).toEqual(["1:arrives"]);
            expect(runner.status.incremental!.skippedStatements.join("\n")).toMatch(new RegExp(`skipped create-table of ${db}\\.places .*unsupportedNewTables "skip"`));
            expect(runner.status.notes.join("\n")).toMatch(new RegExp(`${db}\\.places, created on the source during the stream, is not migrated`));
            expect((await p.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'places'", [db])).rowCount).toBe(0);
        });
    }
});
