import { describe, expect, it } from "vitest";
import { type AlterAction, DdlParseError } from "../../provider/engine/schema-change/alter";
import { applyAlterAction, applyAlterToTable } from "../../provider/connectors/mysql/source/alter-apply";
import { columnFromDefinition, normalizeDefault, parseColumnDefinition } from "../../provider/connectors/mysql/source/column-definition";
import { parseAlterTable, parseCreateTable, parseIndexStatement } from "../../provider/connectors/mysql/source/alter-parser";
import { unwrapExecutableComments } from "../../provider/connectors/mysql/source/ddl-tokens";
import type { SourceColumn, SourceTable } from "../../provider/engine/model";
import { col, index } from "./pg-fixtures";

/** The fields of a parsed column that a test names; the rest is checked elsewhere. */
const pick = <T extends object>(o: T, ...keys: (keyof T)[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));

function table(columns: SourceColumn[], extra: Partial<SourceTable> = {}): SourceTable {
    return {
        database: "shop", name: "orders", columns: columns.map((c, i) => ({ ...c, ordinal: i + 1 })), primaryKey: null, indexes: [], foreignKeys: [], checks: [],
        engine: "InnoDB", charset: "utf8mb4", collation: "utf8mb4_general_ci", comment: "", estimatedRows: 0, dataBytes: 0, ...extra,
    };
}

const kinds = (actions: AlterAction[]) => actions.map((a) => a.kind);

