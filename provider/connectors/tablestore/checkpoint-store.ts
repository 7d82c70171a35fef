import type { StreamCheckpoint } from "../../engine/change-sink";
import { FencedError, type FencedCheckpointStore } from "../../engine/checkpoint-store";
import { decodeStreamSchema, encodeStreamSchema } from "../../engine/incremental/stream-schema-format";
import type { PermanentFailure } from "../../engine/retry";
import type { ColumnCondition, RowWrite, TablestoreClient, TsValue } from "./client";
import { TablestoreError } from "./errors";
import { int64FromSafeInteger, int64ToBigInt, isInt64 } from "./sdk";

/**
 * The stream checkpoint in a table of ours in the instance, one row per task. Tablestore
 * has no transaction that could hold it with the data, so the engine writes it only after
 * every change before it was written (ChangeSink.atomicCheckpoint false); a resumed stream
 * replays from it, and the replayed row operations converge.
 *
 * The same row is the stream's destination fence (FencedCheckpointStore, issue 10 §3;
 * research/scale-out.md §4.2): its `epoch` attribute is the epoch of the session that holds
 * the task. A claim raises it by a conditional write (the row's epoch still the one read, or
 * no row at all), so of two claims that race one gets in first and the other decides again
 * on what it then reads; every checkpoint write is an UpdateRow on condition that the epoch
 * is still the one this session claimed, and a refused condition is a FencedError, never a
 * retry. Tablestore cannot make that condition cover the data rows too: see check().
 *
 * Row format version 2: key task_id; attributes format (2), epoch (INTEGER ≥ 0, absent =
 * 0), binlog_file, binlog_position, gtid, source_time (ms), resume_file, resume_position, and
 * the streamed tables' mappings (stream-schema-format.ts) in stream_schema_0 … _n, split
 * because one attribute holds at most 2 MB. A row a claim made before the first checkpoint
 * has format and epoch only (binlog_file and binlog_position absent together: no checkpoint
 * yet). Version 1, written before the fence, is version 2 without epoch, read as epoch 0; the
 * first claim or write makes it version 2, which a version of pulumi-dts that knows only 1
 * refuses rather than writing past the fence. A row of another format version is refused on
 * read, not guessed at.
 */
export const CHECKPOINT_TABLE = "pulumi_dts_stream_checkpoint";
const FORMAT = 2;
/** Format versions this version reads. */
const READABLE_FORMATS: readonly number[] = [1, 2];
/** Characters per stream_schema part: ≤ 2 MB even if every character took 4 bytes. */
const PART_CHARS = 500_000;
/** Parts a row may have: a PutRow/UpdateRow carries at most 4 MB. */
const MAX_PARTS = 7;
/** Claims that lost a race in a row before one gives up (each loss is another claim getting in). */
const CLAIM_ATTEMPTS = 20;

export class CheckpointFormatError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(taskId: string, reason: string) {
        super(`the stream checkpoint of task ${taskId} in Tablestore table ${CHECKPOINT_TABLE} cannot be read: ${reason}; ` +
            "it was written by another version of pulumi-dts: run that version, or release the task and migrate again");
        this.name = "CheckpointFormatError";
    }
}

const int = (n: number): TsValue => int64FromSafeInteger(n);

/** What the fence row says: whether there is a row, and its epoch when it has one. */
interface FenceState {
    exists: boolean;
    /** The epoch attribute; undefined when the row has none (format 1, or no claim yet): epoch 0. */
    epoch: number | undefined;
}

const isConditionFailure = (err: unknown): boolean => err instanceof TablestoreError && err.code === "OTSConditionCheckFail";

/** The row's epoch is still `epoch` (a row without the column fails: passIfMissing false). */
const epochIs = (epoch: number): ColumnCondition => ({ column: "epoch", comparator: "=", value: int(epoch), passIfMissing: false });

export class TablestoreCheckpointStore implements FencedCheckpointStore {
    /** Parts of stream_schema the row had when last written or read: parts beyond the new count are deleted. */
    private readonly parts = new Map<string, number>();
    /** Epochs this store (one change sink's) holds, by task. */
    private readonly held = new Map<string, number>();

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
        const format = checkFormat(taskId, num("format"));
        checkEpoch(taskId, num("epoch"));
        const file = str("binlog_file");
        const position = num("binlog_position");
        // A row a claim made, before the stream's first checkpoint (format 2 only).
        if (format >= 2 && file === undefined && position === undefined) return null;
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

