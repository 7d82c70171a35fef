import { describe, expect, it } from "vitest";
import type { SourceColumn } from "../../provider/engine/model";
import { col } from "./pg-fixtures";
import { checkPostgresCompatibility, pgType, UnsupportedColumnError } from "../../provider/connectors/postgres/type-map";
import { derivedName, qualified, quoteIdent } from "../../provider/connectors/postgres/identifiers";
import { escapeText, makeRowEncoder, UnencodableValueError } from "../../provider/connectors/postgres/copy-encoder";

const opts = { floatPrecision: { float: 38, double: 308 } };
const t = (columnType: string, extra: Partial<SourceColumn> = {}) => pgType(col("c", columnType, extra), opts);

describe("MySQL → PostgreSQL column types", () => {
    it.each([
        ["tinyint(4)", "smallint"],
        ["tinyint(1)", "smallint"],
        ["tinyint(3) unsigned", "smallint"],
        ["smallint(6)", "smallint"],
        ["smallint(5) unsigned", "integer"],
        ["mediumint(8) unsigned", "integer"],
        ["int(11)", "integer"],
        ["int(10) unsigned", "bigint"],
        ["bigint(20)", "bigint"],
        ["bigint(20) unsigned", "numeric(20,0)"],
        ["decimal(65,30)", "numeric(65,30)"],
        ["decimal(10,0) unsigned", "numeric(10,0)"],
        ["float", "real"],
        ["double", "double precision"],
        ["bit(1)", "bit(1)"],
        ["bit(64)", "bit(64)"],
        ["year(4)", "smallint"],
        ["date", "date"],
        ["datetime", "timestamp(0) without time zone"],
        ["datetime(6)", "timestamp(6) without time zone"],
        ["timestamp(3)", "timestamp(3) with time zone"],
        ["time(6)", "interval(6)"],
        ["time", "interval(0)"],
        ["char(10)", "varchar(10)"],
        ["char(0)", "varchar"],
        ["varchar(255)", "varchar(255)"],
        ["tinytext", "text"], ["text", "text"], ["mediumtext", "text"], ["longtext", "text"],
        ["binary(16)", "bytea"], ["varbinary(8)", "bytea"], ["blob", "bytea"], ["longblob", "bytea"],
        ["enum('a','b')", "text"],
        ["set('x','y')", "text"],
        ["json", "jsonb"],
        ["uuid", "uuid"],
        ["inet6", "inet"],
    ])("%s → %s", (columnType, expected) => {
        expect(t(columnType)).toBe(expected);
    });

    it("MariaDB JSON (LONGTEXT + json_valid) is jsonb", () => {
        expect(t("longtext", { isJson: true })).toBe("jsonb");
    });

    it("falls back to the declared type when information_schema numbers are missing", () => {
        expect(t("decimal(12,4)", { numericPrecision: null, numericScale: null })).toBe("numeric(12,4)");
        expect(t("bit(7)", { numericPrecision: null })).toBe("bit(7)");
        expect(t("varchar(20)", { maxLength: null })).toBe("varchar(20)");
    });

    it.each(["geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection"])(
        "spatial %s is not migratable, and says how to leave it out", (type) => {
            const r = checkPostgresCompatibility(col("shape", type));
            expect(r.ok).toBe(false);
            if (!r.ok) {
                expect(r.reason).toMatch(/spatial/);
                expect(r.fix).toMatch(/columns: \[\.\.\.\]/);
            }
            expect(() => t(type)).toThrow(UnsupportedColumnError);
        },
    );

    it("names the column of an unknown type", () => {
        const r = checkPostgresCompatibility(col("v", "vector(3)"));
        expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/vector\(3\)/) });
        try {
            pgType(col("v", "vector(3)"), opts);
            expect.unreachable();
        } catch (e) {
            expect(e).toBeInstanceOf(UnsupportedColumnError);
            expect((e as UnsupportedColumnError).column).toBe("v");
        }
        expect(checkPostgresCompatibility(col("x", "toString"))).toMatchObject({ ok: false });
    });
});

