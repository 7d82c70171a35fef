/**
 * MariaDB's own column types (issue 16 §2): UUID (10.7), INET6 (10.5) and INET4 (10.10),
 * nullable and NOT NULL, as primary and unique keys and in a keyless table, and COMPRESSED
 * columns, through schema, full and incremental migration, compared value by value
 * (test/harness/compare.ts) at a MariaDB destination (the types kept), at PostgreSQL
 * (uuid and inet), and at a MySQL-family destination without the types (their text in
 * CHAR/VARCHAR columns: docs/type-mapping.md, "MariaDB types").
 *
 * First, below the engine: zongji hands these values over as their bytes; every binlog
 * image, converted by binlog-values.ts, must be exactly the text the full load's reader
 * reads, including UUIDs of versions 1-5 (which MariaDB keeps segment-swapped on disk) and
 * INET6 addresses that try each of the server's abbreviation rules.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import type { MysqlConnectionSpec } from "../../sdk/schema/connection";
import { BinlogReader, type BinlogRowEvent, type RowImage } from "../../provider/connectors/mysql/source/binlog-reader";
import { binlogValueConverter, inet6Text } from "../../provider/connectors/mysql/source/binlog-values";
import { connectMysql } from "../../provider/connectors/mysql/connect";
import { createTableSql } from "../../provider/connectors/mysql/destination/ddl";
import { introspectTables } from "../../provider/connectors/mysql/source/introspect-tables";
import { chunkQuery, readChunk } from "../../provider/connectors/mysql/source/chunk-reader";
import { comparePositions } from "../../provider/engine/model";
import type { BinlogPosition, SourceTable, SourceValue, TableMapping } from "../../provider/engine/model";
import type { TaskStatus } from "../../provider/engine/status";
import { compareDatabase, formatMismatch, type CompareDestination } from "../harness/compare";
import { mariaConnection, postgresConnection, removeHome, startTask, waitForStatus } from "../harness/engine-run";
import { dropSchemas } from "../harness/postgres";

const maria = inject("mariadb");
const pg = inject("postgres");
const PRECISION = { float: 38, double: 308 };
const TABLES = ["hosts", "keyed", "keyless", "packed"];

/**
 * Versions 1-5 with the RFC 4122 variant (swapped on disk), version 0 and 6, other
 * variants, nil and max, trailing zero bytes.
 */
const UUIDS = [
    "123e4567-e89b-12d3-a456-426614174000", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff", "6ccd780c-baba-1026-9564-5b8c656024db", "6ccd780c-baba-1026-1564-5b8c656024db",
    "6ccd780c-baba-6026-9564-5b8c656024db", "6ccd780c-baba-0026-9564-5b8c656024db", "12345678-0000-0000-0000-000000000000",
    "00000000-0000-5000-8000-000000000001", "c232ab00-9414-11ec-b3c8-9f6bdeced846",
];
/** Every abbreviation Inet6::to_string makes, and the ones it does not. */
const INET6 = [
    "::", "::1", "::ffff:1.2.3.4", "::1.2.3.4", "2001:db8::ff00:42:8329", "1::2:3:4:5:6:7", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "2001:db8::", "1:0:0:2::3", "1::2:0:0:3:4", "::ffff:0.0.0.0", "::1:0:0", "fe80::1:2", "::2:0:0:0:0", "0:0:1::",
];
const INET4 = ["0.0.0.0", "255.255.255.255", "1.2.3.4", "10.0.0.0", "192.168.1.0", "127.0.0.1", "8.8.4.4", "172.16.254.3", "100.64.0.0", "1.0.0.0", "224.0.0.251"];

const q = (s: string | null) => (s === null ? "NULL" : `'${s}'`);

async function session(): Promise<mysql.Connection> {
    return mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
}

async function createTables(c: mysql.Connection, db: string): Promise<void> {
    await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db}`);
    await c.query(`CREATE TABLE keyed (id UUID PRIMARY KEY, u UUID NULL, a INET6 NOT NULL DEFAULT '::', b INET6 NULL,
        f INET4 NULL, g INET4 NOT NULL DEFAULT '0.0.0.0', n INT NOT NULL)`);
    await c.query(`CREATE TABLE hosts (ip INET4 PRIMARY KEY, ip6 INET6 NOT NULL, owner UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000', UNIQUE KEY by_ip6 (ip6), KEY by_owner (owner))`);
    await c.query(`CREATE TABLE keyless (u UUID NULL, a INET6 NULL, f INET4 NULL, n INT NULL)`);
    await c.query(`CREATE TABLE packed (id INT PRIMARY KEY, cv VARCHAR(3000) COMPRESSED NULL, cb BLOB COMPRESSED NULL, ct TEXT COMPRESSED NULL)`);
}

