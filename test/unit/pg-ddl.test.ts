import { describe, expect, it } from "vitest";
import { createIndexSqls, createSchemaSql, createTableSql, SchemaNameError, TableDdlError } from "../../provider/connectors/postgres/ddl";
import { translateDefault, unescapeMysqlLiteral } from "../../provider/connectors/postgres/defaults";
import { valueKind, UnsupportedColumnError } from "../../provider/connectors/postgres/type-map";
import type { SourceColumn } from "../../provider/engine/model";
import { col, index, mapping } from "./pg-fixtures";

const pg = { floatPrecision: { float: 38, double: 308 }, analyticdb: false };
const adb = (distributionKey?: string[]) => ({ ...pg, analyticdb: true, distributionKey });

function tableError(fn: () => unknown): TableDdlError {
    try {
        fn();
    } catch (e) {
        expect(e).toBeInstanceOf(TableDdlError);
        return e as TableDdlError;
    }
    throw new Error("expected a TableDdlError");
}

describe("CREATE SCHEMA / CREATE TABLE for PostgreSQL", () => {
    it("creates the schema idempotently, quoted", () => {
        expect(createSchemaSql("Shop")).toBe('CREATE SCHEMA IF NOT EXISTS "Shop"');
        expect(createSchemaSql('a"b')).toBe('CREATE SCHEMA IF NOT EXISTS "a""b"');
    });

    it("refuses schema names PostgreSQL reserves (pg_*), pointing at renameTo", () => {
        expect(() => createSchemaSql("pg_stats_app")).toThrow(SchemaNameError);
        expect(() => createSchemaSql("PG_x")).toThrow(/renameTo/);
    });

    it("uses target names, mapped types, NOT NULL, defaults, ENUM checks and the primary key", () => {
        const m = mapping([
            col("id", "bigint(20) unsigned", { nullable: false, extra: "auto_increment" }),
            col("status", "enum('new','paid')", { nullable: false, defaultValue: "'new'" }),
            col("total", "decimal(12,2)", { defaultValue: "0.00" }),
            col("created", "timestamp(6)", { nullable: false, defaultValue: "current_timestamp(6)", extra: "on update current_timestamp(6)" }),
        ], { primaryKey: ["id"] }, { id: "order_id" });
        const { sql, notes } = createTableSql(m, pg);
        expect(sql).toBe([
            'CREATE TABLE "shop"."orders" (',
            '    "order_id" numeric(20,0) NOT NULL,',
            `    "status" text NOT NULL DEFAULT 'new',`,
            `    CONSTRAINT "orders_status_check_${sql.match(/orders_status_check_([0-9a-f]{8})/)?.[1]}" CHECK ("status" IN ('', 'new', 'paid')),`,
            '    "total" numeric(12,2) DEFAULT 0.00,',
            '    "created" timestamp(6) with time zone DEFAULT CURRENT_TIMESTAMP,',
            '    PRIMARY KEY ("order_id")',
            ")",
        ].join("\n"));
        expect(notes).toEqual(expect.arrayContaining([
            expect.stringMatching(/"order_id" is AUTO_INCREMENT/),
            expect.stringMatching(/"created" is nullable in PostgreSQL: MySQL zero dates/),
            expect.stringMatching(/"created": ON UPDATE current_timestamp\(6\) is not reproduced/),
        ]));
    });

    it("no PRIMARY KEY when the mapping's key is only a unique key", () => {
        const m = mapping([col("email", "varchar(100)", { nullable: false })], { indexes: [index("uk_email", ["email"], { unique: true })] });
        expect(m.key).toEqual(["email"]);
        expect(createTableSql(m, pg).sql).not.toMatch(/PRIMARY KEY/);
    });

    it("refuses spatial columns with the column named", () => {
        expect(() => createTableSql(mapping([col("id", "int"), col("shape", "point")]), pg)).toThrow(UnsupportedColumnError);
        expect(() => createTableSql(mapping([col("id", "int"), col("shape", "point")]), pg)).toThrow(/"shape"/);
    });

    it("reports omitted source features as notes", () => {
        const m = mapping([col("a", "int"), col("doc", "longtext", { isJson: true })], {
            checks: [{ name: "doc", clause: "json_valid(`doc`)" }, { name: "a_pos", clause: "`a` > 0" }],
            foreignKeys: [{ name: "fk_c", columns: ["a"], referencedDatabase: "shop", referencedTable: "c", referencedColumns: ["id"], onUpdate: "CASCADE", onDelete: "CASCADE" }],
        });
        const { notes } = createTableSql(m, pg);
        expect(notes).toEqual(["CHECK constraint a_pos (`a` > 0) is not migrated", "foreign key fk_c is not migrated"]);
    });

    it("rejects columns that collide after PostgreSQL's 63-byte truncation", () => {
        const long = "x".repeat(63);
        const e = tableError(() => createTableSql(mapping([col(`${long}a`, "int"), col(`${long}b`, "int")]), pg));
        expect(e.table).toBe("shop.orders");
        expect(e.message).toMatch(/truncates/);
    });

    it("ignores distributionKey for plain PostgreSQL, with a note", () => {
        const r = createTableSql(mapping([col("id", "int", { nullable: false })], { primaryKey: ["id"] }), { ...pg, distributionKey: ["id"] });
        expect(r.sql).not.toMatch(/DISTRIBUTED/);
        expect(r.notes).toContain("distributionKey applies to AnalyticDB for PostgreSQL only and was ignored");
    });
});

