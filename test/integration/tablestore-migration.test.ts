/**
 * MySQL → Tablestore (seed 000) through the official SDK against the local Tablestore server
 * (test/harness/tablestore-server): schema, full and incremental migration, the write
 * modes, retryable service errors injected during the load and the stream, a batch over
 * the service's limits, and an engine killed mid-stream. The destination is read back row
 * by row and compared with the source by each column's documented type map.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { connectionArgsSchema, type ConnectionSpec } from "../../sdk/schema/connection";
import { taskArgsSchema, type TaskArgsInput } from "../../sdk/schema/task";
import { callEngine } from "../../provider/engine/control/client";
import { engineHome } from "../../provider/engine/home";
import { comparePositions } from "../../provider/engine/model";
import type { TaskStatus } from "../../provider/engine/status";
import type { EngineTaskSpec } from "../../provider/engine/task-store";
import { mariaConnection, removeHome, startTask, waitForSourcePosition, waitForStatus } from "../harness/engine-run";
import { startTablestoreServer, type TablestoreServer } from "../harness/tablestore-server";

const maria = inject("mariadb");
const AK = { id: "test-ak", secret: "test-secret-Zq9" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function admin(database?: string): Promise<mysql.Connection> {
    return mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true, database, charset: "utf8mb4_general_ci" });
}

function tablestoreConnection(ots: TablestoreServer): ConnectionSpec & { connectionId: string } {
    return {
        ...connectionArgsSchema.parse({ engine: "tablestore", endpoint: ots.endpoint, instanceName: ots.instanceName, accessKeyId: AK.id, accessKeySecret: AK.secret }),
        connectionId: "dst",
    };
}

/** The Tablestore rows of a table as `key → attributes`, values in the form the type map documents. */
function rowsByKey(ots: TablestoreServer, table: string): Map<string, Record<string, unknown>> {
    const out = new Map<string, Record<string, unknown>>();
    for (const r of ots.rows(table)) out.set(Object.values(r.primaryKey).map(String).join("|"), r.attributes);
    return out;
}

/**
 * The source rows of `orders` read back as the type map writes them: id INTEGER, qty INTEGER,
 * amount DECIMAL → STRING, note STRING (absent when NULL), placed DATETIME(3) → ISO STRING,
 * flag BIT(1) → INTEGER, big BIGINT UNSIGNED → STRING.
 */
async function expectedOrders(c: mysql.Connection, db: string): Promise<Map<string, Record<string, unknown>>> {
    const [rows] = await c.query<mysql.RowDataPacket[]>(
        `SELECT id, qty, CAST(amount AS CHAR) AS amount, note, DATE_FORMAT(placed, '%Y-%m-%dT%H:%i:%s.%f') AS placed, flag + 0 AS flag, CAST(big AS CHAR) AS big FROM ${db}.orders`);
    const out = new Map<string, Record<string, unknown>>();
    for (const r of rows) {
        const a: Record<string, unknown> = { qty: BigInt(r.qty), amount: String(r.amount), placed: String(r.placed).replace(/(\.\d{3})\d{3}$/, "$1"), flag: BigInt(r.flag), big: String(r.big) };
        if (r.note !== null) a.note = String(r.note);
        out.set(String(r.id), a);
    }
    return out;
}

function sorted(m: Map<string, Record<string, unknown>>): [string, Record<string, unknown>][] {
    return [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))]);
}