/** Rows present when the task starts (the full load's): keys 0-6. */
async function insertRows(c: mysql.Connection, db: string): Promise<void> {
    await c.query(`USE ${db}`);
    const keyed = UUIDS.slice(0, 7).map((id, i) =>
        `(${q(id)}, ${q(i % 3 ? UUIDS[(i + 4) % UUIDS.length] : null)}, ${q(INET6[i])}, ${q(i % 2 ? INET6[i + 7] : null)}, ${q(i % 4 ? INET4[i] : null)}, ${q(INET4[(i + 3) % INET4.length])}, ${i})`);
    await c.query(`INSERT INTO keyed VALUES ${keyed.join(", ")}`);
    await c.query(`INSERT INTO hosts VALUES ${INET4.slice(0, 6).map((ip, i) => `(${q(ip)}, ${q(INET6[i])}, ${q(UUIDS[i])})`).join(", ")}`);
    // Identical rows, and rows telling apart only by one value of these types.
    await c.query(`INSERT INTO keyless VALUES
        (${q(UUIDS[0])}, '::ffff:1.2.3.4', '1.2.3.4', 1), (${q(UUIDS[0])}, '::ffff:1.2.3.4', '1.2.3.4', 1), (${q(UUIDS[0])}, '::1.2.3.4', '1.2.3.4', 1),
        (${q(UUIDS[4])}, '::', '0.0.0.0', 2), (${q(UUIDS[5])}, '::', '0.0.0.0', 2), (NULL, NULL, NULL, 3), (NULL, NULL, NULL, 3), (${q(UUIDS[2])}, '::1', '255.255.255.255', NULL)`);
    await c.query(`INSERT INTO packed VALUES (1, REPEAT('compressed ', 200), REPEAT(x'00ff10', 500), REPEAT('ü', 2000)), (2, 'short', x'00', ''), (3, NULL, NULL, NULL)`);
}

/** Inserts, updates (keys changed, so before images matter) and deletes, after the task started. */
async function changeRows(c: mysql.Connection, db: string): Promise<void> {
    await c.query(`USE ${db}`);
    await c.query(`INSERT INTO keyed VALUES ${UUIDS.slice(7).map((id, i) => `(${q(id)}, ${q(UUIDS[i])}, ${q(INET6[i + 7])}, ${q(INET6[14 - i])}, ${q(INET4[i + 7])}, ${q(INET4[i])}, ${10 + i})`).join(", ")}`);
    // A version 1 UUID the server makes, swapped on disk like the others.
    await c.query(`INSERT INTO keyed (id, u, a, g, n) VALUES (UUID(), UUID(), '2001:db8:85a3::8a2e:370:7334', '9.9.9.9', 20)`);
    await c.query(`UPDATE keyed SET id = 'c232ab00-9414-11ec-b3c8-000000000000', b = '::ffff:10.0.0.1' WHERE id = ${q(UUIDS[0])}`);
    await c.query(`UPDATE keyed SET u = NULL, a = '1::', f = '4.3.2.1' WHERE id = ${q(UUIDS[1])}`);
    await c.query(`UPDATE keyed SET u = ${q(UUIDS[3])}, b = NULL, g = '255.255.255.254' WHERE id = ${q(UUIDS[4])}`);
    await c.query(`DELETE FROM keyed WHERE id IN (${q(UUIDS[2])}, ${q(UUIDS[8])})`);
    await c.query(`START TRANSACTION; UPDATE keyed SET n = n + 100 WHERE a = '::1'; UPDATE hosts SET ip = '1.1.1.1' WHERE ip = '0.0.0.0'; COMMIT`);

    await c.query(`INSERT INTO hosts VALUES ('203.0.113.7', '2001:db8::7', UUID()), ('203.0.113.8', '::ffff:203.0.113.8', ${q(UUIDS[9])})`);
    await c.query(`UPDATE hosts SET ip6 = '2001:db8::1:0:0:1' WHERE ip = '1.2.3.4'`);
    await c.query(`UPDATE hosts SET owner = ${q(UUIDS[10])} WHERE ip = '255.255.255.255'`);
    await c.query(`DELETE FROM hosts WHERE ip6 = '::1'`);

    // One of two identical rows, and the row differing from them only in INET6.
    await c.query(`UPDATE keyless SET n = 10 WHERE a = '::ffff:1.2.3.4' LIMIT 1`);
    await c.query(`DELETE FROM keyless WHERE a = '::1.2.3.4'`);
    await c.query(`UPDATE keyless SET u = ${q(UUIDS[6])} WHERE u = ${q(UUIDS[5])}`);
    await c.query(`DELETE FROM keyless WHERE u IS NULL LIMIT 1`);
    await c.query(`UPDATE keyless SET a = 'fe80::1', f = '169.254.0.1' WHERE u = ${q(UUIDS[2])}`);
    await c.query(`INSERT INTO keyless VALUES (${q(UUIDS[7])}, '::ffff:1.2.3.4', '1.2.3.4', 1), (NULL, '2001:db8::', NULL, 4)`);

    await c.query(`INSERT INTO packed VALUES (4, REPEAT('binlog ', 300), REPEAT(x'ff00', 1000), REPEAT('€', 3000))`);
    await c.query(`UPDATE packed SET cv = REPEAT('changed ', 250), cb = NULL WHERE id = 1`);
    await c.query(`UPDATE packed SET id = 12, ct = REPEAT('x', 5000) WHERE id = 2`);
    await c.query(`DELETE FROM packed WHERE id = 3`);
}

