/**
 * Engine service replicas for tests: real `pulumi-dts engine serve` processes from the
 * built package, sharing a fresh control database in the harness's PostgreSQL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "pg";
import { freePort } from "./ports";
import type { PostgresInfo } from "./postgres";

// From the sources (vitest) or from the compiled tree (npm run bench runs dist/test/harness).
const repoRoot = resolve(__dirname, "..", "..", __dirname.includes(join("dist", "test")) ? ".." : "");
const CLI = join(repoRoot, "dist", "provider", "cli", "main.js");

export interface ControlDatabase {
    url: string;
    name: string;
    masterKey: string;
    token: string;
    query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
    drop(): Promise<void>;
}

export async function createControlDatabase(pg: PostgresInfo): Promise<ControlDatabase> {
    const name = `dts_control_${randomBytes(4).toString("hex")}`;
    const admin = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = `postgres://${pg.user}:${encodeURIComponent(pg.password)}@${pg.host}:${pg.port}/${name}`;
    return {
        url, name,
        masterKey: randomBytes(32).toString("hex"),
        token: "dts_" + randomBytes(32).toString("base64url"),
        async query<T>(sql: string, params: unknown[] = []) {
            const c = new Client({ connectionString: url });
            await c.connect();
            try {
                return (await c.query(sql, params)).rows as T[];
            } finally {
                await c.end();
            }
        },
        async drop() {
            const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
            await c.connect();
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
            await c.end();
        },
    };
}

export interface ReplicaProcess {
    proc: ChildProcess;
    pid: number;
    url: string;
    /** What the replica printed so far. */
    output(): string;
    exited: Promise<number | null>;
}

export interface ReplicaOptions {
    ttlSeconds?: number;
    capacity?: number;
    tls?: { certFile: string; keyFile: string; clientCaFile?: string };
    port?: number;
    env?: Record<string, string>;
}

export async function startReplica(control: ControlDatabase, o: ReplicaOptions = {}): Promise<ReplicaProcess> {
    const port = o.port ?? await freePort();
    const args = [CLI, "engine", "serve", "--listen", `127.0.0.1:${port}`, "--lease-ttl", String(o.ttlSeconds ?? 10), "--capacity", String(o.capacity ?? 50),
        "--home", mkdtempSync(join(tmpdir(), "dts-replica-"))];
    if (o.tls) args.push("--tls-cert", o.tls.certFile, "--tls-key", o.tls.keyFile, ...(o.tls.clientCaFile ? ["--client-ca", o.tls.clientCaFile] : []));
    const proc = spawn(process.execPath, args, {
        env: { ...process.env, PULUMI_DTS_CONTROL_URL: control.url, PULUMI_DTS_MASTER_KEY: control.masterKey, PULUMI_DTS_BOOTSTRAP_TOKEN: control.token, ...o.env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
    const url = `${o.tls ? "https" : "http"}://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (!/serving (https|http) on/.test(out)) {
        if (proc.exitCode !== null) throw new Error(`the replica exited (${proc.exitCode}): ${out}`);
        if (Date.now() > deadline) throw new Error(`the replica did not start within 30 s: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
    }
    return { proc, pid: proc.pid!, url, output: () => out, exited };
}

/** Stops a replica: SIGTERM (hand-off) or SIGKILL; resolves once it has exited. */
export async function stopReplica(r: ReplicaProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (r.proc.exitCode !== null || r.proc.signalCode !== null) return;
    r.proc.kill(signal);
    await r.exited;
}
