import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { connectionArgsSchema } from "../../sdk/schema/connection";
import { taskArgsSchema } from "../../sdk/schema/task";
import { fingerprint, open, openSpec, parseMasterKey, redactedSpec, seal, SealedSecretError, sealSpec } from "../../provider/service/sealed-secrets";
import type { EngineTaskSpec } from "../../provider/engine/task-store";

const key = randomBytes(32);
const spec: EngineTaskSpec = {
    taskId: "t-1",
    task: taskArgsSchema.parse({ source: { connectionId: "s", engine: "mariadb" }, destination: { connectionId: "d", engine: "tablestore" }, migrationTypes: ["full"], objects: [{ database: "shop" }] }),
    source: { ...connectionArgsSchema.parse({ engine: "mariadb", host: "db", user: "u", password: "pw-Secret-1" }), connectionId: "s" },
    destination: { ...connectionArgsSchema.parse({ engine: "tablestore", endpoint: "https://x.ots.aliyuncs.com", instanceName: "inst", accessKeyId: "ak", accessKeySecret: "ak-Secret-2" }), connectionId: "d" },
};

describe("sealed secrets", () => {
    it("a sealed spec holds no secret, and opens back to the spec", () => {
        const sealed = sealSpec(key, spec);
        const text = JSON.stringify(sealed);
        expect(text).not.toContain("pw-Secret-1");
        expect(text).not.toContain("ak-Secret-2");
        expect(openSpec(key, sealed)).toEqual(spec);
    });

    it("does not open under another key, moved to another field or task, or altered", () => {
        const s = seal(key, "t-1.source.password", "pw");
        expect(open(key, "t-1.source.password", s)).toBe("pw");
        expect(() => open(randomBytes(32), "t-1.source.password", s)).toThrow(SealedSecretError);
        expect(() => open(key, "t-2.source.password", s)).toThrow(SealedSecretError);
        const altered = s.slice(0, -4) + (s.endsWith("AAAA") ? "BBBB" : "AAAA");
        expect(() => open(key, "t-1.source.password", altered)).toThrow(SealedSecretError);
        expect(() => open(key, "t-1.source.password", "v0:xx")).toThrow(/format v0 is not v1/);
    });

    it("seals the same secret differently each time; fingerprints tell equal secrets without showing them", () => {
        expect(seal(key, "c", "pw")).not.toBe(seal(key, "c", "pw"));
        expect(fingerprint(key, "c", "pw")).toBe(fingerprint(key, "c", "pw"));
        expect(fingerprint(key, "c", "pw")).not.toBe(fingerprint(key, "c", "pw2"));
        const shown = JSON.stringify(redactedSpec(key, spec));
        expect(shown).not.toContain("pw-Secret-1");
        expect(shown).toMatch(/"password":"\[secret [A-Za-z0-9_-]{22}\]"/);
    });

    it("the master key is 32 bytes, as hex or base64", () => {
        expect(parseMasterKey(key.toString("hex"))).toEqual(key);
        expect(parseMasterKey(key.toString("base64"))).toEqual(key);
        expect(() => parseMasterKey("short")).toThrow(/32 bytes/);
    });
});
