/**
 * Zero dates in NOT NULL columns, PostgreSQL destination (issue 16 §4): the precheck finds
 * them before the load and names the column; accepted, the rows go to the dirty-data policy.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { dropSchemas } from "../harness/postgres";
import { mariaConnection, postgresConnection, removeHome, runTask } from "../harness/engine-run";

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
});
