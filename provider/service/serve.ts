/**
 * `pulumi-dts engine serve`: one replica of the engine service. It answers the HTTP API
 * (api.ts) and runs its share of the tasks (replica.ts), with the control database as the
 * only shared state. See docs/engine-service.md.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "pg";
import { engineHome, ensureHome } from "../engine/home";
import { PgLeaseOwnership } from "../engine/ownership/pg-leases";
import { apiHandler } from "./api";
import { controlStoreSource, ServiceDashboardGate } from "./dashboard";
import { dashboardHandler } from "../dashboard/server";
import { ControlStore } from "./control-store";
import { Replica } from "./replica";
import { parseMasterKey } from "./sealed-secrets";
import { StateMirror } from "./task-mirror";
import { TokenStore } from "./tokens";

export interface ServeOptions {
    listen: { host: string; port: number };
    tls?: { cert: string; key: string; clientCa?: string };
    controlUrl: string;
    masterKey: Buffer;
    bootstrapToken?: string;
    capacity: number;
    ttlSeconds: number;
    home: string;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Flags and environment, checked; every refusal names the flag or variable and the fix. */
export function serveOptions(argv: string[], env: NodeJS.ProcessEnv): ServeOptions {
    const { values } = parseArgs({
        args: argv, strict: true,
        options: {
            listen: { type: "string" }, "tls-cert": { type: "string" }, "tls-key": { type: "string" }, "client-ca": { type: "string" },
            "master-key-file": { type: "string" }, capacity: { type: "string" }, "lease-ttl": { type: "string" }, home: { type: "string" },
        },
    });
    const listen = values.listen ?? env.PULUMI_DTS_LISTEN ?? "127.0.0.1:7443";
    const lm = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen);
    if (!lm) throw new Error(`--listen must be host:port (e.g. 0.0.0.0:7443), not ${listen}`);
    const host = lm[1].replace(/^\[|\]$/g, "");
    const cert = values["tls-cert"] ?? env.PULUMI_DTS_TLS_CERT;
    const key = values["tls-key"] ?? env.PULUMI_DTS_TLS_KEY;
    const clientCa = values["client-ca"] ?? env.PULUMI_DTS_CLIENT_CA;
    if ((cert === undefined) !== (key === undefined)) throw new Error("--tls-cert and --tls-key go together (PEM files of the server's certificate and key)");
    if (!cert && !LOOPBACK.has(host)) {
        throw new Error(`plaintext is only served on loopback: give --tls-cert and --tls-key to listen on ${host}, or listen on 127.0.0.1`);
    }
    if (clientCa && !cert) throw new Error("--client-ca (mTLS) needs --tls-cert and --tls-key");
    const controlUrl = env.PULUMI_DTS_CONTROL_URL;
    if (!controlUrl) throw new Error("PULUMI_DTS_CONTROL_URL must name the control PostgreSQL database (postgres://user:password@host:5432/db)");
    const keyText = values["master-key-file"] ? readFileSync(values["master-key-file"], "utf8") : env.PULUMI_DTS_MASTER_KEY;
    if (!keyText) throw new Error("the master key is missing: set PULUMI_DTS_MASTER_KEY or --master-key-file (32 bytes, e.g. openssl rand -base64 32)");
    const capacity = Number(values.capacity ?? env.PULUMI_DTS_CAPACITY ?? 50);
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`--capacity (PULUMI_DTS_CAPACITY) must be a whole number of tasks ≥ 1, not ${values.capacity ?? env.PULUMI_DTS_CAPACITY}`);
    const ttlSeconds = Number(values["lease-ttl"] ?? env.PULUMI_DTS_LEASE_TTL ?? 10);
    // The self-fence stops at TTL - 2 s after a renewal, renewals go every 2 s: below 6 s they would overlap.
    if (!(ttlSeconds >= 6 && ttlSeconds <= 300)) throw new Error(`--lease-ttl must be 6 to 300 seconds, not ${values["lease-ttl"] ?? env.PULUMI_DTS_LEASE_TTL}`);
    return {
        listen: { host, port: Number(lm[2]) },
        tls: cert && key ? { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8"), ...(clientCa ? { clientCa: readFileSync(clientCa, "utf8") } : {}) } : undefined,
        controlUrl, masterKey: parseMasterKey(keyText), bootstrapToken: env.PULUMI_DTS_BOOTSTRAP_TOKEN || undefined, capacity, ttlSeconds,
        home: values.home ?? env.PULUMI_DTS_HOME ?? join(tmpdir(), "pulumi-dts-serve"),
    };
}

