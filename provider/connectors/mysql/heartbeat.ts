import type { Connection } from "mysql2/promise";
import { qualified, quoteIdent } from "./identifiers";

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
        await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(database)}`);
        await conn.query(`CREATE TABLE IF NOT EXISTS ${qualified(database, table)} (task_id VARCHAR(64) NOT NULL PRIMARY KEY, beat_ms BIGINT NOT NULL) ENGINE=InnoDB`);
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

/** Removes a released task's heartbeat row. */
export async function removeHeartbeat(conn: Connection, database: string, table: string, taskId: string): Promise<void> {
    await conn.query(`DELETE FROM ${qualified(database, table)} WHERE task_id = ?`, [taskId]).catch(() => undefined);
}
