import { createHash } from "node:crypto";
import type { ConnectionSpec, TablestoreConnectionSpec } from "../../sdk/schema/connection";
import { defaultPort, isMysqlFamily } from "../../sdk/schema/connection";
import { ConnectionError } from "../errors/connection-error";
import type { ConnectionFacts } from "../engine/facts";
import { connectMysql } from "./mysql/connect";
import { introspectMysqlServer } from "./mysql/introspect-server";
import { connectPostgres } from "./postgres/connect";
import { introspectPostgresServer } from "./postgres/introspect-server";
import { tablestoreClient } from "./tablestore/connect";
import { classifyTablestoreError, tablestoreFacts } from "./tablestore/facts";
import { maxcomputeFacts } from "./maxcompute/facts";

/** The outcome of DTS's "Test Connectivity" for one connection. */
export interface ConnectivityResult {
    /** "verified": we connected and read the facts; "not-tested": the engine has no connector yet (none today). */
    connectivity: "verified" | "not-tested";
    facts: ConnectionFacts;
    note?: string;
}

/**
 * A connection's identity: the same server, account and database always give the same id,
 * so a connection keeps its id across `pulumi up` runs and state exports.
 */
export function connectionId(spec: ConnectionSpec): string {
    const parts =
        spec.engine === "tablestore" ? [spec.engine, spec.endpoint, spec.instanceName, spec.accessKeyId]
        : spec.engine === "maxcompute" ? [spec.engine, spec.endpoint, spec.project, spec.accessKeyId]
        : [spec.engine, spec.host, String(spec.port ?? defaultPort(spec.engine)), spec.user, "database" in spec ? spec.database : ""];
    return "dbc-" + createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 16);
}

export async function testConnectivity(spec: ConnectionSpec): Promise<ConnectivityResult> {
    if (spec.engine === "tablestore") return { connectivity: "verified", facts: await testTablestore(spec) };
    if (spec.engine === "maxcompute") return { connectivity: "verified", facts: await maxcomputeFacts(spec) };
    if (isMysqlFamily(spec.engine)) {
        const s = spec as Extract<ConnectionSpec, { engine: "mysql" | "mariadb" | "polardb-mysql" }>;
        const conn = await connectMysql(s);
        try {
            return { connectivity: "verified", facts: await introspectMysqlServer(conn, s) };
        } finally {
            await conn.end().catch(() => undefined);
        }
    }
    const s = spec as Extract<ConnectionSpec, { engine: "postgresql" | "analyticdb-postgresql" }>;
    const client = await connectPostgres(s);
    try {
        return { connectivity: "verified", facts: await introspectPostgresServer(client, s) };
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** ListTable with the connection's AccessKey: every failure is a ConnectionError, as for the SQL engines. */
async function testTablestore(spec: TablestoreConnectionSpec): Promise<ConnectionFacts> {
    let client;
    try {
        client = tablestoreClient(spec);
    } catch (err) {
        throw classifyTablestoreError(err, spec);
    }
    try {
        return await tablestoreFacts(client, spec);
    } catch (err) {
        throw err instanceof ConnectionError ? err : classifyTablestoreError(err, spec);
    } finally {
        client.close();
    }
}

/** Human-readable differences between two fact sets, for refresh's drift report. */
export function factDrift(before: ConnectionFacts | undefined, after: ConnectionFacts): string[] {
    if (!before) return [];
    const out: string[] = [];
    const walk = (a: unknown, b: unknown, path: string) => {
        if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
            const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
            for (const k of keys) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
            return;
        }
        if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
    };
    walk(before, after, "");
    return out;
}
