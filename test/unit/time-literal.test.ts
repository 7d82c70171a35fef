import { describe, expect, it } from "vitest";
import { mysqlTimeLiteral } from "../../provider/connectors/postgres/defaults";

describe("TIME literals as MySQL reads them", () => {
    it.each([
        ["0000-00-00 01:00:00.000", "01:00:00.000"],
        ["2024-01-02 13:14:15", "13:14:15"],
        ["1 02:00:00", "26:00:00"],
        ["-2 01:30", "-49:30"],
        ["3 04", "76:00:00"],
        ["-838:59:59", "-838:59:59"],
        ["12:34:56.5", "12:34:56.5"],
        ["123456", "12:34:56"],
        ["5959", "0:59:59"],
        ["not a time", null],
    ])("%s", (text, expected) => {
        expect(mysqlTimeLiteral(text)).toBe(expected);
    });
});
