import type { Connection, RowDataPacket } from "mysql2/promise";
import { escape } from "mysql2";
import type { SourceColumn, SourceTable, SourceValue } from "../../../engine/model";
import { quoteIdent } from "../identifiers";

/** Rows per evaluating query: keeps statements far below max_allowed_packet. */
const ROWS_PER_QUERY = 500;

const numeric = /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** A value as a typed SQL expression, so the filter compares it as the column's type would. */
function literal(col: SourceColumn, v: SourceValue): string {
    if (v === null) return "NULL";
    if (Buffer.isBuffer(v)) return `X'${v.toString("hex")}'`;
    switch (col.dataType) {
        case "tinyint": case "smallint": case "mediumint": case "int": case "integer": case "bigint":
        case "decimal": case "numeric": case "float": case "double": case "real":
            if (v === "-0") return "-0e0";
            if (numeric.test(v)) return v;
            break;
        case "year": return numeric.test(v) ? v : escape(v);
        case "date": return `CAST(${escape(v)} AS DATE)`;
        case "datetime": case "timestamp": return `CAST(${escape(v)} AS DATETIME(6))`;
        case "time": return `CAST(${escape(v)} AS TIME(6))`;
    }
    const text = `_utf8mb4${escape(v)}`;
    return col.collation && col.charset ? `CONVERT(${text} USING ${col.charset}) COLLATE ${col.collation}` : text;
}

/**
 * Evaluates a table's row filter (the task's `where`) on row images from the binlog, by
 * the source server itself: the images become a derived table named like the source table,
 * so the filter means exactly what it meant for the full load's SELECT.
 */
export async function filterHolds(conn: Connection, table: SourceTable, where: string, images: SourceValue[][]): Promise<boolean[]> {
    const out: boolean[] = [];
    for (let start = 0; start < images.length; start += ROWS_PER_QUERY) {
        const part = images.slice(start, start + ROWS_PER_QUERY);
        const selects = part.map((img, i) =>
            `SELECT ${i} AS \`__dts_i\`, ${table.columns.map((c, j) => `${literal(c, img[j])} AS ${quoteIdent(c.name)}`).join(", ")}`);
        const sql = `SELECT \`__dts_i\` AS i, (${where}) IS TRUE AS ok FROM (${selects.join(" UNION ALL ")}) AS ${quoteIdent(table.name)}`;
        const [rows] = await conn.query<RowDataPacket[]>(sql);
        const ok = new Array<boolean>(part.length).fill(false);
        for (const r of rows) ok[Number(r.i)] = Number(r.ok) === 1;
        out.push(...ok);
    }
    return out;
}
