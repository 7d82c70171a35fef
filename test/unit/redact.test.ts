import { describe, expect, it } from "vitest";
import { ConnectionError, redact } from "../../provider/errors/connection-error";

describe("secrets in messages", () => {
    it("removes every occurrence of each secret", () => {
        expect(redact("user:pw@host pw again", ["pw"])).toBe("user:[secret]@host [secret] again");
        expect(redact("nothing", ["", undefined])).toBe("nothing");
    });

    it("connection errors name the endpoint and the fix, not the password", () => {
        const e = new ConnectionError("auth-failed", { engine: "mariadb", host: "db", port: 3306, user: "dts" }, "Access denied");
        expect(e.message).toBe('cannot connect to mariadb at db:3306 as "dts": Access denied (check the user and password, and that the account may connect from this host)');
    });
});
