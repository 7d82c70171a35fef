import type { SourceChange } from "../../engine/incremental/change-model";
import { formatPosition, type BinlogPosition, type SourceValue } from "../../engine/model";

/**
 * Rows of a table's `_log` (issue 11 §3, seed 004): every source change, in source order,
 * as the data columns (mapping order, values as the engine gives them: the conversion to
 * MaxCompute types is the value module's) followed by the metadata columns
 *
 *     record_id, operation_flag, utc_timestamp, before_flag, after_flag
 *
 * and the values of the chosen `modifytime_*` partition columns (which Tunnel takes in the
 * upload session's partition spec, not in the record).
 *
 * - INSERT: one row, the after image, flags N/Y.
 * - DELETE: one row, the before image, flags Y/N.
 * - UPDATE: two rows sharing record_id, operation_flag and utc_timestamp: the before image
 *   (Y/N), then the after image (N/Y). An UPDATE that changes the key is still one U
 *   change: the merge (merge.ts) sees the old key's last entry has after_flag N and drops it.
 *
 * ## record_id
 *
 * record_id is derived from the source position, not from a counter, so a checkpoint window
 * replayed after a crash gets the same record_ids and a replay can be recognised (and
 * `_log` entries never appear twice under different ids). It is a non-negative 63-bit
 * integer (MaxCompute BIGINT holds −2^63+1 … 2^63−1):
 *
 *     record_id = seq · 2^43  +  end · 2^11  −  (n − 1 − i)
 *
 *     bits 62…43  seq   the binlog file's sequence number (`mysql-bin.000042` → 42), 1 ≤ seq < 2^20
 *     bits 42…0   end · 2^11 − (n − 1 − i): end is the transaction's end position in that file
 *                 (SourceChange.position, < 2^32), n the number of its changes in the batch,
 *                 i the change's index among them (0-based, source order)
 *
 * A transaction's changes thus take the n ids just below end · 2^11, i.e. the interval
 * (end · 2^11 − n, end · 2^11]. The transaction before it in the same file ended at
 * prev < end, and its ids are ≤ prev · 2^11; they are disjoint and increasing provided
 * n ≤ (end − prev) · 2^11: at most 2048 changes per byte of binlog the transaction spans.
 * Every row change takes at least one byte of a rows event (a null bitmap at least), plus
 * the event headers and the commit event, so a MySQL/MariaDB transaction is far below that;
 * the factor 2048 leaves room for compressed binlogs (zlib's ratio is at most ~1032:1) and
 * for an XA COMMIT, whose rows were logged earlier at its PREPARE: its end is the XA COMMIT
 * event's, so up to ~2048 × the bytes since the previous transaction's end. Ids of a later
 * file are larger whatever the positions (seq is the high part). Ids are ≥ 2^43 > 0, so
 * the merge's `0 AS record_id` for `_base` rows is below every log entry.
 *
 * Limits, each refused with an error naming the position rather than wrapped (a wrapped id
 * would sort a change before older ones and silently corrupt the merge):
 * - a file sequence number ≥ 2^20 (1,048,576) or without digits;
 * - a position ≥ 2^32 (4 GiB: MySQL's event header holds 32-bit positions);
 * - more than (end − prev) · 2^11 changes in one transaction, where prev is the end of
 *   the transaction before it (the batch's `after` for the first one);
 * - positions not increasing, or a transaction split across batches (the engine hands
 *   whole transactions, ChangeBatch).
 * The check needs the position the batch continues from (`after`: the checkpoint the
 * previous batch committed, or the stream's start position), which the sink knows.
 *
 * A batch's transactions are its runs of consecutive changes with the same position (the
 * engine gives each change its transaction's end; two transactions never share one).
 * Replaying a window yields the same transactions with the same changes in the same order
 * (the row filter judges the same images), hence the same rows and ids.
 */

export type PartitionUnit = "year" | "month" | "day" | "hour" | "minute";

/** Names of the `_log` metadata and partition columns, under the task's naming rule (names.ts). */
export interface LogColumns {
    recordId: string;
    operationFlag: string;
    utcTimestamp: string;
    beforeFlag: string;
    afterFlag: string;
    /** The chosen partition columns, in partition-level order. */
    partitions: { unit: PartitionUnit; name: string }[];
}

export type OperationFlag = "I" | "U" | "D";
export type Flag = "Y" | "N";

