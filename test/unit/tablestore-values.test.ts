import { describe, expect, it } from "vitest";
import type { SourceColumn, SourceValue } from "../../provider/engine/model";
import { int64FromBigInt, isInteger, type TsValue } from "../../provider/connectors/tablestore/sdk";
import {
    allowedTypes, sourceKind, tablestoreColumnMapping, TablestoreColumnTypeError, tablestoreNameProblem,
    type TablestoreColumnType, type TablestoreTypeOptions, type TemporalEncoding,
} from "../../provider/connectors/tablestore/type-map";
import { fromTablestore, tablestoreValueConverter, toTablestore, UnrepresentableValueError } from "../../provider/connectors/tablestore/values";
import { col } from "./pg-fixtures";

const mapping = (columnType: string, opts: Partial<TablestoreTypeOptions> = {}, extra: Partial<SourceColumn> = {}) =>
    tablestoreColumnMapping(col("c", columnType, extra), { temporal: "iso-string", ...opts });

/** The value written, as text for comparison: "INTEGER 42", "STRING abc", "DOUBLE 1.5", … */
function written(v: TsValue | undefined): string {
    if (v === undefined) return "absent";
    if (isInteger(v)) return `INTEGER ${v.toString()}`;
    if (Buffer.isBuffer(v)) return `BINARY ${v.toString("hex")}`;
    if (typeof v === "number") return `DOUBLE ${Object.is(v, -0) ? "-0" : String(v)}`;
    if (typeof v === "boolean") return `BOOLEAN ${v}`;
    return `STRING ${v}`;
}

const convert = (columnType: string, value: SourceValue, opts: Partial<TablestoreTypeOptions> = {}, extra: Partial<SourceColumn> = {}) =>
    written(toTablestore(value, mapping(columnType, opts, extra)));

/** Converts and reads back: the source value for exact mappings. */
function roundTrip(columnType: string, value: SourceValue, opts: Partial<TablestoreTypeOptions> = {}, extra: Partial<SourceColumn> = {}): SourceValue {
    const m = mapping(columnType, opts, extra);
    return fromTablestore(toTablestore(value, m), m);
}

function refusal(columnType: string, value: SourceValue, opts: Partial<TablestoreTypeOptions> = {}, extra: Partial<SourceColumn> = {}): UnrepresentableValueError {
    try {
        toTablestore(value, mapping(columnType, opts, extra));
    } catch (err) {
        expect(err).toBeInstanceOf(UnrepresentableValueError);
        return err as UnrepresentableValueError;
    }
    throw new Error(`${columnType} ${String(value)} was written`);
}

