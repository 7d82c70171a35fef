/**
 * Every example as a user runs it (issue 17 §5): `npm install` in the example's own
 * directory, then the real Pulumi CLI there. The package is the `npm pack` tarball of this
 * checkout, unpacked with each example copied under it, so the examples' `file:../..`
 * dependency and .npmrc are used as written and the package holds exactly what
 * package.json "files" ships; nothing is installed into the checkout itself, which other
 * runs share. Every example previews; mysql-to-postgres also goes up and is destroyed.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { type PulumiEnv, pulumi, pulumiBin, pulumiEnv, repoRoot } from "../harness/pulumi-cli";
import { startTablestoreServer } from "../harness/tablestore-server";
import { startMaxComputeServer } from "../harness/maxcompute-server";

const run = promisify(execFile);
const maria = inject("mariadb");
const pg = inject("postgres");

const examplesDir = join(repoRoot, "examples");
const allExamples = readdirSync(examplesDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
/**
 * Examples that need what this machine has not: engine-on-kubernetes deploys to a cluster
 * with the kubernetes plugin. Only their layout is checked here; the component is tested
 * under Pulumi's mocks (test/unit/engine-service.test.ts) and a program using the service
 * in test/e2e/engine-service.e2e.test.ts.
 */
const notRunHere = new Set(["engine-on-kubernetes"]);
const examples = allExamples.filter((e) => !notRunHere.has(e));

/** Config keys an example's program reads. */
function configKeys(name: string): string[] {
    const program = readFileSync(join(examplesDir, name, "index.ts"), "utf8");
    return [...new Set([...program.matchAll(/cfg\.(?:get|require)\w*(?:<[^>]*>)?\("(\w+)"\)/g)].map((m) => m[1]))];
}

const sourceDb = `ex_shop_${process.pid}`;
const pgDb = `ex_pg_${process.pid}`;
const source = { sourcePort: String(maria.port), sourceUser: maria.user };
const toPostgres = { destinationPort: String(pg.port), destinationUser: pg.user };
const secrets = { sourcePassword: maria.password, destinationPassword: pg.password };
// The Tablestore examples' destination: a local server in this process, reached over HTTP.
const tablestoreKey = { id: "ex-ak", secret: `ex-secret-${process.pid}` };
const ots = await startTablestoreServer({ instanceName: "dtsexamples", accessKeys: [tablestoreKey] });
// The MaxCompute example's destination: the local MaxCompute server, in this process.
const maxcomputeKey = { id: "ex-mc-ak", secret: `ex-mc-secret-${process.pid}` };
const mcs = await startMaxComputeServer({ project: "dts_examples", accessKeys: [maxcomputeKey] });

/** Each example's stack configuration against the test servers; a new example needs an entry. */
const configs: Record<string, { plain: Record<string, string>; secret: Record<string, string> }> = {
    "quickstart": { plain: { ...source, ...toPostgres }, secret: secrets },
    "mysql-to-postgres": { plain: { ...source, ...toPostgres, database: sourceDb, destinationDatabase: pgDb }, secret: secrets },
    "mysql-to-mysql": {
        plain: { ...source, destinationPort: String(maria.port), destinationUser: maria.user, database: sourceDb, renameTo: `${sourceDb}_copy` },
        secret: { sourcePassword: maria.password, destinationPassword: maria.password },
    },
    "mysql-to-tablestore": {
        plain: { ...source, database: sourceDb, endpoint: ots.endpoint, instanceName: ots.instanceName, accessKeyId: tablestoreKey.id },
        secret: { sourcePassword: maria.password, accessKeySecret: tablestoreKey.secret },
    },
    "mysql-to-maxcompute": {
        plain: { ...source, database: sourceDb, endpoint: mcs.endpoint, project: mcs.project, accessKeyId: maxcomputeKey.id },
        secret: { sourcePassword: maria.password, accessKeySecret: maxcomputeKey.secret },
    },
};