describe("column definitions → SourceColumn (as information_schema fills it)", () => {
    it("integers: display width, UNSIGNED, ZEROFILL, AUTO_INCREMENT, precision", () => {
        expect(columnFromDefinition("id", "int(10) unsigned NOT NULL AUTO_INCREMENT")).toEqual({
            name: "id", ordinal: 0, dataType: "int", columnType: "int(10) unsigned", nullable: false, defaultValue: null, extra: "auto_increment",
            generationExpression: null, unsigned: true, maxLength: null, numericPrecision: 10, numericScale: 0, datetimePrecision: null,
            charset: null, collation: null, enumValues: null, comment: "", invisible: false, isJson: false,
        });
        expect(pick(columnFromDefinition("n", "INT UNSIGNED ZEROFILL"), "columnType", "unsigned")).toEqual({ columnType: "int unsigned zerofill", unsigned: true });
        expect(pick(columnFromDefinition("n", "BIGINT UNSIGNED"), "columnType", "numericPrecision")).toEqual({ columnType: "bigint unsigned", numericPrecision: 20 });
        expect(pick(columnFromDefinition("n", "bigint(20)"), "columnType", "numericPrecision")).toEqual({ columnType: "bigint(20)", numericPrecision: 19 });
        expect(pick(columnFromDefinition("n", "INTEGER"), "dataType", "columnType")).toEqual({ dataType: "int", columnType: "int" });
        expect(pick(columnFromDefinition("n", "MIDDLEINT"), "dataType")).toEqual({ dataType: "mediumint" });
        expect(pick(columnFromDefinition("n", "int DEFAULT -1"), "defaultValue", "nullable")).toEqual({ defaultValue: "-1", nullable: true });
        expect(pick(columnFromDefinition("n", "int NOT NULL DEFAULT '5'"), "defaultValue")).toEqual({ defaultValue: "5" });
    });

    it("BOOLEAN is tinyint(1); TRUE/FALSE defaults are 1/0", () => {
        expect(pick(columnFromDefinition("b", "BOOLEAN NOT NULL DEFAULT TRUE"), "dataType", "columnType", "defaultValue", "nullable"))
            .toEqual({ dataType: "tinyint", columnType: "tinyint(1)", defaultValue: "1", nullable: false });
        expect(columnFromDefinition("b", "bool default false").defaultValue).toBe("0");
    });

    it("SERIAL is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE", () => {
        const d = parseColumnDefinition("id", "SERIAL");
        expect(pick(d.column, "columnType", "nullable", "extra", "defaultValue")).toEqual({ columnType: "bigint unsigned", nullable: false, extra: "auto_increment", defaultValue: null });
        expect(d.inlineKey).toBe("unique");
    });

    it("DECIMAL/NUMERIC/FIXED with implied precision; defaults read back with the scale", () => {
        expect(pick(columnFromDefinition("p", "decimal(12,2) unsigned DEFAULT '0'"), "columnType", "numericPrecision", "numericScale", "defaultValue", "unsigned"))
            .toEqual({ columnType: "decimal(12,2) unsigned", numericPrecision: 12, numericScale: 2, defaultValue: "0.00", unsigned: true });
        expect(pick(columnFromDefinition("p", "DECIMAL"), "columnType", "numericPrecision", "numericScale")).toEqual({ columnType: "decimal(10,0)", numericPrecision: 10, numericScale: 0 });
        expect(columnFromDefinition("p", "NUMERIC(5)").columnType).toBe("decimal(5,0)");
        expect(columnFromDefinition("p", "fixed(6,3) DEFAULT 1.5").defaultValue).toBe("1.500");
        expect(columnFromDefinition("p", "dec(6,2) DEFAULT -.5").defaultValue).toBe("-0.50");
    });

    it("FLOAT/DOUBLE/REAL and FLOAT(p)", () => {
        expect(pick(columnFromDefinition("f", "float"), "dataType", "columnType", "numericPrecision", "numericScale")).toEqual({ dataType: "float", columnType: "float", numericPrecision: 12, numericScale: null });
        expect(pick(columnFromDefinition("f", "float(7,3)"), "columnType", "numericPrecision", "numericScale")).toEqual({ columnType: "float(7,3)", numericPrecision: 7, numericScale: 3 });
        expect(columnFromDefinition("f", "FLOAT(30)").dataType).toBe("double");
        expect(columnFromDefinition("f", "FLOAT(10)").dataType).toBe("float");
        expect(pick(columnFromDefinition("f", "DOUBLE PRECISION"), "dataType", "numericPrecision")).toEqual({ dataType: "double", numericPrecision: 22 });
        expect(columnFromDefinition("f", "REAL").dataType).toBe("double");
        expect(columnFromDefinition("f", "double DEFAULT (rand())").defaultValue).toBe("rand()");
    });

    it("character types: length, charset and collation (explicit, from COLLATE, from BINARY), national, CHARACTER SET binary", () => {
        expect(pick(columnFromDefinition("s", "varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT ''"), "columnType", "maxLength", "charset", "collation", "defaultValue", "nullable"))
            .toEqual({ columnType: "varchar(255)", maxLength: 255, charset: "utf8mb4", collation: "utf8mb4_unicode_ci", defaultValue: "''", nullable: false });
        expect(pick(columnFromDefinition("s", "VARCHAR(10) COLLATE latin1_bin"), "charset", "collation")).toEqual({ charset: "latin1", collation: "latin1_bin" });
        expect(pick(columnFromDefinition("s", "varchar(10) BINARY CHARACTER SET latin1"), "charset", "collation")).toEqual({ charset: "latin1", collation: "latin1_bin" });
        expect(pick(columnFromDefinition("s", "varchar(10) CHARSET 'utf8mb4'"), "charset", "collation")).toEqual({ charset: "utf8mb4", collation: null });
        expect(pick(columnFromDefinition("s", "char"), "columnType", "maxLength")).toEqual({ columnType: "char(1)", maxLength: 1 });
        expect(pick(columnFromDefinition("s", "NATIONAL VARCHAR(20)"), "columnType", "charset")).toEqual({ columnType: "varchar(20)", charset: "utf8mb3" });
        expect(pick(columnFromDefinition("s", "NCHAR(3)"), "columnType", "charset")).toEqual({ columnType: "char(3)", charset: "utf8mb3" });
        expect(pick(columnFromDefinition("s", "CHARACTER VARYING(7)"), "columnType")).toEqual({ columnType: "varchar(7)" });
        expect(pick(columnFromDefinition("s", "varchar(16) CHARACTER SET binary"), "dataType", "columnType", "charset")).toEqual({ dataType: "varbinary", columnType: "varbinary(16)", charset: null });
        expect(pick(columnFromDefinition("s", "text(100)"), "dataType", "maxLength")).toEqual({ dataType: "tinytext", maxLength: 255 });
        expect(pick(columnFromDefinition("s", "TEXT(300)"), "dataType", "maxLength")).toEqual({ dataType: "text", maxLength: 65535 });
        expect(pick(columnFromDefinition("s", "LONG VARCHAR"), "dataType")).toEqual({ dataType: "mediumtext" });
        expect(pick(columnFromDefinition("s", "longblob"), "dataType", "maxLength", "charset")).toEqual({ dataType: "longblob", maxLength: 4294967295, charset: null });
        expect(columnFromDefinition("s", "varchar(20) DEFAULT 'it''s \\\\ ok'").defaultValue).toBe("'it''s \\\\ ok'");
        expect(columnFromDefinition("s", "varchar(20) DEFAULT \"dq\"").defaultValue).toBe("'dq'");
        expect(columnFromDefinition("s", "varchar(20) DEFAULT _utf8mb4'x'").defaultValue).toBe("'x'");
        expect(columnFromDefinition("s", "varchar(20) DEFAULT 5").defaultValue).toBe("'5'");
    });

    it("ENUM and SET: members, quoting in COLUMN_TYPE, lengths", () => {
        const e = columnFromDefinition("st", "enum('a','b''c','x\\\\y') NOT NULL DEFAULT 'a'");
        expect(pick(e, "dataType", "columnType", "enumValues", "maxLength", "defaultValue")).toEqual({
            dataType: "enum", columnType: "enum('a','b''c','x\\\\y')", enumValues: ["a", "b'c", "x\\y"], maxLength: 3, defaultValue: "'a'",
        });
        expect(pick(columnFromDefinition("p", "SET('r','w','x') NOT NULL DEFAULT ''"), "columnType", "enumValues", "maxLength", "defaultValue"))
            .toEqual({ columnType: "set('r','w','x')", enumValues: ["r", "w", "x"], maxLength: 5, defaultValue: "''" });
    });

    it("temporal types: fractional seconds and CURRENT_TIMESTAMP in MariaDB's spelling", () => {
        expect(pick(columnFromDefinition("t", "datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)"), "columnType", "datetimePrecision", "defaultValue", "extra", "nullable"))
            .toEqual({ columnType: "datetime(6)", datetimePrecision: 6, defaultValue: "current_timestamp(6)", extra: "on update current_timestamp(6)", nullable: false });
        expect(pick(columnFromDefinition("t", "TIMESTAMP DEFAULT now()"), "columnType", "datetimePrecision", "defaultValue")).toEqual({ columnType: "timestamp", datetimePrecision: 0, defaultValue: "current_timestamp()" });
        expect(columnFromDefinition("t", "timestamp NULL DEFAULT NULL").defaultValue).toBe("NULL");
        expect(columnFromDefinition("t", "timestamp(3) NOT NULL DEFAULT LOCALTIMESTAMP(3)").defaultValue).toBe("current_timestamp(3)");
        expect(pick(columnFromDefinition("d", "date DEFAULT '2020-01-01'"), "defaultValue", "datetimePrecision")).toEqual({ defaultValue: "'2020-01-01'", datetimePrecision: null });
        expect(columnFromDefinition("d", "date NOT NULL DEFAULT (curdate())").defaultValue).toBe("curdate()");
        expect(pick(columnFromDefinition("d", "time(3)"), "columnType", "datetimePrecision")).toEqual({ columnType: "time(3)", datetimePrecision: 3 });
        expect(columnFromDefinition("y", "YEAR(4)").columnType).toBe("year(4)");
    });

    it("JSON, BIT, binary and other types", () => {
        expect(pick(columnFromDefinition("j", "json"), "dataType", "isJson", "charset", "defaultValue")).toEqual({ dataType: "json", isJson: true, charset: null, defaultValue: "NULL" });
        expect(pick(columnFromDefinition("b", "bit(8) DEFAULT b'101'"), "columnType", "numericPrecision", "defaultValue")).toEqual({ columnType: "bit(8)", numericPrecision: 8, defaultValue: "b'101'" });
        expect(pick(columnFromDefinition("b", "binary(16) NOT NULL DEFAULT x'00FF'"), "columnType", "maxLength", "defaultValue")).toEqual({ columnType: "binary(16)", maxLength: 16, defaultValue: "x'00FF'" });
        expect(pick(columnFromDefinition("g", "geometry NOT NULL SRID 4326"), "dataType", "nullable")).toEqual({ dataType: "geometry", nullable: false });
        expect(pick(columnFromDefinition("u", "uuid"), "dataType", "columnType")).toEqual({ dataType: "uuid", columnType: "uuid" });
    });

    it("generated columns: expression, VIRTUAL/STORED/PERSISTENT, no default; INVISIBLE and COMMENT", () => {
        expect(pick(columnFromDefinition("t", "int AS (a + b) STORED"), "generationExpression", "extra", "defaultValue")).toEqual({ generationExpression: "a + b", extra: "STORED GENERATED", defaultValue: null });
        expect(pick(columnFromDefinition("t", "varchar(20) GENERATED ALWAYS AS (concat(`x`,'-')) VIRTUAL INVISIBLE COMMENT 'gen'"), "generationExpression", "extra", "invisible", "comment"))
            .toEqual({ generationExpression: "concat(`x`,'-')", extra: "VIRTUAL GENERATED INVISIBLE", invisible: true, comment: "gen" });
        expect(columnFromDefinition("t", "int AS (a * 2) PERSISTENT").extra).toBe("STORED GENERATED");
    });

    it("inline keys, CHECK and REFERENCES are separated from the definition text", () => {
        const d = parseColumnDefinition("id", "int NOT NULL PRIMARY KEY COMMENT 'pk'");
        expect(d.inlineKey).toBe("primary");
        expect(d.definition).toBe("int NOT NULL COMMENT 'pk'");
        const u = parseColumnDefinition("email", "varchar(100) UNIQUE KEY CHECK (email <> '') REFERENCES users (email) ON DELETE CASCADE");
        expect(u.inlineKey).toBe("unique");
        expect(u.check).toBe("email <> ''");
        expect(u.references).toBe("REFERENCES users (email) ON DELETE CASCADE");
        expect(u.definition).toBe("varchar(100) CHECK (email <> '')");
        expect(u.definition.slice(...u.expressions[0])).toBe("email <> ''");
        // Bare KEY in a column definition means PRIMARY KEY.
        expect(parseColumnDefinition("id", "int KEY").inlineKey).toBe("primary");
        expect(columnFromDefinition("id", "int PRIMARY KEY").nullable).toBe(false);
    });

    it("normalizes defaults to MariaDB's information_schema spelling", () => {
        const num = { dataType: "int", numericScale: 0 };
        const str = { dataType: "varchar", numericScale: null };
        expect(normalizeDefault("NULL", str)).toBe("NULL");
        expect(normalizeDefault("(1 + 1)", num)).toBe("1 + 1");
        expect(normalizeDefault("'7'", num)).toBe("7");
        expect(normalizeDefault("+3", num)).toBe("3");
        expect(normalizeDefault("N'ü'", str)).toBe("'ü'");
        expect(normalizeDefault("current_timestamp", { dataType: "datetime", numericScale: null })).toBe("current_timestamp()");
        expect(normalizeDefault("CURRENT_DATE", { dataType: "date", numericScale: null })).toBe("curdate()");
        expect(normalizeDefault("0x0A", { dataType: "varbinary", numericScale: null })).toBe("0x0A");
        expect(normalizeDefault("uuid()", { dataType: "char", numericScale: null })).toBe("uuid()");
    });
});

