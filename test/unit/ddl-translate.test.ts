import { describe, expect, it } from "vitest";
import { alterationOf } from "../../provider/connectors/mysql/source/alter-apply";
import { parseAlterTable, parseCreateTable, parseIndexStatement } from "../../provider/connectors/mysql/source/alter-parser";
import { UntranslatableDdlError as ParserError } from "../../provider/engine/schema-change/alter";
import { alterForMysql, renameTableForMysql } from "../../provider/connectors/mysql/destination/ddl-translate";
import { createIndexSqls, createTableSql } from "../../provider/connectors/postgres/ddl";
import {
    alterForPostgres,
    dropTableForPostgres,
    pgIndexName,
    renameTableForPostgres,
    truncateForPostgres,
    UntranslatableDdlError,
} from "../../provider/connectors/postgres/ddl-translate";
import { derivedName } from "../../provider/connectors/postgres/identifiers";
import { buildMappings } from "../../provider/engine/mapping";

type DestinationFamily = "mysql" | "postgres";
import type { TableMapping } from "../../provider/engine/model";
import { type TaskArgsInput, type TaskSpec, taskArgsSchema } from "../../sdk/schema/task";

const ORDERS = `CREATE TABLE \`Orders\` (
  \`id\` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  \`status\` enum('new','paid') NOT NULL DEFAULT 'new',
  \`total\` decimal(12,2) NOT NULL DEFAULT 0.00,
  \`CustomerId\` int(11) NOT NULL,
  \`note\` varchar(100) DEFAULT NULL COMMENT 'free text',
  \`created\` datetime(6) NOT NULL DEFAULT current_timestamp(6),
  \`flags\` bit(4) DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  KEY \`idx_created\` (\`created\`),
  KEY \`idx_cust_created\` (\`CustomerId\`, \`created\`),
  UNIQUE KEY \`uk_note\` (\`note\`(20))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`;

type Objects = TaskArgsInput["objects"];

/** A task and the mapping buildMappings makes for the table, as the engine would have them. */
function setup(family: DestinationFamily, objects: Objects = [{ database: "shop" }], extra: Partial<TaskArgsInput> = {}, create = ORDERS): { task: TaskSpec; mapping: TableMapping } {
    const table = parseCreateTable(create, "shop")!;
    const task = taskArgsSchema.parse({
        source: { connectionId: "src", engine: "mariadb" },
        destination: { connectionId: "dst", engine: family === "postgres" ? "postgresql" : "mysql" },
        migrationTypes: ["schema", "full", "incremental"],
        objects,
        ...extra,
    });
    const databases = new Map(task.objects.map((o) => [o.database, o.database === "shop" ? [table] : []]));
    const { mappings, problems } = buildMappings(task, family === "postgres" ? "lower" : "as-source", databases);
    expect(problems).toEqual([]);
    return { task, mapping: mappings[0] };
}

const pg = (sql: string, objects?: Objects, extra?: Partial<TaskArgsInput>) => {
    const { task, mapping } = setup("postgres", objects, extra);
    return alterForPostgres(mapping, alterationOf(mapping.source, parseAlterTable(sql, "shop")), task);
};
const my = (sql: string, objects?: Objects, extra?: Partial<TaskArgsInput>) => {
    const { task, mapping } = setup("mysql", objects, extra);
    return alterForMysql(mapping, alterationOf(mapping.source, parseAlterTable(sql, "shop")), task);
};

function untranslatable(fn: () => unknown): UntranslatableDdlError {
    try {
        fn();
    } catch (e) {
        expect(e).toBeInstanceOf(UntranslatableDdlError);
        return e as UntranslatableDdlError;
    }
    throw new Error("expected an UntranslatableDdlError");
}

const T = '"shop"."orders"';
const statusCheck = derivedName(["orders", "status"], "check");

describe("PostgreSQL: the table as schema migration created it", () => {
    it("index names here are createIndexSqls's", () => {
        const { mapping } = setup("postgres");
        const sqls = createIndexSqls(mapping).sqls;
        expect(sqls).toEqual([
            `CREATE INDEX "${pgIndexName("orders", { name: "idx_created", unique: false })}" ON ${T} ("created")`,
            `CREATE INDEX "${pgIndexName("orders", { name: "idx_cust_created", unique: false })}" ON ${T} ("customerid", "created")`,
        ]);
        expect(createTableSql(mapping, { floatPrecision: { float: 38, double: 308 }, analyticdb: false }).sql).toContain(`CONSTRAINT "${statusCheck}" CHECK`);
    });
});

