/**
 * The MaxCompute type map, names and DDL (issue 11 §3): every MySQL type's mapping and its
 * converter on awkward values, the naming limits, the `_log` metadata columns under both
 * naming rules, and every emitted statement parsed by the local server's DDL parser and run
 * through the server with the connector's SQL client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SourceColumn } from "../../provider/engine/model";
import {
    addColumns, addPartition, commentLiteral, createBaseTable, createLogTable, dataColumns, dropTable,
} from "../../provider/connectors/maxcompute/ddl";
import {
    baseTableName, columnNameProblem, duplicateColumnProblems, logLayout, logTableName, metadataConflicts,
    partitionValues, tableNameProblems,
} from "../../provider/connectors/maxcompute/names";
import { BlockWriter, RecordSchema } from "../../provider/connectors/maxcompute/records";
import { MaxComputeRest } from "../../provider/connectors/maxcompute/rest";
import { runSql } from "../../provider/connectors/maxcompute/sql";
import {
    MaxComputeColumnTypeError, maxComputeColumnMapping, type MaxComputeTypeOptions, typePrecheck,
    UnrepresentableValueError, valueConverter,
} from "../../provider/connectors/maxcompute/type-map";
import { parseStatement } from "../harness/maxcompute-server/ddl";
import { type MaxComputeServer, startMaxComputeServer } from "../harness/maxcompute-server";

function col(columnType: string, o: Partial<SourceColumn> = {}): SourceColumn {
    const dataType = /^[a-z][a-z0-9]*/.exec(columnType)![0];
    const args = (/\(([\d,]+)\)/.exec(columnType)?.[1] ?? "").split(",").filter(Boolean).map(Number);
    const temporal = ["datetime", "timestamp", "time"].includes(dataType);
    return {
        name: o.name ?? "c", ordinal: 1, dataType, columnType, nullable: true, defaultValue: null, extra: "",
        generationExpression: null, unsigned: /unsigned/.test(columnType), maxLength: null,
        numericPrecision: dataType === "decimal" || dataType === "bit" ? args[0] ?? null : null,
        numericScale: dataType === "decimal" ? args[1] ?? 0 : null,
        datetimePrecision: temporal ? args[0] ?? 0 : null,
        charset: null, collation: null, enumValues: null, comment: "", invisible: false, isJson: false, ...o,
    };
}

const map = (t: string, o: MaxComputeTypeOptions = {}, c: Partial<SourceColumn> = {}) => maxComputeColumnMapping(col(t, c), o);
const conv = (t: string, o: MaxComputeTypeOptions = {}, c: Partial<SourceColumn> = {}) => valueConverter(map(t, o, c));
const refused = (f: () => unknown) => {
    try {
        f();
    } catch (e) {
        expect(e).toBeInstanceOf(UnrepresentableValueError);
        return (e as UnrepresentableValueError).reason;
    }
    throw new Error("not refused");
};
const precheck = (f: () => unknown) => {
    try {
        f();
    } catch (e) {
        expect(e).toBeInstanceOf(MaxComputeColumnTypeError);
        return e as MaxComputeColumnTypeError;
    }
    throw new Error("not refused at precheck");
};