describe("ALTER TABLE → actions", () => {
    it("reads the table (qualified or the session's database), IGNORE, IF EXISTS, WAIT, comments", () => {
        const p = parseAlterTable("ALTER /* why */ IGNORE TABLE `my db`.`Orders` WAIT 5 -- note\n DROP COLUMN a;", "shop");
        expect(p.table).toEqual({ database: "my db", name: "Orders" });
        expect(p.ignore).toBe(true);
        expect(p.actions).toEqual([{ kind: "drop-column", text: "DROP COLUMN a", name: "a", ifExists: false }]);
        const q = parseAlterTable("alter table if exists orders drop column if exists `we``ird`", "shop");
        expect(q.table).toEqual({ database: "shop", name: "orders" });
        expect(q.ifExists).toBe(true);
        expect(q.actions[0]).toMatchObject({ kind: "drop-column", name: "we`ird", ifExists: true });
        expect(parseAlterTable("ALTER TABLE t DROP x RESTRICT", "d").actions[0]).toMatchObject({ kind: "drop-column", name: "x" });
    });

    it("refuses what is not ALTER TABLE", () => {
        expect(() => parseAlterTable("ALTER VIEW v AS SELECT 1", "shop")).toThrow(DdlParseError);
        expect(() => parseAlterTable("CREATE TABLE t (a int)", "shop")).toThrow(/not an ALTER TABLE/);
    });

    it("splits clauses at top-level commas only (not inside ENUM lists, strings or expressions)", () => {
        const p = parseAlterTable(
            "ALTER TABLE `orders` ADD COLUMN `status` enum('a,b','c') NOT NULL DEFAULT 'a,b' COMMENT 'x, y' AFTER `id`, " +
                "ADD `total` decimal(12,2) DEFAULT '0.00' FIRST, MODIFY `note` varchar(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, " +
                "CHANGE COLUMN `qty` `quantity` int(11) unsigned NOT NULL DEFAULT 1 AFTER `total`, ENGINE=InnoDB",
            "shop",
        );
        expect(kinds(p.actions)).toEqual(["add-column", "add-column", "change-column", "change-column", "table-options"]);
        const [status, total, note, qty] = p.actions as Extract<AlterAction, { column: SourceColumn }>[];
        expect(status).toMatchObject({ position: { after: "id" }, definition: "enum('a,b','c') NOT NULL DEFAULT 'a,b' COMMENT 'x, y'" });
        expect(status.column.enumValues).toEqual(["a,b", "c"]);
        expect(status.column.comment).toBe("x, y");
        expect(total).toMatchObject({ position: { first: true } });
        expect(note).toMatchObject({ kind: "change-column", from: "note", modify: true, position: null });
        expect(note.column.collation).toBe("utf8mb4_bin");
        expect(qty).toMatchObject({ kind: "change-column", from: "qty", modify: false, position: { after: "total" }, definition: "int(11) unsigned NOT NULL DEFAULT 1" });
        expect(qty.column.name).toBe("quantity");
    });

    it("ADD COLUMN variants: IF NOT EXISTS, a parenthesised list, inline keys", () => {
        const p = parseAlterTable("ALTER TABLE t ADD COLUMN IF NOT EXISTS c int, ADD (d int NOT NULL, e varchar(5), INDEX ix_e (e)), ADD id2 int AUTO_INCREMENT PRIMARY KEY", "shop");
        expect(kinds(p.actions)).toEqual(["add-column", "add-column", "add-column", "add-index", "add-column", "add-index"]);
        expect(p.actions[0]).toMatchObject({ ifNotExists: true, column: { name: "c" } });
        expect(p.actions[1]).toMatchObject({ column: { name: "d", nullable: false } });
        expect(p.actions[3]).toMatchObject({ index: { name: "ix_e", columns: [{ name: "e" }] } });
        expect(p.actions[4]).toMatchObject({ definition: "int AUTO_INCREMENT", column: { name: "id2", nullable: false, extra: "auto_increment" } });
        expect(p.actions[5]).toMatchObject({ primary: true, index: { name: "PRIMARY", columns: [{ name: "id2" }] } });
    });

    it("RENAME COLUMN / INDEX / TO / AS, ALTER COLUMN defaults and visibility", () => {
        const p = parseAlterTable(
            "ALTER TABLE t RENAME COLUMN a TO b, RENAME INDEX i1 TO i2, RENAME KEY k1 TO k2, ALTER COLUMN c SET DEFAULT 'x', ALTER d DROP DEFAULT, " +
                "ALTER COLUMN e SET DEFAULT (now()), ALTER COLUMN f SET INVISIBLE, RENAME AS other.t2",
            "shop",
        );
        expect(p.actions.map(({ text: _t, ...a }) => a)).toEqual([
            { kind: "rename-column", from: "a", to: "b" },
            { kind: "rename-index", from: "i1", to: "i2" },
            { kind: "rename-index", from: "k1", to: "k2" },
            { kind: "alter-column-default", name: "c", default: "'x'" },
            { kind: "alter-column-default", name: "d", default: null },
            { kind: "alter-column-default", name: "e", default: "(now())" },
            { kind: "alter-column-visibility", name: "f", invisible: true },
            { kind: "rename-table", to: { database: "other", name: "t2" } },
        ]);
        expect(parseAlterTable("ALTER TABLE t RENAME TO t3", "shop").actions[0]).toMatchObject({ kind: "rename-table", to: { database: "shop", name: "t3" } });
        expect(parseAlterTable("ALTER TABLE t RENAME t4", "shop").actions[0]).toMatchObject({ kind: "rename-table", to: { database: "shop", name: "t4" } });
    });

    it("indexes and keys: names, prefixes, DESC, USING, COMMENT, CONSTRAINT names, FULLTEXT; functional parts are unsupported", () => {
        const p = parseAlterTable(
            "ALTER TABLE t ADD UNIQUE KEY `uk` (`a`(10), b DESC) USING BTREE COMMENT 'x' , ADD INDEX (c), ADD PRIMARY KEY (id), " +
                "ADD CONSTRAINT uq UNIQUE (d), ADD FULLTEXT INDEX ft (body) WITH PARSER ngram, ADD KEY IF NOT EXISTS k USING HASH (e) KEY_BLOCK_SIZE=8 INVISIBLE, ADD INDEX fx ((lower(a)))",
            "shop",
        );
        expect(kinds(p.actions)).toEqual(["add-index", "add-index", "add-index", "add-index", "add-index", "add-index", "unsupported"]);
        expect(p.actions[0]).toMatchObject({
            primary: false, options: "COMMENT 'x'",
            index: { name: "uk", unique: true, kind: "BTREE", comment: "x", columns: [{ name: "a", prefixLength: 10, descending: false }, { name: "b", prefixLength: null, descending: true }] },
        });
        expect(p.actions[1]).toMatchObject({ index: { name: "", unique: false, columns: [{ name: "c" }] } });
        expect(p.actions[2]).toMatchObject({ primary: true, index: { name: "PRIMARY", columns: [{ name: "id" }] } });
        expect(p.actions[3]).toMatchObject({ constraintName: "uq", index: { name: "", unique: true } });
        expect(p.actions[4]).toMatchObject({ index: { name: "ft", kind: "FULLTEXT" }, options: "WITH PARSER ngram" });
        expect(p.actions[5]).toMatchObject({ ifNotExists: true, index: { name: "k", kind: "HASH" }, options: "KEY_BLOCK_SIZE=8 INVISIBLE" });
        expect(p.actions[6]).toMatchObject({ reason: expect.stringMatching(/functional key parts/) });
    });

    it("drops: index, key, primary key, foreign key, check, constraint", () => {
        const p = parseAlterTable("ALTER TABLE t DROP INDEX ix, DROP KEY IF EXISTS k, DROP PRIMARY KEY, DROP FOREIGN KEY fk_a, DROP CHECK chk, DROP CONSTRAINT IF EXISTS c1", "shop");
        expect(p.actions.map(({ text: _t, ...a }) => a)).toEqual([
            { kind: "drop-index", name: "ix", ifExists: false },
            { kind: "drop-index", name: "k", ifExists: true },
            { kind: "drop-primary-key" },
            { kind: "drop-constraint", name: "fk_a", constraint: "foreign-key", ifExists: false },
            { kind: "drop-constraint", name: "chk", constraint: "check", ifExists: false },
            { kind: "drop-constraint", name: "c1", constraint: "any", ifExists: true },
        ]);
    });

    it("foreign keys and checks", () => {
        const p = parseAlterTable(
            "ALTER TABLE t ADD CONSTRAINT `fk_cust` FOREIGN KEY (`customer_id`) REFERENCES `crm`.`customers` (`id`) ON DELETE SET NULL ON UPDATE CASCADE, " +
                "ADD FOREIGN KEY (a, b) REFERENCES p (x, y), ADD CONSTRAINT chk_total CHECK (total >= 0), ADD CHECK (qty > 0) NOT ENFORCED",
            "shop",
        );
        expect(p.actions.map(({ text: _t, ...a }) => a)).toEqual([
            { kind: "add-foreign-key", ifNotExists: false, foreignKey: { name: "fk_cust", columns: ["customer_id"], referencedDatabase: "crm", referencedTable: "customers", referencedColumns: ["id"], onDelete: "SET NULL", onUpdate: "CASCADE" } },
            { kind: "add-foreign-key", ifNotExists: false, foreignKey: { name: "", columns: ["a", "b"], referencedDatabase: "shop", referencedTable: "p", referencedColumns: ["x", "y"], onDelete: "RESTRICT", onUpdate: "RESTRICT" } },
            { kind: "add-check", name: "chk_total", clause: "total >= 0" },
            { kind: "add-check", name: null, clause: "qty > 0" },
        ]);
    });

    it("table options (with or without commas and =), CONVERT TO CHARACTER SET", () => {
        const p = parseAlterTable("ALTER TABLE t ENGINE = InnoDB ROW_FORMAT=DYNAMIC, COMMENT 'the, table', DEFAULT CHARSET=utf8mb4, ALGORITHM=INSTANT, LOCK=NONE, FORCE, AUTO_INCREMENT=100", "shop");
        expect(p.actions.flatMap((a) => (a.kind === "table-options" ? a.options : [{ name: a.kind, value: "" }]))).toEqual([
            { name: "ENGINE", value: "InnoDB" }, { name: "ROW_FORMAT", value: "DYNAMIC" }, { name: "COMMENT", value: "'the, table'" }, { name: "CHARSET", value: "utf8mb4" },
            { name: "ALGORITHM", value: "INSTANT" }, { name: "LOCK", value: "NONE" }, { name: "FORCE", value: "" }, { name: "AUTO_INCREMENT", value: "100" },
        ]);
        expect(parseAlterTable("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", "shop").actions).toEqual([
            { kind: "convert-charset", text: "CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", charset: "utf8mb4", collation: "utf8mb4_unicode_ci" },
        ]);
        expect(parseAlterTable("ALTER TABLE t CONVERT TO CHARSET latin1", "shop").actions[0]).toMatchObject({ kind: "convert-charset", charset: "latin1", collation: null });
    });

    it("partition clauses, and whether they change rows behind the binlog's back", () => {
        const ops = (sql: string) => parseAlterTable(sql, "shop").actions.map((a) => (a.kind === "partition" ? `${a.operation}:${a.dataChange}` : a.kind));
        expect(ops("ALTER TABLE t ADD PARTITION (PARTITION p3 VALUES LESS THAN (2025))")).toEqual(["ADD PARTITION:false"]);
        expect(ops("ALTER TABLE t DROP PARTITION p0, p1")).toEqual(["DROP PARTITION:true"]);
        expect(ops("ALTER TABLE t TRUNCATE PARTITION p0")).toEqual(["TRUNCATE PARTITION:true"]);
        expect(ops("ALTER TABLE t REORGANIZE PARTITION p0 INTO (PARTITION a VALUES LESS THAN (10), PARTITION b VALUES LESS THAN (20))")).toEqual(["REORGANIZE PARTITION:false"]);
        expect(ops("ALTER TABLE t EXCHANGE PARTITION p0 WITH TABLE t0")).toEqual(["EXCHANGE PARTITION:true"]);
        expect(ops("ALTER TABLE t PARTITION BY HASH(id) PARTITIONS 4")).toEqual(["PARTITION BY:false"]);
        expect(ops("ALTER TABLE t ENGINE=InnoDB PARTITION BY KEY(id) PARTITIONS 2")).toEqual(["table-options", "PARTITION BY:false"]);
        expect(ops("ALTER TABLE t REMOVE PARTITIONING")).toEqual(["REMOVE PARTITIONING:false"]);
    });

    it("what it cannot represent is unsupported, with the clause text", () => {
        const p = parseAlterTable("ALTER TABLE t DISCARD TABLESPACE", "shop");
        expect(p.actions).toEqual([{ kind: "unsupported", text: "DISCARD TABLESPACE", reason: expect.stringMatching(/outside the binary log/) }]);
        expect(kinds(parseAlterTable("ALTER TABLE t ADD SYSTEM VERSIONING", "shop").actions)).toEqual(["unsupported"]);
        expect(parseAlterTable("ALTER TABLE t FROBNICATE x, DROP COLUMN y", "shop").actions.map((a) => [a.kind, a.text])).toEqual([["unsupported", "FROBNICATE x"], ["drop-column", "DROP COLUMN y"]]);
        expect(kinds(parseAlterTable("ALTER TABLE t CONVERT TO CHARACTER SET DEFAULT", "shop").actions)).toEqual(["unsupported"]);
    });

    it("reads executable comments as code", () => {
        expect(unwrapExecutableComments("/*!40000 ALTER TABLE `t` DISABLE KEYS */")).toBe("ALTER TABLE `t` DISABLE KEYS");
        expect(unwrapExecutableComments("SELECT '/*!1 x */' /* plain */")).toBe("SELECT '/*!1 x */' /* plain */");
        const p = parseAlterTable("ALTER TABLE t ADD c int /*!50100 , ADD d int */", "shop");
        expect(kinds(p.actions)).toEqual(["add-column", "add-column"]);
        expect(kinds(parseAlterTable("/*!40000 ALTER TABLE `t` ENABLE KEYS */", "shop").actions)).toEqual(["table-options"]);
    });
});