export interface RunningService {
    server: Server;
    replica: Replica;
    holder: string;
    stop(): Promise<void>;
}

export async function serve(o: ServeOptions): Promise<RunningService> {
    const holder = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    const log = (line: string) => console.log(`${new Date().toISOString()} service ${holder}: ${line}`);
    // Two pools: the leases' own connection, so a renewal never queues behind the API or the mirror.
    // A statement that hangs (the database or the network paused) fails before the TTL runs out.
    const queryTimeout = Math.floor((o.ttlSeconds * 1000) / 3);
    const pool = new Pool({ connectionString: o.controlUrl, max: 6, query_timeout: queryTimeout * 2, application_name: "pulumi-dts-service" });
    const leasePool = new Pool({ connectionString: o.controlUrl, max: 1, query_timeout: queryTimeout, application_name: "pulumi-dts-leases" });
    for (const p of [pool, leasePool]) p.on("error", (err) => log(`control database: ${err.message}`));
    await ControlStore.ensureSchema(pool);
    await PgLeaseOwnership.ensureSchema(pool);
    await TokenStore.ensureSchema(pool);
    const tokens = new TokenStore(pool);
    if (o.bootstrapToken) await tokens.register(o.bootstrapToken, "*");
    const store = new ControlStore(pool, o.masterKey);
    const leases = new PgLeaseOwnership(leasePool, { holder, ttlSeconds: o.ttlSeconds });
    const home = engineHome(join(o.home, holder));
    ensureHome(home);
    const mirror = new StateMirror(pool, holder);
    const replica = new Replica(store, leases, mirror, { holder, capacity: o.capacity, home, log });
    const apiLeases = new PgLeaseOwnership(pool, { holder, ttlSeconds: o.ttlSeconds });
    await ServiceDashboardGate.ensureSchema(pool);
    const gate = new ServiceDashboardGate(pool, tokens, o.masterKey);
    const endpoint = `${o.tls ? "https" : "http"}://${o.listen.host}:${o.listen.port}`;
    const dashboard = dashboardHandler(controlStoreSource(store, apiLeases, gate, endpoint), gate);
    const handler = apiHandler({ store, leases: apiLeases, tokens, ready: () => replica.ready(), log, clientCertificates: o.tls?.clientCa !== undefined, dashboard });
    const server = o.tls
        // mTLS asks every client for a certificate but checks it per request (api.ts): the
        // kubelet's probes have none, and /healthz and /readyz must still answer them.
        ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, ...(o.tls.clientCa ? { ca: o.tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}) }, handler)
        : createHttpServer(handler);
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(o.listen.port, o.listen.host, () => resolve());
    });
    await replica.start();
    const addr = server.address();
    log(`serving ${o.tls ? "https" : "http"} on ${typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : addr}${o.tls?.clientCa ? " (mTLS)" : ""}, capacity ${o.capacity}, lease TTL ${o.ttlSeconds} s`);
    let stopped: Promise<void> | undefined;
    const stop = () => (stopped ??= (async () => {
        log("stopping: handing its tasks off");
        server.close();
        await replica.stop();
        await Promise.all([pool.end(), leasePool.end()]).catch(() => undefined);
        log("stopped");
    })());
    return { server, replica, holder, stop };
}

/** The process: serve until SIGTERM/SIGINT, then hand the tasks off and exit. */
export async function serveMain(argv: string[]): Promise<void> {
    let svc: RunningService;
    try {
        svc = await serve(serveOptions(argv, process.env));
    } catch (err) {
        console.error(`pulumi-dts engine serve: ${(err as Error).message}`);
        process.exit(2);
    }
    process.on("unhandledRejection", (err) => console.error(`${new Date().toISOString()} unhandled: ${(err as Error)?.stack ?? err}`));
    const exit = () => void svc.stop().finally(() => process.exit(0));
    process.on("SIGTERM", exit);
    process.on("SIGINT", exit);
}