async function createOrders(c: mysql.Connection, db: string, rows: number): Promise<void> {
    await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
        CREATE TABLE orders (id BIGINT PRIMARY KEY, qty INT NOT NULL, amount DECIMAL(20,6), note VARCHAR(100), placed DATETIME(3), flag BIT(1), big BIGINT UNSIGNED) ENGINE=InnoDB;`);
    const values: string[] = [];
    for (let i = 1; i <= rows; i++) {
        values.push(`(${i}, ${i % 97}, ${i}.123456, ${i % 5 === 0 ? "NULL" : `'note ${i}'`}, '2024-05-0${1 + (i % 9)} 10:11:12.${String(i % 1000).padStart(3, "0")}', b'${i % 2}', ${18446744073709551615n - BigInt(i)})`);
    }
    for (let k = 0; k < values.length; k += 1000) await c.query(`INSERT INTO orders VALUES ${values.slice(k, k + 1000).join(",")}`);
}

async function writeSome(c: mysql.Connection, db: string, from: number, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
        const k = from + i;
        await c.query(`INSERT INTO ${db}.orders VALUES (?, ?, ?, ?, '2025-01-01 00:00:00.500', b'1', 7)`, [k, k % 13, `${k}.5`, `new ${k}`]);
        await c.query(`UPDATE ${db}.orders SET note = NULL, qty = qty + 1 WHERE id = ?`, [from - 1 - i]);
        if (i % 3 === 0) await c.query(`DELETE FROM ${db}.orders WHERE id = ?`, [from - 100 - i]);
    }
    // A key change: the old key disappears, the new one appears.
    await c.query(`UPDATE ${db}.orders SET id = id + 1000000 WHERE id = ?`, [from - 50]);
}

describe("MySQL → Tablestore", () => {
    let ots: TablestoreServer;
    beforeAll(async () => {
        ots = await startTablestoreServer({ instanceName: "dtstest", accessKeys: [AK] });
    });
    afterAll(async () => {
        await ots?.close();
    });

    const task = (db: string, extra: Partial<TaskArgsInput> = {}): Omit<TaskArgsInput, "source" | "destination"> => ({
        migrationTypes: ["schema", "full", "incremental"],
        objects: [{ database: db, tables: [{ name: "orders", renameTo: `${db}_orders` }] }],
        heartbeat: { enabled: false },
        ...extra,
    });

    it("schema, full and incremental, with OTSServerBusy injected in the load and the stream; the engine process killed mid-stream resumes without loss", async () => {
        const db = "ts_mig";
        const c = await admin();
        await createOrders(c, db, 3000);
        const homeDir = mkdtempSync(join(tmpdir(), "dts-ts-"));
        const home = engineHome(join(homeDir, "home"));
        const taskId = "ts1";
        const status = () => callEngine<TaskStatus>({ method: "get", taskId }, { home });
        const until = async (ok: (s: TaskStatus) => boolean, timeoutMs = 120_000): Promise<TaskStatus> => {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
                const s = await status().catch(() => undefined);
                if (s && ok(s)) return s;
                if (s?.phase === "failed" || s?.phase === "precheck-failed") throw new Error(`task ${s.phase}: ${s.error ?? JSON.stringify(s.precheck)}`);
                if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(s?.incremental ?? s?.phase)}`);
                await sleep(100);
            }
        };
        const caughtUp = async () => {
            const [[m]] = await c.query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
            const target = { file: String(m.File), position: Number(m.Position) };
            return until((s) => s.incremental?.position !== undefined && comparePositions(s.incremental.position, target) >= 0);
        };
        const killEngine = async () => {
            const { pid } = await callEngine<{ pid: number }>({ method: "ping" }, { home });
            process.kill(pid, "SIGKILL");
            await sleep(300);
        };
        const spec: EngineTaskSpec = {
            taskId,
            task: taskArgsSchema.parse({ ...task(db), source: { connectionId: "src", engine: "mariadb" }, destination: { connectionId: "dst", engine: "tablestore" } }),
            source: mariaConnection(maria),
            destination: tablestoreConnection(ots),
        };
        const busyLoad = ots.inject({ operations: ["BulkImport"], error: "OTSServerBusy", every: 3 });
        try {
            await callEngine({ method: "submit", taskId, spec }, { home });
            await until((s) => s.phase === "running");
            expect(busyLoad.fired).toBeGreaterThan(0);
            busyLoad.remove();
            expect(sorted(rowsByKey(ots, `${db}_orders`))).toEqual(sorted(await expectedOrders(c, db)));

            const busyRows = ots.inject({ scope: "row", operations: ["BulkImport"], error: "OTSPartitionUnavailable", every: 4 });
            await writeSome(c, db, 5000, 40);
            await caughtUp();
            expect(busyRows.fired).toBeGreaterThan(0);
            busyRows.remove();
            expect(sorted(rowsByKey(ots, `${db}_orders`))).toEqual(sorted(await expectedOrders(c, db)));

            // Killed while writes go on: the checkpoint is wherever the last completed write left it.
            const writes = writeSome(c, db, 6000, 60);
            await sleep(200);
            await killEngine();
            await writes;
            await until((s) => s.phase === "running", 60_000);
            await sleep(300);
            await killEngine();
            await until((s) => s.phase === "running", 60_000);
            await caughtUp();
            expect(sorted(rowsByKey(ots, `${db}_orders`))).toEqual(sorted(await expectedOrders(c, db)));
            // The secret is in no engine file but the task's owner-only spec (logs, status, checkpoints).
            for (const f of readdirSync(home.dir, { recursive: true, withFileTypes: true })) {
                if (f.isFile() && f.name !== "spec.json") expect(readFileSync(join(f.parentPath, f.name)).toString("latin1")).not.toContain(AK.secret);
            }
        } finally {
            busyLoad.remove();
            await callEngine({ method: "release", taskId }, { home, autostart: false }).catch(() => undefined);
            await callEngine({ method: "shutdown" }, { home, autostart: false }).catch(() => undefined);
            await c.end();
            rmSync(homeDir, { recursive: true, force: true });
        }
    });

    it("batch-write-row and overwrite-row: a load over the service's batch limits is split by the sink, never refused", async () => {
        const db = "ts_big";
        const c = await admin();
        await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE orders (id INT PRIMARY KEY, payload MEDIUMTEXT) ENGINE=InnoDB;`);
        // 300 rows of 30 KB: 9 MB, over both the 200-row and the 4 MB limits of one request.
        for (let i = 0; i < 300; i += 50) {
            await c.query(`INSERT INTO orders SELECT seq, REPEAT(CHAR(65 + seq % 26), 30000) FROM seq_${i + 1}_to_${i + 50}`);
        }
        ots.resetCounts();
        const { runner, home } = startTask(mariaConnection(maria), tablestoreConnection(ots), task(db, {
            migrationTypes: ["schema", "full"], tablestore: { batchMode: "batch-write-row", writeMode: "overwrite-row", queueSize: 1000 },
        }));
        try {
            const s = await waitForStatus(runner, (x) => x.phase === "completed");
            expect(s.rowsCopied).toBe(300);
            const log = ots.requestLog().filter((r) => r.operation === "BatchWriteRow");
            expect(log.every((r) => r.status === 200)).toBe(true);
            expect(Math.max(...log.map((r) => r.rows ?? 0))).toBeLessThanOrEqual(200);
            expect(Math.max(...log.map((r) => r.bytes))).toBeLessThanOrEqual(5 * 1024 * 1024);
            const rows = ots.rows(`${db}_orders`);
            expect(rows).toHaveLength(300);
            expect(rows.every((r) => String(r.attributes.payload).length === 30000)).toBe(true);
        } finally {
            await runner.stop().catch(() => undefined);
            await c.end();
            removeHome(home);
        }
    });

    it("follows the source's DDL where Tablestore can: a nullable column added, a column dropped and renamed (rows rewritten), TRUNCATE and DROP TABLE; fills the existing rows of a column added with a literal default; refuses one the source computes, with its recovery", async () => {
        const db = "ts_ddl";
        const c = await admin();
        await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b INT, gone TEXT) ENGINE=InnoDB;
            CREATE TABLE other (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
            INSERT INTO t VALUES (1, 'x', 10, 'g1'), (2, NULL, 20, 'g2'), (3, 'z', NULL, NULL);
            INSERT INTO other VALUES (1, 1), (2, 2);`);
        const { runner, home } = startTask(mariaConnection(maria), tablestoreConnection(ots), {
            migrationTypes: ["schema", "full", "incremental"], heartbeat: { enabled: false }, objects: [{ database: db }],
        });
        const attrs = (table: string) => ots.rows(table).map((r) => ({ id: r.primaryKey.id, ...r.attributes }));
        try {
            await waitForStatus(runner, (s) => s.phase === "running");
            await c.query(`USE ${db}`);
            await c.query("ALTER TABLE t ADD COLUMN added VARCHAR(5) NULL");
            await c.query("INSERT INTO t VALUES (4, 'w', 40, 'g4', 'new')");
            await c.query("ALTER TABLE t DROP COLUMN gone");
            await c.query("ALTER TABLE t RENAME COLUMN b TO bee");
            await c.query("UPDATE t SET bee = 11 WHERE id = 1");
            await waitForSourcePosition(runner, c);
            expect(attrs("t")).toEqual([
                { id: 1n, a: "x", bee: 11n },
                { id: 2n, bee: 20n },
                { id: 3n, a: "z" },
                { id: 4n, a: "w", added: "new", bee: 40n },
            ]);
            await c.query("TRUNCATE TABLE other");
            await c.query("INSERT INTO other VALUES (7, 7)");
            await waitForSourcePosition(runner, c);
            expect(attrs("other")).toEqual([{ id: 7n, v: 7n }]);
            await c.query("DROP TABLE other");
            await waitForSourcePosition(runner, c);
            expect(ots.tables()).not.toContain("other");

            // The existing rows get the default at the source: the Tablestore rows get it too; new rows carry their own.
            await c.query("ALTER TABLE t ADD COLUMN filled INT NOT NULL DEFAULT 5, ADD COLUMN label VARCHAR(8) NOT NULL DEFAULT 'it''s'");
            await c.query("INSERT INTO t (id, a, bee, filled) VALUES (5, 'v', 50, 6)");
            await waitForSourcePosition(runner, c);
            expect(attrs("t")).toEqual([
                { id: 1n, a: "x", bee: 11n, filled: 5n, label: "it's" },
                { id: 2n, bee: 20n, filled: 5n, label: "it's" },
                { id: 3n, a: "z", filled: 5n, label: "it's" },
                { id: 4n, a: "w", added: "new", bee: 40n, filled: 5n, label: "it's" },
                { id: 5n, a: "v", bee: 50n, filled: 6n, label: "it's" },
            ]);

            // A default the source computes per row cannot be reproduced: the stream stops, saying how to recover.
            await c.query("ALTER TABLE t ADD COLUMN stamped DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP");
            const failed = await waitForStatus(runner, (s) => s.phase === "failed", 60_000).catch((err) => ({ error: String(err) }));
            const text = JSON.stringify(failed);
            expect(text).toMatch(/stamped/);
            expect(text).toMatch(/To recover/);
        } finally {
            await runner.stop().catch(() => undefined);
            await c.end();
            removeHome(home);
        }
    });

    it("precheck: five key columns, a hyphen in a table name and a keyless table fail, naming the fix", async () => {
        const db = "ts_pre";
        const c = await admin();
        await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE five (a INT, b INT, c INT, d INT, e INT, v INT, PRIMARY KEY (a, b, c, d, e)) ENGINE=InnoDB;
            CREATE TABLE plain (id INT PRIMARY KEY) ENGINE=InnoDB;
            CREATE TABLE nokey (x INT) ENGINE=InnoDB;
            CREATE TABLE bigkey (k VARCHAR(600) PRIMARY KEY, v TEXT) ENGINE=InnoDB;
            INSERT INTO bigkey VALUES (REPEAT('k', 300), 'short'), (REPEAT('é', 550), 'short');`);
        const { runner, home } = startTask(mariaConnection(maria), tablestoreConnection(ots), {
            migrationTypes: ["schema", "full"], heartbeat: { enabled: false },
            objects: [{ database: db, tables: [{ name: "five" }, { name: "plain", renameTo: "my-plain" }, { name: "nokey" }, { name: "bigkey" }] }],
        });
        try {
            const s = await waitForStatus(runner, (x) => x.phase === "precheck-failed").catch((err) => ({ phase: "x", error: String(err), precheck: runner.status.precheck }));
            const failed = (runner.status.precheck?.items ?? s.precheck?.items ?? []).filter((i) => i.outcome === "failed");
            const about = (id: string, object: string) => failed.find((i) => i.id === id && i.object === object);
            expect(about("tablestore-primary-key", `${db}.five`)?.detail).toMatch(/5 columns.*at most 4/);
            expect(about("tablestore-primary-key", `${db}.five`)?.fix).toMatch(/tablestorePrimaryKey/);
            expect(about("destination-names", `${db}.plain`)?.detail).toMatch(/my-plain/);
            expect(about("destination-names", `${db}.plain`)?.fix).toMatch(/renameTo/);
            expect(about("tablestore-primary-key", `${db}.nokey`)?.fix).toMatch(/tablestorePrimaryKey/);
            // A key value of 1,100 bytes (550 two-byte characters) is over Tablestore's 1 KB: found in the rows, an alert.
            const sizes = (runner.status.precheck?.items ?? []).filter((i) => i.id === "value-sizes");
            expect(sizes).toEqual([expect.objectContaining({ outcome: "alert", object: `${db}.bigkey.k`, detail: expect.stringMatching(/1100 bytes.*1024-byte limit for key values/) })]);
            expect(ots.tables()).not.toContain("five");
        } finally {
            await runner.stop().catch(() => undefined);
            await c.end();
            removeHome(home);
        }
    });
});
