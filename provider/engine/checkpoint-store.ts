import type { StreamCheckpoint } from "./change-sink";

/**
 * Where a task's stream checkpoint is kept at its destination. SQL destinations keep it in
 * a table of ours that their change sink writes in the same transaction as the changes;
 * a destination without transactions (Tablestore) keeps it in a metadata table of its own
 * kind, written by the engine only after every change before it has been written. Either
 * way the destination itself says where a resumed stream goes on.
 */
export interface CheckpointStore {
    /** The task's checkpoint; null before the first batch. */
    read(taskId: string): Promise<StreamCheckpoint | null>;
    /** Moves the checkpoint (alone: for transactions that touched no selected table, or after a non-atomic sink's writes). */
    write(taskId: string, checkpoint: StreamCheckpoint): Promise<void>;
}
