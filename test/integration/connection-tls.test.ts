import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { testConnectivity } from "../../provider/connectors/probe";
import { ConnectionError, type ConnectionFailureKind } from "../../provider/errors/connection-error";
import { connectionArgsSchema, type ConnectionArgsInput, type ConnectionSpec } from "../../sdk/schema/connection";
import { destroyMariaDb, type MariaDbInfo, startMariaDb } from "../harness/mariadb";
import { destroyPostgres, type PostgresInfo, startPostgres } from "../harness/postgres";
import { makeTlsFiles, type TlsFiles } from "../harness/tls";

type Tls = { mode: "disabled" | "required" | "verify-ca" | "verify-full"; ca?: string; serverName?: string };

let certDir: string | undefined;
let tls: TlsFiles;
let mariadb: MariaDbInfo | undefined;
let postgres: PostgresInfo | undefined;
/** Servers whose certificate (same CA) names only tls.misnamedHost, not 127.0.0.1. */
let misnamedMariadb: MariaDbInfo | undefined;
let misnamedPostgres: PostgresInfo | undefined;

beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), "dts-tls-"));
    tls = makeTlsFiles(certDir);
    const pgTls = (cert: string, key: string) =>
        ["ssl = on", `ssl_cert_file = '${cert}'`, `ssl_key_file = '${key}'`, `ssl_ca_file = '${tls.caFile}'`];
    // TLS only over TCP; trust on the unix socket so the harness can bootstrap.
    const hba = ["local all all trust", "hostssl all all 127.0.0.1/32 scram-sha-256"];
    [mariadb, postgres, misnamedMariadb, misnamedPostgres] = await Promise.all([
        startMariaDb({
            extraConfig: [`ssl-ca=${tls.caFile}`, `ssl-cert=${tls.certFile}`, `ssl-key=${tls.keyFile}`, "require_secure_transport=ON"],
        }),
        startPostgres({ extraConfig: pgTls(tls.certFile, tls.keyFile), hba }),
        startMariaDb({ extraConfig: [`ssl-ca=${tls.caFile}`, `ssl-cert=${tls.misnamedCertFile}`, `ssl-key=${tls.misnamedKeyFile}`] }),
        startPostgres({ extraConfig: pgTls(tls.misnamedCertFile, tls.misnamedKeyFile), hba }),
    ]);
});

afterAll(async () => {
    await Promise.all([
        mariadb ? destroyMariaDb(mariadb) : undefined,
        postgres ? destroyPostgres(postgres) : undefined,
        misnamedMariadb ? destroyMariaDb(misnamedMariadb) : undefined,
        misnamedPostgres ? destroyPostgres(misnamedPostgres) : undefined,
    ]);
    if (certDir) rmSync(certDir, { recursive: true, force: true });
});

function spec(input: ConnectionArgsInput): ConnectionSpec {
    return connectionArgsSchema.parse(input);
}

function mariaSpec(m: MariaDbInfo, t: Tls): ConnectionSpec {
    return spec({ engine: "mariadb", host: m.host, port: m.port, user: m.user, password: m.password, tls: t });
}

function pgSpec(p: PostgresInfo, t: Tls): ConnectionSpec {
    return spec({ engine: "postgresql", host: p.host, port: p.port, user: p.user, password: p.password, database: p.database, tls: t });
}

/** Runs Test Connectivity, expecting a ConnectionError of `kind` whose message never shows the password. */
async function expectFailure(s: ConnectionSpec, kind: ConnectionFailureKind, password: string): Promise<ConnectionError> {
    let caught: unknown;
    try {
        await testConnectivity(s);
    } catch (err) {
        caught = err;
    }
    expect(caught, "Test Connectivity should have failed").toBeInstanceOf(ConnectionError);
    const e = caught as ConnectionError;
    expect({ kind: e.kind, message: e.message }).toMatchObject({ kind });
    expect(e.message).not.toContain(password);
    expect(e.detail).not.toContain(password);
    expect(String(e.stack)).not.toContain(password);
    return e;
}

describe("Test Connectivity over TLS: MariaDB with require_secure_transport=ON", () => {
    it("rejects a non-encrypted connection as tls-required", async () => {
        await expectFailure(mariaSpec(mariadb!, { mode: "disabled" }), "tls-required", mariadb!.password);
    });

    it("still reports a wrong password without TLS as auth-failed, not tls-required", async () => {
        // MariaDB answers both with the same 1045; the connector tells them apart by retrying over TLS.
        const s = { ...mariaSpec(mariadb!, { mode: "disabled" }), password: "wrong-Password-7" } as ConnectionSpec;
        await expectFailure(s, "auth-failed", "wrong-Password-7");
    });

    it("connects with tls.mode required and reads the facts", async () => {
        const r = await testConnectivity(mariaSpec(mariadb!, { mode: "required" }));
        expect(r.connectivity).toBe("verified");
        expect(r.facts.flavour).toBe("MariaDB");
        expect(r.facts.serverVersion).toMatch(/MariaDB/);
        expect(r.facts.mysql?.logBin).toBe(true);
    });

    it("connects with tls.mode verify-ca and the CA that signed the server certificate", async () => {
        const r = await testConnectivity(mariaSpec(mariadb!, { mode: "verify-ca", ca: tls.caPem }));
        expect(r.connectivity).toBe("verified");
        expect(r.facts.flavour).toBe("MariaDB");
    });

    it("rejects verify-ca with an unrelated CA as tls-verify-failed", async () => {
        await expectFailure(mariaSpec(mariadb!, { mode: "verify-ca", ca: tls.otherCaPem }), "tls-verify-failed", mariadb!.password);
    });

    it("connects with tls.mode verify-full when the certificate names the host (IP 127.0.0.1)", async () => {
        const r = await testConnectivity(mariaSpec(mariadb!, { mode: "verify-full", ca: tls.caPem }));
        expect(r.connectivity).toBe("verified");
    });
});

