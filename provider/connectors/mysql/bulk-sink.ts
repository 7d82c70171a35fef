import type { Connection, RowDataPacket } from "mysql2/promise";
import { escape } from "mysql2";
import type { MysqlConnectionSpec } from "../../../sdk/schema/connection";
import type { SourceColumn, SourceRow, SourceValue, TableMapping } from "../../engine/model";
import { type BulkSink, type ChunkWrite, DataRejectedError, targetRangeCondition } from "../../engine/sink";
import { connectMysql } from "./connect";
import { qualified, quoteIdent } from "./identifiers";

/** Packets stay well under max_allowed_packet (16 MiB by default on MariaDB and MySQL 8). */
const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

const STRICT_MODE = "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION";
/** For the rare row strict mode cannot write as it is on the source (see errorValueColumns). */
const LENIENT_MODE = "NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION";

/**
 * How a value is written. A FLOAT holding -0 (the reader sends '-0') is written as a
 * negative value that underflows to -0 in single precision: MariaDB turns a stored -0.0
 * into +0 (in FLOAT and DOUBLE alike) but keeps the sign of a value rounded to zero when
 * narrowed to FLOAT, which is how a FLOAT -0 comes to exist on the source in the first place.
 */
function literalFor(col: SourceColumn): (v: SourceValue) => string {
    if (col.dataType === "float" && !col.unsigned) return (v) => (v === "-0" ? "-1e-60" : escape(v));
    return (v) => escape(v);
}

/**
 * ENUM columns whose '' can only be the error value (index 0): outside strict mode MySQL
 * stores an invalid member as '', and strict mode refuses to write '' (or 0) back. Rows
 * holding it are written one by one with strict mode off, and the only warning accepted
 * is that very truncation (ER 1265 on that column); anything else undoes the row.
 */
function errorValueColumns(writable: { c: { source: SourceColumn; target: string }; i: number }[]): { i: number; target: string }[] {
    return writable
        .filter(({ c }) => c.source.dataType === "enum" && !(c.source.enumValues ?? []).includes(""))
        .map(({ c, i }) => ({ i, target: c.target }));
}

/** Errors about the data (bad value, duplicate key, constraint), not the connection. */
const dataErrnos = new Set([1048, 1062, 1264, 1265, 1292, 1366, 1406, 1451, 1452, 1690, 3140, 4025]);
function isDataError(err: unknown): boolean {
    return dataErrnos.has(Number((err as { errno?: number }).errno));
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
        await conn.query(`SET SESSION foreign_key_checks = 0, SESSION time_zone = '+00:00', SESSION sql_mode = '${STRICT_MODE}'`);
        return new MysqlBulkSink(conn);
    }

    async writeChunk(w: ChunkWrite): Promise<number> {
        // Generated columns are computed by the destination; writing them is an error.
        const writable = w.mapping.columns.map((c, i) => ({ c, i })).filter(({ c }) => c.source.generationExpression === null);
        const table = qualified(w.mapping.targetSchema, w.mapping.targetTable);
        const head = `INSERT${w.conflict === "keep-existing" ? " IGNORE" : ""} INTO ${table} (${writable.map(({ c }) => quoteIdent(c.target)).join(", ")}) VALUES `;
        const literals = writable.map(({ c }) => literalFor(c.source));
        const tuple = (row: SourceRow) => `(${writable.map(({ i }, j) => literals[j](row[i])).join(",")})`;
        const enumErrorCols = errorValueColumns(writable);
        const lenientFor = (row: SourceRow) => enumErrorCols.filter(({ i }) => row[i] === "").map((x) => x.target);
        await this.conn.query("START TRANSACTION");
        try {
            if (w.redo && w.conflict === "error") {
                await this.conn.query(`DELETE FROM ${table}${w.range && w.mapping.key ? ` WHERE ${targetRangeCondition(w.mapping, w.range, quoteIdent)}` : ""}`);
            }
            let rows = 0;
            if (w.isolateRows) {
                for await (const batch of w.batches) {
                    for (const row of batch) {
                        try {
                            const lenient = lenientFor(row);
                            if (lenient.length) await this.insertLenient(head + tuple(row), lenient, w.conflict === "keep-existing");
                            else await this.conn.query(head + tuple(row));
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
                        const lenient = lenientFor(row);
                        if (lenient.length) {
                            await flush();
                            await this.insertLenient(head + tuple(row), lenient, w.conflict === "keep-existing");
                            rows++;
                            w.onProgress(1, 0);
                            continue;
                        }
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

    /**
     * One row whose ENUM error values strict mode would refuse: written with strict mode
     * off, inside a savepoint, then undone unless every warning is the expected truncation
     * of one of `columns` (or, under INSERT IGNORE, a duplicate key left alone).
     */
    private async insertLenient(sql: string, columns: string[], ignoreDuplicates: boolean): Promise<void> {
        await this.conn.query("SAVEPOINT dts_lenient_row");
        await this.conn.query(`SET SESSION sql_mode = '${LENIENT_MODE}'`);
        try {
            await this.conn.query(sql);
            const [warnings] = await this.conn.query<RowDataPacket[]>("SHOW WARNINGS");
            const unexpected = warnings.find((w) => {
                const code = Number(w.Code);
                if (ignoreDuplicates && code === 1062) return false;
                const column = /column '(.*)' at row \d+$/.exec(String(w.Message))?.[1];
                return !(code === 1265 && column !== undefined && columns.includes(column));
            });
            if (unexpected) {
                await this.conn.query("ROLLBACK TO SAVEPOINT dts_lenient_row");
                throw Object.assign(new Error(String(unexpected.Message)), { errno: Number(unexpected.Code) });
            }
        } finally {
            await this.conn.query(`SET SESSION sql_mode = '${STRICT_MODE}'`);
        }
    }

    async close(): Promise<void> {
        await this.conn.end().catch(() => undefined);
    }
}
