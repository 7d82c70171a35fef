import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import type { RowDataPacket } from "mysql2/promise";
import {
    createDatabaseSql, createTableSql, foreignKeySqls, type ReferenceResolver, renameSchemaInCreate, rewriteDefiner, secondaryIndexSqls,
} from "../../provider/connectors/mysql/destination/ddl";
import { qualified, quoteIdent } from "../../provider/connectors/mysql/identifiers";
import {
    databaseCharset, introspectEvents, introspectRoutines, introspectTables, introspectTriggers, introspectViews, listBaseTables,
} from "../../provider/connectors/mysql/source/introspect-tables";
import { IntrospectionError } from "../../provider/connectors/mysql/schema-errors";
import type { SourceTable, TableMapping } from "../../provider/engine/model";
import { invisibleColumns, primaryKeys } from "../../provider/connectors/mysql/source/precheck-items";

const maria = inject("mariadb");
const tag = `${process.pid}_${Date.now() % 100000}`;
const SRC = `dts_is_src_${tag}`;
const DST = `dts_is_dst_${tag}`;
const INL = `dts_is_inl_${tag}`;
const REN = `dts_is_ren_${tag}`;
const OBJ = `dts_is_obj_${tag}`;
const PERF = `dts_is_perf_${tag}`;
const GIPK = `dts_is_gipk_${tag}`;

/** The options the engine's connections use (connect.ts): exact numbers and dates as text. */
const connect = (database?: string) =>
    mysql.createConnection({
        host: maria.host, port: maria.port, user: maria.user, password: maria.password, database,
        charset: "utf8mb4_general_ci", supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, multipleStatements: true,
    });

