import type { Queryable } from "../../service/db";
import type { Ownership, TaskLease } from "./ownership";

/**
 * Task leases in a PostgreSQL control database (research/scale-out.md §4.2): one row per
 * task with its holder, epoch and expiry, the expiry measured on the database's clock so
 * the holders' clocks do not matter. Claiming an expired or free lease bumps the epoch, the
 * fencing token the destination checks. One statement renews all of a holder's leases, so
 * the control database's load does not grow with the number of tasks per engine.
 *
 * Why PostgreSQL leases rather than advisory locks or a job queue: a lock lives with a
 * session (a stopped process keeps it and its healthy connection), has no epoch to fence
 * with, and breaks behind transaction pooling; the job queues that run here free a dead
 * worker's job after hours, not seconds.
 */
export const LEASE_TABLE = "dts_task_lease";
/** The live engines: each says every renewal that it is there, and with what capacity. */
export const ENGINE_TABLE = "dts_engine";

export interface LeaseHolder {
    /** The live holder, or null when the lease is free or expired. */
    holder: string | null;
    epoch: number;
}

export interface LeaseOptions {
    /** This engine's identity, fresh at every start. */
    holder: string;
    /** How long a lease lasts without renewal. */
    ttlSeconds: number;
}

export class PgLeaseOwnership implements Ownership {
    /** When the last renewal that succeeded was sent (monotonic ms): leases are sure until it plus the TTL. */
    private renewedAt: number | undefined;

    constructor(private readonly db: Queryable, private readonly o: LeaseOptions) {}

    static async ensureSchema(db: Queryable): Promise<void> {
        await db.query(`CREATE TABLE IF NOT EXISTS ${LEASE_TABLE} (
            task_id text PRIMARY KEY, holder text, epoch bigint NOT NULL DEFAULT 0, expires_at timestamptz)`);
        await db.query(`CREATE TABLE IF NOT EXISTS ${ENGINE_TABLE} (
            holder text PRIMARY KEY, capacity int NOT NULL, last_seen timestamptz NOT NULL)`);
    }

    /**
     * Says this engine is alive and how many tasks it may hold, and answers how many engines
     * are live (this one included) and the fewest tasks any of them holds: the replicas
     * share the tasks by those. One statement.
     */
    async heartbeat(capacity: number): Promise<{ live: number; fewestHeld: number }> {
        const r = await this.db.query<{ live: string; fewest: string }>(
            `WITH me AS (INSERT INTO ${ENGINE_TABLE} (holder, capacity, last_seen) VALUES ($1, $2, now())
                 ON CONFLICT (holder) DO UPDATE SET capacity = EXCLUDED.capacity, last_seen = now() RETURNING holder),
             engines AS (SELECT holder FROM ${ENGINE_TABLE} WHERE holder <> $1 AND last_seen >= now() - make_interval(secs => $3) UNION ALL SELECT holder FROM me),
             held AS (SELECT e.holder, count(l.task_id) AS n FROM engines e
                 LEFT JOIN ${LEASE_TABLE} l ON l.holder = e.holder AND l.expires_at >= now() GROUP BY e.holder)
             SELECT count(*)::text AS live, coalesce(min(n), 0)::text AS fewest FROM held`,
            [this.o.holder, capacity, this.o.ttlSeconds]);
        return { live: Number(r.rows[0].live), fewestHeld: Number(r.rows[0].fewest) };
    }

    /** This engine is going: the others stop counting it at once (a clean stop, SIGTERM). */
    async leave(): Promise<void> {
        await this.db.query(`DELETE FROM ${ENGINE_TABLE} WHERE holder = $1`, [this.o.holder]);
    }

    /** Up to `limit` tasks no live holder has, in random order (claimers racing spread over different rows). */
    async claimable(limit: number): Promise<string[]> {
        if (limit <= 0) return [];
        const r = await this.db.query<{ task_id: string }>(
            `SELECT task_id FROM ${LEASE_TABLE} WHERE holder IS NULL OR expires_at IS NULL OR expires_at < now() ORDER BY random() LIMIT $1`, [limit]);
        return r.rows.map((x) => x.task_id);
    }

    /** The task's lease row goes with the task. */
    async forget(taskId: string): Promise<void> {
        await this.db.query(`DELETE FROM ${LEASE_TABLE} WHERE task_id = $1`, [taskId]);
    }

    /** Who holds what: the API shows a task's owner. */
    async holders(taskIds?: string[]): Promise<Map<string, LeaseHolder>> {
        const r = await this.db.query<{ task_id: string; holder: string | null; epoch: string; live: boolean }>(
            `SELECT task_id, holder, epoch::text, (holder IS NOT NULL AND expires_at >= now()) AS live FROM ${LEASE_TABLE}` +
            (taskIds ? " WHERE task_id = ANY($1)" : ""), taskIds ? [taskIds] : []);
        return new Map(r.rows.map((x) => [x.task_id, { holder: x.live ? x.holder : null, epoch: Number(x.epoch) }]));
    }

    /** Makes a task known to the leases (a task created through the API). */
    async register(taskId: string): Promise<void> {
        await this.db.query(`INSERT INTO ${LEASE_TABLE} (task_id) VALUES ($1) ON CONFLICT DO NOTHING`, [taskId]);
    }

    async claim(taskId: string): Promise<TaskLease | null> {
        // Atomic: of claimers racing for one row, the first updates it and the others find it held.
        const r = await this.db.query<{ epoch: string }>(
            `UPDATE ${LEASE_TABLE} SET holder = $2, epoch = epoch + 1, expires_at = now() + make_interval(secs => $3)
             WHERE task_id = $1 AND (holder IS NULL OR expires_at IS NULL OR expires_at < now()) RETURNING epoch::text`,
            [taskId, this.o.holder, this.o.ttlSeconds]);
        return r.rows.length ? { taskId, epoch: Number(r.rows[0].epoch) } : null;
    }

    async renew(): Promise<TaskLease[]> {
        const sent = performance.now();
        const r = await this.db.query<{ task_id: string; epoch: string }>(
            `UPDATE ${LEASE_TABLE} SET expires_at = now() + make_interval(secs => $2)
             WHERE holder = $1 AND expires_at >= now() RETURNING task_id, epoch::text`,
            [this.o.holder, this.o.ttlSeconds]);
        this.renewedAt = sent;
        return r.rows.map((x) => ({ taskId: x.task_id, epoch: Number(x.epoch) }));
    }

    async release(lease: TaskLease): Promise<void> {
        await this.db.query(`UPDATE ${LEASE_TABLE} SET holder = NULL, expires_at = NULL WHERE task_id = $1 AND holder = $2 AND epoch = $3`,
            [lease.taskId, this.o.holder, lease.epoch ?? -1]);
    }

    /**
     * Whether this holder may still act on its leases: a renewal that succeeded was sent less
     * than the TTL ago, less a margin for the database's and this process's clocks drifting
     * apart. When false, stop every task at once: others may be claiming them.
     */
    stillHolds(marginMs = 2000): boolean {
        return this.renewedAt !== undefined && performance.now() - this.renewedAt < this.o.ttlSeconds * 1000 - marginMs;
    }
}
