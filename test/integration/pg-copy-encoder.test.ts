import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Client } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import * as mysql from "mysql2/promise";
import type { SourceColumn, SourceValue, TableMapping } from "../../provider/engine/model";
import { createIndexSqls, createSchemaSql, createTableSql } from "../../provider/connectors/postgres/ddl";
import { makeRowEncoder, UnencodableValueError } from "../../provider/connectors/postgres/copy-encoder";
import { qualified, quoteIdent } from "../../provider/connectors/postgres/identifiers";

const pgInfo = inject("postgres");
const maria = inject("mariadb");
const schema = "copy_encoder_it";

/** A column as information_schema describes it, from its declared type. */
function column(name: string, columnType: string, extra: Partial<SourceColumn> = {}): SourceColumn {
    const dataType = /^[a-z][a-z0-9]*/.exec(columnType)?.[0] ?? columnType;
    const args = /\(([^)]*)\)/.exec(columnType)?.[1].split(",").map((x) => x.trim()) ?? [];
    const num = (i: number) => (args[i] !== undefined && /^\d+$/.test(args[i]) ? Number(args[i]) : null);
    return {
        name, ordinal: 0, dataType, columnType, nullable: true, defaultValue: null, extra: "", generationExpression: null,
        unsigned: columnType.includes("unsigned"),
        maxLength: ["char", "varchar", "binary", "varbinary"].includes(dataType) ? num(0) : null,
        numericPrecision: dataType === "decimal" || dataType === "bit" ? num(0) : null,
        numericScale: dataType === "decimal" ? num(1) ?? 0 : null,
        datetimePrecision: ["datetime", "timestamp", "time"].includes(dataType) ? num(0) ?? 0 : null,
        charset: null, collation: null,
        enumValues: dataType === "enum" || dataType === "set" ? args.map((a) => a.slice(1, -1)) : null,
        comment: "", invisible: false, isJson: dataType === "json",
        ...extra,
    };
}

function tableMapping(table: string, columns: SourceColumn[]): TableMapping {
    columns.forEach((c, i) => (c.ordinal = i + 1));
    return {
        source: {
            database: "src", name: table, columns, primaryKey: ["id"], indexes: [], foreignKeys: [], checks: [],
            engine: "InnoDB", charset: "utf8mb4", collation: "utf8mb4_general_ci", comment: "", estimatedRows: 0, dataBytes: 0,
        },
        targetSchema: schema, targetTable: table, columns: columns.map((c) => ({ source: c, target: c.name })), where: null, key: ["id"],
    };
}

const columns = (): SourceColumn[] => [
    column("id", "int(11)", { nullable: false }),
    column("ti", "tinyint(4)"), column("tiu", "tinyint(3) unsigned"), column("b1", "tinyint(1)"),
    column("si", "smallint(6)"), column("siu", "smallint(5) unsigned"),
    column("mi", "mediumint(9)"), column("miu", "mediumint(8) unsigned"),
    column("i", "int(11)"), column("iu", "int(10) unsigned"),
    column("bi", "bigint(20)"), column("biu", "bigint(20) unsigned"),
    column("dec", "decimal(65,30)"), column("f", "float"), column("d", "double"),
    column("bit1", "bit(1)"), column("bit10", "bit(10)"), column("bit64", "bit(64)"),
    column("dt", "date", { nullable: false }), column("dtm", "datetime(6)"), column("ts", "timestamp(6)"),
    column("tm", "time(6)"), column("yr", "year(4)"),
    column("ch", "char(10)"), column("vc", "varchar(40)"), column("tt", "tinytext"), column("tx", "text"),
    column("mt", "mediumtext"), column("lt", "longtext"),
    column("bn", "binary(4)"), column("vb", "varbinary(10)"), column("blb", "blob"), column("lb", "longblob"),
    column("en", "enum('a','b','c d')"), column("st", "set('x','y','z')"),
    column("js", "json"), column("mjs", "longtext", { isJson: true }),
    column("uu", "uuid"), column("ip", "inet6"),
];

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const maxDecimal = `${"9".repeat(35)}.${"9".repeat(30)}`;
const messy = "tab\there\nnew line\r\\back\\slash \\N \\. end";

