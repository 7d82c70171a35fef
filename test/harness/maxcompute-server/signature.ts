import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * The service's v2 request signature, recomputed by the fixture from the request as it
 * arrived (research maxcompute.md §1; pyodps accounts.py:51-101, odps-sdk-java
 * SecurityUtils.buildCanonicalString): the fixture's own implementation, so a client signing
 * wrongly is refused here as the service would refuse it.
 */
export function canonicalString(method: string, path: string, query: URLSearchParams, headers: IncomingHttpHeaders): string {
    const lines = new Map<string, string>();
    const header = (k: string) => {
        const v = headers[k];
        return Array.isArray(v) ? v.join(",") : v ?? "";
    };
    lines.set("content-md5", header("content-md5"));
    lines.set("content-type", header("content-type"));
    lines.set("date", header("date"));
    for (const k of Object.keys(headers)) if (k.startsWith("x-odps-")) lines.set(k, `${k}:${header(k)}`);
    for (const [k, v] of query) if (k.toLowerCase().startsWith("x-odps-")) lines.set(k.toLowerCase(), `${k.toLowerCase()}:${v}`);
    let out = `${method.toUpperCase()}\n`;
    for (const k of [...lines.keys()].sort()) out += `${lines.get(k)}\n`;
    // The resource: the path under the endpoint (no /api), URL-decoded, then every parameter sorted by name.
    const resource = decodeURIComponent(path.replace(/^\/api(?=\/)/, ""));
    const params = [...query.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => (v === "" ? k : `${k}=${v}`));
    return out + resource + (params.length ? `?${params.join("&")}` : "");
}

export type SignatureCheck = { ok: true; accessKeyId: string } | { ok: false; code: string; message: string };

export function checkSignature(method: string, path: string, query: URLSearchParams, headers: IncomingHttpHeaders, keys: ReadonlyMap<string, string>): SignatureCheck {
    if (!headers.date) return { ok: false, code: "InvalidRequest", message: "the Date header is missing" };
    const m = /^ODPS ([^:]+):(.+)$/.exec(String(headers.authorization ?? ""));
    if (!m) return { ok: false, code: "Unauthorized", message: "no ODPS Authorization header" };
    const secret = keys.get(m[1]);
    if (secret === undefined) return { ok: false, code: "InvalidAccessKeyId", message: `the AccessKey id ${m[1]} does not exist` };
    const want = Buffer.from(createHmac("sha1", secret).update(canonicalString(method, path, query, headers)).digest("base64"));
    const got = Buffer.from(m[2]);
    if (want.length !== got.length || !timingSafeEqual(want, got)) {
        return { ok: false, code: "SignatureNotMatch", message: "the request signature we calculated does not match the signature you provided" };
    }
    return { ok: true, accessKeyId: m[1] };
}