describe("each example from its own directory", () => {
    it("declares a project, installs pulumi-dts as a copy, and documents every config key it reads", () => {
        for (const name of allExamples) {
            const dir = join(examplesDir, name);
            expect(existsSync(join(dir, "Pulumi.yaml")), `${name}/Pulumi.yaml`).toBe(true);
            expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).dependencies["pulumi-dts"], name).toBe("file:../..");
            expect(readFileSync(join(dir, ".npmrc"), "utf8"), `${name}/.npmrc`).toMatch(/^install-links=true$/m);
            const readme = readFileSync(join(dir, "README.md"), "utf8");
            for (const key of configKeys(name)) expect(readme, `${name}/README.md does not list config key ${key}`).toContain(`| \`${key}\` |`);
            if (!notRunHere.has(name)) expect(configs[name], `add ${name}'s test configuration to configs`).toBeDefined();
        }
    });

    let work: string;
    const envs = new Map<string, PulumiEnv>();
    const dirOf = (name: string) => join(work, "pulumi-dts", "examples", name);
    const cli = (name: string, ...args: string[]) => pulumi(args, { cwd: dirOf(name), env: envs.get(name)!.env });
    const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

    beforeAll(async () => {
        work = mkdtempSync(join(tmpdir(), "dts-examples-"));
        const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", work], { cwd: repoRoot });
        const pkg = join(work, "pulumi-dts");
        mkdirSync(pkg);
        await run("tar", ["xzf", join(work, stdout.trim().split("\n").pop()!), "-C", pkg, "--strip-components=1"]);
        const npmEnv = {
            ...process.env,
            // The packages are in npm's cache from the checkout's own install.
            npm_config_prefer_offline: "true", npm_config_audit: "false", npm_config_fund: "false",
            npm_config_update_notifier: "false", npm_config_loglevel: "error",
        };
        const bin = pulumiBin();
        for (const name of examples) {
            cpSync(join(examplesDir, name), dirOf(name), {
                recursive: true,
                filter: (p) => !/[/\\](node_modules|package-lock\.json|Pulumi\.[^/\\]+\.yaml)$/.test(p),
            });
        }
        const install = (name: string) => run("npm", ["install"], { cwd: dirOf(name), env: npmEnv, maxBuffer: 16 << 20 });
        // One install from scratch; the others start from its node_modules (the examples have the
        // same dependencies), which their own npm install then checks against their package.json
        // and .npmrc, in seconds instead of half a minute each.
        const [first, ...rest] = examples;
        await install(first);
        await Promise.all(rest.map(async (name) => {
            cpSync(join(dirOf(first), "node_modules"), join(dirOf(name), "node_modules"), { recursive: true, verbatimSymlinks: true });
            await install(name);
        }));
        await Promise.all(examples.map(async (name) => {
            envs.set(name, pulumiEnv(bin));
            const c = configs[name];
            if (!c) throw new Error(`examples/${name} has no test configuration: add it to configs`);
            expect((await cli(name, "stack", "init", "e2e")).code).toBe(0);
            const r = await cli(name, "config", "set-all",
                ...Object.entries(c.plain).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]),
                ...Object.entries(c.secret).flatMap(([k, v]) => ["--secret", `${k}=${v}`]));
            expect(r.code, out(r)).toBe(0);
        }));

        const m = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await m.query(`CREATE DATABASE ${sourceDb}; USE ${sourceDb};
            CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2) NOT NULL, note VARCHAR(40));
            INSERT INTO orders SELECT seq, seq * 0.5, CONCAT('order ', seq) FROM seq_1_to_300;`);
        await m.end();
        const admin = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await admin.connect();
        await admin.query(`CREATE DATABASE ${pgDb}`);
        await admin.end();
    }, 240_000);

    afterAll(async () => {
        const m2p = envs.get("mysql-to-postgres");
        if (m2p && work) {
            // Whatever the tests left: no stream may outlive the run.
            await cli("mysql-to-postgres", "destroy", "--yes", "--skip-preview");
            await run(join(dirOf("mysql-to-postgres"), "node_modules", ".bin", "pulumi-dts"), ["engine", "stop"], { env: m2p.env }).catch(() => undefined);
        }
        const m = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });
        await m.query(`DROP DATABASE IF EXISTS ${sourceDb}`);
        await m.query(`DROP DATABASE IF EXISTS ${sourceDb}_copy`);
        await m.end();
        const admin = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`);
        await admin.end();
        for (const pe of envs.values()) rmSync(pe.home, { recursive: true, force: true });
        if (work) rmSync(work, { recursive: true, force: true });
        await ots.close();
        await mcs.close();
    });

    it("npm install puts a copy of the package in node_modules, not a link", () => {
        for (const name of examples) {
            const installed = join(dirOf(name), "node_modules", "pulumi-dts");
            expect(lstatSync(installed).isSymbolicLink(), name).toBe(false);
            expect(existsSync(join(installed, "dist", "sdk", "index.js")), name).toBe(true);
            expect(existsSync(join(installed, "docs", "reference.md")), name).toBe(true);
        }
    });

    it("pulumi preview shows each example's resources to create", async () => {
        const results = await Promise.all(examples.map(async (name) => ({ name, r: await cli(name, "preview") })));
        for (const { name, r } of results) {
            expect(r.code, `${name}: ${out(r)}`).toBe(0);
            expect(out(r), name).toMatch(/\+\s+pulumi-nodejs:dynamic\/pulumi-dts:DatabaseConnection source create/);
            expect(out(r), name).toMatch(/\+\s+pulumi-nodejs:dynamic\/pulumi-dts:MigrationTask \S+ create/);
        }
    }, 120_000);

    it("mysql-to-postgres: pulumi up migrates and streams, pulumi destroy releases the task", async () => {
        const up = await cli("mysql-to-postgres", "up", "--yes", "--skip-preview");
        expect(up.code, out(up)).toBe(0);
        const outputs = JSON.parse((await cli("mysql-to-postgres", "stack", "output", "--json")).stdout);
        expect(outputs.status).toBe("running");
        expect(outputs.rowsCopied).toBe(300);
        const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pgDb });
        await c.connect();
        try {
            expect(Number((await c.query(`SELECT count(*) AS n FROM ${sourceDb}.orders`)).rows[0].n)).toBe(300);
        } finally {
            await c.end();
        }
        const down = await cli("mysql-to-postgres", "destroy", "--yes", "--skip-preview");
        expect(down.code, out(down)).toBe(0);
        const status = await run(join(dirOf("mysql-to-postgres"), "node_modules", ".bin", "pulumi-dts"), ["status"], { env: envs.get("mysql-to-postgres")!.env });
        expect(status.stdout).not.toMatch(/running/);
    }, 120_000);
});
