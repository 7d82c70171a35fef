/**
 * A selected database with no tables yet (issue 18 §1): it is created at the destination
 * (renamed), so the views/routines step and every later DDL of the stream find it; tables
 * the source creates in it arrive with their rows.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { dropSchemas } from "../harness/postgres";
import { mariaConnection, postgresConnection, removeHome, startTask, waitForStatus } from "../harness/engine-run";

const maria = inject("mariadb");
const pg = inject("postgres");

describe("an empty selected database", () => {
    const cleanups: (() => Promise<void>)[] = [];
    const dbs: string[] = [];
    afterAll(async () => {
        for (const f of cleanups.reverse()) await f();
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        for (const db of dbs) await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_copy`);
        await c.end();
        await dropSchemas(pg, dbs);
    });

    for (const kind of ["mariadb", "postgres"] as const) {
        it(`MariaDB -> ${kind}: is created, and tables the source creates in it later follow`, async () => {
            const db = `empty_${kind.slice(0, 2)}_${process.pid}`;
            dbs.push(db);
            const target = kind === "postgres" ? db : `${db}_copy`;
            const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
            await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}`);
            const { runner, home } = startTask(mariaConnection(maria), kind === "postgres" ? postgresConnection(pg) : mariaConnection(maria), {
                migrationTypes: ["schema", "full", "incremental"],
                objects: [kind === "postgres" ? { database: db } : { database: db, renameTo: target }],
            });
            cleanups.push(async () => { await runner.stop(); await runner.forgetStream(); removeHome(home); });
            await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
            await c.query(`CREATE TABLE ${db}.later (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO ${db}.later VALUES (1, 'a'), (2, 'b'); ALTER TABLE ${db}.later ADD COLUMN w INT; UPDATE ${db}.later SET w = 7`);
            await c.end();
            const read = async (): Promise<string[]> => {
                if (kind === "postgres") {
                    const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
                    await p.connect();
                    try {
                        return (await p.query(`SELECT id, v, w FROM ${target}.later ORDER BY id`)).rows.map((r) => `${r.id}:${r.v}:${r.w}`);
                    } catch {
                        return [];
                    } finally {
                        await p.end();
                    }
                }
                const d = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });
                try {
                    return (await d.query<mysql.RowDataPacket[]>(`SELECT id, v, w FROM ${target}.later ORDER BY id`))[0].map((r) => `${r.id}:${r.v}:${r.w}`);
                } catch {
                    return [];
                } finally {
                    await d.end();
                }
            };
            const deadline = Date.now() + 30_000;
            let rows: string[] = [];
            while (Date.now() < deadline && (rows = await read()).join() !== "1:a:7,2:b:7") {
                if (runner.status.phase === "failed") throw new Error(runner.status.error);
                await new Promise((r) => setTimeout(r, 100));
            }
            expect(rows).toEqual(["1:a:7", "2:b:7"]);
            expect(runner.status.phase).toBe("running");
        });
    }
});
