/**
 * MariaDB's UUID, INET6 and INET4 (issue 16 §2): their binlog bytes as the server prints
 * them, and the destination type a MySQL-family server gets for them by its version.
 * test/integration/mariadb-types.test.ts checks the printing against the server itself.
 */
import { describe, expect, it } from "vitest";
import { binlogValueConverter, inet4Text, inet6Text, UndecodableValueError, uuidText } from "../../provider/connectors/mysql/source/binlog-values";
import { createTableSql, mariadbTypesOf } from "../../provider/connectors/mysql/destination/ddl";
import { DdlError } from "../../provider/connectors/mysql/schema-errors";
import { rowMatcher } from "../../provider/connectors/mysql/destination/change-sink";
import { escape } from "mysql2";
import type { SourceColumn, SourceTable, TableMapping } from "../../provider/engine/model";

const hex = (s: string) => Buffer.from(s.replace(/[^0-9a-f]/gi, ""), "hex");

function col(name: string, dataType: string, over: Partial<SourceColumn> = {}): SourceColumn {
    return {
        name, ordinal: 1, dataType, columnType: dataType, nullable: true, defaultValue: "NULL", extra: "", generationExpression: null,
        unsigned: false, maxLength: null, numericPrecision: null, numericScale: null, datetimePrecision: null, charset: null, collation: null,
        enumValues: null, comment: "", invisible: false, isJson: false, ...over,
    };
}

describe("uuidText", () => {
    it("prints the 16 bytes in their order, lower case, 8-4-4-4-12", () => {
        expect(uuidText(hex("123e4567e89b12d3a456426614174000"))).toBe("123e4567-e89b-12d3-a456-426614174000");
        expect(uuidText(Buffer.alloc(16))).toBe("00000000-0000-0000-0000-000000000000");
        expect(uuidText(Buffer.alloc(16, 0xff))).toBe("ffffffff-ffff-ffff-ffff-ffffffffffff");
    });
    it("refuses another length", () => {
        expect(() => uuidText(Buffer.alloc(15))).toThrow(/16 bytes, got 15/);
    });
});

describe("inet4Text", () => {
    it("prints dotted decimal without leading zeros", () => {
        expect(inet4Text(hex("01020304"))).toBe("1.2.3.4");
        expect(inet4Text(hex("00000000"))).toBe("0.0.0.0");
        expect(inet4Text(hex("ffffffff"))).toBe("255.255.255.255");
        expect(inet4Text(hex("0a000100"))).toBe("10.0.1.0");
    });
    it("refuses another length", () => {
        expect(() => inet4Text(Buffer.alloc(16))).toThrow(/4 bytes, got 16/);
    });
});