describe("MySQL → Tablestore column types", () => {
    const types = (columnType: string, opts: Partial<TablestoreTypeOptions> = {}, extra: Partial<SourceColumn> = {}) => {
        const m = mapping(columnType, opts, extra);
        return `${m.type}${m.exact ? "" : " (lossy)"}`;
    };

    it.each([
        ["tinyint(4)", "INTEGER"], ["tinyint(1)", "INTEGER"], ["smallint(5) unsigned", "INTEGER"], ["mediumint(9)", "INTEGER"],
        ["int(11)", "INTEGER"], ["int(10) unsigned", "INTEGER"], ["bigint(20)", "INTEGER"],
        ["bigint(20) unsigned", "STRING"],
        ["decimal(65,30)", "STRING"], ["decimal(10,0)", "STRING"],
        ["float", "DOUBLE"], ["double", "DOUBLE"],
        ["bit(1)", "INTEGER"], ["bit(63)", "INTEGER"], ["bit(64)", "STRING"],
        ["year(4)", "INTEGER"],
        ["date", "STRING"], ["datetime(6)", "STRING"], ["timestamp(3)", "STRING"], ["time", "STRING"],
        ["char(10)", "STRING"], ["varchar(255)", "STRING"], ["text", "STRING"], ["longtext", "STRING"],
        ["enum('a','b')", "STRING"], ["set('x','y')", "STRING"], ["json", "STRING"],
        ["uuid", "STRING"], ["inet6", "STRING"], ["inet4", "STRING"],
        ["binary(16)", "BINARY"], ["varbinary(8)", "BINARY"], ["blob", "BINARY"], ["longblob", "BINARY"],
        ["geometry", "BINARY"], ["point", "BINARY"], ["multipolygon", "BINARY"],
    ])("%s → %s", (columnType, expected) => {
        expect(types(columnType)).toBe(expected);
        expect(mapping(columnType).exact).toBe(true);
    });

    it("temporal types are INTEGER under epoch-micros", () => {
        for (const t of ["date", "datetime(6)", "timestamp", "time(3)"]) {
            const m = mapping(t, { temporal: "epoch-micros" });
            expect([m.type, m.temporal]).toEqual(["INTEGER", "epoch-micros"]);
        }
        expect(mapping("date", { temporal: "epoch-micros" }).refuses).toMatch(/zero/);
        expect(mapping("time", { temporal: "epoch-micros" }).refuses).toBeUndefined();
        // A per-column override picks the encoding for that column alone.
        expect(mapping("datetime", { temporal: "epoch-micros", override: "STRING" }).temporal).toBe("iso-string");
        expect(mapping("datetime", { override: "INTEGER" }).temporal).toBe("epoch-micros");
    });

    it("MariaDB's JSON (LONGTEXT + json_valid) is JSON", () => {
        expect(sourceKind(col("j", "longtext", { isJson: true }))).toBe("json");
    });

    it("keys are INTEGER, STRING or BINARY: FLOAT keys become their text, DOUBLE/BOOLEAN overrides are refused", () => {
        expect(mapping("double", { primaryKey: true }).type).toBe("STRING");
        expect(() => mapping("int", { primaryKey: true, override: "DOUBLE" })).toThrow(TablestoreColumnTypeError);
        expect(() => mapping("tinyint(1)", { primaryKey: true, override: "BOOLEAN" })).toThrow(/primary-key column cannot be BOOLEAN/);
        expect(allowedTypes("integer", col("c", "int"), true)).toEqual(["INTEGER", "STRING"]);
        expect(mapping("varchar(255)", { primaryKey: true }).refuses).toBeUndefined();
        expect(mapping("varchar(300)", { primaryKey: true }).refuses).toMatch(/1 KB/);
        expect(mapping("text").refuses).toBeUndefined();
        expect(mapping("longtext").refuses).toMatch(/2 MB/);
    });

    it("overrides are checked against what the values can be", () => {
        expect(types("bigint(20) unsigned", { override: "INTEGER" })).toBe("INTEGER");
        expect(mapping("bigint(20) unsigned", { override: "INTEGER" }).refuses).toMatch(/2\^63/);
        expect(types("decimal(10,2)", { override: "DOUBLE" })).toBe("DOUBLE (lossy)");
        expect(mapping("decimal(10,2)", { override: "DOUBLE" }).loss).toMatch(/nearest double/);
        expect(types("decimal(20,0)", { override: "INTEGER" })).toBe("INTEGER");
        expect(() => mapping("decimal(10,2)", { override: "INTEGER" })).toThrow(TablestoreColumnTypeError);
        expect(() => mapping("float", { override: "INTEGER" })).toThrow(/cannot be written as INTEGER/);
        expect(() => mapping("bit(8)", { override: "BOOLEAN" })).toThrow(TablestoreColumnTypeError);
        expect(types("bit(1)", { override: "BOOLEAN" })).toBe("BOOLEAN");
        expect(() => mapping("geometry", { override: "STRING" })).toThrow(TablestoreColumnTypeError);
        expect(() => mapping("date", { override: "DOUBLE" })).toThrow(TablestoreColumnTypeError);
    });

    it("types without a mapping are refused by name", () => {
        expect(() => mapping("vector(4)")).toThrow(/column "c" \(vector\(4\)\) cannot be migrated to Tablestore/);
    });

    it("names: ASCII identifiers of 1-255 characters; no attribute called timestamp", () => {
        expect(tablestoreNameProblem("order_items", "table")).toBeUndefined();
        expect(tablestoreNameProblem("_x1", "attribute")).toBeUndefined();
        expect(tablestoreNameProblem("1abc", "table")).toMatch(/must not start with a digit/);
        expect(tablestoreNameProblem("prénom", "attribute")).toMatch(/ASCII/);
        expect(tablestoreNameProblem("a-b", "attribute")).toMatch(/ASCII/);
        expect(tablestoreNameProblem("x".repeat(256), "table")).toMatch(/255/);
        expect(tablestoreNameProblem("timestamp", "attribute")).toMatch(/cell's version/);
        expect(tablestoreNameProblem("timestamp", "primary-key")).toBeUndefined();
    });
});

describe("integer values", () => {
    it.each([
        ["tinyint(4)", "-128", "INTEGER -128"],
        ["int(11)", "2147483647", "INTEGER 2147483647"],
        ["bigint(20)", "9223372036854775807", "INTEGER 9223372036854775807"],
        ["bigint(20)", "-9223372036854775808", "INTEGER -9223372036854775808"],
        ["bigint(20)", "9007199254740993", "INTEGER 9007199254740993"],
        ["bigint(20)", "-9007199254740993", "INTEGER -9007199254740993"],
        ["int(5) unsigned zerofill", "00042", "INTEGER 42"],
        ["bigint(20) unsigned", "18446744073709551615", "STRING 18446744073709551615"],
        ["bigint(20) unsigned", "9223372036854775808", "STRING 9223372036854775808"],
        ["bigint(20) unsigned", "0", "STRING 0"],
        ["bigint(20) unsigned zerofill", "00000000000000000042", "STRING 42"],
    ])("%s %s → %s", (t, v, expected) => {
        expect(convert(t, v)).toBe(expected);
    });

    it("never a JS number: INTEGER values are bigints", () => {
        const v = toTablestore("1", mapping("int"));
        expect(typeof v).not.toBe("number");
        expect(v).toBe(1n);
        expect(isInteger(v)).toBe(true);
    });

    it("an INTEGER read back as the SDK's Int64 reads as one written as a bigint", () => {
        const m = mapping("bigint(20)");
        expect(fromTablestore(int64FromBigInt(-(2n ** 63n)), m)).toBe("-9223372036854775808");
        expect(fromTablestore(-(2n ** 63n), m)).toBe("-9223372036854775808");
    });

    it("every int64 boundary is written with its exact bytes", () => {
        for (const n of [0n, 1n, -1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
            const v = toTablestore(n.toString(), mapping("bigint(20)"));
            expect(v).toBe(n);
            expect(fromTablestore(v, mapping("bigint(20)"))).toBe(n.toString());
        }
    });

    it("values Long.fromString would wrap or truncate are refused, naming the column and the value", () => {
        // Long.fromString: '18446744073709551615' → -1, '9223372036854775808' → INT64_MIN, '12abc' → 12.
        expect(refusal("bigint(20)", "9223372036854775808").message).toBe(
            'column "c": value "9223372036854775808" is outside the INTEGER range −2^63 … 2^63−1');
        expect(refusal("bigint(20)", "-9223372036854775809").reason).toMatch(/outside the INTEGER range/);
        expect(refusal("bigint(20) unsigned", "18446744073709551615", { override: "INTEGER" }).column).toBe("c");
        expect(convert("bigint(20) unsigned", "9223372036854775807", { override: "INTEGER" })).toBe("INTEGER 9223372036854775807");
        for (const garbage of ["12abc", "", " 1", "1.5", "1e3", "+1", "--1", "0x10", "١٢"]) {
            expect(refusal("int", garbage).reason).toBe("is not an integer");
            expect(refusal("bigint(20) unsigned", garbage).reason).toBe("is not an integer");
        }
    });

    it("overrides: STRING canonical text, DOUBLE within 2^53, BOOLEAN for 0/1", () => {
        expect(convert("int(5) zerofill", "00042", { override: "STRING" })).toBe("STRING 42");
        expect(convert("bigint(20)", "9007199254740992", { override: "DOUBLE" })).toBe("DOUBLE 9007199254740992");
        expect(refusal("bigint(20)", "9007199254740993", { override: "DOUBLE" }).reason).toMatch(/2\^53/);
        expect(convert("tinyint(1)", "1", { override: "BOOLEAN" })).toBe("BOOLEAN true");
        expect(convert("tinyint(1)", "0", { override: "BOOLEAN" })).toBe("BOOLEAN false");
        expect(refusal("tinyint(1)", "2", { override: "BOOLEAN" }).reason).toMatch(/neither 0 nor 1/);
        expect(roundTrip("tinyint(1)", "1", { override: "BOOLEAN" })).toBe("1");
        expect(roundTrip("bigint(20)", "-42", { override: "DOUBLE" })).toBe("-42");
    });
});

describe("decimal, float, bit, year values", () => {
    it("DECIMAL stays its exact text", () => {
        expect(convert("decimal(65,30)", "12345678901234567890123456789012345.123456789012345678901234567890"))
            .toBe("STRING 12345678901234567890123456789012345.123456789012345678901234567890");
        expect(convert("decimal(10,2)", "-0.10")).toBe("STRING -0.10");
        expect(convert("decimal(10,2)", "123.40")).toBe("STRING 123.40");
        expect(convert("decimal(10,2) zerofill", "00000123.40")).toBe("STRING 123.40");
        expect(convert("decimal(10,0)", "0")).toBe("STRING 0");
        expect(roundTrip("decimal(10,2)", "0.10")).toBe("0.10");
        expect(refusal("decimal(10,2)", "1.2.3").reason).toBe("is not a decimal number");
        expect(refusal("decimal(10,2)", "1e5").reason).toBe("is not a decimal number");
    });

    it("DECIMAL overrides: DOUBLE rounds (declared lossy), scale-0 INTEGER is range-checked", () => {
        expect(convert("decimal(20,2)", "0.10", { override: "DOUBLE" })).toBe("DOUBLE 0.1");
        expect(convert("decimal(20,0)", "-9223372036854775808", { override: "INTEGER" })).toBe("INTEGER -9223372036854775808");
        expect(refusal("decimal(20,0)", "99999999999999999999", { override: "INTEGER" }).reason).toMatch(/INTEGER range/);
    });

    it("FLOAT/DOUBLE: the same double, -0 kept, extremes exact", () => {
        expect(convert("double", "1.5")).toBe("DOUBLE 1.5");
        expect(convert("float", "-0")).toBe("DOUBLE -0");
        expect(convert("double", "1.7976931348623157e308")).toBe("DOUBLE 1.7976931348623157e+308");
        expect(convert("double", "5e-324")).toBe("DOUBLE 5e-324");
        expect(convert("float", "3.4028234663852886e38")).toBe("DOUBLE 3.4028234663852886e+38");
        expect(convert("double", "1e15")).toBe("DOUBLE 1000000000000000");
        expect(convert("double", "3.14000")).toBe("DOUBLE 3.14");
        expect(roundTrip("float", "-0")).toBe("-0");
        expect(Number(roundTrip("double", "0.1"))).toBe(0.1);
        expect(Number(roundTrip("double", "1e15"))).toBe(1e15);
    });

    it("FLOAT/DOUBLE: no NaN or Infinity (Tablestore refuses them), no garbage", () => {
        expect(refusal("double", "1e400").reason).toMatch(/not finite/);
        expect(refusal("double", "NaN").reason).toMatch(/not a floating-point number/);
        expect(refusal("double", "Infinity").reason).toMatch(/not a floating-point number/);
        expect(refusal("double", "12abc").reason).toMatch(/not a floating-point number/);
    });

    it("FLOAT as a key is the text as read", () => {
        expect(convert("double", "1.5", { primaryKey: true })).toBe("STRING 1.5");
    });

    it("BIT: unsigned numbers from big-endian bytes, padded or trimmed as MySQL and the binlog hand them over", () => {
        expect(convert("bit(1)", Buffer.from([1]))).toBe("INTEGER 1");
        expect(convert("bit(10)", Buffer.from([0x03, 0xff]))).toBe("INTEGER 1023");
        expect(convert("bit(10)", Buffer.from([0x01]))).toBe("INTEGER 1");
        expect(convert("bit(63)", Buffer.from("7fffffffffffffff", "hex"))).toBe("INTEGER 9223372036854775807");
        expect(convert("bit(64)", Buffer.from("ffffffffffffffff", "hex"))).toBe("STRING 18446744073709551615");
        expect(refusal("bit(64)", Buffer.from("8000000000000000", "hex"), { override: "INTEGER" }).reason).toMatch(/INTEGER range/);
        expect(convert("bit(64)", Buffer.from("7fffffffffffffff", "hex"), { override: "INTEGER" })).toBe("INTEGER 9223372036854775807");
        expect(refusal("bit(10)", Buffer.from([0x04, 0x00])).reason).toBe("has more than 10 significant bits");
        expect(convert("bit(10)", Buffer.from([0x01]), { override: "BINARY" })).toBe("BINARY 0001");
        expect(convert("bit(1)", Buffer.from([1]), { override: "BOOLEAN" })).toBe("BOOLEAN true");
        expect(roundTrip("bit(10)", Buffer.from([0x01]))).toEqual(Buffer.from([0x00, 0x01]));
        expect(roundTrip("bit(64)", Buffer.from("ffffffffffffffff", "hex"))).toEqual(Buffer.from("ffffffffffffffff", "hex"));
        expect(() => toTablestore("1", mapping("bit(1)"))).toThrow(TypeError);
    });

    it("YEAR: INTEGER, 0000 is 0 and comes back as 0000", () => {
        expect(convert("year(4)", "2024")).toBe("INTEGER 2024");
        expect(convert("year(4)", "0000")).toBe("INTEGER 0");
        expect(roundTrip("year(4)", "0000")).toBe("0000");
        expect(roundTrip("year(4)", "1901")).toBe("1901");
        expect(convert("year(4)", "0000", { override: "STRING" })).toBe("STRING 0000");
        expect(refusal("year(4)", "20x4").reason).toBe("is not a year");
    });
});

describe("temporal values", () => {
    const iso = { temporal: "iso-string" as TemporalEncoding };
    const epoch = { temporal: "epoch-micros" as TemporalEncoding };

    it("iso-string: ISO 8601 text, zero dates kept", () => {
        expect(convert("date", "2024-01-31", iso)).toBe("STRING 2024-01-31");
        expect(convert("datetime(6)", "2024-01-31 12:34:56.123456", iso)).toBe("STRING 2024-01-31T12:34:56.123456");
        expect(convert("datetime", "2024-01-31 12:34:56", iso)).toBe("STRING 2024-01-31T12:34:56");
        expect(convert("timestamp(3)", "2024-01-31 12:34:56.120", iso)).toBe("STRING 2024-01-31T12:34:56.120Z");
        expect(convert("date", "0000-00-00", iso)).toBe("STRING 0000-00-00");
        expect(convert("datetime", "0000-00-00 00:00:00", iso)).toBe("STRING 0000-00-00T00:00:00");
        expect(convert("date", "2020-00-15", iso)).toBe("STRING 2020-00-15");
        expect(convert("time(6)", "-838:59:59.000000", iso)).toBe("STRING -838:59:59.000000");
        expect(convert("time", "25:00:00", iso)).toBe("STRING 25:00:00");
        for (const [t, v] of [["date", "0000-00-00"], ["datetime(6)", "2024-01-31 12:34:56.123456"], ["timestamp", "1970-01-01 00:00:01"],
            ["time(6)", "-00:00:00.500000"], ["datetime", "0000-00-00 00:00:00"]]) {
            expect(roundTrip(t, v, iso)).toBe(v);
        }
        expect(refusal("datetime", "2024-01-31T12:34:56", iso).reason).toBe("is not a DATETIME value");
        expect(refusal("date", "yesterday", iso).reason).toBe("is not a DATE value");
    });

    it("epoch-micros: microseconds since 1970 UTC", () => {
        expect(convert("date", "1970-01-01", epoch)).toBe("INTEGER 0");
        expect(convert("date", "1970-01-02", epoch)).toBe("INTEGER 86400000000");
        expect(convert("date", "1969-12-31", epoch)).toBe("INTEGER -86400000000");
        expect(convert("datetime(6)", "2024-01-31 12:34:56.123456", epoch)).toBe(`INTEGER ${BigInt(Date.UTC(2024, 0, 31, 12, 34, 56, 123)) * 1000n + 456n}`);
        expect(convert("timestamp", "2038-01-19 03:14:07", epoch)).toBe("INTEGER 2147483647000000");
        expect(convert("datetime(6)", "9999-12-31 23:59:59.999999", epoch)).toBe("INTEGER 253402300799999999");
        expect(convert("datetime", "1000-01-01 00:00:00", epoch)).toBe(`INTEGER ${BigInt(Date.UTC(1000, 0, 1)) * 1000n}`);
        expect(convert("datetime", "0001-01-01 00:00:00", epoch)).toBe("INTEGER -62135596800000000");
        expect(convert("datetime(3)", "2000-02-29 00:00:00.5", epoch)).toBe(`INTEGER ${BigInt(Date.UTC(2000, 1, 29)) * 1000n + 500000n}`);
    });

    it("epoch-micros: TIME is a signed duration, beyond 24 hours too", () => {
        expect(convert("time", "00:00:01", epoch)).toBe("INTEGER 1000000");
        expect(convert("time(6)", "-00:00:00.500000", epoch)).toBe("INTEGER -500000");
        expect(convert("time", "838:59:59", epoch)).toBe("INTEGER 3020399000000");
        expect(convert("time", "-838:59:59", epoch)).toBe("INTEGER -3020399000000");
        expect(roundTrip("time", "-838:59:59", epoch)).toBe("-838:59:59");
        expect(roundTrip("time(6)", "-00:00:00.500000", epoch)).toBe("-00:00:00.500000");
        expect(roundTrip("time(2)", "100:00:00.25", epoch)).toBe("100:00:00.25");
    });

    it("epoch-micros: zero, partial-zero and calendar-invalid dates are refused", () => {
        expect(refusal("date", "0000-00-00", epoch).reason).toMatch(/zero date/);
        expect(refusal("datetime", "0000-00-00 00:00:00", epoch).reason).toMatch(/zero date/);
        expect(refusal("date", "2020-00-15", epoch).reason).toMatch(/zero date/);
        expect(refusal("date", "2021-03-00", epoch).reason).toMatch(/zero date/);
        expect(refusal("date", "2023-02-29", epoch).reason).toBe("is not a calendar date");
        expect(refusal("date", "2023-04-31", epoch).reason).toBe("is not a calendar date");
        expect(refusal("timestamp", "0000-00-00 00:00:00", epoch).column).toBe("c");
    });

    it("epoch-micros: back to the text with the column's fractional digits", () => {
        for (const [t, v] of [["date", "2024-02-29"], ["date", "1969-12-31"], ["datetime", "1000-01-01 00:00:00"],
            ["datetime(6)", "9999-12-31 23:59:59.999999"], ["datetime(3)", "1960-06-15 01:02:03.456"], ["timestamp(6)", "1970-01-01 00:00:00.000001"]]) {
            expect(roundTrip(t, v, epoch)).toBe(v);
        }
    });
});

describe("text, JSON, binary and spatial values", () => {
    it("text and JSON are written as read", () => {
        expect(convert("varchar(10)", "héllo 🎉")).toBe("STRING héllo 🎉");
        expect(convert("varchar(10)", "")).toBe("STRING ");
        expect(convert("text", "a\u0000b\tc")).toBe("STRING a\u0000b\tc");
        expect(convert("enum('a','b')", "")).toBe("STRING ");
        expect(convert("set('x','y')", "x,y")).toBe("STRING x,y");
        expect(convert("json", '{"a": 9223372036854775807}')).toBe('STRING {"a": 9223372036854775807}');
        expect(convert("uuid", "123e4567-e89b-12d3-a456-426614174000")).toBe("STRING 123e4567-e89b-12d3-a456-426614174000");
        expect(convert("varchar(10)", "é", { override: "BINARY" })).toBe("BINARY c3a9");
        expect(roundTrip("varchar(10)", "é", { override: "BINARY" })).toBe("é");
        expect(() => toTablestore(Buffer.from("x"), mapping("varchar(10)"))).toThrow(TypeError);
    });

    it("binary and spatial values are their bytes", () => {
        const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        expect(convert("blob", all)).toBe(`BINARY ${all.toString("hex")}`);
        expect(convert("binary(4)", Buffer.from([1, 0, 0, 0]))).toBe("BINARY 01000000");
        expect(convert("varbinary(4)", Buffer.alloc(0))).toBe("BINARY ");
        const point = Buffer.from("000000000101000000000000000000f03f0000000000000040", "hex");
        expect(convert("point", point)).toBe(`BINARY ${point.toString("hex")}`);
        expect(roundTrip("blob", all)).toEqual(all);
        expect(convert("varbinary(8)", Buffer.from("abc"), { override: "STRING" })).toBe("STRING abc");
        expect(refusal("varbinary(8)", Buffer.from([0xff]), { override: "STRING" }).reason).toMatch(/UTF-8/);
        expect(() => toTablestore("x", mapping("blob"))).toThrow(TypeError);
    });

    it("size limits: 1 KB for a key value, 2 MB for an attribute, in UTF-8 bytes", () => {
        expect(convert("varchar(1024)", "x".repeat(1024), { primaryKey: true })).toBe(`STRING ${"x".repeat(1024)}`);
        const key = refusal("varchar(1024)", "é".repeat(513), { primaryKey: true });
        expect(key.reason).toBe("is 1026 bytes, over a primary-key value's 1 KB (1024 bytes)");
        expect(key.message).toMatch(/^column "c": value "ééé.*…" \(513 characters\) is 1026 bytes/);
        expect(refusal("varbinary(2000)", Buffer.alloc(1025), { primaryKey: true }).reason).toMatch(/1 KB/);
        expect(toTablestore("x".repeat(2 * 1024 * 1024), mapping("longtext"))).toHaveLength(2 * 1024 * 1024);
        expect(refusal("longtext", "x".repeat(2 * 1024 * 1024 + 1)).reason).toMatch(/over an attribute value's 2 MB/);
        expect(refusal("longblob", Buffer.alloc(2 * 1024 * 1024 + 1)).message).toMatch(/^column "c": value 0x0000.*… \(2097153 bytes\)/);
    });
});

describe("NULL and converters", () => {
    it("NULL is absent, in every type", () => {
        for (const t of ["int", "bigint(20) unsigned", "decimal(5,2)", "double", "bit(3)", "year", "date", "time", "text", "json", "blob", "geometry"]) {
            expect(toTablestore(null, mapping(t))).toBeUndefined();
            expect(fromTablestore(undefined, mapping(t))).toBeNull();
        }
    });

    it("a converter is built once per column and used per value", () => {
        const conv = tablestoreValueConverter(mapping("int"));
        expect([conv("1"), conv(null), conv("-2")].map(written)).toEqual(["INTEGER 1", "absent", "INTEGER -2"]);
    });

    it("fromTablestore refuses a value of another type than the mapping's", () => {
        expect(() => fromTablestore("1", mapping("int"))).toThrow(/holds a STRING, the mapping says INTEGER/);
        expect(() => fromTablestore(int64FromBigInt(1n), mapping("text"))).toThrow(TypeError);
    });

    it("every allowed override of every kind converts a typical value", () => {
        const samples: [string, SourceValue][] = [
            ["int", "1"], ["bigint(20) unsigned", "1"], ["decimal(5,0)", "1"], ["double", "1"], ["bit(1)", Buffer.from([1])],
            ["year", "2000"], ["date", "2000-01-01"], ["datetime", "2000-01-01 00:00:00"], ["timestamp", "2000-01-01 00:00:00"],
            ["time", "01:00:00"], ["varchar(5)", "1"], ["json", "1"], ["blob", Buffer.from("1")], ["geometry", Buffer.from("1")],
        ];
        for (const [t, v] of samples) {
            const c = col("c", t);
            for (const type of allowedTypes(sourceKind(c), c, false) as TablestoreColumnType[]) {
                const m = tablestoreColumnMapping(c, { temporal: "iso-string", override: type });
                const back = fromTablestore(toTablestore(v, m), m);
                if (m.exact) expect(back, `${t} as ${type}`).toEqual(v);
            }
        }
    });
});