async function masterPosition(c: mysql.Connection): Promise<BinlogPosition> {
    const [rows] = await c.query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
    return { file: String(rows[0].File), position: Number(rows[0].Position) };
}

const caughtUpTo = (target: BinlogPosition) => (s: TaskStatus) =>
    s.phase === "running" && s.incremental?.caughtUp === true && s.incremental.sourcePosition !== undefined && comparePositions(s.incremental.sourcePosition, target) >= 0;

function mappingOf(t: SourceTable, targetSchema = t.database): TableMapping {
    return { source: t, targetSchema, targetTable: t.name, columns: t.columns.map((c) => ({ source: c, target: c.name })), where: null, key: t.primaryKey };
}

const show = (v: SourceValue) => (v === null ? "NULL" : Buffer.isBuffer(v) ? `0x${v.toString("hex")}` : JSON.stringify(v));

/** Every row of a table as the full load reads it, as printed values, sorted (keyless tables have duplicates). */
async function readFullLoad(spec: MysqlConnectionSpec, t: SourceTable): Promise<string[]> {
    const m = mappingOf(t);
    const rows: string[] = [];
    for await (const batch of readChunk(spec, "MariaDB", m, chunkQuery(m, null, PRECISION), async () => undefined)) {
        for (const r of batch) rows.push(r.map(show).join(" | "));
    }
    return rows.sort();
}

/** Replays the row events over `rows` (the table as the full load read it before them): a before image must be a row the table held. */
function replay(t: SourceTable, events: BinlogRowEvent[], rows: string[], problems: string[]): string[] {
    const convert = t.columns.map((c) => binlogValueConverter(c, PRECISION));
    const image = (img: RowImage): string => t.columns.map((c, i) => show(convert[i](img[c.name]))).join(" | ");
    const state = [...rows];
    for (const ev of events.filter((e) => e.table === t.name)) {
        for (const r of ev.rows) {
            if (r.before) {
                const before = image(r.before);
                const at = state.indexOf(before);
                if (at < 0) problems.push(`${t.name} ${ev.kind}: before image ${before} is no row of the table`);
                else state.splice(at, 1);
            }
            if (r.after) state.push(image(r.after));
        }
    }
    return state.sort();
}

