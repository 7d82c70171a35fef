import { isIP } from "node:net";
import * as tls from "node:tls";
import { Client, type ClientConfig } from "pg";
import type { PostgresConnectionSpec } from "../../../sdk/schema/connection";
import { ConnectionError, type ConnectionFailureKind, type Endpoint, nameMismatchDetail, redact } from "../../errors/connection-error";

export function postgresEndpoint(spec: PostgresConnectionSpec): Endpoint {
    return { engine: spec.engine, host: spec.host, port: spec.port ?? 5432, user: spec.user, database: spec.database };
}

export function postgresConfig(spec: PostgresConnectionSpec, extra: Partial<ClientConfig> = {}): ClientConfig {
    const cfg: ClientConfig = {
        host: spec.host,
        port: spec.port ?? 5432,
        user: spec.user,
        password: spec.password,
        database: spec.database,
        connectionTimeoutMillis: spec.connectTimeoutSeconds * 1000,
        application_name: "pulumi-dts",
        ...extra,
    };
    if (spec.tls.mode !== "disabled") {
        // verify-ca checks the chain, not the name; verify-full checks the name too, against
        // serverName when given (pg itself would check `host`).
        const name = spec.tls.serverName ?? spec.host;
        const verifyFull = spec.tls.mode === "verify-full";
        cfg.ssl = {
            ca: spec.tls.ca,
            rejectUnauthorized: spec.tls.mode !== "required",
            checkServerIdentity: verifyFull ? (_host, cert) => tls.checkServerIdentity(name, cert) : () => undefined,
            // SNI; pg replaces it with `host` when that is a DNS name.
            ...(verifyFull && isIP(name) === 0 ? { servername: name } : {}),
        };
    }
    return cfg;
}

export async function connectPostgres(spec: PostgresConnectionSpec, extra: Partial<ClientConfig> = {}): Promise<Client> {
    const client = new Client(postgresConfig(spec, extra));
    // A server that drops the connection later must not crash the process.
    client.on("error", () => undefined);
    try {
        await client.connect();
        return client;
    } catch (err) {
        await client.end().catch(() => undefined);
        throw classifyPostgresError(err, spec);
    }
}

interface PgDriverError {
    code?: string;
    message?: string;
}

export function classifyPostgresError(err: unknown, spec: PostgresConnectionSpec): ConnectionError {
    const mismatch = nameMismatchDetail(err);
    if (mismatch) return new ConnectionError("tls-name-mismatch", postgresEndpoint(spec), mismatch);
    const e = (err ?? {}) as PgDriverError;
    const raw = redact(String(e.message ?? err), [spec.password]);
    return new ConnectionError(postgresFailureKind(e), postgresEndpoint(spec), raw);
}

function postgresFailureKind(e: PgDriverError): ConnectionFailureKind {
    const msg = e.message ?? "";
    switch (e.code) {
        case "28P01":
            return "auth-failed";
        case "28000":
            // pg_hba.conf "hostssl" lines reject plain connections with this code.
            return /no encryption|SSL off/i.test(msg) ? "tls-required" : "auth-failed";
        case "3D000":
            return "unknown-database";
        case "ENOTFOUND":
        case "EAI_AGAIN":
            return "unknown-host";
        case "ECONNREFUSED":
            return "refused";
        case "ETIMEDOUT":
            return "timeout";
        case "DEPTH_ZERO_SELF_SIGNED_CERT":
        case "SELF_SIGNED_CERT_IN_CHAIN":
        case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
        case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
            return "tls-verify-failed";
    }
    if (/does not support SSL/i.test(msg)) return "tls-unsupported";
    if (/timeout/i.test(msg)) return "timeout";
    return "other";
}
