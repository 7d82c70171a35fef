import * as net from "node:net";
import * as mysql from "mysql2/promise";
import type { ConnectionOptions } from "mysql2";
import type { MysqlConnectionSpec } from "../../../sdk/schema/connection";
import { ConnectionError, type ConnectionFailureKind, type Endpoint, nameMismatchDetail, redact } from "../../errors/connection-error";

export function mysqlEndpoint(spec: MysqlConnectionSpec): Endpoint {
    return { engine: spec.engine, host: spec.host, port: spec.port ?? 3306, user: spec.user };
}

/** Driver options for a spec; TLS follows DTS's Non-encrypted / SSL-encrypted choice. */
export function mysqlOptions(spec: MysqlConnectionSpec, extra: Partial<ConnectionOptions> = {}): ConnectionOptions {
    const opts: ConnectionOptions = {
        host: spec.host,
        port: spec.port ?? 3306,
        user: spec.user,
        password: spec.password,
        connectTimeout: spec.connectTimeoutSeconds * 1000,
        // Exact values: DECIMAL and 64-bit integers as strings, dates as text, so nothing is rounded or shifted.
        supportBigNumbers: true,
        bigNumberStrings: true,
        decimalNumbers: false,
        dateStrings: true,
        timezone: "Z",
        charset: "utf8mb4_general_ci",
        ...extra,
    };
    if (spec.tls.mode !== "disabled") {
        opts.ssl = {
            ca: spec.tls.ca,
            rejectUnauthorized: spec.tls.mode !== "required",
            // verify-ca checks the chain, not the host name (as MySQL's --ssl-mode=VERIFY_CA);
            // verify-full also checks the name (VERIFY_IDENTITY): mysql2 then runs node's
            // tls.checkServerIdentity against its `host` option.
            verifyIdentity: spec.tls.mode === "verify-full",
        } as ConnectionOptions["ssl"];
        if (spec.tls.mode === "verify-full") {
            const name = spec.tls.serverName ?? opts.host!;
            if (name !== opts.host || net.isIP(name) !== 0) Object.assign(opts, connectByAddress(name, opts));
        }
    }
    return opts;
}

/**
 * mysql2 takes the name to check (and send as SNI) from `host` and has no option of its
 * own for it, so with a serverName `host` becomes that name and the socket, opened here,
 * goes to the real address. For an IP address mysql2 passes no name at all, and node then
 * checks the certificate against "localhost" unless the socket carries the address it was
 * opened to (`_host`, which node's net sets only after a DNS lookup): the socket opened here
 * carries it, so the certificate must list that IP (test/integration/connection-tls.test.ts
 * proves both cases against a certificate naming neither).
 */
function connectByAddress(name: string, opts: ConnectionOptions): Partial<ConnectionOptions> {
    const address = { host: opts.host!, port: opts.port! };
    return {
        host: name,
        stream: () => {
            const socket = net.connect(address);
            if (net.isIP(name) !== 0) (socket as net.Socket & { _host?: string })._host = name;
            // What mysql2 does for the sockets it opens itself.
            socket.setNoDelay(true);
            if (opts.enableKeepAlive !== false) socket.on("connect", () => socket.setKeepAlive(true, opts.keepAliveInitialDelay));
            return socket;
        },
    };
}

export async function connectMysql(spec: MysqlConnectionSpec, extra: Partial<ConnectionOptions> = {}): Promise<mysql.Connection> {
    try {
        return await mysql.createConnection(mysqlOptions(spec, extra));
    } catch (err) {
        throw classifyMysqlError(err, spec, { tlsLoginAccepted: await loginAcceptedOverTls(err, spec) });
    }
}

interface DriverError {
    code?: string;
    errno?: number;
    message?: string;
}

const accessDenied = (e: DriverError) => e.code === "ER_ACCESS_DENIED_ERROR" || e.code === "ER_ACCESS_DENIED_NO_PASSWORD_ERROR";

/**
 * MariaDB with require_secure_transport=ON (and MySQL or MariaDB for an account that
 * REQUIREs SSL) refuses a plain login with 1045 "Access denied … (using password: YES)",
 * word for word what a wrong password gets. To tell the two apart, a plain login refused
 * that way is tried once more over TLS (unverified: it only asks whether the server takes
 * these credentials that way). The second attempt sends credentials only if the server
 * offers TLS; mysql2 stops before that otherwise.
 */
async function loginAcceptedOverTls(err: unknown, spec: MysqlConnectionSpec): Promise<boolean> {
    if (spec.tls.mode !== "disabled" || !accessDenied((err ?? {}) as DriverError)) return false;
    try {
        const conn = await mysql.createConnection(mysqlOptions({ ...spec, tls: { mode: "required" } }));
        await conn.end().catch(() => undefined);
        return true;
    } catch {
        return false;
    }
}

export function classifyMysqlError(
    err: unknown,
    spec: MysqlConnectionSpec,
    /** tlsLoginAccepted: the same credentials were accepted over TLS after a plain login was refused. */
    context: { tlsLoginAccepted?: boolean } = {},
): ConnectionError {
    const mismatch = nameMismatchDetail(err);
    if (mismatch) return new ConnectionError("tls-name-mismatch", mysqlEndpoint(spec), mismatch);
    const e = (err ?? {}) as DriverError;
    let raw = redact(String(e.message ?? err), [spec.password]);
    const kind = mysqlFailureKind(e, spec, context.tlsLoginAccepted === true);
    if (kind === "tls-required" && accessDenied(e)) {
        raw += "; the same credentials are accepted over TLS, so the server (require_secure_transport) or the account (REQUIRE SSL) demands it";
    }
    return new ConnectionError(kind, mysqlEndpoint(spec), raw);
}

/** Node's certificate-chain verification failures, as their messages (mysql2 replaces their code with HANDSHAKE_SSL_ERROR). */
const chainVerifyFailure = /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|certificate signature failure/i;

function mysqlFailureKind(e: DriverError, spec: MysqlConnectionSpec, tlsLoginAccepted: boolean): ConnectionFailureKind {
    switch (e.code) {
        case "ER_ACCESS_DENIED_ERROR":
        case "ER_ACCESS_DENIED_NO_PASSWORD_ERROR":
            // MariaDB answers 1045 when TLS is required (server-wide or by the account) and the client did not use it.
            return spec.tls.mode === "disabled" && tlsLoginAccepted ? "tls-required" : "auth-failed";
        case "ER_SECURE_TRANSPORT_REQUIRED":
            return "tls-required";
        case "HANDSHAKE_NO_SSL_SUPPORT":
            return "tls-unsupported";
        case "ENOTFOUND":
        case "EAI_AGAIN":
            return "unknown-host";
        case "ECONNREFUSED":
            return "refused";
        case "ETIMEDOUT":
        case "PROTOCOL_SEQUENCE_TIMEOUT":
            return "timeout";
        case "ER_BAD_DB_ERROR":
            return "unknown-database";
        case "DEPTH_ZERO_SELF_SIGNED_CERT":
        case "SELF_SIGNED_CERT_IN_CHAIN":
        case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
        case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
        case "CERT_SIGNATURE_FAILURE":
            return "tls-verify-failed";
        case "HANDSHAKE_SSL_ERROR":
            return chainVerifyFailure.test(e.message ?? "") ? "tls-verify-failed" : "other";
        default:
            if (/secure transport|require.*ssl|SSL connection is required/i.test(e.message ?? "")) return "tls-required";
            return "other";
    }
}
