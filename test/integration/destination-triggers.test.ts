/**
 * Triggers and events at a MySQL destination (issue 8 §2). The source's triggers write an
 * audit row per change; with ROW binlogs those rows reach the destination through the full
 * load and the stream, so the destination's copy of the triggers must not fire for the
 * engine's writes (else every change is audited twice), yet must fire for an application
 * writing there directly. Events are created disabled and the task says how to enable them.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { compareTable, formatMismatch } from "../harness/compare";
import { mariaConnection, removeHome, startTask, waitForStatus } from "../harness/engine-run";
import type { TaskRunner } from "../../provider/engine/task-runner";
import type { TaskStatus } from "../../provider/engine/status";

const maria = inject("mariadb");
const db = `dtrig_${process.pid}`;
const copy = `${db}_copy`;
const INITIAL = 5000;

function connect(database?: string) {
    return mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true, database });
}

const caughtUp = (s: TaskStatus) => s.phase === "running" && s.incremental?.caughtUp === true;

async function count(c: mysql.Connection, table: string): Promise<{ n: number; max: number }> {
    const [r] = await c.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS max FROM ${table}`);
    return { n: Number(r[0].n), max: Number(r[0].max) };
}

/**
 * Inserts, updates and deletes on items, one change per statement, and now and then a
 * transaction rolled back, until stopped; counts the writes made during the full load.
 * The rollbacks matter: they leave gaps in the source's audit ids, which the destination
 * never sees, so a destination trigger firing on a streamed change takes an id the source
 * did not use and its row stays beside the streamed copy instead of being overwritten by it.
 */
function itemWrites(phase: () => string | undefined): { stop(): Promise<{ total: number; duringFull: number }> } {
    let stopping = false;
    let total = 0;
    let duringFull = 0;
    const done = (async () => {
        const c = await connect(db);
        try {
            while (!stopping) {
                const pick = Math.random();
                const id = 1 + Math.floor(Math.random() * INITIAL);
                if (pick < 0.1) await c.query("START TRANSACTION; INSERT INTO items (name, qty) VALUES ('rolled back', 0); ROLLBACK");
                else if (pick < 0.4) await c.query("INSERT INTO items (name, qty) VALUES (?, ?)", [`w${total}`, total % 50]);
                else if (pick < 0.85) await c.query("UPDATE items SET qty = qty + 1 WHERE id = ?", [id]);
                else await c.query("DELETE FROM items WHERE id = ?", [id]);
                total++;
                if (phase() === "migrating-full") duringFull++;
                await new Promise((r) => setTimeout(r, 2));
            }
        } finally {
            await c.end();
        }
    })();
    return { stop: async () => { stopping = true; await done; return { total, duringFull }; } };
}

