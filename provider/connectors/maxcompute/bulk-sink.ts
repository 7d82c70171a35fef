import type { SourceRow, TableMapping } from "../../engine/model";
import type { BulkSink, ChunkWrite } from "../../engine/sink";
import { BlockWriter, RecordSchema, RecordValueError, type TunnelRecord } from "./records";
import type { TunnelClient } from "./tunnel";
import { columnOrder, reorder } from "./table-plan";

/**
 * The full load into `<table>_base`, by Tunnel upload: one upload session per chunk,
 * committed once. MaxCompute has no key, so a chunk redone after a crash must not write its
 * rows a second time: before committing, the sink records the session (and its row count)
 * in the task's checkpoint and waits until that is durable; a redo reloads the recorded
 * session, and if it was committed the chunk is done with the rows it already wrote (the
 * source is not read again); otherwise that session's blocks were never visible, and the
 * chunk is written afresh in a new session.
 */
export interface MaxComputeTablePlan {
    /** The `_base` table. */
    table: string;
    /** The destination names of the values toRecord gives, in its order. */
    names: readonly string[];
    /** A source row as the record the table's columns take; throws a row-value error for a value the table cannot hold. */
    toRecord(row: SourceRow): TunnelRecord;
    /** Whether an error thrown by toRecord concerns the row (dirty data) rather than the task. */
    isRowValueError(err: unknown): err is Error;
}

/** Rows per block: blocks stay far below the service's limits, and a retried block is small. */
const BLOCK_ROWS = 10_000;

interface RecordedUpload {
    version: 1;
    session: string;
    rows: number;
}

function parseRecorded(text: string | undefined): RecordedUpload | undefined {
    if (text === undefined) return undefined;
    try {
        const v = JSON.parse(text) as Partial<RecordedUpload>;
        if (v.version === 1 && typeof v.session === "string" && typeof v.rows === "number") return v as RecordedUpload;
    } catch {
        /* not ours: treated as nothing recorded */
    }
    return undefined;
}

export class MaxComputeBulkSink implements BulkSink {
    constructor(private readonly tunnel: TunnelClient, private readonly planFor: (m: TableMapping) => MaxComputeTablePlan) {}

    async writeChunk(w: ChunkWrite): Promise<number> {
        const plan = this.planFor(w.mapping);
        const target = { table: plan.table };
        const recorded = w.redo ? parseRecorded(w.sinkState) : undefined;
        if (recorded) {
            const earlier = await this.tunnel.reloadUpload(target, recorded.session).catch(() => undefined);
            // CLOSED: the commit happened (its answer may have been lost); the rows are there once.
            if (earlier?.status === "CLOSED") {
                w.onProgress(recorded.rows, 0);
                return recorded.rows;
            }
        }
        const session = await this.tunnel.createUpload(target);
        // Encoded against the session's columns: a session keeps the schema it was opened with.
        const schema = RecordSchema.fromTypeText(session.columns);
        const order = columnOrder(session.columns, plan.names);
        const sent: number[] = [];
        let block = new BlockWriter(schema);
        let inBlock = 0;
        let rows = 0;
        let bytes = 0;
        const flush = async () => {
            if (inBlock === 0) return;
            const id = sent.length;
            await this.tunnel.putBlock(target, session.id, id, block.finish());
            sent.push(id);
            w.onProgress(inBlock, bytes);
            block = new BlockWriter(schema);
            inBlock = 0;
            bytes = 0;
        };
        for await (const batch of w.batches) {
            for (const row of batch) {
                try {
                    // The codec refuses a value its type cannot carry (BIGINT −2^63) and leaves the block as it was.
                    block.write(reorder(plan.toRecord(row), order));
                } catch (err) {
                    if (!plan.isRowValueError(err) && !(err instanceof RecordValueError)) throw err;
                    w.onRejected(row, (err as Error).message);
                    continue;
                }
                inBlock++;
                rows++;
                for (const v of row) bytes += v === null ? 1 : v.length;
                if (inBlock >= BLOCK_ROWS) await flush();
            }
        }
        await flush();
        // Recorded (durably) before the commit: whatever happens from here, a redo can tell.
        await w.recordSinkState(JSON.stringify({ version: 1, session: session.id, rows } satisfies RecordedUpload));
        await this.tunnel.commit(target, session.id, sent);
        return rows;
    }

    async close(): Promise<void> {
        // The REST client and its connections belong to the destination.
    }
}
