/**
 * Tablestore "Test Connectivity" (ListTable) through the real client protocol against the
 * local Tablestore server (test/harness/tablestore-server): the facts, each failure kind,
 * the DatabaseConnection hooks' outputs and drift, and the secret kept out of all of it.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionArgsSchema, type TablestoreConnectionSpec } from "../../sdk/schema/connection";
import { testConnectivity } from "../../provider/connectors/probe";
import { tablestoreClient } from "../../provider/connectors/tablestore/connect";
import { tablestoreFacts } from "../../provider/connectors/tablestore/facts";
import { TablestoreError } from "../../provider/connectors/tablestore/errors";
import { ConnectionError, type ConnectionFailureKind } from "../../provider/errors/connection-error";
import { classifyFailure } from "../../provider/engine/retry";
import * as hooks from "../../provider/hooks/connection";
import { freePort } from "../harness/ports";
import { startTablestoreServer, type TablestoreServer } from "../harness/tablestore-server";

const INSTANCE = "conninst";
const AK = { id: "LTAIconnTestKey01", secret: "Secr3t-conn-test-9f8e7d6c" };
const WRONG_SECRET = "Wr0ng-Secr3t-0a1b2c3d4e";

let server: TablestoreServer;
let silent: Server;
let silentPort: number;
const silentSockets = new Set<Socket>();

function args(over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        engine: "tablestore", endpoint: server.endpoint, instanceName: INSTANCE,
        accessKeyId: AK.id, accessKeySecret: AK.secret, connectTimeoutSeconds: 5, ...over,
    };
}

const spec = (over: Record<string, unknown> = {}) => connectionArgsSchema.parse(args(over)) as TablestoreConnectionSpec;

async function failure(s: TablestoreConnectionSpec, kind: ConnectionFailureKind): Promise<ConnectionError> {
    let caught: unknown;
    try {
        await testConnectivity(s);
    } catch (err) {
        caught = err;
    }
    expect(caught, "expected Test Connectivity to fail").toBeInstanceOf(ConnectionError);
    const e = caught as ConnectionError;
    expect(e.kind, e.message).toBe(kind);
    for (const secret of [AK.secret, WRONG_SECRET]) {
        expect(e.message).not.toContain(secret);
        expect(e.detail).not.toContain(secret);
        expect(JSON.stringify(e.endpoint)).not.toContain(secret);
    }
    return e;
}

beforeAll(async () => {
    server = await startTablestoreServer({ instanceName: INSTANCE, accessKeys: [AK] });
    // Accepts TCP connections and never answers: what a firewall black hole looks like to a client.
    silent = createServer((socket) => {
        silentSockets.add(socket);
        socket.on("close", () => silentSockets.delete(socket));
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    silentPort = (silent.address() as { port: number }).port;
});

afterAll(async () => {
    // close() waits for open connections, and a timed-out client may leave its socket open.
    for (const s of silentSockets) s.destroy();
    await new Promise((r) => silent.close(r));
    await server.close();
});

describe("Tablestore Test Connectivity", () => {
    it("is verified, with the instance's table count and quota as facts", async () => {
        const client = tablestoreClient(spec());
        try {
            for (const name of ["orders", "customers"]) {
                await client.createTable({ name, primaryKey: [{ name: "id", type: "INTEGER" }] });
            }
        } finally {
            client.close();
        }
        const r = await testConnectivity(spec());
        expect(r.connectivity).toBe("verified");
        expect(r.note).toBeUndefined();
        expect(r.facts).toEqual({
            flavour: "Tablestore",
            serverVersion: "",
            tablestore: { tables: 2, tableQuota: 64, endpoint: server.endpoint },
        });
        expect(JSON.stringify(r.facts)).not.toContain(AK.secret);
    });

    it("tablestoreFacts on a destination's own client gives the same facts", async () => {
        const client = tablestoreClient(spec());
        try {
            expect(await tablestoreFacts(client, spec())).toEqual((await testConnectivity(spec())).facts);
        } finally {
            client.close();
        }
    });

    it("wrong AccessKey ID: auth-failed, naming the key ID but never the secret", async () => {
        const e = await failure(spec({ accessKeyId: "LTAInoSuchKey999" }), "auth-failed");
        expect(e.message).toContain("The AccessKeyID does not exist.");
        expect(e.message).toContain('as "LTAInoSuchKey999"');
        expect(e.message).toMatch(/check accessKeyId and accessKeySecret/);
        expect(e.endpoint).toEqual({ engine: "tablestore", host: "127.0.0.1", port: server.port, user: "LTAInoSuchKey999", database: INSTANCE });
    });

    it("wrong AccessKey secret: auth-failed, the secret in no message", async () => {
        const e = await failure(spec({ accessKeySecret: WRONG_SECRET }), "auth-failed");
        expect(e.message).toContain("Signature mismatch.");
        expect(e.message).toContain(`tablestore at 127.0.0.1:${server.port} as "${AK.id}" (instance "${INSTANCE}")`);
    });

    it("wrong instance name: unknown-instance, a permanent failure", async () => {
        const e = await failure(spec({ instanceName: "otherinst" }), "unknown-instance");
        expect(e.message).toContain("The instance is not found.");
        expect(e.message).toContain('(instance "otherinst")');
        expect(e.message).toMatch(/check instanceName: the instance does not exist in this endpoint's region/);
        expect(classifyFailure(e)).toBe("permanent");
    });

    it("nothing listening: refused", async () => {
        const port = await freePort();
        const e = await failure(spec({ endpoint: `http://127.0.0.1:${port}` }), "refused");
        expect(e.message).toContain(`127.0.0.1:${port}`);
        expect(e.message).toContain("ECONNREFUSED");
        expect(classifyFailure(e)).toBe("connection");
    });

    it("unresolvable host: unknown-host, port by scheme", async () => {
        const e = await failure(spec({ endpoint: "http://nonexistent.invalid" }), "unknown-host");
        expect(e.endpoint).toMatchObject({ host: "nonexistent.invalid", port: 80 });
        expect(e.message).toContain("nonexistent.invalid");
        const https = await failure(spec({ endpoint: "https://nonexistent.invalid" }), "unknown-host");
        expect(https.endpoint.port).toBe(443);
    });

    it("a server that never answers: timeout after connectTimeoutSeconds", async () => {
        const started = Date.now();
        const e = await failure(spec({ endpoint: `http://127.0.0.1:${silentPort}`, connectTimeoutSeconds: 1 }), "timeout");
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(e.message).toMatch(/raise connectTimeoutSeconds/);
    });

    it("a busy service: Test Connectivity fails as \"other\"; tablestoreFacts keeps the service's error", async () => {
        server.inject({ operations: ["ListTable"], error: "OTSServerBusy", times: 2 });
        const e = await failure(spec(), "other");
        expect(e.message).toContain("OTSServerBusy");
        const client = tablestoreClient(spec());
        try {
            const raw = await tablestoreFacts(client, spec()).then(() => undefined, (err: unknown) => err);
            expect(raw).toBeInstanceOf(TablestoreError);
            expect((raw as TablestoreError).code).toBe("OTSServerBusy");
        } finally {
            client.close();
            server.clearFaults();
        }
    });
});

describe("DatabaseConnection hooks for Tablestore", () => {
    it("create: verified and reachable, with the facts; refresh reports drift; an unreachable endpoint is reported, not thrown", async () => {
        const created = await hooks.create(args());
        expect(created.outs).toMatchObject({
            connectivity: "verified", reachable: true, flavour: "Tablestore", serverVersion: "", lastError: "", note: "", drift: [],
            // Tablestore's endpoint is an argument too: the output of the same name keeps it as given.
            endpoint: server.endpoint,
        });
        const tables = (created.outs.facts as { tablestore: { tables: number } }).tablestore.tables;
        expect(created.outs.facts).toMatchObject({ tablestore: { tableQuota: 64, endpoint: server.endpoint } });
        // The outputs carry the inputs (the SDK marks accessKeySecret secret); nothing else holds the secret.
        const { accessKeySecret, ...rest } = created.outs;
        expect(accessKeySecret).toBe(AK.secret);
        expect(JSON.stringify(rest)).not.toContain(AK.secret);

        const client = tablestoreClient(spec());
        try {
            await client.createTable({ name: "invoices", primaryKey: [{ name: "id", type: "STRING" }] });
        } finally {
            client.close();
        }
        const refreshed = await hooks.read(created.id, created.outs);
        expect(refreshed.id).toBe(created.id);
        expect(refreshed.props).toMatchObject({ reachable: true, connectivity: "verified" });
        expect(refreshed.props.drift).toEqual([`tablestore.tables: ${tables} -> ${tables + 1}`]);

        const port = await freePort();
        const gone = await hooks.read(created.id, { ...refreshed.props, endpoint: `http://127.0.0.1:${port}` });
        expect(gone.props.reachable).toBe(false);
        expect(gone.props.lastError).toMatch(/ECONNREFUSED.*nothing accepts connections at the endpoint/);
        expect(gone.props.lastError).not.toContain(AK.secret);
    });

    it("diff: a new endpoint is a change that replaces the connection; the same inputs are none", async () => {
        const created = await hooks.create(args());
        expect(await hooks.diff(created.id, created.outs, args())).toMatchObject({ changes: false, replaces: [] });
        const moved = await hooks.diff(created.id, created.outs, args({ endpoint: "https://conninst.cn-hangzhou.ots.aliyuncs.com" }));
        expect(moved).toMatchObject({ changes: true, replaces: ["endpoint"] });
    });

    it("create with a wrong secret fails with a message that does not contain it", async () => {
        const err = await hooks.create(args({ accessKeySecret: WRONG_SECRET })).then(() => undefined, (e: unknown) => e as Error);
        expect(err?.message).toMatch(/cannot connect to tablestore at 127\.0\.0\.1:\d+ as "LTAIconnTestKey01" \(instance "conninst"\): OTSAuthFailed: Signature mismatch\./);
        expect(err?.message).not.toContain(WRONG_SECRET);
    });
});
