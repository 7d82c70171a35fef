import { describe, expect, it } from "vitest";
import { loggedDml, loggedDmlTables } from "../../provider/connectors/mysql/source/dml-tables";

/** The tables as db.name, and whether the statement may write tables it does not name. */
function read(sql: string, db = "d"): { tables: string[]; unnamed: boolean; databases: string[] } | null {
    const r = loggedDml(sql, db);
    return r && { tables: r.tables.map((t) => `${t.database}.${t.name}`), unnamed: r.unnamedWrites, databases: r.databases };
}
const exact = (sql: string, ...expected: string[]) => {
    const r = read(sql);
    expect(r, sql).not.toBeNull();
    expect({ sql, tables: r!.tables, unnamed: r!.unnamed }).toEqual({ sql, tables: expected, unnamed: false });
};

describe("loggedDml", () => {
    it("names the tables DML logged as a statement writes", () => {
        exact("INSERT IGNORE INTO t (a) VALUES (1)", "d.t");
        exact("/* app */ REPLACE `x`.`t` VALUES (1)", "x.t");
        exact("UPDATE LOW_PRIORITY a, b SET a.v = b.v", "d.a");
        exact("DELETE FROM t WHERE id = 1", "d.t");
        exact("LOAD DATA INFILE 'f' INTO TABLE s.t", "s.t");
    });

    it("reads every table of a multi-table UPDATE, joined ones included, and keeps those its SET targets name", () => {
        // Before: only the first table (a) was read; b, the one written, was missed.
        exact("UPDATE a JOIN b ON a.id = b.id SET b.x = a.v", "d.b");
        exact("UPDATE a x, b y SET y.x = x.v WHERE x.id = y.id", "d.b");
        exact("UPDATE a AS x INNER JOIN o.b AS y USING (id) SET y.x = 1, x.v = 2", "o.b", "d.a");
        exact("UPDATE a LEFT OUTER JOIN (b STRAIGHT_JOIN c ON b.id = c.id) ON a.id = b.id SET c.z = 1", "d.c");
        exact("UPDATE a NATURAL JOIN b SET d.b.x = 1", "d.b");
        // An unqualified target could be any table's column: all of them.
        exact("UPDATE a JOIN b ON a.id = b.id SET x = 1", "d.a", "d.b");
        // A derived table is never written; the one real table is.
        exact("UPDATE a JOIN (SELECT id, max(v) m FROM b GROUP BY id) s ON s.id = a.id SET v = s.m", "d.a");
        exact("UPDATE IGNORE `my db`.`t``1` PARTITION (p0) t1 USE INDEX (i) SET t1.v = 1", "my db.t`1");
        exact("UPDATE t1 FORCE INDEX FOR JOIN (i1), t2 SET t2.v = t1.v", "d.t2");
    });

    it("resolves a multi-table DELETE's targets through the aliases of its FROM/USING clause", () => {
        // Before: `x` (an alias) was read as a table; a was missed.
        exact("DELETE x FROM a x JOIN b ON x.id = b.id", "d.a");
        exact("DELETE a, b FROM a JOIN b ON a.id = b.id WHERE a.v > 1", "d.a", "d.b");
        exact("DELETE FROM a USING a JOIN b ON a.id = b.id", "d.a");
        exact("DELETE FROM a.*, o.b.* USING a INNER JOIN o.b ON a.id = b.id", "d.a", "o.b");
        exact("DELETE LOW_PRIORITY QUICK IGNORE y FROM a AS x, `o`.`b` AS y WHERE x.id = y.id", "o.b");
        exact("DELETE t1 FROM t1 LEFT JOIN t2 ON t1.id = t2.id WHERE t2.id IS NULL", "d.t1");
        exact("DELETE FROM t x WHERE x.id = 1", "d.t");
        exact("DELETE FROM t PARTITION (p1) WHERE id = 1 ORDER BY id LIMIT 3", "d.t");
        exact("DELETE HISTORY FROM t BEFORE SYSTEM_TIME '2020-01-01'", "d.t");
        // A target the clause does not have (the server refuses it): every table, and the name.
        exact("DELETE z FROM a JOIN b", "d.a", "d.b", "d.z");
    });

    it("skips WITH clauses to the main statement, and a CTE's name is not a table", () => {
        // Before: not recognised at all.
        exact("WITH c AS (SELECT id FROM src) UPDATE t JOIN c ON c.id = t.id SET t.v = 1", "d.t");
        exact("WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3) DELETE FROM t WHERE id IN (SELECT n FROM c)", "d.t");
        exact("WITH a AS (SELECT 1 id), b AS (SELECT 2 id) DELETE t FROM t JOIN a USING (id)", "d.t");
        exact("WITH c AS (SELECT 1) UPDATE c JOIN t SET t.v = 1", "d.t");
        // WITH … SELECT logged as text: a stored function's side effect.
        expect(read("WITH c AS (SELECT 1 x) SELECT d.f(x) FROM c")).toMatchObject({ tables: [], unnamed: true });
    });

    it("flags a logged SELECT or DO, and DML that calls a function that is not a built-in", () => {
        // MariaDB logs SELECT f(), DO f() and SET @v = f() as SELECT `db`.`f`() when f writes.
        expect(read("SELECT `d`.`f`()", "")).toEqual({ tables: [], unnamed: true, databases: ["d"] });
        expect(read("SELECT f()", "app")).toEqual({ tables: [], unnamed: true, databases: ["app"] });
        expect(read("DO f(1)")).toMatchObject({ unnamed: true });
        expect(read("(SELECT f())")).toMatchObject({ unnamed: true });
        expect(read("SET @v = other.f()", "d")).toEqual({ tables: [], unnamed: true, databases: ["d", "other"] });
        expect(read("CALL p(1)")).toMatchObject({ unnamed: true });
        expect(read("INSERT INTO o.log (m) VALUES (f())")).toEqual({ tables: ["o.log"], unnamed: true, databases: ["d", "o"] });
        expect(read("UPDATE t SET v = `audit`(v)")).toMatchObject({ tables: ["d.t"], unnamed: true });
        expect(read("INSERT INTO log SELECT x.f(id) FROM t")).toMatchObject({ unnamed: true, databases: ["d", "x"] });
        // Built-ins, keywords before parentheses, types and column lists are not calls.
        exact("INSERT INTO t (a, b) VALUES (CONCAT('x', LEFT(@v, 2)), CAST(NOW(6) AS DECIMAL(20, 6)))", "d.t");
        exact("INSERT INTO t(a) SELECT COUNT(*) FROM u WHERE EXISTS (SELECT 1) AND id IN (1, 2) GROUP BY x", "d.t");
        exact("UPDATE t SET v = IF(v IS NULL, JSON_OBJECT('a', 1), JSON_SET(v, '$.a', 2)), w = ST_GeomFromText('POINT(1 1)')", "d.t");
        exact("UPDATE d.b SET x=CONCAT('p', NAME_CONST('n',3))", "d.b");
        exact("INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE v = VALUES(v) + ROW_NUMBER() OVER (PARTITION BY a ORDER BY b)", "d.t");
        exact("INSERT INTO t SELECT * FROM JSON_TABLE('[]', '$[*]' COLUMNS (id INT PATH '$.id', s VARCHAR(10) PATH '$.s')) AS j", "d.t");
        exact("REPLACE INTO t SELECT CONVERT(a, CHAR(3)), TRIM(LEADING 'x' FROM b), SUBSTRING(c FROM 2 FOR 3) FROM (SELECT 1 a, 2 b, 3 c) AS s (a, b, c)", "d.t");
        // Statements that write no table.
        expect(read("SET PASSWORD FOR 'u'@'%' = PASSWORD('x')")).toBeNull();
        expect(read("SET @a = 1")).toBeNull();
    });

    it("covers INSERT … SELECT, REPLACE, ON DUPLICATE KEY UPDATE, LOAD DATA and LOAD XML", () => {
        exact("INSERT INTO t SELECT * FROM other.src", "d.t");
        exact("INSERT LOW_PRIORITY IGNORE INTO t PARTITION (p0, p1) (a) VALUES (1)", "d.t");
        exact("INSERT t SET a = 1", "d.t");
        exact("INSERT DELAYED t VALUES (1)", "d.t");
        exact("INSERT INTO t VALUES (1, 'q') ON DUPLICATE KEY UPDATE x = 'odku'", "d.t");
        exact("REPLACE LOW_PRIORITY INTO `s`.`t` SELECT * FROM u", "s.t");
        exact("INSERT INTO t VALUES (1) RETURNING id", "d.t");
        exact("LOAD DATA LOCAL INFILE '/tmp/SQL_LOAD_MB-1-0' REPLACE INTO TABLE `b` FIELDS TERMINATED BY '\\t' ENCLOSED BY '' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (`id`, `x`)", "d.b");
        exact("LOAD DATA LOW_PRIORITY INFILE 'f' IGNORE INTO TABLE t PARTITION (p) CHARACTER SET utf8 (a, @b) SET c = @b", "d.t");
        exact("LOAD XML LOCAL INFILE 'x.xml' INTO TABLE s.t ROWS IDENTIFIED BY '<row>'", "s.t");
    });

    it("reads executable comments as statement text and treats hints and comments as comments", () => {
        // Before: a statement inside /*! … */ was a comment and went unseen.
        exact("/*!40000 UPDATE a SET v='ec' */", "d.a");
        exact("/*M!100100 DELETE FROM t */", "d.t");
        exact("INSERT /*! IGNORE */ INTO /*!50001 `x`.*/`t` VALUES (1)", "x.t");
        exact("UPDATE /*+ NO_RANGE_OPTIMIZATION(t) */ t SET v = 1", "d.t");
        exact("-- leading\n# comment\nDELETE /* note */ FROM t", "d.t");
    });

    it("reads MariaDB's prefixes, several statements, quoted names and CREATE TABLE … SELECT", () => {
        exact("SET STATEMENT max_statement_time=10 FOR UPDATE a SET v='ss'", "d.a");
        exact("ANALYZE UPDATE a SET v='an'", "d.a");
        exact("ANALYZE FORMAT=JSON DELETE FROM t", "d.t");
        expect(read("ANALYZE TABLE t")).toBeNull();
        exact("SET @x = 1; UPDATE a SET v = @x; DELETE FROM o.b", "d.a", "o.b");
        exact("UPDATE `we.ird`.`ta``b.le` SET v = 1", "we.ird.ta`b.le");
        // Rows a STATEMENT-logged CREATE TABLE … SELECT inserts are not in the binlog (ROW logs the generated CREATE, then rows).
        exact("CREATE TABLE c SELECT * FROM a", "d.c");
        exact("CREATE TABLE t AS SELECT 1", "d.t");
        exact("CREATE OR REPLACE TABLE IF NOT EXISTS o.c (id INT) ENGINE=InnoDB IGNORE SELECT id FROM a", "o.c");
        exact("CREATE TABLE c (SELECT 1 AS x)", "d.c");
    });

    it("is null for anything else", () => {
        expect(read("ALTER TABLE t ADD c INT")).toBeNull();
        expect(read("CREATE TABLE t (a INT) WITH SYSTEM VERSIONING")).toBeNull();
        expect(read("CREATE TABLE t (a INT, b INT AS (a + 1))")).toBeNull();
        expect(read("CREATE TEMPORARY TABLE t SELECT 1")).toBeNull();
        expect(read("CREATE VIEW v AS SELECT f()")).toBeNull();
        expect(read("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN INSERT INTO log VALUES (1); UPDATE c SET n = n + 1; END")).toBeNull();
        expect(read("CREATE DEFINER=`u`@`%` PROCEDURE p() BEGIN DELETE FROM t; SELECT f(); END")).toBeNull();
        expect(read("SAVEPOINT `s`")).toBeNull();
        expect(read("GRANT SELECT ON d.* TO u")).toBeNull();
        expect(read("DROP TABLE t")).toBeNull();
    });
});

describe("loggedDmlTables", () => {
    it("is loggedDml's tables, null when it is null", () => {
        expect(loggedDmlTables("UPDATE a JOIN b ON a.id = b.id SET b.x = a.v", "d")).toEqual([{ database: "d", name: "b" }]);
        expect(loggedDmlTables("SELECT `d`.`f`()", "d")).toEqual([]);
        expect(loggedDmlTables("ALTER TABLE t ADD c INT", "d")).toBeNull();
    });
});
