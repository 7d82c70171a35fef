import type { Connection } from "mysql2/promise";
import { qualified, quoteIdent } from "../identifiers";

/**
 * The heartbeat table on the source (seeds: DTS writes a heartbeat so latency stays
 * accurate while the source is idle). One row per task, updated every interval with the
 * source-side wall clock in milliseconds; the stream reads those rows back from the binlog.
 */
export class HeartbeatWriter {
    private timer: NodeJS.Timeout | undefined;
    private busy = false;
    /** The last write error, reported once in the task's notes (the stream keeps running without heartbeats). */
    lastError: string | undefined;

    private constructor(private readonly conn: Connection, private readonly table: string, private readonly taskId: string) {}

    static async start(conn: Connection, database: string, table: string, taskId: string, intervalSeconds: number): Promise<HeartbeatWriter> {
        await createHeartbeatTable(conn, database, table);
        const w = new HeartbeatWriter(conn, qualified(database, table), taskId);
        await w.beat();
        w.timer = setInterval(() => void w.beat(), intervalSeconds * 1000);
        return w;
    }

    private async beat(): Promise<void> {
        if (this.busy) return;
        this.busy = true;
        try {
            // The server's clock, not ours: latency compares it with our clock only when both run on
            // synchronised hosts, which the status states as an assumption.
            await this.conn.query(`INSERT INTO ${this.table} (task_id, beat_ms) VALUES (?, ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)) ON DUPLICATE KEY UPDATE beat_ms = VALUES(beat_ms)`, [this.taskId]);
            this.lastError = undefined;
        } catch (err) {
            this.lastError = (err as Error).message;
        } finally {
            this.busy = false;
        }
    }

    stop(): void {
        clearInterval(this.timer);
    }
}

async function createHeartbeatTable(conn: Connection, database: string, table: string): Promise<void> {
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(database)}`);
    await conn.query(`CREATE TABLE IF NOT EXISTS ${qualified(database, table)} (task_id VARCHAR(64) NOT NULL PRIMARY KEY, beat_ms BIGINT NOT NULL) ENGINE=InnoDB`);
}

/** The task's row of its heartbeat table: where openSnapshot commits its position barrier on MySQL. */
export interface BarrierTarget {
    database: string;
    table: string;
    taskId: string;
}

/** The barrier target of a task's heartbeat settings (TaskSpec.heartbeat); undefined when heartbeats are disabled (nothing may be written). */
export function heartbeatBarrier(heartbeat: { enabled: boolean; table: string }, taskId: string): BarrierTarget | undefined {
    if (!heartbeat.enabled) return undefined;
    const [database, table] = heartbeat.table.split(".");
    return { database, table, taskId };
}

const ER_BAD_DB_ERROR = 1049;
const ER_NO_SUCH_TABLE = 1146;

/**
 * Commits one heartbeat of the task (autocommit), creating the table the first time. The
 * new beat_ms always differs from the stored one, so the row really changes and the
 * transaction is written to the binary log: an UPDATE that changes nothing is not logged,
 * and an unlogged transaction proves nothing about binlog order (snapshot-position.ts).
 * The stream reads the row as an ordinary heartbeat.
 */
export async function writeBarrier(conn: Connection, target: BarrierTarget): Promise<void> {
    const sql = `INSERT INTO ${qualified(target.database, target.table)} (task_id, beat_ms) VALUES (?, ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)) ` +
        "ON DUPLICATE KEY UPDATE beat_ms = GREATEST(beat_ms + 1, VALUES(beat_ms))";
    try {
        await conn.query(sql, [target.taskId]);
    } catch (err) {
        const errno = (err as { errno?: number }).errno;
        if (errno !== ER_NO_SUCH_TABLE && errno !== ER_BAD_DB_ERROR) throw err;
        await createHeartbeatTable(conn, target.database, target.table);
        await conn.query(sql, [target.taskId]);
    }
}

/** Removes a released task's heartbeat row. */
export async function removeHeartbeat(conn: Connection, database: string, table: string, taskId: string): Promise<void> {
    await conn.query(`DELETE FROM ${qualified(database, table)} WHERE task_id = ?`, [taskId]).catch(() => undefined);
}
