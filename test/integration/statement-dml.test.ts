/**
 * DML a source session logs as a statement (SET SESSION binlog_format = 'STATEMENT') reaches
 * the stream as text, without its rows, and must stop the task (StatementLoggedDmlError):
 * - a multi-table UPDATE that writes a migrated table through a join with one the task does
 *   not migrate names the written table (reading only the UPDATE's first table, the
 *   unmigrated one, let the stream go on with the destination silently out of date);
 * - SELECT f() of a stored function that writes a migrated table (MariaDB logs DO f() and
 *   SET @v = f() the same way) names the function's database: what it wrote is unknown;
 * - CREATE TABLE … SELECT of a table a whole-database selection takes in: its rows are not
 *   in the binlog (a ROW session logs the generated CREATE TABLE, then the rows).
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { dropSchemas } from "../harness/postgres";
import { mariaConnection, postgresConnection, removeHome, startTask, waitForStatus } from "../harness/engine-run";
import type { TaskRunner } from "../../provider/engine/task-runner";
import type { TaskStatus } from "../../provider/engine/status";

const maria = inject("mariadb");
const pg = inject("postgres");
async function admin(database?: string) {
    return mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true, database });
}

const caughtUp = (s: TaskStatus) => s.phase === "running" && s.incremental?.caughtUp === true;

async function waitFailed(runner: TaskRunner, timeoutMs = 60_000): Promise<TaskStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const s = runner.status;
        if (s.phase === "failed") return s;
        if (Date.now() > deadline) throw new Error(`still ${s.phase} (no failure): ${JSON.stringify(s.incremental)}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

async function pgRows(sql: string): Promise<Record<string, unknown>[]> {
    const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
    await c.connect();
    try {
        return (await c.query(sql)).rows;
    } finally {
        await c.end();
    }
}

describe("incremental stream: DML logged as a statement", () => {
    const homes: string[] = [];
    const runners: TaskRunner[] = [];
    const db = `stmt_dml_${process.pid}`;
    const dbs = [db];
    afterAll(async () => {
        for (const r of runners) await r.stop();
        const c = await admin();
        for (const d of dbs) await c.query(`DROP DATABASE IF EXISTS ${d}`);
        await c.end();
        await dropSchemas(pg, dbs);
        homes.forEach(removeHome);
    });

    it("UPDATE a JOIN b … SET b.x under binlog_format STATEMENT stops the task naming b", async () => {
        const c = await admin();
        await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
            CREATE TABLE b (id INT PRIMARY KEY, x VARCHAR(20)) ENGINE=InnoDB;
            INSERT INTO a VALUES (1, 'new-1'), (2, 'new-2');
            INSERT INTO b VALUES (1, 'old-1'), (2, 'old-2');`);
        await c.end();
        // Only b is migrated: the statement's first table (a) is not.
        const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full", "incremental"],
            objects: [{ database: db, tables: [{ name: "b" }] }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, caughtUp);

        const s = await admin(db);
        // A row-logged change first: it arrives, so the stream was following b.
        await s.query("UPDATE b SET x = 'row-logged' WHERE id = 2");
        await waitForStatus(runner, (x) => caughtUp(x) && x.incremental!.changesApplied >= 1, 60_000);
        await s.query("SET SESSION binlog_format = 'STATEMENT'");
        await s.query("UPDATE a JOIN b ON a.id = b.id SET b.x = a.v WHERE a.id = 1");
        await s.end();

        const failed = await waitFailed(runner);
        expect(failed.error).toContain(`the source logged a change to ${db}.b as a statement`);
        expect(failed.error).toContain("UPDATE a JOIN b ON a.id = b.id SET b.x = a.v");
        expect(failed.error).toContain("binlog_format = 'ROW'");
        // Nothing after the row-logged change was applied as if the statement had not happened.
        expect(await pgRows(`SELECT id, x FROM "${db}"."b" ORDER BY id`)).toEqual([{ id: 1, x: "old-1" }, { id: 2, x: "row-logged" }]);
    });

    it("SELECT f() logged for a function that writes b stops the task naming the database", async () => {
        const db2 = `${db}_f`;
        dbs.push(db2);
        const c = await admin();
        await c.query(`DROP DATABASE IF EXISTS ${db2}; CREATE DATABASE ${db2}; USE ${db2};
            CREATE TABLE b (id INT PRIMARY KEY, x VARCHAR(20)) ENGINE=InnoDB;
            INSERT INTO b VALUES (1, 'old-1');
            CREATE FUNCTION f() RETURNS INT DETERMINISTIC MODIFIES SQL DATA BEGIN UPDATE b SET x = 'by-f'; RETURN 1; END;`);
        await c.end();
        const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full", "incremental"],
            objects: [{ database: db2, tables: [{ name: "b" }] }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, caughtUp);
        const s = await admin(db2);
        await s.query("SET SESSION binlog_format = 'STATEMENT'");
        await s.query("SELECT f()");
        await s.end();
        const failed = await waitFailed(runner);
        expect(failed.error).toContain(`the source logged a change to ${db2}.* as a statement`);
        expect(failed.error).toContain(`SELECT \`${db2}\`.\`f\`()`);
        expect(await pgRows(`SELECT id, x FROM "${db2}"."b" ORDER BY id`)).toEqual([{ id: 1, x: "old-1" }]);
    });

    it("CREATE TABLE … SELECT logged as a statement stops a whole-database task", async () => {
        const db3 = `${db}_c`;
        dbs.push(db3);
        const c = await admin();
        await c.query(`DROP DATABASE IF EXISTS ${db3}; CREATE DATABASE ${db3}; USE ${db3};
            CREATE TABLE a (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO a VALUES (1), (2);`);
        await c.end();
        const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full", "incremental"],
            objects: [{ database: db3 }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, caughtUp);
        const s = await admin(db3);
        await s.query("SET SESSION binlog_format = 'STATEMENT'");
        await s.query("CREATE TABLE c SELECT * FROM a");
        await s.end();
        const failed = await waitFailed(runner);
        expect(failed.error).toContain(`the source logged a change to ${db3}.c as a statement`);
    });
});