    /**
     * Takes the task's stream (FencedCheckpointStore.claim): at `epoch` when given (an
     * ownership lease's), else one past the row's. A lower epoch than the row's is refused;
     * the one the row has is taken as it is (a new session of the same stream). A raise is
     * written on condition that the row is as it was read: no row (PutRow, EXPECT_NOT_EXIST)
     * or the epoch read (UpdateRow, column condition; a row without epoch, format 1, counts
     * as epoch 0). A refused condition means another claim got in between: read again and
     * decide again, which refuses this one if that claim went higher.
     */
    async claim(taskId: string, epoch?: number): Promise<number> {
        if (epoch !== undefined && !(Number.isSafeInteger(epoch) && epoch >= 0)) throw new RangeError(`a fence epoch is a whole number ≥ 0, got ${epoch}`);
        for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
            const f = await this.fence(taskId);
            const current = f.epoch ?? 0;
            const next = epoch ?? current + 1;
            if (next < current) throw new FencedError(taskId, next, current);
            // The row has this epoch already: taken as it is. A row without one gets it written,
            // so that every later write's condition (epoch = held) has a column to compare.
            if (next === current && f.epoch !== undefined) {
                this.held.set(taskId, next);
                return next;
            }
            const put: [string, TsValue][] = [["format", int(FORMAT)], ["epoch", int(next)]];
            try {
                if (!f.exists) {
                    await this.client.putRow({ table: CHECKPOINT_TABLE, kind: "put", primaryKey: [["task_id", taskId]], put, condition: "expect-not-exist" });
                } else {
                    await this.client.updateRow({
                        table: CHECKPOINT_TABLE, kind: "update", primaryKey: [["task_id", taskId]], put, condition: "expect-exist",
                        // No epoch read: still none, or 0 (passIfMissing true); else still the one read.
                        columnCondition: f.epoch === undefined ? { column: "epoch", comparator: "=", value: int(0), passIfMissing: true } : epochIs(f.epoch),
                    });
                }
                this.held.set(taskId, next);
                return next;
            } catch (err) {
                if (!isConditionFailure(err)) throw err;
            }
        }
        throw new TablestoreError("OTSConditionCheckFail", `task ${taskId}: other claims of its stream kept getting in first; ${CLAIM_ATTEMPTS} claims in a row were refused`,
            { operation: "UpdateRow", table: CHECKPOINT_TABLE, primaryKey: [["task_id", taskId]] }, undefined, undefined);
    }

    /**
     * Before a batch's data writes (TablestoreChangeSink): throws FencedError when another
     * session has claimed the task since this one did (nothing to check before a claim).
     *
     * Tablestore has no transaction over the data rows and the fence row, so this is a
     * check, not a lock: a session that passes it and is taken over before its writes arrive
     * (paused right after it, or its requests held up) still writes that one batch after the
     * new owner's claim. Its checkpoint write is then refused (epoch condition) and it stops,
     * so it writes at most that batch. The writes are upserts and deletes by primary key
     * carrying the source's row images, and the new owner re-applies every change from the
     * checkpoint on: a late batch that lands before the new owner rewrites those keys leaves
     * the new owner's rows in the end; one that lands after leaves its (older) images on the
     * keys it touched until they next change at the source. The data rows carry no source
     * position a condition could compare, and BulkImport takes no conditions, so that last
     * case is not refused here (docs/tablestore.md, "Fencing").
     */
    async check(taskId: string): Promise<void> {
        const held = this.held.get(taskId);
        if (held === undefined) return;
        const f = await this.fence(taskId);
        if (!f.exists || f.epoch !== held) throw new FencedError(taskId, held, f.epoch ?? 0);
    }

    /** The row's format and epoch, and whether it exists (one GetRow of two columns). */
    private async fence(taskId: string): Promise<FenceState> {
        const row = await this.client.getRow(CHECKPOINT_TABLE, [["task_id", taskId]], ["format", "epoch"]);
        if (!row) return { exists: false, epoch: undefined };
        const a = new Map(row.attributes);
        const value = (name: string): number | undefined => {
            const v = a.get(name);
            if (v === undefined) return undefined;
            if (!isInt64(v)) throw new CheckpointFormatError(taskId, `${name} is not an INTEGER`);
            return Number(int64ToBigInt(v));
        };
        checkFormat(taskId, value("format"));
        return { exists: true, epoch: checkEpoch(taskId, value("epoch")) };
    }

    /**
     * One UpdateRow: the stream schema is kept when the checkpoint does not carry it (as the
     * SQL destinations' COALESCE). After a claim, on condition that the row still has the
     * epoch claimed (a row without epoch fails it, and so does a row forgotten meanwhile):
     * refused, it is a FencedError, the session stops without retrying.
     */
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
        const held = this.held.get(taskId);
        const row: RowWrite = held === undefined
            ? { table: CHECKPOINT_TABLE, kind: "update", primaryKey: [["task_id", taskId]], put, deleteAll, condition: "ignore" }
            : { table: CHECKPOINT_TABLE, kind: "update", primaryKey: [["task_id", taskId]], put, deleteAll, condition: "expect-exist", columnCondition: epochIs(held) };
        try {
            await this.client.updateRow(row);
        } catch (err) {
            if (held === undefined || !isConditionFailure(err)) throw err;
            const now = await this.fence(taskId);
            throw new FencedError(taskId, held, now.epoch ?? 0);
        }
    }

    async forget(taskId: string): Promise<void> {
        if (!(await this.client.listTables()).includes(CHECKPOINT_TABLE)) return;
        await this.client.deleteRow({ table: CHECKPOINT_TABLE, kind: "delete", primaryKey: [["task_id", taskId]], condition: "ignore" });
        this.parts.delete(taskId);
        this.held.delete(taskId);
    }
}

function checkFormat(taskId: string, format: number | undefined): number {
    if (format === undefined || !READABLE_FORMATS.includes(format)) {
        throw new CheckpointFormatError(taskId, `format ${format ?? "(none)"} is not one of ${READABLE_FORMATS.join(", ")}`);
    }
    return format;
}

function checkEpoch(taskId: string, epoch: number | undefined): number | undefined {
    if (epoch !== undefined && !(Number.isSafeInteger(epoch) && epoch >= 0)) throw new CheckpointFormatError(taskId, `epoch ${epoch} is not a whole number ≥ 0`);
    return epoch;
}
