import type { Connection, RowDataPacket } from "mysql2/promise";
import { qualified, quoteIdent } from "../../connectors/mysql/identifiers";
import type { TableMapping } from "../model";
import type { ChunkCheckpoint } from "../task-store";

const integerTypes = new Set(["tinyint", "smallint", "mediumint", "int", "integer", "bigint"]);

/** Rows per chunk: small enough to redo cheaply after a crash, large enough to stream efficiently. */
export const ROWS_PER_CHUNK = 50_000;
const MAX_CHUNKS = 256;

/** Tables split into key ranges: those with a single-column integer key that is migrated. */
export function splittable(mapping: TableMapping): boolean {
    if (!mapping.key || mapping.key.length !== 1) return false;
    const col = mapping.source.columns.find((c) => c.name === mapping.key![0]);
    return !!col && integerTypes.has(col.dataType);
}

/**
 * Plans [lo, hi) ranges over the key from MIN/MAX and the row estimate. The first and last
 * ranges are open so rows written after the plan was made (outside MIN..MAX) are covered.
 */
export async function planChunks(conn: Connection, mapping: TableMapping): Promise<ChunkCheckpoint[]> {
    const whole: ChunkCheckpoint[] = [{ lo: null, hi: null, state: "pending", rows: 0 }];
    if (!splittable(mapping)) return whole;
    const k = quoteIdent(mapping.key![0]);
    const [rows] = await conn.query<RowDataPacket[]>({
        sql: `SELECT CAST(MIN(${k}) AS CHAR) AS lo, CAST(MAX(${k}) AS CHAR) AS hi, COUNT(*) AS n FROM ${qualified(mapping.source.database, mapping.source.name)}`,
    });
    const { lo, hi } = rows[0] as { lo: string | null; hi: string | null };
    const count = Number(rows[0].n);
    if (lo === null || hi === null || count <= ROWS_PER_CHUNK) return whole;
    const min = BigInt(lo);
    const max = BigInt(hi);
    const n = BigInt(Math.min(MAX_CHUNKS, Math.ceil(count / ROWS_PER_CHUNK)));
    const span = max - min + 1n;
    const step = span / n + (span % n === 0n ? 0n : 1n);
    const out: ChunkCheckpoint[] = [];
    for (let i = 0n; i < n; i++) {
        const a = min + i * step;
        if (a > max) break;
        out.push({ lo: i === 0n ? null : a.toString(), hi: null, state: "pending", rows: 0 });
    }
    for (let i = 0; i < out.length - 1; i++) out[i].hi = out[i + 1].lo;
    return out;
}
