import { describe, expect, it } from "vitest";
import { defaultClause, isWrappedInParens, mariadbStyleDefault, parseEnumMembers } from "../../provider/connectors/mysql/column-types";
import { createDatabaseSql, createTableSql, foreignKeySqls, renameSchemaInCreate, rewriteDefiner, secondaryIndexSqls } from "../../provider/connectors/mysql/destination/ddl";
import { columnRefs, renameColumnRefs } from "../../provider/connectors/mysql/destination/expressions";
import { qualified, quoteIdent, quoteString } from "../../provider/connectors/mysql/identifiers";
import { parseCreateTableExpressions } from "../../provider/connectors/mysql/source/show-create-table";
import { DdlError } from "../../provider/connectors/mysql/schema-errors";
import type { SourceColumn, SourceTable, TableMapping } from "../../provider/engine/model";

describe("quoting", () => {
    it("doubles embedded backticks and keeps everything else", () => {
        expect(quoteIdent("plain")).toBe("`plain`");
        expect(quoteIdent("we ird`t ü")).toBe("`we ird``t ü`");
        expect(quoteIdent("``")).toBe("``````");
        expect(qualified("d`b", "t")).toBe("`d``b`.`t`");
    });
    it("escapes quotes, backslashes and NUL in string literals", () => {
        expect(quoteString("it's a \\ test\0")).toBe("'it''s a \\\\ test\\0'");
    });
});

describe("ENUM/SET members", () => {
    it("splits on commas only between literals", () => {
        expect(parseEnumMembers("enum('a,b','it''s','x\\\\y','')")).toEqual(["a,b", "it's", "x\\y", ""]);
        expect(parseEnumMembers("set('p','q')")).toEqual(["p", "q"]);
        expect(parseEnumMembers("enum('a, b' , 'c)')")).toEqual(["a, b", "c)"]);
        expect(parseEnumMembers("enum('\\'q\\'','ü😀')")).toEqual(["'q'", "ü😀"]);
    });
    it("returns null for other types or a malformed list", () => {
        expect(parseEnumMembers("varchar(10)")).toBeNull();
        expect(parseEnumMembers("enum('a' 'b')")).toBeNull();
        expect(parseEnumMembers("enum('a',")).toBeNull();
    });
});

describe("defaults", () => {
    it("keeps literals and CURRENT_TIMESTAMP as printed, parenthesises expressions", () => {
        for (const lit of ["'abc'", "'it''s'", "''", "1.500", "-1", "10000000000", "b'101'", "NULL", "current_timestamp(6)", "current_timestamp()", "CURRENT_TIMESTAMP", "_utf8mb4'x'", "0x0A"]) {
            expect(defaultClause(lit)).toBe(lit);
        }
        expect(defaultClause("rand()")).toBe("(rand())");
        expect(defaultClause("curdate()")).toBe("(curdate())");
        expect(defaultClause("(1 + 1)")).toBe("(1 + 1)");
        expect(defaultClause("(1) + (2)")).toBe("((1) + (2))");
        expect(defaultClause("concat('a','b')")).toBe("(concat('a','b'))");
    });
    it("knows a single parenthesised group", () => {
        expect(isWrappedInParens("((1 + 1) * 2)")).toBe(true);
        expect(isWrappedInParens("(1) + (2)")).toBe(false);
        expect(isWrappedInParens("(')')")).toBe(true);
    });
    it("converts MySQL's COLUMN_DEFAULT format to MariaDB's", () => {
        const c = (dataType: string, extra = "", nullable = true) => ({ dataType, extra, nullable, generated: false });
        expect(mariadbStyleDefault("abc", c("varchar"))).toBe("'abc'");
        expect(mariadbStyleDefault("it's", c("varchar"))).toBe("'it''s'");
        expect(mariadbStyleDefault("12", c("int"))).toBe("12");
        expect(mariadbStyleDefault("CURRENT_TIMESTAMP", c("timestamp", "DEFAULT_GENERATED"))).toBe("CURRENT_TIMESTAMP");
        expect(mariadbStyleDefault("rand()", c("double", "DEFAULT_GENERATED"))).toBe("rand()");
        expect(mariadbStyleDefault("2020-01-01", c("date"))).toBe("'2020-01-01'");
        expect(mariadbStyleDefault(null, c("int"))).toBe("NULL");
        expect(mariadbStyleDefault(null, c("int", "", false))).toBeNull();
        expect(mariadbStyleDefault(null, c("int", "auto_increment"))).toBeNull();
    });
});

