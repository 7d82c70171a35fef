import { describe, expect, it } from "vitest";
import { guardTrigger } from "../../provider/connectors/mysql/destination/trigger-guard";
import { DdlError } from "../../provider/connectors/mysql/schema-errors";
import { ENGINE_SESSION_VARIABLE, MARK_ENGINE_SESSION } from "../../provider/connectors/mysql/destination/write-modes";

const G = "IF @pulumi_dts_apply IS NULL THEN ";

describe("guardTrigger (texts as SHOW CREATE TRIGGER prints them, DEFINER already removed)", () => {
    it("one variable names the guard and the engine sessions' mark", () => {
        expect(ENGINE_SESSION_VARIABLE).toBe("pulumi_dts_apply");
        expect(MARK_ENGINE_SESSION).toBe("SET @pulumi_dts_apply = 1");
    });

    it("single-statement body", () => {
        expect(guardTrigger("CREATE TRIGGER `t_ins` AFTER INSERT ON `t` FOR EACH ROW INSERT INTO audit (what) VALUES (CONCAT('t ', NEW.id))")).toBe(
            `CREATE TRIGGER \`t_ins\` AFTER INSERT ON \`t\` FOR EACH ROW ${G}INSERT INTO audit (what) VALUES (CONCAT('t ', NEW.id)); END IF`,
        );
        expect(guardTrigger("CREATE TRIGGER tr BEFORE UPDATE ON c for each row SET NEW.x = NEW.x + 1")).toBe(
            `CREATE TRIGGER tr BEFORE UPDATE ON c for each row ${G}SET NEW.x = NEW.x + 1; END IF`,
        );
    });

    it("BEGIN…END with DECLAREs stays whole inside the IF, so DECLARE is still first in its block", () => {
        const body = "BEGIN\n  DECLARE n INT DEFAULT 0;\n  DECLARE CONTINUE HANDLER FOR NOT FOUND SET n = -1;\n  SELECT COUNT(*) INTO n FROM audit;\n  INSERT INTO audit (what) VALUES (n);\nEND";
        expect(guardTrigger(`CREATE TRIGGER tr AFTER DELETE ON c FOR EACH ROW ${body}`)).toBe(`CREATE TRIGGER tr AFTER DELETE ON c FOR EACH ROW ${G}${body}; END IF`);
    });

    it("labelled block: the label stays with its BEGIN and END, LEAVE still finds it", () => {
        const body = "main: BEGIN\n  DECLARE x INT;\n  IF NEW.id < 0 THEN LEAVE main; END IF;\n  INSERT INTO audit (what) VALUES ('x');\nEND main";
        expect(guardTrigger(`CREATE TRIGGER tr AFTER INSERT ON c FOR EACH ROW\n${body}`)).toBe(`CREATE TRIGGER tr AFTER INSERT ON c FOR EACH ROW\n${G}${body}; END IF`);
        const quoted = "`my block`: BEGIN SET @a = 1; END `my block`";
        expect(guardTrigger(`CREATE TRIGGER tr AFTER INSERT ON c FOR EACH ROW ${quoted}`)).toBe(`CREATE TRIGGER tr AFTER INSERT ON c FOR EACH ROW ${G}${quoted}; END IF`);
    });

    it("FOR EACH ROW in strings, comments and quoted names is not the header", () => {
        expect(guardTrigger("CREATE TRIGGER `for each row` AFTER INSERT ON `FOR EACH ROW` /* FOR EACH ROW */ FOR EACH ROW INSERT INTO audit VALUES ('FOR EACH ROW')")).toBe(
            `CREATE TRIGGER \`for each row\` AFTER INSERT ON \`FOR EACH ROW\` /* FOR EACH ROW */ FOR EACH ROW ${G}INSERT INTO audit VALUES ('FOR EACH ROW'); END IF`,
        );
        // The body's own words stay as they are.
        expect(guardTrigger("CREATE TRIGGER t AFTER INSERT ON c FOR EACH ROW -- FOR EACH ROW\nINSERT INTO audit VALUES ('a -- b')")).toBe(
            `CREATE TRIGGER t AFTER INSERT ON c FOR EACH ROW -- FOR EACH ROW\n${G}INSERT INTO audit VALUES ('a -- b'); END IF`,
        );
    });

    it("FOLLOWS / PRECEDES survive, ahead of the guard", () => {
        expect(guardTrigger("CREATE TRIGGER t2 AFTER INSERT ON c FOR EACH ROW FOLLOWS t1 SET @a = 1")).toBe(
            `CREATE TRIGGER t2 AFTER INSERT ON c FOR EACH ROW FOLLOWS t1 ${G}SET @a = 1; END IF`,
        );
        expect(guardTrigger("CREATE TRIGGER t0 AFTER INSERT ON c FOR EACH ROW PRECEDES `t 1` BEGIN SET @a = 1; END")).toBe(
            `CREATE TRIGGER t0 AFTER INSERT ON c FOR EACH ROW PRECEDES \`t 1\` ${G}BEGIN SET @a = 1; END; END IF`,
        );
    });

    it("a trailing ';' or comment does not break the END IF", () => {
        expect(guardTrigger("CREATE TRIGGER t AFTER INSERT ON c FOR EACH ROW SET @a = 1;")).toBe(`CREATE TRIGGER t AFTER INSERT ON c FOR EACH ROW ${G}SET @a = 1; END IF`);
        // A line comment at the end would swallow an END IF appended after it.
        expect(guardTrigger("CREATE TRIGGER t AFTER INSERT ON c FOR EACH ROW SET @a = 1 -- done")).toBe(`CREATE TRIGGER t AFTER INSERT ON c FOR EACH ROW ${G}SET @a = 1; END IF -- done`);
    });

    it("keeps everything before the body: OR REPLACE, IF NOT EXISTS, qualified table", () => {
        expect(guardTrigger("CREATE OR REPLACE TRIGGER IF NOT EXISTS `d`.`t` BEFORE DELETE ON `d`.`c` FOR EACH ROW DELETE FROM x WHERE id = OLD.id")).toBe(
            `CREATE OR REPLACE TRIGGER IF NOT EXISTS \`d\`.\`t\` BEFORE DELETE ON \`d\`.\`c\` FOR EACH ROW ${G}DELETE FROM x WHERE id = OLD.id; END IF`,
        );
    });

    it("refuses what it cannot read, naming the trigger", () => {
        expect(() => guardTrigger("SELECT 1")).toThrow(DdlError);
        expect(() => guardTrigger("CREATE TRIGGER t AFTER INSERT ON c SET @a = 1", { database: "d", object: "t" })).toThrow(/database "d", "t": .*FOR EACH ROW not found/);
        expect(() => guardTrigger("CREATE TRIGGER t AFTER INSERT ON c FOR EACH ROW ;")).toThrow(/body not found/);
        const err = (() => {
            try {
                guardTrigger("CREATE TRIGGER t AFTER INSERT ON c FOR EACH ROW", { database: "d", table: "c", object: "t" });
            } catch (e) {
                return e;
            }
        })();
        expect(err).toBeInstanceOf(DdlError);
        expect((err as DdlError).location).toEqual({ database: "d", table: "c", object: "t" });
    });
});