const SOURCE_SCHEMA = `
CREATE TABLE \`parent ü\` (
  a INT NOT NULL,
  \`b\`\`q\` VARCHAR(20) NOT NULL,
  note VARCHAR(10),
  PRIMARY KEY (a, \`b\`\`q\`)
) ENGINE=InnoDB;
CREATE TABLE \`all types\` (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  ti TINYINT NOT NULL DEFAULT -5,
  si SMALLINT UNSIGNED ZEROFILL,
  mi MEDIUMINT,
  i INT DEFAULT 42,
  bo BOOLEAN DEFAULT TRUE,
  dec65 DECIMAL(65,30) DEFAULT 1.5,
  f FLOAT DEFAULT 1e10,
  f73 FLOAT(7,3),
  d DOUBLE NOT NULL DEFAULT 0,
  b1 BIT(1) DEFAULT b'1',
  b64 BIT(64) DEFAULT b'101',
  dt DATE DEFAULT '2020-02-29',
  dt6 DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  ts TIMESTAMP NULL DEFAULT NULL,
  ts3 TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  tm6 TIME(6) DEFAULT '-838:59:59.000000',
  yr YEAR DEFAULT 2024,
  ch CHAR(3) CHARACTER SET latin1 DEFAULT 'a''b',
  vc VARCHAR(255) NOT NULL DEFAULT '',
  vcl VARCHAR(100) CHARACTER SET latin1 COLLATE latin1_bin DEFAULT 'NULL',
  bn BINARY(4) DEFAULT 'ab',
  vb VARBINARY(16) DEFAULT 0x00FF,
  tt TINYTEXT, tx TEXT DEFAULT 'x\\\\y', mt MEDIUMTEXT, lt LONGTEXT,
  tb TINYBLOB, bl BLOB, mb MEDIUMBLOB, lb LONGBLOB,
  en ENUM('a,b', 'it''s', 'x\\\\y', 'ü', '') NOT NULL DEFAULT 'it''s',
  st SET('r', 'w', 'x') DEFAULT 'r,w',
  js JSON,
  pt POINT NOT NULL,
  gv INT AS (i * 2) VIRTUAL,
  gs VARCHAR(300) AS (concat(vc, '-', en)) STORED,
  emo VARCHAR(20) AS (concat('😀', vc)) VIRTUAL,
  emd VARCHAR(20) DEFAULT (concat('𝄞', '?')),
  ex DOUBLE DEFAULT (rand()),
  ex2 VARCHAR(20) DEFAULT (concat('a', 'b')),
  ex3 INT DEFAULT ((1 + 1) * 2),
  cd DATE DEFAULT (curdate()),
  inv INT INVISIBLE DEFAULT 7,
  cmt INT COMMENT 'it''s a \\\\ comment',
  pos INT CHECK (pos >= 0),
  PRIMARY KEY (id),
  UNIQUE KEY uq_vc (vc),
  KEY pfx (vcl(10), tx(20)),
  KEY dsc (dt6 DESC, id),
  FULLTEXT KEY ft (tx, mt),
  SPATIAL KEY sp (pt),
  UNIQUE KEY lh (lt),
  KEY cmt_idx (i) COMMENT 'idx ''comment''',
  CONSTRAINT \`chk ü\` CHECK (i > -100 AND d >= 0),
  CONSTRAINT chk_json CHECK (json_valid(lt) OR lt IS NULL),
  CONSTRAINT chk_emoji CHECK (vc <> '🚫')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='all ''types''';
CREATE TABLE \`child\`\`tick\` (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  pa INT,
  pb VARCHAR(20),
  x INT,
  CONSTRAINT \`fk child\` FOREIGN KEY (pa, pb) REFERENCES \`parent ü\` (a, \`b\`\`q\`) ON DELETE CASCADE
) ENGINE=InnoDB;
CREATE TABLE child2 (
  id INT NOT NULL PRIMARY KEY,
  pa INT,
  pb VARCHAR(20),
  KEY idx_p (pa, pb),
  CONSTRAINT fk2 FOREIGN KEY (pa, pb) REFERENCES \`parent ü\` (a, \`b\`\`q\`) ON UPDATE CASCADE ON DELETE SET NULL
) ENGINE=InnoDB;
CREATE TABLE no_pk (code VARCHAR(10) NOT NULL, val INT, UNIQUE KEY uk_code (code)) ENGINE=InnoDB;
CREATE TABLE latin (
  id INT NOT NULL PRIMARY KEY, l VARCHAR(10), u VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, bytes VARBINARY(10), j JSON
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
CREATE TABLE ai_second (k INT NOT NULL, id INT NOT NULL AUTO_INCREMENT, v INT, PRIMARY KEY (k, id), KEY by_v (v), KEY by_id (id)) ENGINE=InnoDB;
CREATE TABLE pk_prefix (u VARCHAR(200) NOT NULL, PRIMARY KEY (u(10))) ENGINE=InnoDB;
CREATE TABLE mem (id INT NOT NULL, a INT, b INT, PRIMARY KEY (id), KEY h (a), KEY bt (b) USING BTREE) ENGINE=MEMORY;
CREATE TABLE \`名前 テーブル\` (\`列 1\` INT NOT NULL PRIMARY KEY, \`\`\`q\`\`\` INT) ENGINE=InnoDB;
CREATE TABLE auto_check (a INT, b INT, CHECK (a < b)) ENGINE=InnoDB;
`;

type Row = RowDataPacket;

async function showCreate(conn: mysql.Connection, db: string, table: string): Promise<string> {
    const [rows] = await conn.query<Row[]>(`SHOW CREATE TABLE ${qualified(db, table)}`);
    return String(rows[0]["Create Table"]).replace(/ AUTO_INCREMENT=\d+/, "");
}

const identity = (t: SourceTable, targetSchema: string): TableMapping => ({
    source: t, targetSchema, targetTable: t.name, where: null, key: t.primaryKey,
    columns: t.columns.map((c) => ({ source: c, target: c.name })),
});

const resolverInto = (schema: string, tables: SourceTable[]): ReferenceResolver => (db, table) =>
    db === SRC && tables.some((t) => t.name === table) ? { schema, table, columnName: (c) => c } : null;

/** Creates every table, then (optionally) the deferred indexes, then the foreign keys, as the engine does. */
async function recreate(conn: mysql.Connection, tables: SourceTable[], target: string, inlineIndexes: boolean): Promise<string[]> {
    const cs = await databaseCharset(conn, SRC);
    await conn.query(createDatabaseSql(target, cs.charset, cs.collation));
    const mappings = tables.map((t) => identity(t, target));
    for (const m of mappings) await conn.query(createTableSql(m, { secondaryIndexes: inlineIndexes }));
    if (!inlineIndexes) for (const m of mappings) for (const sql of secondaryIndexSqls(m)) await conn.query(sql);
    const notes: string[] = [];
    for (const m of mappings) {
        const fk = foreignKeySqls(m, resolverInto(target, tables));
        notes.push(...fk.notes);
        for (const sql of fk.sqls) await conn.query(sql);
    }
    return notes;
}

