import type { StreamCheckpoint } from "../../engine/change-sink";
import type { CheckpointStore } from "../../engine/checkpoint-store";
import { decodeStreamSchema, encodeStreamSchema } from "../../engine/incremental/stream-schema-format";
import type { PermanentFailure } from "../../engine/retry";
import type { RowWrite, TablestoreClient, TsValue } from "./client";
import { TablestoreError } from "./errors";
import { int64FromSafeInteger, int64ToBigInt, isInt64 } from "./sdk";

/**
 * The stream checkpoint in a table of ours in the instance, one row per task. Tablestore
 * has no transaction that could hold it with the data, so the engine writes it only after
 * every change before it was written (ChangeSink.atomicCheckpoint false); a resumed stream
 * replays from it, and the replayed row operations converge.
 *
 * Row format version 1: key task_id; attributes format (1), binlog_file, binlog_position,
 * gtid, source_time (ms), resume_file, resume_position, and the streamed tables' mappings
 * (stream-schema-format.ts) in stream_schema_0 … _n, split because one attribute holds at
 * most 2 MB. A row of another format version is refused on read, not guessed at.
 */
export const CHECKPOINT_TABLE = "pulumi_dts_stream_checkpoint";
const FORMAT = 1;
/** Characters per stream_schema part: ≤ 2 MB even if every character took 4 bytes. */
const PART_CHARS = 500_000;
/** Parts a row may have: a PutRow/UpdateRow carries at most 4 MB. */
const MAX_PARTS = 7;

export class CheckpointFormatError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(taskId: string, reason: string) {
        super(`the stream checkpoint of task ${taskId} in Tablestore table ${CHECKPOINT_TABLE} cannot be read: ${reason}; ` +
            "it was written by another version of pulumi-dts: run that version, or release the task and migrate again");
        this.name = "CheckpointFormatError";
    }
}

const int = (n: number): TsValue => int64FromSafeInteger(n);

export class TablestoreCheckpointStore implements CheckpointStore {
    /** Parts of stream_schema the row had when last written or read: parts beyond the new count are deleted. */
    private readonly parts = new Map<string, number>();

    constructor(private readonly client: TablestoreClient) {}

    /** Creates the table if missing (every task of the instance shares it). */
    async ensureTable(): Promise<void> {
        if ((await this.client.listTables()).includes(CHECKPOINT_TABLE)) return;
        try {
            await this.client.createTable({ name: CHECKPOINT_TABLE, primaryKey: [{ name: "task_id", type: "STRING" }] });
        } catch (err) {
            // Another task's stream created it first.
            if (!(err instanceof TablestoreError && err.code === "OTSObjectAlreadyExist")) throw err;
        }
    }

    async read(taskId: string): Promise<StreamCheckpoint | null> {
        const row = await this.client.getRow(CHECKPOINT_TABLE, [["task_id", taskId]]);
        if (!row) return null;
        const a = new Map(row.attributes);
        const num = (name: string): number | undefined => {
            const v = a.get(name);
            if (v === undefined) return undefined;
            if (!isInt64(v)) throw new CheckpointFormatError(taskId, `${name} is not an INTEGER`);
            return Number(int64ToBigInt(v));
        };
        const str = (name: string): string | undefined => {
            const v = a.get(name);
            if (v !== undefined && typeof v !== "string") throw new CheckpointFormatError(taskId, `${name} is not a STRING`);
            return v;
        };
        if (num("format") !== FORMAT) throw new CheckpointFormatError(taskId, `format ${num("format") ?? "(none)"} is not ${FORMAT}`);
        const file = str("binlog_file");
        const position = num("binlog_position");
        if (file === undefined || position === undefined) throw new CheckpointFormatError(taskId, "binlog_file or binlog_position is missing");
        const schemaParts: string[] = [];
        for (let k = 0; a.has(`stream_schema_${k}`); k++) schemaParts.push(str(`stream_schema_${k}`)!);
        this.parts.set(taskId, schemaParts.length);
        const gtid = str("gtid");
        const resumeFile = str("resume_file");
        return {
            position: { file, position, ...(gtid ? { gtid } : {}) },
            sourceTime: num("source_time") ?? 0,
            ...(resumeFile !== undefined ? { resumeFrom: { file: resumeFile, position: num("resume_position") ?? 0 } } : {}),
            ...(schemaParts.length ? { tables: decodeStreamSchema(taskId, schemaParts.join("")) } : {}),
        };
    }

    /** One UpdateRow: the stream schema is kept when the checkpoint does not carry it (as the SQL destinations' COALESCE). */
    async write(taskId: string, c: StreamCheckpoint): Promise<void> {
        const put: [string, TsValue][] = [
            ["format", int(FORMAT)], ["binlog_file", c.position.file], ["binlog_position", int(c.position.position)],
            ["source_time", int(Math.round(c.sourceTime))],
        ];
        const deleteAll: string[] = [];
        if (c.position.gtid) put.push(["gtid", c.position.gtid]);
        else deleteAll.push("gtid");
        if (c.resumeFrom) put.push(["resume_file", c.resumeFrom.file], ["resume_position", int(c.resumeFrom.position)]);
        else deleteAll.push("resume_file", "resume_position");
        if (c.tables) {
            const text = encodeStreamSchema(c.tables);
            const count = Math.max(1, Math.ceil(text.length / PART_CHARS));
            if (count > MAX_PARTS) {
                throw new CheckpointFormatError(taskId, `the streamed tables' definitions take ${text.length} characters, more than one row holds (${MAX_PARTS * PART_CHARS}); split the task into tasks of fewer tables`);
            }
            for (let k = 0; k < count; k++) put.push([`stream_schema_${k}`, text.slice(k * PART_CHARS, (k + 1) * PART_CHARS)]);
            for (let k = count; k < (this.parts.get(taskId) ?? MAX_PARTS); k++) deleteAll.push(`stream_schema_${k}`);
            this.parts.set(taskId, count);
        }
        const row: RowWrite = { table: CHECKPOINT_TABLE, kind: "update", primaryKey: [["task_id", taskId]], put, deleteAll, condition: "ignore" };
        await this.client.updateRow(row);
    }

    async forget(taskId: string): Promise<void> {
        if (!(await this.client.listTables()).includes(CHECKPOINT_TABLE)) return;
        await this.client.deleteRow({ table: CHECKPOINT_TABLE, kind: "delete", primaryKey: [["task_id", taskId]], condition: "ignore" });
        this.parts.delete(taskId);
    }
}
