import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { connectionArgsSchema, type ConnectionSpec } from "../../sdk/schema/connection";
import { testConnectivity } from "../../provider/connectors/probe";
import { ConnectionError } from "../../provider/errors/connection-error";
import { freePort } from "../harness/ports";

const maria = inject("mariadb");
const pg = inject("postgres");
const spec = (args: Record<string, unknown>): ConnectionSpec => connectionArgsSchema.parse(args);
const mariaSpec = (extra: Record<string, unknown> = {}) =>
    spec({ engine: "mariadb", host: maria.host, port: maria.port, user: maria.user, password: maria.password, ...extra });
const pgSpec = (extra: Record<string, unknown> = {}) =>
    spec({ engine: "postgresql", host: pg.host, port: pg.port, user: pg.user, password: pg.password, ...extra });

async function failure(s: ConnectionSpec): Promise<ConnectionError> {
    try {
        await testConnectivity(s);
    } catch (err) {
        expect(err).toBeInstanceOf(ConnectionError);
        return err as ConnectionError;
    }
    throw new Error("expected Test Connectivity to fail");
}

describe("Test Connectivity against real servers", () => {
    let silent: Server;
    let silentPort: number;
    beforeAll(async () => {
        // Accepts TCP connections and never answers: what a firewall black hole looks like to a client.
        silent = createServer(() => undefined);
        await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
        silentPort = (silent.address() as { port: number }).port;
        const admin = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });
        await admin.query("CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY 'reader-pw-77'");
        await admin.query("CREATE DATABASE IF NOT EXISTS shop");
        await admin.query("GRANT SELECT, SHOW VIEW ON shop.* TO 'reader'@'%'");
        await admin.end();
    });
    afterAll(() => silent.close());

    it("reads the MariaDB facts prechecks need", async () => {
        const r = await testConnectivity(mariaSpec());
        expect(r.connectivity).toBe("verified");
        expect(r.facts.flavour).toBe("MariaDB");
        expect(r.facts.serverVersion).toMatch(/MariaDB/);
        expect(r.facts.mysql).toMatchObject({
            logBin: true, binlogFormat: "ROW", binlogRowImage: "FULL", binlogRowMetadata: "FULL",
            binlogRetentionHours: 168, gtidMode: "MARIADB", readOnly: false, serverId: maria.serverId,
            characterSetServer: "utf8mb4",
        });
        expect(r.facts.mysql?.privileges).toMatchObject({ select: true, replicationSlave: true, replicationClient: true, showView: true });
    });

    it("reports what a restricted account lacks", async () => {
        const r = await testConnectivity(mariaSpec({ user: "reader", password: "reader-pw-77" }));
        expect(r.facts.mysql?.privileges).toMatchObject({
            global: [], databases: { shop: ["SELECT", "SHOW VIEW"] }, select: false, replicationSlave: false, replicationClient: false,
        });
    });

    it("reads the PostgreSQL facts", async () => {
        const r = await testConnectivity(pgSpec());
        expect(r.facts).toMatchObject({ flavour: "PostgreSQL", postgres: { walLevel: "logical", serverEncoding: "UTF8", readOnly: false, canCreateSchema: true } });
        expect(r.facts.serverVersion).toMatch(/^\d+\.\d+/);
    });

    it("wrong password: auth-failed, and the message does not contain the password", async () => {
        const pw = "Wr0ng-Pa55word-xyz";
        for (const s of [mariaSpec({ password: pw }), pgSpec({ password: pw })]) {
            const e = await failure(s);
            expect(e.kind).toBe("auth-failed");
            expect(e.message).toMatch(/check the user and password/);
            expect(e.message).not.toContain(pw);
        }
    });

    it("unknown host", async () => {
        const e = await failure(mariaSpec({ host: "no-such-host.invalid" }));
        expect(e.kind).toBe("unknown-host");
        expect(e.message).toContain("no-such-host.invalid");
    });

    it("refused port", async () => {
        const port = await freePort();
        for (const s of [mariaSpec({ port }), pgSpec({ port })]) {
            const e = await failure(s);
            expect(e.kind).toBe("refused");
            expect(e.message).toContain(`127.0.0.1:${port}`);
        }
    });

    it("timeout when the server never answers", async () => {
        for (const s of [mariaSpec({ port: silentPort, connectTimeoutSeconds: 1 }), pgSpec({ port: silentPort, connectTimeoutSeconds: 1 })]) {
            const e = await failure(s);
            expect(e.kind).toBe("timeout");
            expect(e.message).toMatch(/raise connectTimeoutSeconds/);
        }
    });

    it("unknown PostgreSQL database", async () => {
        const e = await failure(pgSpec({ database: "no_such_db" }));
        expect(e.kind).toBe("unknown-database");
    });

    // Tablestore and MaxCompute are tested for real: test/integration/tablestore-connectivity.test.ts, test/unit/maxcompute-connectivity.test.ts.

});
