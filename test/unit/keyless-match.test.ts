import { describe, expect, it } from "vitest";
import { rowMatcher } from "../../provider/connectors/mysql/destination/change-sink";
import type { SourceColumn } from "../../provider/engine/model";

const col = (over: Partial<SourceColumn>): SourceColumn => ({
    name: "c", ordinal: 1, dataType: "int", columnType: "int", nullable: true, defaultValue: null, extra: "", generationExpression: null,
    unsigned: false, maxLength: null, numericPrecision: null, numericScale: null, datetimePrecision: null, charset: null, collation: null,
    enumValues: null, comment: "", invisible: false, isJson: false, ...over,
});
const lit = (v: string | Buffer | null) => (v === null ? "NULL" : Buffer.isBuffer(v) ? `X'${v.toString("hex")}'` : `'${v}'`);

describe("keyless rows are found by an exact before image (MySQL destinations)", () => {
    it("BIT compares as its number, not as the hex string it is written as", () => {
        expect(rowMatcher(col({ dataType: "bit" }), lit)("`b`", Buffer.from([0x07, 0x65]))).toBe("`b` = 1893");
        expect(rowMatcher(col({ dataType: "bit" }), lit)("`b`", null)).toBe("`b` IS NULL");
    });
    it("strings compare as bytes in the column's character set (no case or trailing-space folding)", () => {
        expect(rowMatcher(col({ dataType: "varchar", charset: "latin1" }), lit)("`s`", "abc ")).toBe("HEX(`s`) = HEX(CONVERT('abc ' USING latin1))");
    });
    it("MySQL's JSON compares as JSON; numbers and temporals by value, NULL-safely", () => {
        expect(rowMatcher(col({ dataType: "json", isJson: true }), lit)("`j`", '{"a":1}')).toBe("`j` = CAST('{\"a\":1}' AS JSON)");
        expect(rowMatcher(col({ dataType: "decimal" }), lit)("`d`", "1.50")).toBe("`d` <=> '1.50'");
        expect(rowMatcher(col({ dataType: "datetime" }), lit)("`t`", null)).toBe("`t` <=> NULL");
    });
});
