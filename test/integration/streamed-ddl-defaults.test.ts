/**
 * DDL that arrives through the stream gets the same translation as schema migration
 * (issue 18 §3): TIME defaults MySQL accepts in odd spellings ('0000-00-00 01:00:00.000' is
 * stored as 01:00:00), in a CREATE TABLE and in an ALTER TABLE … ADD COLUMN, at PostgreSQL.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { dropSchemas } from "../harness/postgres";
import { mariaConnection, postgresConnection, removeHome, startTask, waitForStatus } from "../harness/engine-run";

const maria = inject("mariadb");
const pg = inject("postgres");

describe("TIME defaults in streamed DDL", () => {
    const db = `tdef_${process.pid}`;
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
        for (const f of cleanups.reverse()) await f();
        await dropSchemas(pg, [db, `${db}_schema`]);
    });

    it("a table created and altered during the stream gets the defaults schema migration gives it", async () => {
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        cleanups.push(async () => { await c.query(`DROP DATABASE IF EXISTS ${db}`); await c.end(); });
        await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; CREATE TABLE ${db}.seed (id INT PRIMARY KEY)`);
        const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), { migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db }] });
        cleanups.push(async () => { await runner.stop(); await runner.forgetStream(); removeHome(home); });
        await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
        await c.query(`CREATE TABLE ${db}.timed (id INT PRIMARY KEY, t TIME(3) NOT NULL DEFAULT '0000-00-00 01:00:00.000', u TIME DEFAULT '-838:59:59');
            INSERT INTO ${db}.timed (id) VALUES (1);
            ALTER TABLE ${db}.timed ADD COLUMN v TIME(2) DEFAULT '0000-00-00 02:30:00.50';
            INSERT INTO ${db}.timed (id) VALUES (2);`);
        const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await p.connect();
        cleanups.push(() => p.end());
        const deadline = Date.now() + 30_000;
        let rows: string[] = [];
        for (;;) {
            if (runner.status.phase === "failed") throw new Error(runner.status.error);
            rows = await p.query(`SELECT id, t::text, u::text, v::text FROM ${db}.timed ORDER BY id`).then((r) => r.rows.map((x) => `${x.id} ${x.t} ${x.u} ${x.v}`), () => []);
            if (rows.length === 2 || Date.now() > deadline) break;
            await new Promise((r) => setTimeout(r, 100));
        }
        expect(runner.status.retrying?.error).toBeUndefined();
        expect(runner.status.incremental?.skippedStatements ?? []).toEqual([]);
        expect(rows).toEqual(["1 01:00:00 -838:59:59 02:30:00.5", "2 01:00:00 -838:59:59 02:30:00.5"]);
    });
});
