import type { Pool, QueryResult, QueryResultRow } from "pg";

/**
 * What the service's stores need of PostgreSQL: one query at a time. A pg Client and a
 * pg Pool both fit; the service gives its leases a connection of their own, so a renewal
 * never waits behind the API's or the mirror's statements.
 */
export interface Queryable {
    query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export type { Pool };
