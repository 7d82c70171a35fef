import { describe, expect, it } from "vitest";
import { createEventDisabled } from "../../provider/connectors/mysql/destination/event-status";
import { DdlError } from "../../provider/connectors/mysql/schema-errors";

describe("createEventDisabled (texts as SHOW CREATE EVENT prints them, DEFINER already removed)", () => {
    it("ENABLE becomes DISABLE; the source ran it, so it is to be enabled at cutover", () => {
        expect(createEventDisabled("CREATE EVENT `ev1` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM c WHERE x < 0")).toEqual({
            sql: "CREATE EVENT `ev1` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' ON COMPLETION NOT PRESERVE DISABLE DO DELETE FROM c WHERE x < 0",
            enabledAtSource: true,
        });
    });

    it("the status before a COMMENT; ENABLE in the comment or body is left alone", () => {
        expect(createEventDisabled("CREATE EVENT e ON SCHEDULE AT '2030-01-01 00:00:00' ON COMPLETION PRESERVE ENABLE COMMENT 'ENABLE DO' DO BEGIN ALTER EVENT other ENABLE; END").sql).toBe(
            "CREATE EVENT e ON SCHEDULE AT '2030-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE COMMENT 'ENABLE DO' DO BEGIN ALTER EVENT other ENABLE; END",
        );
    });

    it("no status (ENABLE by default): DISABLE added where the grammar puts it", () => {
        expect(createEventDisabled("CREATE EVENT e ON SCHEDULE EVERY 1 HOUR DO SET @a = 'ENABLE'")).toEqual({
            sql: "CREATE EVENT e ON SCHEDULE EVERY 1 HOUR DISABLE DO SET @a = 'ENABLE'", enabledAtSource: true,
        });
        expect(createEventDisabled("CREATE EVENT e ON SCHEDULE EVERY 1 HOUR COMMENT 'c' DO SET @a = 1").sql).toBe("CREATE EVENT e ON SCHEDULE EVERY 1 HOUR DISABLE COMMENT 'c' DO SET @a = 1");
    });

    it("disabled at the source: unchanged, nothing to enable at cutover", () => {
        for (const status of ["DISABLE", "DISABLE ON SLAVE", "DISABLE ON REPLICA"]) {
            const sql = `CREATE EVENT e ON SCHEDULE EVERY 1 HOUR ON COMPLETION NOT PRESERVE ${status} DO SET @a = 1`;
            expect(createEventDisabled(sql)).toEqual({ sql, enabledAtSource: false });
        }
    });

    it("refuses what it cannot read, naming the event", () => {
        expect(() => createEventDisabled("SELECT 1")).toThrow(DdlError);
        expect(() => createEventDisabled("CREATE EVENT e DO SET @a = 1", { database: "d", object: "e" })).toThrow(/database "d", "e": .*ON SCHEDULE not found/);
        expect(() => createEventDisabled("CREATE EVENT e ON SCHEDULE EVERY 1 HOUR")).toThrow(/DO not found/);
    });
});
