/**
 * Incremental migration, shown by data: a write load (inserts, updates, primary-key
 * changes, deletes, multi-statement transactions) runs against the source from before the
 * task starts until after its stream runs, across the snapshot and the full load. Once the
 * load stops and the stream has caught up, every table is compared with the source value
 * by value. A stopped stream resumes from the checkpoint the destination holds.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { dropSchemas } from "../harness/postgres";
import { compareDatabase, compareTable, formatMismatch, type CompareDestination } from "../harness/compare";
import { mariaConnection, postgresConnection, removeHome, resumeTask, startTask, waitForStatus } from "../harness/engine-run";
import { createSource, writeLoad } from "../harness/write-load";
import type { TaskRunner } from "../../provider/engine/task-runner";
import type { TaskStatus } from "../../provider/engine/status";

const maria = inject("mariadb");
const pg = inject("postgres");
async function mysqlAdmin(database?: string) {
    return mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true, database });
}


const caughtUp = (s: TaskStatus) => s.phase === "running" && s.incremental?.caughtUp === true;

async function expectSame(db: string, dest: CompareDestination): Promise<void> {
    const results = await compareDatabase(maria, db, dest);
    const mismatches = results.flatMap((r) => r.mismatches);
    expect(mismatches.slice(0, 10).map(formatMismatch)).toEqual([]);
    expect(results.map((r) => r.sourceRows)).toEqual(results.map((r) => r.destinationRows));
}

describe("incremental migration under a write load", () => {
    const homes: string[] = [];
    const runners: TaskRunner[] = [];
    const dbs: string[] = [];
    afterAll(async () => {
        for (const r of runners) await r.stop();
        const c = await mysqlAdmin();
        for (const db of dbs) await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_copy`);
        await c.end();
        await dropSchemas(pg, dbs);
        homes.forEach(removeHome);
    });

    for (const kind of ["postgres", "mariadb"] as const) {
        it(`MariaDB -> ${kind}: writes during the snapshot, the load and the stream all arrive, once`, async () => {
            const db = `inc_${kind.slice(0, 2)}_${process.pid}`;
            dbs.push(db);
            await createSource(maria, db);
            const load = writeLoad(maria, db);
            try {
                await new Promise((r) => setTimeout(r, 300));
                const dest = kind === "postgres" ? postgresConnection(pg) : mariaConnection(maria);
                const { runner, home } = startTask(mariaConnection(maria), dest, {
                    migrationTypes: ["schema", "full", "incremental"],
                    objects: kind === "postgres" ? [{ database: db }] : [{ database: db, renameTo: `${db}_copy` }],
                });
                runners.push(runner);
                homes.push(home);
                await waitForStatus(runner, (s) => s.phase === "running" && (s.incremental?.changesApplied ?? 0) > 0);
                // Keep writing while the stream runs, then stop it mid-load and resume from the destination's checkpoint.
                await new Promise((r) => setTimeout(r, 1500));
                await runner.stop();
                const resumed = resumeTask(home, runner.taskId);
                runners.push(resumed);
                await waitForStatus(resumed, (s) => s.phase === "running");
                await new Promise((r) => setTimeout(r, 1000));
                const transactions = await load.stop();
                expect(transactions).toBeGreaterThan(50);
                const s = await waitForStatus(resumed, (x) => caughtUp(x) && x.incremental!.heartbeatLagMs !== undefined, 60_000);
                expect(s.incremental!.latencySeconds).toBe(0);
                // The source's heartbeat row travelled the stream (it is not migrated itself).
                expect(s.incremental!.heartbeatError).toBeUndefined();
                await expectSame(db, kind === "postgres"
                    ? { kind: "postgres", conn: pg, schema: db }
                    : { kind: "mysql", conn: maria, database: `${db}_copy` });
                await resumed.stop();
            } finally {
                await load.stop();
            }
        }, 180_000);
    }

    it("row filters: updates move rows into and out of the destination as the filter says", async () => {
        const db = `inc_where_${process.pid}`;
        dbs.push(db);
        await createSource(maria, db);
        // The filter reads a column that is not migrated (owner) and one that is (balance).
        const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full", "incremental"],
            objects: [{ database: db, tables: [{ name: "accounts", columns: ["id", "balance"], where: "balance < 100 AND owner <> 'owner-3'" }] }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, caughtUp);
        const c = await mysqlAdmin(db);
        await c.query("UPDATE accounts SET balance = 500 WHERE id = 10");        // leaves the filter
        await c.query("UPDATE accounts SET balance = 5 WHERE id = 200");         // enters it
        await c.query("UPDATE accounts SET owner = 'owner-3' WHERE id = 20");    // leaves it through an unmigrated column
        await c.query("UPDATE accounts SET id = 1000000, balance = 1 WHERE id = 30"); // key change, stays in
        await c.query("INSERT INTO accounts (id, owner, balance) VALUES (2000000, 'x', 1), (2000001, 'x', 1000)");
        await c.query("DELETE FROM accounts WHERE id IN (40, 300)");
        await c.end();
        await waitForStatus(runner, (s) => caughtUp(s) && s.incremental!.changesApplied >= 7);
        const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await p.connect();
        const dest = (await p.query(`SELECT id::text AS id, balance::text AS balance FROM ${db}.accounts ORDER BY id`)).rows;
        await p.end();
        const s = await mysqlAdmin(db);
        const [src] = await s.query<mysql.RowDataPacket[]>("SELECT CAST(id AS CHAR) AS id, CAST(balance AS CHAR) AS balance FROM accounts WHERE balance < 100 AND owner <> 'owner-3' ORDER BY id");
        await s.end();
        expect(dest).toEqual(src.map((r) => ({ id: r.id, balance: r.balance })));
        expect(dest.map((r) => r.id)).toEqual(expect.arrayContaining(["200", "1000000", "2000000"]));
        expect(dest.map((r) => r.id)).not.toContain("10");
    }, 120_000);

    for (const policy of ["skip", "block"] as const) {
        it(`dirty data in the stream (dirtyData: ${policy}): a value PostgreSQL cannot store is ${policy === "skip" ? "recorded and the rest applied" : "an error naming the row"}`, async () => {
            const db = `inc_dirty_${policy}_${process.pid}`;
            dbs.push(db);
            await createSource(maria, db, 100);
            const { runner, home, store } = startTask(mariaConnection(maria), postgresConnection(pg), {
                migrationTypes: ["schema", "full", "incremental"], dirtyData: policy, objects: [{ database: db, tables: [{ name: "accounts" }] }],
            });
            runners.push(runner);
            homes.push(home);
            await waitForStatus(runner, caughtUp);
            const c = await mysqlAdmin(db);
            // PostgreSQL text cannot hold U+0000; the rows around it are fine.
            await c.query("INSERT INTO accounts (id, owner, balance) VALUES (5001, 'ok-1', 1), (5002, CONCAT('bad', CHAR(0), 'owner'), 2), (5003, 'ok-2', 3)");
            await c.end();
            if (policy === "skip") {
                const s = await waitForStatus(runner, (x) => caughtUp(x) && x.dirtyRows === 1);
                expect(s.dirtySample[0]).toMatchObject({ table: `${db}.accounts`, key: "id=5002" });
                expect(s.dirtySample[0].error).toContain("U+0000");
                expect(readFileSync(join(store.dir, "dirty.jsonl"), "utf8")).toContain("id=5002");
                const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
                await p.connect();
                const ids = (await p.query(`SELECT id::int AS id FROM ${db}.accounts WHERE id > 5000 ORDER BY id`)).rows.map((r) => r.id);
                await p.end();
                expect(ids).toEqual([5001, 5003]);
            } else {
                const s = await waitForStatus(runner, (x) => x.phase === "failed");
                expect(s.error).toContain("row id=5002");
                expect(s.error).toContain("U+0000");
            }
        }, 120_000);
    }

    it("incremental throttling: changes applied never run ahead of throttle.incremental.rps (counted, not timed to the millisecond)", async () => {
        const db = `inc_thr_${process.pid}`;
        dbs.push(db);
        await createSource(maria, db, 10);
        const rps = 400;
        const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db, tables: [{ name: "events" }] }],
            throttle: { incremental: { rps } },
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, caughtUp);
        const c = await mysqlAdmin(db);
        const t0 = Date.now();
        for (let i = 0; i < 20; i++) await c.query("INSERT INTO events (account, what) SELECT seq, 'pay' FROM seq_1_to_100");
        await c.end();
        // Sampled while the backlog drains: never more than one second's burst ahead of the rate.
        let samples = 0;
        while (runner.status.incremental!.changesApplied < 2000) {
            const applied = runner.status.incremental!.changesApplied;
            const allowed = rps * ((Date.now() - t0) / 1000) + rps + 100;
            expect(applied).toBeLessThanOrEqual(allowed);
            samples++;
            await new Promise((r) => setTimeout(r, 100));
        }
        expect(samples).toBeGreaterThan(10);
    }, 120_000);

    it("two tasks stream from one source side by side, each with its own server_id", async () => {
        const db = `inc_two_${process.pid}`;
        dbs.push(db);
        await createSource(maria, db, 1000);
        const load = writeLoad(maria, db, 1000);
        try {
            const a = startTask(mariaConnection(maria), postgresConnection(pg), { migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db, renameTo: `${db}_a` }] });
            const b = startTask(mariaConnection(maria), postgresConnection(pg), { migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db, renameTo: `${db}_b` }] });
            runners.push(a.runner, b.runner);
            homes.push(a.home, b.home);
            await Promise.all([a.runner, b.runner].map((r) => waitForStatus(r, (s) => s.phase === "running" && (s.incremental?.changesApplied ?? 0) > 0)));
            await new Promise((r) => setTimeout(r, 1000));
            await load.stop();
            await Promise.all([a.runner, b.runner].map((r) => waitForStatus(r, caughtUp, 60_000)));
            for (const schema of [`${db}_a`, `${db}_b`]) await expectSame(db, { kind: "postgres", conn: pg, schema });
        } finally {
            await load.stop();
        }
        await dropSchemas(pg, [`${db}_a`, `${db}_b`]);
    }, 180_000);

    it("TRUNCATE on the source empties the destination table; DDL on unselected tables passes by", async () => {
        const db = `inc_ddl_${process.pid}`;
        dbs.push(db);
        await createSource(maria, db);
        const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db, tables: [{ name: "codes" }, { name: "events" }] }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, caughtUp);
        const c = await mysqlAdmin(db);
        await c.query("INSERT INTO events (account, what) VALUES (1, 'open'), (2, 'close')");
        await c.query("TRUNCATE TABLE codes");
        await c.query("INSERT INTO codes VALUES ('after', 1)");
        // accounts is not selected: its DDL passes by.
        await c.query("ALTER TABLE accounts ADD COLUMN extra INT");
        await c.end();
        await waitForStatus(runner, (s) => caughtUp(s) && s.incremental!.changesApplied >= 3);
        for (const t of ["codes", "events"]) {
            const r = await compareTable(maria, db, t, { kind: "postgres", conn: pg, schema: db });
            expect(r.mismatches.map(formatMismatch)).toEqual([]);
        }
        const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await p.connect();
        expect((await p.query(`SELECT code FROM ${db}.codes`)).rows).toEqual([{ code: "after" }]);
        await p.end();
        expect(runner.status.phase).toBe("running");
    }, 120_000);

    for (const kind of ["postgres", "mariadb"] as const) {
        it(`DDL follows the source to ${kind}: ALTER (add, change, rename column), CREATE/DROP INDEX, CREATE/RENAME/DROP TABLE, across a restart`, async () => {
            const db = `inc_ddl2_${kind.slice(0, 2)}_${process.pid}`;
            const target = kind === "postgres" ? db : `${db}_copy`;
            dbs.push(db);
            await createSource(maria, db, 100);
            const dest = kind === "postgres" ? postgresConnection(pg) : mariaConnection(maria);
            const { runner, home } = startTask(mariaConnection(maria), dest, {
                migrationTypes: ["schema", "full", "incremental"],
                objects: kind === "postgres" ? [{ database: db }] : [{ database: db, renameTo: target }],
            });
            runners.push(runner);
            homes.push(home);
            await waitForStatus(runner, caughtUp);
            const c = await mysqlAdmin(db);
            await c.query("ALTER TABLE events ADD COLUMN note VARCHAR(10) NOT NULL DEFAULT 'none', ADD INDEX by_account (account)");
            await c.query("INSERT INTO events (account, what, note) VALUES (7, 'pay', 'first')");
            await c.query("ALTER TABLE events CHANGE note remark VARCHAR(20) NULL");
            await c.query("INSERT INTO events (account, what, remark) VALUES (8, 'pay', 'second')");
            await c.query("CREATE TABLE fresh (id INT PRIMARY KEY, v TEXT, n DECIMAL(10,2))");
            await c.query("INSERT INTO fresh VALUES (1, 'one', 1.5), (2, 'two', NULL)");
            await c.query("CREATE INDEX by_v ON fresh (v(10))");
            await c.query("CREATE VIEW big_orders AS SELECT id, n FROM fresh WHERE n > 1");
            await waitForStatus(runner, (s) => caughtUp(s) && s.incremental!.changesApplied >= 4);
            // The changed schema is kept with the destination's checkpoint: a resumed stream uses it.
            await runner.stop();
            await c.query("INSERT INTO events (account, what, remark) VALUES (9, 'close', 'third')");
            await c.query("UPDATE fresh SET v = 'uno' WHERE id = 1");
            await c.query("RENAME TABLE codes TO codes_v2");
            await c.query("INSERT INTO codes_v2 VALUES ('renamed', 1)");
            await c.query("CREATE TABLE doomed (id INT PRIMARY KEY)");
            await c.query("INSERT INTO doomed VALUES (1)");
            await c.query("DROP TABLE doomed");
            await c.end();
            const resumed = resumeTask(home, runner.taskId);
            runners.push(resumed);
            const s = await waitForStatus(resumed, (x) => caughtUp(x) && x.incremental!.changesApplied >= 8, 60_000);
            expect(s.error).toBeUndefined();
            const cmp: CompareDestination = kind === "postgres" ? { kind: "postgres", conn: pg, schema: target } : { kind: "mysql", conn: maria, database: target };
            for (const t of ["events", "fresh", "codes_v2", "accounts"]) {
                const r = await compareTable(maria, db, t, cmp);
                expect(r.mismatches.slice(0, 5).map(formatMismatch), t).toEqual([]);
                expect(r.destinationRows, t).toBe(r.sourceRows);
            }
            const tables = kind === "postgres"
                ? await (async () => {
                    const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
                    await p.connect();
                    const r = (await p.query("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", [target])).rows.map((x) => x.tablename as string);
                    const idx = (await p.query("SELECT indexname FROM pg_indexes WHERE schemaname = $1", [target])).rows.map((x) => x.indexname as string);
                    await p.end();
                    expect(idx.some((i) => i.includes("by_account"))).toBe(true);
                    return r;
                })()
                : await (async () => {
                    const m = await mysqlAdmin();
                    const [r] = await m.query<mysql.RowDataPacket[]>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1", [target]);
                    const [idx] = await m.query<mysql.RowDataPacket[]>("SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'events'", [target]);
                    expect(idx.map((x) => String(x.i))).toContain("by_account");
                    const [views] = await m.query<mysql.RowDataPacket[]>("SELECT TABLE_NAME AS v, SECURITY_TYPE AS s FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?", [target]);
                    await m.end();
                    expect(views.map((x) => [String(x.v), String(x.s)])).toEqual([["big_orders", "INVOKER"]]);
                    return r.map((x) => String(x.t)).filter((t) => t !== "big_orders");
                })();
            expect(tables).toEqual(["accounts", "codes_v2", "events", "fresh"]);
            if (kind === "postgres") expect(s.incremental!.skippedStatements.join("\n")).toContain("skipped create-view: views, routines and triggers are not migrated to PostgreSQL");
        }, 180_000);
    }

    it("a listed table renamed on the source while the task is stopped: the resumed stream stops at the RENAME, saying what to do", async () => {
        const db = `inc_ren_${process.pid}`;
        dbs.push(db);
        await createSource(maria, db, 10);
        const { runner, home } = startTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db, tables: [{ name: "codes" }] }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, caughtUp);
        await runner.stop();
        const c = await mysqlAdmin(db);
        await c.query("INSERT INTO codes VALUES ('before-rename', 1)");
        await c.query("RENAME TABLE codes TO codes_old");
        await c.end();
        const resumed = resumeTask(home, runner.taskId);
        runners.push(resumed);
        const failed = await waitForStatus(resumed, (s) => s.phase === "failed" || s.phase === "precheck-failed", 60_000).catch((e) => {
            throw new Error(`${(e as Error).message}\n${readFileSync(join(home, "tasks", runner.taskId, "task.log"), "utf8").slice(-3000)}`);
        });
        expect(failed.phase).toBe("failed");
        expect(failed.error).toContain("RENAME TABLE codes TO codes_old");
        expect(failed.error).toContain("which the task does not migrate");
        // The row written before the rename arrived first.
        const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await p.connect();
        expect((await p.query(`SELECT count(*)::int AS n FROM ${db}.codes WHERE code = 'before-rename'`)).rows[0].n).toBe(1);
        await p.end();
    }, 120_000);

    it("a column type change PostgreSQL cannot follow stops the task with seed 002's recovery steps", async () => {
        const db = `inc_ddl3_${process.pid}`;
        dbs.push(db);
        await createSource(maria, db, 10);
        const { runner, home, spec } = startTask(mariaConnection(maria), postgresConnection(pg), {
            migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db, tables: [{ name: "accounts" }] }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, caughtUp);
        const c = await mysqlAdmin(db);
        // DATETIME -> text: MySQL prints the values, PostgreSQL would print them its own way.
        await c.query("ALTER TABLE accounts MODIFY seen VARCHAR(40)");
        const failed = await waitForStatus(runner, (s) => s.phase === "failed");
        expect(failed.error).toContain("ALTER TABLE accounts MODIFY seen VARCHAR(40)");
        expect(failed.error).toContain("leave \"alter-table\" out of the task's ddl selection");
        // The user's way out: change the column at the destination, leave alter-table out, pulumi up.
        const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await p.connect();
        await p.query(`ALTER TABLE ${db}.accounts ALTER COLUMN seen TYPE varchar(40) USING to_char(seen, 'YYYY-MM-DD HH24:MI:SS.US')`);
        await runner.update({ ...spec, task: { ...spec.task, ddl: ["create-table", "drop-table", "truncate-table"] } });
        await c.query("UPDATE accounts SET seen = 'later' WHERE id = 1");
        const s = await waitForStatus(runner, (x) => caughtUp(x) && x.incremental!.changesApplied >= 1);
        expect(s.incremental!.skippedStatements.join("\n")).toContain("skipped alter-table (not in the ddl selection)");
        expect((await p.query(`SELECT seen FROM ${db}.accounts WHERE id = 1`)).rows).toEqual([{ seen: "later" }]);
        await p.end();
        await c.end();
    }, 120_000);
});
