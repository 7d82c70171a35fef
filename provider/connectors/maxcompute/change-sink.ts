import type { TaskSpec } from "../../../sdk/schema/task";
import type { ChangeBatch, LogChangeSink, StreamCheckpoint } from "../../engine/change-sink";
import type { SourceChange } from "../../engine/incremental/change-model";
import type { BinlogPosition, TableMapping } from "../../engine/model";
import type { MaxComputeCheckpointStore, PendingUpload } from "./checkpoint-store";
import { MaxComputeNotImplementedError } from "./errors-not-implemented";
import { byPartition, type LogColumns, logRows, type PartitionUnit } from "./log-rows";
import { logLayout, logTableName, type PartitionColumn } from "./names";
import { BlockWriter, RecordSchema, RecordValueError, type TunnelRecord } from "./records";
import type { MaxComputeRest } from "./rest";
import { runSql } from "./sql";
import { columnOrder, planTable, reorder, suffixesOf } from "./table-plan";
import type { TunnelClient } from "./tunnel";
import { UnrepresentableValueError } from "./type-map";

/**
 * Incremental migration into `<table>_log` (seed 004): every change in source order, an
 * UPDATE as its before and after images, with record_id from the source position
 * (log-rows.ts), never merged by key. A batch becomes one upload session per (table,
 * partition), all blocks sent; then the window (checkpoint and sessions) is appended to the
 * checkpoint table, then the sessions are committed: a crash anywhere leaves either nothing
 * visible (written again on replay) or a window the next read commits (checkpoint-store.ts).
 * The checkpoint moves with the batch (atomicCheckpoint: the window is the move).
 */
const BLOCK_ROWS = 10_000;

export class MaxComputeLogSink implements LogChangeSink {
    readonly shape = "log";
    readonly atomicCheckpoint = true;
    /** Where the last batch ended, for record_id's room check (log-rows.ts): set by read, then by each batch. */
    private after: BinlogPosition | undefined;

    constructor(private readonly rest: MaxComputeRest, private readonly tunnel: TunnelClient, private readonly project: string,
        readonly checkpoints: MaxComputeCheckpointStore, private readonly task: () => TaskSpec) {}

    private columns(): LogColumns {
        const mc = this.task().maxcompute;
        const layout = logLayout(mc?.additionalColumnRule ?? "new", (mc?.incrementalPartitions ?? []) as PartitionColumn[]);
        const meta = new Map(layout.metadata.map((m) => [m.base, m.name]));
        return {
            recordId: meta.get("record_id")!, operationFlag: meta.get("operation_flag")!, utcTimestamp: meta.get("utc_timestamp")!,
            beforeFlag: meta.get("before_flag")!, afterFlag: meta.get("after_flag")!,
            partitions: layout.partitions.map((p) => ({ unit: p.base.replace("modifytime_", "") as PartitionUnit, name: p.name })),
        };
    }

    /** Where a batch continues from: the stream's checkpoint when this sink has not applied one yet. */
    private async start(taskId: string, first: SourceChange): Promise<BinlogPosition> {
        if (this.after) return this.after;
        const cp = await this.checkpoints.read(taskId);
        return cp?.position ?? { ...first.position, position: 4 };
    }

    async apply(taskId: string, batch: ChangeBatch<SourceChange>): Promise<void> {
        if (batch.changes.length === 0) {
            await this.checkpoints.write(taskId, batch.checkpoint);
            this.after = batch.checkpoint.position;
            return;
        }
        const lc = this.columns();
        const after = await this.start(taskId, batch.changes[0]);
        const byTable = new Map<TableMapping, SourceChange[]>();
        for (const c of batch.changes) byTable.set(c.mapping, [...(byTable.get(c.mapping) ?? []), c]);
        const uploads: PendingUpload[] = [];
        for (const [mapping, changes] of byTable) {
            const table = logTableName(mapping.targetTable, suffixesOf(this.task()));
            const plan = planTable(mapping, this.task());
            const dataCount = mapping.columns.length;
            for (const [spec, rows] of byPartition(logRows(changes, lc, after))) {
                const target = { table, ...(spec ? { partition: spec } : {}) };
                const session = await this.tunnel.createUpload(target, { createPartition: true });
                const schema = RecordSchema.fromTypeText(session.columns);
                const order = columnOrder(session.columns, [...plan.names, lc.recordId, lc.operationFlag, lc.utcTimestamp, lc.beforeFlag, lc.afterFlag]);
                const blocks: number[] = [];
                let w = new BlockWriter(schema);
                let n = 0;
                const flush = async () => {
                    if (n === 0) return;
                    await this.tunnel.putBlock(target, session.id, blocks.length, w.finish());
                    blocks.push(blocks.length);
                    w = new BlockWriter(schema);
                    n = 0;
                };
                for (const r of rows) {
                    // Data values converted as the full load converts them; metadata as log-rows made them.
                    let record: TunnelRecord;
                    try {
                        const data = plan.toRecord(r.values.slice(0, dataCount) as never) as unknown[];
                        record = reorder([...data, ...r.values.slice(dataCount)], order);
                        w.write(record);
                    } catch (err) {
                        if (!(err instanceof UnrepresentableValueError) && !(err instanceof RecordValueError)) throw err;
                        batch.onRejected(mapping, r.values.slice(0, dataCount) as never, (err as Error).message);
                        continue;
                    }
                    if (++n >= BLOCK_ROWS) await flush();
                }
                await flush();
                uploads.push({ table, partition: spec, session: session.id, blocks });
            }
        }
        await this.checkpoints.writeWindow(taskId, batch.checkpoint, uploads);
        await this.checkpoints.completeWindow(uploads);
        this.after = batch.checkpoint.position;
    }

    async truncate(): Promise<void> {
        // A change table keeps what happened; a TRUNCATE would have to be logged as the deletes it stands for.
        throw new MaxComputeNotImplementedError("TRUNCATE TABLE in incremental migration");
    }

    async applyDdl(taskId: string, statements: string[], checkpoint: StreamCheckpoint): Promise<void> {
        await this.checkpoints.check(taskId);
        for (const s of statements) await runSql(this.rest, this.project, s.endsWith(";") ? s : `${s};`);
        await this.checkpoints.write(taskId, checkpoint);
        this.after = checkpoint.position;
    }

    async close(): Promise<void> {
        // The client and its connections belong to the destination.
    }
}
