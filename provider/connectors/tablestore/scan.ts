import { INF_MAX, INF_MIN, type TablestoreClient, type TablestoreRow } from "./client";

/** Rows a GetRange page holds at most (the service's own limit). */
const PAGE_ROWS = 5000;

/**
 * Every row of a table in key order, page by page, with the key and `columns` (the first
 * key column alone when none are named: a row without the named attributes is returned
 * only if it has them). Used where Tablestore has no statement for the whole table:
 * counting rows, TRUNCATE, column changes.
 */
export async function* scanTable(client: TablestoreClient, table: string, columns?: string[]): AsyncGenerator<TablestoreRow[]> {
    const desc = await client.describeTable(table);
    const start = desc.primaryKey.map((k): [string, typeof INF_MIN] => [k.name, INF_MIN]);
    const end = desc.primaryKey.map((k): [string, typeof INF_MAX] => [k.name, INF_MAX]);
    yield* client.getRange(table, start, end, PAGE_ROWS, columns ?? [desc.primaryKey[0].name]);
}
