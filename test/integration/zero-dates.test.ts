/**
 * Zero dates in NOT NULL columns, PostgreSQL destination (issue 16 §4): the precheck finds
 * them before the load and names the column; accepted, the rows go to the dirty-data policy.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { dropSchemas } from "../harness/postgres";
import { Client } from "pg";
import { mariaConnection, postgresConnection, removeHome, runTask, startTask, waitForSourcePosition, waitForStatus } from "../harness/engine-run";

const maria = inject("mariadb");
const pg = inject("postgres");

describe("zero dates in NOT NULL columns", () => {
    const db = `zerod_${process.pid}`;
    const homes: string[] = [];
    afterAll(async () => {
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });
        await c.query(`DROP DATABASE IF EXISTS ${db}`);
        await c.end();
        await dropSchemas(pg, [db]);
        homes.forEach(removeHome);
    });

    it("a key column with zero dates: alert at precheck naming it; accepted with dirtyData skip, only those rows are left out, and recorded", async () => {
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await c.query(`SET SESSION sql_mode = ''; DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db};
            CREATE TABLE ${db}.events (id INT, at DATETIME NOT NULL, d DATE NOT NULL, maybe DATETIME NULL, PRIMARY KEY (id, at));
            INSERT INTO ${db}.events VALUES (1, '2024-01-01 10:00:00', '2024-01-01', '0000-00-00 00:00:00'), (2, '0000-00-00 00:00:00', '2024-01-02', NULL), (3, '2024-01-03 00:00:00', '2020-00-15', NULL);`);
        await c.end();
        const blocked = await runTask(mariaConnection(maria), postgresConnection(pg), { migrationTypes: ["schema", "full"], objects: [{ database: db }] });
        homes.push(blocked.home);
        expect(blocked.status.phase).toBe("precheck-failed");
        const items = blocked.status.precheck!.items.filter((i) => i.id === "zero-dates");
        // Only the key column: schema migration makes the others nullable (with a note), so their zero dates arrive as NULL.
        expect(items.map((i) => [i.outcome, i.object])).toEqual([["alert", `${db}.events.at`]]);

        const ok = await runTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full"], objects: [{ database: db }], ignorePrecheckAlerts: ["zero-dates"], dirtyData: "skip",
        });
        homes.push(ok.home);
        expect(ok.status.phase).toBe("completed");
        expect(ok.status.dirtySample.map((d) => d.table)).toEqual([`${db}.events`]);
        expect(ok.status.dirtyRows).toBe(1);
        expect(ok.status.rowsCopied).toBe(2);
    });

    it("a per-column choice writes -infinity or the epoch instead, in the load and in the stream, and the column keeps NOT NULL", async () => {
        const t = `${db}_choice`;
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await c.query(`SET SESSION sql_mode = ''; DROP DATABASE IF EXISTS ${t}; CREATE DATABASE ${t};
            CREATE TABLE ${t}.events (id INT, at DATETIME NOT NULL, d DATE NOT NULL, ts TIMESTAMP NULL, PRIMARY KEY (id, at));
            INSERT INTO ${t}.events VALUES (1, '2024-01-01 10:00:00', '2024-01-01', '2024-01-01 00:00:00'), (2, '0000-00-00 00:00:00', '2020-00-15', '0000-00-00 00:00:00');`);
        const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full", "incremental"],
            objects: [{ database: t, tables: [{ name: "events", zeroDates: { at: "minus-infinity", d: "epoch", ts: "epoch" } }] }],
        });
        homes.push(home);
        try {
            await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
            await c.query(`SET SESSION sql_mode = ''; INSERT INTO ${t}.events VALUES (3, '0000-00-00 00:00:00', '0000-00-00', NULL)`);
            await waitForSourcePosition(runner, c);
            expect(runner.status.dirtyRows).toBe(0);
            const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
            await p.connect();
            const rows = (await p.query(`SELECT id, at::text, d::text, ts::text FROM ${t}.events ORDER BY id, at`)).rows.map((r) => `${r.id} ${r.at} ${r.d} ${r.ts}`);
            const nullable = (await p.query("SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'events' ORDER BY ordinal_position", [t])).rows.map((r) => `${r.column_name}:${r.is_nullable}`);
            await p.end();
            expect(rows).toEqual(["1 2024-01-01 10:00:00 2024-01-01 2024-01-01 00:00:00+00", "2 -infinity 1970-01-01 1970-01-01 00:00:00+00", "3 -infinity 1970-01-01 null"]);
            expect(nullable).toEqual(["id:NO", "at:NO", "d:NO", "ts:YES"]);
        } finally {
            await runner.stop();
            await runner.forgetStream();
            await c.query(`DROP DATABASE IF EXISTS ${t}`);
            await c.end();
            await dropSchemas(pg, [t]);
        }
    });
});
