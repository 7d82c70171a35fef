import type { Connection } from "mysql2/promise";
import { escape } from "mysql2";
import type { MysqlConnectionSpec } from "../../../sdk/schema/connection";
import type { SourceRow, TableMapping } from "../../engine/model";
import { type BulkSink, type ChunkWrite, DataRejectedError, type KeyRange } from "../../engine/sink";
import { connectMysql } from "./connect";
import { qualified, quoteIdent } from "./identifiers";

/** Packets stay well under max_allowed_packet (16 MiB by default on MariaDB and MySQL 8). */
const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

/** Errors about the data (bad value, duplicate key, constraint), not the connection. */
const dataErrnos = new Set([1048, 1062, 1264, 1265, 1292, 1366, 1406, 1451, 1452, 1690, 3140, 4025]);
function isDataError(err: unknown): boolean {
    return dataErrnos.has(Number((err as { errno?: number }).errno));
}

function rangePredicate(mapping: TableMapping, range: KeyRange): string {
    const keyCol = mapping.columns.find((c) => c.source.name === mapping.key![0])!;
    const k = quoteIdent(keyCol.target);
    const parts: string[] = [];
    if (range.lo !== null) parts.push(`${k} >= ${BigInt(range.lo).toString()}`);
    if (range.hi !== null) parts.push(`${k} < ${BigInt(range.hi).toString()}`);
    return parts.length ? parts.join(" AND ") : "TRUE";
}

/**
 * Writes chunks as multi-row INSERTs in one transaction per chunk. The session turns off
 * foreign-key checks (as DTS does during full load), keeps explicit zeros in
 * AUTO_INCREMENT columns, allows zero dates, and is strict so a value that does not fit
 * is an error, never a silent truncation.
 */
export class MysqlBulkSink implements BulkSink {
    private constructor(private readonly conn: Connection) {}

    static async open(spec: MysqlConnectionSpec): Promise<MysqlBulkSink> {
        const conn = await connectMysql(spec);
        await conn.query("SET SESSION foreign_key_checks = 0, SESSION time_zone = '+00:00', " +
            "SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'");
        return new MysqlBulkSink(conn);
    }

    async writeChunk(w: ChunkWrite): Promise<number> {
        // Generated columns are computed by the destination; writing them is an error.
        const writable = w.mapping.columns.map((c, i) => ({ c, i })).filter(({ c }) => c.source.generationExpression === null);
        const table = qualified(w.mapping.targetSchema, w.mapping.targetTable);
        const head = `INSERT${w.conflict === "keep-existing" ? " IGNORE" : ""} INTO ${table} (${writable.map(({ c }) => quoteIdent(c.target)).join(", ")}) VALUES `;
        const tuple = (row: SourceRow) => `(${writable.map(({ i }) => escape(row[i])).join(",")})`;
        await this.conn.query("START TRANSACTION");
        try {
            if (w.redo && w.conflict === "error") {
                await this.conn.query(`DELETE FROM ${table}${w.range && w.mapping.key ? ` WHERE ${rangePredicate(w.mapping, w.range)}` : ""}`);
            }
            let rows = 0;
            if (w.isolateRows) {
                for await (const batch of w.batches) {
                    for (const row of batch) {
                        try {
                            await this.conn.query(head + tuple(row));
                            rows++;
                            w.onProgress(1, 0);
                        } catch (err) {
                            if (!isDataError(err)) throw err;
                            w.onRejected(row, (err as Error).message);
                        }
                    }
                }
            } else {
                let sql = "";
                let n = 0;
                const flush = async () => {
                    if (n === 0) return;
                    await this.conn.query(sql);
                    rows += n;
                    w.onProgress(n, sql.length);
                    sql = "";
                    n = 0;
                };
                for await (const batch of w.batches) {
                    for (const row of batch) {
                        const t = tuple(row);
                        sql += n === 0 ? head + t : "," + t;
                        n++;
                        if (sql.length >= MAX_STATEMENT_BYTES) await flush();
                    }
                }
                await flush();
            }
            await this.conn.query("COMMIT");
            return rows;
        } catch (err) {
            await this.conn.query("ROLLBACK").catch(() => undefined);
            if (isDataError(err)) throw new DataRejectedError((err as Error).message, table);
            throw err;
        }
    }

    async close(): Promise<void> {
        await this.conn.end().catch(() => undefined);
    }
}