/** A `_log` value: a data column's as the engine gives it, or a metadata value. */
export type LogValue = SourceValue | bigint | number;

export interface LogRow {
    /**
     * The data columns (mapping order), then record_id (bigint), operation_flag ("I"|"U"|"D"),
     * utc_timestamp (number: the binlog time in ms since the epoch, UTC, whole seconds),
     * before_flag and after_flag ("Y"|"N"), in that order (logColumnNames).
     */
    values: LogValue[];
    /** Partition values, one per LogColumns.partitions entry. */
    partition: string[];
    /** The Tunnel partition spec, "modifytime_year=2026,modifytime_month=202612" ("" when unpartitioned). */
    partitionSpec: string;
}

export const SEQ_BITS = 20;
export const POSITION_BITS = 32;
/** Ids per byte of binlog: log2 of the number of changes a transaction may hold per byte it spans. */
export const SUB_BITS = 11;
const SUB = 1n << BigInt(SUB_BITS);
const SEQ_SHIFT = BigInt(POSITION_BITS + SUB_BITS);
const MAX_SEQ = 2 ** SEQ_BITS;
const MAX_POSITION = 2 ** POSITION_BITS;

/** Index of the metadata values within a log row, after the data columns. */
export const META = { recordId: 0, operationFlag: 1, utcTimestamp: 2, beforeFlag: 3, afterFlag: 4 } as const;

/** Column names of a log row's values: data columns, then the metadata columns in row order. */
export function logColumnNames(dataColumns: string[], lc: LogColumns): string[] {
    return [...dataColumns, lc.recordId, lc.operationFlag, lc.utcTimestamp, lc.beforeFlag, lc.afterFlag];
}

export class RecordIdError extends Error {
    override name = "RecordIdError";
}

/** The sequence number of a binlog file name (`mysql-bin.000042` → 42), checked against the layout. */
export function fileSequence(p: BinlogPosition): number {
    const m = /(\d+)$/.exec(p.file);
    if (!m) throw new RecordIdError(`binlog file "${p.file}" has no sequence number: _log record_ids are derived from it`);
    const seq = Number(m[1]);
    if (seq >= MAX_SEQ) {
        throw new RecordIdError(`binlog file ${p.file}: sequence number ${seq} is beyond the ${MAX_SEQ - 1} a _log record_id can hold (${SEQ_BITS} bits); `
            + `start a new task (a full migration into new tables) after RESET MASTER, or widen the layout`);
    }
    return seq;
}

function checkedPosition(p: BinlogPosition): number {
    if (!Number.isSafeInteger(p.position) || p.position < 0 || p.position >= MAX_POSITION) {
        throw new RecordIdError(`binlog position ${formatPosition(p)} is beyond the 2^${POSITION_BITS} a _log record_id can hold`);
    }
    return p.position;
}

/**
 * The record_id of change i (0-based) of the n changes of the transaction ending at `end`,
 * which follows the transaction (or checkpoint) ending at `prev`. See the layout above.
 */
export function recordId(end: BinlogPosition, i: number, n: number, prev: BinlogPosition): bigint {
    const seq = fileSequence(end);
    const pos = checkedPosition(end);
    if (!(Number.isSafeInteger(n) && n >= 1 && Number.isSafeInteger(i) && i >= 0 && i < n)) throw new RangeError(`change ${i} of ${n}`);
    const prevSeq = fileSequence(prev);
    const prevPos = checkedPosition(prev);
    if (prevSeq > seq || (prevSeq === seq && prevPos >= pos)) {
        throw new RecordIdError(`transaction ending at ${formatPosition(end)} does not follow ${formatPosition(prev)}: `
            + `positions must increase (a transaction split across batches, or out of order)`);
    }
    // Room below end·2^11: down to prev·2^11 in the same file, down to 0 in a new file.
    const room = (BigInt(pos) - (prevSeq === seq ? BigInt(prevPos) : 0n)) * SUB;
    if (BigInt(n) > room) {
        throw new RecordIdError(`transaction ending at ${formatPosition(end)} has ${n} changes, more than the ${room} _log record_ids `
            + `its ${prevSeq === seq ? `${pos - prevPos} bytes after ${formatPosition(prev)}` : `${pos} bytes`} leave (${2 ** SUB_BITS} per byte)`);
    }
    return (BigInt(seq) << SEQ_SHIFT) + BigInt(pos) * SUB - BigInt(n - 1 - i);
}