describe("PostgreSQL: ADD COLUMN", () => {
    it("nullable columns: mapped type, lower-cased name, default, position noted", () => {
        const r = pg("ALTER TABLE `Orders` ADD COLUMN `PaidAt` datetime(3) NULL AFTER `status`, ADD `memo` varchar(20) CHARACTER SET latin1 DEFAULT 'n/a' COMMENT 'x'");
        expect(r.statements).toEqual([
            `ALTER TABLE ${T} ADD COLUMN "paidat" timestamp(3) without time zone`,
            `ALTER TABLE ${T} ADD COLUMN "memo" varchar(20) DEFAULT 'n/a'`,
        ]);
        expect(r.notes).toEqual(['column "paidat" is added at the end of the PostgreSQL table (PostgreSQL cannot place columns)']);
        expect(r.mapping.columns.map((c) => `${c.source.ordinal}:${c.source.name}→${c.target}`)).toEqual([
            "1:id→id", "2:status→status", "3:PaidAt→paidat", "4:total→total", "5:CustomerId→customerid", "6:note→note", "7:created→created", "8:flags→flags", "9:memo→memo",
        ]);
        expect(r.mapping.source.columns.find((c) => c.name === "memo")).toMatchObject({ charset: "latin1", collation: null, maxLength: 20 });
        expect(r.mapping.key).toEqual(["id"]);
    });

    it("NOT NULL without a default: existing rows get MySQL's implicit default, then the default goes", () => {
        const r = pg("ALTER TABLE Orders ADD qty int unsigned NOT NULL, ADD code char(2) NOT NULL, ADD kind enum('a','b') NOT NULL, ADD mask bit(3) NOT NULL, ADD raw binary(2) NOT NULL, ADD d date NOT NULL");
        expect(r.statements).toEqual([
            `ALTER TABLE ${T} ADD COLUMN "qty" bigint NOT NULL DEFAULT 0`,
            `ALTER TABLE ${T} ALTER COLUMN "qty" DROP DEFAULT`,
            `ALTER TABLE ${T} ADD COLUMN "code" varchar(2) NOT NULL DEFAULT ''`,
            `ALTER TABLE ${T} ALTER COLUMN "code" DROP DEFAULT`,
            `ALTER TABLE ${T} ADD COLUMN "kind" text NOT NULL DEFAULT 'a'`,
            `ALTER TABLE ${T} ALTER COLUMN "kind" DROP DEFAULT`,
            `ALTER TABLE ${T} ADD CONSTRAINT "${derivedName(["orders", "kind"], "check")}" CHECK ("kind" IN ('', 'a', 'b'))`,
            `ALTER TABLE ${T} ADD COLUMN "mask" bit(3) NOT NULL DEFAULT B'000'`,
            `ALTER TABLE ${T} ALTER COLUMN "mask" DROP DEFAULT`,
            `ALTER TABLE ${T} ADD COLUMN "raw" bytea NOT NULL DEFAULT '\\x0000'::bytea`,
            `ALTER TABLE ${T} ALTER COLUMN "raw" DROP DEFAULT`,
            // Zero dates arrive as NULL: date columns are nullable in PostgreSQL.
            `ALTER TABLE ${T} ADD COLUMN "d" date`,
        ]);
    });

    it("explicit defaults fill existing rows; binary defaults are exact from the DDL text but not kept", () => {
        const r = pg("ALTER TABLE Orders ADD price decimal(8,2) NOT NULL DEFAULT '1.5', ADD tag varbinary(8) DEFAULT 'ab', ADD at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), ADD z datetime DEFAULT '0000-00-00 00:00:00'");
        expect(r.statements).toEqual([
            `ALTER TABLE ${T} ADD COLUMN "price" numeric(8,2) NOT NULL DEFAULT 1.50`,
            `ALTER TABLE ${T} ADD COLUMN "tag" bytea DEFAULT '\\x6162'::bytea`,
            `ALTER TABLE ${T} ALTER COLUMN "tag" DROP DEFAULT`,
            `ALTER TABLE ${T} ADD COLUMN "at" timestamp(6) with time zone DEFAULT CURRENT_TIMESTAMP`,
            `ALTER TABLE ${T} ADD COLUMN "z" timestamp(0) without time zone`,
        ]);
        expect(r.notes).toEqual([
            "default 'ab' of column \"tag\" omitted: binary defaults are not reported byte-exactly by information_schema",
            'column "at": existing rows get CURRENT_TIMESTAMP of the moment PostgreSQL applies the change, not of the source\'s ALTER TABLE',
            "default '0000-00-00 00:00:00' of column \"z\" omitted: zero dates have no PostgreSQL value",
        ]);
    });

    it("refuses columns PostgreSQL cannot fill as the source did, or cannot hold", () => {
        expect(untranslatable(() => pg("ALTER TABLE Orders ADD seq int NOT NULL AUTO_INCREMENT, ADD UNIQUE (seq)")).reason).toMatch(/AUTO_INCREMENT: the source numbers the existing rows/);
        expect(untranslatable(() => pg("ALTER TABLE Orders ADD g int AS (id * 2) STORED")).reason).toMatch(/"g" is generated/);
        expect(untranslatable(() => pg("ALTER TABLE Orders ADD u char(36) NOT NULL DEFAULT (uuid())")).reason).toMatch(/default uuid\(\), which PostgreSQL cannot reproduce/);
        const e = untranslatable(() => pg("ALTER TABLE Orders ADD shape point"));
        expect(e.reason).toMatch(/spatial type POINT/);
        expect(e.message).toMatch(/^cannot apply to the destination: ALTER TABLE Orders ADD shape point: /);
        expect(e.fix).toMatch(/objects\[\]\.tables\[\]\.columns/);
        expect(e).toBeInstanceOf(ParserError);
    });

    it("a table whose columns the task lists does not get columns added later (documented rule)", () => {
        const r = pg("ALTER TABLE Orders ADD extra int NOT NULL, ADD shape point", [{ database: "shop", tables: [{ name: "Orders", columns: ["id", "status"] }] }]);
        expect(r.statements).toEqual([]);
        expect(r.notes).toEqual([
            "column extra added on the source is not migrated: the task lists the table's columns",
            "column shape added on the source is not migrated: the task lists the table's columns",
        ]);
        // The source model has them: row images are read by it.
        expect(r.mapping.source.columns.map((c) => c.name)).toContain("shape");
        expect(r.mapping.columns.map((c) => c.target)).toEqual(["id", "status"]);
    });

    it("follows the name-case policy", () => {
        const r = pg("ALTER TABLE Orders ADD `Big Name` tinyint(1) NOT NULL DEFAULT '1'", undefined, { nameCase: "upper" });
        expect(r.statements).toEqual([`ALTER TABLE "SHOP"."ORDERS" ADD COLUMN "BIG NAME" smallint NOT NULL DEFAULT 1`]);
    });
});