describe("MySQL-family introspection and DDL against MariaDB", () => {
    let conn: mysql.Connection;
    let tables: SourceTable[];
    const byName = (name: string) => {
        const t = tables.find((x) => x.name === name);
        if (!t) throw new Error(`no table ${name}`);
        return t;
    };

    beforeAll(async () => {
        conn = await connect();
        await conn.query(`CREATE DATABASE ${quoteIdent(SRC)} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
        const src = await connect(SRC);
        await src.query(SOURCE_SCHEMA);
        await src.query("INSERT INTO `parent ü` VALUES (1, 'x', 'n'), (2, 'y', NULL)");
        await src.query("ANALYZE TABLE `parent ü`");
        await src.end();
        tables = await introspectTables(conn, SRC);
    });

    afterAll(async () => {
        for (const db of [SRC, DST, INL, REN, OBJ, PERF, GIPK, `${GIPK}_copy`]) await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)}`);
        await conn.end();
    });

    it("lists base tables and reads every column fact", async () => {
        expect(await listBaseTables(conn, SRC)).toEqual([...tables.map((t) => t.name)].sort());
        expect(tables).toHaveLength(11);
        const t = byName("all types");
        const c = (name: string) => {
            const found = t.columns.find((x) => x.name === name);
            if (!found) throw new Error(`no column ${name}`);
            return found;
        };
        expect(t.columns.map((x) => x.ordinal)).toEqual(t.columns.map((_, i) => i + 1));
        expect(c("id")).toMatchObject({ dataType: "bigint", columnType: "bigint(20) unsigned", unsigned: true, nullable: false, defaultValue: null, extra: "auto_increment" });
        expect(c("si")).toMatchObject({ columnType: "smallint(5) unsigned zerofill", unsigned: true, defaultValue: "NULL" });
        expect(c("dec65")).toMatchObject({ dataType: "decimal", numericPrecision: 65, numericScale: 30, defaultValue: "1.500000000000000000000000000000" });
        expect(c("b64")).toMatchObject({ dataType: "bit", numericPrecision: 64, defaultValue: "b'101'" });
        expect(c("dt6")).toMatchObject({ datetimePrecision: 6, defaultValue: "current_timestamp(6)", extra: "on update current_timestamp(6)" });
        expect(c("tm6")).toMatchObject({ datetimePrecision: 6, defaultValue: "'-838:59:59.000000'" });
        expect(c("yr")).toMatchObject({ dataType: "year", defaultValue: "2024" });
        expect(c("ch")).toMatchObject({ charset: "latin1", collation: "latin1_swedish_ci", maxLength: 3, defaultValue: "'a''b'" });
        expect(c("vcl")).toMatchObject({ collation: "latin1_bin", defaultValue: "'NULL'" });
        expect(c("ts")).toMatchObject({ nullable: true, defaultValue: "NULL" });
        expect(c("vc")).toMatchObject({ nullable: false, defaultValue: "''" });
        expect(c("tx")).toMatchObject({ defaultValue: "'x\\\\y'" });
        expect(c("en").enumValues).toEqual(["a,b", "it's", "x\\y", "ü", ""]);
        expect(c("en").defaultValue).toBe("'it''s'");
        expect(c("st").enumValues).toEqual(["r", "w", "x"]);
        expect(c("js")).toMatchObject({ dataType: "longtext", isJson: true, collation: "utf8mb4_bin" });
        expect(c("lt").isJson).toBe(false);
        expect(c("gv")).toMatchObject({ generationExpression: "`i` * 2", defaultValue: null, extra: "VIRTUAL GENERATED" });
        expect(c("gs")).toMatchObject({ generationExpression: "concat(`vc`,'-',`en`)", extra: "STORED GENERATED" });
        // information_schema prints these as '????'; introspection reads them from SHOW CREATE TABLE.
        expect(c("emo").generationExpression).toBe("concat('😀',`vc`)");
        expect(c("emd").defaultValue).toBe("concat('𝄞','?')");
        expect(c("ex").defaultValue).toBe("rand()");
        expect(c("cd").defaultValue).toBe("curdate()");
        expect(c("inv")).toMatchObject({ invisible: true, defaultValue: "7" });
        expect(c("cmt").comment).toBe("it's a \\ comment");
        expect(c("pt")).toMatchObject({ dataType: "point", nullable: false });
        expect(t).toMatchObject({ engine: "InnoDB", charset: "utf8mb4", collation: "utf8mb4_general_ci", comment: "all 'types'", primaryKey: ["id"] });
    });

    it("reads keys, checks and foreign keys", () => {
        const t = byName("all types");
        const idx = (name: string) => t.indexes.find((i) => i.name === name);
        expect(t.indexes.map((i) => i.name)).not.toContain("PRIMARY");
        expect(idx("pfx")?.columns).toEqual([{ name: "vcl", prefixLength: 10, descending: false }, { name: "tx", prefixLength: 20, descending: false }]);
        expect(idx("dsc")?.columns).toEqual([{ name: "dt6", prefixLength: null, descending: true }, { name: "id", prefixLength: null, descending: false }]);
        expect(idx("ft")).toMatchObject({ kind: "FULLTEXT", unique: false });
        expect(idx("sp")).toMatchObject({ kind: "SPATIAL" });
        expect(idx("lh")).toMatchObject({ kind: "HASH", unique: true });
        expect(idx("uq_vc")).toMatchObject({ kind: "BTREE", unique: true });
        expect(idx("cmt_idx")?.comment).toBe("idx 'comment'");
        // MariaDB's automatic json_valid(`js`) is isJson, not a check; a hand-written one on lt stays.
        expect(t.checks).toEqual([
            { name: "pos", clause: "`pos` >= 0", column: "pos" },
            { name: "chk ü", clause: "`i` > -100 and `d` >= 0" },
            { name: "chk_json", clause: "json_valid(`lt`) or `lt` is null" },
            { name: "chk_emoji", clause: "`vc` <> '🚫'" },
        ]);
        expect(byName("auto_check").checks).toEqual([{ name: "CONSTRAINT_1", clause: "`a` < `b`" }]);
        expect(byName("child`tick").foreignKeys).toEqual([
            { name: "fk child", columns: ["pa", "pb"], referencedDatabase: SRC, referencedTable: "parent ü", referencedColumns: ["a", "b`q"], onUpdate: "RESTRICT", onDelete: "CASCADE" },
        ]);
        expect(byName("child2").foreignKeys[0]).toMatchObject({ onUpdate: "CASCADE", onDelete: "SET NULL" });
        expect(byName("no_pk")).toMatchObject({ primaryKey: null, indexes: [{ name: "uk_code", unique: true }] });
        expect(byName("pk_prefix").primaryKeyParts).toEqual([{ name: "u", prefixLength: 10, descending: false }]);
        expect(byName("parent ü")).toMatchObject({ primaryKey: ["a", "b`q"], estimatedRows: expect.any(Number) });
        expect(byName("parent ü").dataBytes).toBeGreaterThan(0);
        expect(byName("latin")).toMatchObject({ charset: "latin1", collation: "latin1_swedish_ci" });
    });

    it("introspects a named subset in the order given, and names a missing table", async () => {
        const some = await introspectTables(conn, SRC, ["no_pk", "parent ü"]);
        expect(some.map((t) => t.name)).toEqual(["no_pk", "parent ü"]);
        await expect(introspectTables(conn, SRC, ["nope"])).rejects.toThrow(IntrospectionError);
        await expect(introspectTables(conn, SRC, ["nope"])).rejects.toThrow(/table "nope"/);
    });

    it("recreates every table identically with indexes and foreign keys after the load", async () => {
        const notes = await recreate(conn, tables, DST, false);
        expect(notes).toEqual([]);
        for (const t of tables) expect(await showCreate(conn, DST, t.name), t.name).toBe(await showCreate(conn, SRC, t.name));
    });

    it("recreates every table identically with indexes inline", async () => {
        await recreate(conn, tables, INL, true);
        for (const t of tables) expect(await showCreate(conn, INL, t.name), t.name).toBe(await showCreate(conn, SRC, t.name));
    });

    it("reports foreign keys to tables that are not migrated", () => {
        const child = byName("child`tick");
        const r = foreignKeySqls(identity(child, DST), () => null);
        expect(r.sqls).toEqual([]);
        expect(r.notes).toHaveLength(1);
        expect(r.notes[0]).toContain("`parent ü`");
    });

    it("renames columns and drops a subset, keeping expressions, checks and indexes consistent", async () => {
        const t = byName("all types");
        const rename: Record<string, string> = { i: "I ü", vc: "v`c", en: "enum col", pos: "position" };
        const dropped = new Set(["lt", "mt"]);
        const m: TableMapping = {
            source: t, targetSchema: REN, targetTable: "renamed types", where: null, key: ["id"],
            columns: t.columns.filter((c) => !dropped.has(c.name)).map((c) => ({ source: c, target: rename[c.name] ?? c.name })),
        };
        await conn.query(createDatabaseSql(REN, "utf8mb4", "utf8mb4_general_ci"));
        await conn.query(createTableSql(m, { secondaryIndexes: false }));
        for (const sql of secondaryIndexSqls(m)) await conn.query(sql);

        // Expected: the source's own SHOW CREATE with the dropped column's lines (and the keys
        // and checks on them) removed and the renamed identifiers replaced.
        let expected = (await showCreate(conn, SRC, t.name))
            .split("\n")
            .filter((line) => !/`lt`|`mt`/.test(line))
            .join("\n")
            .replace("CREATE TABLE `all types`", "CREATE TABLE `renamed types`");
        for (const [from, to] of Object.entries(rename)) expected = expected.split(quoteIdent(from)).join(quoteIdent(to));
        expect(await showCreate(conn, REN, "renamed types")).toBe(expected);

        const [back] = await introspectTables(conn, REN, ["renamed types"]);
        expect(back.columns.map((c) => c.name)).toEqual(m.columns.map((c) => c.target));
        expect(back.columns.find((c) => c.name === "gs")?.generationExpression).toBe("concat(`v``c`,'-',`enum col`)");
        expect(back.indexes.map((i) => i.name)).not.toContain("ft");
        expect(back.indexes.map((i) => i.name)).not.toContain("lh");

        await conn.query(
            `INSERT INTO ${qualified(REN, "renamed types")} (\`I ü\`, \`v\`\`c\`, \`enum col\`, pt) VALUES (5, 'v', 'a,b', POINT(1, 2))`,
        );
        const [rows] = await conn.query<Row[]>(`SELECT * FROM ${qualified(REN, "renamed types")}`);
        expect(rows[0]).toMatchObject({ gv: 10, gs: "v-a,b", emo: "😀v", emd: "𝄞?" });
        expect(rows[0].inv).toBeUndefined();
        const [inv] = await conn.query<Row[]>(`SELECT inv FROM ${qualified(REN, "renamed types")}`);
        expect(inv[0].inv).toBe(7);
    });

    it("migrates views, routines, triggers and events with DEFINER dropped and SQL SECURITY INVOKER", async () => {
        const src = await connect(SRC);
        await src.query(`
            CREATE DEFINER=\`ghost\`@\`localhost\` SQL SECURITY DEFINER VIEW v_parent AS
              SELECT a, \`b\`\`q\` AS bq, 'SQL SECURITY DEFINER' AS label FROM \`parent ü\` WHERE a > 0 WITH CHECK OPTION;
            CREATE DEFINER=\`ghost\`@\`localhost\` VIEW v_other AS SELECT COUNT(*) AS n FROM ${quoteIdent(SRC)}.no_pk;
            CREATE DEFINER=\`ghost\`@\`localhost\` PROCEDURE \`add parent\`(IN p_a INT, IN p_b VARCHAR(20))
              COMMENT 'adds ) one'
              MODIFIES SQL DATA
              BEGIN INSERT INTO \`parent ü\` (a, \`b\`\`q\`) VALUES (p_a, p_b); END;
            CREATE DEFINER=\`ghost\`@\`localhost\` FUNCTION twice(x DECIMAL(10,2)) RETURNS decimal(12,2) DETERMINISTIC SQL SECURITY DEFINER RETURN x * 2;
            CREATE DEFINER=\`ghost\`@\`localhost\` FUNCTION label(x INT) RETURNS varchar(20) CHARSET latin1 COLLATE latin1_bin NO SQL RETURN concat('#', x);
            CREATE DEFINER=\`ghost\`@\`localhost\` TRIGGER t_first BEFORE INSERT ON \`child\`\`tick\` FOR EACH ROW SET NEW.x = 1;
            CREATE DEFINER=\`ghost\`@\`localhost\` TRIGGER t_second BEFORE INSERT ON \`child\`\`tick\` FOR EACH ROW SET NEW.x = NEW.x * 10;
            CREATE DEFINER=\`ghost\`@\`localhost\` TRIGGER t_zero BEFORE INSERT ON \`child\`\`tick\` FOR EACH ROW PRECEDES t_first SET NEW.x = 100;
            CREATE DEFINER=\`ghost\`@\`localhost\` EVENT \`purge ü\` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM no_pk WHERE val < 0;
        `);
        await src.end();

        const views = await introspectViews(conn, SRC);
        const routines = await introspectRoutines(conn, SRC);
        const triggers = await introspectTriggers(conn, SRC);
        const events = await introspectEvents(conn, SRC);
        expect(views.map((v) => v.name)).toEqual(["v_other", "v_parent"]);
        expect(views[1].definition).toContain("from `" + SRC + "`.`parent ü`");
        expect(routines.map((r) => [r.kind, r.name])).toEqual([["PROCEDURE", "add parent"], ["FUNCTION", "label"], ["FUNCTION", "twice"]]);
        expect(routines[0].sqlMode).toMatch(/STRICT_TRANS_TABLES/);
        // The source order (t_zero PRECEDES t_first) survives only as creation order.
        expect(triggers.map((t) => t.name)).toEqual(["t_zero", "t_first", "t_second"]);
        expect(triggers[0].createSql).not.toMatch(/PRECEDES/);
        expect(events.map((e) => e.name)).toEqual(["purge ü"]);

        await recreate(conn, tables, OBJ, false);
        const dst = await connect(OBJ);
        try {
            for (const o of [...views, ...routines, ...triggers, ...events]) {
                const sql = renameSchemaInCreate(rewriteDefiner(o.createSql ?? ""), SRC, OBJ);
                expect(sql).not.toMatch(/ghost|DEFINER=/);
                if ("sqlMode" in o && o.sqlMode !== undefined) await dst.query("SET SESSION sql_mode = ?", [o.sqlMode]);
                await dst.query(sql);
            }
            const me = `${maria.user}@%`;
            const [v] = await dst.query<Row[]>("SELECT TABLE_NAME AS n, SECURITY_TYPE AS s, DEFINER AS d, VIEW_DEFINITION AS def, CHECK_OPTION AS c FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY 1", [OBJ]);
            expect(v.map((r) => [r.n, r.s, r.d])).toEqual([["v_other", "INVOKER", me], ["v_parent", "INVOKER", me]]);
            expect(v.map((r) => String(r.def)).join()).not.toContain(SRC);
            expect(v[1].c).toBe("CASCADED");
            const [r] = await dst.query<Row[]>("SELECT ROUTINE_NAME AS n, SECURITY_TYPE AS s, DEFINER AS d FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1", [OBJ]);
            expect(r.map((x) => [x.n, x.s, x.d])).toEqual([["add parent", "INVOKER", me], ["label", "INVOKER", me], ["twice", "INVOKER", me]]);
            const [tr] = await dst.query<Row[]>("SELECT TRIGGER_NAME AS n, ACTION_ORDER AS o, DEFINER AS d FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY ACTION_ORDER", [OBJ]);
            expect(tr.map((x) => [x.n, Number(x.o), x.d])).toEqual([["t_zero", 1, me], ["t_first", 2, me], ["t_second", 3, me]]);
            const [ev] = await dst.query<Row[]>("SELECT EVENT_NAME AS n, DEFINER AS d, STATUS AS s FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?", [OBJ]);
            expect(ev.map((x) => [x.n, x.d, x.s])).toEqual([["purge ü", me, "DISABLED"]]);

            // They work against the destination's own tables.
            await dst.query("CALL `add parent`(7, 'z')");
            await dst.query("INSERT INTO `child``tick` (pa, pb) VALUES (7, 'z')");
            const [[row]] = await dst.query<Row[]>("SELECT (SELECT x FROM `child``tick`) AS x, twice(2.5) AS t, label(3) AS l, (SELECT COUNT(*) FROM v_parent WHERE a = 7) AS n");
            // t_zero (100), then t_first (1), then t_second (×10): the source's order.
            expect(row).toMatchObject({ x: 10, t: "5.00", l: "#3", n: "1" });
        } finally {
            await dst.end();
        }
    });

    it("keys a table by its invisible my_row_id, as MySQL 8.0.30+ generates it (GIPK), and reads it by name", async () => {
        // MariaDB has no sql_generate_invisible_primary_key: the table is written as MySQL shows a GIPK
        // once show_gipk_in_create_table_and_information_schema is ON (introspection sets it there).
        await conn.query(createDatabaseSql(GIPK, "utf8mb4", "utf8mb4_general_ci"));
        await conn.query(`CREATE TABLE ${qualified(GIPK, "events")} (my_row_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT INVISIBLE, note VARCHAR(20), PRIMARY KEY (my_row_id)) ENGINE=InnoDB`);
        await conn.query(`INSERT INTO ${qualified(GIPK, "events")} (note) VALUES ('a'), ('b')`);
        const [t] = await introspectTables(conn, GIPK);
        expect(t.primaryKey).toEqual(["my_row_id"]);
        expect(t.columns[0]).toMatchObject({ name: "my_row_id", invisible: true, extra: expect.stringMatching(/auto_increment/) });
        const m = identity(t, `${GIPK}_copy`);
        expect(primaryKeys([m])[0]).toMatchObject({ outcome: "passed" });
        expect(invisibleColumns([m])[0].detail).toMatch(/events\.my_row_id is a generated invisible primary key/);
        // SELECT * skips it; naming it reads it.
        const [star] = await conn.query<Row[]>(`SELECT * FROM ${qualified(GIPK, "events")}`);
        expect(Object.keys(star[0])).toEqual(["note"]);
        const [named] = await conn.query<Row[]>(`SELECT ${t.columns.map((c) => quoteIdent(c.name)).join(", ")} FROM ${qualified(GIPK, "events")} ORDER BY my_row_id`);
        expect(named.map((r) => [String(r.my_row_id), r.note])).toEqual([["1", "a"], ["2", "b"]]);
    });

    it("introspects 1,000 tables in a handful of statements", async () => {
        await conn.query(createDatabaseSql(PERF, "utf8mb4", "utf8mb4_general_ci"));
        const perf = await connect(PERF);
        try {
            for (let start = 0; start < 1000; start += 100) {
                const batch: string[] = [];
                for (let i = start; i < start + 100; i++) {
                    batch.push(`CREATE TABLE t${String(i).padStart(4, "0")} (id INT NOT NULL PRIMARY KEY, a VARCHAR(20) NOT NULL DEFAULT 'x', j JSON, KEY ka (a), CONSTRAINT c${i} CHECK (id >= 0)) ENGINE=InnoDB`);
                }
                await perf.query(batch.join(";"));
            }
        } finally {
            await perf.end();
        }
        const names = await listBaseTables(conn, PERF);
        expect(names).toHaveLength(1000);
        const questions = async () => {
            const [rows] = await conn.query<Row[]>("SHOW SESSION STATUS LIKE 'Questions'");
            return Number(rows[0].Value);
        };
        const before = await questions();
        const all = await introspectTables(conn, PERF, names);
        const statements = (await questions()) - before - 1;
        expect(all).toHaveLength(1000);
        expect(all[999]).toMatchObject({ name: "t0999", primaryKey: ["id"], indexes: [{ name: "ka" }], checks: [{ name: "c999" }] });
        expect(all[999].columns.find((c) => c.name === "j")?.isJson).toBe(true);
        expect(statements).toBeLessThanOrEqual(8);
    });
});