describe("defaults", () => {
    const d = (columnType: string, defaultValue: string | null, extra: Partial<SourceColumn> = {}) => {
        const c = col("c", columnType, { defaultValue, ...extra });
        return translateDefault(c, valueKind(c));
    };

    it.each([
        ["varchar(10)", "'it''s \\\\ x'", "'it''s \\ x'"],
        ["varchar(10)", "'NULL'", "'NULL'"],
        ["varchar(10)", "NULL", null],
        ["int(11)", "5", "5"],
        ["int(11)", "-5", "-5"],
        ["double", "1.5e10", "1.5e10"],
        ["decimal(5,2)", "1.50", "1.50"],
        ["datetime", "current_timestamp()", "CURRENT_TIMESTAMP"],
        ["timestamp(6)", "CURRENT_TIMESTAMP(6)", "CURRENT_TIMESTAMP"],
        ["date", "curdate()", "CURRENT_DATE"],
        ["datetime", "'2020-01-02 03:04:05'", "'2020-01-02 03:04:05'"],
        ["timestamp", "'2020-01-02 03:04:05'", "'2020-01-02 03:04:05+00'"],
        ["time", "'-01:00:00'", "'-01:00:00'"],
        ["bit(3)", "b'1'", "B'001'"],
        ["bit(8)", "5", "B'00000101'"],
        ["enum('a','b')", "'b'", "'b'"],
        ["enum('a','b')", "b", "'b'"],
        ["set('a','b')", "a,b", "'a,b'"],
        ["json", "'{}'", "'{}'"],
        ["year(4)", "2020", "2020"],
        ["varchar(10)", "7", "'7'"],
    ])("%s DEFAULT %s → %s", (type, raw, expected) => {
        expect(d(type, raw)).toEqual({ sql: expected });
    });

    it.each([
        ["varchar(40)", "uuid()", /expression/],
        ["datetime", "'0000-00-00 00:00:00'", /zero dates/],
        ["date", "'2020-00-01'", /zero dates/],
        ["varbinary(4)", "'\\0?'", /binary/],
        ["int(11)", "'abc'", /not a number/],
        ["json", "'{'", /not valid JSON/],
        ["varchar(5)", "'a\\0b'", /U\+0000/],
        ["bit(2)", "b'111'", /wider/],
        ["int(11)", "(rand())", /expression/],
        ["varchar(10)", "abc", /expression/],
        ["int(11)", "current_timestamp()", /not a timestamp column/],
    ])("%s DEFAULT %s is omitted", (type, raw, why) => {
        const r = d(type, raw);
        expect(r).toHaveProperty("omitted");
        if ("omitted" in r) expect(r.omitted).toMatch(why);
    });

    it("MySQL 8 expression defaults are never read as literals", () => {
        expect(d("varchar(10)", "7", { extra: "DEFAULT_GENERATED" })).toHaveProperty("omitted");
    });

    it("undoes MySQL literal escapes", () => {
        expect(unescapeMysqlLiteral("a''b\\\\c\\nd\\0\\%\\Z")).toBe("a'b\\c\nd\u0000\\%\u001a");
    });
});

