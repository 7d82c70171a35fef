import type { TaskSpec } from "../../../sdk/schema/task";
import type { ChangeBatch, StateChangeSink, StreamCheckpoint } from "../../engine/change-sink";
import type { StateChange } from "../../engine/incremental/change-model";
import type { SourceRow, TableMapping } from "../../engine/model";
import { rowIdentity } from "./batches";
import type { TablestoreCheckpointStore } from "./checkpoint-store";
import type { RowWrite, TablestoreClient, TsValue } from "./client";
import { scanTable } from "./scan";
import { tablestoreColumnMapping } from "./type-map";
import { tablestoreValueConverter } from "./values";
import { TablestoreError } from "./errors";
import { type BatchMode, type RowWriter } from "./row-writer";
import { deleteRow, isRowValueError, planTable, putRow, type TablestoreTablePlan, updateRow } from "./table-plan";
import { parseTablestoreOperation } from "./ddl-translator";

/**
 * Incremental changes as row operations: an upsert is an UpdateRow of the new image
 * (writeMode "update-row": changed columns set, NULL columns deleted) or a PutRow of it
 * ("overwrite-row"), a delete a DeleteRow; a key change arrives from the engine as a delete
 * of the old key and an upsert of the new one. Every operation writes the row's state, so
 * replaying changes the instance holds already (after a crash, before the checkpoint
 * caught up) converges on the source's rows.
 *
 * Rows are spread over `tablestore.bucketCount` buckets by their key and the buckets are
 * written in parallel; one key is always in one bucket, written in source order.
 */
export class TablestoreChangeSink implements StateChangeSink {
    readonly shape = "state";
    readonly atomicCheckpoint = false;
    private readonly plans = new Map<TableMapping, TablestoreTablePlan>();

    constructor(
        private readonly client: TablestoreClient,
        private readonly writer: RowWriter,
        readonly checkpoints: TablestoreCheckpointStore,
        private readonly task: () => TaskSpec,
    ) {}

    private plan(m: TableMapping): TablestoreTablePlan {
        let p = this.plans.get(m);
        if (!p) this.plans.set(m, (p = planTable(m, this.task())));
        return p;
    }

    private mode(): BatchMode {
        return this.task().tablestore?.batchMode ?? "bulk-import";
    }

    async apply(taskId: string, batch: ChangeBatch<StateChange>): Promise<void> {
        // The fence before the batch's writes (TablestoreCheckpointStore.check says what is left open).
        await this.checkpoints.check(taskId);
        const settings = this.task().tablestore;
        const overwrite = settings?.writeMode === "overwrite-row";
        const buckets: { change: StateChange; write: RowWrite }[][] = Array.from({ length: settings?.bucketCount ?? 8 }, () => []);
        const refusals: { mapping: TableMapping; row: SourceRow; reason: string }[] = [];
        for (const change of batch.changes) {
            const p = this.plan(change.mapping);
            let write: RowWrite;
            try {
                write = change.kind === "delete" ? deleteRow(p, change.row) : overwrite || change.kind === "insert" ? putRow(p, change.row) : updateRow(p, change.row);
            } catch (err) {
                if (!isRowValueError(err)) throw err;
                refusals.push({ mapping: change.mapping, row: change.row, reason: err.message });
                continue;
            }
            buckets[bucketOf(rowIdentity(write.table, write.primaryKey), buckets.length)].push({ change, write });
        }
        const mode = this.mode();
        const results = await Promise.allSettled(buckets.filter((b) => b.length).map(async (bucket) => {
            const refused = await this.writer.write(bucket.map((b) => b.write), mode);
            for (const r of refused) refusals.push({ mapping: bucket[r.index].change.mapping, row: bucket[r.index].change.row, reason: r.error.message });
        }));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
        // After every write has settled: under "block" the first refusal stops the task.
        for (const r of refusals) batch.onRejected(r.mapping, r.row, r.reason);
    }

    /** Tablestore has no TRUNCATE: every row of the table is deleted, by key, page by page. */
    async truncate(taskId: string, mapping: TableMapping, _checkpoint: StreamCheckpoint): Promise<void> {
        await this.checkpoints.check(taskId);
        await this.deleteAllRows(this.plan(mapping).table);
    }

    private async deleteAllRows(table: string): Promise<void> {
        for await (const page of scanTable(this.client, table)) {
            const refused = await this.writer.write(page.map((r) => ({ table, kind: "delete", primaryKey: r.primaryKey, condition: "ignore" })), "batch-write-row");
            if (refused.length) throw refused[0].error;
        }
    }

    /** Operations the Tablestore translator rendered (ddl-translator.ts), in order. */
    async applyDdl(taskId: string, statements: string[], _checkpoint: StreamCheckpoint): Promise<void> {
        await this.checkpoints.check(taskId);
        for (const text of statements) {
            const op = parseTablestoreOperation(text);
            if (op.op === "delete-table") {
                try {
                    await this.client.deleteTable(op.table);
                } catch (err) {
                    // Replayed after a crash: the table is gone already.
                    if (!(err instanceof TablestoreError && err.code === "OTSObjectNotExist")) throw err;
                }
            } else if (op.op === "delete-attribute") {
                await this.rewriteAttribute(op.table, op.column, null);
            } else if (op.op === "rename-attribute") {
                await this.rewriteAttribute(op.table, op.from, op.to);
            } else {
                const value = tablestoreValueConverter(tablestoreColumnMapping(op.source, { temporal: op.temporal }))(op.text);
                if (value !== undefined) await this.fillAttribute(op.table, op.column, value);
            }
        }
        this.plans.clear();
    }

    /**
     * A column dropped (`to` null) or renamed on the source: its value is removed from, or
     * moved to the new name in, every row that has it. Replayed after a crash, rows done
     * already no longer have the old column and are passed over.
     */
    private async rewriteAttribute(table: string, column: string, to: string | null): Promise<void> {
        for await (const page of scanTable(this.client, table, [column])) {
            const writes: RowWrite[] = [];
            for (const r of page) {
                const value = r.attributes.find(([n]) => n === column)?.[1];
                if (value === undefined) continue;
                writes.push({ table, kind: "update", primaryKey: r.primaryKey, ...(to !== null ? { put: [[to, value]] } : {}), deleteAll: [column], condition: "ignore" });
            }
            const refused = await this.writer.write(writes, "batch-write-row");
            if (refused.length) throw refused[0].error;
        }
    }

    /**
     * A column added on the source with a value for the existing rows: every row without it
     * gets it. Rows the stream writes later carry their own value; a replay after a crash
     * fills only rows still without one.
     */
    private async fillAttribute(table: string, column: string, value: TsValue): Promise<void> {
        const key = (await this.client.describeTable(table)).primaryKey[0].name;
        for await (const page of scanTable(this.client, table, [key, column])) {
            const writes: RowWrite[] = page.filter((r) => !r.attributes.some(([n]) => n === column))
                .map((r) => ({ table, kind: "update", primaryKey: r.primaryKey, put: [[column, value]], condition: "ignore" }));
            const refused = await this.writer.write(writes, "batch-write-row");
            if (refused.length) throw refused[0].error;
        }
    }

    async close(): Promise<void> {
        // The client belongs to the destination.
    }
}

/** FNV-1a of the row's identity: cheap, and the same key always lands in the same bucket. */
function bucketOf(identity: string, buckets: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < identity.length; i++) h = Math.imul(h ^ identity.charCodeAt(i), 0x01000193);
    return (h >>> 0) % buckets;
}