describe("MariaDB's UUID, INET6, INET4 and COMPRESSED columns: schema, full load and stream, compared value by value", () => {
    const cleanups: (() => Promise<void>)[] = [];
    const dbs: string[] = [];
    const pgSchemas: string[] = [];

    afterAll(async () => {
        for (const f of cleanups.reverse()) await f().catch(() => undefined);
        const c = await session();
        for (const db of dbs) await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_copy; DROP DATABASE IF EXISTS ${db}_text`);
        await c.end();
        await dropSchemas(pg, pgSchemas);
    });

    it("(a) the server prints every INET6 address as inet6Text does", async () => {
        // Random addresses with runs of zero words of every length and place, and the IPv4 forms.
        let seed = 20240607;
        const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
        const addresses: Buffer[] = [];
        for (let n = 0; n < 400; n++) {
            const b = Buffer.alloc(16);
            for (let w = 0; w < 8; w++) if (rnd() < 0.45) b.writeUInt16BE(rnd() < 0.3 ? Math.floor(rnd() * 16) : Math.floor(rnd() * 65536), 2 * w);
            if (n % 10 === 0) b.fill(0, 0, 10).writeUInt16BE(n % 20 ? 0xffff : 0, 10);
            addresses.push(b);
        }
        const c = await session();
        try {
            const [rows] = await c.query<mysql.RowDataPacket[]>(`SELECT ${addresses.map((b, i) => `CAST(CAST(x'${b.toString("hex")}' AS INET6) AS CHAR) AS a${i}`).join(", ")}`);
            expect(addresses.map(inet6Text)).toEqual(addresses.map((_, i) => rows[0][`a${i}`]));
        } finally {
            await c.end();
        }
    });

    it("(b) every binlog image converts to exactly what the full load reads", async () => {
        const db = `mt_bin_${process.pid}`;
        dbs.push(db);
        const spec = mariaConnection(maria) as MysqlConnectionSpec;
        const c = await session();
        let start: BinlogPosition, middle: BinlogPosition, end: BinlogPosition;
        let tables: SourceTable[];
        const before = new Map<string, string[]>();
        const after = new Map<string, string[]>();
        try {
            await createTables(c, db);
            const conn = await connectMysql(spec);
            tables = await introspectTables(conn, db);
            await conn.end();
            expect(tables.map((t) => t.name)).toEqual(TABLES);
            start = await masterPosition(c);
            await insertRows(c, db);
            middle = await masterPosition(c);
            for (const t of tables) before.set(t.name, await readFullLoad(spec, t));
            await changeRows(c, db);
            end = await masterPosition(c);
            for (const t of tables) after.set(t.name, await readFullLoad(spec, t));
        } finally {
            await c.end();
        }
        const reader = BinlogReader.start(spec, { from: start, serverId: 0x51000000 + (process.pid % 0xffff), include: { [db]: TABLES }, heartbeatSeconds: 5 });
        const txs = [];
        const deadline = Date.now() + 60_000;
        try {
            while (txs.length === 0 || comparePositions(txs[txs.length - 1].end, end) < 0) {
                if (Date.now() > deadline) throw new Error("the binlog reader did not reach the end of the changes");
                txs.push(...(await reader.take(1_000_000, 500)));
            }
        } finally {
            await reader.stop();
        }
        const inserts = txs.filter((tx) => comparePositions(tx.end, middle) <= 0).flatMap((tx) => tx.rows);
        const changes = txs.filter((tx) => comparePositions(tx.end, middle) > 0).flatMap((tx) => tx.rows);
        // What zongji hands over: the value's bytes, in the order of its text (not MariaDB's on-disk order).
        const first = inserts.find((e) => e.table === "keyed")!.rows[0].after!;
        expect(Buffer.isBuffer(first.id) && first.id.toString("hex")).toBe(UUIDS[0].replace(/-/g, ""));
        expect(Buffer.isBuffer(first.a) && first.a.length).toBe(16);
        expect(Buffer.isBuffer(first.g) && first.g.length).toBe(4);
        const problems: string[] = [];
        for (const t of tables) {
            expect(replay(t, inserts, [], problems), `${t.name} after the inserts`).toEqual(before.get(t.name));
            expect(replay(t, changes, before.get(t.name)!, problems), `${t.name} after the changes`).toEqual(after.get(t.name));
        }
        expect(problems).toEqual([]);
        expect(new Set(changes.map((e) => e.kind))).toEqual(new Set(["insert", "update", "delete"]));
    }, 180_000);

    /** Starts a schema (unless the tables are made beforehand) + full + incremental task, changes rows during the stream, and compares. */
    async function migrate(kind: "mariadb" | "postgres" | "text"): Promise<void> {
        const db = `mt_${kind.slice(0, 2)}_${process.pid}`;
        dbs.push(db);
        const target = kind === "postgres" ? db : kind === "mariadb" ? `${db}_copy` : `${db}_text`;
        if (kind === "postgres") pgSchemas.push(db);
        const c = await session();
        try {
            await createTables(c, db);
            await insertRows(c, db);
            if (kind === "text") {
                // A destination without the types, as createTable makes it for MySQL or MariaDB before 10.5.
                const conn = await connectMysql(mariaConnection(maria) as MysqlConnectionSpec);
                const tables = await introspectTables(conn, db);
                await conn.end();
                await c.query(`DROP DATABASE IF EXISTS ${target}; CREATE DATABASE ${target}`);
                for (const t of tables) await c.query(createTableSql(mappingOf(t, target), { secondaryIndexes: true, mariadbTypes: new Set() }));
            }
            const { runner, home } = startTask(mariaConnection(maria), kind === "postgres" ? postgresConnection(pg) : mariaConnection(maria), {
                migrationTypes: kind === "text" ? ["full", "incremental"] : ["schema", "full", "incremental"],
                objects: kind === "postgres" ? [{ database: db }] : [{ database: db, renameTo: target }],
            });
            cleanups.push(async () => { await runner.stop(); await runner.forgetStream(); removeHome(home); });
            await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true, 180_000);
            await changeRows(c, db);
            if (kind !== "text") {
                // Columns of these types added during the stream, and written at once.
                await c.query(`ALTER TABLE keyed ADD COLUMN v UUID NULL, ADD COLUMN w INET4 NOT NULL DEFAULT '127.0.0.1', ADD COLUMN x INET6 NULL`);
                await c.query(`UPDATE keyed SET v = ${q(UUIDS[4])}, x = '::ffff:127.0.0.1' WHERE n < 5; UPDATE keyed SET w = '10.1.2.3', v = UUID() WHERE n >= 10`);
                await c.query(`INSERT INTO keyed (id, a, g, n, v, w, x) VALUES ('01234567-89ab-1def-8123-456789abcdef', '::2', '2.2.2.2', 30, ${q(UUIDS[10])}, '3.3.3.3', '3::')`);
            }
            const s = await waitForStatus(runner, caughtUpTo(await masterPosition(c)), 180_000);
            expect(s.error).toBeUndefined();
            expect(s.dirtyRows).toBe(0);
            expect(s.rowsCopied).toBe(7 + 6 + 8 + 3);
            expect(s.incremental!.changesApplied).toBeGreaterThan(20);
            expect(s.incremental!.skippedStatements).toEqual([]);
            await expectTypes(kind, target);
            const dest: CompareDestination = kind === "postgres" ? { kind: "postgres", conn: pg, schema: db } : { kind: "mysql", conn: maria, database: target };
            const results = await compareDatabase(maria, db, dest);
            expect(results.flatMap((r) => r.mismatches.map(formatMismatch))).toEqual([]);
            expect(results.map((r) => r.table)).toEqual(TABLES.map((t) => `${db}.${t}`));
            for (const r of results) {
                expect(r.destinationRows, r.table).toBe(r.sourceRows);
                expect(r.valuesCompared, r.table).toBe(r.sourceRows * r.columns.length);
            }
            await runner.stop();
        } finally {
            await c.end();
        }
    }

    /** The destination's column types: kept at MariaDB, uuid/inet at PostgreSQL, text without the types. */
    async function expectTypes(kind: "mariadb" | "postgres" | "text", target: string): Promise<void> {
        let types: Record<string, string>;
        if (kind === "postgres") {
            const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
            await p.connect();
            try {
                const r = await p.query("SELECT table_name || '.' || column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = $1", [target]);
                types = Object.fromEntries(r.rows.map((x: { c: string; t: string }) => [x.c, x.t]));
            } finally {
                await p.end();
            }
        } else {
            const c = await session();
            try {
                const [rows] = await c.query<mysql.RowDataPacket[]>(
                    "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) AS c, CONCAT(COLUMN_TYPE, IFNULL(CONCAT(' ', COLLATION_NAME), '')) AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?", [target]);
                types = Object.fromEntries(rows.map((x) => [String(x.c), String(x.t)]));
            } finally {
                await c.end();
            }
        }
        const want = {
            mariadb: { uuid: "uuid", inet6: "inet6", inet4: "inet4", compressed: "varchar(3000) /*M!100301 COMPRESSED*/ utf8mb4_general_ci" },
            postgres: { uuid: "uuid", inet6: "inet", inet4: "inet", compressed: "character varying" },
            text: { uuid: "char(36) ascii_bin", inet6: "varchar(39) ascii_bin", inet4: "varchar(15) ascii_bin", compressed: "varchar(3000) /*M!100301 COMPRESSED*/ utf8mb4_general_ci" },
        }[kind];
        expect(types).toMatchObject({
            "keyed.id": want.uuid, "keyed.u": want.uuid, "keyed.a": want.inet6, "keyed.b": want.inet6, "keyed.f": want.inet4, "keyed.g": want.inet4,
            "hosts.ip": want.inet4, "hosts.ip6": want.inet6, "hosts.owner": want.uuid,
            "keyless.u": want.uuid, "keyless.a": want.inet6, "keyless.f": want.inet4,
            "packed.cv": want.compressed,
            ...(kind === "text" ? {} : { "keyed.v": want.uuid, "keyed.w": want.inet4, "keyed.x": want.inet6 }),
        });
    }

    it("(c) MariaDB -> MariaDB (renamed): the types are kept; every value arrives, by the full load and through the binlog", () => migrate("mariadb"), 420_000);

    it("(d) MariaDB -> PostgreSQL: uuid and inet columns holding the same values", () => migrate("postgres"), 420_000);

    it("(e) MariaDB -> a MySQL-family destination without the types: their text in ASCII columns", () => migrate("text"), 420_000);
});
