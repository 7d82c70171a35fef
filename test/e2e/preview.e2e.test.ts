/**
 * The first `pulumi preview` of a new stack, through the real CLI (issue 15 §1, §2): the
 * connections do not exist yet, so their ids are unknown, and still every rule of the task
 * that reads no unknown value fails the preview, naming the field. The task's arguments come
 * from stack config, i.e. are built at run time, as a JavaScript or YAML program's would be:
 * only the provider's check stands between a typo and a migration of the wrong tables.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PulumiEnv, pulumi, pulumiBin, pulumiEnv, repoRoot, writeProject } from "../harness/pulumi-cli";

const program = `
import * as pulumi from "@pulumi/pulumi";
import * as dts from "pulumi-dts";
const cfg = new pulumi.Config();
// Nothing listens there: preview never connects, and this stack is never brought up.
const source = new dts.DatabaseConnection("source", { engine: "mariadb", host: "127.0.0.1", port: 9, user: "u", password: pulumi.secret("p") });
const destination = new dts.DatabaseConnection("destination", {
    engine: (cfg.get("destinationEngine") ?? "postgresql") as "postgresql", host: "127.0.0.1", port: 9, user: "u", password: pulumi.secret("p"),
});
const base = { migrationTypes: ["schema", "full"], objects: [{ database: "shop" }] };
new dts.MigrationTask("task", { source, destination, ...base, ...cfg.requireObject<object>("task") } as unknown as dts.MigrationTaskArgs);
`;

describe("pulumi preview on a new stack", () => {
    let pe: PulumiEnv;
    const dir = join(repoRoot, ".pulumi-test", `preview-${process.pid}`);
    const cli = (...args: string[]) => pulumi(args, { cwd: dir, env: pe.env });

    beforeAll(async () => {
        pe = pulumiEnv(pulumiBin());
        writeProject(dir, "dts-e2e-preview", program);
        expect((await cli("stack", "init", "fresh")).code).toBe(0);
    });
    afterAll(() => {
        rmSync(dir, { recursive: true, force: true });
        if (pe) rmSync(pe.home, { recursive: true, force: true });
    });

    async function preview(task: object, destinationEngine = "postgresql"): Promise<{ code: number; text: string }> {
        await cli("config", "set", "destinationEngine", destinationEngine);
        await cli("config", "set", "task", JSON.stringify(task));
        const r = await cli("preview");
        return { code: r.code, text: r.stdout + r.stderr };
    }

    it("passes a valid task", async () => {
        const r = await preview({});
        expect(r.code, r.text).toBe(0);
        expect(r.text).toMatch(/\+\s+pulumi-nodejs:dynamic\/pulumi-dts:MigrationTask task create/);
    });

    it.each([
        ["migration types", { migrationTypes: ["full", "full"] }, /migrationTypes must not list a migration type twice/],
        ["waitFor", { waitFor: "caught-up" }, /waitFor "caught-up" needs "incremental" in migrationTypes/],
        ["selection duplicates", { objects: [{ database: "a", renameTo: "x" }, { database: "b", renameTo: "x" }] }, /objects\[1\]\.renameTo would write to database "x"/],
        ["throttle", { throttle: { incremental: { rps: 5 } } }, /throttle\.incremental applies only when migrationTypes includes "incremental"/],
        ["retry", { retry: { connectionMinutes: 10, otherMinutes: 20 } }, /retry\.otherMinutes \(20\) must be smaller than retry\.connectionMinutes/],
        ["heartbeat", { heartbeat: { table: "nodot" } }, /heartbeat\.table must be database\.table/],
        ["destination-specific settings", { objects: [{ database: "a", tables: [{ name: "t", distributionKey: ["id"] }] }] }, /distributionKey applies only to "analyticdb-postgresql" destinations/],
        ["a misspelt field", { objects: [{ database: "shop", tabels: [{ name: "orders" }] }] }, /objects\[0\]\.tabels is not a field of a database selection; did you mean "tables"\?/],
    ])("fails on %s, naming the field", async (_family, task, reason) => {
        const r = await preview(task);
        expect(r.code, r.text).not.toBe(0);
        expect(r.text).toMatch(reason);
    });
});
