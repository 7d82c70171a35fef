/** A MariaDB system-versioned table cannot be streamed: the precheck refuses it for incremental tasks, and a full migration copies its current rows. */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { dropSchemas } from "../harness/postgres";
import { mariaConnection, postgresConnection, removeHome, runTask } from "../harness/engine-run";

const maria = inject("mariadb");
const pg = inject("postgres");

describe("system-versioned tables", () => {
    const db = `sysver_${process.pid}`;
    const homes: string[] = [];
    afterAll(async () => {
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });
        await c.query(`DROP DATABASE IF EXISTS ${db}`);
        await c.end();
        await dropSchemas(pg, [db]);
        homes.forEach(removeHome);
    });

    it("are refused at precheck for incremental migration, and copied (current rows) by a full migration", async () => {
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; CREATE TABLE ${db}.v (id INT PRIMARY KEY, n INT) WITH SYSTEM VERSIONING;
            INSERT INTO ${db}.v VALUES (1, 1), (2, 2); UPDATE ${db}.v SET n = 10 WHERE id = 1; DELETE FROM ${db}.v WHERE id = 2;`);
        await c.end();
        const streamed = await runTask(mariaConnection(maria), postgresConnection(pg), { migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db }] });
        homes.push(streamed.home);
        expect(streamed.status.phase).toBe("precheck-failed");
        expect(streamed.status.precheck!.items.find((i) => i.id === "system-versioned-tables")).toMatchObject({ outcome: "failed", object: `${db}.v` });
        const full = await runTask(mariaConnection(maria), postgresConnection(pg), { migrationTypes: ["schema", "full"], objects: [{ database: db }] });
        homes.push(full.home);
        expect(full.status.phase).toBe("completed");
        expect(full.status.rowsCopied).toBe(1);
    });
});
