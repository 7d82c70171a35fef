import type { Connection, RowDataPacket } from "mysql2/promise";

/**
 * How our MySQL writers' sessions treat data, shared by the bulk sink (full load) and the
 * change sink (incremental): strict, so a value that does not fit is an error and never a
 * silent truncation; explicit zeros kept in AUTO_INCREMENT columns.
 */
export const STRICT_MODE = "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION";
/** For the rare row strict mode cannot write as the source holds it (ENUM error values). */
export const LENIENT_MODE = "NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION";

/** Errors about the data (bad value, duplicate key, constraint), not the connection. */
const dataErrnos = new Set([1048, 1062, 1264, 1265, 1292, 1366, 1406, 1451, 1452, 1690, 3140, 4025]);
export function isDataError(err: unknown): boolean {
    return dataErrnos.has(Number((err as { errno?: number }).errno));
}

/**
 * One row whose ENUM error values strict mode would refuse: written with strict mode off,
 * inside a savepoint, then undone unless every warning is the expected truncation of one of
 * `columns` (or, when `ignoreDuplicates`, a duplicate key left alone).
 */
export async function insertLenient(conn: Connection, sql: string, columns: string[], ignoreDuplicates = false): Promise<void> {
    await conn.query("SAVEPOINT dts_lenient_row");
    await conn.query(`SET SESSION sql_mode = '${LENIENT_MODE}'`);
    try {
        await conn.query(sql);
        const [warnings] = await conn.query<RowDataPacket[]>("SHOW WARNINGS");
        const unexpected = warnings.find((w) => {
            const code = Number(w.Code);
            if (ignoreDuplicates && code === 1062) return false;
            const column = /column '(.*)' at row \d+$/.exec(String(w.Message))?.[1];
            return !(code === 1265 && column !== undefined && columns.includes(column));
        });
        if (unexpected) {
            await conn.query("ROLLBACK TO SAVEPOINT dts_lenient_row");
            throw Object.assign(new Error(String(unexpected.Message)), { errno: Number(unexpected.Code) });
        }
    } finally {
        await conn.query(`SET SESSION sql_mode = '${STRICT_MODE}'`);
    }
}

/**
 * Session user variable that marks a connection as the engine's own. Triggers migrated to a
 * MySQL destination are guarded by it (trigger-guard.ts): with ROW binlogs the rows a
 * source trigger wrote arrive in the stream already, so the destination's copy of the
 * trigger must stay quiet for the engine and fire for every other session (the
 * application after cutover) without anyone dropping or editing it.
 */
export const ENGINE_SESSION_VARIABLE = "pulumi_dts_apply";

/** Run once on every writer session the engine opens at a MySQL destination. */
export const MARK_ENGINE_SESSION = `SET @${ENGINE_SESSION_VARIABLE} = 1`;

export async function markEngineSession(conn: Connection): Promise<void> {
    await conn.query(MARK_ENGINE_SESSION);
}
