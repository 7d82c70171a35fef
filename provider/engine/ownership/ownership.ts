/**
 * Who runs a task. Placement is pluggable: the local engine owns every task of its home
 * (its home lock keeps a second engine out); replicas of the engine service share tasks
 * through leases in their control database (pg-leases.ts). Whatever the placement, a lease
 * only says who should run a task; the destination fence (FencedCheckpointStore) makes sure
 * only the holder of the newest epoch can write, even when placement is wrong.
 */
export interface TaskLease {
    taskId: string;
    /**
     * The fencing token: grows with every new holder. Absent for local ownership, where the
     * stream claims one past the destination's highest instead.
     */
    epoch?: number;
}

export interface Ownership {
    /** Takes the task when no live holder has it; null when one does. */
    claim(taskId: string): Promise<TaskLease | null>;
    /** Extends every lease this holder has and returns those still held: a task missing from the list is lost and must stop. */
    renew(): Promise<TaskLease[]>;
    /** Gives a task up at once (a clean stop, a hand-off), so another holder may claim it without waiting for expiry. */
    release(lease: TaskLease): Promise<void>;
}

/** The local engine: it owns every task of its home, for as long as it runs. */
export class LocalOwnership implements Ownership {
    private readonly held = new Set<string>();

    async claim(taskId: string): Promise<TaskLease> {
        this.held.add(taskId);
        return { taskId };
    }

    async renew(): Promise<TaskLease[]> {
        return [...this.held].map((taskId) => ({ taskId }));
    }

    async release(lease: TaskLease): Promise<void> {
        this.held.delete(lease.taskId);
    }
}