describe("MaxCompute type map", () => {
    it("maps every MySQL type to one default type that keeps its values", () => {
        const cases: [string, string, Partial<SourceColumn>?][] = [
            ["tinyint(4)", "TINYINT"], ["tinyint(3) unsigned", "SMALLINT"], ["smallint(6)", "SMALLINT"],
            ["smallint(5) unsigned", "INT"], ["mediumint(9)", "INT"], ["mediumint(8) unsigned", "INT"],
            ["int(11)", "INT"], ["int(10) unsigned", "BIGINT"], ["bigint(20)", "BIGINT"],
            ["bigint(20) unsigned", "DECIMAL(20,0)"], ["decimal(10,2)", "DECIMAL(10,2)"], ["decimal(38,18)", "DECIMAL(38,18)"],
            ["float", "FLOAT"], ["double", "DOUBLE"], ["bit(1)", "BIGINT"], ["bit(63)", "BIGINT"], ["year(4)", "SMALLINT"],
            ["date", "DATE"], ["datetime", "DATETIME"], ["datetime(3)", "DATETIME"], ["datetime(6)", "TIMESTAMP"],
            ["timestamp", "TIMESTAMP"], ["timestamp(6)", "TIMESTAMP"], ["time", "STRING"], ["time(6)", "STRING"],
            ["char(10)", "STRING"], ["varchar(255)", "STRING"], ["tinytext", "STRING"], ["text", "STRING"],
            ["mediumtext", "STRING"], ["longtext", "STRING"], ["enum('a','b')", "STRING"], ["set('x','y')", "STRING"],
            ["json", "STRING"], ["longtext", "STRING", { isJson: true }], ["uuid", "STRING"], ["inet6", "STRING"],
            ["binary(16)", "BINARY"], ["varbinary(100)", "BINARY"], ["tinyblob", "BINARY"], ["blob", "BINARY"],
            ["mediumblob", "BINARY"], ["longblob", "BINARY"], ["geometry", "BINARY"], ["point", "BINARY"],
        ];
        for (const [t, want, o] of cases) {
            const m = map(t, {}, o);
            expect(m.typeText, t).toBe(want);
            expect(m.exact, t).toBe(true);
        }
        expect(map("json", {}).kind).toBe("json");
        expect(map("longtext", {}, { isJson: true }).kind).toBe("json");
        expect(map("longtext").refuses).toMatch(/8 MB/);
        expect(map("text").refuses).toBeUndefined();
        expect(map("bigint(20)").refuses).toMatch(/−2\^63/);
    });

    it("refuses at precheck what the default cannot hold, naming the opt-in", () => {
        const wide = precheck(() => map("decimal(65,30)"));
        expect(wide.reason).toMatch(/beyond MaxCompute's DECIMAL\(38,18\)/);
        expect(wide.fix).toMatch(/wideDecimal: "string"/);
        expect(precheck(() => map("decimal(40,0)")).fix).toMatch(/wideDecimal/);
        expect(precheck(() => map("decimal(20,19)")).fix).toMatch(/wideDecimal/);
        expect(precheck(() => map("bit(64)")).fix).toMatch(/bit: "string"/);
        expect(precheck(() => map("bit(8)", { bit: "boolean" })).reason).toMatch(/BIT\(1\)/);
        expect(precheck(() => map("vector(3)")).reason).toMatch(/no MaxCompute mapping/);
        const all = typePrecheck([col("int"), col("decimal(65,30)", { name: "d" }), col("bit(64)", { name: "b" })]);
        expect(all.map((e) => e.column)).toEqual(["d", "b"]);
    });

    it("BIGINT: −2^63 is a dirty row, the rest kept; opt-ins keep it", () => {
        const f = conv("bigint(20)");
        expect(f("-9223372036854775807")).toBe(-(2n ** 63n) + 1n);
        expect(f("9223372036854775807")).toBe(2n ** 63n - 1n);
        expect(f("42")).toBe(42n);
        expect(f(null)).toBeNull();
        expect(refused(() => f("-9223372036854775808"))).toMatch(/BIGINT range/);
        expect(conv("bigint(20)", { bigint: "decimal" })("-9223372036854775808")).toBe("-9223372036854775808");
        expect(map("bigint(20)", { bigint: "decimal" }).typeText).toBe("DECIMAL(19,0)");
        expect(conv("bigint(20)", { bigint: "string" })("-9223372036854775808")).toBe("-9223372036854775808");
        expect(refused(() => f("12abc"))).toMatch(/not an integer/);
    });

    it("BIGINT UNSIGNED: 2^64−1 as DECIMAL(20,0) or text; as BIGINT only by opt-in, values above 2^63−1 refused", () => {
        expect(conv("bigint(20) unsigned")("18446744073709551615")).toBe("18446744073709551615");
        expect(conv("bigint(20) unsigned", { unsignedBigint: "string" })("18446744073709551615")).toBe("18446744073709551615");
        const b = conv("bigint(20) unsigned", { unsignedBigint: "bigint" });
        expect(b("9223372036854775807")).toBe(2n ** 63n - 1n);
        expect(refused(() => b("18446744073709551615"))).toMatch(/BIGINT range/);
        expect(conv("int(10) unsigned")("4294967295")).toBe(4294967295n);
        expect(conv("tinyint(3) unsigned")("255")).toBe(255);
        expect(conv("tinyint(4)")("-128")).toBe(-128);
        expect(conv("int(5) unsigned zerofill")("00042")).toBe(42n);
    });

    it("DECIMAL: exact text within (38,18); DECIMAL(65,30) as text or rounded by opt-in", () => {
        expect(conv("decimal(10,2)")("-12.50")).toBe("-12.50");
        expect(conv("decimal(10,2) zerofill")("00012.50")).toBe("12.50");
        const big = "12345678901234567890123456789012345.123456789012345678901234567891";
        expect(conv("decimal(65,30)", { wideDecimal: "string" })(big)).toBe(big);
        const r = map("decimal(65,30)", { wideDecimal: "round" });
        expect(r.typeText).toBe("DECIMAL(38,18)");
        expect(r.exact).toBe(false);
        expect(r.loss).toMatch(/rounded/);
        expect(r.refuses).toMatch(/20 integer digits/);
        const f = valueConverter(r);
        expect(f("1.123456789012345678500000000000")).toBe("1.123456789012345679");
        expect(f("-0.000000000000000000400000000000")).toBe("0.000000000000000000");
        expect(f("-99999999999999999999.999999999999999999400000000000")).toBe("-99999999999999999999.999999999999999999");
        // Rounding up past the 20 integer digits DECIMAL(38,18) keeps: refused, not wrapped.
        expect(refused(() => f("-99999999999999999999.999999999999999999900000000000"))).toMatch(/20 integer digits/);
        expect(refused(() => f("123456789012345678901.5"))).toMatch(/integer digits/);
        // DECIMAL(30,25): scale cut to 18, precision to 23 (5 integer digits kept): every value fits.
        expect(map("decimal(30,25)", { wideDecimal: "round" }).typeText).toBe("DECIMAL(23,18)");
    });

    it("DATETIME keeps milliseconds; DATETIME(6) micros go to TIMESTAMP nanos, or text, or cut by opt-in", () => {
        expect(conv("datetime")("2024-01-31 12:34:56")).toBe(Date.UTC(2024, 0, 31, 12, 34, 56));
        expect(conv("datetime(3)")("2024-01-31 12:34:56.789")).toBe(Date.UTC(2024, 0, 31, 12, 34, 56, 789));
        expect(conv("datetime(6)")("2024-01-31 12:34:56.123456")).toBe(BigInt(Date.UTC(2024, 0, 31, 12, 34, 56)) * 1_000_000n + 123_456_000n);
        expect(conv("datetime(6)", { datetimeMicros: "string" })("2024-01-31 12:34:56.123456")).toBe("2024-01-31 12:34:56.123456");
        const cut = map("datetime(6)", { datetimeMicros: "datetime" });
        expect(cut.exact).toBe(false);
        expect(valueConverter(cut)("2024-01-31 12:34:56.123456")).toBe(Date.UTC(2024, 0, 31, 12, 34, 56, 123));
        expect(conv("datetime")("1000-01-01 00:00:00")).toBe(Date.UTC(1000, 0, 1));
        expect(conv("datetime")("9999-12-31 23:59:59")).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
        expect(conv("timestamp(6)")("1970-01-01 00:00:00.000001")).toBe(1000n);
        expect(conv("date")("2024-02-29")).toBe(19782);
        expect(conv("date")("1969-12-31")).toBe(-1);
    });

    it("zero dates: a dirty row by default, NULL by opt-in, kept as text when mapped to STRING", () => {
        for (const [t, v] of [["date", "0000-00-00"], ["date", "2020-00-15"], ["date", "2023-02-30"], ["datetime", "0000-00-00 00:00:00"], ["timestamp", "0000-00-00 00:00:00"], ["datetime(6)", "2020-05-00 00:00:00.000000"]] as const) {
            expect(refused(() => conv(t)(v)), `${t} ${v}`).toMatch(/zero|calendar/);
            expect(conv(t, { zeroDates: "null" })(v)).toBeNull();
        }
        expect(map("date", { zeroDates: "null" }).exact).toBe(false);
        expect(map("date", { zeroDates: "null" }).refuses).toBeUndefined();
        expect(map("datetime(6)", { zeroDates: "null" }).refuses).toBe("years before 0001");
        expect(map("date").refuses).toMatch(/zero/);
        expect(conv("datetime(6)", { datetimeMicros: "string" })("0000-00-00 00:00:00.000000")).toBe("0000-00-00 00:00:00.000000");
        expect(refused(() => conv("datetime(6)")("0000-01-01 00:00:00.000000"))).toMatch(/0001/);
        expect(conv("datetime")("0000-01-01 00:00:00")).toBe(Date.UTC(2000, 0, 1) - 730485 * 86_400_000);
    });

    it("TIME: negative and over 24 hours, as text or signed microseconds", () => {
        expect(conv("time")("-838:59:59")).toBe("-838:59:59");
        expect(conv("time(6)")("25:00:00.5")).toBe("25:00:00.5");
        const us = conv("time(6)", { time: "bigint" });
        expect(us("-838:59:59.000000")).toBe(-(838n * 3600n + 59n * 60n + 59n) * 1_000_000n);
        expect(us("100:00:00.000001")).toBe(360_000_000_001n);
        expect(map("time", { time: "bigint" }).typeText).toBe("BIGINT");
        expect(refused(() => conv("time")("12h"))).toMatch(/TIME/);
    });

    it("YEAR, BIT(1)/BIT(64), ENUM/SET, JSON, utf8mb4 text and BLOB with zero bytes", () => {
        expect(conv("year(4)")("0000")).toBe(0);
        expect(conv("year(4)")("2155")).toBe(2155);
        expect(conv("bit(1)")(Buffer.from([1]))).toBe(1n);
        expect(conv("bit(1)", { bit: "boolean" })(Buffer.from([0]))).toBe(false);
        expect(map("bit(1)", { bit: "boolean" }).typeText).toBe("BOOLEAN");
        expect(refused(() => conv("bit(1)")(Buffer.from([2])))).toMatch(/significant bits/);
        const ones = Buffer.alloc(8, 0xff);
        expect(conv("bit(64)", { bit: "string" })(ones)).toBe("18446744073709551615");
        expect(conv("bit(64)", { bit: "binary" })(ones)).toEqual(ones);
        expect(conv("bit(12)", { bit: "binary" })(Buffer.from([0x0f]))).toEqual(Buffer.from([0x00, 0x0f]));
        const b64 = conv("bit(64)", { bit: "bigint" });
        expect(b64(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(2n ** 63n - 1n);
        expect(refused(() => b64(ones))).toMatch(/64th bit/);
        expect(map("bit(64)", { bit: "bigint" }).refuses).toMatch(/64th bit/);
        expect(conv("enum('a','b')")("b")).toBe("b");
        expect(conv("set('x','y')")("x,y")).toBe("x,y");
        expect(conv("json")('{"a": [1, "é"]}')).toBe('{"a": [1, "é"]}');
        expect(conv("varchar(10)", {}, { charset: "utf8mb4" })("😀 ok")).toBe("😀 ok");
        const blob = Buffer.from([0, 1, 0, 255, 0]);
        expect(conv("blob")(blob)).toEqual(blob);
        expect(conv("binary(4)")(Buffer.from([0x61, 0, 0, 0]))).toEqual(Buffer.from([0x61, 0, 0, 0]));
        expect(conv("float")("3.4028235e38")).toBe(3.4028235e38);
        expect(conv("double")("-0")).toBe(-0);
        expect(refused(() => conv("longblob")(Buffer.alloc(8 * 1024 * 1024 + 1)))).toMatch(/8 MB/);
        expect(() => conv("blob")("text")).toThrow(TypeError);
    });

    it("writes every converted value through the record codec", () => {
        const cols: [string, string | Buffer, MaxComputeTypeOptions?][] = [
            ["bigint(20)", "-9223372036854775807"], ["bigint(20) unsigned", "18446744073709551615"], ["decimal(10,2)", "1.50"],
            ["datetime(6)", "2024-01-31 12:34:56.123456"], ["datetime", "2024-01-31 12:34:56"], ["date", "2024-01-31"],
            ["timestamp(6)", "2024-01-31 12:34:56.000001"], ["time", "-01:00:00"], ["year", "2024"], ["bit(1)", Buffer.from([1]), { bit: "boolean" }],
            ["bit(5)", Buffer.from([31])], ["blob", Buffer.from([0, 0])], ["json", "[]"], ["tinyint(3) unsigned", "255"], ["float", "1.5"],
        ];
        const ms = cols.map(([t, , o], i) => map(t, o, { name: `c${i}` }));
        const schema = new RecordSchema(ms.map((m) => ({ name: m.source.name, type: m.type })));
        const w = new BlockWriter(schema);
        w.write(cols.map(([, v], i) => valueConverter(ms[i])(v)));
        expect(w.count).toBe(1);
    });
});

describe("MaxCompute names", () => {
    it("suffixes tables, configurable", () => {
        expect(baseTableName("customer")).toBe("customer_base");
        expect(logTableName("customer")).toBe("customer_log");
        expect(baseTableName("customer", { baseSuffix: "_full" })).toBe("customer_full");
    });

    it("limits table names to 128 bytes with the suffix, [A-Za-z0-9_], a letter first", () => {
        expect(tableNameProblems("t", "a".repeat(123))).toEqual([]); // a…_base is 128 bytes, a…_log 127
        const long = tableNameProblems("t", "a".repeat(124));
        expect(long.map((p) => p.name.length)).toEqual([129]);
        expect(long[0].reason).toMatch(/129 bytes/);
        expect(long[0].fix).toMatch(/renameTo/);
        expect(tableNameProblems("t", "a".repeat(125), {}, false).map((p) => p.name)).toEqual([`${"a".repeat(125)}_base`]);
        expect(tableNameProblems("t", "kunde_é")[0].reason).toMatch(/ASCII letters/);
        expect(tableNameProblems("t", "1orders")[0].fix).toMatch(/renameTo/);
        expect(tableNameProblems("t", "order-items")).toHaveLength(2);
        expect(tableNameProblems("t", "t", { logSuffix: "-log" }).map((p) => p.name)).toEqual(["t-log"]);
    });

    it("checks column names: 128 bytes, no punctuation, case-insensitive duplicates", () => {
        expect(columnNameProblem("t", "c", "a".repeat(128))).toBeUndefined();
        expect(columnNameProblem("t", "c", "a".repeat(129))?.reason).toMatch(/129 bytes/);
        expect(columnNameProblem("t", "c", "金额")).toBeUndefined();
        expect(columnNameProblem("t", "c", "prix_€")?.fix).toMatch(/renameTo/);
        expect(columnNameProblem("t", "c", "2nd")).toBeDefined();
        expect(duplicateColumnProblems("t", ["Id", "name", "ID"]).map((p) => p.column)).toEqual(["ID"]);
    });

    it("names the metadata columns under both rules, with their types and the chosen partitions", () => {
        const old = logLayout("previous", ["modifytime_day", "modifytime_year"]);
        expect(old.metadata.map((c) => `${c.name} ${c.type}`)).toEqual([
            "record_id BIGINT", "operation_flag STRING", "utc_timestamp BIGINT", "before_flag STRING", "after_flag STRING",
        ]);
        expect(old.partitions.map((c) => c.name)).toEqual(["modifytime_year", "modifytime_day"]);
        const neu = logLayout("new", ["modifytime_year", "modifytime_month", "modifytime_day", "modifytime_hour", "modifytime_minute"]);
        expect(neu.metadata.map((c) => c.name)).toEqual([
            "new_dts_sync_record_id", "new_dts_sync_operation_flag", "new_dts_sync_utc_timestamp", "new_dts_sync_before_flag", "new_dts_sync_after_flag",
        ]);
        expect(neu.partitions.map((c) => c.name)[4]).toBe("new_dts_sync_modifytime_minute");
        expect(partitionValues(Date.UTC(2024, 0, 31, 9, 5, 7) / 1000, neu)).toEqual([
            ["new_dts_sync_modifytime_year", "2024"], ["new_dts_sync_modifytime_month", "202401"], ["new_dts_sync_modifytime_day", "20240131"],
            ["new_dts_sync_modifytime_hour", "2024013109"], ["new_dts_sync_modifytime_minute", "202401310905"],
        ]);
    });

    it("fails the precheck when a metadata column has a source column's name, naming the rule to switch to", () => {
        const old = logLayout("previous", ["modifytime_day"]);
        const p = metadataConflicts("orders", ["id", "Record_ID", "modifytime_day"], old, "previous");
        expect(p.map((x) => x.column)).toEqual(["Record_ID", "modifytime_day"]);
        expect(p[0].fix).toMatch(/maxcompute\.additionalColumnRule to "new"/);
        expect(metadataConflicts("orders", ["id", "record_id"], logLayout("new", ["modifytime_day"]), "new")).toEqual([]);
        expect(metadataConflicts("orders", ["new_dts_sync_after_flag"], logLayout("new", []), "new")[0].fix).toMatch(/"previous"/);
    });
});

describe("MaxCompute DDL", () => {
    const mappings = [
        { target: "id", mapping: map("bigint(20) unsigned", {}, { name: "id" }) },
        { target: "amount", mapping: map("decimal(12,2)", {}, { name: "amount" }) },
        { target: "kind", mapping: map("enum('it''s','a,b','(x)')", {}, { name: "kind" }) },
        { target: "at", mapping: map("datetime(6)", {}, { name: "at" }) },
        { target: "note", mapping: map("text", {}, { name: "note" }) },
    ];
    const data = dataColumns(mappings);
    const layout = logLayout("new", ["modifytime_year", "modifytime_month"]);
    const statements = [
        createBaseTable("orders_base", data),
        createLogTable("orders_log", data, layout),
        createLogTable("plain_log", data, logLayout("previous", [])),
        addColumns("orders_base", [{ name: "extra", type: "STRING", comment: "mysql varchar(10)" }]),
        addColumns("orders_log", [{ name: "extra", type: "STRING", comment: "mysql varchar(10)" }, { name: "n", type: "DECIMAL(20,0)" }]),
        addPartition("orders_log", partitionValues(Date.UTC(2024, 6, 1) / 1000, layout)),
        dropTable("plain_log"),
    ];

    it("emits statements the fixture's parser reads back as meant", () => {
        const base = parseStatement(statements[0]);
        expect(base).toMatchObject({ kind: "create", table: "orders_base", ifNotExists: true, partitionKeys: [] });
        if (base.kind !== "create") throw new Error();
        expect(base.columns.map((c) => `${c.name} ${c.type}`)).toEqual(["id DECIMAL(20,0)", "amount DECIMAL(12,2)", "kind STRING", "at TIMESTAMP", "note STRING"]);
        expect(decodeURIComponent(base.columns[2].comment!)).toBe("mysql enum('it''s','a,b','(x)')");
        const log = parseStatement(statements[1]);
        if (log.kind !== "create") throw new Error();
        expect(log.columns.map((c) => c.name).slice(5)).toEqual(layout.metadata.map((c) => c.name));
        expect(log.partitionKeys.map((c) => `${c.name} ${c.type}`)).toEqual(["new_dts_sync_modifytime_year STRING", "new_dts_sync_modifytime_month STRING"]);
        expect(parseStatement(statements[2])).toMatchObject({ kind: "create", partitionKeys: [] });
        expect(parseStatement(statements[4])).toMatchObject({ kind: "add-columns", table: "orders_log", columns: [{ name: "extra", type: "STRING" }, { name: "n", type: "DECIMAL(20,0)" }] });
        expect(parseStatement(statements[5])).toEqual({
            kind: "add-partition", table: "orders_log", ifNotExists: true,
            spec: [["new_dts_sync_modifytime_year", "2024"], ["new_dts_sync_modifytime_month", "202407"]],
        });
        expect(parseStatement(statements[6])).toEqual({ kind: "drop", table: "plain_log", ifExists: true });
    });

    it("keeps comments free of quotes and backslashes and within 1024 bytes", () => {
        expect(commentLiteral("a'b\\c%d\n")).toBe("'a%27b%5Cc%25d%0A'");
        const long = commentLiteral("é".repeat(600));
        expect(Buffer.byteLength(long) - 2).toBe(1024);
        expect(commentLiteral("x".repeat(2000)).length).toBe(1026);
    });

    describe("against the local MaxCompute server", () => {
        const project = "dts_ddl";
        const key = { id: "mc-ddl-ak", secret: "mc-ddl-secret" };
        let mc: MaxComputeServer;
        let rest: MaxComputeRest;
        beforeAll(async () => {
            mc = await startMaxComputeServer({ project, accessKeys: [key] });
            rest = new MaxComputeRest({ endpoint: mc.endpoint, accessKeyId: key.id, accessKeySecret: key.secret }, { backoffMs: 10 });
        });
        afterAll(async () => {
            rest?.close();
            await mc?.close();
        });

        it("runs every statement, and the tables read back as created", async () => {
            for (const s of statements) await runSql(rest, project, `${s};`);
            const base = await rest.getTable(project, "orders_base");
            expect(base.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
                "id decimal(20,0)", "amount decimal(12,2)", "kind string", "at timestamp", "note string", "extra string",
            ]);
            const log = await rest.getTable(project, "orders_log");
            expect(log.columns.map((c) => c.name)).toEqual(["id", "amount", "kind", "at", "note", ...layout.metadata.map((c) => c.name), "extra", "n"]);
            expect(log.partitionColumns.map((c) => c.name)).toEqual(layout.partitions.map((c) => c.name));
            await expect(rest.getTable(project, "plain_log")).rejects.toMatchObject({ httpStatus: 404 });
        });
    });
});
