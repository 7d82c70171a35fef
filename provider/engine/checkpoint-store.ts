import type { StreamCheckpoint } from "./change-sink";
import type { PermanentFailure } from "./retry";

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

/**
 * Destinations that fence their stream: a session first claims the task at the destination,
 * and every later write of that session checks it still holds the claim, in the transaction
 * that makes its changes visible. A session started later (another engine that took the task
 * over, a process resumed after it was given up for dead) claims past it, and from then on
 * the earlier one cannot write: the destination itself keeps two writers apart, whatever
 * placement got wrong.
 */
export interface FencedCheckpointStore extends CheckpointStore {
    /**
     * Takes the task's stream at the destination and returns the epoch now held: `epoch`
     * when given (an ownership lease's), else one past the highest seen. Throws FencedError
     * when a newer epoch holds it.
     */
    claim(taskId: string, epoch?: number): Promise<number>;
}

export function isFenced(store: CheckpointStore): store is FencedCheckpointStore {
    return typeof (store as Partial<FencedCheckpointStore>).claim === "function";
}

/** A newer session holds the task's stream at the destination: this one must stop, not retry. */
export class FencedError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly taskId: string, readonly held: number, readonly current: number) {
        super(`task ${taskId}: another session took this task's stream over at the destination (its fence is at epoch ${current}, this session held ${held}); ` +
            "this one stops without writing. If no other engine should run the task, run pulumi up (or npx pulumi-dts task resume) to take it back");
        this.name = "FencedError";
    }
}
