/**
 * The engine service (issue 10 §2) as a client sees it, against a real `engine serve`
 * replica, the harness's MariaDB and PostgreSQL: a task created over the API runs to
 * caught-up and follows source writes; the same create again is no second task; a stale
 * generation is refused; no answer and no control-database row holds a password; wrong
 * tokens and wrong CAs are refused; a release stops the task and forgets its stream.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { RemoteEngineClient } from "../../provider/engine/control/remote-client";
import { taskArgsSchema } from "../../sdk/schema/task";
import type { EngineTaskSpec } from "../../provider/engine/task-store";
import { mariaConnection, postgresConnection } from "../harness/engine-run";
import { type ControlDatabase, createControlDatabase, type ReplicaProcess, startReplica, stopReplica } from "../harness/engine-service";
import { compareDatabase } from "../harness/compare";
import { dropSchemas } from "../harness/postgres";
import { makeTlsFiles } from "../harness/tls";
import { startDashboard } from "../../provider/dashboard/server";
import { serviceSource } from "../../provider/dashboard/sources";
import { browseWith, findChromium } from "../harness/browser";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "../harness/until";

const maria = inject("mariadb");
const pg = inject("postgres");
const db = "svc_api";

function spec(taskId: string, overrides: Record<string, unknown> = {}): EngineTaskSpec {
    const source = mariaConnection(maria);
    const destination = postgresConnection(pg);
    return {
        taskId,
        task: taskArgsSchema.parse({
            migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db }], heartbeat: { enabled: false },
            source: { connectionId: "src", engine: source.engine }, destination: { connectionId: "dst", engine: destination.engine }, ...overrides,
        }),
        source, destination,
    };
}


describe("the engine service API", () => {
    let control: ControlDatabase;
    let replica: ReplicaProcess;
    let src: mysql.Connection;
    let client: RemoteEngineClient;

    beforeAll(async () => {
        src = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await src.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL); INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_300;`);
        await dropSchemas(pg, [db]);
        control = await createControlDatabase(pg);
        replica = await startReplica(control);
        client = new RemoteEngineClient({ endpoint: replica.url, token: control.token });
    }, 60_000);
    afterAll(async () => {
        if (replica) await stopReplica(replica);
        await control?.drop();
        await src?.end();
    });

    it("runs a task to caught-up, follows writes, keeps secrets out of answers and rows, and releases it", async () => {
        const s = spec("svc-api-1");
        expect(await client.put(s)).toBe(1);
        // A retried create (an interrupted CI run) finds its task: same generation, no second task.
        expect(await client.put(s)).toBe(1);
        await expect(client.put(spec("svc-api-1", { dirtyData: "skip" }))).rejects.toThrow(/exists with another spec/);
        let t = await client.wait("svc-api-1", "caught-up", 25);
        for (let i = 0; i < 4 && !t.status?.incremental?.caughtUp; i++) t = await client.wait("svc-api-1", "caught-up", 25);
        expect(t.status?.phase).toBe("running");
        expect(t.owner.holder).toMatch(/-/);
        expect(t.owner.epoch).toBe(1);
        await src.query(`INSERT INTO ${db}.t VALUES (1000, 'new'); UPDATE ${db}.t SET v = 'changed' WHERE id = 5; DELETE FROM ${db}.t WHERE id = 6`);
        const dst = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await dst.connect();
        try {
            await until("the writes at the destination", async () => (await dst.query(`SELECT 1 FROM ${db}.t WHERE id = 1000`)).rows.length === 1);
        } finally {
            await dst.end();
        }
        const diffs = await compareDatabase({ host: maria.host, port: maria.port, user: maria.user, password: maria.password },
            db, { kind: "postgres", conn: { host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database }, schema: db });
        expect(diffs.flatMap((d) => d.mismatches)).toEqual([]);

        // The CLI against the service: status and logs with PULUMI_DTS_ENDPOINT and PULUMI_DTS_TOKEN.
        const cliEnv = { ...process.env, PULUMI_DTS_ENDPOINT: replica.url, PULUMI_DTS_TOKEN: control.token };
        const dtsCli = (...args: string[]) => execFileSync(process.execPath, [join(__dirname, "..", "..", "dist", "provider", "cli", "main.js"), ...args], { env: cliEnv }).toString();
        expect(dtsCli("status")).toMatch(/engine service http:\/\/127\.0\.0\.1:\d+, 1 task\(s\)\n {2}\(generation 1, run by \S+, lease epoch 1\)\nsvc-api-1 {2}running/);
        expect(dtsCli("logs", "svc-api-1")).toMatch(/runs the task \(lease epoch 1\)/);

        // The dashboard of the service: the same page, read over the API with the caller's token.
        const dash = await startDashboard({ source: serviceSource(client, replica.url), token: control.token });
        try {
            const auth = { headers: { Authorization: `Bearer ${control.token}`, Host: `127.0.0.1:${dash.port}` } };
            const base = `http://127.0.0.1:${dash.port}`;
            expect((await fetch(`${base}/`)).status).toBe(401);
            const page = await (await fetch(`${base}/`, auth)).text();
            expect(page).toContain("Engine service");
            expect(page).toContain("svc-api-1");
            expect(page).toMatch(/run by replica \S+/);
            const api = await (await fetch(`${base}/api/tasks`, auth)).json() as { tasks: { taskId: string; phase: string }[] };
            expect(api.tasks.map((t) => [t.taskId, t.phase])).toEqual([["svc-api-1", "running"]]);
            const history = await until("a history sample", async () => {
                const h = await (await fetch(`${base}/api/tasks/svc-api-1/history`, auth)).json() as { samples: unknown[] };
                return h.samples.length > 0 ? h : undefined;
            });
            expect(history.samples[0]).toMatchObject({ latencySeconds: expect.any(Number), changesPerSecond: expect.any(Number) });
        } finally {
            await dash.close();
        }

        // The service serves the page itself: a token's bearer asks for a one-time login link,
        // redeemed once; its session works on every replica (signed, not kept in one process).
        const bearer = { headers: { Authorization: `Bearer ${control.token}` } };
        expect((await fetch(`${replica.url}/`)).status).toBe(401);
        const link = async () => ((await (await fetch(`${replica.url}/api/login-links`, { method: "POST", ...bearer })).json()) as { url: string }).url;
        const first = await link();
        const signedIn = await fetch(first, { redirect: "manual" });
        expect(signedIn.status).toBe(303);
        const cookie = signedIn.headers.get("set-cookie")!.split(";")[0];
        expect((await fetch(first, { redirect: "manual" })).status).toBe(401);
        const other = await startReplica(control);
        try {
            const page = await (await fetch(`${other.url}/`, { headers: { Cookie: cookie } })).text();
            expect(page).toContain("Engine service");
            expect(page).toContain("svc-api-1");
            expect((await fetch(`${other.url}/`, { headers: { Cookie: cookie.replace(/.$/, (c) => (c === "A" ? "B" : "A")) } })).status).toBe(401);
        } finally {
            await stopReplica(other);
        }
        const chromium = findChromium();
        if (chromium) {
            // In a real browser: the login link, then the page after its script ran.
            const dom = await browseWith(chromium, await link(), ["--dump-dom"]);
            expect(dom).toContain("Engine service");
            expect(dom).toMatch(/data-owner="[^"]+"/);
            expect(dom).toContain("svc-api-1");
            for (const p of [maria.password, pg.password, control.token]) expect(dom).not.toContain(p);
        }

        // An update made against a generation that moved meanwhile (another pulumi up) is refused.
        expect(await client.put(spec("svc-api-1", { dirtyData: "skip" }), 1)).toBe(2);
        await expect(client.put(spec("svc-api-1", { dirtyData: "block" }), 1)).rejects.toThrow(/changed meanwhile \(generation 2/);

        // No answer and no row of the control database holds a password in the clear.
        const passwords = [maria.password, pg.password];
        const answers = JSON.stringify([await client.get("svc-api-1"), await client.list(), await client.logs("svc-api-1", 500)]);
        const rows = JSON.stringify(await control.query(`SELECT t.*, (SELECT json_agg(l) FROM dts_task_log l) AS logs FROM dts_task t`));
        for (const p of passwords) {
            expect(answers).not.toContain(p);
            expect(rows).not.toContain(p);
        }
        expect(rows).toContain('"password":"v1:');

        await client.release("svc-api-1");
        await until("the task gone", async () => client.get("svc-api-1").then(() => false, (err) => /no task/.test((err as Error).message)));
        const fences = await new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await fences.connect();
        try {
            const left = await fences.query(`SELECT * FROM information_schema.tables WHERE table_name = 'stream_checkpoint'`);
            if (left.rows.length) {
                const r = await fences.query(`SELECT count(*)::int AS n FROM ${left.rows[0].table_schema}.stream_checkpoint WHERE task_id = 'svc-api-1'`);
                expect(r.rows[0].n).toBe(0);
            }
        } finally {
            await fences.end();
        }
    }, 240_000);

    it("refuses a missing or wrong token, and answers probes and metrics", async () => {
        const wrong = new RemoteEngineClient({ endpoint: replica.url, token: "dts_" + "A".repeat(43) });
        await expect(wrong.list()).rejects.toThrow(/refused the token \(pulumi-dts:token\)/);
        const bare = await fetch(`${replica.url}/v1/tasks`);
        expect(bare.status).toBe(401);
        expect((await fetch(`${replica.url}/healthz`)).status).toBe(200);
        expect((await fetch(`${replica.url}/readyz`)).status).toBe(200);
        const metrics = await fetch(`${replica.url}/metrics`, { headers: { Authorization: `Bearer ${control.token}` } });
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toContain("# TYPE pulumi_dts_rows_copied_total counter");
    });

    it("refuses plaintext endpoints off loopback, and over TLS a CA that did not sign the service's certificate", async () => {
        expect(() => new RemoteEngineClient({ endpoint: "http://10.1.2.3:7443", token: control.token })).toThrow(/plaintext/);
        const tls = makeTlsFiles(mkdtempSync(join(tmpdir(), "dts-svc-tls-")), { name: "the test process" });
        const secure = await startReplica(control, { tls: { certFile: tls.certFile, keyFile: tls.keyFile } });
        try {
            const good = new RemoteEngineClient({ endpoint: secure.url, token: control.token, caCert: tls.caPem });
            expect(Array.isArray(await good.list())).toBe(true);
            const wrongCa = new RemoteEngineClient({ endpoint: secure.url, token: control.token, caCert: tls.otherCaPem });
            await expect(wrongCa.list()).rejects.toThrow(/TLS connection .* failed .*pulumi-dts:caCert/);
        } finally {
            await stopReplica(secure);
        }
    }, 60_000);

    it("mTLS: calls need a client certificate from the client CA; the probes do not", async () => {
        const dir = mkdtempSync(join(tmpdir(), "dts-svc-mtls-"));
        const tls = makeTlsFiles(dir, { name: "the test process" });
        // A client certificate signed by the harness CA; the service trusts that CA for clients.
        const ossl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
        ossl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=ci-runner"]);
        writeFileSync(join(dir, "client.ext"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
        ossl(["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2", "-extfile", "client.ext"]);
        const secure = await startReplica(control, { tls: { certFile: tls.certFile, keyFile: tls.keyFile, clientCaFile: tls.caFile } });
        try {
            const cert = readFileSync(join(dir, "client.pem"), "utf8");
            const key = readFileSync(join(dir, "client.key"), "utf8");
            const withCert = new RemoteEngineClient({ endpoint: secure.url, token: control.token, caCert: tls.caPem, clientCert: cert, clientKey: key });
            expect(Array.isArray(await withCert.list())).toBe(true);
            const without = new RemoteEngineClient({ endpoint: secure.url, token: control.token, caCert: tls.caPem });
            await expect(without.list()).rejects.toThrow(/client certificate/);
            const probe = await new Promise<number>((resolve, reject) => {
                httpsGet(`${secure.url}/healthz`, { ca: tls.caPem }, (res) => resolve(res.statusCode ?? 0)).on("error", reject);
            });
            expect(probe).toBe(200);
        } finally {
            await stopReplica(secure);
        }
    }, 60_000);
});