describe("applying actions to the source model", () => {
    const base = () =>
        table(
            [
                col("id", "int(11)", { nullable: false, extra: "auto_increment", defaultValue: null }),
                col("a", "varchar(10)", { charset: "utf8mb4", collation: "utf8mb4_general_ci" }),
                col("b", "int(11)"),
                col("c", "int(11)", { generationExpression: "`b` + 1", extra: "VIRTUAL GENERATED" }),
            ],
            {
                primaryKey: ["id"], primaryKeyParts: [{ name: "id", prefixLength: null, descending: false }],
                indexes: [index("ix_ab", ["a", "b"]), index("b", ["b"])],
                foreignKeys: [{ name: "orders_ibfk_1", columns: ["b"], referencedDatabase: "shop", referencedTable: "p", referencedColumns: ["id"], onDelete: "RESTRICT", onUpdate: "RESTRICT" }],
                checks: [{ name: "chk_b", clause: "`b` > 0" }],
            },
        );

    it("places added columns (FIRST, AFTER, last), renumbers, inherits the table's charset", () => {
        const t = applyAlterToTable(base(), parseAlterTable("ALTER TABLE orders ADD x varchar(5) FIRST, ADD y text AFTER a, ADD z int, ADD w char(2) BINARY", "shop"));
        expect(t.columns.map((c) => `${c.ordinal}:${c.name}`)).toEqual(["1:x", "2:id", "3:a", "4:y", "5:b", "6:c", "7:z", "8:w"]);
        expect(pick(t.columns[0], "charset", "collation")).toEqual({ charset: "utf8mb4", collation: "utf8mb4_general_ci" });
        expect(pick(t.columns[6], "charset", "collation")).toEqual({ charset: null, collation: null });
        expect(pick(t.columns[7], "charset", "collation")).toEqual({ charset: "utf8mb4", collation: "utf8mb4_bin" });
    });

    it("renames a column everywhere it is named: keys, foreign keys, checks, generation expressions", () => {
        const t = applyAlterToTable(base(), parseAlterTable("ALTER TABLE orders CHANGE b bee bigint NOT NULL", "shop"));
        expect(t.columns.map((c) => `${c.ordinal}:${c.name}:${c.columnType}`)).toEqual(["1:id:int(11)", "2:a:varchar(10)", "3:bee:bigint", "4:c:int(11)"]);
        expect(t.indexes.map((i) => i.columns.map((p) => p.name))).toEqual([["a", "bee"], ["bee"]]);
        expect(t.foreignKeys[0].columns).toEqual(["bee"]);
        expect(t.checks[0].clause).toBe("`bee` > 0");
        expect(t.columns[3].generationExpression).toBe("`bee` + 1");
        const r = applyAlterToTable(base(), parseAlterTable("ALTER TABLE orders RENAME COLUMN B TO bb, MODIFY a varchar(20) AFTER c", "shop"));
        expect(r.columns.map((c) => c.name)).toEqual(["id", "bb", "c", "a"]);
        expect(r.columns.find((c) => c.name === "a")!.charset).toBe("utf8mb4");
    });

    it("drops a column from keys (keys left empty go), foreign keys and checks", () => {
        const t = applyAlterToTable(base(), parseAlterTable("ALTER TABLE orders DROP COLUMN b", "shop"));
        expect(t.columns.map((c) => `${c.ordinal}:${c.name}`)).toEqual(["1:id", "2:a", "3:c"]);
        expect(t.indexes.map((i) => `${i.name}(${i.columns.map((p) => p.name)})`)).toEqual(["ix_ab(a)"]);
        expect(t.foreignKeys).toEqual([]);
        expect(t.checks).toEqual([]);
    });

    it("keys: PRIMARY KEY makes its columns NOT NULL, unnamed keys get the server's names", () => {
        let t = applyAlterToTable(base(), parseAlterTable("ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, a(4)), ADD INDEX (b), ADD UNIQUE (b), ADD FOREIGN KEY (a) REFERENCES q (x)", "shop"));
        expect(t.primaryKey).toEqual(["id", "a"]);
        expect(t.primaryKeyParts).toEqual([{ name: "id", prefixLength: null, descending: false }, { name: "a", prefixLength: 4, descending: false }]);
        expect(pick(t.columns[1], "nullable", "defaultValue")).toEqual({ nullable: false, defaultValue: null });
        // The server keeps unique keys first (chooseKey reads them in this order).
        expect(t.indexes.map((i) => `${i.name}:${i.unique}`)).toEqual(["b_3:true", "ix_ab:false", "b:false", "b_2:false"]);
        expect(t.foreignKeys.map((f) => f.name)).toEqual(["orders_ibfk_1", "orders_ibfk_2"]);
        t = applyAlterToTable(t, parseAlterTable("ALTER TABLE orders DROP INDEX b_2, RENAME INDEX b_3 TO uk_b, DROP FOREIGN KEY orders_ibfk_1, DROP CHECK chk_b", "shop"));
        expect(t.indexes.map((i) => i.name)).toEqual(["uk_b", "ix_ab", "b"]);
        expect(t.foreignKeys.map((f) => f.name)).toEqual(["orders_ibfk_2"]);
        expect(t.checks).toEqual([]);
    });

    it("quotes bare column references in checks and generation expressions, as the server prints them", () => {
        const t = applyAlterToTable(base(), parseAlterTable("ALTER TABLE orders ADD CONSTRAINT c1 CHECK (b > 0 AND a <> 'b'), ADD d int AS (B * 2 + length(a)) VIRTUAL CHECK (d < 100)", "shop"));
        expect(t.checks.slice(1)).toEqual([{ name: "c1", clause: "`b` > 0 AND `a` <> 'b'" }, { name: "d", clause: "`d` < 100", column: "d" }]);
        expect(t.columns.find((c) => c.name === "d")!.generationExpression).toBe("`b` * 2 + length(`a`)");
    });

    it("IF [NOT] EXISTS misses and unknown names are no-ops that say why", () => {
        const t = base();
        const [a] = parseAlterTable("ALTER TABLE orders ADD COLUMN IF NOT EXISTS a int", "shop").actions;
        expect(applyAlterAction(t, a)).toMatchObject({ table: t, noop: "column a already exists" });
        const [d] = parseAlterTable("ALTER TABLE orders DROP COLUMN IF EXISTS nope", "shop").actions;
        expect(applyAlterAction(t, d).noop).toBe("column nope does not exist");
    });

    it("defaults, visibility, table options, charset conversion, table rename", () => {
        let t = applyAlterToTable(base(), parseAlterTable("ALTER TABLE orders ALTER b SET DEFAULT '3', ALTER a DROP DEFAULT, ALTER COLUMN c SET INVISIBLE, ENGINE=Aria, COMMENT='it''s'", "shop"));
        expect(t.columns.map((c) => c.defaultValue)).toEqual([null, null, "3", null]);
        expect(pick(t.columns[3], "invisible", "extra")).toEqual({ invisible: true, extra: "VIRTUAL GENERATED INVISIBLE" });
        expect(pick(t, "engine", "comment")).toEqual({ engine: "Aria", comment: "it's" });
        t = applyAlterToTable(t, parseAlterTable("ALTER TABLE orders CONVERT TO CHARACTER SET latin1 COLLATE latin1_swedish_ci, RENAME TO archive.orders_old", "shop"));
        expect(pick(t.columns[1], "charset", "collation")).toEqual({ charset: "latin1", collation: "latin1_swedish_ci" });
        expect(pick(t, "database", "name", "charset", "collation")).toEqual({ database: "archive", name: "orders_old", charset: "latin1", collation: "latin1_swedish_ci" });
    });
});

