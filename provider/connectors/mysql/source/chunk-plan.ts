import type { Connection, RowDataPacket } from "mysql2/promise";
import { qualified, quoteIdent } from "../identifiers";
import type { TableMapping } from "../../../engine/model";
import type { ChunkCheckpoint } from "../../../engine/task-store";

const integerTypes = new Set(["tinyint", "smallint", "mediumint", "int", "integer", "bigint"]);

/** Rows per chunk: small enough to redo cheaply after a crash, large enough to stream efficiently. */
export const ROWS_PER_CHUNK = 50_000;
const MAX_CHUNKS = 256;
/** Row estimates from this size on are used as they are (see planChunks). */
const ESTIMATE_TRUSTED_FROM = 2 * ROWS_PER_CHUNK;

/** Tables split into key ranges: those with a single-column integer key that is migrated. */
export function splittable(mapping: TableMapping): boolean {
    if (!mapping.key || mapping.key.length !== 1) return false;
    const col = mapping.source.columns.find((c) => c.name === mapping.key![0]);
    return !!col && integerTypes.has(col.dataType);
}

/**
 * Plans [lo, hi) ranges over the key from MIN/MAX and the row count. The first and last
 * ranges are open so rows written after the plan was made (outside MIN..MAX) are covered.
 *
 * The count only sets how many ranges there are, so a large table's statistics estimate
 * (information_schema TABLE_ROWS, read by introspection) stands for it: COUNT(*) reads a
 * whole index (about 20 ms per 250,000 rows, before any chunk can start, and minutes on a
 * very large table). A small estimate, which may be stale statistics of a table that has
 * grown, is checked with COUNT(*).
 */
export async function planChunks(conn: Connection, mapping: TableMapping): Promise<ChunkCheckpoint[]> {
    const whole: ChunkCheckpoint[] = [{ lo: null, hi: null, state: "pending", rows: 0 }];
    if (!splittable(mapping)) return whole;
    const k = quoteIdent(mapping.key![0]);
    const estimate = mapping.source.estimatedRows;
    const counted = !(estimate >= ESTIMATE_TRUSTED_FROM);
    const [rows] = await conn.query<RowDataPacket[]>({
        sql: `SELECT CAST(MIN(${k}) AS CHAR) AS lo, CAST(MAX(${k}) AS CHAR) AS hi${counted ? ", COUNT(*) AS n" : ""} ` +
            `FROM ${qualified(mapping.source.database, mapping.source.name)}`,
    });
    const { lo, hi } = rows[0] as { lo: string | null; hi: string | null };
    const count = counted ? Number(rows[0].n) : estimate;
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
