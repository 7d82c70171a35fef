/**
 * What `pulumi preview` judges (issue 15 §1, §2): misspelt fields are refused at every level
 * with the field they most likely meant, and a task whose connections do not exist yet (a
 * new stack: their outputs are unknown) still has every rule judged that reads no unknown.
 */
import { describe, expect, it } from "vitest";
import { check as checkTask } from "../../provider/hooks/task";
import { check as checkConnection } from "../../provider/hooks/connection";
import { closestField, UNKNOWN } from "../../provider/check";

const source = { engine: "mariadb", host: "db", user: "u", password: "p", connectionId: "dbc-1" };
const destination = { engine: "postgresql", host: "pg", user: "u", password: "p", database: "d", connectionId: "dbc-2" };
const task = { source, destination, migrationTypes: ["schema", "full"], objects: [{ database: "shop" }] };

async function reasons(args: Record<string, unknown>): Promise<string[]> {
    return (await checkTask({}, args)).failures.map((f) => f.reason);
}

describe("unknown fields", () => {
    it.each([
        [{ ...task, objects: [{ database: "shop", tabels: [{ name: "a" }] }] }, 'objects[0].tabels is not a field of a database selection; did you mean "tables"?'],
        [{ ...task, waitfor: "started" }, 'waitfor is not a field of a MigrationTask; did you mean "waitFor"?'],
        [{ ...task, dirtydata: "skip" }, 'dirtydata is not a field of a MigrationTask; did you mean "dirtyData"?'],
        [{ ...task, objects: [{ database: "shop", tables: [{ name: "a", renameto: "b" }] }] }, 'objects[0].tables[0].renameto is not a field of a table selection; did you mean "renameTo"?'],
        [{ ...task, objects: [{ database: "shop", tables: [{ name: "a", columns: [{ name: "c", rename: "d" }] }] }] }, 'objects[0].tables[0].columns[0].rename is not a field of a column selection; did you mean "renameTo"?'],
        [{ ...task, retry: { connectionMinute: 30 } }, 'retry.connectionMinute is not a field of retry; did you mean "connectionMinutes"?'],
        [{ ...task, migrationTypes: ["full"], throttle: { full: { rsp: 5 } } }, 'throttle.full.rsp is not a field of throttle.full; did you mean "rps"?'],
        [{ ...task, source: { ...source, hots: "x" } }, 'source.hots is not a field of a MySQL-family DatabaseConnection; did you mean "host"?'],
    ])("%#: %s", async (args, reason) => {
        expect(await reasons(args as Record<string, unknown>)).toContain(reason);
    });

    it("a field nothing resembles lists the known ones", async () => {
        const r = await reasons({ ...task, heartbeat: { zzzzzz: 1 } });
        expect(r.join("\n")).toMatch(/heartbeat\.zzzzzz is not a field of heartbeat; its fields are "enabled", "table", "intervalSeconds"/);
    });

    it("connections refuse them too, and the provider's own keys are not taken for the program's", async () => {
        const r = await checkConnection({}, { engine: "postgresql", host: "h", user: "u", databse: "x", __provider: "xyz" });
        expect(r.failures.map((f) => f.reason)).toEqual(['databse is not a field of a PostgreSQL-family DatabaseConnection; did you mean "database"?']);
        expect((await checkTask({}, { ...task, __provider: "xyz" })).failures).toEqual([]);
    });

    it("suggests only close names", () => {
        expect(closestField("tabels", ["tables", "database"])).toBe("tables");
        expect(closestField("TABLES", ["tables"])).toBe("tables");
        expect(closestField("frobnicate", ["tables", "database"])).toBeUndefined();
    });
});

describe("a new stack: the connections' outputs are unknown", () => {
    // The SDK passes a connection's arguments with only its id unknown, and a connection being
    // replaced may arrive wholly unknown: both must leave the task's own rules judged.
    const fresh = { ...source, connectionId: UNKNOWN };
    const freshDest = { ...destination, connectionId: UNKNOWN };
    for (const [what, src, dst] of [["ids unknown", fresh, freshDest], ["connections wholly unknown", UNKNOWN, UNKNOWN]] as const) {
        it.each([
            ["migration types", { migrationTypes: ["full", "full"] }, /migrationTypes must not list a migration type twice/],
            ["waitFor", { waitFor: "caught-up" }, /waitFor "caught-up" needs "incremental"/],
            ["selection duplicates", { objects: [{ database: "a", tables: [{ name: "x" }, { name: "y", renameTo: "x" }] }] }, /would write to a\.x/],
            ["throttle", { throttle: { incremental: { rps: 5 } } }, /throttle\.incremental applies only when migrationTypes includes "incremental"/],
            ["retry", { retry: { connectionMinutes: 10, otherMinutes: 20 } }, /retry\.otherMinutes \(20\) must be smaller/],
            ["heartbeat", { heartbeat: { table: "nodot" } }, /heartbeat\.table must be database\.table/],
        ])(`${what}: %s`, async (_family, change, reason) => {
            const r = await reasons({ ...task, source: src, destination: dst, ...change });
            expect(r.join("\n")).toMatch(reason);
        });
    }

    it("destination-specific settings are judged once the destination's engine is known", async () => {
        const r = await reasons({ ...task, source: fresh, destination: freshDest, objects: [{ database: "a", tables: [{ name: "x", distributionKey: ["id"] }] }] });
        expect(r.join("\n")).toMatch(/objects\[0\]\.tables\[0\]\.distributionKey applies only to "analyticdb-postgresql" destinations/);
    });

    it("and a valid task passes", async () => {
        expect(await reasons({ ...task, source: fresh, destination: freshDest })).toEqual([]);
        expect(await reasons({ ...task, source: UNKNOWN, destination: UNKNOWN })).toEqual([]);
    });
});