describe("identifiers", () => {
    it("always quotes and doubles embedded quotes", () => {
        expect(quoteIdent("order")).toBe('"order"');
        expect(quoteIdent('we"ird')).toBe('"we""ird"');
        expect(qualified("Shop", "t")).toBe('"Shop"."t"');
    });

    it("derived names are stable, distinct for ambiguous joins, and fit 63 bytes", () => {
        expect(derivedName(["a_b", "c"], "idx")).not.toBe(derivedName(["a", "b_c"], "idx"));
        expect(derivedName(["t", "i"], "idx")).toBe(derivedName(["t", "i"], "idx"));
        const long = derivedName(["é".repeat(40), "index_with_a_long_name"], "key");
        expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
        expect(long).toMatch(/^é+_key_[0-9a-f]{8}$/);
    });
});

describe("COPY text encoding (pure)", () => {
    it("escapes only what COPY needs", () => {
        expect(escapeText("plain", "c")).toBe("plain");
        expect(escapeText("a\tb\nc\rd\\e", "c")).toBe("a\\tb\\nc\\rd\\\\e");
        expect(escapeText("\u000b\f", "c")).toBe("\u000b\f");
    });

    it("NULL, empty string, zero dates, TIMESTAMP zone, bits, bytes", () => {
        const enc = makeRowEncoder([
            col("s", "varchar(5)"), col("d", "date"), col("dt", "datetime"), col("ts", "timestamp(6)"),
            col("b", "bit(10)"), col("y", "blob"), col("n", "int(11)"),
        ]);
        expect(enc([null, "0000-00-00", "2020-00-15 00:00:00", "2024-02-29 23:59:59.000001", Buffer.from([0x02, 0xff]), Buffer.from([0, 0x5c, 0xff]), "-1"]))
            .toBe("\\N\t\\N\t\\N\t2024-02-29 23:59:59.000001+00\t1011111111\t\\\\x005cff\t-1\n");
        expect(enc(["", "0000-03-01", "2021-03-00 00:00:00", "0000-00-00 00:00:00", Buffer.from([0]), Buffer.alloc(0), "0"]))
            .toBe("\t\\N\t\\N\t\\N\t0000000000\t\\\\x\t0\n");
    });

    it("zero-extends short BIT buffers and rejects values wider than the column", () => {
        const enc = makeRowEncoder([col("b", "bit(12)")]);
        expect(enc([Buffer.from([0x01])])).toBe("000000000001\n");
        expect(() => enc([Buffer.from([0x10, 0x00])])).toThrow(UnencodableValueError);
    });

    it("U+0000 in text, \\u0000 and lone surrogates in JSON are dirty data, with the column named", () => {
        const enc = makeRowEncoder([col("note", "text"), col("doc", "json")]);
        const fail = (row: (string | null)[]) => {
            try {
                enc(row);
            } catch (e) {
                expect(e).toBeInstanceOf(UnencodableValueError);
                return (e as UnencodableValueError).column;
            }
            return "no error";
        };
        expect(fail(["a\u0000b", null])).toBe("note");
        expect(fail([null, '{"a":"\\u0000"}'])).toBe("doc");
        expect(fail([null, '["\\ud83d"]'])).toBe("doc");
        expect(fail([null, '["\\ude00"]'])).toBe("doc");
        expect(enc([null, '["\\\\u0000", "\\ud83d\\ude00", "\\u00e9"]'])).toBe('\\N\t["\\\\\\\\u0000", "\\\\ud83d\\\\ude00", "\\\\u00e9"]\n');
    });

    it("calendar-invalid dates (ALLOW_INVALID_DATES) are dirty data; leap days are not", () => {
        const enc = makeRowEncoder([col("d", "date")]);
        expect(() => enc(["2023-02-29"])).toThrow(/not a calendar date/);
        expect(() => enc(["2023-04-31"])).toThrow(UnencodableValueError);
        expect(enc(["2000-02-29"])).toBe("2000-02-29\n");
        expect(() => enc(["1900-02-29"])).toThrow(UnencodableValueError);
    });

    it("refuses rows of the wrong width and values of the wrong shape", () => {
        const enc = makeRowEncoder([col("a", "int"), col("b", "blob")]);
        expect(() => enc(["1"])).toThrow(/1 values for 2 columns/);
        expect(() => enc([Buffer.from("1"), null])).toThrow(TypeError);
        expect(() => enc(["1", "text"])).toThrow(TypeError);
    });
});