/** The parts of a record_id: file sequence number, and the 43-bit offset end·2^11 − (n − 1 − i). */
export function decodeRecordId(id: bigint): { seq: number; offset: bigint } {
    return { seq: Number(id >> SEQ_SHIFT), offset: id & ((1n << SEQ_SHIFT) - 1n) };
}

/**
 * Partition values: digits only, fixed width, UTC, each holding the whole time up to its
 * unit: year `2026`, month `202612`, day `20261204`, hour `2026120417`, minute
 * `202612041703`. The seed and the research do not say DTS's format. This one is chosen
 * because the task picks any subset of the five columns: a value that holds only its own
 * field (day `04`) would mix every month's 4th in one partition when `modifytime_day` is
 * chosen alone, while these identify the period on their own, sort chronologically as
 * text and as numbers (so `modifytime_day >= '20261201'` prunes partitions), and are valid
 * in a partition spec (no `-`, `:` or spaces to quote).
 */
export const PARTITION_FORMAT: Record<PartitionUnit, string> = {
    year: "yyyy", month: "yyyyMM", day: "yyyyMMdd", hour: "yyyyMMddHH", minute: "yyyyMMddHHmm",
};
const PARTITION_WIDTH: Record<PartitionUnit, number> = { year: 4, month: 6, day: 8, hour: 10, minute: 12 };

/** The value of a `modifytime_<unit>` partition column for a binlog time (ms since the epoch). */
export function partitionValue(unit: PartitionUnit, timeMs: number): string {
    const d = new Date(timeMs);
    const y = d.getUTCFullYear();
    if (!Number.isFinite(timeMs) || y < 0 || y > 9999) throw new RangeError(`binlog time ${timeMs} has no ${unit} partition value`);
    const two = (v: number) => String(v).padStart(2, "0");
    const full = String(y).padStart(4, "0") + two(d.getUTCMonth() + 1) + two(d.getUTCDate()) + two(d.getUTCHours()) + two(d.getUTCMinutes());
    return full.slice(0, PARTITION_WIDTH[unit]);
}

/**
 * The `_log` rows of a batch of changes (whole transactions, source order). `after`: the
 * position the batch continues from (the last committed checkpoint, or the stream's start).
 */
export function logRows(changes: SourceChange[], lc: LogColumns, after: BinlogPosition): LogRow[] {
    const out: LogRow[] = [];
    let prev = after;
    for (let start = 0; start < changes.length;) {
        const end = changes[start].position;
        let stop = start + 1;
        while (stop < changes.length && samePosition(changes[stop].position, end)) stop++;
        const n = stop - start;
        for (let i = 0; i < n; i++) {
            const c = changes[start + i];
            const id = recordId(end, i, n, prev);
            const partition = lc.partitions.map((p) => partitionValue(p.unit, c.commitTime));
            const spec = lc.partitions.map((p, j) => `${p.name}=${partition[j]}`).join(",");
            const row = (image: SourceValue[] | null, flag: OperationFlag, before: Flag, afterFlag: Flag): LogRow => {
                if (!image) throw new Error(`${c.op} change to ${c.mapping.source.name} at ${formatPosition(end)} has no ${before === "Y" ? "before" : "after"} image`);
                // utc_timestamp is BIGINT epoch seconds (names.ts LOG_METADATA_COLUMNS); binlog times have second resolution.
                return { values: [...image, id, flag, Math.floor(c.commitTime / 1000), before, afterFlag], partition, partitionSpec: spec };
            };
            if (c.op === "insert") out.push(row(c.after, "I", "N", "Y"));
            else if (c.op === "delete") out.push(row(c.before, "D", "Y", "N"));
            else out.push(row(c.before, "U", "Y", "N"), row(c.after, "U", "N", "Y"));
        }
        prev = end;
        start = stop;
    }
    return out;
}

function samePosition(a: BinlogPosition, b: BinlogPosition): boolean {
    return a.file === b.file && a.position === b.position;
}

/** Log rows grouped by partition spec (one Tunnel upload session per partition), each group in source order. */
export function byPartition(rows: LogRow[]): Map<string, LogRow[]> {
    const groups = new Map<string, LogRow[]>();
    for (const r of rows) {
        const g = groups.get(r.partitionSpec);
        if (g) g.push(r);
        else groups.set(r.partitionSpec, [r]);
    }
    return groups;
}