describe("MySQL destination: triggers skip the engine's writes, events are created disabled", () => {
    let admin: mysql.Connection;
    let home: string | undefined;
    let runner: TaskRunner | undefined;

    beforeAll(async () => {
        admin = await connect();
        // The triggers cover the body shapes the guard must wrap: one statement, a labelled
        // block with DECLARE and LEAVE, a plain block with DECLARE, and FOLLOWS.
        await admin.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${copy}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NOT NULL);
            CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT NOT NULL, action VARCHAR(10) NOT NULL, qty INT NULL);
            CREATE TRIGGER items_ai AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item_id, action, qty) VALUES (NEW.id, 'insert', NEW.qty);
            CREATE TRIGGER items_ai_note AFTER INSERT ON items FOR EACH ROW FOLLOWS items_ai SET @last_item = NEW.id;
            CREATE TRIGGER items_au AFTER UPDATE ON items FOR EACH ROW upd: BEGIN
                DECLARE delta INT DEFAULT NEW.qty - OLD.qty;
                IF delta = 0 THEN LEAVE upd; END IF;
                INSERT INTO audit (item_id, action, qty) VALUES (NEW.id, 'update', delta);
            END upd;
            CREATE TRIGGER items_ad AFTER DELETE ON items FOR EACH ROW BEGIN
                DECLARE what VARCHAR(10) DEFAULT 'delete'; -- FOR EACH ROW in a comment
                INSERT INTO audit (item_id, action, qty) VALUES (OLD.id, what, OLD.qty);
            END;
            CREATE EVENT ev_purge ON SCHEDULE EVERY 1 HOUR ON COMPLETION PRESERVE ENABLE COMMENT 'ENABLE me' DO DELETE FROM audit WHERE id < 0;
            CREATE EVENT ev_off ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit WHERE id < 0;
            INSERT INTO items (name, qty) SELECT CONCAT('i', seq), seq % 100 FROM seq_1_to_${INITIAL};`);
    });

    afterAll(async () => {
        await runner?.stop();
        await admin.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${copy}`);
        await admin.end();
        if (home) removeHome(home);
    });

    it("the destination's audit table equals the source's after full load and stream; an application write fires the trigger; events are DISABLED and noted", async () => {
        let phase: () => string | undefined = () => undefined;
        const writes = itemWrites(() => phase());
        let writeCounts: { total: number; duringFull: number } | undefined;
        try {
            await new Promise((r) => setTimeout(r, 300));
            const started = startTask(mariaConnection(maria), mariaConnection(maria), {
                migrationTypes: ["schema", "full", "incremental"], migrateEvents: true,
                objects: [{ database: db, renameTo: copy }],
                // A load slow enough (about 3 s) to be written to while it runs.
                throttle: { full: { rps: 5000 } },
            });
            runner = started.runner;
            home = started.home;
            phase = () => runner?.status.phase;
            await waitForStatus(runner, (s) => s.phase === "running" && (s.incremental?.changesApplied ?? 0) > 0, 120_000);
            await new Promise((r) => setTimeout(r, 1000));
        } finally {
            writeCounts = await writes.stop();
        }
        expect(writeCounts.duringFull).toBeGreaterThan(0);

        // Last changes after the load has stopped (a gap in the audit ids, then an insert), then
        // wait until the stream holds everything.
        await admin.query(`START TRANSACTION; INSERT INTO ${db}.items (name, qty) VALUES ('rolled back', 0); ROLLBACK`);
        const [last] = await admin.query<mysql.ResultSetHeader>(`INSERT INTO ${db}.items (name, qty) VALUES ('last', 1)`);
        const dst = await connect();
        try {
            const source = await count(admin, `${db}.audit`);
            // The last item arrives in the transaction that also holds its audit row: then the stream holds everything.
            const deadline = Date.now() + 60_000;
            for (;;) {
                const [r] = await dst.query<mysql.RowDataPacket[]>(`SELECT 1 FROM ${copy}.items WHERE id = ?`, [last.insertId]);
                if (r.length || Date.now() > deadline) break;
                await new Promise((res) => setTimeout(res, 100));
            }
            await waitForStatus(runner, caughtUp, 60_000);

            for (const table of ["items", "audit"]) {
                const cmp = await compareTable(maria, db, table, { kind: "mysql", conn: maria, database: copy });
                expect(cmp.mismatches.slice(0, 10).map(formatMismatch)).toEqual([]);
                expect(cmp.destinationRows).toBe(cmp.sourceRows);
            }
            // Every change audited once: as many audit rows as the source's triggers wrote.
            expect(await count(dst, `${copy}.audit`)).toEqual(source);

            // The destination's triggers are guarded, and their order kept.
            const [trg] = await dst.query<mysql.RowDataPacket[]>(
                "SELECT TRIGGER_NAME AS name, ACTION_ORDER AS ord, ACTION_STATEMENT AS body FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME", [copy]);
            expect(trg.map((t) => t.name)).toEqual(["items_ad", "items_ai", "items_ai_note", "items_au"]);
            for (const t of trg) expect(String(t.body)).toMatch(/^IF @pulumi_dts_apply IS NULL THEN/);
            expect(trg.map((t) => Number(t.ord))).toEqual([1, 1, 2, 1]);

            // A session marked as the engine's writes without firing them.
            const before = await count(dst, `${copy}.audit`);
            await dst.query(`SET @pulumi_dts_apply = 1; UPDATE ${copy}.items SET qty = qty + 5 WHERE id = 1; SET @pulumi_dts_apply = NULL`);
            expect(await count(dst, `${copy}.audit`)).toEqual(before);

            // The application, writing at the destination after cutover: a plain session fires every trigger.
            const app = await connect(copy);
            try {
                const [ins] = await app.query<mysql.ResultSetHeader>("INSERT INTO items (name, qty) VALUES ('app', 7)");
                const id = ins.insertId;
                await app.query("UPDATE items SET qty = 10 WHERE id = ?", [id]);
                await app.query("DELETE FROM items WHERE id = ?", [id]);
                const [rows] = await app.query<mysql.RowDataPacket[]>("SELECT action, qty FROM audit WHERE item_id = ? AND id > ? ORDER BY id", [id, before.max]);
                expect(rows.map((r) => [r.action, r.qty])).toEqual([["insert", 7], ["update", 3], ["delete", 10]]);
                const [v] = await app.query<mysql.RowDataPacket[]>("SELECT @last_item AS v");
                expect(Number(v[0].v)).toBe(id);
            } finally {
                await app.end();
            }

            // Events: created disabled; the one the source runs is in the notes with its ALTER EVENT.
            const [ev] = await dst.query<mysql.RowDataPacket[]>("SELECT EVENT_NAME AS name, STATUS AS status FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME", [copy]);
            expect(ev.map((e) => [e.name, e.status])).toEqual([["ev_off", "DISABLED"], ["ev_purge", "DISABLED"]]);
            const notes = runner.status.notes.filter((n) => /event/i.test(n));
            expect(notes).toHaveLength(1);
            expect(notes[0]).toContain("ev_purge");
            expect(notes[0]).toContain(`ALTER EVENT \`${copy}\`.\`ev_purge\` ENABLE`);
            expect(notes[0]).not.toContain("ev_off");
            expect(runner.status.notes.filter((n) => /not created/.test(n))).toEqual([]);
        } finally {
            await dst.end();
        }
    }, 240_000);
});
