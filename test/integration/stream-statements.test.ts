/**
 * Statements inside the binlog that are not plain table DDL (docs/incremental.md,
 * "Statements inside the binlog"), against real servers:
 * - CREATE TABLE … SELECT: MariaDB logs the CREATE and the copied rows in one transaction;
 *   the rows reach the destination, also when the stream replays the transaction over a
 *   table a crash left created and empty.
 * - CREATE OR REPLACE TABLE of a followed table replaces the destination table, also when
 *   replayed over the states a crash can leave (old table dropped; new table created).
 * - Triggers, events, views and routines at a MariaDB destination follow the source,
 *   guarded and disabled as schema migration makes them, each counted for the database it
 *   names; drops drop. At PostgreSQL each is listed as skipped.
 * - DROP DATABASE of a selected database drops its tables at the destination, CREATE DATABASE creates it; ALTER DATABASE is listed as skipped, with a note.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { dropSchemas } from "../harness/postgres";
import { compareTable, formatMismatch, type CompareDestination } from "../harness/compare";
import { mariaConnection, postgresConnection, removeHome, resumeTask, startTask, waitForStatus } from "../harness/engine-run";
import type { TaskRunner } from "../../provider/engine/task-runner";
import { comparePositions } from "../../provider/engine/model";

const maria = inject("mariadb");
const pg = inject("postgres");

function connect(database?: string) {
    return mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true, database });
}

/** Waits until the stream has applied everything the source has logged so far. */
async function applied(runner: TaskRunner, timeoutMs = 60_000): Promise<void> {
    const c = await connect();
    const [st] = await c.query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
    await c.end();
    const at = { file: String(st[0].File), position: Number(st[0].Position) };
    await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.position !== undefined && comparePositions(s.incremental.position, at) >= 0, timeoutMs);
}

async function expectSame(db: string, tables: string[], dest: CompareDestination): Promise<void> {
    for (const t of tables) {
        const r = await compareTable(maria, db, t, dest);
        expect(r.mismatches.slice(0, 5).map(formatMismatch), t).toEqual([]);
        expect(r.destinationRows, t).toBe(r.sourceRows);
    }
}

async function destinationColumns(kind: "postgres" | "mariadb", schema: string, table: string): Promise<string[]> {
    if (kind === "postgres") {
        const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await p.connect();
        try {
            const r = await p.query("SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position", [schema, table]);
            return r.rows.map((x) => String(x.column_name));
        } finally {
            await p.end();
        }
    }
    const c = await connect();
    try {
        const [r] = await c.query<mysql.RowDataPacket[]>("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", [schema, table]);
        return r.map((x) => String(x.c));
    } finally {
        await c.end();
    }
}

/** Runs SQL at the destination (test set-up that stands for what a crash leaves there). */
async function atDestination(kind: "postgres" | "mariadb", sql: string): Promise<void> {
    if (kind === "postgres") {
        const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await p.connect();
        try {
            await p.query(sql);
        } finally {
            await p.end();
        }
        return;
    }
    const c = await connect();
    try {
        await c.query(sql);
    } finally {
        await c.end();
    }
}