describe("PostgreSQL: DROP / CHANGE / MODIFY / RENAME COLUMN", () => {
    it("drops migrated columns; says when PostgreSQL drops more indexes than MySQL", () => {
        const r = pg("ALTER TABLE Orders DROP COLUMN note, DROP created");
        expect(r.statements).toEqual([`ALTER TABLE ${T} DROP COLUMN IF EXISTS "note"`, `ALTER TABLE ${T} DROP COLUMN IF EXISTS "created"`]);
        expect(r.notes).toEqual(['PostgreSQL drops the indexes that contain column "created"; MySQL keeps them without it']);
        expect(r.mapping.source.indexes.map((i) => `${i.name}(${i.columns.map((c) => c.name)})`)).toEqual(["idx_cust_created(CustomerId)"]);
        expect(r.mapping.columns.map((c) => c.target)).toEqual(["id", "status", "total", "customerid", "flags"]);
    });

    it("ignores columns the mapping does not migrate", () => {
        const objects = [{ database: "shop", tables: [{ name: "Orders", columns: ["id", { name: "total", renameTo: "amount" }] }] }];
        const r = pg("ALTER TABLE Orders DROP COLUMN note, MODIFY status varchar(10), CHANGE total grand_total decimal(14,2) NOT NULL DEFAULT '0', RENAME COLUMN CustomerId TO customer_id", objects);
        expect(r.statements).toEqual([
            // The column renamed by the task keeps its destination name.
            `ALTER TABLE ${T} ALTER COLUMN "amount" DROP DEFAULT`,
            `ALTER TABLE ${T} ALTER COLUMN "amount" TYPE numeric(14,2) USING "amount"::numeric(14,2)`,
            `ALTER TABLE ${T} ALTER COLUMN "amount" SET DEFAULT 0.00`,
        ]);
        expect(r.notes).toEqual([
            "column note is not migrated: nothing to drop",
            "column status is not migrated: the change is not applied",
            "column CustomerId is not migrated: nothing to rename",
        ]);
        expect(r.mapping.columns.map((c) => `${c.source.name}→${c.target}`)).toEqual(["id→id", "grand_total→amount"]);
        expect(r.mapping.source.columns.map((c) => c.name)).toEqual(["id", "status", "grand_total", "customer_id", "created", "flags"]);
    });

    it("type changes PostgreSQL can follow: TYPE … USING, with the default around it", () => {
        const r = pg("ALTER TABLE Orders MODIFY total decimal(14,4) NOT NULL DEFAULT 0, MODIFY CustomerId bigint NOT NULL, CHANGE note Note text, MODIFY flags bit(8)");
        expect(r.statements).toEqual([
            `ALTER TABLE ${T} ALTER COLUMN "total" DROP DEFAULT`,
            `ALTER TABLE ${T} ALTER COLUMN "total" TYPE numeric(14,4) USING "total"::numeric(14,4)`,
            `ALTER TABLE ${T} ALTER COLUMN "total" SET DEFAULT 0.0000`,
            `ALTER TABLE ${T} ALTER COLUMN "customerid" TYPE bigint USING "customerid"::bigint`,
            `ALTER TABLE ${T} ALTER COLUMN "note" TYPE text USING "note"::text`,
            `ALTER TABLE ${T} ALTER COLUMN "flags" TYPE bit(8) USING "flags"::bigint::bit(8)`,
        ]);
        expect(r.mapping.source.columns.find((c) => c.name === "Note")).toMatchObject({ dataType: "text", ordinal: 5, comment: "" });
    });

    it("renames (CHANGE and RENAME COLUMN), nullability and defaults", () => {
        const r = pg("ALTER TABLE Orders CHANGE COLUMN `note` `remark` varchar(100) NOT NULL DEFAULT '-', RENAME COLUMN total TO amount, ALTER COLUMN amount SET DEFAULT 1, ALTER CustomerId DROP DEFAULT");
        expect(r.statements).toEqual([
            `ALTER TABLE ${T} RENAME COLUMN "note" TO "remark"`,
            `ALTER TABLE ${T} ALTER COLUMN "remark" SET NOT NULL`,
            `ALTER TABLE ${T} ALTER COLUMN "remark" SET DEFAULT '-'`,
            `ALTER TABLE ${T} RENAME COLUMN "total" TO "amount"`,
            `ALTER TABLE ${T} ALTER COLUMN "amount" SET DEFAULT 1.00`,
            `ALTER TABLE ${T} ALTER COLUMN "customerid" DROP DEFAULT`,
        ]);
        expect(r.mapping.source.indexes.find((i) => i.name === "uk_note")!.columns[0].name).toBe("remark");
        expect(r.mapping.columns.map((c) => c.target)).toEqual(["id", "status", "amount", "customerid", "remark", "created", "flags"]);
    });

    it("ENUM members: the CHECK is replaced, renamed with its column, dropped when the column stops being an ENUM", () => {
        expect(pg("ALTER TABLE Orders MODIFY status enum('new','paid','void') NOT NULL DEFAULT 'void'").statements).toEqual([
            `ALTER TABLE ${T} DROP CONSTRAINT IF EXISTS "${statusCheck}"`,
            `ALTER TABLE ${T} ALTER COLUMN "status" SET DEFAULT 'void'`,
            `ALTER TABLE ${T} ADD CONSTRAINT "${statusCheck}" CHECK ("status" IN ('', 'new', 'paid', 'void'))`,
        ]);
        expect(pg("ALTER TABLE Orders RENAME COLUMN status TO state").statements).toEqual([
            `ALTER TABLE ${T} RENAME COLUMN "status" TO "state"`,
            `ALTER TABLE ${T} RENAME CONSTRAINT "${statusCheck}" TO "${derivedName(["orders", "state"], "check")}"`,
        ]);
        expect(pg("ALTER TABLE Orders MODIFY status varchar(10) NOT NULL DEFAULT 'new'").statements).toEqual([
            `ALTER TABLE ${T} DROP CONSTRAINT IF EXISTS "${statusCheck}"`,
            `ALTER TABLE ${T} ALTER COLUMN "status" DROP DEFAULT`,
            `ALTER TABLE ${T} ALTER COLUMN "status" TYPE varchar(10) USING "status"::varchar(10)`,
            `ALTER TABLE ${T} ALTER COLUMN "status" SET DEFAULT 'new'`,
        ]);
    });

    it("CHAR takes MySQL's trailing-space stripping; date → datetime converts", () => {
        const create = "CREATE TABLE Orders (id int NOT NULL, code varchar(5), d date, PRIMARY KEY (id))";
        const { task, mapping } = setup("postgres", [{ database: "shop" }], {}, create);
        const r = alterForPostgres(mapping, alterationOf(mapping.source, parseAlterTable("ALTER TABLE Orders MODIFY code char(5), MODIFY d datetime", "shop")), task);
        expect(r.statements).toEqual([
            `ALTER TABLE ${T} ALTER COLUMN "code" TYPE varchar(5) USING rtrim("code", ' ')::varchar(5)`,
            `ALTER TABLE ${T} ALTER COLUMN "d" TYPE timestamp(0) without time zone USING "d"::timestamp(0) without time zone`,
        ]);
    });

    it("type changes whose values PostgreSQL would convert differently stop with recovery steps", () => {
        const e = untranslatable(() => pg("ALTER TABLE Orders MODIFY created timestamp(6) NOT NULL"));
        expect(e.reason).toBe('the type change of column "created" from datetime(6) to timestamp(6) cannot be followed: MySQL reads DATETIME values as TIMESTAMP in the source session\'s time zone, which the destination does not know');
        expect(e.fix).toBe(
            'To recover: 1. the table with the changed column type is "shop"."orders" (source shop.Orders); ' +
                '2. create a new table with the updated schema in the destination, e.g. "shop"."orders_new"; ' +
                '3. copy the data from "shop"."orders" into "shop"."orders_new" with INSERT INTO "shop"."orders_new" SELECT … FROM "shop"."orders", converting column "created" as the source did; ' +
                '4. rename or delete the original "shop"."orders", then rename "shop"."orders_new" to "orders"; ' +
                '5. restart the migration task: it resumes at this statement, so leave "alter-table" out of the table\'s ddl selection (ddl: [...] at table, database or task level) and run pulumi up; the task\'s status lists the statement as skipped',
        );
        expect(e.statement).toBe("ALTER TABLE Orders MODIFY created timestamp(6) NOT NULL");
        expect(untranslatable(() => pg("ALTER TABLE Orders MODIFY note int")).reason).toMatch(/from varchar\(100\) to int cannot be followed: MySQL converts text to integer leniently/);
        expect(untranslatable(() => pg("ALTER TABLE Orders MODIFY created varchar(30) NOT NULL")).reason).toMatch(/PostgreSQL writes datetime values as text differently/);
        expect(untranslatable(() => pg("ALTER TABLE Orders MODIFY status int NOT NULL")).reason).toMatch(/by member index/);
        expect(untranslatable(() => pg("ALTER TABLE Orders MODIFY note varbinary(100)")).reason).toMatch(/bytes/);
        expect(untranslatable(() => pg("ALTER TABLE Orders MODIFY CustomerId year NOT NULL")).reason).toMatch(/YEAR/);
        expect(untranslatable(() => pg("ALTER TABLE Orders MODIFY note binary(100)")).reason).toMatch(/cannot be followed/);
        const { task, mapping } = setup("postgres", [{ database: "shop" }], {}, "CREATE TABLE Orders (id int NOT NULL PRIMARY KEY, doc json)");
        expect(untranslatable(() => alterForPostgres(mapping, alterationOf(mapping.source, parseAlterTable("ALTER TABLE Orders MODIFY doc longtext", "shop")), task)).reason).toMatch(/jsonb holds the JSON normalized/);
        expect(alterForPostgres(mapping, alterationOf(mapping.source, parseAlterTable("ALTER TABLE Orders MODIFY doc json NOT NULL", "shop")), task).statements).toEqual([`ALTER TABLE ${T} ALTER COLUMN "doc" SET NOT NULL`]);
        expect(untranslatable(() => pg("ALTER TABLE Orders MODIFY total decimal(12,2) AS (id * 2) STORED")).reason).toMatch(/becomes generated/);
    });

    it("AnalyticDB cannot change the type of a distribution key column", () => {
        const e = untranslatable(() => pg("ALTER TABLE Orders MODIFY id bigint NOT NULL", undefined, { destination: { connectionId: "dst", engine: "analyticdb-postgresql" } }));
        expect(e.reason).toMatch(/distribution key/);
        expect(e.fix).toMatch(/^To recover: /);
        expect(pg("ALTER TABLE Orders MODIFY id bigint NOT NULL").statements).toEqual([`ALTER TABLE ${T} ALTER COLUMN "id" TYPE bigint USING "id"::bigint`]);
    });

    it("notes a row filter that names a dropped or renamed column", () => {
        const r = pg("ALTER TABLE Orders RENAME COLUMN status TO state", [{ database: "shop", tables: [{ name: "Orders", where: "status <> 'void'" }] }]);
        expect(r.notes).toEqual(["the table's row filter (where) names column status, which was renamed to state; update objects[].tables[].where"]);
    });
});

