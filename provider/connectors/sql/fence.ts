import { FencedError } from "../../engine/checkpoint-store";

/*
 * The destination fence for SQL destinations (FencedCheckpointStore): a table of one epoch
 * per task beside the checkpoint table. A claim raises the task's epoch in its own
 * transaction; every transaction that moves the checkpoint first reads the epoch under a
 * shared lock and goes on only if it is still the one this session claimed. The shared
 * lock makes a takeover's raise wait until such a transaction has committed, so the new
 * owner reads a checkpoint that includes it. The rules live here; each dialect gives its
 * statements.
 */

/** A dialect's fence statements; their parameter is the task id, but for `update`'s. */
export interface FenceStatements {
    /** Creates the task's row at epoch 0 if it has none. */
    ensureRow: string;
    /** The task's epoch, locked for the update that follows (one row, column `epoch`). */
    selectForUpdate: string;
    /** Sets the task's epoch (parameters: epoch, task id). */
    update: string;
    /** The task's epoch under a shared lock. */
    selectShared: string;
}

/** Runs one statement on the sink's connection, inside the transaction it has open. */
export type FenceQuery = (sql: string, params: unknown[]) => Promise<{ epoch: unknown }[]>;

export class SqlFence {
    /** Epochs this sink holds, by task. */
    private readonly held = new Map<string, number>();

    constructor(private readonly s: FenceStatements) {}

    /**
     * In an open transaction: takes the task at `epoch` (an ownership lease's), or one past
     * the highest seen; a lower epoch than the row's is refused. Re-claiming the epoch held
     * is allowed: a new session of the same stream.
     */
    async claim(query: FenceQuery, taskId: string, epoch: number | undefined): Promise<number> {
        await query(this.s.ensureRow, [taskId]);
        const [row] = await query(this.s.selectForUpdate, [taskId]);
        const current = Number(row.epoch);
        const next = epoch ?? current + 1;
        if (next < current) throw new FencedError(taskId, next, current);
        if (next > current) await query(this.s.update, [next, taskId]);
        this.held.set(taskId, next);
        return next;
    }

    /** In the transaction about to commit: this sink still holds the task (no claim made: nothing to check). */
    async check(query: FenceQuery, taskId: string): Promise<void> {
        const epoch = this.held.get(taskId);
        if (epoch === undefined) return;
        const rows = await query(this.s.selectShared, [taskId]);
        const current = rows.length ? Number(rows[0].epoch) : 0;
        if (current !== epoch) throw new FencedError(taskId, epoch, current);
    }
}
