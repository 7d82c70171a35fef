import type { CheckpointStore } from "./checkpoint-store";
import type { SourceChange, StateChange } from "./incremental/change-model";
import type { BinlogPosition, SourceRow, TableMapping } from "./model";

/**
 * Where a task's stream stands: the end of the last source transaction whose changes are
 * in the destination. It is written in the same destination transaction as those
 * changes, so after any crash the destination itself says where to resume.
 */
export interface StreamCheckpoint {
    position: BinlogPosition;
    /** Source commit time of that transaction, ms since the epoch. */
    sourceTime: number;
    /**
     * Where a resumed stream must start reading when it is not `position`: the start of the
     * oldest XA transaction prepared on the source and not yet committed or rolled back.
     * Transactions up to `position` are applied already and skipped on the way.
     */
    resumeFrom?: BinlogPosition;
    /**
     * The mappings of tables whose schema the stream has changed by applied DDL, as of this
     * position. Kept with the checkpoint (written with the DDL where the destination allows),
     * so a resumed stream decodes and writes with the schema in force at its position, not
     * the source's current one. Absent: unchanged since the last checkpoint that had it.
     */
    tables?: TableMapping[];
}

export interface ChangeBatch<C = StateChange> {
    /** Changes of whole source transactions, in source order (state: merged by net effect when the engine could). */
    changes: C[];
    /** The end of the batch's last transaction. */
    checkpoint: StreamCheckpoint;
    /** Apply change by change and hand refused ones to onRejected (after a DataRejectedError). */
    isolateRows: boolean;
    /** Called for each refused change; throws to stop the task (dirty-data policy "block"). */
    onRejected(mapping: TableMapping, row: SourceRow, reason: string): void;
}

/**
 * A destination's change applier; one per running stream, holding one connection. What it
 * writes and how the checkpoint moves with it are capabilities, which the engine reads
 * instead of asking which database it is.
 */
interface ChangeSinkBase {
    /** Where the task's stream checkpoint lives at this destination. */
    readonly checkpoints: CheckpointStore;
    /**
     * true: every call below moves the checkpoint in the destination transaction that makes
     * its changes visible (SQL destinations). false: the destination has no such transaction
     * (Tablestore); the engine writes the checkpoint through `checkpoints` once the call has
     * returned, i.e. after every write before it succeeded, and a replay after a crash
     * rewrites changes the destination may hold already, so the sink's writes must converge
     * when repeated.
     */
    readonly atomicCheckpoint: boolean;
    /** Empties a destination table (TRUNCATE on the source), with the checkpoint, atomically where the destination can. */
    truncate(taskId: string, mapping: TableMapping, checkpoint: StreamCheckpoint): Promise<void>;
    /**
     * Runs DDL its destination's translator rendered, and moves the checkpoint (with
     * `checkpoint.tables`). PostgreSQL does both in one transaction; MySQL commits each DDL
     * statement on its own, so a statement replayed after a crash in between is recognised
     * as already applied.
     */
    applyDdl(taskId: string, statements: string[], checkpoint: StreamCheckpoint): Promise<void>;
    close(): Promise<void>;
}

/** A destination holding the rows' current state: it takes StateChanges, merged by net effect. */
export interface StateChangeSink extends ChangeSinkBase {
    readonly shape: "state";
    apply(taskId: string, batch: ChangeBatch<StateChange>): Promise<void>;
}

/** A destination that logs every change (a change table): it takes SourceChanges in source order. */
export interface LogChangeSink extends ChangeSinkBase {
    readonly shape: "log";
    apply(taskId: string, batch: ChangeBatch<SourceChange>): Promise<void>;
}

export type ChangeSink = StateChangeSink | LogChangeSink;

/** Name of the schema (PostgreSQL) or database (MySQL) holding our checkpoint table at the destination. */
export const METADATA_SCHEMA = "pulumi_dts";
export const CHECKPOINT_TABLE = "stream_checkpoint";
/** The table of fence epochs beside it (FencedCheckpointStore). */
export const FENCE_TABLE = "stream_fence";
