import type { TaskSpec } from "../../../sdk/schema/task";
import type { SourceRow, TableMapping } from "../../engine/model";
import type { BulkSink, ChunkWrite } from "../../engine/sink";
import type { RowWrite } from "./client";
import { type BatchMode, type RowWriter } from "./row-writer";
import { isRowValueError, planTable, putRow, type TablestoreTablePlan } from "./table-plan";

/**
 * The full load into Tablestore: each source row becomes a PutRow of its whole image
 * (idempotent, so a chunk redone after a crash writes the same rows again and nothing
 * needs removing first), sent through BulkImport or BatchWriteRow as `tablestore.batchMode`
 * says, `tablestore.queueSize` rows at a time.
 *
 * ignore-and-proceed ("keep-existing") must leave rows the destination has: that takes a
 * row condition (EXPECT_NOT_EXIST), which only BatchWriteRow carries, and a row refused by
 * it is one kept, not dirty data.
 */
export class TablestoreBulkSink implements BulkSink {
    private readonly plans = new Map<TableMapping, TablestoreTablePlan>();

    constructor(private readonly writer: RowWriter, private readonly task: () => TaskSpec) {}

    async writeChunk(w: ChunkWrite): Promise<number> {
        let plan = this.plans.get(w.mapping);
        if (!plan) this.plans.set(w.mapping, (plan = planTable(w.mapping, this.task())));
        const p = plan;
        const keep = w.conflict === "keep-existing";
        let written = 0;
        // The rows gathered for the next write, as read: they become RowWrites only when written,
        // so a writer holds RowWrites (and request bodies) for the write in flight alone.
        let pending: SourceRow[] = [];
        const flush = async () => {
            const settings = this.task().tablestore;
            const mode: BatchMode = keep ? "batch-write-row" : settings?.batchMode ?? "bulk-import";
            const batch = pending;
            pending = [];
            let bytes = 0;
            const rows: SourceRow[] = [];
            const writes: RowWrite[] = [];
            for (const row of batch) {
                let write: RowWrite;
                try {
                    write = putRow(p, row);
                } catch (err) {
                    if (!isRowValueError(err)) throw err;
                    w.onRejected(row, err.message);
                    continue;
                }
                if (keep) write.condition = "expect-not-exist";
                rows.push(row);
                writes.push(write);
                for (const v of row) bytes += v === null ? 1 : v.length;
            }
            const refused = writes.length > 0 ? await this.writer.write(writes, mode) : [];
            let kept = 0;
            for (const r of refused) {
                if (keep && r.error.code === "OTSConditionCheckFail") kept++;
                else w.onRejected(rows[r.index], r.error.message);
            }
            const n = writes.length - refused.length + kept;
            written += n;
            w.onProgress(n, bytes);
        };
        // One write in flight while the next rows are read and gathered; writes stay in order,
        // so of two rows with one key (a tablestorePrimaryKey that is not unique) the later wins.
        let inflight: Promise<void> | undefined;
        for await (const rows of w.batches) {
            // queueSize is live: read once per batch of source rows.
            const queueSize = this.task().tablestore?.queueSize ?? 1024;
            for (const row of rows) {
                pending.push(row);
                if (pending.length >= queueSize) {
                    await inflight;
                    inflight = flush();
                    // Handled when awaited; until then a failure must not count as unhandled.
                    inflight.catch(() => undefined);
                }
            }
        }
        await inflight;
        if (pending.length) await flush();
        return written;
    }

    async close(): Promise<void> {
        // The client and its connections belong to the destination.
    }
}
