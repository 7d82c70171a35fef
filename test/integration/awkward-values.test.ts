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
import { compareDatabase, compareTable, formatMismatch, type CompareDestination, type TableComparison } from "../harness/compare";
import { mariaConnection, postgresConnection, removeHome, runTask } from "../harness/engine-run";
import { destroyMariaDb, type MariaDbInfo, startMariaDb } from "../harness/mariadb";

const pg = inject("postgres");
const db = `av_${process.pid}`;
const dirtyDb = `av_dirty_${process.pid}`;

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const bits64 = (pattern: string) => `b'${pattern.repeat(64 / pattern.length)}'`;

const TABLES = ["binaries", "bits", "decimals", "floats", "gen_cols", "ints", "jsons", "nopk", "temporal", "texts"];

/** Builds the source database. Every statement runs in a session of its own choosing (time zone, sql_mode). */
async function populate(src: MariaDbInfo): Promise<void> {
    const c = await mysql.createConnection({ host: src.host, port: src.port, user: src.user, password: src.password, multipleStatements: true, charset: "utf8mb4_general_ci" });
    try {
        // The server's zone really is +05:30: a session that does not set one gets it.
        const [tz] = await c.query<mysql.RowDataPacket[]>("SELECT @@global.time_zone AS g, @@session.time_zone AS s");
        expect(tz[0]).toEqual({ g: "+05:30", s: "+05:30" });

        await c.query(`SET SESSION sql_mode = 'STRICT_ALL_TABLES'; CREATE DATABASE ${db} DEFAULT CHARACTER SET utf8mb4; USE ${db}`);

        await c.query(`CREATE TABLE ints (
            id INT PRIMARY KEY,
            t TINYINT, tu TINYINT UNSIGNED, s SMALLINT, su SMALLINT UNSIGNED, m MEDIUMINT, mu MEDIUMINT UNSIGNED,
            i INT, iu INT UNSIGNED, b BIGINT, bu BIGINT UNSIGNED, b1 TINYINT(1), bo BOOLEAN)`);
        await c.query(`INSERT INTO ints VALUES
            (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, 0, 0),
            (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615, 1, 1),
            (3, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 127),
            (4, -1, 254, -1, 65534, -1, 16777214, -1, 4294967294, -1, 18446744073709551614, -1, -128),
            (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);

        await c.query(`CREATE TABLE decimals (id INT PRIMARY KEY, d DECIMAL(65,30), d0 DECIMAL(65,0), d2 DECIMAL(5,2) NOT NULL, du DECIMAL(20,10) UNSIGNED)`);
        const n35 = "9".repeat(35), f30 = "9".repeat(30), n65 = "9".repeat(65);
        await c.query("INSERT INTO decimals VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)", [
            1, `${n35}.${f30}`, n65, "999.99", "9999999999.9999999999",
            2, `-${n35}.${f30}`, `-${n65}`, "-999.99", "0",
            3, `0.${"0".repeat(29)}1`, "0", "0.01", "0.0000000001",
            4, `-0.${"0".repeat(29)}1`, "-1", "-0.01", "1",
            5, "12345678901234567890.123456789012345678901234567890", "100000000000000000000000000000000000000000000000000000000000000", "0", "0.5",
            6, null, null, "0", null,
        ]);

        await c.query(`CREATE TABLE floats (id INT PRIMARY KEY, f FLOAT, d DOUBLE, r REAL)`);
        await c.query(`INSERT INTO floats VALUES
            (1, 0.1, 0.1, 0.1),
            (2, 3.4028234e38, 3.4028234e38, 3.4028234663852886e38),
            (3, 1.17549435e-38, 1.17549435e-38, 1.1754943508222875e-38),
            (4, 16777217, 16777217, 9007199254740993),
            (5, NULL, 1.7976931348623157e308, -1.7976931348623157e308),
            (6, 1.401298464324817e-45, 5e-324, -5e-324),
            (7, -0.0e0, -0.0e0, -0.0e0),
            (8, -3.4028234e38, 0.30000000000000004, 2.2250738585072014e-308),
            (9, 3.1415927, 3.141592653589793, 123456789.123456789),
            (10, NULL, NULL, NULL),
            (11, -1e-60, -1e-60, NULL)`);
        // -0.0 is stored as +0 by MariaDB, but a FLOAT keeps the sign of a value that underflows: row 11's f is -0.
        const [negZero] = await c.query<mysql.RowDataPacket[]>("SELECT ATAN2(f, -1) < 0 AS neg FROM floats WHERE id = 11");
        expect(Number(negZero[0].neg)).toBe(1);

        await c.query(`CREATE TABLE bits (id INT PRIMARY KEY, b1 BIT(1), b7 BIT(7), b64 BIT(64))`);
        await c.query(`INSERT INTO bits VALUES
            (1, b'1', b'1111111', 0xFFFFFFFFFFFFFFFF),
            (2, b'0', b'0000000', b'0'),
            (3, b'1', b'1010101', ${bits64("10")}),
            (4, b'0', b'0101010', ${bits64("01")}),
            (5, NULL, NULL, NULL),
            (6, b'1', b'1', 0x8000000000000000),
            (7, b'0', b'1000000', 1)`);

        // Zero and partial-zero dates need a sql_mode without NO_ZERO_DATE / NO_ZERO_IN_DATE.
        await c.query(`SET SESSION sql_mode = ''`);
        await c.query(`CREATE TABLE temporal (
            id INT PRIMARY KEY, d DATE, dt DATETIME(6), dt0 DATETIME NOT NULL, ts TIMESTAMP(6) NULL DEFAULT NULL,
            tm TIME(6), tm0 TIME, y YEAR)`);
        await c.query(`SET SESSION time_zone = '+00:00'`);
        await c.query(`INSERT INTO temporal VALUES
            (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '-838:59:59.000000', '-838:59:59', 0),
            (2, '2020-00-15', '2020-00-15 10:20:30.5', '2021-03-00 00:00:00', NULL, '838:59:59', '838:59:59', 1901),
            (3, '1000-01-01', '1000-01-01 00:00:00.000000', '1000-01-01 00:00:00', '1970-01-01 00:00:01', '00:00:00.5', '00:00:00', 2155),
            (4, '9999-12-31', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59', '2038-01-19 03:14:07.999999', '-00:00:00.5', '-00:00:01', NULL),
            (5, '0000-03-01', '2020-01-01 10:00:00.100000', '0000-03-01 12:00:00', '2000-02-29 23:59:59.000001', '-00:00:00.000001', '12:34:56', 2000),
            (6, '2021-03-00', NULL, '2024-02-29 00:00:00', NULL, NULL, NULL, 1999)`);
        // The same instants, written from sessions in two other zones.
        await c.query(`SET SESSION time_zone = '+05:30'`);
        await c.query(`INSERT INTO temporal (id, dt0, ts) VALUES (10, '2021-06-01 00:00:00', '2021-06-01 17:30:00.123456'), (12, '2021-01-01 00:00:00', '2021-01-01 05:29:59')`);
        await c.query(`SET SESSION time_zone = '-08:00'`);
        await c.query(`INSERT INTO temporal (id, dt0, ts) VALUES (11, '2021-06-01 00:00:00', '2021-06-01 04:00:00.123456'), (13, '2021-01-01 00:00:00', '2020-12-31 15:59:59')`);
        await c.query(`SET SESSION time_zone = DEFAULT, SESSION sql_mode = 'STRICT_ALL_TABLES'`);

        await c.query(`CREATE TABLE texts (
            id INT PRIMARY KEY, c CHAR(10), v VARCHAR(100), t TEXT, lt TEXT,
            l VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci, lc CHAR(5) CHARACTER SET latin1,
            e ENUM('a,b', 'it''s', 'say "hi"', 'plain'), st SET('x', 'y', 'z'), c0 CHAR(0))`);
        const text = [
            [1, "ab   ", "trail  ", "tab\there\nnewline\r\ncrlf back\\slash 'single' \"double\"", "\\N", "café", "ÿ", "a,b", "x,z", ""],
            [2, "", "", "", "", "", "", "it's", "", null],
            [3, null, null, null, null, null, null, null, null, null],
            [4, "😀", "𠜎 rare CJK", "😀𠜎 mixed with ascii", "\\", "ÿÿ", "café", 'say "hi"', "x,y,z", ""],
            [5, "  lead", " ", "\\\\N \\t not a tab", "line1\nline2\n", "Ünïcödé", "\t", "plain", "y", null],
        ];
        for (const row of text) await c.query("INSERT INTO texts VALUES (?)", [row]);
        // Outside strict mode MySQL stores an invalid ENUM value as '' (index 0).
        await c.query(`SET SESSION sql_mode = ''; INSERT INTO texts (id, e) VALUES (6, 'not a member'); SET SESSION sql_mode = 'STRICT_ALL_TABLES'`);

        await c.query(`CREATE TABLE binaries (id INT PRIMARY KEY, bn BINARY(4), vb VARBINARY(300), bl BLOB, lb LONGBLOB)`);
        const reversed = Buffer.from(allBytes).reverse();
        await c.query("INSERT INTO binaries VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)", [
            1, Buffer.from([0]), allBytes, allBytes, reversed,
            2, Buffer.from("ab"), Buffer.alloc(0), Buffer.alloc(0), null,
            3, Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from("\\N"), Buffer.from("\n\r\t\\"), Buffer.from([0]),
            4, null, null, null, null,
        ]);

        await c.query(`CREATE TABLE jsons (id INT PRIMARY KEY, j JSON)`);
        const docs: (string | null)[] = [
            `{"zeta": 1, "alpha": {"nested": [1, 2, {"y": true, "x": null}]}, "mid": "m"}`,
            `{"max": 9223372036854775807, "min": -9223372036854775808, "u64": 18446744073709551615}`,
            `{"big": 123456789012345678901234567890.123456789, "huge": 1e400, "tiny": 1e-400, "negzero": -0.0, "exp": 1E2, "frac": 1.50}`,
            `{"unicode": "é😀𠜎", "escaped": "\\u00e9\\ud83d\\ude00", "quote": "\\"", "backslash": "\\\\", "tab": "\\t", "slash": "\\/"}`,
            `[3, 2, 1, [], {}]`,
            `"just a string"`,
            `null`,
            null,
            `{}`,
            `  {  "spaced"  :  [ 1 ,  2 ]  , "b" : false }  `,
            `{"b": 1, "a": 2, "B": 3, "aa": 4, "": 5}`,
        ];
        for (const [i, d] of docs.entries()) await c.query("INSERT INTO jsons VALUES (?, ?)", [i + 1, d]);

        // No primary key: the engine keys (and resumes) the table by its NOT NULL unique key.
        await c.query(`CREATE TABLE nopk (code VARCHAR(20) NOT NULL, n INT, note VARCHAR(20), UNIQUE KEY uk_code (code), KEY by_n (n))`);
        await c.query(`INSERT INTO nopk VALUES ('a', 1, 'first'), ('B', 2, NULL), ('c', NULL, ''), ('😀', 4, 'emoji key'), ('é', 5, 'accent')`);

        await c.query(`CREATE TABLE gen_cols (
            id INT PRIMARY KEY, a INT, b INT, note VARCHAR(20),
            vsum BIGINT AS (a + b) VIRTUAL, scat VARCHAR(50) AS (CONCAT(a, '-', b)) STORED, vup VARCHAR(20) AS (UPPER(note)) VIRTUAL)`);
        await c.query(`INSERT INTO gen_cols (id, a, b, note) VALUES (1, 1, 2, 'abc'), (2, NULL, 5, NULL), (3, -2147483648, -2147483648, 'é😀'), (4, 0, 0, '')`);

        await c.query(`CREATE DATABASE ${dirtyDb} DEFAULT CHARACTER SET utf8mb4`);
        await c.query(`CREATE TABLE ${dirtyDb}.nul (id INT PRIMARY KEY, t TEXT, n INT)`);
        await c.query(`INSERT INTO ${dirtyDb}.nul VALUES (?), (?), (?), (?)`, [[1, "ok", 1], [2, "before\0after", 2], [3, "fine", 3], [4, null, 4]]);
    } finally {
        await c.end();
    }
}

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
        await populate(src);
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
