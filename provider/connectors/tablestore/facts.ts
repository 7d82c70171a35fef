/**
 * Tablestore's "Test Connectivity": one ListTable request proves the endpoint answers, the
 * AccessKey signs and the instance exists, and its answer is the instance's table count.
 * Failures become ConnectionErrors with the kinds the SQL connectors use, so users (and the
 * engine's retry rule) read them alike.
 */
import type { TablestoreConnectionSpec } from "../../../sdk/schema/connection";
import { ConnectionError, type ConnectionFailureKind, type Endpoint, redact } from "../../errors/connection-error";
import type { ConnectionFacts } from "../../engine/facts";
import type { TablestoreClient } from "./client";
import { TablestoreClientError, TablestoreConnectionError, TablestoreError } from "./errors";

/** The service's default limit of tables per instance (research/tablestore.md; the local server's maxTables). */
export const TABLESTORE_TABLE_QUOTA = 64;

/**
 * Where a Tablestore connection points, as ConnectionError names it: the endpoint URL's host
 * and port (80 or 443 by scheme when the URL names none), the AccessKey ID as the user
 * (never the secret), the instance as the database.
 */
export function tablestoreEndpoint(spec: TablestoreConnectionSpec): Endpoint {
    const url = URL.canParse(spec.endpoint) ? new URL(spec.endpoint) : undefined;
    const host = url ? url.hostname.replace(/^\[(.*)\]$/, "$1") : spec.endpoint;
    const port = url?.port ? Number(url.port) : url?.protocol === "http:" ? 80 : 443;
    return { engine: "tablestore", host, port, user: spec.accessKeyId, database: spec.instanceName };
}

/** OTSAuthFailed's message for an instance name the endpoint does not serve. */
const instanceNotFound = /instance\b.*\b(not (be )?found|does not exist|not exist)/i;
/** OTSAuthFailed messages that are not about the AccessKey: a clock off by > 15 minutes, a corrupted body. */
const notCredentials = /x-ots-date|system time|MD5/i;

function failureKind(err: unknown): ConnectionFailureKind | undefined {
    if (err instanceof TablestoreConnectionError) {
        switch (err.code) {
            case "ECONNREFUSED": return "refused";
            case "ENOTFOUND": case "EAI_AGAIN": return "unknown-host";
            case "ETIMEDOUT": return "timeout";
            // A reset, an unreachable network: the exchange broke off, the server said nothing.
            default: return "other";
        }
    }
    if (err instanceof TablestoreError) {
        if (err.code === "OTSAuthFailed") {
            // "The instance is not found." vs "The AccessKeyID does not exist." / "Signature mismatch."
            if (instanceNotFound.test(err.serverMessage)) return "unknown-instance";
            return notCredentials.test(err.serverMessage) ? undefined : "auth-failed";
        }
        // The AccessKey is valid but its RAM policy does not allow the instance or ListTable.
        if (err.code === "OTSNoPermissionAccess") return "auth-failed";
    }
    return undefined;
}

/**
 * The ConnectionError for a failed Tablestore request, or undefined when the failure says
 * nothing about reaching the instance (a busy service, a malformed answer): callers keep
 * those as they are, so their own retry class (tablestoreErrorClass) still holds.
 */
export function tablestoreConnectionFailure(err: unknown, spec: TablestoreConnectionSpec): ConnectionError | undefined {
    const kind = failureKind(err);
    return kind === undefined ? undefined : connectionError(kind, err, spec);
}

/** Every failure as a ConnectionError: what Test Connectivity reports, "other" for the rest. */
export function classifyTablestoreError(err: unknown, spec: TablestoreConnectionSpec): ConnectionError {
    return connectionError(failureKind(err) ?? "other", err, spec);
}

function connectionError(kind: ConnectionFailureKind, err: unknown, spec: TablestoreConnectionSpec): ConnectionError {
    const detail = err instanceof TablestoreError ? `${err.code}: ${err.serverMessage}`
        : err instanceof TablestoreConnectionError ? `${err.detail} (${err.code})`
        : err instanceof TablestoreClientError ? err.reason
        : err instanceof Error ? err.message : String(err);
    return new ConnectionError(kind, tablestoreEndpoint(spec), redact(detail, [spec.accessKeySecret]));
}

/**
 * The facts of a Tablestore instance, by one ListTable. A failure to reach the instance
 * (refused, unknown host, timeout, wrong AccessKey, unknown instance) is a ConnectionError;
 * any other failure is the client's typed error, unchanged.
 */
export async function tablestoreFacts(client: TablestoreClient, spec: TablestoreConnectionSpec): Promise<ConnectionFacts> {
    let tables: string[];
    try {
        tables = await client.listTables();
    } catch (err) {
        throw tablestoreConnectionFailure(err, spec) ?? err;
    }
    return {
        flavour: "Tablestore",
        // A managed service: the API version (2015-12-31) is fixed and no server version is exposed.
        serverVersion: "",
        tablestore: { tables: tables.length, tableQuota: TABLESTORE_TABLE_QUOTA, endpoint: client.endpoint },
    };
}