describe("PostgreSQL: keys and indexes", () => {
    it("ADD INDEX / UNIQUE as createIndexSqls would create them; prefix and FULLTEXT left out with a note", () => {
        const r = pg("ALTER TABLE Orders ADD INDEX idx_total (total DESC), ADD UNIQUE KEY (CustomerId, created), ADD INDEX idx_p (note(10)), ADD FULLTEXT ft (note)");
        expect(r.statements).toEqual([
            `CREATE INDEX "${derivedName(["orders", "idx_total"], "idx")}" ON ${T} ("total" DESC)`,
            `CREATE UNIQUE INDEX "${derivedName(["orders", "CustomerId"], "key")}" ON ${T} ("customerid", "created")`,
        ]);
        expect(r.notes).toEqual(["index idx_p is not migrated: prefix indexes cannot be migrated (note(10))", "index ft is not migrated: FULLTEXT indexes have no PostgreSQL equivalent"]);
        expect(r.mapping.source.indexes.map((i) => `${i.name}:${i.unique}`)).toEqual([
            // In the server's key order: unique keys on NOT NULL columns, then with prefixes; FULLTEXT last.
            "CustomerId:true", "uk_note:true", "idx_created:false", "idx_cust_created:false", "idx_total:false", "idx_p:false", "ft:false",
        ]);
    });

    it("DROP INDEX / RENAME INDEX by their PostgreSQL names; indexes PostgreSQL never had are passed over", () => {
        const r = pg("ALTER TABLE Orders DROP INDEX idx_created, RENAME INDEX idx_cust_created TO idx_c, DROP KEY uk_note");
        expect(r.statements).toEqual([
            `DROP INDEX IF EXISTS "shop"."${derivedName(["orders", "idx_created"], "idx")}"`,
            `ALTER INDEX IF EXISTS "shop"."${derivedName(["orders", "idx_cust_created"], "idx")}" RENAME TO "${derivedName(["orders", "idx_c"], "idx")}"`,
        ]);
        expect(r.mapping.source.indexes.map((i) => i.name)).toEqual(["idx_c"]);
    });

    it("primary key: dropped whatever PostgreSQL named it, added when the key is complete; the mapping's key follows", () => {
        const r = pg("ALTER TABLE Orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, CustomerId)");
        expect(r.statements).toEqual([
            `DO $dts$DECLARE n name; BEGIN SELECT conname INTO n FROM pg_constraint WHERE conrelid = '"shop"."orders"'::regclass AND contype = 'p'; ` +
                `IF n IS NOT NULL THEN EXECUTE format('ALTER TABLE "shop"."orders" DROP CONSTRAINT %I', n); END IF; END$dts$`,
            `ALTER TABLE ${T} ADD PRIMARY KEY ("id", "customerid")`,
        ]);
        expect(r.mapping.key).toEqual(["id", "CustomerId"]);
        const d = pg("ALTER TABLE Orders DROP PRIMARY KEY");
        expect(d.mapping.key).toBeNull();
        const sub = pg("ALTER TABLE Orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, status)", [{ database: "shop", tables: [{ name: "Orders", columns: ["id", "total"] }] }]);
        expect(sub.statements).toEqual([r.statements[0]]);
        expect(sub.notes).toEqual(["primary key (id, status) is not created: not all its columns are migrated"]);
        expect(sub.mapping.key).toBeNull();
        expect(pg("ALTER TABLE Orders ADD PRIMARY KEY (status)").notes).toEqual(["ADD PRIMARY KEY (status): nothing to do (the table already has a primary key)"]);
    });

    it("foreign keys and CHECK constraints are not migrated to PostgreSQL (as in schema migration)", () => {
        const r = pg("ALTER TABLE Orders ADD CONSTRAINT fk_c FOREIGN KEY (CustomerId) REFERENCES customers (id), ADD CONSTRAINT chk_t CHECK (total >= 0), DROP FOREIGN KEY fk_c, DROP CHECK chk_t");
        expect(r.statements).toEqual([]);
        expect(r.notes).toEqual(["foreign key fk_c is not migrated", "CHECK constraint chk_t (total >= 0) is not migrated"]);
    });

    it("ALTER IGNORE with a unique key deletes rows behind the binlog's back: refused", () => {
        expect(untranslatable(() => pg("ALTER IGNORE TABLE Orders ADD UNIQUE (CustomerId)")).reason).toMatch(/deletes duplicate rows/);
    });

    it("CREATE INDEX / DROP INDEX statements go through the same translation", () => {
        const { task, mapping } = setup("postgres");
        const c = alterForPostgres(mapping, alterationOf(mapping.source, parseIndexStatement("CREATE UNIQUE INDEX uk_c ON Orders (CustomerId) ALGORITHM=INPLACE", "shop")!), task);
        expect(c.statements).toEqual([`CREATE UNIQUE INDEX "${derivedName(["orders", "uk_c"], "key")}" ON ${T} ("customerid")`]);
        const d = alterForPostgres(c.mapping, alterationOf(c.mapping.source, parseIndexStatement("DROP INDEX uk_c ON Orders", "shop")!), task);
        expect(d.statements).toEqual([`DROP INDEX IF EXISTS "shop"."${derivedName(["orders", "uk_c"], "key")}"`]);
    });
});

