import type { Client } from "pg";
import type { PostgresConnectionSpec } from "../../../sdk/schema/connection";
import type { ConnectionFacts } from "../../engine/facts";

export async function introspectPostgresServer(client: Client, spec: PostgresConnectionSpec): Promise<ConnectionFacts> {
    const { rows } = await client.query<{
        server_version: string; version: string; wal_level: string; server_encoding: string;
        in_recovery: boolean; read_only: string; superuser: boolean; can_create: boolean; replication: boolean;
    }>(`SELECT current_setting('server_version') AS server_version, version() AS version,
               current_setting('wal_level') AS wal_level, current_setting('server_encoding') AS server_encoding,
               pg_is_in_recovery() AS in_recovery, current_setting('default_transaction_read_only') AS read_only,
               r.rolsuper AS superuser, r.rolreplication AS replication,
               has_database_privilege(current_user, current_database(), 'CREATE') AS can_create
          FROM pg_roles r WHERE r.rolname = current_user`);
    const r = rows[0];
    const adb = spec.engine === "analyticdb-postgresql" || /Greenplum|AnalyticDB/i.test(r.version);
    return {
        flavour: adb ? "AnalyticDB for PostgreSQL" : "PostgreSQL",
        serverVersion: r.server_version,
        postgres: {
            walLevel: r.wal_level,
            serverEncoding: r.server_encoding,
            readOnly: r.in_recovery || r.read_only === "on",
            superuser: r.superuser,
            canCreateSchema: r.can_create,
            replication: r.replication,
        },
    };
}
