import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as mysql from "mysql2/promise";
import { destroyMariaDb, type MariaDbInfo, startMariaDb } from "../harness/mariadb";
import { type PulumiEnv, pulumi, pulumiBin, pulumiEnv, repoRoot, writeProject } from "../harness/pulumi-cli";

// A user's program, in its own directory, importing the built package by name.
const program = `
import * as pulumi from "@pulumi/pulumi";
import * as dts from "pulumi-dts";

const cfg = new pulumi.Config();
const conn = new dts.DatabaseConnection("src", {
    engine: "mariadb",
    host: "127.0.0.1",
    port: cfg.requireNumber("port"),
    user: cfg.require("user"),
    password: cfg.requireSecret("password"),
    connectTimeoutSeconds: 5,
});
export const flavour = conn.flavour;
export const connectionId = conn.connectionId;
export const logBin = conn.facts.apply((f) => f.mysql?.logBin);
export const privileges = conn.facts.apply((f) => f.mysql?.privileges);
export const drift = conn.drift;

if (cfg.getBoolean("withTask")) {
    new dts.MigrationTask("orders", {
        source: conn,
        destination: conn,
        migrationTypes: cfg.getBoolean("incremental") ? ["schema", "full", "incremental"] : ["schema", "full"],
        objects: [{ database: "shop", tables: [{ name: "orders", renameTo: "orders_v2" }] }],
        retry: { connectionMinutes: cfg.getNumber("retryConnection") ?? 720, otherMinutes: cfg.getNumber("retryOther") ?? 10 },
    });
}
`;

interface StateResource {
    type: string;
    inputs: Record<string, any>;
    outputs: Record<string, any>;
}

function connectionResource(exported: string): StateResource {
    const resources: StateResource[] = JSON.parse(exported).deployment.resources ?? [];
    const r = resources.find((x) => x.type === "pulumi-nodejs:dynamic/pulumi-dts:DatabaseConnection");
    if (!r) throw new Error("no DatabaseConnection in the exported state");
    return r;
}

/** Every file of the local backend and Pulumi home, as text, for secret scans. */
function allFilesText(dir: string): string {
    let out = "";
    for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        const st = statSync(p);
        if (st.isDirectory()) out += allFilesText(p);
        else if (st.size < 20_000_000) out += readFileSync(p, "latin1");
    }
    return out;
}

describe("DatabaseConnection through the real Pulumi CLI", () => {
    let maria: MariaDbInfo;
    let pe: PulumiEnv;
    const dir = join(repoRoot, ".pulumi-test", `connection-${process.pid}`);
    const cli = (...args: string[]) => pulumi(args, { cwd: dir, env: pe.env });
    const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

    beforeAll(async () => {
        maria = await startMariaDb({ serverId: 7 });
        pe = pulumiEnv(pulumiBin());
        writeProject(dir, "dts-e2e-connection", program);
        expect((await cli("stack", "init", "e2e")).code).toBe(0);
        await cli("config", "set", "port", String(maria.port));
        await cli("config", "set", "user", maria.user);
        await cli("config", "set", "--secret", "password", maria.password);
    });

    afterAll(async () => {
        if (pe) await cli("destroy", "--yes", "--skip-preview");
        if (maria) await destroyMariaDb(maria);
        rmSync(dir, { recursive: true, force: true });
        if (pe) rmSync(pe.home, { recursive: true, force: true });
    });

    it("pulumi up tests connectivity and exports the server's facts", async () => {
        const up = await cli("up", "--yes", "--skip-preview");
        expect(up.code, output(up)).toBe(0);
        const outs = JSON.parse((await cli("stack", "output", "--json")).stdout);
        expect(outs.flavour).toBe("MariaDB");
        expect(outs.logBin).toBe(true);
        expect(outs.connectionId).toMatch(/^dbc-[0-9a-f]{16}$/);
        expect(outs.privileges.replicationSlave).toBe(true);
    });

    it("keeps the password out of state, exports and logs", async () => {
        const exp = await cli("stack", "export");
        expect(exp.code).toBe(0);
        expect(exp.stdout).not.toContain(maria.password);
        // The password is in state as an encrypted secret, in inputs and outputs alike.
        const conn = connectionResource(exp.stdout);
        expect(conn.inputs.password).toHaveProperty("ciphertext");
        expect(conn.outputs.password).toHaveProperty("ciphertext");
        // The raw backend files and Pulumi home (including logs) as well.
        expect(allFilesText(pe.home)).not.toContain(maria.password);
    });

    it("pulumi refresh re-tests and reports drift in the facts", async () => {
        const admin = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });
        await admin.query("SET GLOBAL binlog_row_image = 'MINIMAL'");
        try {
            const r = await cli("refresh", "--yes", "--skip-preview");
            expect(r.code, output(r)).toBe(0);
            // Refresh updates the resource's state (stack outputs change only on up).
            const conn = connectionResource((await cli("stack", "export")).stdout);
            expect(conn.outputs.drift).toContain('mysql.binlogRowImage: "FULL" -> "MINIMAL"');
            expect(conn.outputs.facts.mysql.binlogRowImage).toBe("MINIMAL");
        } finally {
            await admin.query("SET GLOBAL binlog_row_image = 'FULL'");
            await admin.end();
        }
    });

    it("pulumi preview rejects an invalid argument, naming the field", async () => {
        await cli("config", "set", "port", "70000");
        try {
            const r = await cli("preview");
            expect(r.code).not.toBe(0);
            expect(output(r)).toContain("port must be between 1 and 65535");
        } finally {
            await cli("config", "set", "port", String(maria.port));
        }
    });

    it("pulumi preview checks MigrationTask arguments, even with unknown connection outputs", async () => {
        await cli("config", "set", "withTask", "true");
        await cli("config", "set", "retryOther", "800");
        try {
            const r = await cli("preview");
            expect(r.code).not.toBe(0);
            expect(output(r)).toContain("retry.otherMinutes (800) must be smaller than retry.connectionMinutes (720)");
            await cli("config", "set", "retryOther", "10");
            const ok = await cli("preview");
            expect(ok.code, output(ok)).toBe(0);
            // Cross-field rules are judged at preview too: caught-up needs incremental.
            await cli("config", "set", "incremental", "true");
            const inc = await cli("preview");
            expect(inc.code, output(inc)).toBe(0);
        } finally {
            await cli("config", "rm", "withTask");
            await cli("config", "rm", "retryOther");
            await cli("config", "rm", "incremental");
        }
    });

    it("a wrong password fails pulumi up with a clear message that does not contain it", async () => {
        const wrong = "Not-The-Password-31337";
        await cli("config", "set", "--secret", "password", wrong);
        try {
            const r = await cli("up", "--yes", "--skip-preview");
            expect(r.code).not.toBe(0);
            expect(output(r)).toMatch(/cannot connect to mariadb at 127\.0\.0\.1:\d+ as "dts_admin": Access denied/);
            expect(output(r)).toContain("check the user and password");
            expect(output(r)).not.toContain(wrong);
            expect(allFilesText(pe.home)).not.toContain(wrong);
        } finally {
            await cli("config", "set", "--secret", "password", maria.password);
        }
    });

    it("pulumi destroy succeeds", async () => {
        const r = await cli("destroy", "--yes", "--skip-preview");
        expect(r.code, output(r)).toBe(0);
        expect(output(r)).toMatch(/deleted/);
    });
});