type Row = Record<string, SourceValue>;
const rows: Row[] = [
    {
        id: "1", ti: "127", tiu: "255", b1: "-7", si: "32767", siu: "65535", mi: "8388607", miu: "16777215",
        i: "2147483647", iu: "4294967295", bi: "9223372036854775807", biu: "18446744073709551615",
        dec: maxDecimal, f: "3.4028234663852886e38", d: "1.7976931348623157e308",
        bit1: Buffer.from([1]), bit10: Buffer.from([0x03, 0xff]), bit64: Buffer.alloc(8, 0xff),
        dt: "9999-12-31", dtm: "9999-12-31 23:59:59.999999", ts: "2038-01-19 03:14:07.999999", tm: "838:59:59.000000", yr: "2155",
        ch: "abc", vc: "😀 utf8mb4 ✓ ünïcödé", tt: messy, tx: "", mt: "\\", lt: "x".repeat(100_000),
        bn: Buffer.from("a\0\0\0", "latin1"), vb: Buffer.from([0x5c, 0x09, 0x0a, 0x00]), blb: allBytes, lb: Buffer.alloc(0),
        en: "c d", st: "x,z",
        js: '{"big": 9223372036854775807, "s": "tab\\there", "e": "\\u00e9\\ud83d\\ude00", "bs": "\\\\u0000"}', mjs: '[1, "two", {"3": null}]',
        uu: "028235e7-e5f9-11f1-9e6e-02fc00000001", ip: "::ffff:10.0.0.1",
    },
    {
        id: "2", ti: "-128", tiu: "0", b1: "0", si: "-32768", siu: "0", mi: "-8388608", miu: "0",
        i: "-2147483648", iu: "0", bi: "-9223372036854775808", biu: "0",
        dec: `-${maxDecimal}`, f: "-1.1754943508222875e-38", d: "-2.2250738585072014e-308",
        bit1: Buffer.from([0]), bit10: Buffer.from([0, 0]), bit64: Buffer.alloc(8, 0),
        dt: "0000-00-00", dtm: "0000-00-00 00:00:00.000000", ts: "0000-00-00 00:00:00.000000", tm: "-838:59:59.000000", yr: "0000",
        ch: "", vc: "", tt: "", tx: "", mt: "", lt: "",
        bn: Buffer.alloc(4), vb: Buffer.alloc(0), blb: Buffer.alloc(0), lb: Buffer.from([0xff]),
        en: "", st: "",
        js: "[]", mjs: "{}", uu: "00000000-0000-0000-0000-000000000000", ip: "1.2.3.4",
    },
    {
        id: "3", ti: "1", tiu: "1", b1: "1", si: "1", siu: "1", mi: "1", miu: "1", i: "1", iu: "1", bi: "1", biu: "1",
        dec: "0.000000000000000000000000000001", f: "0.10000000149011612", d: "0.1",
        bit1: Buffer.from([1]), bit10: Buffer.from([0x02, 0x01]), bit64: Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 1]),
        dt: "2020-00-15", dtm: "2021-03-00 12:00:00.000000", ts: "1970-01-01 00:00:01.000000", tm: "-00:00:00.500000", yr: "1901",
        ch: "trailing", vc: "a'b\"c", tt: "null", tx: "\\N", mt: "NULL", lt: "\u0001\u001f",
        bn: Buffer.from("abcd"), vb: Buffer.from("\\x00"), blb: Buffer.from("\\."), lb: null,
        en: "a", st: "x,y,z", js: "null", mjs: '"string"', uu: null, ip: "2001:db8::1",
    },
    {
        id: "4", ti: null, tiu: null, b1: null, si: null, siu: null, mi: null, miu: null, i: null, iu: null, bi: null, biu: null,
        dec: null, f: null, d: null, bit1: null, bit10: null, bit64: null,
        dt: "0001-01-01", dtm: "1000-01-01 00:00:00.000000", ts: null, tm: "00:00:00.000000", yr: null,
        ch: null, vc: null, tt: null, tx: null, mt: null, lt: null, bn: null, vb: null, blb: null, lb: null,
        en: null, st: null, js: null, mjs: null, uu: null, ip: null,
    },
    {
        id: "5", dt: "0099-06-15", dtm: "2024-02-29 23:59:59.000001", tm: "12:34:56.789012",
    },
];

