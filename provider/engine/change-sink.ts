import type { RowChange } from "./incremental/changes";
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

export interface ChangeBatch {
    /** Changes of whole source transactions, in source order. */
    changes: RowChange[];
    /** The end of the batch's last transaction. */
    checkpoint: StreamCheckpoint;
    /** Apply change by change and hand refused ones to onRejected (after a DataRejectedError). */
    isolateRows: boolean;
    /** Called for each refused change; throws to stop the task (dirty-data policy "block"). */
    onRejected(mapping: TableMapping, row: SourceRow, reason: string): void;
}

/** A destination's change applier; one per running stream, holding one connection. */
export interface ChangeSink {
    /** The task's checkpoint as the destination holds it; null before the first batch. */
    readCheckpoint(taskId: string): Promise<StreamCheckpoint | null>;
    /** Applies the batch and moves the checkpoint, all in one destination transaction. */
    apply(taskId: string, batch: ChangeBatch): Promise<void>;
    /** Moves the checkpoint without changes (transactions that touched no selected table). */
    advance(taskId: string, checkpoint: StreamCheckpoint): Promise<void>;
    /** Empties a destination table (TRUNCATE on the source), with the checkpoint, atomically where the destination can. */
    truncate(taskId: string, mapping: TableMapping, checkpoint: StreamCheckpoint): Promise<void>;
    /**
     * Runs translated DDL and moves the checkpoint (with `checkpoint.tables`). PostgreSQL
     * does both in one transaction; MySQL commits each DDL statement on its own, so a
     * statement replayed after a crash in between is recognised as already applied.
     */
    applyDdl(taskId: string, statements: string[], checkpoint: StreamCheckpoint): Promise<void>;
    close(): Promise<void>;
}

/** Name of the schema (PostgreSQL) or database (MySQL) holding our checkpoint table at the destination. */
export const METADATA_SCHEMA = "pulumi_dts";
export const CHECKPOINT_TABLE = "stream_checkpoint";
