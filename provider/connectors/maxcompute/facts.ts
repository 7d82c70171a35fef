/**
 * MaxCompute's "Test Connectivity": GET /projects/<p> proves the endpoint answers, the
 * AccessKey signs, and the project exists and may be read. Failures become ConnectionErrors
 * with the kinds the other connectors use, so users (and the engine's retry rule) read them alike.
 */
import type { MaxComputeConnectionSpec } from "../../../sdk/schema/connection";
import { ConnectionError, type ConnectionFailureKind, type Endpoint, redact } from "../../errors/connection-error";
import type { ConnectionFacts } from "../../engine/facts";
import { MaxComputeClientError, MaxComputeConnectionError, MaxComputeError } from "./errors";
import { MaxComputeRest } from "./rest";

/** Where a MaxCompute connection points, as ConnectionError names it: the AccessKey ID as the user (never the secret), the project as the database. */
export function maxcomputeEndpoint(spec: MaxComputeConnectionSpec): Endpoint {
    const url = URL.canParse(spec.endpoint) ? new URL(spec.endpoint) : undefined;
    const host = url ? url.hostname.replace(/^\[(.*)\]$/, "$1") : spec.endpoint;
    const port = url?.port ? Number(url.port) : url?.protocol === "http:" ? 80 : 443;
    return { engine: "maxcompute", host, port, user: spec.accessKeyId, database: spec.project };
}

/** Codes the service answers for credentials (pyodps errors.py; the local server answers the same). */
const CREDENTIALS = new Set(["SignatureNotMatch", "InvalidAccessKeyId", "Unauthorized", "AccessDenied", "NoPermission", "InvalidAccessKeyIdNotFound"]);

function failureKind(err: unknown): ConnectionFailureKind {
    if (err instanceof MaxComputeConnectionError) {
        switch (err.code) {
            case "ECONNREFUSED": return "refused";
            case "ENOTFOUND": case "EAI_AGAIN": return "unknown-host";
            case "ETIMEDOUT": return "timeout";
            default: return "other";
        }
    }
    if (err instanceof MaxComputeError) {
        if (CREDENTIALS.has(err.code) || err.httpStatus === 401 || err.httpStatus === 403) return "auth-failed";
        if (err.code === "NoSuchProject" || err.notFound) return "unknown-database";
    }
    return "other";
}

export function classifyMaxComputeError(err: unknown, spec: MaxComputeConnectionSpec): ConnectionError {
    const detail = err instanceof MaxComputeError ? `${err.code}: ${err.serverMessage}`
        : err instanceof MaxComputeConnectionError ? `${err.detail} (${err.code})`
        : err instanceof MaxComputeClientError ? err.reason
        : err instanceof Error ? err.message : String(err);
    return new ConnectionError(failureKind(err), maxcomputeEndpoint(spec), redact(detail, [spec.accessKeySecret]));
}

/** The project's facts by one GET; every failure is a ConnectionError. */
export async function maxcomputeFacts(spec: MaxComputeConnectionSpec): Promise<ConnectionFacts> {
    let rest: MaxComputeRest;
    try {
        rest = new MaxComputeRest(spec, { attempts: 2, timeoutMs: 15_000 });
    } catch (err) {
        throw classifyMaxComputeError(err, spec);
    }
    try {
        await rest.getProject(spec.project);
        // A managed service has no server version to report (as Tablestore).
        return { flavour: "MaxCompute", serverVersion: "" };
    } catch (err) {
        throw classifyMaxComputeError(err, spec);
    } finally {
        rest.close();
    }
}
