/**
 * Request authentication as the service performs it (research §1.1-1.3): the required headers,
 * the x-ots-date format and skew, the AccessKey, the HMAC-SHA1 signature over the canonical
 * x-ots-* headers, the instance and the body MD5; and the response signature the Java and
 * Python SDKs verify.
 */
import { createHash, createHmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { authFailed, parameterInvalid } from "./errors";

export interface AccessKey {
    id: string;
    secret: string;
}

export interface AuthConfig {
    instanceName: string;
    accessKeys: readonly AccessKey[];
    maxClockSkewMs: number;
    now(): number;
}

const REQUIRED_HEADERS = [
    "x-ots-date",
    "x-ots-apiversion",
    "x-ots-accesskeyid",
    "x-ots-instancename",
    "x-ots-contentmd5",
    "x-ots-signature",
] as const;

// Node sends milliseconds, Java too, Go a constant ".123", older clients none: the
// milliseconds are accepted and ignored.
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
    const v = headers[name];
    return Array.isArray(v) ? v.join(",") : v;
}

export function parseOtsDate(value: string): number | undefined {
    const m = ISO_DATE.exec(value);
    if (!m) return undefined;
    const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
    const t = Date.UTC(y, mo - 1, d, h, mi, s);
    const back = new Date(t);
    // Reject 2024-02-31 and friends rather than letting Date roll them over.
    if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
    return t;
}

export function canonicalHeaders(headers: Record<string, string>): string {
    return Object.keys(headers)
        .filter((k) => k.toLowerCase().startsWith("x-ots-") && k.toLowerCase() !== "x-ots-signature")
        .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
        .map((k) => `${k.toLowerCase()}:${headers[k]}\n`)
        .join("");
}

export function requestSignature(secret: string, operation: string, headers: Record<string, string>): string {
    const stringToSign = `/${operation}\nPOST\n\n${canonicalHeaders(headers)}`;
    return createHmac("sha1", secret).update(stringToSign, "utf8").digest("base64");
}

export function contentMd5(body: Uint8Array): string {
    return createHash("md5").update(body).digest("base64");
}

/** Checks one request; returns the key it was signed with, or throws the service's OtsError. */
export function authenticate(operation: string, rawHeaders: IncomingHttpHeaders, body: Uint8Array, cfg: AuthConfig): AccessKey {
    const headers: Record<string, string> = {};
    for (const name of Object.keys(rawHeaders)) {
        const v = header(rawHeaders, name);
        if (v !== undefined) headers[name.toLowerCase()] = v;
    }
    for (const name of REQUIRED_HEADERS) {
        if (headers[name] === undefined) throw parameterInvalid(`Missing header: ${name}.`);
    }
    const date = headers["x-ots-date"];
    const when = parseOtsDate(date);
    if (when === undefined) throw parameterInvalid(`Invalid date format: ${date}.`);

    const key = cfg.accessKeys.find((k) => k.id === headers["x-ots-accesskeyid"]);
    if (!key) throw authFailed("The AccessKeyID does not exist.");
    if (requestSignature(key.secret, operation, headers) !== headers["x-ots-signature"]) throw authFailed("Signature mismatch.");
    if (headers["x-ots-instancename"] !== cfg.instanceName) throw authFailed("The instance is not found.");
    if (Math.abs(cfg.now() - when) > cfg.maxClockSkewMs) throw authFailed(`Mismatch between system time and x-ots-date: ${date}.`);
    if (contentMd5(body) !== headers["x-ots-contentmd5"]) {
        throw authFailed("Mismatch between MD5 value of request body and x-ots-contentmd5 in header.");
    }
    return key;
}

/**
 * The `authorization` response header: `OTS <akid>:<sig>`, where sig is HMAC-SHA1 over the
 * sorted x-ots-* response headers, each "name:value\n", followed by "/<Operation>".
 */
export function responseAuthorization(key: AccessKey, operation: string, headers: Record<string, string>): string {
    const toSign = `${canonicalHeaders(headers)}/${operation}`;
    return `OTS ${key.id}:${createHmac("sha1", key.secret).update(toSign, "utf8").digest("base64")}`;
}