describe("selection collisions", () => {
    it.each([
        ["two databases renamed to one target", [{ database: "a", renameTo: "x" }, { database: "b", renameTo: "x" }], /objects\[1\]\.renameTo would write to database "x", which objects\[0\] \(a\) already writes to/],
        ["a rename onto another selected database", [{ database: "a", renameTo: "b" }, { database: "b" }], /objects\[1\]\.database would write to database "b", which objects\[0\] \(a\) already writes to/],
        ["targets that differ only in case", [{ database: "Shop" }, { database: "x", renameTo: "shop" }], /objects\[1\]\.renameTo would write to database "shop"/],
        ["tables that differ only in case", [{ database: "a", tables: [{ name: "T" }, { name: "u", renameTo: "t" }] }], /objects\[0\]\.tables\[1\] would write to a\.t/],
    ])("%s", async (_what, objects, reason) => {
        expect((await reasons({ ...task, objects })).join("\n")).toMatch(reason);
    });
});

describe("wrong types say what was given and what is expected", () => {
    it.each([
        [{ ...task, source: { ...source, port: "3306x" } }, 'source.port must be a number (got a string "3306x")'],
        [{ ...task, retry: { connectionMinutes: 30.5 } }, "retry.connectionMinutes must be a whole number (got 30.5)"],
        [{ ...task, migrationTypes: ["fulll"] }, 'migrationTypes[0] must be one of "schema", "full", "incremental" (got "fulll")'],
        [{ ...task, objects: "shop" }, 'objects must be an array (got a string "shop")'],
    ])("%#", async (args, reason) => {
        expect(await reasons(args as Record<string, unknown>)).toContain(reason);
    });
    it("a missing field is still 'required'", async () => {
        const { objects: _o, ...rest } = task;
        expect(await reasons(rest)).toContain("objects is required");
    });
});

describe("changes an existing task cannot take are refused at preview", () => {
    const olds = { ...task, migrationTypes: ["schema", "full", "incremental"] };
    it("adding schema or full to an existing task", async () => {
        const r = (await checkTask({ ...task, migrationTypes: ["incremental"] }, { ...task, migrationTypes: ["full", "incremental"] })).failures;
        expect(r.map((f) => f.reason).join("\n")).toMatch(/migrationTypes: adding "full" to an existing task would migrate into the tables it already holds; create another MigrationTask/);
    });
    it("removing or adding incremental is fine", async () => {
        expect((await checkTask(olds, { ...task, migrationTypes: ["schema", "full"] })).failures).toEqual([]);
        expect((await checkTask({ ...task }, { ...task, migrationTypes: ["schema", "full", "incremental"] })).failures).toEqual([]);
    });
    it("another source into the same destination, once tables were migrated there", async () => {
        const r = (await checkTask(olds, { ...olds, source: { ...source, connectionId: "dbc-9" } })).failures;
        expect(r.map((f) => f.property)).toEqual(["source"]);
        expect(r[0].reason).toMatch(/would find the tables this one migrated at the same destination/);
        // Another destination is a clean replace; an unknown id cannot be judged yet.
        expect((await checkTask(olds, { ...olds, source: { ...source, connectionId: "dbc-9" }, destination: { ...destination, connectionId: "dbc-8" } })).failures).toEqual([]);
        expect((await checkTask(olds, { ...olds, source: { ...source, connectionId: UNKNOWN } })).failures).toEqual([]);
    });
});

describe("zeroDates", () => {
    it("means something only at PostgreSQL-family destinations", async () => {
        const objects = [{ database: "a", tables: [{ name: "t", zeroDates: { at: "epoch" } }] }];
        expect((await reasons({ ...task, objects })).join("\n")).toBe("");
        const mysqlDest = { ...destination, engine: "mariadb" };
        delete (mysqlDest as { database?: string }).database;
        expect((await reasons({ ...task, destination: mysqlDest, objects })).join("\n"))
            .toMatch(/objects\[0\]\.tables\[0\]\.zeroDates applies only to "postgresql" or "analyticdb-postgresql" destinations/);
        expect((await reasons({ ...task, objects: [{ database: "a", tables: [{ name: "t", zeroDates: { at: "zero" } }] }] })).join("\n"))
            .toMatch(/zeroDates\.at must be one of "minus-infinity", "epoch"/);
    });
});
