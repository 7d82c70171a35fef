/**
 * "Correctness is shown by data": a source holding every MySQL type with its awkward
 * values is migrated by the real engine (schema + full) to PostgreSQL and to MariaDB, and
 * each destination table is compared with the source value by value, row by row
 * (test/harness/compare.ts). The source server runs in a non-UTC time zone (+05:30), so
 * any session that forgets to pin its zone shifts TIMESTAMPs visibly.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { AWKWARD_TABLES as TABLES, populateAwkward } from "../harness/awkward-data";
import { compareDatabase, compareTable, formatMismatch, type CompareDestination, type TableComparison } from "../harness/compare";
import { mariaConnection, postgresConnection, removeHome, runTask } from "../harness/engine-run";
import { destroyMariaDb, type MariaDbInfo, startMariaDb } from "../harness/mariadb";

const pg = inject("postgres");
const db = `av_${process.pid}`;
const dirtyDb = `av_dirty_${process.pid}`;

function pgClient(): Client {
    return new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
}

/** All mismatches of all tables, one line each: a failing test prints exactly what differs. */
function report(results: TableComparison[]): string[] {
    return results.flatMap((r) => r.mismatches.map(formatMismatch));
}

describe("awkward values: every MySQL type, migrated and compared value by value", () => {
    let src: MariaDbInfo;
    const homes: string[] = [];

    beforeAll(async () => {
        src = await startMariaDb({ extraConfig: ["default-time-zone='+05:30'"] });
        await populateAwkward(src, db, dirtyDb);
    });

    afterAll(async () => {
        homes.forEach(removeHome);
        if (src) await destroyMariaDb(src);
        const p = pgClient();
        await p.connect();
        for (const s of [db, `${dirtyDb}_block`, `${dirtyDb}_skip`]) await p.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
        await p.end();
    });

    const checkCoverage = (results: TableComparison[]) => {
        expect(results.map((r) => r.table)).toEqual(TABLES.map((t) => `${db}.${t}`));
        for (const r of results) {
            // Nothing is vacuous: every table has rows, and every value of every row was compared.
            expect(r.sourceRows, r.table).toBeGreaterThan(3);
            expect(r.valuesCompared, r.table).toBe(r.sourceRows * r.columns.length);
        }
    };

    it("(a) MariaDB (+05:30) -> PostgreSQL: every value equals the source under the documented mapping", async () => {
        const { status, home } = await runTask(mariaConnection(src), postgresConnection(pg), {
            migrationTypes: ["schema", "full"], objects: [{ database: db }],
        });
        homes.push(home);
        expect(status.error).toBeUndefined();
        expect(status.phase).toBe("completed");
        expect(status.dirtyRows).toBe(0);

        const dest: CompareDestination = { kind: "postgres", conn: pg, schema: db };
        const results = await compareDatabase(src, db, dest);
        expect(report(results)).toEqual([]);
        checkCoverage(results);

        const p = pgClient();
        await p.connect();
        try {
            await p.query("SET TIME ZONE 'UTC'");
            // Written at 17:30 in +05:30 and at 04:00 in -08:00: one instant, 12:00 UTC.
            const ts = await p.query(`SELECT id, ts::text AS ts FROM "${db}".temporal WHERE id BETWEEN 10 AND 13 ORDER BY id`);
            expect(ts.rows).toEqual([
                { id: 10, ts: "2021-06-01 12:00:00.123456+00" },
                { id: 11, ts: "2021-06-01 12:00:00.123456+00" },
                { id: 12, ts: "2020-12-31 23:59:59+00" },
                { id: 13, ts: "2020-12-31 23:59:59+00" },
            ]);
            // Zero dates in a NOT NULL column: the column is nullable and holds NULL (documented).
            const zero = await p.query(`SELECT id FROM "${db}".temporal WHERE dt0 IS NULL ORDER BY id`);
            expect(zero.rows.map((r) => r.id)).toEqual([1, 2, 5]);
            // The NOT NULL unique key of the key-less table exists in PostgreSQL.
            const idx = await p.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'nopk'`, [db]);
            expect(idx.rows.some((r) => /UNIQUE INDEX .*\(code\)/.test(r.indexdef))).toBe(true);

            // The comparison is not blind: alter four values and each is reported where it is.
            await p.query(`UPDATE "${db}".floats SET d = 0 WHERE id = 6`);
            await p.query(`UPDATE "${db}".jsons SET j = jsonb_set(j, '{max}', '9223372036854775806') WHERE id = 2`);
            await p.query(`UPDATE "${db}".temporal SET ts = ts + interval '1 microsecond' WHERE id = 11`);
            await p.query(`UPDATE "${db}".texts SET v = NULL WHERE id = 2`);
            await p.query(`DELETE FROM "${db}".nopk WHERE code = '😀'`);
        } finally {
            await p.end();
        }
        const tampered = (await compareDatabase(src, db, dest)).flatMap((r) => r.mismatches);
        expect(tampered.map((m) => [m.table, m.key, m.column, m.source, m.destination])).toEqual([
            [`${db}.floats`, "id=6", "d", '"5e-324"', '"0"'],
            [`${db}.jsons`, "id=2", "j", expect.stringContaining("9223372036854775807"), expect.stringContaining("9223372036854775806")],
            [`${db}.nopk`, "code=😀", "(row)", "present", "missing"],
            [`${db}.temporal`, "id=11", "ts", '"2021-06-01 12:00:00.123456"', '"2021-06-01 12:00:00.123457+00"'],
            [`${db}.texts`, "id=2", "v", '""', "NULL"],
        ]);
    });

    it("(b) MariaDB -> MariaDB (another database, same server): every value identical, byte for byte", async () => {
        const copy = `${db}_copy`;
        const { status, home } = await runTask(mariaConnection(src), mariaConnection(src), {
            migrationTypes: ["schema", "full"], objects: [{ database: db, renameTo: copy }],
        });
        homes.push(home);
        expect(status.error).toBeUndefined();
        expect(status.phase).toBe("completed");

        const results = await compareDatabase(src, db, { kind: "mysql", conn: src, database: copy });
        expect(report(results)).toEqual([]);
        checkCoverage(results);
    });

    it("(d) MariaDB (+05:30) -> MariaDB: a TIMESTAMP literal default keeps its instant", async () => {
        const c = await mysql.createConnection({ host: src.host, port: src.port, user: src.user, password: src.password, multipleStatements: true });
        const tsdb = `${db}_tsdef`;
        try {
            await c.query(`CREATE DATABASE ${tsdb}; CREATE TABLE ${tsdb}.t (id INT PRIMARY KEY, ts TIMESTAMP NULL DEFAULT '2020-01-01 00:00:00'); INSERT INTO ${tsdb}.t (id) VALUES (1)`);
            const { status, home } = await runTask(mariaConnection(src), mariaConnection(src), {
                migrationTypes: ["schema", "full"], objects: [{ database: tsdb, renameTo: `${tsdb}_copy` }],
            });
            homes.push(home);
            expect(status.phase).toBe("completed");
            await c.query(`INSERT INTO ${tsdb}.t (id) VALUES (2); INSERT INTO ${tsdb}_copy.t (id) VALUES (2)`);
            const [a] = await c.query<mysql.RowDataPacket[]>(`SELECT id, CAST(ts AS CHAR) AS ts FROM ${tsdb}.t ORDER BY id`);
            const [b] = await c.query<mysql.RowDataPacket[]>(`SELECT id, CAST(ts AS CHAR) AS ts FROM ${tsdb}_copy.t ORDER BY id`);
            expect(b).toEqual(a);
        } finally {
            await c.query(`DROP DATABASE IF EXISTS ${tsdb}; DROP DATABASE IF EXISTS ${tsdb}_copy`);
            await c.end();
        }
    });

    it("(c) dirty data, block: U+0000 in TEXT stops the task, naming the table, the row and the reason", async () => {
        const { status, home } = await runTask(mariaConnection(src), postgresConnection(pg), {
            migrationTypes: ["schema", "full"], objects: [{ database: dirtyDb, renameTo: `${dirtyDb}_block` }], dirtyData: "block",
        });
        homes.push(home);
        expect(status.phase).toBe("failed");
        expect(status.error).toContain(`${dirtyDb}.nul`);
        expect(status.error).toContain("id=2");
        expect(status.error).toContain("U+0000");
        expect(status.dirtyRows).toBe(0);
    });

    it("(c) dirty data, skip: the row is skipped and recorded, every other row arrives intact", async () => {
        const schema = `${dirtyDb}_skip`;
        const taskId = "dirty-skip";
        const { status, home } = await runTask(mariaConnection(src), postgresConnection(pg), {
            migrationTypes: ["schema", "full"], objects: [{ database: dirtyDb, renameTo: schema }], dirtyData: "skip",
        }, { taskId });
        homes.push(home);
        expect(status.error).toBeUndefined();
        expect(status.phase).toBe("completed");
        expect(status.dirtyRows).toBe(1);
        expect(status.dirtySample).toEqual([{ table: `${dirtyDb}.nul`, key: "id=2", error: expect.stringContaining("U+0000") }]);

        const cmp = await compareTable(src, dirtyDb, "nul", { kind: "postgres", conn: pg, schema });
        expect(cmp.mismatches.map(formatMismatch)).toEqual([`${dirtyDb}.nul {id=2} (row): source present != destination missing`]);
        expect(cmp.destinationRows).toBe(3);

        const dirtyFile = join(home, "tasks", taskId, "dirty.jsonl");
        expect(existsSync(dirtyFile)).toBe(true);
        const lines = readFileSync(dirtyFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
        expect(lines).toEqual([expect.objectContaining({ table: `${dirtyDb}.nul`, key: "id=2", error: expect.stringContaining("U+0000") })]);

        // A MySQL-family destination stores U+0000: the same table arrives whole, byte for byte.
        const r = await runTask(mariaConnection(src), mariaConnection(src), {
            migrationTypes: ["schema", "full"], objects: [{ database: dirtyDb, renameTo: `${dirtyDb}_copy` }], dirtyData: "block",
        });
        homes.push(r.home);
        expect(r.status.phase).toBe("completed");
        const same = await compareTable(src, dirtyDb, "nul", { kind: "mysql", conn: src, database: `${dirtyDb}_copy` });
        expect(same.mismatches.map(formatMismatch)).toEqual([]);
        expect(same.destinationRows).toBe(4);
    });
});