describe("expressions", () => {
    it("renames quoted column references, not functions, qualifiers or strings", () => {
        const expr = "concat(`e`,'`e`', `Id` * 2, `json_valid`(`e`))";
        expect(columnRefs(expr)).toEqual(["e", "Id", "e"]);
        expect(renameColumnRefs(expr, (n) => ({ e: "E 2", id: "ident" })[n.toLowerCase()])).toBe("concat(`E 2`,'`e`', `ident` * 2, `json_valid`(`E 2`))");
    });
    it("renames the schema of qualified references only", () => {
        const sql = "CREATE VIEW `src`.`v` AS select `src`.`p`.`a` AS `src`, 'src.x' from `src`.`src` join src.q /* src.z */";
        expect(renameSchemaInCreate(sql, "src", "dst")).toBe(
            "CREATE VIEW `dst`.`v` AS select `dst`.`p`.`a` AS `src`, 'src.x' from `dst`.`src` join `dst`.q /* src.z */",
        );
        expect(renameSchemaInCreate("select `x``y`.t", "x`y", "z")).toBe("select `z`.t");
    });
});

describe("SHOW CREATE TABLE expressions (where information_schema prints 4-byte characters as ?)", () => {
    it("finds generation expressions, expression defaults and checks", () => {
        const sql =
            "CREATE TABLE `e` (\n  `en` enum('a','b') DEFAULT 'a' COMMENT 'c',\n  `g` varchar(10) GENERATED ALWAYS AS (concat('😀',`v``x`)) VIRTUAL,\n" +
            "  `w` varchar(10) DEFAULT concat('😀','y') COMMENT 'x',\n  `t` datetime(6) NOT NULL DEFAULT current_timestamp(6) ON UPDATE current_timestamp(6),\n" +
            "  `c` int(11) DEFAULT NULL CHECK (`c` <> '😀'),\n  PRIMARY KEY (`en`),\n  CONSTRAINT `k, 1` CHECK (`c` <> ')😀')\n) ENGINE=InnoDB COMMENT='t'";
        const p = parseCreateTableExpressions(sql);
        expect(p.columns.get("g")).toEqual({ generation: "concat('😀',`v``x`)" });
        expect(p.columns.get("w")).toEqual({ default: "concat('😀','y')" });
        expect(p.columns.get("t")).toEqual({ default: "current_timestamp(6)" });
        expect(p.columns.get("en")).toEqual({ default: "'a'" });
        expect(p.columns.get("c")).toEqual({ default: "NULL", check: "`c` <> '😀'" });
        expect(p.checks).toEqual(new Map([["k, 1", "`c` <> ')😀'"]]));
    });
});

