import * as mysql from "mysql2/promise";
import type { ConnectionOptions } from "mysql2";
import type { MysqlConnectionSpec } from "../../../sdk/schema/connection";
import { ConnectionError, type ConnectionFailureKind, type Endpoint, redact } from "../../errors/connection-error";

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
            rejectUnauthorized: spec.tls.mode === "verify-ca",
            // verify-ca checks the chain, not the host name (as MySQL's --ssl-mode=VERIFY_CA).
            checkServerIdentity: () => undefined,
        } as ConnectionOptions["ssl"];
    }
    return opts;
}

export async function connectMysql(spec: MysqlConnectionSpec, extra: Partial<ConnectionOptions> = {}): Promise<mysql.Connection> {
    try {
        return await mysql.createConnection(mysqlOptions(spec, extra));
    } catch (err) {
        throw classifyMysqlError(err, spec);
    }
}

interface DriverError {
    code?: string;
    errno?: number;
    message?: string;
}

export function classifyMysqlError(err: unknown, spec: MysqlConnectionSpec): ConnectionError {
    const e = (err ?? {}) as DriverError;
    const raw = redact(String(e.message ?? err), [spec.password]);
    const kind = mysqlFailureKind(e, spec);
    return new ConnectionError(kind, mysqlEndpoint(spec), raw);
}

function mysqlFailureKind(e: DriverError, spec: MysqlConnectionSpec): ConnectionFailureKind {
    switch (e.code) {
        case "ER_ACCESS_DENIED_ERROR":
        case "ER_ACCESS_DENIED_NO_PASSWORD_ERROR":
            // MariaDB answers 1045 when the account REQUIREs SSL and the client did not use it.
            return spec.tls.mode === "disabled" && /using password: (YES|NO)/.test(e.message ?? "") ? "auth-failed" : "auth-failed";
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
        default:
            if (/secure transport|require.*ssl|SSL connection is required/i.test(e.message ?? "")) return "tls-required";
            return "other";
    }
}