describe("CREATE/DROP INDEX and CREATE TABLE", () => {
    it("CREATE INDEX and DROP INDEX read as ALTER TABLE actions", () => {
        const c = parseIndexStatement("CREATE UNIQUE INDEX `ix` USING BTREE ON shop.t (a(10) DESC, b) COMMENT 'c' ALGORITHM=INPLACE LOCK=NONE", "other")!;
        expect(c.table).toEqual({ database: "shop", name: "t" });
        expect(c.actions[0]).toMatchObject({
            kind: "add-index", primary: false, options: "COMMENT 'c'",
            index: { name: "ix", unique: true, kind: "BTREE", comment: "c", columns: [{ name: "a", prefixLength: 10, descending: true }, { name: "b", prefixLength: null, descending: false }] },
        });
        expect(c.actions[1]).toMatchObject({ kind: "table-options", options: [{ name: "ALGORITHM", value: "INPLACE" }, { name: "LOCK", value: "NONE" }] });
        expect(parseIndexStatement("CREATE FULLTEXT INDEX ft ON posts (body)", "blog")!.actions[0]).toMatchObject({ index: { kind: "FULLTEXT", unique: false } });
        const d = parseIndexStatement("DROP INDEX IF EXISTS `ix` ON `t`", "shop")!;
        expect(d).toMatchObject({ table: { database: "shop", name: "t" }, actions: [{ kind: "drop-index", name: "ix", ifExists: true }] });
        expect(parseIndexStatement("CREATE TABLE t (a int)", "shop")).toBeNull();
    });

    it("CREATE TABLE as SHOW CREATE TABLE prints it", () => {
        const t = parseCreateTable(
            "CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `name` varchar(50) COLLATE utf8mb4_bin DEFAULT NULL COMMENT 'n',\n" +
                "  `price` decimal(10,2) NOT NULL DEFAULT 0.00,\n  `doc` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`doc`)),\n" +
                "  `created` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n  `tag` char(3),\n  PRIMARY KEY (`id`),\n" +
                "  UNIQUE KEY `uk_name` (`name`(20)),\n  KEY `idx_p` (`price`) USING BTREE,\n  CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `o` (`id`) ON DELETE CASCADE,\n" +
                "  CONSTRAINT `chk` CHECK (`price` >= 0)\n) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci COMMENT='tbl'",
            "shop",
        )!;
        expect(pick(t, "database", "name", "engine", "charset", "collation", "comment", "primaryKey")).toEqual({
            database: "shop", name: "t", engine: "InnoDB", charset: "latin1", collation: "latin1_swedish_ci", comment: "tbl", primaryKey: ["id"],
        });
        expect(t.columns.map((c) => `${c.ordinal}:${c.name}:${c.columnType}:${c.nullable}:${c.defaultValue}:${c.charset}`)).toEqual([
            "1:id:int(11):false:null:null",
            "2:name:varchar(50):true:NULL:utf8mb4",
            "3:price:decimal(10,2):false:0.00:null",
            "4:doc:longtext:true:NULL:utf8mb4",
            "5:created:timestamp:false:current_timestamp():null",
            "6:tag:char(3):true:NULL:latin1",
        ]);
        expect(t.columns[4].extra).toBe("on update current_timestamp()");
        expect(t.indexes).toEqual([
            { name: "uk_name", unique: true, kind: "BTREE", columns: [{ name: "name", prefixLength: 20, descending: false }] },
            { name: "idx_p", unique: false, kind: "BTREE", columns: [{ name: "price", prefixLength: null, descending: false }] },
        ]);
        expect(t.foreignKeys).toEqual([{ name: "fk", columns: ["id"], referencedDatabase: "shop", referencedTable: "o", referencedColumns: ["id"], onDelete: "CASCADE", onUpdate: "RESTRICT" }]);
        expect(t.checks).toEqual([{ name: "doc", clause: "json_valid(`doc`)", column: "doc" }, { name: "chk", clause: "`price` >= 0" }]);
    });

    it("returns null for CREATE TABLE … LIKE and other statements", () => {
        expect(parseCreateTable("CREATE TABLE a LIKE b", "shop")).toBeNull();
        expect(parseCreateTable("CREATE VIEW v AS SELECT 1", "shop")).toBeNull();
    });
});
