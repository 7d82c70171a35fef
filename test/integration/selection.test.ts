import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { mariaConnection, postgresConnection, removeHome, runTask } from "../harness/engine-run";

const maria = inject("mariadb");
const pg = inject("postgres");
const db = `sel_${process.pid}`;

describe("object selection, renames, filters, conflicts and precheck", () => {
    let admin: mysql.Connection;
    let p: Client;
    const homes: string[] = [];

    beforeAll(async () => {
        admin = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await admin.query(`CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE Orders (id INT PRIMARY KEY, Total DECIMAL(8,2), status VARCHAR(10), secret VARCHAR(20));
            INSERT INTO Orders SELECT seq, seq, IF(seq % 2 = 0, 'paid', 'open'), 'hidden' FROM seq_1_to_200;
            CREATE TABLE nokey (a INT, b INT);
            INSERT INTO nokey VALUES (1, 1), (2, 2);`);
        p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await p.connect();
    });

    afterAll(async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_m; DROP DATABASE IF EXISTS ${db}_m0; DROP DATABASE IF EXISTS ${db}_i`);
        await admin.end();
        for (const s of [`${db}_pg`, `${db}_pg2`, `${db}_up`]) await p.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
        await p.end();
        homes.forEach(removeHome);
    });

    it("renames database, table and columns, keeps only selected columns and rows matching the filter (to PostgreSQL)", async () => {
        const { status, home } = await runTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full"],
            objects: [{ database: db, renameTo: `${db}_pg`, tables: [{ name: "Orders", renameTo: "orders_v2", columns: ["id", { name: "Total", renameTo: "amount" }, "status"], where: "status = 'paid' AND id > 100" }] }],
        });
        homes.push(home);
        expect(status.error).toBeUndefined();
        expect(status.phase).toBe("completed");
        const cols = await p.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'orders_v2' ORDER BY ordinal_position`, [`${db}_pg`]);
        expect(cols.rows.map((r) => r.column_name)).toEqual(["id", "amount", "status"]);
        const rows = await p.query(`SELECT count(*)::int AS n, min(id) AS lo, sum(amount)::text AS s FROM "${db}_pg".orders_v2`);
        expect(rows.rows[0]).toEqual({ n: 50, lo: 102, s: "7550.00" });
    });

    it("the upper-case name policy applies to everything generated", async () => {
        const { status, home } = await runTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full"], nameCase: "upper",
            objects: [{ database: db, renameTo: `${db}_up`, tables: [{ name: "Orders", columns: ["id", "Total"] }] }],
        });
        homes.push(home);
        expect(status.phase).toBe("completed");
        const cols = await p.query(`SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE table_schema = $1 ORDER BY ordinal_position`, [`${db}_up`.toUpperCase()]);
        expect(cols.rows.map((r) => `${r.table_name}.${r.column_name}`)).toEqual(["ORDERS.ID", "ORDERS.TOTAL"]);
    });

    it("a table without a primary key is copied in one piece; where a redo could duplicate rows it blocks as an alert until accepted", async () => {
        const plain = await runTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full"], objects: [{ database: db, renameTo: `${db}_m0`, tables: [{ name: "nokey" }] }],
        });
        homes.push(plain.home);
        expect(plain.status.phase).toBe("completed");
        expect(plain.status.precheck!.items.find((i) => i.id === "primary-keys")).toMatchObject({ outcome: "passed", detail: expect.stringMatching(/one piece/) });
        const blocked = await runTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full"], objects: [{ database: db, renameTo: `${db}_m`, tables: [{ name: "nokey" }] }],
            conflictingTables: "ignore-and-proceed",
        });
        homes.push(blocked.home);
        expect(blocked.status.phase).toBe("precheck-failed");
        const item = blocked.status.precheck!.items.find((i) => i.id === "primary-keys")!;
        expect(item).toMatchObject({ outcome: "alert", object: `${db}.nokey` });
        expect(item.detail).toMatch(/duplicate/);
        const ok = await runTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full"], objects: [{ database: db, renameTo: `${db}_m`, tables: [{ name: "nokey" }] }],
            conflictingTables: "ignore-and-proceed", ignorePrecheckAlerts: ["primary-keys"],
        });
        homes.push(ok.home);
        expect(ok.status.phase).toBe("completed");
        expect(ok.status.precheck!.items.find((i) => i.id === "primary-keys")).toMatchObject({ outcome: "alert", ignored: true });
    });

    it("unknown tables and columns and a bad filter fail the precheck, naming them", async () => {
        const { status, home } = await runTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full"],
            objects: [{ database: db, tables: [{ name: "nope" }, { name: "Orders", columns: ["id", "nosuch"] }] }, { database: "missing_db" }],
        });
        homes.push(home);
        expect(status.phase).toBe("precheck-failed");
        const failed = status.precheck!.items.filter((i) => i.outcome === "failed").map((i) => i.object);
        expect(failed).toEqual(expect.arrayContaining([`${db}.nope`, `${db}.Orders.nosuch`, "missing_db"]));
        const bad = await runTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full"], objects: [{ database: db, tables: [{ name: "Orders", where: "no_such_col = 1" }] }],
        });
        homes.push(bad.home);
        expect(bad.status.precheck!.items.find((i) => i.id === "where-filters")).toMatchObject({ outcome: "failed", object: `${db}.Orders` });
    });

    it("ignore-and-proceed keeps existing destination rows on key conflicts; precheck-and-report refuses the table", async () => {
        await admin.query(`CREATE DATABASE ${db}_i; CREATE TABLE ${db}_i.Orders (id INT PRIMARY KEY, Total DECIMAL(8,2), status VARCHAR(10), secret VARCHAR(20));
            INSERT INTO ${db}_i.Orders VALUES (1, 999.99, 'mine', 'keep'), (500, 1, 'extra', 'x');`);
        const refused = await runTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full"], objects: [{ database: db, renameTo: `${db}_i`, tables: [{ name: "Orders" }] }],
        });
        homes.push(refused.home);
        expect(refused.status.phase).toBe("precheck-failed");
        expect(refused.status.precheck!.items.find((i) => i.id === "conflicting-tables")).toMatchObject({ outcome: "failed", object: `${db}_i.Orders` });
        const { status, home } = await runTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full"], conflictingTables: "ignore-and-proceed",
            objects: [{ database: db, renameTo: `${db}_i`, tables: [{ name: "Orders" }] }],
        });
        homes.push(home);
        expect(status.phase).toBe("completed");
        const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${db}_i.Orders`);
        const [one] = await admin.query<mysql.RowDataPacket[]>(`SELECT Total, status FROM ${db}_i.Orders WHERE id = 1`);
        expect(Number(rows[0].n)).toBe(201);
        expect(one[0]).toMatchObject({ Total: "999.99", status: "mine" });
    });

    it("a value the MySQL destination cannot hold is a dirty row (skip) or stops the task (block), never a silent truncation", async () => {
        await admin.query(`CREATE DATABASE IF NOT EXISTS ${db}_d; CREATE TABLE ${db}_d.Orders (id INT PRIMARY KEY, Total DECIMAL(8,2), status VARCHAR(4), secret VARCHAR(20));
            UPDATE ${db}.Orders SET status = 'refunded' WHERE id = 7;`);
        try {
            const blocked = await runTask(mariaConnection(maria), mariaConnection(maria), {
                migrationTypes: ["schema", "full"], conflictingTables: "ignore-and-proceed", dirtyData: "block",
                objects: [{ database: db, renameTo: `${db}_d`, tables: [{ name: "Orders" }] }],
            });
            homes.push(blocked.home);
            expect(blocked.status.phase).toBe("failed");
            expect(blocked.status.error).toMatch(new RegExp(`row id=7 of ${db}\\.Orders was rejected: .*status`));
            const skipped = await runTask(mariaConnection(maria), mariaConnection(maria), {
                migrationTypes: ["schema", "full"], conflictingTables: "ignore-and-proceed", dirtyData: "skip",
                objects: [{ database: db, renameTo: `${db}_d`, tables: [{ name: "Orders" }] }],
            });
            homes.push(skipped.home);
            expect(skipped.status.phase).toBe("completed");
            expect(skipped.status.dirtyRows).toBe(1);
            expect(skipped.status.dirtySample[0]).toMatchObject({ table: `${db}.Orders`, key: "id=7" });
            const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n, SUM(id = 7) AS seven FROM ${db}_d.Orders`);
            expect(rows[0]).toMatchObject({ n: 199, seven: "0" });
        } finally {
            await admin.query(`UPDATE ${db}.Orders SET status = 'open' WHERE id = 7; DROP DATABASE ${db}_d`);
        }
    });

    it("ignore-and-proceed into PostgreSQL keeps existing rows too", async () => {
        await p.query(`CREATE SCHEMA "${db}_pg2"; CREATE TABLE "${db}_pg2".orders (id int PRIMARY KEY, total numeric(8,2), status varchar(10), secret varchar(20));
            INSERT INTO "${db}_pg2".orders VALUES (2, 0.5, 'mine', 'keep');`);
        const { status, home } = await runTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full"], conflictingTables: "ignore-and-proceed",
            objects: [{ database: db, renameTo: `${db}_pg2`, tables: [{ name: "Orders" }] }],
        });
        homes.push(home);
        expect(status.error).toBeUndefined();
        expect(status.phase).toBe("completed");
        const r = await p.query(`SELECT count(*)::int AS n, (SELECT status FROM "${db}_pg2".orders WHERE id = 2) AS s FROM "${db}_pg2".orders`);
        expect(r.rows[0]).toEqual({ n: 200, s: "mine" });
    });
});
