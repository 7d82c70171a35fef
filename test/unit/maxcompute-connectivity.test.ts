/**
 * A MaxCompute DatabaseConnection's Test Connectivity (issue 11 §4) against the local
 * MaxCompute server: verified with the right AccessKey; a wrong secret, an unknown key, an
 * unknown project and a closed port are ConnectionErrors of their kinds, naming the
 * endpoint and the fix, never the secret.
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionArgsSchema, type ConnectionSpec } from "../../sdk/schema/connection";
import { testConnectivity } from "../../provider/connectors/probe";
import { ConnectionError } from "../../provider/errors/connection-error";
import { type MaxComputeServer, startMaxComputeServer } from "../harness/maxcompute-server";

const key = { id: "mc-conn-ak", secret: "mc-conn-Secret-9" };

describe("MaxCompute Test Connectivity", () => {
    let mc: MaxComputeServer;
    beforeAll(async () => {
        mc = await startMaxComputeServer({ project: "dts_conn", accessKeys: [key] });
    });
    afterAll(async () => mc?.close());
    const spec = (o: Record<string, string> = {}) => connectionArgsSchema.parse({
        engine: "maxcompute", endpoint: mc.endpoint, project: "dts_conn", accessKeyId: key.id, accessKeySecret: key.secret, ...o,
    }) as ConnectionSpec;
    const failure = async (s: ConnectionSpec) => {
        const err = await testConnectivity(s).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(ConnectionError);
        expect((err as Error).message).not.toContain(key.secret);
        return err as ConnectionError;
    };

    it("is verified with the right AccessKey", async () => {
        const r = await testConnectivity(spec());
        expect(r).toMatchObject({ connectivity: "verified", facts: { flavour: "MaxCompute" } });
    });
    it("refuses a wrong secret or an unknown AccessKey as auth-failed", async () => {
        expect((await failure(spec({ accessKeySecret: "wrong" }))).kind).toBe("auth-failed");
        const e = await failure(spec({ accessKeyId: "nobody" }));
        expect(e.kind).toBe("auth-failed");
        expect(e.message).toMatch(/check accessKeyId and accessKeySecret/);
    });
    it("names an unknown project, and a closed port", async () => {
        const e = await failure(spec({ project: "no_such_project" }));
        expect(e.kind).toBe("unknown-database");
        expect(e.message).toMatch(/project "no_such_project".*check project/);
        const closed = createServer();
        await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
        const port = (closed.address() as AddressInfo).port;
        await new Promise<void>((r) => closed.close(() => r()));
        expect((await failure(spec({ endpoint: `http://127.0.0.1:${port}/api` }))).kind).toBe("refused");
    });
});
