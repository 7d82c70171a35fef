import type { MysqlConnectionSpec } from "../../../sdk/schema/connection";
import { qualified, quoteIdent } from "../../connectors/mysql/identifiers";
import { destroySnapshot, isBinaryColumn, openSnapshot, selectExpression, streamRows } from "../../connectors/mysql/snapshot";
import type { SourceRow, TableMapping } from "../model";
import { type KeyRange, rangeConditions } from "../sink";

/** The SELECT that reads one chunk: mapped columns, key range, and the user's row filter. */
export function chunkQuery(mapping: TableMapping, range: KeyRange | null, precision: { float: number; double: number }): string {
    // Aliases c0, c1, ...: streamRows tells binary from text columns by position.
    const cols = mapping.columns.map((c, i) => `${selectExpression(c.source, quoteIdent(c.source.name), precision)} AS c${i}`).join(", ");
    const conds: string[] = [];
    if (range && mapping.key) conds.push(...rangeConditions(quoteIdent(mapping.key[0]), range));
    if (mapping.where) conds.push(`(${mapping.where})`);
    return `SELECT ${cols} FROM ${qualified(mapping.source.database, mapping.source.name)}${conds.length ? ` WHERE ${conds.join(" AND ")}` : ""}`;
}

/**
 * Reads a chunk inside its own consistent snapshot. Each chunk's snapshot is at or after
 * the task's recorded snapshot position, which is what incremental replay needs: changes
 * from that position on are applied idempotently over any of them.
 */
export async function* readChunk(
    spec: MysqlConnectionSpec,
    flavour: string,
    mapping: TableMapping,
    sql: string,
    throttle: (rows: SourceRow[]) => Promise<void>,
): AsyncGenerator<SourceRow[]> {
    const snap = await openSnapshot(spec, flavour);
    try {
        for await (const batch of streamRows(snap.conn, sql, mapping.columns.map((c) => isBinaryColumn(c.source)))) {
            await throttle(batch);
            yield batch;
        }
    } finally {
        destroySnapshot(snap);
    }
}
