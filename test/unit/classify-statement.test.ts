/**
 * classifyStatement reads a statement's leading keywords only: the clauses the grammar
 * allows before the object kind, the kind, and the object's name with its own database.
 * The statements are shaped as MariaDB logs them (observed in its binlog) and as people
 * write them.
 */
import { describe, expect, it } from "vitest";
import { classifyStatement } from "../../provider/connectors/mysql/source/ddl-statement";

const names = (xs: { database: string; name: string }[]) => xs.map((t) => (t.name ? `${t.database}.${t.name}` : t.database));

describe("classifyStatement: objects and databases", () => {
    it.each([
        // As MariaDB logs them, the session's database being "zzo".
        ["CREATE ALGORITHM=UNDEFINED DEFINER=`dts_admin`@`%` SQL SECURITY DEFINER VIEW `zzs`.`v1` AS SELECT 1 AS x", "create-view", ["zzs.v1"], []],
        ["CREATE DEFINER=`dts_admin`@`%` FUNCTION `zzs`.`f1`() RETURNS int(11)\n    DETERMINISTIC\nRETURN 1", "create-function", ["zzs.f1"], []],
        ["CREATE DEFINER=`dts_admin`@`%` TRIGGER tr1 BEFORE INSERT ON t1 FOR EACH ROW SET NEW.v = UPPER(NEW.v)", "create-trigger", ["zzo.tr1"], ["zzo.t1"]],
        ["CREATE DEFINER=`dts_admin`@`%` EVENT ev1 ON SCHEDULE EVERY 1 HOUR DO CREATE OR REPLACE VIEW v9 AS SELECT 1", "create-event", ["zzo.ev1"], []],
        ["ALTER EVENT ev1 DO CREATE VIEW v9 AS SELECT 1", "alter-event", ["zzo.ev1"], []],
        ["ALTER EVENT ev1 RENAME TO ev2", "alter-event", ["zzo.ev1", "zzo.ev2"], []],
        ["ALTER DEFINER=root@localhost EVENT d.ev1 ON COMPLETION PRESERVE RENAME TO e.ev2 DO RENAME TABLE a TO b", "alter-event", ["d.ev1", "e.ev2"], []],
        ["ALTER EVENT ev1 DO RENAME TABLE a TO b", "alter-event", ["zzo.ev1"], []],
        ["DROP EVENT IF EXISTS d.ev2", "drop-event", ["d.ev2"], []],
        ["DROP TRIGGER tr1", "drop-trigger", ["zzo.tr1"], []],
        ["DROP TRIGGER IF EXISTS `d`.`tr1`", "drop-trigger", ["d.tr1"], []],
        ["DROP VIEW zzs.v1", "drop-view", ["zzs.v1"], []],
        ["DROP VIEW IF EXISTS a, d.b CASCADE", "drop-view", ["zzo.a", "d.b"], []],
        ["DROP FUNCTION zzs.f1", "drop-function", ["zzs.f1"], []],
        ["DROP PROCEDURE IF EXISTS p", "drop-procedure", ["zzo.p"], []],
        ["ALTER FUNCTION zzs.f1 COMMENT 'x'", "alter-function", ["zzs.f1"], []],
        ["ALTER PROCEDURE p SQL SECURITY INVOKER", "alter-procedure", ["zzo.p"], []],
        ["ALTER ALGORITHM=MERGE VIEW v AS SELECT 1", "alter-view", ["zzo.v"], []],
        ["ALTER DEFINER=CURRENT_USER() SQL SECURITY INVOKER VIEW d.v AS SELECT 1", "alter-view", ["d.v"], []],
        ["CREATE OR REPLACE DEFINER='u'@'h' VIEW IF NOT EXISTS d.v AS SELECT 1", "create-view", ["d.v"], []],
        ["CREATE DEFINER=CURRENT_USER PROCEDURE `d`.`p`() BEGIN CREATE VIEW x AS SELECT 1; END", "create-procedure", ["d.p"], []],
        ["CREATE AGGREGATE FUNCTION agg(x INT) RETURNS INT BEGIN RETURN 1; END", "create-function", ["zzo.agg"], []],
        ["CREATE OR REPLACE TRIGGER d.tr AFTER UPDATE ON `t 2` FOR EACH ROW BEGIN END", "create-trigger", ["d.tr"], ["d.t 2"]],
        ["CREATE TRIGGER IF NOT EXISTS tr BEFORE DELETE ON t FOR EACH ROW FOLLOWS x SET @a = 1", "create-trigger", ["zzo.tr"], ["zzo.t"]],
        ["CREATE DATABASE IF NOT EXISTS `shop`", "create-database", ["shop"], []],
        ["CREATE SCHEMA shop CHARACTER SET utf8mb4", "create-database", ["shop"], []],
        ["DROP DATABASE IF EXISTS shop", "drop-database", ["shop"], []],
        ["ALTER DATABASE zzs COMMENT 'x'", "alter-database", ["zzs"], []],
        ["ALTER DATABASE CHARACTER SET utf8mb4", "alter-database", ["zzo"], []],
        ["ALTER SCHEMA DEFAULT COLLATE utf8mb4_bin", "alter-database", ["zzo"], []],
        ["CREATE SEQUENCE s START WITH 1", "other", [], []],
        ["DROP SEQUENCE s", "other", [], []],
        ["DROP USER 'a'@'%'", "other", [], []],
        ["ALTER USER 'a'@'%' IDENTIFIED BY 'x'", "other", [], []],
        ["CREATE USER u", "other", [], []],
    ])("%s", (sql, op, objects, tables) => {
        const c = classifyStatement(sql, "zzo");
        expect(c.operation).toBe(op);
        expect(names(c.objects)).toEqual(objects);
        expect(names(c.tables)).toEqual(tables);
    });

    it("CREATE OR REPLACE is told apart from CREATE", () => {
        expect(classifyStatement("CREATE OR REPLACE TABLE `t3` (`w` int(11) DEFAULT NULL)", "d")).toMatchObject({ operation: "create-table", orReplace: true, temporary: false });
        expect(classifyStatement("CREATE TABLE t3 (id INT)", "d")).toMatchObject({ operation: "create-table", orReplace: false });
        expect(classifyStatement("CREATE OR REPLACE TEMPORARY TABLE t (id INT)", "d")).toMatchObject({ operation: "create-table", orReplace: true, temporary: true });
    });

    it("a body is never read for the statement's kind", () => {
        // The old classifier found VIEW among the first 20 tokens.
        expect(classifyStatement("ALTER EVENT e ON SCHEDULE EVERY 1 DAY DO CREATE VIEW v AS SELECT 1", "d").operation).toBe("alter-event");
        expect(classifyStatement("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO CREATE TABLE x (a INT)", "d").operation).toBe("create-event");
        expect(classifyStatement("CREATE DEFINER=`a`@`b` TRIGGER tr AFTER INSERT ON t FOR EACH ROW CREATE TABLE x (a INT)", "d").operation).toBe("create-trigger");
    });
});
