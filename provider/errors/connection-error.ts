/** What went wrong when reaching a database, as a user needs to act on it. */
export type ConnectionFailureKind =
    | "auth-failed"
    | "unknown-host"
    | "refused"
    | "timeout"
    | "tls-required"
    | "tls-unsupported"
    | "tls-verify-failed"
    | "tls-name-mismatch"
    | "unknown-database"
    | "unknown-instance"
    | "not-implemented"
    | "other";

/**
 * Where a connection points; never carries a password. Tablestore: the endpoint URL's host
 * and port, the AccessKey ID as `user` (never the secret) and the instance as `database`.
 */
export interface Endpoint {
    engine: string;
    host: string;
    port: number;
    user: string;
    database?: string;
}

export function describeEndpoint(e: Endpoint): string {
    const what = e.engine === "tablestore" ? "instance" : e.engine === "maxcompute" ? "project" : "database";
    return `${e.engine} at ${e.host}:${e.port} as "${e.user}"${e.database ? ` (${what} "${e.database}")` : ""}`;
}

const hints: Record<ConnectionFailureKind, string> = {
    "auth-failed": "check the user and password, and that the account may connect from this host",
    "unknown-host": "check the host name; it does not resolve from this machine",
    "refused": "nothing accepts connections on that port: check the port, and that the server runs and listens on this address",
    "timeout": "the server did not answer in time: check firewalls/whitelists, or raise connectTimeoutSeconds",
    "tls-required": "the server only accepts encrypted connections: set tls.mode to \"required\" (or \"verify-ca\" / \"verify-full\" with tls.ca)",
    "tls-unsupported": "the server does not offer TLS: set tls.mode to \"disabled\", or enable TLS on the server",
    "tls-verify-failed": "the server certificate is not signed by tls.ca: pass the CA that signed it, or use tls.mode \"required\"",
    "tls-name-mismatch": "set tls.serverName to a name the certificate lists, or connect with host set to one of them (tls.mode \"verify-ca\" checks the CA but not the name)",
    "unknown-database": "create the database first, or connect to one that exists",
    "unknown-instance": "check instanceName: the instance does not exist in this endpoint's region",
    "not-implemented": "this engine is validated only; connecting to it arrives with its own connector",
    "other": "see the server's message above",
};

/** Where an engine's fix reads differently from the SQL wording above. */
const engineHints: Record<string, Partial<Record<ConnectionFailureKind, string>>> = {
    tablestore: {
        "auth-failed": "check accessKeyId and accessKeySecret: the AccessKey must exist, be enabled, and be allowed to use the instance",
        "unknown-host": "check the endpoint's host name; it does not resolve from this machine",
        "refused": "nothing accepts connections at the endpoint: check its host and port (80 for http://, 443 for https:// unless the URL names one)",
    },
    maxcompute: {
        "auth-failed": "check accessKeyId and accessKeySecret: the AccessKey must exist, be enabled, and be allowed to read the project",
        "unknown-host": "check the endpoint's host name; it does not resolve from this machine",
        "refused": "nothing accepts connections at the endpoint: check its host and port (80 for http://, 443 for https:// unless the URL names one)",
        "unknown-database": "check project: it does not exist at this endpoint (projects belong to a region)",
    },
};

function hintFor(kind: ConnectionFailureKind, engine: string): string {
    return engineHints[engine]?.[kind] ?? hints[kind];
}

/** A failed Test Connectivity, naming the endpoint and how to fix it. */
export class ConnectionError extends Error {
    constructor(
        readonly kind: ConnectionFailureKind,
        readonly endpoint: Endpoint,
        readonly detail: string,
    ) {
        super(`cannot connect to ${describeEndpoint(endpoint)}: ${detail} (${hintFor(kind, endpoint.engine)})`);
        this.name = "ConnectionError";
    }
}

/** What node's tls.checkServerIdentity leaves on its error (ERR_TLS_CERT_ALTNAME_INVALID); drivers may replace `code`. */
interface NameCheckError {
    code?: string;
    message?: string;
    host?: string;
    cert?: { subject?: { CN?: string | string[] }; subjectaltname?: string };
}

/**
 * The detail of a verify-full failure because the certificate does not name the server,
 * or undefined for any other error: the name checked and the names the certificate has.
 */
export function nameMismatchDetail(err: unknown): string | undefined {
    const e = (err ?? {}) as NameCheckError;
    if (e.code !== "ERR_TLS_CERT_ALTNAME_INVALID" && !/does not match certificate's altnames/i.test(e.message ?? "")) return undefined;
    const names = [
        ...(e.cert?.subjectaltname ? e.cert.subjectaltname.split(/,\s*/) : []),
        ...[e.cert?.subject?.CN ?? []].flat().map((cn) => `CN=${cn}`),
    ];
    const listed = names.length > 0 ? names.join(", ") : "none that could be read";
    return `the server certificate does not name "${e.host ?? "?"}", the name tls.mode "verify-full" checks (tls.serverName, else host); ` +
        `the certificate's names: ${listed}`;
}

/**
 * Removes every occurrence of the given secrets from a text. Drivers echo connection
 * strings and options into their messages; nothing a user or log sees may carry them.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
    let out = text;
    for (const s of secrets) {
        if (s && s.length > 0) out = out.split(s).join("[secret]");
    }
    return out;
}
