/**
 * MySQL-family → MaxCompute, schema and full data (issue 11 §3, first part), run by the
 * engine against the harness's MariaDB and the local MaxCompute server: each table becomes
 * `<table>_base` with its mapped types, and every row arrives once, with its values as the
 * type map documents (docs/type-mapping-maxcompute.md); rows a column cannot hold are dirty
 * data. (Preview still refuses MaxCompute destinations: incremental migration is not done.)
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { connectionArgsSchema } from "../../sdk/schema/connection";
import { mariaConnection, removeHome, resumeTask, runTask, startTask, waitForSourcePosition, waitForStatus } from "../harness/engine-run";
import { mergeRows } from "../../provider/connectors/maxcompute/merge";
import { type MaxComputeServer, startMaxComputeServer } from "../harness/maxcompute-server";

const maria = inject("mariadb");
const db = `mc_full_${process.pid}`;
const key = { id: "mc-full-ak", secret: "mc-full-Secret-3" };

describe("MySQL → MaxCompute, schema and full data", () => {
    let mc: MaxComputeServer;
    let home: string | undefined;
    beforeAll(async () => {
        mc = await startMaxComputeServer({ project: "dts_full", accessKeys: [key] });
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(40), amount DECIMAL(10,2), placed DATETIME, seen DATETIME(6), ratio DOUBLE, raw BLOB, big BIGINT, u BIGINT UNSIGNED);
            INSERT INTO orders VALUES
                (1, 'plain', 12.34, '2024-01-02 03:04:05', '2024-01-02 03:04:05.123456', 0.5, 0x00ff, 42, 18446744073709551615),
                (2, 'ünïcødé 😀', -0.01, '1999-12-31 23:59:59', '1999-12-31 23:59:59.000001', -1e300, '', -9223372036854775807, 0),
                (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                (4, 'min', 0, '2024-01-01 00:00:00', '2024-01-01 00:00:00', 0, NULL, -9223372036854775808, 1);
            CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL);
            INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_5000;`);
        await c.end();
    }, 60_000);
    afterAll(async () => {
        if (home) removeHome(home);
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });
        await c.query(`DROP DATABASE IF EXISTS ${db}`);
        await c.end();
        await mc?.close();
    });

    it("creates <table>_base with the mapped types and copies every row once; a value a type cannot hold is dirty data", async () => {
        const destination = { ...connectionArgsSchema.parse({ engine: "maxcompute", endpoint: mc.endpoint, project: "dts_full", accessKeyId: key.id, accessKeySecret: key.secret }), connectionId: "dst" };
        const r = await runTask(mariaConnection(maria), destination, { migrationTypes: ["schema", "full"], objects: [{ database: db }], dirtyData: "skip" });
        home = r.home;
        expect(r.status.phase, r.status.error).toBe("completed");
        expect([...mc.tables.keys()].sort()).toEqual(["items_base", "orders_base"]);
        expect(mc.tables.get("orders_base")!.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
            "id INT", "note STRING", "amount DECIMAL(10,2)", "placed DATETIME", "seen TIMESTAMP", "ratio DOUBLE", "raw BINARY", "big BIGINT", "u DECIMAL(20,0)",
        ]);
        const rows = mc.rows("orders_base").sort((a, b) => Number(a[0]) - Number(b[0]));
        // BIGINT -2^63 does not fit MaxCompute's BIGINT: that row is dirty data, the others arrive.
        expect(rows.map((x) => x[0])).toEqual([1n, 2n, 3n]);
        expect(r.status.dirtyRows).toBe(1);
        expect(r.status.dirtySample[0].error).toMatch(/big/);
        expect(rows[0]).toEqual([1n, "plain", "12.34", BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)), `${Date.UTC(2024, 0, 2, 3, 4, 5) / 1000}.123456000`, 0.5, Buffer.from([0, 255]), 42n, "18446744073709551615"]);
        expect(rows[1]).toEqual([2n, "ünïcødé 😀", "-0.01", BigInt(Date.UTC(1999, 11, 31, 23, 59, 59)), `${Date.UTC(1999, 11, 31, 23, 59, 59) / 1000}.000001000`, -1e300, Buffer.alloc(0), -9223372036854775807n, "0"]);
        expect(rows[2]).toEqual([3n, null, null, null, null, null, null, null, null]);
        const items = mc.rows("items_base");
        expect(items.length).toBe(5000);
        expect(new Set(items.map((x) => x[0])).size).toBe(5000);
        expect(items.every((x) => x[1] === `item ${x[0]}`)).toBe(true);
        expect(r.status.notes.join("\n")).toMatch(/MaxCompute tables have no keys or indexes/);
    }, 120_000);

    it("incremental: every change lands in <table>_log once, across a restart; the merge of _base and _log equals the source; ADD COLUMN reaches both tables, DROP COLUMN is reported, not applied", async () => {
        const idb = `${db}_inc`;
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        try {
            await c.query(`DROP DATABASE IF EXISTS ${idb}; CREATE DATABASE ${idb}; USE ${idb};
                CREATE TABLE acct (id INT PRIMARY KEY, owner VARCHAR(20), bal DECIMAL(10,2));
                INSERT INTO acct SELECT seq, CONCAT('o', seq), seq * 1.5 FROM seq_1_to_50;`);
            const destination = { ...connectionArgsSchema.parse({ engine: "maxcompute", endpoint: mc.endpoint, project: "dts_full", accessKeyId: key.id, accessKeySecret: key.secret }), connectionId: "dst" };
            const task = { migrationTypes: ["schema", "full", "incremental"] as ("schema" | "full" | "incremental")[], objects: [{ database: idb }], heartbeat: { enabled: false },
                maxcompute: { incrementalPartitions: ["modifytime_day" as const] } };
            const run = startTask(mariaConnection(maria), destination, task, { taskId: "mc-inc" });
            let runner = run.runner;
            try {
                await waitForStatus(runner, (st) => st.phase === "running");
                await c.query(`USE ${idb}; INSERT INTO acct VALUES (100, 'new', 1.00); UPDATE acct SET bal = bal + 1 WHERE id <= 5;
                    UPDATE acct SET id = 200 WHERE id = 6; DELETE FROM acct WHERE id = 7;
                    START TRANSACTION; UPDATE acct SET owner = 'tx' WHERE id = 8; DELETE FROM acct WHERE id = 9; COMMIT;`);
                await waitForSourcePosition(runner, c);
                // A restart mid-stream: the resumed stream goes on from the checkpoint, writing nothing twice.
                await runner.stop();
                await c.query(`USE ${idb}; UPDATE acct SET bal = 0 WHERE id = 10; INSERT INTO acct VALUES (101, 'after', 2.00);`);
                runner = resumeTask(run.home, "mc-inc");
                await waitForSourcePosition(runner, c);
                await c.query(`USE ${idb}; ALTER TABLE acct ADD COLUMN tag VARCHAR(10); INSERT INTO acct VALUES (102, 'tagged', 3.00, 't');
                    ALTER TABLE acct DROP COLUMN owner; UPDATE acct SET bal = 9 WHERE id = 102;`);
                await waitForSourcePosition(runner, c);
                expect(runner.status.phase, runner.status.error).toBe("running");
            } finally {
                await runner.stop();
                removeHome(run.home);
            }
            const base = mc.tables.get("acct_base")!;
            expect(base.columns.map((x) => x.name)).toEqual(["id", "owner", "bal", "tag"]);
            expect(mc.tables.get("acct_log")!.columns.map((x) => x.name).slice(-1)).toEqual(["tag"]);
            expect(runner.status.notes.join("\n")).toMatch(/DROP COLUMN owner: not applied/i);
            const log = mc.rows("acct_log");
            const logSchema = mc.tables.get("acct_log")!.columns.map((x) => x.name);
            const rid = logSchema.indexOf("new_dts_sync_record_id");
            const before = logSchema.indexOf("new_dts_sync_before_flag");
            const ids = log.map((r) => r[rid]);
            // An UPDATE's two entries share a record_id; no entry is there twice.
            const keys = log.map((r) => `${r[rid]}/${r[before]}`);
            expect(new Set(keys).size).toBe(keys.length);
            expect(new Set(ids).size).toBeLessThan(ids.length);
            const lc = {
                recordId: "new_dts_sync_record_id", operationFlag: "new_dts_sync_operation_flag", utcTimestamp: "new_dts_sync_utc_timestamp",
                beforeFlag: "new_dts_sync_before_flag", afterFlag: "new_dts_sync_after_flag", partitions: [{ unit: "day" as const, name: "new_dts_sync_modifytime_day" }],
            };
            const merged = mergeRows(mc.rows("acct_base"), log, { key: ["id"], columns: ["id", "owner", "bal", "tag"], logColumns: lc, logSchema })
                .map((r) => [Number(r[0]), r[2], r[3]]).sort((a, b) => (a[0] as number) - (b[0] as number));
            const [rows] = await c.query<mysql.RowDataPacket[]>(`SELECT id, CAST(bal AS CHAR) AS bal, tag FROM ${idb}.acct ORDER BY id`);
            expect(merged).toEqual(rows.map((r) => [r.id, r.bal, r.tag]));
        } finally {
            await c.query(`DROP DATABASE IF EXISTS ${idb}`);
            await c.end();
        }
    }, 180_000);
});
