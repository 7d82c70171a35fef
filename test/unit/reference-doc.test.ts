/**
 * docs/reference.md is generated from the schemas (scripts/gen-reference.ts); a schema,
 * field-behaviour, refusal or precheck change that is not regenerated fails here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fieldRows, precheckItems, renderReference, repoRoot, schemaDocs } from "../../scripts/gen-reference";
import { taskArgsSchema } from "../../sdk/schema/task";
import { taskFieldPolicies } from "../../sdk/schema/task-fields";

const root = repoRoot(__dirname);

describe("docs/reference.md", () => {
    it("is what the schemas generate (run npm run docs after changing them)", () => {
        const committed = readFileSync(join(root, "docs", "reference.md"), "utf8");
        expect(committed, "docs/reference.md is out of date: run npm run docs").toBe(renderReference(root));
    });

    it("reads doc comments through spreads and nested selections", () => {
        const docs = schemaDocs(["common.ts", "connection.ts", "task.ts"].map((f) => join(root, "sdk", "schema", f)));
        const rows = new Map(fieldRows(taskArgsSchema, docs).map((r) => [r.path, r]));
        expect(rows.get("objects[].tables[].where")?.doc).toMatch(/^A SQL condition/);
        expect(rows.get("retry.connectionMinutes")).toMatchObject({ type: "whole number; 10–1440", presence: "default `720`" });
        expect(rows.get("objects[].tables[].columns[].renameTo")).toBeDefined();
        const reference = renderReference(root);
        expect(reference).toContain("How long Test Connectivity waits for the server");
        for (const field of Object.keys(taskFieldPolicies)) expect(reference).toContain(`| \`${field}\` |`);
    });

    it("lists every precheck item, and which alerts ignorePrecheckAlerts can accept", () => {
        const items = new Map(precheckItems(root).map((e) => [e.id, e]));
        for (const id of ["binlog-order-commits", "binlog-retention", "binlog-row-metadata", "primary-keys", "prefix-indexes", "destination-charset"]) {
            expect(items.get(id)?.outcomes.has("alert"), id).toBe(true);
        }
        expect(items.get("binlog-format")?.outcomes.has("alert")).toBe(false);
        expect(items.get("primary-keys")?.titles).toEqual(["Every selected table has a primary or unique key"]);
        expect(items.has("objects-exist")).toBe(true);
    });
});
