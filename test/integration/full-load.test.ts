import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { mariaConnection, postgresConnection, removeHome, runTask } from "../harness/engine-run";

const maria = inject("mariadb");
const pg = inject("postgres");
const db = `fl_${process.pid}`;
const ROWS = 120_000;

async function mysqlAdmin() {
    return mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
}

describe("full load: schema + full data, split into key ranges", () => {
    const homes: string[] = [];
    beforeAll(async () => {
        const c = await mysqlAdmin();
        await c.query(`CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(40) NOT NULL, total DECIMAL(12,2), note TEXT, KEY by_customer (customer));
            CREATE TABLE tags (name VARCHAR(20) PRIMARY KEY, color CHAR(7));
            INSERT INTO tags VALUES ('red', '#ff0000'), ('blue', '#0000ff'), ('😀', NULL);`);
        // 120,000 rows with gaps in the key: 1, 3, 5, ...
        await c.query(`INSERT INTO orders
            SELECT 2 * seq + 1, CONCAT('cust-', seq % 997), (seq % 100000) / 100, IF(seq % 10 = 0, NULL, REPEAT('n', seq % 50))
            FROM seq_0_to_${ROWS - 1}`);
        await c.end();
    });
    afterAll(async () => {
        const c = await mysqlAdmin();
        await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_copy`);
        await c.end();
        const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await p.connect();
        await p.query(`DROP SCHEMA IF EXISTS ${db} CASCADE`);
        await p.end();
        homes.forEach(removeHome);
    });

    it("MariaDB -> PostgreSQL: every row, same checksum, secondary index created", async () => {
        const { status, home } = await runTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full"], objects: [{ database: db }],
        });
        homes.push(home);
        expect(status.error).toBeUndefined();
        expect(status.phase).toBe("completed");
        expect(status.snapshotPosition?.file).toMatch(/mysql-bin\.\d+/);
        const orders = status.tables.find((t) => t.source === `${db}.orders`)!;
        expect(orders.chunksTotal).toBeGreaterThan(1);
        expect(orders.rowsCopied).toBe(ROWS);

        const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await p.connect();
        const r = await p.query(`SELECT count(*)::int AS n, sum(id)::text AS ids, sum(total)::text AS totals, sum(length(coalesce(note, 'x')))::text AS notes FROM ${db}.orders`);
        const idx = await p.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'orders'`, [db]);
        const tags = await p.query(`SELECT name, color FROM ${db}.tags ORDER BY name`);
        await p.end();
        const c = await mysqlAdmin();
        const [src] = await c.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n, CAST(SUM(id) AS CHAR) AS ids, CAST(SUM(total) AS CHAR) AS totals, CAST(SUM(CHAR_LENGTH(COALESCE(note, 'x'))) AS CHAR) AS notes FROM ${db}.orders`);
        await c.end();
        expect(r.rows[0]).toEqual({ n: ROWS, ids: src[0].ids, totals: src[0].totals, notes: src[0].notes });
        expect(idx.rows.map((x) => x.indexname).some((n: string) => n.includes("by_customer"))).toBe(true);
        expect(tags.rows).toEqual([{ name: "blue", color: "#0000ff" }, { name: "red", color: "#ff0000" }, { name: "😀", color: null }]);
    });

    it("MariaDB -> MariaDB with database rename: identical table checksums", async () => {
        const { status, home } = await runTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full"], objects: [{ database: db, renameTo: `${db}_copy` }],
        });
        homes.push(home);
        expect(status.error).toBeUndefined();
        expect(status.phase).toBe("completed");
        const c = await mysqlAdmin();
        const [sums] = await c.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE ${db}.orders, ${db}_copy.orders, ${db}.tags, ${db}_copy.tags`);
        const [create] = await c.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE ${db}_copy.orders`);
        await c.end();
        expect(sums[0].Checksum).toBe(sums[1].Checksum);
        expect(sums[2].Checksum).toBe(sums[3].Checksum);
        expect(String(create[0]["Create Table"])).toContain("KEY `by_customer`");
    });
});