/** How each column reads back as PostgreSQL text (SELECT col::text; bytea as hex). */
const expected: Record<string, Record<string, string | null>> = {
    "1": {
        ti: "127", tiu: "255", b1: "-7", si: "32767", siu: "65535", mi: "8388607", miu: "16777215",
        i: "2147483647", iu: "4294967295", bi: "9223372036854775807", biu: "18446744073709551615",
        dec: maxDecimal, f: "3.4028235e+38", d: "1.7976931348623157e+308",
        bit1: "1", bit10: "1111111111", bit64: "1".repeat(64),
        dt: "9999-12-31", dtm: "9999-12-31 23:59:59.999999", ts: "2038-01-19 03:14:07.999999+00", tm: "838:59:59", yr: "2155",
        ch: "abc", vc: "😀 utf8mb4 ✓ ünïcödé", tt: messy, tx: "", mt: "\\", lt: "x".repeat(100_000),
        bn: "61000000", vb: "5c090a00", blb: allBytes.toString("hex"), lb: "",
        en: "c d", st: "x,z",
        js: '{"e": "é😀", "s": "tab\\there", "bs": "\\\\u0000", "big": 9223372036854775807}', mjs: '[1, "two", {"3": null}]',
        uu: "028235e7-e5f9-11f1-9e6e-02fc00000001", ip: "::ffff:10.0.0.1",
    },
    "2": {
        ti: "-128", tiu: "0", b1: "0", si: "-32768", siu: "0", mi: "-8388608", miu: "0",
        i: "-2147483648", iu: "0", bi: "-9223372036854775808", biu: "0",
        dec: `-${maxDecimal}`, f: "-1.1754944e-38", d: "-2.2250738585072014e-308",
        bit1: "0", bit10: "0000000000", bit64: "0".repeat(64),
        dt: null, dtm: null, ts: null, tm: "-838:59:59", yr: "0",
        ch: "", vc: "", tt: "", tx: "", mt: "", lt: "",
        bn: "00000000", vb: "", blb: "", lb: "ff",
        en: "", st: "", js: "[]", mjs: "{}", uu: "00000000-0000-0000-0000-000000000000", ip: "1.2.3.4",
    },
    "3": {
        dec: "0.000000000000000000000000000001", f: "0.1", d: "0.1",
        bit10: "1000000001", bit64: `1${"0".repeat(62)}1`,
        dt: null, dtm: null, ts: "1970-01-01 00:00:01+00", tm: "-00:00:00.5", yr: "1901",
        ch: "trailing", vc: "a'b\"c", tt: "null", tx: "\\N", mt: "NULL", lt: "\u0001\u001f",
        bn: "61626364", vb: "5c783030", blb: "5c2e", lb: null, en: "a", st: "x,y,z", js: "null", mjs: '"string"', uu: null, ip: "2001:db8::1",
    },
    "4": { ti: null, dec: null, bit64: null, dt: "0001-01-01", dtm: "1000-01-01 00:00:00", tm: "00:00:00", ch: null, tx: null, blb: null, js: null },
    "5": { dt: "0099-06-15", dtm: "2024-02-29 23:59:59.000001", tm: "12:34:56.789012", ti: null, vc: null },
};

function readBack(c: SourceColumn): string {
    const q = quoteIdent(c.name);
    if (["binary", "varbinary", "blob", "longblob"].includes(c.dataType)) return `encode(${q}, 'hex')`;
    return c.dataType === "inet6" ? `host(${q})` : `${q}::text`;
}

async function copyRows(client: Client, mapping: TableMapping, lines: Iterable<string>): Promise<void> {
    const target = qualified(mapping.targetSchema, mapping.targetTable);
    const cols = mapping.columns.map((c) => quoteIdent(c.target)).join(", ");
    await pipeline(Readable.from(lines), client.query(copyFrom(`COPY ${target} (${cols}) FROM STDIN`)));
}