/**
 * verify-full against a certificate of the right CA for another name: refused with the
 * name checked, the certificate's names and the fix; serverName makes it pass, and
 * verify-ca (chain only) is not affected.
 */
function describeNameCheck(label: string, server: () => { info: MariaDbInfo | PostgresInfo; spec: (t: Tls) => ConnectionSpec }): void {
    describe(`Test Connectivity over TLS: ${label} whose certificate names only db.example.test`, () => {
        it("rejects verify-full at 127.0.0.1 as tls-name-mismatch, naming both names and the fix", async () => {
            const { info, spec: s } = server();
            const e = await expectFailure(s({ mode: "verify-full", ca: tls.caPem }), "tls-name-mismatch", info.password);
            expect(e.message).toContain(`does not name "127.0.0.1"`);
            expect(e.message).toContain(`DNS:${tls.misnamedHost}`);
            expect(e.message).toContain("set tls.serverName");
        });

        it("connects with verify-full when tls.serverName is the certificate's name", async () => {
            const r = await testConnectivity(server().spec({ mode: "verify-full", ca: tls.caPem, serverName: tls.misnamedHost }));
            expect(r.connectivity).toBe("verified");
        });

        it("rejects verify-full with a serverName the certificate does not list", async () => {
            const { info, spec: s } = server();
            const e = await expectFailure(s({ mode: "verify-full", ca: tls.caPem, serverName: "other.example.test" }), "tls-name-mismatch", info.password);
            expect(e.message).toContain(`does not name "other.example.test"`);
        });

        it("still connects with verify-ca, which checks the chain but not the name", async () => {
            const r = await testConnectivity(server().spec({ mode: "verify-ca", ca: tls.caPem }));
            expect(r.connectivity).toBe("verified");
        });
    });
}

describeNameCheck("MariaDB", () => ({ info: misnamedMariadb!, spec: (t) => mariaSpec(misnamedMariadb!, t) }));
describeNameCheck("PostgreSQL", () => ({ info: misnamedPostgres!, spec: (t) => pgSpec(misnamedPostgres!, t) }));

describe("Test Connectivity over TLS: PostgreSQL with ssl=on and hostssl only", () => {
    it("rejects a non-encrypted connection as tls-required", async () => {
        await expectFailure(pgSpec(postgres!, { mode: "disabled" }), "tls-required", postgres!.password);
    });

    it("connects with tls.mode required and reads the facts", async () => {
        const r = await testConnectivity(pgSpec(postgres!, { mode: "required" }));
        expect(r.connectivity).toBe("verified");
        expect(r.facts.flavour).toBe("PostgreSQL");
        expect(r.facts.postgres?.walLevel).toBe("logical");
    });

    it("connects with tls.mode verify-ca and the CA that signed the server certificate", async () => {
        const r = await testConnectivity(pgSpec(postgres!, { mode: "verify-ca", ca: tls.caPem }));
        expect(r.connectivity).toBe("verified");
        expect(r.facts.flavour).toBe("PostgreSQL");
    });

    it("rejects verify-ca with an unrelated CA as tls-verify-failed", async () => {
        await expectFailure(pgSpec(postgres!, { mode: "verify-ca", ca: tls.otherCaPem }), "tls-verify-failed", postgres!.password);
    });

    it("connects with tls.mode verify-full when the certificate names the host (IP 127.0.0.1)", async () => {
        const r = await testConnectivity(pgSpec(postgres!, { mode: "verify-full", ca: tls.caPem }));
        expect(r.connectivity).toBe("verified");
    });
});

describe("Test Connectivity over TLS: the shared MariaDB without TLS configured", () => {
    /** Asks the real server whether it offers TLS (some builds enable it on their own). */
    async function sharedServerHasTls(m: MariaDbInfo): Promise<boolean> {
        const c = await mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password });
        try {
            const [rows] = await c.query<mysql.RowDataPacket[]>("SELECT @@have_ssl AS have_ssl");
            return String(rows[0].have_ssl).toUpperCase() === "YES";
        } finally {
            await c.end();
        }
    }

    it("rejects tls.mode required as tls-unsupported", async () => {
        const shared = inject("mariadb");
        const s = mariaSpec(shared, { mode: "required" });
        if (await sharedServerHasTls(shared)) {
            // This MariaDB build enabled TLS by itself: "required" must then connect; the
            // tls-unsupported path cannot be exercised against this server.
            console.warn("shared MariaDB offers TLS (have_ssl=YES): asserting that tls.mode \"required\" connects instead of tls-unsupported");
            const r = await testConnectivity(s);
            expect(r.connectivity).toBe("verified");
            return;
        }
        await expectFailure(s, "tls-unsupported", shared.password);
    });
});
