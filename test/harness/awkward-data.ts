/**
 * The awkward-values source: every MySQL type with its edge values, shared by the full-load
 * comparison (test/integration/awkward-values.test.ts) and the binlog one
 * (test/integration/awkward-incremental.test.ts). Tables are created and filled in two
 * steps, so a test can create them empty, start a task, and then write the very same rows
 * with the very same statements (and session time zones and sql_modes) while the task
 * streams the binlog.
 */
import * as mysql from "mysql2/promise";
import type { MysqlEndpoint } from "./compare";

/** The tables of an awkward database, in name order (as compareDatabase lists them). */
export const AWKWARD_TABLES = ["binaries", "bits", "decimals", "floats", "gen_cols", "ints", "jsons", "nopk", "temporal", "texts"];

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const bits64 = (pattern: string) => `b'${pattern.repeat(64 / pattern.length)}'`;

/** A session like every awkward statement runs in: utf8mb4, several statements per query, the server's own zone. */
export async function awkwardSession(src: MysqlEndpoint): Promise<mysql.Connection> {
    return mysql.createConnection({ host: src.host, port: src.port, user: src.user, password: src.password, multipleStatements: true, charset: "utf8mb4_general_ci" });
}

/** The server's zone really is +05:30: a session that does not set one gets it. */
export async function checkServerZone(c: mysql.Connection): Promise<void> {
    const [tz] = await c.query<mysql.RowDataPacket[]>("SELECT @@global.time_zone AS g, @@session.time_zone AS s");
    if (tz[0].g !== "+05:30" || tz[0].s !== "+05:30") {
        throw new Error(`the awkward source must run in +05:30 (startMariaDb extraConfig default-time-zone); global ${tz[0].g}, session ${tz[0].s}`);
    }
}

/** Creates the database and its tables, empty. Leaves the session in `db` with sql_mode STRICT_ALL_TABLES. */
export async function createAwkwardTables(c: mysql.Connection, db: string): Promise<void> {
    await c.query(`SET SESSION sql_mode = 'STRICT_ALL_TABLES'; CREATE DATABASE ${db} DEFAULT CHARACTER SET utf8mb4; USE ${db}`);
    await c.query(`CREATE TABLE ints (
        id INT PRIMARY KEY,
        t TINYINT, tu TINYINT UNSIGNED, s SMALLINT, su SMALLINT UNSIGNED, m MEDIUMINT, mu MEDIUMINT UNSIGNED,
        i INT, iu INT UNSIGNED, b BIGINT, bu BIGINT UNSIGNED, b1 TINYINT(1), bo BOOLEAN)`);
    await c.query(`CREATE TABLE decimals (id INT PRIMARY KEY, d DECIMAL(65,30), d0 DECIMAL(65,0), d2 DECIMAL(5,2) NOT NULL, du DECIMAL(20,10) UNSIGNED)`);
    await c.query(`CREATE TABLE floats (id INT PRIMARY KEY, f FLOAT, d DOUBLE, r REAL)`);
    await c.query(`CREATE TABLE bits (id INT PRIMARY KEY, b1 BIT(1), b7 BIT(7), b64 BIT(64))`);
    await c.query(`SET SESSION sql_mode = ''`);
    await c.query(`CREATE TABLE temporal (
        id INT PRIMARY KEY, d DATE, dt DATETIME(6), dt0 DATETIME NOT NULL, ts TIMESTAMP(6) NULL DEFAULT NULL,
        tm TIME(6), tm0 TIME, y YEAR)`);
    await c.query(`SET SESSION sql_mode = 'STRICT_ALL_TABLES'`);
    await c.query(`CREATE TABLE texts (
        id INT PRIMARY KEY, c CHAR(10), v VARCHAR(100), t TEXT, lt TEXT,
        l VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci, lc CHAR(5) CHARACTER SET latin1,
        e ENUM('a,b', 'it''s', 'say "hi"', 'plain'), st SET('x', 'y', 'z'), c0 CHAR(0))`);
    await c.query(`CREATE TABLE binaries (id INT PRIMARY KEY, bn BINARY(4), vb VARBINARY(300), bl BLOB, lb LONGBLOB)`);
    await c.query(`CREATE TABLE jsons (id INT PRIMARY KEY, j JSON)`);
    // No primary key: the engine keys (and resumes) the table by its NOT NULL unique key.
    await c.query(`CREATE TABLE nopk (code VARCHAR(20) NOT NULL, n INT, note VARCHAR(20), UNIQUE KEY uk_code (code), KEY by_n (n))`);
    await c.query(`CREATE TABLE gen_cols (
        id INT PRIMARY KEY, a INT, b INT, note VARCHAR(20),
        vsum BIGINT AS (a + b) VIRTUAL, scat VARCHAR(50) AS (CONCAT(a, '-', b)) STORED, vup VARCHAR(20) AS (UPPER(note)) VIRTUAL)`);
}