describe("COPY text encoding against a real PostgreSQL", () => {
    let client: Client;
    beforeAll(async () => {
        client = new Client({ host: pgInfo.host, port: pgInfo.port, user: pgInfo.user, password: pgInfo.password, database: pgInfo.database });
        await client.connect();
        await client.query("SET TIME ZONE 'UTC'");
        await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
        await client.query(createSchemaSql(schema));
    });
    afterAll(async () => {
        await client?.end();
    });

    it("every type, edge values, value by value", async () => {
        const cols = columns();
        const mapping = tableMapping("edge", cols);
        const ddl = createTableSql(mapping, { floatPrecision: { float: 38, double: 308 }, analyticdb: false });
        await client.query(ddl.sql);
        const encode = makeRowEncoder(cols);
        await copyRows(client, mapping, rows.map((r) => encode(cols.map((c) => r[c.name] ?? null))));

        const result = await client.query<Record<string, string | null>>({
            text: `SELECT ${cols.map((c) => `${readBack(c)} AS ${quoteIdent(c.name)}`).join(", ")} FROM ${qualified(schema, "edge")} ORDER BY id`,
        });
        expect(result.rows.map((r) => r.id)).toEqual(["1", "2", "3", "4", "5"]);
        for (const got of result.rows) {
            const want = expected[got.id as string];
            for (const [name, value] of Object.entries(want)) {
                expect({ id: got.id, column: name, value: got[name] }).toEqual({ id: got.id, column: name, value });
            }
        }
        // Same durations as MySQL means them, not just the same spelling.
        const secs = await client.query<{ id: string; s: string }>(`SELECT id::text, extract(epoch FROM tm)::text AS s FROM ${qualified(schema, "edge")} ORDER BY id`);
        expect(secs.rows.map((r) => r.s)).toEqual(["3020399.000000", "-3020399.000000", "-0.500000", "0.000000", "45296.789012"]);
        // JSON int64 survives as an exact number, not a double.
        const big = await client.query<{ big: string; exact: boolean }>(
            `SELECT (js->'big')::text AS big, (js->>'big')::numeric = 9223372036854775807 AS exact FROM ${qualified(schema, "edge")} WHERE id = 1`);
        expect(big.rows[0]).toEqual({ big: "9223372036854775807", exact: true });
        // NULL and '' stay distinct.
        const nulls = await client.query<{ id: string; empty: boolean | null }>(`SELECT id::text, (tx = '') AS empty FROM ${qualified(schema, "edge")} WHERE id IN (2, 4) ORDER BY id`);
        expect(nulls.rows).toEqual([{ id: "2", empty: true }, { id: "4", empty: null }]);
    });

    it("the DDL's ENUM CHECK accepts MySQL's '' error value and rejects non-members; indexes build", async () => {
        const cols = [column("id", "int(11)", { nullable: false }), column("en", "enum('a','b')", { nullable: false, defaultValue: "'a'" }), column("name", "varchar(20)")];
        const mapping = tableMapping("enum_check", cols);
        mapping.source.indexes = [
            { name: "uk_name", unique: true, kind: "BTREE", columns: [{ name: "name", prefixLength: null, descending: false }] },
            { name: "ix_en_name", unique: false, kind: "BTREE", columns: [{ name: "en", prefixLength: null, descending: true }, { name: "name", prefixLength: null, descending: false }] },
        ];
        await client.query(createTableSql(mapping, { floatPrecision: { float: 38, double: 308 }, analyticdb: false }).sql);
        for (const sql of createIndexSqls(mapping).sqls) await client.query(sql);
        const encode = makeRowEncoder(cols);
        await copyRows(client, mapping, [encode(["1", "", "x"]), encode(["2", "b", null])]);
        await expect(copyRows(client, mapping, [encode(["3", "zz", null])])).rejects.toThrow(/check constraint/);
        await expect(copyRows(client, mapping, [encode(["4", "a", "x"])])).rejects.toThrow(/duplicate key/);
        await client.query(`INSERT INTO ${qualified(schema, "enum_check")} (id) VALUES (5)`);
        const r = await client.query<{ en: string }>(`SELECT en FROM ${qualified(schema, "enum_check")} WHERE id = 5`);
        expect(r.rows[0].en).toBe("a");
    });

    it("what the encoder refuses is what PostgreSQL would refuse", async () => {
        await expect(client.query(`SELECT '{"a":"\\u0000"}'::jsonb`)).rejects.toThrow(/\\u0000|unsupported Unicode escape/);
        await expect(client.query(`SELECT '["\\ud83d"]'::jsonb`)).rejects.toThrow(/invalid input syntax for type json/);
        await expect(client.query("SELECT $1::text", ["a\u0000b"])).rejects.toThrow(/0x00/);
        await expect(client.query("SELECT '2020-00-15'::date")).rejects.toThrow(/out of range/);
        await expect(client.query("SELECT '0000-01-01'::date")).rejects.toThrow(/out of range/);
        const encode = makeRowEncoder([column("doc", "json"), column("t", "text")]);
        expect(() => encode(['{"a":"\\u0000"}', null])).toThrow(UnencodableValueError);
        expect(() => encode([null, "a\u0000b"])).toThrow(UnencodableValueError);
    });
});