describe("rewriteDefiner (texts as MariaDB 10.11 prints them)", () => {
    it("view: drops DEFINER, turns SQL SECURITY DEFINER into INVOKER, leaves the body alone", () => {
        const src =
            "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `v2` AS select 'SQL SECURITY DEFINER' AS `q` from `x1`.`we ird``t ü`";
        expect(rewriteDefiner(src)).toBe("CREATE ALGORITHM=UNDEFINED SQL SECURITY INVOKER VIEW `v2` AS select 'SQL SECURITY DEFINER' AS `q` from `x1`.`we ird``t ü`");
    });
    it("view without SQL SECURITY gets one before VIEW", () => {
        expect(rewriteDefiner("CREATE DEFINER='u'@'%' VIEW v AS select 1")).toBe("CREATE SQL SECURITY INVOKER VIEW v AS select 1");
        expect(rewriteDefiner("CREATE OR REPLACE DEFINER=CURRENT_USER() VIEW v AS select 1")).toBe("CREATE OR REPLACE SQL SECURITY INVOKER VIEW v AS select 1");
    });
    it("procedure without characteristics", () => {
        expect(rewriteDefiner("CREATE DEFINER=`root`@`localhost` PROCEDURE `pr0`()\nBEGIN SELECT 1; END")).toBe(
            "CREATE PROCEDURE `pr0`()\n    SQL SECURITY INVOKER\nBEGIN SELECT 1; END",
        );
    });
    it("procedure with a COMMENT holding a parenthesis", () => {
        const src = "CREATE DEFINER=`root`@`localhost` PROCEDURE `pr1`(IN a INT, OUT b VARCHAR(10))\n    COMMENT 'has ) paren'\nBEGIN SELECT a INTO b; END";
        expect(rewriteDefiner(src)).toBe("CREATE PROCEDURE `pr1`(IN a INT, OUT b VARCHAR(10))\n    COMMENT 'has ) paren'\n    SQL SECURITY INVOKER\nBEGIN SELECT a INTO b; END");
    });
    it("procedure with SQL SECURITY DEFINER", () => {
        const src = "CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\n    DETERMINISTIC\n    SQL SECURITY DEFINER\nSELECT 'SQL SECURITY DEFINER'";
        expect(rewriteDefiner(src)).toBe("CREATE PROCEDURE `p`()\n    DETERMINISTIC\n    SQL SECURITY INVOKER\nSELECT 'SQL SECURITY DEFINER'");
    });
    it("procedure whose body creates a view keeps the body's DEFINER", () => {
        const src = "CREATE DEFINER=`a`@`%` PROCEDURE `mk`()\nCREATE DEFINER=`b`@`%` SQL SECURITY DEFINER VIEW w AS SELECT 1";
        expect(rewriteDefiner(src)).toBe("CREATE PROCEDURE `mk`()\n    SQL SECURITY INVOKER\nCREATE DEFINER=`b`@`%` SQL SECURITY DEFINER VIEW w AS SELECT 1");
    });
    it("functions: after RETURNS type with length, charset and collation", () => {
        expect(rewriteDefiner("CREATE DEFINER=`root`@`localhost` FUNCTION `f1`(a INT) RETURNS decimal(10,2)\n    DETERMINISTIC\nRETURN a + 1")).toBe(
            "CREATE FUNCTION `f1`(a INT) RETURNS decimal(10,2)\n    DETERMINISTIC\n    SQL SECURITY INVOKER\nRETURN a + 1",
        );
        expect(
            rewriteDefiner("CREATE DEFINER=`root`@`localhost` FUNCTION `f2`(a VARCHAR(5)) RETURNS varchar(10) CHARSET latin1 COLLATE latin1_bin\n    DETERMINISTIC\nRETURN concat(a, ')')"),
        ).toBe("CREATE FUNCTION `f2`(a VARCHAR(5)) RETURNS varchar(10) CHARSET latin1 COLLATE latin1_bin\n    DETERMINISTIC\n    SQL SECURITY INVOKER\nRETURN concat(a, ')')");
        expect(rewriteDefiner("CREATE DEFINER=`root`@`localhost` FUNCTION `f3`() RETURNS int(11)\n    NO SQL\n    SQL SECURITY INVOKER\nRETURN 3")).toBe(
            "CREATE FUNCTION `f3`() RETURNS int(11)\n    NO SQL\n    SQL SECURITY INVOKER\nRETURN 3",
        );
        expect(rewriteDefiner("CREATE DEFINER=`r`@`h` FUNCTION `db`.`f4`() RETURNS bigint(20) unsigned\nRETURN 3")).toBe(
            "CREATE FUNCTION `db`.`f4`() RETURNS bigint(20) unsigned\n    SQL SECURITY INVOKER\nRETURN 3",
        );
        expect(rewriteDefiner("CREATE DEFINER=`r`@`h` FUNCTION f5() RETURNS double precision\n    READS SQL DATA\nRETURN 3")).toBe(
            "CREATE FUNCTION f5() RETURNS double precision\n    READS SQL DATA\n    SQL SECURITY INVOKER\nRETURN 3",
        );
    });
    it("trigger and event: DEFINER only", () => {
        expect(rewriteDefiner("CREATE DEFINER=`root`@`localhost` TRIGGER tr2 BEFORE INSERT ON c FOR EACH ROW SET NEW.x = NEW.x + 1")).toBe(
            "CREATE TRIGGER tr2 BEFORE INSERT ON c FOR EACH ROW SET NEW.x = NEW.x + 1",
        );
        expect(
            rewriteDefiner(
                "CREATE DEFINER=`root`@`localhost` EVENT `ev1` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM c WHERE x < 0",
            ),
        ).toBe("CREATE EVENT `ev1` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM c WHERE x < 0");
        expect(rewriteDefiner("CREATE DEFINER=`role_only` TRIGGER t AFTER DELETE ON c FOR EACH ROW SET @a = 1")).toBe(
            "CREATE TRIGGER t AFTER DELETE ON c FOR EACH ROW SET @a = 1",
        );
        expect(rewriteDefiner("CREATE DEFINER=root@localhost TRIGGER t AFTER DELETE ON c FOR EACH ROW SET @a = 1")).toBe(
            "CREATE TRIGGER t AFTER DELETE ON c FOR EACH ROW SET @a = 1",
        );
    });
    it("refuses what it cannot read", () => {
        expect(() => rewriteDefiner("SELECT 1")).toThrow(DdlError);
        expect(() => rewriteDefiner("CREATE TABLE t (a int)")).toThrow(DdlError);
    });
});

