/**
 * A program that uses the engine service (issue 10 §2), through the real Pulumi CLI:
 * examples/engine-on-kubernetes/use-the-service against a real `engine serve` replica over
 * TLS with a token (the harness's PostgreSQL as control database and destination, MariaDB
 * as source). `pulumi up` from one shell with a throw-away Pulumi and engine home, then
 * that home deleted: the stream keeps running on the service, and `pulumi refresh` from
 * another shell sees it. A wrong token and a wrong CA are refused with the config key to
 * fix. No local engine ever starts. `pulumi destroy` releases the task on the service.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { RemoteEngineClient } from "../../provider/engine/control/remote-client";
import { type ControlDatabase, createControlDatabase, type ReplicaProcess, startReplica, stopReplica } from "../harness/engine-service";
import { pulumi, pulumiBin, pulumiEnv, repoRoot, writeProject } from "../harness/pulumi-cli";
import { makeTlsFiles } from "../harness/tls";
import { until } from "../harness/until";

const maria = inject("mariadb");
const pg = inject("postgres");
const db = `svc_e2e_${process.pid}`;


describe("a Pulumi program on the engine service (examples/engine-on-kubernetes/use-the-service)", () => {
    let control: ControlDatabase;
    let replica: ReplicaProcess;
    const dir = join(repoRoot, ".pulumi-test", `engine-service-${process.pid}`);
    const state = mkdtempSync(join(tmpdir(), "dts-svc-state-"));
    const bin = pulumiBin();
    /** Two shells sharing one backend: each its own Pulumi home and engine home. */
    const shell = () => {
        const pe = pulumiEnv(bin);
        pe.env.PULUMI_BACKEND_URL = `file://${state}`;
        return pe;
    };
    const first = shell();
    const second = shell();
    const tls = makeTlsFiles(mkdtempSync(join(tmpdir(), "dts-svc-e2e-tls-")), { name: "the test process" });
    const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
    const cli = (pe: ReturnType<typeof shell>, ...args: string[]) => pulumi(args, { cwd: dir, env: pe.env });
    const count = async () => {
        const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await c.connect();
        try {
            return Number((await c.query(`SELECT count(*) AS n FROM ${db}.orders`)).rows[0].n);
        } finally {
            await c.end();
        }
    };

    beforeAll(async () => {
        const m = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await m.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2) NOT NULL); INSERT INTO orders SELECT seq, seq * 0.5 FROM seq_1_to_200;`);
        await m.end();
        control = await createControlDatabase(pg);
        replica = await startReplica(control, { tls: { certFile: tls.certFile, keyFile: tls.keyFile } });
        writeProject(dir, "dts-e2e-service", readFileSync(join(repoRoot, "examples", "engine-on-kubernetes", "use-the-service", "index.ts"), "utf8"));
        expect((await cli(first, "stack", "init", "e2e")).code).toBe(0);
        const plain: [string, string][] = [
            ["pulumi-dts:endpoint", replica.url], ["pulumi-dts:caCert", tls.caPem],
            ["sourceHost", maria.host], ["sourcePort", String(maria.port)], ["sourceUser", maria.user],
            ["destinationHost", pg.host], ["destinationPort", String(pg.port)], ["destinationUser", pg.user], ["database", db],
        ];
        const secret = [["pulumi-dts:token", control.token], ["sourcePassword", maria.password], ["destinationPassword", pg.password]];
        // set-all: a PEM value starts with "-", which `config set` would take for a flag.
        const r = await cli(first, "config", "set-all", ...plain.flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]), ...secret.flatMap(([k, v]) => ["--secret", `${k}=${v}`]));
        expect(r.code, out(r)).toBe(0);
    }, 120_000);

    afterAll(async () => {
        await cli(second, "destroy", "--yes", "--skip-preview").catch(() => undefined);
        if (replica) await stopReplica(replica);
        await control?.drop();
        for (const pe of [first, second]) rmSync(pe.home, { recursive: true, force: true });
        rmSync(state, { recursive: true, force: true });
        rmSync(dir, { recursive: true, force: true });
    });

    it("up runs the task on the service; with the first shell's homes deleted the stream goes on; refresh from another shell sees it; destroy releases it", async () => {
        const up = await cli(first, "up", "--yes", "--skip-preview");
        expect(up.code, out(up)).toBe(0);
        expect(await count()).toBe(200);
        // No engine ran on this machine for the program: nothing in its engine home.
        expect(existsSync(join(first.env.PULUMI_DTS_HOME!, "engine.pid"))).toBe(false);
        const exported = (await cli(first, "stack", "export")).stdout;
        for (const secret of [control.token, maria.password, pg.password]) expect(exported).not.toContain(secret);
        const taskId = (JSON.parse(exported).deployment.resources as { type: string; id: string }[]).find((r) => r.type.endsWith("MigrationTask"))!.id;
        const service = new RemoteEngineClient({ endpoint: replica.url, token: control.token, caCert: tls.caPem });
        expect((await service.get(taskId)).status?.phase).toBe("running");

        // The CI runner goes away: its Pulumi home and engine home with it.
        rmSync(join(first.home, "home"), { recursive: true, force: true });
        rmSync(first.env.PULUMI_DTS_HOME!, { recursive: true, force: true });
        const m = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, database: db });
        await m.query("INSERT INTO orders SELECT seq, 1 FROM seq_1001_to_1050");
        await m.end();
        await until("the source's writes at the destination", async () => (await count()) === 250);

        // Another shell, same stack: refresh asks the service.
        const refresh = await cli(second, "refresh", "--yes", "--skip-preview", "--stack", "e2e");
        expect(refresh.code, out(refresh)).toBe(0);
        const outs = JSON.parse((await cli(second, "stack", "output", "--json", "--stack", "e2e")).stdout);
        expect(outs.status).toBe("running");

        // A wrong token and a CA that did not sign the service's certificate are refused, naming the key to fix
        // (at preview and up: refresh configures the provider as the last up recorded it).
        await cli(second, "config", "set-all", "--stack", "e2e", "--secret", `pulumi-dts:token=dts_${"B".repeat(43)}`);
        const badToken = await cli(second, "preview", "--stack", "e2e");
        expect(badToken.code).not.toBe(0);
        expect(out(badToken)).toMatch(/refused the token \(pulumi-dts:token\)/);
        await cli(second, "config", "set-all", "--stack", "e2e", "--secret", `pulumi-dts:token=${control.token}`, "--plaintext", `pulumi-dts:caCert=${tls.otherCaPem}`);
        const badCa = await cli(second, "preview", "--stack", "e2e");
        expect(badCa.code).not.toBe(0);
        expect(out(badCa)).toMatch(/pulumi-dts:caCert/);
        await cli(second, "config", "set-all", "--stack", "e2e", "--plaintext", `pulumi-dts:caCert=${tls.caPem}`);
        expect(out(badCa) + out(badToken) + out(refresh)).not.toContain(control.token);
        const good = await cli(second, "preview", "--stack", "e2e");
        expect(good.code, out(good)).toBe(0);

        const destroy = await cli(second, "destroy", "--yes", "--skip-preview", "--stack", "e2e");
        expect(destroy.code, out(destroy)).toBe(0);
        await expect(service.get(taskId)).rejects.toThrow(/no task/);
    }, 300_000);
});