describe("incremental stream: statements inside the binlog", () => {
    const runners: TaskRunner[] = [];
    const homes: string[] = [];
    const dbs: string[] = [];
    const schemas: string[] = [];
    afterAll(async () => {
        for (const r of runners) await r.stop();
        const c = await connect();
        for (const d of dbs) await c.query(`DROP DATABASE IF EXISTS \`${d}\``);
        await c.end();
        await dropSchemas(pg, schemas);
        homes.forEach(removeHome);
    });

    for (const kind of ["postgres", "mariadb"] as const) {
        it(`CREATE TABLE … SELECT brings its rows to ${kind}; CREATE OR REPLACE TABLE replaces the table; both replay exactly over what a crash leaves`, async () => {
            const db = `stst_ctas_${kind.slice(0, 2)}_${process.pid}`;
            const other = `${db}_other`;
            const target = kind === "postgres" ? db : `${db}_copy`;
            dbs.push(db, other, target);
            schemas.push(db);
            const c = await connect();
            await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${other}; DROP DATABASE IF EXISTS ${target}; CREATE DATABASE ${db}; CREATE DATABASE ${other};
                CREATE TABLE ${db}.t1 (id INT PRIMARY KEY, v VARCHAR(20), n DECIMAL(8,2));
                USE ${db}; INSERT INTO t1 SELECT seq, CONCAT('v', seq), seq / 4 FROM seq_1_to_200;`);
            if (kind === "postgres") await dropSchemas(pg, [db]);
            const dest = kind === "postgres" ? postgresConnection(pg) : mariaConnection(maria);
            const cmp: CompareDestination = kind === "postgres" ? { kind: "postgres", conn: pg, schema: target } : { kind: "mysql", conn: maria, database: target };
            const { runner, home } = startTask(mariaConnection(maria), dest, {
                migrationTypes: ["schema", "full", "incremental"],
                objects: kind === "postgres" ? [{ database: db }] : [{ database: db, renameTo: target }],
            });
            runners.push(runner);
            homes.push(home);
            await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);

            // Qualified, from a session whose default database the task does not select; then unqualified.
            await c.query(`USE ${other}; CREATE TABLE ${db}.t2 SELECT * FROM ${db}.t1`);
            await c.query(`USE ${db}; CREATE TABLE t3 (id INT PRIMARY KEY) SELECT id, v FROM t1 WHERE id <= 150`);
            await c.query(`USE ${db}; INSERT INTO t3 VALUES (1000, 'later'); UPDATE t2 SET v = 'changed' WHERE id = 1; DELETE FROM t2 WHERE id = 2`);
            await applied(runner);
            await expectSame(db, ["t1", "t2", "t3"], cmp);

            // The new definition (a column added, rows chosen anew) replaces the old table and its rows.
            await c.query(`USE ${db}; CREATE OR REPLACE TABLE t3 (id INT PRIMARY KEY, w INT) SELECT id, v FROM t1 WHERE id <= 10`);
            await c.query(`USE ${db}; INSERT INTO t3 (id, w, v) VALUES (2000, 5, 'after')`);
            await c.query(`USE ${db}; CREATE OR REPLACE TABLE t2 (k INT PRIMARY KEY, label VARCHAR(5))`);
            await c.query(`USE ${db}; INSERT INTO t2 VALUES (1, 'one')`);
            await applied(runner);
            await expectSame(db, ["t2", "t3"], cmp);
            expect(await destinationColumns(kind, target, "t3")).toEqual(["w", "id", "v"]);
            expect(await destinationColumns(kind, target, "t2")).toEqual(["k", "label"]);
            const s = runner.status;
            expect(s.error).toBeUndefined();

            // What a crash can leave: the stream stopped with its checkpoint before each statement, and
            // the destination as it would be after a part of the statement's work.
            await runner.stop();
            await c.query(`USE ${db}; CREATE TABLE t4 SELECT id, v FROM t1 WHERE id <= 40`);
            // t4 created, its rows and the checkpoint not yet committed.
            await atDestination(kind, kind === "postgres"
                ? `CREATE TABLE ${target}.t4 (id integer NOT NULL, v varchar(20))`
                : `CREATE TABLE ${target}.t4 (id INT NOT NULL, v VARCHAR(20))`);
            // The old t2 dropped, the new one not created yet.
            await c.query(`USE ${db}; CREATE OR REPLACE TABLE t2 (k INT PRIMARY KEY) SELECT id AS k FROM t1 WHERE id <= 5`);
            await atDestination(kind, `DROP TABLE ${target}.t2`);
            // The new t3 created (here with a stray row), its rows and the checkpoint not yet committed.
            await c.query(`USE ${db}; CREATE OR REPLACE TABLE t3 (id INT PRIMARY KEY) SELECT id, v FROM t1 WHERE id <= 3`);
            await atDestination(kind, `DROP TABLE ${target}.t3; CREATE TABLE ${target}.t3 (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO ${target}.t3 VALUES (999, 'stray')`);
            await c.query(`USE ${db}; INSERT INTO t4 VALUES (41, 'streamed')`);
            const resumed = resumeTask(home, runner.taskId);
            runners.push(resumed);
            await applied(resumed);
            await expectSame(db, ["t1", "t2", "t3", "t4"], cmp);
            expect(await destinationColumns(kind, target, "t2")).toEqual(["k"]);
            expect(resumed.status.error).toBeUndefined();
            await c.end();
        }, 240_000);
    }

    it("to MariaDB: triggers (guarded), events (disabled), views and routines follow the source, each in the database it names; drops drop; database statements are listed", async () => {
        const db = `stst_obj_${process.pid}`;
        const copy = `${db}_copy`;
        const other = `${db}_other`;
        const gone = `${db}_gone`;
        dbs.push(db, copy, other, gone, `${gone}_copy`);
        const c = await connect();
        await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${copy}; DROP DATABASE IF EXISTS ${other}; DROP DATABASE IF EXISTS ${gone}; DROP DATABASE IF EXISTS ${gone}_copy;
            CREATE DATABASE ${db}; CREATE DATABASE ${other}; CREATE DATABASE ${gone};
            CREATE TABLE ${db}.items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NOT NULL);
            CREATE TABLE ${db}.audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT NOT NULL, action VARCHAR(10) NOT NULL);
            CREATE TABLE ${gone}.kept (id INT PRIMARY KEY);
            INSERT INTO ${gone}.kept VALUES (1), (2);
            USE ${db}; INSERT INTO items (name, qty) SELECT CONCAT('i', seq), seq FROM seq_1_to_20;`);
        const { runner, home } = startTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full", "incremental"], migrateEvents: true,
            objects: [{ database: db, renameTo: copy }, { database: gone, renameTo: `${gone}_copy` }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
        const dst = await connect();
        const triggers = async () => {
            const [r] = await dst.query<mysql.RowDataPacket[]>("SELECT TRIGGER_NAME AS name, ACTION_STATEMENT AS body FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?", [copy]);
            return r.map((x) => ({ name: String(x.name), body: String(x.body) }));
        };
        const names = async (sql: string) => (await dst.query<mysql.RowDataPacket[]>(sql, [copy]))[0].map((x) => Object.values(x).map(String).join(":")).sort();
        try {
            // A trigger created on the source: at the destination, guarded.
            await c.query(`USE ${db}; CREATE TRIGGER items_ai AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item_id, action) VALUES (NEW.id, 'insert')`);
            // A rolled-back audit row leaves a gap in the source's ids: an unguarded destination trigger
            // firing on the streamed insert would take that id and stay beside the streamed audit row.
            await c.query(`USE ${db}; START TRANSACTION; INSERT INTO audit (item_id, action) VALUES (0, 'gap'); ROLLBACK;
                INSERT INTO items (name, qty) VALUES ('new', 1), ('newer', 2)`);
            await applied(runner);
            const trg = await triggers();
            expect(trg.map((t) => t.name)).toEqual(["items_ai"]);
            expect(trg[0].body).toMatch(/^IF @pulumi_dts_apply IS NULL THEN/);
            await expectSame(db, ["items", "audit"], { kind: "mysql", conn: maria, database: copy });

            // Views, routines and events, written from another default database and named with their own.
            await c.query(`USE ${other};
                CREATE VIEW ${db}.big AS SELECT id, qty FROM ${db}.items WHERE qty > 10;
                CREATE VIEW ${db}.small AS SELECT id FROM ${db}.items WHERE qty < 3;
                CREATE FUNCTION ${db}.twice(x INT) RETURNS INT DETERMINISTIC RETURN 2 * x;
                CREATE PROCEDURE ${db}.noop() BEGIN END;
                CREATE EVENT ${db}.ev_a ON SCHEDULE EVERY 1 HOUR DO DELETE FROM ${db}.audit WHERE id < 0;
                CREATE EVENT ${db}.ev_b ON SCHEDULE EVERY 1 DAY DO DELETE FROM ${db}.audit WHERE id < 0;`);
            await applied(runner);
            expect(await names("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?")).toEqual(["big", "small"]);
            expect(await names("SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?")).toEqual(["noop:PROCEDURE", "twice:FUNCTION"]);
            expect(await names("SELECT EVENT_NAME, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?")).toEqual(["ev_a:DISABLED", "ev_b:DISABLED"]);

            // Changes and drops.
            await c.query(`USE ${other};
                ALTER FUNCTION ${db}.twice COMMENT 'doubles';
                DROP VIEW ${db}.small;
                DROP PROCEDURE ${db}.noop;
                ALTER EVENT ${db}.ev_a RENAME TO ${db}.ev_c;
                ALTER EVENT ${db}.ev_b DO CREATE VIEW ${db}.never AS SELECT 1;
                DROP EVENT ${db}.ev_b;
                USE ${db}; DROP TRIGGER items_ai;`);
            // DROP DATABASE is followed: its tables go; created again, it starts empty and its new tables follow.
            await c.query(`ALTER DATABASE ${db} COMMENT 'changed'; DROP DATABASE ${gone}; CREATE DATABASE ${gone}; CREATE TABLE ${gone}.kept (id INT PRIMARY KEY); INSERT INTO ${gone}.kept VALUES (42)`);
            await c.query(`INSERT INTO ${db}.items (name, qty) VALUES ('untriggered', 3)`);
            await applied(runner);
            expect(await triggers()).toEqual([]);
            expect(await names("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?")).toEqual(["big"]);
            expect(await names("SELECT ROUTINE_NAME, ROUTINE_COMMENT FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?")).toEqual(["twice:doubles"]);
            expect(await names("SELECT EVENT_NAME, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?")).toEqual(["ev_c:DISABLED"]);
            await expectSame(db, ["items", "audit"], { kind: "mysql", conn: maria, database: copy });

            const s = runner.status;
            expect(s.error).toBeUndefined();
            const skipped = s.incremental!.skippedStatements.join("\n");
            expect(skipped).toContain("skipped alter-database");
            expect(skipped).not.toContain("drop-database");
            expect(s.notes.some((n) => n.startsWith(`DROP DATABASE ${gone} on the source at `) && n.includes(`were dropped in ${gone}_copy`))).toBe(true);
            expect(s.notes.some((n) => n.startsWith(`ALTER DATABASE ${db} on the source was not applied`))).toBe(true);
            // The table of the dropped database went with it; the one created after arrived alone.
            const [kept] = await dst.query<mysql.RowDataPacket[]>(`SELECT id FROM ${gone}_copy.kept`);
            expect(kept.map((r) => Number(r.id))).toEqual([42]);
            // Nothing else was passed over.
            expect(s.incremental!.skippedStatements.filter((l) => !/database/.test(l))).toEqual([]);
        } finally {
            await dst.end();
            await c.end();
        }
    }, 240_000);

    it("an application write at the destination fires a trigger the stream created; the stream's own writes do not", async () => {
        const db = `stst_app_${process.pid}`;
        const copy = `${db}_copy`;
        dbs.push(db, copy);
        const c = await connect();
        await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${copy}; CREATE DATABASE ${db};
            CREATE TABLE ${db}.items (id INT AUTO_INCREMENT PRIMARY KEY, qty INT NOT NULL);
            CREATE TABLE ${db}.audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT NOT NULL, qty INT NOT NULL);`);
        const { runner, home } = startTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db, renameTo: copy }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
        await c.query(`USE ${db}; CREATE TRIGGER items_au AFTER UPDATE ON items FOR EACH ROW BEGIN
                DECLARE d INT DEFAULT NEW.qty - OLD.qty;
                INSERT INTO audit (item_id, qty) VALUES (NEW.id, d);
            END`);
        await c.query(`USE ${db}; INSERT INTO items (qty) VALUES (1), (2), (3);
            START TRANSACTION; INSERT INTO audit (item_id, qty) VALUES (0, 0); ROLLBACK;
            UPDATE items SET qty = qty + 10`);
        await applied(runner);
        await expectSame(db, ["items", "audit"], { kind: "mysql", conn: maria, database: copy });
        const app = await connect(copy);
        try {
            await app.query("UPDATE items SET qty = 100 WHERE id = 1");
            const [rows] = await app.query<mysql.RowDataPacket[]>("SELECT item_id, qty FROM audit ORDER BY id DESC LIMIT 1");
            expect(rows.map((r) => [Number(r.item_id), Number(r.qty)])).toEqual([[1, 89]]);
        } finally {
            await app.end();
            await c.end();
        }
    }, 120_000);

    it("to PostgreSQL: trigger, event, view and routine statements and database statements are listed as skipped, with a note", async () => {
        const db = `stst_pg_${process.pid}`;
        const other = `${db}_other`;
        const listed = `${db}_listed`;
        dbs.push(db, other, listed);
        schemas.push(db, listed);
        const c = await connect();
        await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${other}; DROP DATABASE IF EXISTS ${listed};
            CREATE DATABASE ${db}; CREATE DATABASE ${other}; CREATE DATABASE ${listed};
            CREATE TABLE ${db}.items (id INT PRIMARY KEY, qty INT NOT NULL);
            CREATE TABLE ${listed}.picked (id INT PRIMARY KEY);
            CREATE TABLE ${listed}.unpicked (id INT PRIMARY KEY);`);
        await dropSchemas(pg, [db, listed]);
        const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full", "incremental"], migrateEvents: true,
            objects: [{ database: db }, { database: listed, tables: [{ name: "picked" }] }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
        await c.query(`USE ${other};
            CREATE TRIGGER ${db}.items_bi BEFORE INSERT ON ${db}.items FOR EACH ROW SET NEW.qty = NEW.qty + 1;
            DROP TRIGGER ${db}.items_bi;
            CREATE TRIGGER ${listed}.picked_bi BEFORE INSERT ON ${listed}.picked FOR EACH ROW SET @x = 1;
            CREATE TRIGGER ${listed}.unpicked_bi BEFORE INSERT ON ${listed}.unpicked FOR EACH ROW SET @x = 1;
            CREATE EVENT ${db}.ev ON SCHEDULE EVERY 1 HOUR DO DELETE FROM ${db}.items WHERE id < 0;
            ALTER EVENT ${db}.ev COMMENT 'x';
            DROP EVENT ${db}.ev;
            CREATE VIEW ${db}.v AS SELECT id FROM ${db}.items;
            DROP VIEW ${db}.v;
            CREATE FUNCTION ${db}.f() RETURNS INT DETERMINISTIC RETURN 1;
            ALTER FUNCTION ${db}.f COMMENT 'x';
            DROP FUNCTION ${db}.f;
            CREATE VIEW ${other}.not_ours AS SELECT 1 AS x;
            ALTER DATABASE ${db} COMMENT 'x';`);
        await applied(runner);
        const s = runner.status;
        expect(s.error).toBeUndefined();
        const ops = s.incremental!.skippedStatements.map((l) => /^skipped ([a-z-]+)/.exec(l)?.[1]);
        // The trigger on a table the task does not take, and the view of a database it does not select, are not the task's.
        expect(ops).toEqual([
            "create-trigger", "drop-trigger", "create-trigger", "create-event", "alter-event", "drop-event",
            "create-view", "drop-view", "create-function", "alter-function", "drop-function", "alter-database",
        ]);
        const lines = s.incremental!.skippedStatements;
        expect(lines[0]).toContain("not migrated to PostgreSQL");
        expect(lines[2]).toContain(`${listed}.picked_bi`);
        expect(s.notes).toContain("views, routines and triggers are not migrated to PostgreSQL (their SQL is MySQL's); only tables are");
        expect(s.notes.some((n) => n.startsWith(`ALTER DATABASE ${db} on the source was not applied`))).toBe(true);
        await c.end();
    }, 120_000);
});
