import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import type { RowDataPacket } from "mysql2/promise";
import { connectionArgsSchema, type MysqlConnectionSpec } from "../../sdk/schema/connection";
import { heartbeatBarrier } from "../../provider/connectors/mysql/source/heartbeat";
import { closeSnapshot, openSnapshot } from "../../provider/connectors/mysql/source/snapshot";
import type { BinlogPosition } from "../../provider/engine/model";

/**
 * openSnapshot against MariaDB: its own path, and the MySQL path (a MySQL 5.7 dialect: SHOW
 * MASTER STATUS, commit barrier), whose statements MariaDB also accepts. What the barrier
 * proves about InnoDB commit order cannot be shown here; snapshot-position.test.ts covers the
 * decisions, this the statements.
 */
const maria = inject("mariadb");
const tag = `${process.pid}_${Date.now() % 100000}`;
const HB = `dts_snap_hb_${tag}`;
const DATA = `dts_snap_data_${tag}`;
const LIMITED = `dts_snap_${tag}`;

const spec = (user = maria.user, password = maria.password) =>
    connectionArgsSchema.parse({ engine: "mariadb", host: maria.host, port: maria.port, user, password }) as MysqlConnectionSpec;
const admin = () => mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });

async function status(c: mysql.Connection): Promise<BinlogPosition> {
    const [rows] = await c.query<RowDataPacket[]>("SHOW MASTER STATUS");
    return { file: String(rows[0].File), position: Number(rows[0].Position) };
}

describe("openSnapshot against a real server", () => {
    let c: mysql.Connection;
    beforeAll(async () => {
        c = await admin();
        await c.query(`CREATE DATABASE ${DATA}`);
        await c.query(`CREATE TABLE ${DATA}.t (id INT PRIMARY KEY)`);
        await c.query(`CREATE USER '${LIMITED}'@'%' IDENTIFIED BY 'Limited-Secret-1'`);
        await c.query(`GRANT SELECT, REPLICATION CLIENT ON *.* TO '${LIMITED}'@'%'`);
    });
    afterAll(async () => {
        await c.query(`DROP DATABASE IF EXISTS ${HB}`);
        await c.query(`DROP DATABASE IF EXISTS ${DATA}`);
        await c.query(`DROP USER IF EXISTS '${LIMITED}'@'%'`);
        await c.end();
    });

    it("MySQL path: the position is the status read before the barrier; the barrier (table created on first use) is logged after it", async () => {
        const barrier = heartbeatBarrier({ enabled: true, table: `${HB}.heartbeat` }, "task-1")!;
        await c.query(`INSERT INTO ${DATA}.t VALUES (1)`);
        const before = await status(c);
        const snap = await openSnapshot(spec(), "MySQL", { serverVersion: "5.7.44-log", barrier });
        try {
            expect(snap.method).toBe("binlog-status-barrier");
            expect(snap.risk).toBeUndefined();
            expect(snap.position).toEqual(before);
            const [seen] = await snap.conn.query<RowDataPacket[]>(`SELECT id FROM ${DATA}.t`);
            expect(seen.map((r) => r.id)).toEqual([1]);
            // The barrier wrote the task's row, and that write went to the binary log after the position.
            const [rows] = await c.query<RowDataPacket[]>(`SELECT task_id, beat_ms FROM ${HB}.heartbeat`);
            expect(rows.map((r) => r.task_id)).toEqual(["task-1"]);
            const [events] = await c.query<RowDataPacket[]>(`SHOW BINLOG EVENTS IN '${snap.position.file}' FROM ${snap.position.position}`);
            expect(events.some((e) => /heartbeat/.test(String(e.Info)))).toBe(true);
            const first = String(rows[0].beat_ms);
            // A second barrier changes the row even within the same millisecond, so it is always logged.
            const again = await openSnapshot(spec(), "MySQL", { serverVersion: "5.7.44-log", barrier });
            await closeSnapshot(again);
            expect(again.method).toBe("binlog-status-barrier");
            const [[row]] = await c.query<RowDataPacket[][]>(`SELECT CAST(beat_ms AS CHAR) AS b FROM ${HB}.heartbeat`);
            expect(BigInt(row.b)).toBeGreaterThan(BigInt(first));
        } finally {
            await closeSnapshot(snap);
        }
    });

    it("MySQL path without the right to write the barrier: before/after reads, and the risk says why", async () => {
        const barrier = heartbeatBarrier({ enabled: true, table: `${HB}.heartbeat` }, "task-2")!;
        const snap = await openSnapshot(spec(LIMITED, "Limited-Secret-1"), "MySQL", { serverVersion: "8.0.40", barrier: barrier });
        try {
            expect(snap.method).toBe("master-status-without-barrier");
            expect(snap.risk).toMatch(/command denied/);
            expect(snap.position.file).toMatch(/mysql-bin\.\d+/);
        } finally {
            await closeSnapshot(snap);
        }
        const [rows] = await c.query<RowDataPacket[]>(`SELECT task_id FROM ${HB}.heartbeat WHERE task_id = 'task-2'`);
        expect(rows).toHaveLength(0);
    });

    it("MySQL path with heartbeats disabled writes nothing", async () => {
        expect(heartbeatBarrier({ enabled: false, table: `${HB}.heartbeat` }, "task-3")).toBeUndefined();
        const snap = await openSnapshot(spec(), "MySQL", { serverVersion: "5.7.44-log" });
        await closeSnapshot(snap);
        expect(snap.method).toBe("master-status-without-barrier");
        expect(snap.risk).toMatch(/heartbeat table is disabled/);
    });

    it("MariaDB: the snapshot's own position, no barrier even when one is offered, the dialect read from the server", async () => {
        const barrier = heartbeatBarrier({ enabled: true, table: `${HB}.heartbeat` }, "task-4")!;
        const before = await status(c);
        const snap = await openSnapshot(spec(), "MariaDB", { barrier });
        try {
            expect(snap.method).toBe("mariadb-binlog-snapshot");
            expect(snap.position).toMatchObject(before);
            expect(snap.position.gtid).toMatch(/^\d+-\d+-\d+/);
        } finally {
            await closeSnapshot(snap);
        }
        const [rows] = await c.query<RowDataPacket[]>(`SELECT task_id FROM ${HB}.heartbeat WHERE task_id = 'task-4'`);
        expect(rows).toHaveLength(0);
    });
});
