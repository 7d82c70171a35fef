import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { secretConnectionFields } from "../../sdk/schema/connection";
import type { PermanentFailure } from "../engine/retry";
import type { EngineTaskSpec } from "../engine/task-store";

/**
 * Connection secrets as the engine service keeps them in its control database (issue 10
 * §2): sealed with AES-256-GCM under the service's master key, so no row of the database
 * gives them away without the key; and fingerprinted with an HMAC under the same key, so a
 * diff can tell that a secret changed without holding or showing it.
 *
 * Sealed value format, version 1: "v1:" + base64(iv (12 bytes) ‖ ciphertext ‖ tag (16 bytes)),
 * the field's path bound in as additional data, so a sealed value cannot be moved to
 * another field or task and still open.
 */
const VERSION = "v1";

export class SealedSecretError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly field: string, reason: string) {
        super(`the sealed secret ${field} cannot be opened: ${reason} (is the service running with the master key it was sealed with?)`);
        this.name = "SealedSecretError";
    }
}

/** The master key: 32 bytes, given to the service as base64 or hex (env or file). */
export function parseMasterKey(text: string): Buffer {
    const t = text.trim();
    const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, "hex") : Buffer.from(t, "base64");
    if (key.length !== 32) throw new Error("the master key must be 32 bytes, as 64 hex digits or base64 (e.g. openssl rand -base64 32)");
    return key;
}

export function seal(key: Buffer, context: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64")}`;
}

export function open(key: Buffer, context: string, sealed: string): string {
    const [version, data] = sealed.split(":", 2);
    if (version !== VERSION || data === undefined) throw new SealedSecretError(context, `format ${version} is not ${VERSION}`);
    const raw = Buffer.from(data, "base64");
    if (raw.length < 28) throw new SealedSecretError(context, "too short");
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    try {
        return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
    } catch {
        throw new SealedSecretError(context, "it was sealed under another key, or altered");
    }
}

/** A secret's fingerprint: equal for equal secrets under one key, and says nothing about the secret without the key. */
export function fingerprint(key: Buffer, context: string, plaintext: string): string {
    return createHmac("sha256", key).update(context).update("\0").update(plaintext).digest("base64url").slice(0, 22);
}

const sides = ["source", "destination"] as const;

/** A task spec with its connections' secrets sealed: what the control database stores. */
export function sealSpec(key: Buffer, spec: EngineTaskSpec): EngineTaskSpec {
    const out = structuredClone(spec);
    for (const side of sides) {
        const conn = out[side] as unknown as Record<string, unknown>;
        for (const f of secretConnectionFields) {
            if (typeof conn[f] === "string") conn[f] = seal(key, `${spec.taskId}.${side}.${f}`, conn[f] as string);
        }
    }
    return out;
}

/** The spec to run, its secrets opened. */
export function openSpec(key: Buffer, sealed: EngineTaskSpec): EngineTaskSpec {
    const out = structuredClone(sealed);
    for (const side of sides) {
        const conn = out[side] as unknown as Record<string, unknown>;
        for (const f of secretConnectionFields) {
            if (typeof conn[f] === "string") conn[f] = open(key, `${sealed.taskId}.${side}.${f}`, conn[f] as string);
        }
    }
    return out;
}

/** The spec as the API returns it: every secret replaced by its fingerprint. */
export function redactedSpec(key: Buffer, spec: EngineTaskSpec): EngineTaskSpec {
    const out = structuredClone(spec);
    for (const side of sides) {
        const conn = out[side] as unknown as Record<string, unknown>;
        for (const f of secretConnectionFields) {
            if (typeof conn[f] === "string") conn[f] = `[secret ${fingerprint(key, `${side}.${f}`, conn[f] as string)}]`;
        }
    }
    return out;
}
