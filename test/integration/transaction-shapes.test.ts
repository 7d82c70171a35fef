/**
 * Transactions as applications write them, streamed while a task runs, then compared row by
 * row: ORM savepoints (nested, rolled back to an outer one, released, a get_or_create race
 * that rolls back a failed insert), rollbacks that leave AUTO_INCREMENT gaps, InnoDB and
 * Aria (non-transactional) tables written in one transaction, which makes MariaDB log
 * ROLLBACK TO, and XA transactions committed or rolled back with other commits in between,
 * one of them prepared across an engine restart.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { dropSchemas } from "../harness/postgres";
import { compareDatabase, formatMismatch, type CompareDestination } from "../harness/compare";
import { mariaConnection, postgresConnection, removeHome, resumeTask, startTask, waitForStatus } from "../harness/engine-run";
import { type BinlogPosition, comparePositions } from "../../provider/engine/model";
import type { TaskRunner } from "../../provider/engine/task-runner";
import type { TaskStatus } from "../../provider/engine/status";

const maria = inject("mariadb");
const pg = inject("postgres");
const connect = (database?: string) =>
    mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true, database });

async function sourcePosition(): Promise<BinlogPosition> {
    const c = await connect();
    const [rows] = await c.query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
    await c.end();
    return { file: String(rows[0].File), position: Number(rows[0].Position) };
}

/** Caught up with everything the source has logged by now (not just with what the stream saw). */
async function waitCaughtUp(runner: TaskRunner): Promise<TaskStatus> {
    const target = await sourcePosition();
    return waitForStatus(runner, (s) => {
        const p = s.incremental?.position;
        return s.phase === "running" && s.incremental?.caughtUp === true && p !== undefined && comparePositions(p, target) >= 0;
    }, 60_000);
}

