import { createHmac } from "node:crypto";

/**
 * The ODPS v2 request signature (research/maxcompute.md §1), as pure functions of the
 * request so that a test server can recompute what the client sent.
 *
 * canonical = METHOD "\n"
 *           + for each of content-md5, content-type, date and every x-odps-* header or
 *             x-odps-* query parameter, sorted by lower-cased name: the value alone (the
 *             first three, "" when absent) or "name:value" (x-odps-*), then "\n"
 *           + the resource: the path relative to the endpoint (without its "/api"),
 *             URL-decoded, then "?" and every query parameter sorted by name, "k=v", or
 *             "k" alone when its value is empty, joined by "&".
 * Authorization: "ODPS <accessKeyId>:" + base64(HMAC-SHA1(secret, canonical)).
 */

/** What the signature covers, all decoded (no percent-encoding). */
export interface SignableRequest {
    method: string;
    /** The path relative to the endpoint, e.g. "/projects/p/tables/t" (no "/api" prefix). */
    resource: string;
    /** Query parameters, decoded; "" for a bare parameter such as `?taskstatus`. */
    params: Readonly<Record<string, string>>;
    /** Request headers, any case; an undefined value counts as absent. */
    headers: Readonly<Record<string, string | undefined>>;
}

const ODPS_PREFIX = "x-odps-";

export function canonicalResource(resource: string, params: Readonly<Record<string, string>>): string {
    const names = Object.keys(params).sort();
    if (names.length === 0) return resource;
    return `${resource}?${names.map((k) => (params[k] === "" ? k : `${k}=${params[k]}`)).join("&")}`;
}

export function canonicalString(req: SignableRequest): string {
    const signed = new Map<string, string>([["content-md5", ""], ["content-type", ""]]);
    for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        const k = name.toLowerCase();
        if (k === "content-md5" || k === "content-type" || k === "date" || k.startsWith(ODPS_PREFIX)) signed.set(k, value);
    }
    // Both SDKs sign x-odps-* query parameters as if they were headers, too.
    for (const [k, value] of Object.entries(req.params)) {
        if (k.startsWith(ODPS_PREFIX)) signed.set(k, value);
    }
    let out = `${req.method.toUpperCase()}\n`;
    for (const k of [...signed.keys()].sort()) {
        const v = signed.get(k) as string;
        out += k.startsWith(ODPS_PREFIX) ? `${k}:${v}\n` : `${v}\n`;
    }
    return out + canonicalResource(req.resource, req.params);
}

/** base64(HMAC-SHA1(secret, canonical)), the secret and the canonical string taken as UTF-8. */
export function signCanonical(canonical: string, accessKeySecret: string): string {
    return createHmac("sha1", accessKeySecret).update(canonical, "utf8").digest("base64");
}

/** The Authorization header's value for a request. */
export function authorization(req: SignableRequest, accessKeyId: string, accessKeySecret: string): string {
    return `ODPS ${accessKeyId}:${signCanonical(canonicalString(req), accessKeySecret)}`;
}

/** The Date header: RFC-822 in GMT, as both SDKs send it ("Tue, 02 Jan 2024 03:04:05 GMT"). */
export function httpDate(d: Date): string {
    return d.toUTCString();
}

/**
 * The signable form of a request as a server receives it: the raw request target (still
 * percent-encoded), with the endpoint's path prefix (e.g. "/api") removed from the
 * resource. For servers that check signatures; the client builds SignableRequest directly.
 */
export function signableFromTarget(
    method: string,
    target: string,
    headers: Readonly<Record<string, string | string[] | undefined>>,
    basePath = "",
): SignableRequest {
    const q = target.indexOf("?");
    let path = decodeURIComponent(q < 0 ? target : target.slice(0, q));
    const base = basePath.replace(/\/+$/, "");
    if (base !== "" && (path === base || path.startsWith(`${base}/`))) path = path.slice(base.length) || "/";
    const params: Record<string, string> = {};
    if (q >= 0) {
        for (const part of target.slice(q + 1).split("&")) {
            if (part === "") continue;
            const eq = part.indexOf("=");
            const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
            if (eq < 0) params[decode(part)] = "";
            else params[decode(part.slice(0, eq))] = decode(part.slice(eq + 1));
        }
    }
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
        if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(",") : v;
    }
    return { method, resource: path, params, headers: flat };
}

/** The access key id and signature of an "ODPS <id>:<signature>" header, or undefined. */
export function parseAuthorization(header: string | undefined): { accessKeyId: string; signature: string } | undefined {
    const m = /^ODPS ([^:\s]+):(\S+)$/.exec(header ?? "");
    return m ? { accessKeyId: m[1], signature: m[2] } : undefined;
}
