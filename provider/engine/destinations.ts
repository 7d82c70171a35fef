import type { ConnectionSpec, MysqlConnectionSpec, PostgresConnectionSpec } from "../../sdk/schema/connection";
import { isMysqlFamily, isPostgresFamily } from "../../sdk/schema/connection";
import { MysqlDestination } from "../connectors/mysql/destination";
import { PostgresDestination } from "../connectors/postgres/destination";
import type { Destination } from "./destination";

/** The connector for a destination connection. */
export async function openDestination(spec: ConnectionSpec): Promise<Destination> {
    if (isPostgresFamily(spec.engine)) return PostgresDestination.open(spec as PostgresConnectionSpec);
    if (isMysqlFamily(spec.engine)) return MysqlDestination.open(spec as MysqlConnectionSpec);
    throw new Error(`destination engine "${spec.engine}" is not implemented yet`);
}
