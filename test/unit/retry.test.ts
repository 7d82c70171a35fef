import { describe, expect, it } from "vitest";
import { classifyFailure, RetryWindow } from "../../provider/engine/retry";
import { ConnectionError } from "../../provider/errors/connection-error";
import { PositionPurgedError } from "../../provider/engine/change-source";
import { UnappliedStatementError } from "../../provider/engine/incremental/stream";
import { RowRejectedError } from "../../provider/engine/sink";
import { DdlError } from "../../provider/connectors/mysql/schema-errors";

const endpoint = { engine: "mariadb", host: "db", port: 3306, user: "u" } as const;

describe("one failure classification for every retry loop", () => {
    it.each([
        ["refused credentials (ConnectionError)", new ConnectionError("auth-failed", endpoint as never, "Access denied"), "permanent"],
        ["refused credentials (raw mysql2 error, e.g. on the binlog connection)", Object.assign(new Error("Access denied for user"), { errno: 1045, code: "ER_ACCESS_DENIED_ERROR" }), "permanent"],
        ["refused credentials (raw pg error)", Object.assign(new Error("password authentication failed"), { code: "28P01" }), "permanent"],
        ["unknown database", Object.assign(new Error("Unknown database 'x'"), { errno: 1049 }), "permanent"],
        ["a statement the stream cannot apply", new UnappliedStatementError("ALTER …", "alter-table", { file: "b.1", position: 4 }), "permanent"],
        ["a purged position", new PositionPurgedError({ file: "b.1", position: 4 }, "gone"), "permanent"],
        ["a rejected row under dirtyData block", new RowRejectedError("a.b", "id=1", "bad"), "permanent"],
        ["DDL that cannot be built", new DdlError({ table: "t" }, "no columns are migrated"), "permanent"],
        ["an unreachable server", new ConnectionError("unreachable", endpoint as never, "ECONNREFUSED"), "connection"],
        ["a dropped connection", Object.assign(new Error("Connection lost"), { code: "PROTOCOL_CONNECTION_LOST" }), "connection"],
        ["a lock wait timeout", Object.assign(new Error("Lock wait timeout exceeded"), { errno: 1205 }), "other"],
    ])("%s", (_what, err, kind) => {
        expect(classifyFailure(err)).toBe(kind);
    });
});

describe("retry window", () => {
    it("never retries a permanent failure; reports the window of a retried one", () => {
        const w = new RetryWindow(() => ({ connection: 10, other: 2 }));
        expect(w.next(new RowRejectedError("a.b", "id=1", "bad"))).toEqual({ retry: false, kind: "permanent" });
        const d = w.next(Object.assign(new Error("Lock wait timeout exceeded"), { errno: 1205 }));
        expect(d.retry).toBe(true);
        if (!d.retry) return;
        expect(d.state.kind).toBe("other");
        expect(Date.parse(d.state.windowEndsAt) - Date.parse(d.state.since)).toBe(2 * 60_000);
        expect(d.state.attempts).toBe(1);
        const again = w.next(Object.assign(new Error("ECONNRESET"), { code: "ECONNRESET" }));
        expect(again.retry && again.waitMs).toBe(1000);
        expect(again.retry && Date.parse(again.state.windowEndsAt) - Date.parse(again.state.since)).toBe(10 * 60_000);
    });
});