describe("inet6Text: as MariaDB's Inet6::to_string prints", () => {
    const cases: [string, string][] = [
        ["00000000000000000000000000000000", "::"],
        ["00000000000000000000000000000001", "::1"],
        ["00000000000000000000ffff01020304", "::ffff:1.2.3.4"],
        ["00000000000000000000000001020304", "::1.2.3.4"],
        ["00000000000000000000ffff00000000", "::ffff:0.0.0.0"],
        ["20010db8000000000000ff0000428329", "2001:db8::ff00:42:8329"],
        ["20010db8000000000000000000000000", "2001:db8::"],
        // A single zero word is abbreviated too (RFC 5952 and PostgreSQL would not).
        ["00010000000200030004000500060007", "1::2:3:4:5:6:7"],
        // The longest run wins; of equal runs, the first.
        ["00010000000000020000000000000003", "1:0:0:2::3"],
        ["00010000000000020000000000030004", "1::2:0:0:3:4"],
        ["ffffffffffffffffffffffffffffffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
        // Dotted only when the zeros start the address and stop before the last two words.
        ["00000000000000000000000100000000", "::1:0:0"],
        ["00000000000000000001000000000000", "::1:0:0:0"],
        ["00000000000100000000000000000000", "0:0:1::"],
        ["0000000000000000000000000000ffff", "::ffff"],
        ["00000000000000000000fffe01020304", "::fffe:102:304"],
        ["fe800000000000000000000000010002", "fe80::1:2"],
    ];
    for (const [bytes, text] of cases) {
        it(`${bytes} -> ${text}`, () => expect(inet6Text(hex(bytes))).toBe(text));
    }
    it("refuses another length", () => {
        expect(() => inet6Text(Buffer.alloc(4))).toThrow(/16 bytes, got 4/);
    });
});

describe("binlogValueConverter for UUID, INET6, INET4", () => {
    const p = { float: 38, double: 308 };
    it("turns the row image's bytes into the text the full load reads", () => {
        expect(binlogValueConverter(col("u", "uuid"), p)(hex("a0eebc999c0b4ef8bb6d6bb9bd380a11"))).toBe("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        expect(binlogValueConverter(col("a", "inet6"), p)(hex("00000000000000000000ffff0a000001"))).toBe("::ffff:10.0.0.1");
        expect(binlogValueConverter(col("f", "inet4"), p)(hex("c0a80101"))).toBe("192.168.1.1");
        for (const t of ["uuid", "inet6", "inet4"]) {
            expect(binlogValueConverter(col("x", t), p)(null)).toBeNull();
            expect(binlogValueConverter(col("x", t), p)(undefined)).toBeNull();
        }
    });
    it("refuses, naming the column, what is not the value's bytes", () => {
        expect(() => binlogValueConverter(col("u", "uuid"), p)("123e4567-e89b-12d3-a456-426614174000")).toThrow(UndecodableValueError);
        expect(() => binlogValueConverter(col("u", "uuid"), p)(Buffer.alloc(12))).toThrow(/column "u": a UUID has 16 bytes, got 12/);
        expect(() => binlogValueConverter(col("f", "inet4"), p)(Buffer.alloc(3))).toThrow(/column "f"/);
    });
    it("refuses VECTOR values", () => {
        expect(() => binlogValueConverter(col("v", "vector", { columnType: "vector(3)" }), p)(Buffer.alloc(12))).toThrow(/column "v": VECTOR/);
    });
});

describe("MariaDB-only types at a MySQL-family destination", () => {
    it("knows which release brought each type", () => {
        expect([...mariadbTypesOf("MariaDB", "10.11.19-MariaDB-0+deb12u1")].sort()).toEqual(["inet4", "inet6", "uuid"]);
        expect([...mariadbTypesOf("MariaDB", "11.8.2-MariaDB")].sort()).toEqual(["inet4", "inet6", "uuid", "vector"]);
        expect([...mariadbTypesOf("MariaDB", "10.7.1-MariaDB")].sort()).toEqual(["inet6", "uuid"]);
        expect([...mariadbTypesOf("MariaDB", "10.6.18-MariaDB-log")]).toEqual(["inet6"]);
        expect([...mariadbTypesOf("MariaDB", "10.4.34-MariaDB")]).toEqual([]);
        // The replication-protocol prefix of old MariaDB servers.
        expect([...mariadbTypesOf("", "5.5.5-10.5.2-MariaDB")]).toEqual(["inet6"]);
        expect([...mariadbTypesOf("MySQL", "8.4.3")]).toEqual([]);
        expect([...mariadbTypesOf("PolarDB", "8.0.32")]).toEqual([]);
    });

    const table: SourceTable = {
        database: "src", name: "t", engine: "InnoDB", charset: "utf8mb4", collation: "utf8mb4_general_ci", comment: "", estimatedRows: 0, dataBytes: 0,
        columns: [
            col("id", "uuid", { nullable: false, defaultValue: null }),
            col("a", "inet6", { nullable: false, defaultValue: "'::'" }),
            col("f", "inet4"),
            col("u", "uuid", { defaultValue: "uuid()" }),
        ],
        primaryKey: ["id"], indexes: [{ name: "by_a", unique: true, kind: "BTREE", columns: [{ name: "a", prefixLength: null, descending: false }] }],
        foreignKeys: [], checks: [],
    };
    const mapping: TableMapping = { source: table, targetSchema: "dst", targetTable: "t", where: null, key: ["id"], columns: table.columns.map((c) => ({ source: c, target: c.name })) };

    it("keeps the types where the destination has them", () => {
        const sql = createTableSql(mapping, { secondaryIndexes: true, mariadbTypes: mariadbTypesOf("MariaDB", "10.11.6-MariaDB") });
        expect(sql).toBe(createTableSql(mapping, { secondaryIndexes: true }));
        expect(sql).toContain("`id` uuid NOT NULL,\n  `a` inet6 NOT NULL DEFAULT '::',\n  `f` inet4 NULL DEFAULT NULL,\n  `u` uuid NULL DEFAULT (uuid()),");
    });
    it("stores their text in ASCII columns with a binary collation where it has not", () => {
        expect(createTableSql(mapping, { secondaryIndexes: true, mariadbTypes: mariadbTypesOf("MySQL", "8.0.36") })).toBe(
            "CREATE TABLE `dst`.`t` (\n" +
                "  `id` char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,\n" +
                "  `a` varchar(39) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '::',\n" +
                "  `f` varchar(15) CHARACTER SET ascii COLLATE ascii_bin NULL DEFAULT NULL,\n" +
                "  `u` char(36) CHARACTER SET ascii COLLATE ascii_bin NULL DEFAULT (uuid()),\n" +
                "  PRIMARY KEY (`id`),\n" +
                "  UNIQUE KEY `by_a` (`a`)\n" +
                ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
        );
        // MariaDB 10.6: INET6 kept, UUID and INET4 as text.
        const sql = createTableSql(mapping, { secondaryIndexes: false, mariadbTypes: mariadbTypesOf("MariaDB", "10.6.18-MariaDB") });
        expect(sql).toContain("`id` char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,\n  `a` inet6 NOT NULL DEFAULT '::',\n  `f` varchar(15) CHARACTER SET ascii COLLATE ascii_bin NULL");
    });
    it("refuses VECTOR columns, naming the column", () => {
        const v = { ...table, columns: [col("id", "int"), col("emb", "vector", { columnType: "vector(3)" })], primaryKey: null, indexes: [] };
        const m = { ...mapping, source: v, key: null, columns: v.columns.map((c) => ({ source: c, target: c.name })) };
        expect(() => createTableSql(m, { secondaryIndexes: false })).toThrow(DdlError);
        expect(() => createTableSql(m, { secondaryIndexes: false })).toThrow(/emb.*vector\(3\) is not supported/);
    });
});

describe("rowMatcher for UUID, INET6, INET4", () => {
    it("compares with the value's text, which the server reads as the type", () => {
        for (const [t, v] of [["uuid", "123e4567-e89b-12d3-a456-426614174000"], ["inet6", "::ffff:1.2.3.4"], ["inet4", "1.2.3.4"]]) {
            const m = rowMatcher(col("c", t), (x) => escape(x));
            expect(m("`c`", v)).toBe(`\`c\` <=> '${v}'`);
            expect(m("`c`", null)).toBe("`c` <=> NULL");
        }
    });
});
