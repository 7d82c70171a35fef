import { describe, expect, it } from "vitest";
import { loggedDmlTables } from "../../provider/connectors/mysql/ddl-statement";

describe("loggedDmlTables", () => {
    it("names the tables DML logged as a statement writes", () => {
        expect(loggedDmlTables("INSERT IGNORE INTO t (a) VALUES (1)", "d")).toEqual([{ database: "d", name: "t" }]);
        expect(loggedDmlTables("/* app */ REPLACE `x`.`t` VALUES (1)", "d")).toEqual([{ database: "x", name: "t" }]);
        expect(loggedDmlTables("UPDATE LOW_PRIORITY a, b SET a.v = b.v", "d")).toEqual([{ database: "d", name: "a" }, { database: "d", name: "b" }]);
        expect(loggedDmlTables("DELETE FROM t WHERE id = 1", "d")).toEqual([{ database: "d", name: "t" }]);
        expect(loggedDmlTables("LOAD DATA INFILE 'f' INTO TABLE s.t", "d")).toEqual([{ database: "s", name: "t" }]);
    });

    it("is null for anything else", () => {
        expect(loggedDmlTables("ALTER TABLE t ADD c INT", "d")).toBeNull();
        expect(loggedDmlTables("CREATE TABLE t AS SELECT 1", "d")).toBeNull();
        expect(loggedDmlTables("SAVEPOINT `s`", "d")).toBeNull();
    });
});