describe("values as MariaDB's text protocol yields them", () => {
    let pgc: Client;
    let my: mysql.Connection;
    beforeAll(async () => {
        pgc = new Client({ host: pgInfo.host, port: pgInfo.port, user: pgInfo.user, password: pgInfo.password, database: pgInfo.database });
        await pgc.connect();
        await pgc.query("SET TIME ZONE 'UTC'");
        await pgc.query(createSchemaSql(schema));
        my = await mysql.createConnection({
            host: maria.host, port: maria.port, user: maria.user, password: maria.password, rowsAsArray: true,
            // Text for everything, bytes for BIT and binary columns: what the reader hands over. mysql2's
            // typeCast does not expose the charset (BLOB and TEXT share a wire type), so go by name.
            typeCast: (field) => (field.type === "BIT" || field.name === "bl" ? field.buffer() : field.string("utf8")),
        });
        await my.query("SET time_zone = '+00:00', sql_mode = ''");
        await my.query("CREATE DATABASE IF NOT EXISTS pg_copy_src");
        await my.query("DROP TABLE IF EXISTS pg_copy_src.t");
    });
    afterAll(async () => {
        await my?.end();
        await pgc?.end();
    });

    it("round-trips through the encoder into PostgreSQL", async () => {
        await my.query(`CREATE TABLE pg_copy_src.t (
            id int NOT NULL PRIMARY KEY, f float, d double, b bit(10), tm time(6), dt datetime(3), ts timestamp(6) NULL,
            y year, c char(5), e enum('a','b'), bl blob, j json, u bigint unsigned, dd date)`);
        await my.query(`INSERT INTO pg_copy_src.t VALUES
            (1, 3.1415927, 0.1, b'1000000001', '-838:59:59', '2024-02-29 12:00:00.123', '2038-01-19 03:14:07.5', 0, 'ab  ', 'zz', x'00ff5c0a', '{"n": 9223372036854775807}', 18446744073709551615, '0000-00-00'),
            (2, -0.0, -1e-300, b'0', '-00:00:00.000001', '0000-00-00 00:00:00', '1970-01-01 00:00:01', 2155, '', 'b', '', '[]', 0, '2020-02-00')`);
        // FLOAT through ROUND(col, 38), as DTS reads it: the plain text protocol prints 6 significant digits.
        const [plain] = await my.query("SELECT f FROM pg_copy_src.t WHERE id = 1");
        expect((plain as string[][])[0][0]).toBe("3.14159");
        const [read] = await my.query("SELECT id, ROUND(f, 38), ROUND(d, 308), b, tm, dt, ts, y, c, e, bl, j, u, dd FROM pg_copy_src.t ORDER BY id");
        const cols = [
            column("id", "int(11)", { nullable: false }), column("f", "float"), column("d", "double"), column("b", "bit(10)"),
            column("tm", "time(6)"), column("dt", "datetime(3)"), column("ts", "timestamp(6)"), column("y", "year(4)"),
            column("c", "char(5)"), column("e", "enum('a','b')"), column("bl", "blob"), column("j", "longtext", { isJson: true }),
            column("u", "bigint(20) unsigned"), column("dd", "date"),
        ];
        const mapping = tableMapping("from_mariadb", cols);
        await pgc.query(`DROP TABLE IF EXISTS ${qualified(schema, "from_mariadb")}`);
        await pgc.query(createTableSql(mapping, { floatPrecision: { float: 38, double: 308 }, analyticdb: false }).sql);
        const encode = makeRowEncoder(cols);
        await copyRows(pgc, mapping, (read as SourceValue[][]).map(encode));
        const r = await pgc.query<Record<string, string | null>>(
            `SELECT f::text, d::text, b::text, tm::text, dt::text, ts::text, y::text, c, e, encode(bl, 'hex') AS bl, (j->'n')::text AS n, u::text, dd::text
             FROM ${qualified(schema, "from_mariadb")} ORDER BY id`);
        expect(r.rows).toEqual([
            { f: "3.1415927", d: "0.1", b: "1000000001", tm: "-838:59:59", dt: "2024-02-29 12:00:00.123", ts: "2038-01-19 03:14:07.5+00", y: "0",
                c: "ab", e: "", bl: "00ff5c0a", n: "9223372036854775807", u: "18446744073709551615", dd: null },
            { f: "0", d: "-1e-300", b: "0000000000", tm: "-00:00:00.000001", dt: null, ts: "1970-01-01 00:00:01+00", y: "2155",
                c: "", e: "b", bl: "", n: null, u: "0", dd: null },
        ]);
    });
});