function col(name: string, ordinal: number, over: Partial<SourceColumn> = {}): SourceColumn {
    return {
        name, ordinal, dataType: "int", columnType: "int(11)", nullable: true, defaultValue: "NULL", extra: "", generationExpression: null,
        unsigned: false, maxLength: null, numericPrecision: 10, numericScale: 0, datetimePrecision: null, charset: null, collation: null,
        enumValues: null, comment: "", invisible: false, isJson: false, ...over,
    };
}

describe("createTableSql / secondaryIndexSqls / foreignKeySqls", () => {
    const table: SourceTable = {
        database: "src", name: "t", engine: "InnoDB", charset: "utf8mb4", collation: "utf8mb4_general_ci", comment: "it's", estimatedRows: 0, dataBytes: 0,
        columns: [
            col("k", 1, { nullable: false, defaultValue: null }),
            col("id", 2, { nullable: false, defaultValue: null, extra: "auto_increment" }),
            col("s", 3, { dataType: "varchar", columnType: "varchar(10)", charset: "latin1", collation: "latin1_bin", defaultValue: "'x'" }),
            col("g", 4, { generationExpression: "`s` + 1", extra: "STORED GENERATED", defaultValue: null }),
            col("j", 5, { dataType: "longtext", columnType: "longtext", charset: "utf8mb4", collation: "utf8mb4_bin", isJson: true }),
        ],
        primaryKey: ["k", "id"],
        indexes: [
            { name: "by_id", unique: true, kind: "BTREE", columns: [{ name: "id", prefixLength: null, descending: false }] },
            { name: "by_s", unique: false, kind: "BTREE", columns: [{ name: "s", prefixLength: 4, descending: true }] },
        ],
        foreignKeys: [{ name: "fk", columns: ["s"], referencedDatabase: "src", referencedTable: "p", referencedColumns: ["a"], onUpdate: "RESTRICT", onDelete: "CASCADE" }],
        checks: [{ name: "ck", clause: "`k` > 0" }, { name: "s", clause: "`s` <> ''", column: "s" }],
    };
    const mapping = (columns: string[], rename: Record<string, string> = {}): TableMapping => ({
        source: table, targetSchema: "dst", targetTable: "T 2", where: null, key: ["k", "id"],
        columns: table.columns.filter((c) => columns.includes(c.name)).map((c) => ({ source: c, target: rename[c.name] ?? c.name })),
    });

    it("renders every clause and keeps the index the AUTO_INCREMENT column needs inline", () => {
        const m = mapping(["k", "id", "s", "g", "j"], { s: "S`2" });
        expect(createTableSql(m, { secondaryIndexes: false })).toBe(
            "CREATE TABLE `dst`.`T 2` (\n" +
                "  `k` int(11) NOT NULL,\n" +
                "  `id` int(11) NOT NULL AUTO_INCREMENT,\n" +
                "  `S``2` varchar(10) CHARACTER SET latin1 COLLATE latin1_bin NULL DEFAULT 'x' CHECK (`S``2` <> ''),\n" +
                "  `g` int(11) GENERATED ALWAYS AS (`S``2` + 1) STORED,\n" +
                "  `j` json NULL DEFAULT NULL,\n" +
                "  PRIMARY KEY (`k`, `id`),\n" +
                "  UNIQUE KEY `by_id` (`id`),\n" +
                "  CONSTRAINT `ck` CHECK (`k` > 0)\n" +
                ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='it''s'",
        );
        expect(secondaryIndexSqls(m)).toEqual(["ALTER TABLE `dst`.`T 2` ADD INDEX `by_s` (`S``2`(4) DESC)"]);
        expect(foreignKeySqls(m, () => ({ schema: "d2", table: "P", columnName: (c) => c.toUpperCase() })).sqls).toEqual([
            "ALTER TABLE `dst`.`T 2` ADD CONSTRAINT `fk` FOREIGN KEY (`S``2`) REFERENCES `d2`.`P` (`A`) ON DELETE CASCADE ON UPDATE RESTRICT",
        ]);
        const none = foreignKeySqls(m, () => null);
        expect(none.sqls).toEqual([]);
        expect(none.notes[0]).toMatch(/`src`.`p`, which is not migrated/);
    });
    it("keeps the source's key order when an index must be inline for AUTO_INCREMENT", () => {
        const t2: SourceTable = { ...table, indexes: [...table.indexes].reverse() };
        const m: TableMapping = { ...mapping(["k", "id", "s", "g", "j"]), source: t2 };
        expect(createTableSql(m, { secondaryIndexes: false })).toMatch(/KEY `by_s` \(`s`\(4\) DESC\),\n  UNIQUE KEY `by_id`/);
        expect(secondaryIndexSqls(m)).toEqual([]);
    });
    it("leaves out indexes, checks and foreign keys on columns that are not migrated", () => {
        const m = mapping(["k", "id", "j"]);
        const sql = createTableSql(m, { secondaryIndexes: true });
        expect(sql).not.toMatch(/by_s|CHECK \(`s`/);
        expect(sql).toMatch(/UNIQUE KEY `by_id`/);
        expect(secondaryIndexSqls(m)).toEqual([]);
        expect(foreignKeySqls(m, () => null).notes[0]).toMatch(/column\(s\) s are not migrated/);
    });
    it("names the table and column when a mapping cannot work", () => {
        expect(() => createTableSql(mapping(["k", "id", "g"]), { secondaryIndexes: false })).toThrow(/table "t", column "g": generated from column\(s\) s/);
        expect(() => createTableSql(mapping(["id", "s"]), { secondaryIndexes: false })).toThrow(/column "k": primary key column is not migrated/);
    });
    it("creates databases idempotently and refuses odd charset names", () => {
        expect(createDatabaseSql("a`b", "utf8mb4", "utf8mb4_bin")).toBe("CREATE DATABASE IF NOT EXISTS `a``b` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        expect(() => createDatabaseSql("x", "utf8; DROP", "y")).toThrow(DdlError);
    });
});
