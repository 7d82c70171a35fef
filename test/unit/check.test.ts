import { describe, expect, it } from "vitest";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { UNKNOWN, validate } from "../../provider/check";
import { connectionArgsSchema } from "../../sdk/schema/connection";
import { taskArgsSchema } from "../../sdk/schema/task";

const src = { connectionId: "dbc-1", engine: "mariadb" };
const dst = { connectionId: "dbc-2", engine: "postgresql" };
const task = (extra: Record<string, unknown> = {}) => ({
    source: src, destination: dst, migrationTypes: ["schema", "full"], objects: [{ database: "shop" }], ...extra,
});

function failures(schema: Parameters<typeof validate>[0], input: unknown) {
    const r = validate(schema, input);
    return r.ok ? [] : r.failures;
}

describe("check: property paths and fixes, as pulumi preview shows them", () => {
    it("uses the same unknown placeholder as Pulumi's runtime", () => {
        expect(UNKNOWN).toBe(unknownValue);
    });

    it("names the field and the fix for the retry rule", () => {
        expect(failures(taskArgsSchema, task({ retry: { connectionMinutes: 720, otherMinutes: 800 } }))).toEqual([
            {
                property: "retry.otherMinutes",
                reason: "retry.otherMinutes (800) must be smaller than retry.connectionMinutes (720); lower otherMinutes or raise connectionMinutes",
            },
        ]);
    });

    it("applies DTS ranges and defaults to retry windows", () => {
        const r = validate(taskArgsSchema, task());
        expect(r.ok && r.value.retry).toEqual({ connectionMinutes: 720, otherMinutes: 10 });
        expect(failures(taskArgsSchema, task({ retry: { connectionMinutes: 5 } }))[0]).toEqual({
            property: "retry.connectionMinutes", reason: "retry.connectionMinutes must be between 10 and 1440 (got 5)",
        });
        expect(failures(taskArgsSchema, task({ retry: { otherMinutes: 0 } }))[0].property).toBe("retry.otherMinutes");
    });

    it("does not judge unknown values, nor rules that read them", () => {
        expect(validate(taskArgsSchema, task({ retry: { connectionMinutes: UNKNOWN, otherMinutes: 800 } }))).toMatchObject({ ok: false, failures: [], incomplete: true });
        expect(validate(taskArgsSchema, task({ source: UNKNOWN, destination: UNKNOWN }))).toMatchObject({ failures: [] });
        expect(validate(connectionArgsSchema, { engine: "mariadb", host: UNKNOWN, user: "u", password: UNKNOWN })).toMatchObject({ failures: [] });
    });

    it("still reports known mistakes next to unknown values", () => {
        const f = failures(connectionArgsSchema, { engine: "mariadb", host: UNKNOWN, user: "u", port: 70000 });
        expect(f).toEqual([{ property: "port", reason: "port must be between 1 and 65535 (got 70000)" }]);
    });

    it("names an unknown engine with the accepted ones", () => {
        const f = failures(connectionArgsSchema, { engine: "oracle", host: "h", user: "u" });
        expect(f[0].property).toBe("engine");
        expect(f[0].reason).toMatch(/"mysql", "polardb-mysql", "mariadb", "postgresql"/);
    });

    it("reports missing required fields by name", () => {
        expect(failures(connectionArgsSchema, { engine: "postgresql", user: "u" })).toEqual([{ property: "host", reason: "host is required" }]);
    });

    it("checks Tablestore bucket count against concurrency", () => {
        const f = failures(taskArgsSchema, task({ tablestore: { concurrency: 4, bucketCount: 8 } }));
        expect(f).toEqual([{ property: "tablestore.bucketCount", reason: "tablestore.bucketCount (8) must be less than or equal to tablestore.concurrency (4)" }]);
    });

    it("refuses throttling and waits for migration types the task does not run", () => {
        const f = failures(taskArgsSchema, task({ throttle: { incremental: { rps: 10 } }, waitFor: "caught-up" }));
        expect(f.map((x) => x.property).sort()).toEqual(["throttle.incremental", "waitFor"]);
    });

    it("finds two tables renamed onto the same destination", () => {
        const f = failures(taskArgsSchema, task({ objects: [{ database: "shop", tables: [{ name: "a", renameTo: "t" }, { name: "b", renameTo: "T" }] }] }));
        expect(f[0].property).toBe("objects[0].tables[1]");
        expect(f[0].reason).toMatch(/already writes to/);
    });

    it("enforces the 1,000-table limit when tables are mapped", () => {
        const tables = Array.from({ length: 1001 }, (_, i) => ({ name: `t${i}`, renameTo: `n${i}` }));
        const f = failures(taskArgsSchema, task({ objects: [{ database: "shop", tables }] }));
        expect(f[0].reason).toMatch(/at most 1,000/);
    });

    it("requires a CA for verify-ca", () => {
        const f = failures(connectionArgsSchema, { engine: "mysql", host: "h", user: "u", tls: { mode: "verify-ca" } });
        expect(f).toEqual([{ property: "tls.ca", reason: expect.stringMatching(/^tls\.ca is required when tls\.mode is "verify-ca"/) }]);
    });
});
