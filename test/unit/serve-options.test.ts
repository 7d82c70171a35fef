/**
 * `engine serve`'s flags and environment: each refusal names the flag or variable and the fix.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serveOptions } from "../../provider/service/serve";

const env = { PULUMI_DTS_CONTROL_URL: "postgres://u@127.0.0.1/db", PULUMI_DTS_MASTER_KEY: "a".repeat(64) };
const dir = mkdtempSync(join(tmpdir(), "dts-serve-opts-"));
const pem = join(dir, "x.pem");
writeFileSync(pem, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");

describe("engine serve options", () => {
    it("defaults: loopback plaintext, capacity 50, lease TTL 10 s", () => {
        const o = serveOptions([], env);
        expect(o.listen).toEqual({ host: "127.0.0.1", port: 7443 });
        expect(o.tls).toBeUndefined();
        expect([o.capacity, o.ttlSeconds]).toEqual([50, 10]);
    });
    it("refuses plaintext off loopback, half a TLS pair, mTLS without TLS", () => {
        expect(() => serveOptions(["--listen", "0.0.0.0:7443"], env)).toThrow(/plaintext is only served on loopback: give --tls-cert and --tls-key/);
        expect(() => serveOptions(["--tls-cert", pem], env)).toThrow(/--tls-cert and --tls-key go together/);
        expect(() => serveOptions(["--client-ca", pem], env)).toThrow(/--client-ca \(mTLS\) needs --tls-cert/);
        expect(serveOptions(["--listen", "[::]:8443", "--tls-cert", pem, "--tls-key", pem], env).listen).toEqual({ host: "::", port: 8443 });
    });
    it("names what is missing or out of range", () => {
        expect(() => serveOptions([], { PULUMI_DTS_MASTER_KEY: env.PULUMI_DTS_MASTER_KEY })).toThrow(/PULUMI_DTS_CONTROL_URL must name the control PostgreSQL database/);
        expect(() => serveOptions([], { PULUMI_DTS_CONTROL_URL: env.PULUMI_DTS_CONTROL_URL })).toThrow(/the master key is missing: set PULUMI_DTS_MASTER_KEY or --master-key-file/);
        expect(() => serveOptions([], { ...env, PULUMI_DTS_MASTER_KEY: "short" })).toThrow(/must be 32 bytes/);
        expect(() => serveOptions(["--capacity", "0"], env)).toThrow(/--capacity \(PULUMI_DTS_CAPACITY\) must be a whole number of tasks ≥ 1/);
        expect(() => serveOptions(["--lease-ttl", "4"], env)).toThrow(/--lease-ttl must be 6 to 300 seconds/);
        expect(() => serveOptions(["--listen", "7443"], env)).toThrow(/--listen must be host:port/);
        expect(() => serveOptions(["--bogus"], env)).toThrow(/bogus/);
    });
});
