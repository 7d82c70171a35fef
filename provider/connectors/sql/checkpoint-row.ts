import type { StreamCheckpoint } from "../../engine/change-sink";
import { decodeStreamSchema, encodeStreamSchema } from "../../engine/incremental/stream-schema-format";

/*
 * The stream checkpoint as a row of our checkpoint table, the same for every SQL
 * destination: each dialect writes these values with its own upsert, in the transaction
 * that makes the batch's changes visible.
 */

/** Columns written for a checkpoint, in the order of checkpointValues (task_id first; applied_at is the server's clock). */
export const CHECKPOINT_COLUMNS = ["task_id", "binlog_file", "binlog_position", "gtid", "source_time", "stream_schema", "resume_file", "resume_position"] as const;

export function checkpointValues(taskId: string, c: StreamCheckpoint): (string | number | null)[] {
    return [
        taskId, c.position.file, c.position.position, c.position.gtid ?? null, Math.round(c.sourceTime),
        c.tables ? encodeStreamSchema(c.tables) : null, c.resumeFrom?.file ?? null, c.resumeFrom?.position ?? null,
    ];
}

/** A checkpoint row as read back, each value as text or null (the dialects' SELECTs cast to that). */
export interface CheckpointRow {
    binlog_file: string;
    binlog_position: string | number;
    gtid: string | null;
    /** ms since the epoch. */
    source_time: string | number | null;
    stream_schema: string | null;
    resume_file: string | null;
    resume_position: string | number | null;
}

export function checkpointFromRow(taskId: string, r: CheckpointRow): StreamCheckpoint {
    return {
        position: { file: String(r.binlog_file), position: Number(r.binlog_position), ...(r.gtid ? { gtid: String(r.gtid) } : {}) },
        sourceTime: Number(r.source_time ?? 0),
        ...(r.resume_file ? { resumeFrom: { file: String(r.resume_file), position: Number(r.resume_position) } } : {}),
        ...(r.stream_schema ? { tables: decodeStreamSchema(taskId, String(r.stream_schema)) } : {}),
    };
}