describe("PostgreSQL: tables", () => {
    it("RENAME TO (last, as MySQL applies it) renames the indexes and checks named after the table", () => {
        const r = pg("ALTER TABLE Orders RENAME TO Orders_2024, ADD COLUMN x int");
        expect(r.statements).toEqual([
            `ALTER TABLE ${T} ADD COLUMN "x" integer`,
            `ALTER TABLE ${T} RENAME TO "orders_2024"`,
            `ALTER INDEX IF EXISTS "shop"."${derivedName(["orders", "idx_created"], "idx")}" RENAME TO "${derivedName(["orders_2024", "idx_created"], "idx")}"`,
            `ALTER INDEX IF EXISTS "shop"."${derivedName(["orders", "idx_cust_created"], "idx")}" RENAME TO "${derivedName(["orders_2024", "idx_cust_created"], "idx")}"`,
            `ALTER TABLE "shop"."orders_2024" RENAME CONSTRAINT "${statusCheck}" TO "${derivedName(["orders_2024", "status"], "check")}"`,
        ]);
        expect(r.mapping).toMatchObject({ targetSchema: "shop", targetTable: "orders_2024", source: { database: "shop", name: "Orders_2024" } });
        expect(r.mapping.columns.map((c) => c.target)).toContain("x");
    });

    it("RENAME TABLE into another selected database moves the table; into one not selected is refused", () => {
        const { task, mapping } = setup("postgres", [{ database: "shop" }, { database: "archive", renameTo: "Old" }]);
        const r = renameTableForPostgres(mapping, { database: "archive", name: "orders" }, task);
        expect(r.statements).toEqual(['CREATE SCHEMA IF NOT EXISTS "old"', `ALTER TABLE ${T} SET SCHEMA "old"`]);
        expect(r.mapping).toMatchObject({ targetSchema: "old", targetTable: "orders", source: { database: "archive", name: "orders" } });
        const e = untranslatable(() => renameTableForPostgres(mapping, { database: "elsewhere", name: "t" }, task));
        expect(e.reason).toBe("the table is renamed to elsewhere.t, which the task does not migrate");
        const custom = renameTableForPostgres(mapping, { database: "shop", name: "o2" }, task, { resolveTable: () => ({ schema: "shop", table: "orders_v2" }) });
        expect(custom.statements[0]).toBe(`ALTER TABLE ${T} RENAME TO "orders_v2"`);
    });

    it("DROP and TRUNCATE", () => {
        const { mapping } = setup("postgres");
        expect(dropTableForPostgres(mapping)).toBe(`DROP TABLE IF EXISTS ${T}`);
        expect(truncateForPostgres(mapping)).toBe(`TRUNCATE TABLE ${T}`);
    });

    it("options, charsets, harmless partitioning need nothing; row-removing partition operations and unsupported clauses stop", () => {
        const r = pg("ALTER TABLE Orders ENGINE=InnoDB, COMMENT 'x', ALGORITHM=INSTANT, CONVERT TO CHARACTER SET utf8mb4, ADD PARTITION (PARTITION p9 VALUES LESS THAN MAXVALUE), ALTER COLUMN note SET INVISIBLE");
        expect(r.statements).toEqual([]);
        expect(r.notes).toEqual([
            "CONVERT TO CHARACTER SET utf8mb4: character sets need no change in PostgreSQL",
            "ADD PARTITION (PARTITION p9 VALUES LESS THAN MAXVALUE): partitioning is not reproduced in PostgreSQL",
        ]);
        expect(r.mapping.source.columns.find((c) => c.name === "note")!.invisible).toBe(true);
        expect(untranslatable(() => pg("ALTER TABLE Orders TRUNCATE PARTITION p1")).reason).toBe("TRUNCATE PARTITION removes or moves the partition's rows on the source without logging them as row changes");
        const e = untranslatable(() => pg("ALTER TABLE Orders ADD INDEX fx ((lower(note)))"));
        expect(e.reason).toBe("functional key parts (expressions) cannot be represented: ADD INDEX fx ((lower(note)))");
        expect(e.fix).toMatch(/leave "alter-table" out of the task's ddl selection/);
    });
});

describe("MySQL: ALTER TABLE re-rendered for the destination", () => {
    it("keeps the source's definitions, puts the destination's table name, drops ALGORITHM/LOCK", () => {
        const r = my(
            "ALTER TABLE `Orders` ADD COLUMN `paid_at` datetime(6) NULL DEFAULT NULL AFTER `status`, MODIFY `note` varchar(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '' COMMENT 'it''s', " +
                "ADD UNIQUE KEY `uk_c` (`CustomerId`, `created`) USING BTREE, DROP INDEX idx_created, ENGINE=InnoDB, ALGORITHM=INPLACE, LOCK=NONE",
            [{ database: "shop", renameTo: "shop_copy" }],
        );
        expect(r.statements).toEqual([
            "ALTER TABLE `shop_copy`.`Orders` ADD COLUMN `paid_at` datetime(6) NULL DEFAULT NULL AFTER `status`, " +
                "MODIFY COLUMN `note` varchar(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '' COMMENT 'it''s', " +
                "ADD UNIQUE INDEX `uk_c` (`CustomerId`, `created`) USING BTREE, DROP INDEX `idx_created`, ENGINE=InnoDB",
        ]);
        expect(r.notes).toEqual(["ALGORITHM, LOCK left out: they are about the source server"]);
        expect(r.mapping.source.columns.map((c) => `${c.ordinal}:${c.name}`)).toEqual(["1:id", "2:status", "3:paid_at", "4:total", "5:CustomerId", "6:note", "7:created", "8:flags"]);
    });

    it("renamed columns: CHANGE/RENAME/DROP use destination names, positions skip columns not migrated, ADD COLUMN is ignored", () => {
        const objects = [{ database: "shop", tables: [{ name: "Orders", renameTo: "orders_v2", columns: ["id", { name: "total", renameTo: "amount" }, "created", "note"] }] }];
        const r = my(
            "ALTER TABLE Orders CHANGE total total decimal(14,2) NOT NULL DEFAULT '0.00' AFTER CustomerId, CHANGE note remark varchar(100), ADD extra int, DROP COLUMN flags, " +
                "ALTER COLUMN created SET DEFAULT (now(6)), ADD INDEX ix_amount (total, status), ADD INDEX ix_a2 (total)",
            objects,
        );
        expect(r.statements).toEqual([
            "ALTER TABLE `shop`.`orders_v2` MODIFY COLUMN `amount` decimal(14,2) NOT NULL DEFAULT '0.00' AFTER `id`" +
                ", CHANGE COLUMN `note` `remark` varchar(100), ALTER COLUMN `created` SET DEFAULT (now(6)), ADD INDEX `ix_a2` (`amount`)",
        ]);
        expect(r.notes).toEqual([
            "column extra added on the source is not migrated: the task lists the table's columns",
            "column flags is not migrated: nothing to drop",
            "index ix_amount is not created: column(s) status are not migrated",
        ]);
        expect(r.mapping.columns.map((c) => `${c.source.name}→${c.target}`)).toEqual(["id→id", "total→amount", "remark→remark", "created→created"]);
    });

    it("column references inside generated columns and checks follow renames; one to a column not migrated is refused", () => {
        const r = my("ALTER TABLE Orders ADD COLUMN `Gross` decimal(14,2) AS (`total` * 1.2) STORED, ADD CONSTRAINT chk CHECK (total >= 0 AND note <> 'total')", undefined, { nameCase: "upper" });
        expect(r.statements).toEqual([
            "ALTER TABLE `SHOP`.`ORDERS` ADD COLUMN `GROSS` decimal(14,2) AS (`TOTAL` * 1.2) STORED, ADD CONSTRAINT `chk` CHECK (`TOTAL` >= 0 AND `NOTE` <> 'total')",
        ]);
        const objects = [{ database: "shop", tables: [{ name: "Orders", columns: ["id", "total"] }] }];
        const e = untranslatable(() => my("ALTER TABLE Orders MODIFY total decimal(12,2) AS (CustomerId * 2) VIRTUAL", objects));
        expect(e.reason).toBe("column total references column CustomerId, which is not migrated");
        const c = my("ALTER TABLE Orders ADD CHECK (CustomerId > 0)", objects);
        expect(c.statements).toEqual([]);
        expect(c.notes).toEqual(["CHECK constraint Orders_chk_1 is not created: it references column CustomerId, which is not migrated"]);
    });

    it("keys: primary key, constraints named as on the source, FULLTEXT, IF NOT EXISTS, options", () => {
        const r = my("ALTER TABLE Orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, created), ADD CONSTRAINT uq UNIQUE (CustomerId), ADD FULLTEXT KEY ft (note) WITH PARSER ngram, ADD KEY IF NOT EXISTS k (flags) COMMENT 'f', RENAME INDEX idx_created TO ix_created");
        expect(r.statements).toEqual([
            "ALTER TABLE `shop`.`Orders` DROP PRIMARY KEY, ADD PRIMARY KEY (`id`, `created`), ADD CONSTRAINT `uq` UNIQUE INDEX `uq` (`CustomerId`), " +
                "ADD FULLTEXT INDEX `ft` (`note`) WITH PARSER ngram, ADD INDEX IF NOT EXISTS `k` (`flags`) COMMENT 'f', RENAME INDEX `idx_created` TO `ix_created`",
        ]);
        expect(r.mapping.key).toEqual(["id", "created"]);
    });

    it("foreign keys: to the same table, through resolveReference, to a table not migrated, or refused without a resolver", () => {
        const { task, mapping } = setup("mysql");
        const self = alterForMysql(mapping, alterationOf(mapping.source, parseAlterTable("ALTER TABLE Orders ADD FOREIGN KEY (CustomerId) REFERENCES Orders (id) ON DELETE CASCADE", "shop")), task);
        expect(self.statements).toEqual(["ALTER TABLE `shop`.`Orders` ADD CONSTRAINT `Orders_ibfk_1` FOREIGN KEY (`CustomerId`) REFERENCES `shop`.`Orders` (`id`) ON DELETE CASCADE ON UPDATE RESTRICT"]);
        const sql = parseAlterTable("ALTER TABLE Orders ADD CONSTRAINT fk_c FOREIGN KEY (CustomerId) REFERENCES crm.customers (id)", "shop");
        const resolved = alterForMysql(mapping, alterationOf(mapping.source, sql), task, { resolveReference: (db, t) => (db === "crm" ? { schema: "crm_copy", table: t.toUpperCase(), columnName: (c) => `c_${c}` } : null) });
        expect(resolved.statements).toEqual(["ALTER TABLE `shop`.`Orders` ADD CONSTRAINT `fk_c` FOREIGN KEY (`CustomerId`) REFERENCES `crm_copy`.`CUSTOMERS` (`c_id`) ON DELETE RESTRICT ON UPDATE RESTRICT"]);
        const skipped = alterForMysql(mapping, alterationOf(mapping.source, sql), task, { resolveReference: () => null });
        expect(skipped.statements).toEqual([]);
        expect(skipped.notes).toEqual(["foreign key fk_c is not created: it references crm.customers, which is not migrated"]);
        expect(untranslatable(() => alterForMysql(mapping, alterationOf(mapping.source, sql), task)).reason).toBe("foreign key fk_c references crm.customers, whose destination is not known here");
        const drop = alterForMysql(resolved.mapping, alterationOf(resolved.mapping.source, parseAlterTable("ALTER TABLE Orders DROP FOREIGN KEY fk_c, DROP CONSTRAINT nope", "shop")), task);
        expect(drop.statements).toEqual(["ALTER TABLE `shop`.`Orders` DROP FOREIGN KEY fk_c"]);
        expect(drop.notes).toEqual(["DROP CONSTRAINT nope: nothing to do (constraint nope is not in the model)"]);
    });

    it("RENAME TO, IGNORE, CONVERT, partitioning and unsupported clauses", () => {
        expect(my("ALTER IGNORE TABLE Orders ADD UNIQUE (note), RENAME TO orders_old", [{ database: "shop", renameTo: "copy" }]).statements).toEqual([
            "ALTER IGNORE TABLE `copy`.`Orders` ADD UNIQUE INDEX `note` (`note`), RENAME TO `copy`.`orders_old`",
        ]);
        expect(my("ALTER TABLE Orders CONVERT TO CHARACTER SET latin1").statements).toEqual(["ALTER TABLE `shop`.`Orders` CONVERT TO CHARACTER SET latin1"]);
        const part = my("ALTER TABLE Orders PARTITION BY HASH(id) PARTITIONS 4");
        expect(part.statements).toEqual([]);
        expect(part.notes).toEqual(["PARTITION BY HASH(id) PARTITIONS 4: partitioning is not reproduced on the destination (schema migration creates tables without it)"]);
        expect(untranslatable(() => my("ALTER TABLE Orders DROP PARTITION p0, p1")).reason).toBe("DROP PARTITION removes or moves the partition's rows on the source without logging them as row changes");
        expect(untranslatable(() => my("ALTER TABLE Orders DISCARD TABLESPACE")).reason).toMatch(/^DISCARD TABLESPACE replaces the table's data outside the binary log/);
    });

    it("RENAME TABLE helper", () => {
        const { task, mapping } = setup("mysql", [{ database: "shop", renameTo: "dst" }]);
        const r = renameTableForMysql(mapping, { database: "shop", name: "orders_old" }, task);
        expect(r.statements).toEqual(["RENAME TABLE `dst`.`Orders` TO `dst`.`orders_old`"]);
        expect(r.mapping).toMatchObject({ targetSchema: "dst", targetTable: "orders_old", source: { name: "orders_old" } });
    });
});
