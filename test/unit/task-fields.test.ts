import { describe, expect, it } from "vitest";
import { classifyChanges, fieldPolicy, strongest } from "../../sdk/schema/task-fields";
import { describeChanges, diffArguments } from "../../provider/hooks/task";
import { UNKNOWN } from "../../provider/check";

const base = {
    source: { connectionId: "dbc-a", engine: "mariadb", host: "h", user: "u", password: "p" },
    destination: { connectionId: "dbc-b", engine: "postgresql", host: "h", user: "u", password: "p" },
    migrationTypes: ["schema", "full", "incremental"],
    objects: [{ database: "shop", tables: [{ name: "orders" }, { name: "items", dml: ["insert"] }] }],
    throttle: { incremental: { rps: 100 } },
};

function withChange(change: (t: typeof base) => void): typeof base {
    const t = structuredClone(base);
    change(t);
    return t;
}

describe("field behaviour table", () => {
    it("the most specific entry decides", () => {
        expect(fieldPolicy("objects[0].tables[1].dml")?.behaviour).toBe("live");
        expect(fieldPolicy("objects[0].tables[1].renameTo")?.behaviour).toBe("restart");
        expect(fieldPolicy("objects[0].tables[1].renameTo")?.field).toBe("objects");
        expect(fieldPolicy("source.connectionId")?.behaviour).toBe("replace");
        expect(fieldPolicy("source.password")?.behaviour).toBe("restart");
        expect(fieldPolicy("throttle.incremental.rps")?.behaviour).toBe("live");
    });

    it("classifies each changed leaf, and one restart outweighs live changes", () => {
        const next = withChange((t) => {
            t.objects[0].tables[1].dml = ["insert", "delete"];
            t.throttle.incremental.rps = 5;
        });
        const changes = classifyChanges(base, next);
        expect(changes.map((c) => [c.path, c.behaviour])).toEqual([
            ["objects[0].tables[1].dml", "live"],
            ["throttle.incremental.rps", "live"],
        ]);
        expect(strongest(changes)).toBe("live");
        const renamed = withChange((t) => {
            (t.objects[0].tables[0] as { renameTo?: string }).renameTo = "orders2";
            t.throttle.incremental.rps = 5;
        });
        expect(strongest(classifyChanges(base, renamed))).toBe("restart");
    });

    it("a table added to the selection restarts (the array itself changed)", () => {
        const next = withChange((t) => t.objects[0].tables.push({ name: "users" }));
        expect(classifyChanges(base, next).map((c) => [c.path, c.behaviour])).toEqual([["objects[0].tables", "restart"]]);
    });
});

describe("diff follows the table", () => {
    it("live and restart fields update; replace fields replace, naming the top-level property", async () => {
        const live = diffArguments(base, withChange((t) => { t.throttle.incremental.rps = 1; }));
        expect(live).toMatchObject({ changes: true, replaces: [] });
        const moved = diffArguments(base, withChange((t) => { t.source.connectionId = "dbc-c"; }));
        expect(moved.replaces).toEqual(["source"]);
        // migrationTypes restarts the task in place (its tables and progress are its own).
        const types = diffArguments(base, withChange((t) => { t.migrationTypes = ["schema", "full"]; }));
        expect(types).toMatchObject({ changes: true, replaces: [] });
        expect(diffArguments(base, structuredClone(base))).toMatchObject({ changes: false, replaces: [] });
        // A connection being replaced is unknown at preview: its id may change, so the task may be replaced.
        const unknownSource = diffArguments(base, { ...structuredClone(base), source: UNKNOWN });
        expect(unknownSource.replaces).toEqual(["source"]);
    });

    it("says what each change does", () => {
        const lines = describeChanges(classifyChanges(base, withChange((t) => {
            t.objects[0].tables[1].dml = ["insert", "delete"];
            t.migrationTypes = ["schema", "full"];
        })));
        expect(lines).toEqual([
            expect.stringMatching(/^\[pulumi-dts\] migrationTypes: restarts the task: /),
            expect.stringMatching(/^\[pulumi-dts\] objects\[0\]\.tables\[1\]\.dml: applied live: /),
        ]);
    });
});