/**
 * Writes the awkward rows into the (empty) tables of `db`, each statement in the session
 * (time zone, sql_mode) it needs. Leaves the session in `db` with the server's zone and
 * sql_mode STRICT_ALL_TABLES. `enumErrorValue: false` leaves out texts row 6, the ENUM error
 * value '' (for a test that covers it on its own).
 */
export async function insertAwkwardRows(c: mysql.Connection, db: string, opts: { enumErrorValue?: boolean } = {}): Promise<void> {
    await c.query(`USE ${db}; SET SESSION time_zone = DEFAULT, SESSION sql_mode = 'STRICT_ALL_TABLES'`);
    await c.query(`INSERT INTO ints VALUES
        (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, 0, 0),
        (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615, 1, 1),
        (3, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 127),
        (4, -1, 254, -1, 65534, -1, 16777214, -1, 4294967294, -1, 18446744073709551614, -1, -128),
        (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);

    const n35 = "9".repeat(35), f30 = "9".repeat(30), n65 = "9".repeat(65);
    await c.query("INSERT INTO decimals VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)", [
        1, `${n35}.${f30}`, n65, "999.99", "9999999999.9999999999",
        2, `-${n35}.${f30}`, `-${n65}`, "-999.99", "0",
        3, `0.${"0".repeat(29)}1`, "0", "0.01", "0.0000000001",
        4, `-0.${"0".repeat(29)}1`, "-1", "-0.01", "1",
        5, "12345678901234567890.123456789012345678901234567890", "100000000000000000000000000000000000000000000000000000000000000", "0", "0.5",
        6, null, null, "0", null,
    ]);

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
    if (Number(negZero[0].neg) !== 1) throw new Error("floats row 11: FLOAT -1e-60 was not stored as -0");

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

    const text = [
        [1, "ab   ", "trail  ", "tab\there\nnewline\r\ncrlf back\\slash 'single' \"double\"", "\\N", "café", "ÿ", "a,b", "x,z", ""],
        [2, "", "", "", "", "", "", "it's", "", null],
        [3, null, null, null, null, null, null, null, null, null],
        [4, "😀", "𠜎 rare CJK", "😀𠜎 mixed with ascii", "\\", "ÿÿ", "café", 'say "hi"', "x,y,z", ""],
        [5, "  lead", " ", "\\\\N \\t not a tab", "line1\nline2\n", "Ünïcödé", "\t", "plain", "y", null],
    ];
    for (const row of text) await c.query("INSERT INTO texts VALUES (?)", [row]);
    // Outside strict mode MySQL stores an invalid ENUM value as '' (index 0).
    if (opts.enumErrorValue !== false) {
        await c.query(`SET SESSION sql_mode = ''; INSERT INTO texts (id, e) VALUES (6, 'not a member'); SET SESSION sql_mode = 'STRICT_ALL_TABLES'`);
    }

    const reversed = Buffer.from(allBytes).reverse();
    await c.query("INSERT INTO binaries VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)", [
        1, Buffer.from([0]), allBytes, allBytes, reversed,
        2, Buffer.from("ab"), Buffer.alloc(0), Buffer.alloc(0), null,
        3, Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from("\\N"), Buffer.from("\n\r\t\\"), Buffer.from([0]),
        4, null, null, null, null,
    ]);

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

    await c.query(`INSERT INTO nopk VALUES ('a', 1, 'first'), ('B', 2, NULL), ('c', NULL, ''), ('😀', 4, 'emoji key'), ('é', 5, 'accent')`);

    await c.query(`INSERT INTO gen_cols (id, a, b, note) VALUES (1, 1, 2, 'abc'), (2, NULL, 5, NULL), (3, -2147483648, -2147483648, 'é😀'), (4, 0, 0, '')`);
}

/**
 * The dirty-data database: a TEXT holding U+0000 (PostgreSQL cannot store it) between clean rows.
 */
export async function createDirtyDatabase(c: mysql.Connection, dirtyDb: string): Promise<void> {
    await c.query(`CREATE DATABASE ${dirtyDb} DEFAULT CHARACTER SET utf8mb4`);
    await c.query(`CREATE TABLE ${dirtyDb}.nul (id INT PRIMARY KEY, t TEXT, n INT)`);
    await c.query(`INSERT INTO ${dirtyDb}.nul VALUES (?), (?), (?), (?)`, [[1, "ok", 1], [2, "before\0after", 2], [3, "fine", 3], [4, null, 4]]);
}

/** The whole awkward source in one go: `db` with every table and row, and the dirty-data database. */
export async function populateAwkward(src: MysqlEndpoint, db: string, dirtyDb: string): Promise<void> {
    const c = await awkwardSession(src);
    try {
        await checkServerZone(c);
        await createAwkwardTables(c, db);
        await insertAwkwardRows(c, db);
        await createDirtyDatabase(c, dirtyDb);
    } finally {
        await c.end();
    }
}
