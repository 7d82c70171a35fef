import { inject, describe, it, expect } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";

describe("test harness", () => {
    it("starts MariaDB with the binlog settings change capture needs", async () => {
        const m = inject("mariadb");
        const c = await mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password });
        const [rows] = await c.query<mysql.RowDataPacket[]>(
            "SELECT @@log_bin AS log_bin, @@binlog_format AS fmt, @@binlog_row_image AS img, @@binlog_row_metadata AS meta, @@server_id AS sid");
        await c.end();
        expect(rows[0]).toMatchObject({ log_bin: 1, fmt: "ROW", img: "FULL", meta: "FULL", sid: m.serverId });
    });

    it("starts PostgreSQL with logical WAL and password auth over TCP", async () => {
        const p = inject("postgres");
        const c = new Client({ host: p.host, port: p.port, user: p.user, password: p.password, database: p.database });
        await c.connect();
        const { rows } = await c.query("SELECT current_setting('wal_level') AS wal");
        await c.end();
        expect(rows[0].wal).toBe("logical");
        const bad = new Client({ host: p.host, port: p.port, user: p.user, password: "wrong", database: p.database });
        await expect(bad.connect()).rejects.toThrow(/password authentication failed/);
    });
});