describe("secondary indexes", () => {
    const cols = () => [col("id", "int", { nullable: false }), col("email", "varchar(100)"), col("name", "varchar(50)"), col("bio", "text"), col("geo", "int")];

    it("creates migratable indexes with table-prefixed, hashed names; skips the rest with notes", () => {
        const m = mapping(cols(), {
            primaryKey: ["id"],
            indexes: [
                index("uk_email", ["email"], { unique: true }),
                index("ix_name_desc", ["name", "id"], { columns: [{ name: "name", prefixLength: null, descending: true }, { name: "id", prefixLength: null, descending: false }] }),
                index("ix_bio", [["bio", 20]]),
                index("ft_bio", ["bio"], { kind: "FULLTEXT" }),
                index("ix_geo", ["geo"]),
            ],
        }, { email: "mail" });
        m.columns = m.columns.filter((c) => c.source.name !== "geo");
        const { sqls, notes } = createIndexSqls(m);
        expect(sqls).toHaveLength(2);
        expect(sqls[0]).toMatch(/^CREATE UNIQUE INDEX "orders_uk_email_key_[0-9a-f]{8}" ON "shop"."orders" \("mail"\)$/);
        expect(sqls[1]).toMatch(/^CREATE INDEX "orders_ix_name_desc_idx_[0-9a-f]{8}" ON "shop"."orders" \("name" DESC, "id"\)$/);
        expect(notes).toEqual([
            "index ix_bio is not migrated: prefix indexes cannot be migrated (bio(20))",
            "index ft_bio is not migrated: FULLTEXT indexes have no PostgreSQL equivalent",
            "index ix_geo is not migrated: column geo is not migrated",
        ]);
    });

    it("index names fit 63 bytes and differ between tables", () => {
        const long = "i".repeat(70);
        const a = mapping([col("id", "int")], { indexes: [index(long, ["id"])] });
        const b = { ...mapping([col("id", "int")], { indexes: [index(long, ["id"])] }), targetTable: "orders2" };
        const [na] = createIndexSqls(a).sqls.map((s) => /INDEX "([^"]+)"/.exec(s)?.[1] ?? "");
        const [nb] = createIndexSqls(b).sqls.map((s) => /INDEX "([^"]+)"/.exec(s)?.[1] ?? "");
        expect(Buffer.byteLength(na)).toBeLessThanOrEqual(63);
        expect(na).not.toBe(nb);
    });
});

describe("AnalyticDB for PostgreSQL distribution keys", () => {
    const table = (indexes = [index("uk_tenant_email", ["tenant", "email"], { unique: true })]) => mapping([
        col("tenant", "int", { nullable: false }), col("id", "bigint", { nullable: false }), col("email", "varchar(100)", { nullable: false }),
    ], { primaryKey: ["tenant", "id"], indexes }, { tenant: "tenant_id" });

    it("DISTRIBUTED BY the requested key, in target names (source names accepted)", () => {
        expect(createTableSql(table(), adb(["tenant_id"])).sql).toMatch(/\n\) DISTRIBUTED BY \("tenant_id"\)$/);
        expect(createTableSql(table(), adb(["tenant"])).sql).toMatch(/DISTRIBUTED BY \("tenant_id"\)$/);
    });

    it("the key must be a subset of the primary key", () => {
        const e = tableError(() => createTableSql(table(), adb(["email"])));
        expect(e.table).toBe("shop.orders");
        expect(e.message).toBe('table shop.orders: distribution key (email) must be a subset of the primary key (tenant_id, id); "email" is not in it');
    });

    it("every unique key must contain the whole distribution key", () => {
        const e = tableError(() => createTableSql(table(), adb(["tenant_id", "id"])));
        expect(e.message).toMatch(/unique key uk_tenant_email \(tenant_id, email\) must include every distribution key column; it lacks "id"/);
    });

    it("unknown and repeated columns are named", () => {
        expect(tableError(() => createTableSql(table(), adb(["nope"]))).message).toMatch(/"nope" is not a migrated column \(columns: tenant_id, id, email\)/);
        expect(tableError(() => createTableSql(table(), adb(["tenant_id", "tenant"]))).message).toMatch(/lists column "tenant_id" twice/);
    });

    it("without a requested key: the primary-key columns every unique key contains", () => {
        expect(createTableSql(table(), adb()).sql).toMatch(/DISTRIBUTED BY \("tenant_id"\)$/);
        expect(createTableSql(table([]), adb()).sql).toMatch(/DISTRIBUTED BY \("tenant_id", "id"\)$/);
    });

    it("without a requested key and no common column, explains why", () => {
        const e = tableError(() => createTableSql(table([index("uk_email", ["email"], { unique: true })]), adb()));
        expect(e.message).toMatch(/no column is shared by the primary key and all unique keys \(uk_email: email\)/);
    });

    it("no primary key: unique keys decide; no keys at all: random distribution", () => {
        const byUnique = mapping([col("a", "int"), col("b", "int")], { indexes: [index("uk_ab", ["a", "b"], { unique: true }), index("uk_b", ["b"], { unique: true })] });
        expect(createTableSql(byUnique, adb()).sql).toMatch(/DISTRIBUTED BY \("b"\)$/);
        expect(createTableSql(mapping([col("a", "int")]), adb()).sql).toMatch(/DISTRIBUTED RANDOMLY$/);
    });

    it("prefix unique keys are not migrated, so they do not constrain the key", () => {
        const m = table([index("uk_email_prefix", [["email", 10]], { unique: true })]);
        expect(createTableSql(m, adb(["id"])).sql).toMatch(/DISTRIBUTED BY \("id"\)$/);
    });
});