async function createSource(db: string): Promise<void> {
    const c = await connect();
    await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
        CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(40) NOT NULL UNIQUE, amount DECIMAL(10,2) NOT NULL, state VARCHAR(10) NOT NULL DEFAULT 'new') ENGINE=InnoDB;
        CREATE TABLE items (order_id INT NOT NULL, line INT NOT NULL, sku VARCHAR(20) NOT NULL, PRIMARY KEY (order_id, line)) ENGINE=InnoDB;
        CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT) ENGINE=Aria;
        INSERT INTO orders (customer, amount) VALUES ('c-1', 10), ('c-2', 20), ('c-3', 30);
        INSERT INTO items VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 1, 'c');
        INSERT INTO notes (body) VALUES ('first');`);
    await c.end();
}

/** The shapes, each on its own connection as an application's unit of work. */
async function writeShapes(db: string): Promise<void> {
    const c = await connect(db);
    try {
        await writeSavepointShapes(c);
    } finally {
        // An open transaction left by a failed shape would hold metadata locks that DROP DATABASE waits for.
        c.destroy();
    }
    await writeXaShapes(db, db);
}

async function writeSavepointShapes(c: mysql.Connection): Promise<void> {
    // Nested savepoints (Django atomic() inside atomic()); the inner one rolled back, the outer kept.
    await c.query(`BEGIN;
        INSERT INTO orders (customer, amount) VALUES ('n-1', 1);
        SAVEPOINT outer_sp;
        INSERT INTO orders (customer, amount) VALUES ('n-2', 2);
        SAVEPOINT inner_sp;
        INSERT INTO orders (customer, amount) VALUES ('n-3', 3);
        UPDATE orders SET amount = 99 WHERE customer = 'c-1';
        ROLLBACK TO SAVEPOINT inner_sp;
        INSERT INTO items VALUES (3, 1, 'after-inner');
        RELEASE SAVEPOINT outer_sp;
        COMMIT`);
    // Rollback to an outer savepoint with a non-transactional (Aria) write inside: MariaDB logs
    // the InnoDB rows after the savepoint and then ROLLBACK TO; only the rows before it count.
    await c.query(`BEGIN;
        INSERT INTO orders (customer, amount) VALUES ('o-1', 11);
        UPDATE orders SET state = 'paid' WHERE customer = 'c-2';
        SAVEPOINT outer_sp;
        INSERT INTO orders (customer, amount) VALUES ('o-2', 12);
        SAVEPOINT inner_sp;
        DELETE FROM items WHERE order_id = 1;
        INSERT INTO notes (body) VALUES ('aria rows are not rolled back');
        ROLLBACK TO outer_sp;
        INSERT INTO orders (customer, amount) VALUES ('o-3', 13);
        DELETE FROM items WHERE order_id = 2;
        COMMIT`);
    // Changes after a rollback to a savepoint, twice to the same one.
    await c.query(`BEGIN;
        SAVEPOINT s;
        INSERT INTO orders (customer, amount) VALUES ('r-1', 1);
        INSERT INTO notes (body) VALUES ('again');
        ROLLBACK TO s;
        INSERT INTO orders (customer, amount) VALUES ('r-2', 2);
        ROLLBACK TO s;
        INSERT INTO orders (customer, amount) VALUES ('r-3', 3);
        COMMIT`);
    // get_or_create race: the insert fails on the unique key inside a savepoint, then the row is updated.
    await c.query("BEGIN; SAVEPOINT goc; INSERT INTO orders (customer, amount) VALUES ('c-3', 0)").catch(() => undefined);
    await c.query("ROLLBACK TO SAVEPOINT goc; UPDATE orders SET amount = amount + 1 WHERE customer = 'c-3'; COMMIT");
    // Whole rollbacks leave AUTO_INCREMENT gaps; the mixed one writes Aria rows that stay.
    await c.query("BEGIN; INSERT INTO orders (customer, amount) VALUES ('gone-1', 1), ('gone-2', 2); ROLLBACK");
    await c.query("BEGIN; INSERT INTO orders (customer, amount) VALUES ('gone-3', 3); INSERT INTO notes (body) VALUES ('kept'); ROLLBACK").catch(() => undefined);
    await c.query("INSERT INTO orders (customer, amount) VALUES ('after-gap', 5)");
}

/**
 * Ends the session that prepared an XA transaction. The transaction survives it, detached
 * (MariaDB 10.5+), but another session can commit it only once the server has finished the
 * old one, which end() does not wait for.
 */
async function detach(session: mysql.Connection, observer: mysql.Connection): Promise<void> {
    const id = session.threadId;
    await session.end();
    for (;;) {
        const [rows] = await observer.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?", [id]);
        if (Number(rows[0].n) === 0) return;
        await new Promise((r) => setTimeout(r, 20));
    }
}

/**
 * XA: committed and rolled back with other transactions in between; one-phase. Writes in
 * between go to another table: the prepared transaction keeps its row locks.
 */
async function writeXaShapes(db: string, x: string): Promise<void> {
    const xa = await connect(db);
    const xb = await connect(db);
    const other = await connect(db);
    try {
        await xa.query(`XA START '${x}-commit'; INSERT INTO orders (customer, amount) VALUES ('xa-1', 7); UPDATE orders SET state = 'xa' WHERE customer = 'c-1'; XA END '${x}-commit'; XA PREPARE '${x}-commit'`);
        await other.query("INSERT INTO items VALUES (100, 1, 'between-1')");
        await detach(xa, other);
        await other.query(`XA COMMIT '${x}-commit'`);
        await xb.query(`XA START '${x}-rollback'; INSERT INTO orders (customer, amount) VALUES ('xa-never', 8); DELETE FROM items WHERE order_id = 3; XA END '${x}-rollback'; XA PREPARE '${x}-rollback'`);
        await detach(xb, other);
        await other.query("INSERT INTO items VALUES (100, 2, 'between-2')");
        await other.query(`XA ROLLBACK '${x}-rollback'`);
        await other.query(`XA START '${x}-one'; INSERT INTO orders (customer, amount) VALUES ('xa-one-phase', 9); XA END '${x}-one'; XA COMMIT '${x}-one' ONE PHASE`);
    } finally {
        for (const c of [xa, xb, other]) c.destroy();
    }
}


describe("application transaction shapes during incremental migration", () => {
    const runners: TaskRunner[] = [];
    const homes: string[] = [];
    const dbs: string[] = [];
    afterAll(async () => {
        for (const r of runners) await r.stop();
        const c = await connect();
        await c.query("XA RECOVER").then(async ([rows]) => {
            // Ours only (named after the test's databases): a prepared one would hold locks DROP DATABASE waits for.
            for (const r of rows as mysql.RowDataPacket[]) {
                if (dbs.some((db) => String(r.data).startsWith(db))) await c.query(`XA ROLLBACK '${String(r.data)}'`).catch(() => undefined);
            }
        });
        for (const db of dbs) await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_copy`);
        await c.end();
        await dropSchemas(pg, dbs);
        homes.forEach(removeHome);
    });

    for (const kind of ["postgres", "mariadb"] as const) {
        it(`MariaDB -> ${kind}: savepoints, rollbacks, mixed engines and XA arrive exactly as committed`, async () => {
            const db = `txs_${kind.slice(0, 2)}_${process.pid}`;
            dbs.push(db);
            await createSource(db);
            const dest = kind === "postgres" ? postgresConnection(pg) : mariaConnection(maria);
            const target: CompareDestination = kind === "postgres"
                ? { kind: "postgres", conn: pg, schema: db }
                : { kind: "mysql", conn: maria, database: `${db}_copy` };
            const { runner, home } = startTask(mariaConnection(maria), dest, {
                migrationTypes: ["schema", "full", "incremental"],
                objects: kind === "postgres" ? [{ database: db }] : [{ database: db, renameTo: `${db}_copy` }],
                ignorePrecheckAlerts: "all",
            });
            runners.push(runner);
            homes.push(home);
            await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
            await writeShapes(db);
            await waitCaughtUp(runner);

            // An XA transaction prepared while the engine stops: its rows must survive the restart.
            const held = await connect(db);
            await held.query(`XA START '${db}-held'; INSERT INTO orders (customer, amount) VALUES ('held-1', 42); UPDATE orders SET amount = 43 WHERE customer = 'n-1'; XA END '${db}-held'; XA PREPARE '${db}-held'`);
            const w = await connect(db);
            await detach(held, w);
            await w.query("INSERT INTO items VALUES (200, 1, 'while-held')");
            await waitCaughtUp(runner);
            await runner.stop();
            const resumed = resumeTask(home, runner.taskId);
            runners.push(resumed);
            await waitForStatus(resumed, (s) => s.phase === "running");
            await w.query(`INSERT INTO items VALUES (200, 2, 'after-restart'); XA COMMIT '${db}-held'`);
            await w.end();
            const s = await waitCaughtUp(resumed);
            expect(s.notes.filter((n) => n.includes("XA COMMIT"))).toEqual([]);

            const results = await compareDatabase(maria, db, target);
            expect(results.flatMap((r) => r.mismatches).slice(0, 10).map(formatMismatch)).toEqual([]);
            expect(results.map((r) => r.destinationRows)).toEqual(results.map((r) => r.sourceRows));
            // The shapes really ran: rolled-back rows are absent at the source too, committed ones present.
            const c = await connect(db);
            const [rows] = await c.query<mysql.RowDataPacket[]>("SELECT customer FROM orders ORDER BY customer");
            await c.end();
            const customers = rows.map((r) => String(r.customer));
            expect(customers).toEqual(expect.arrayContaining(["n-1", "n-2", "o-1", "o-3", "r-3", "xa-1", "xa-one-phase", "held-1", "after-gap"]));
            for (const gone of ["n-3", "o-2", "r-1", "r-2", "gone-1", "gone-3", "xa-never"]) expect(customers).not.toContain(gone);
            await resumed.stop();
        }, 180_000);
    }
});
