import type { EngineHome } from "../engine/home";
import type { DirtyRecord, TaskStatus } from "../engine/status";
import { type Checkpoint, TaskStore } from "../engine/task-store";
import { DIRTY_TABLE, LOG_TABLE, SAMPLE_TABLE, TASK_TABLE } from "./control-store";
import type { HistorySample } from "../engine/metrics-history";
import type { PermanentFailure } from "../engine/retry";
import type { Queryable } from "./db";
import { LEASE_TABLE } from "../engine/ownership/pg-leases";

/**
 * A task's runtime state as the service's replicas keep it: in the control database, so
 * the replica that takes a task over resumes its full load where the last owner left it,
 * and any replica answers for its status and log. The runner writes as it does to its
 * files in local mode; the mirror gathers the writes and sends them every second in one
 * statement per kind, whatever the number of tasks. A write lost to a crash before it was
 * sent is the same as a local engine killed before it wrote the file: the task resumes
 * from the checkpoint before (chunks are copied again; the stream's checkpoint is in the
 * destination). Status and checkpoint writes are fenced by the lease: a row changes only
 * while this holder holds the task at that epoch, so a paused old owner overwrites nothing.
 */
interface PendingState {
    epoch: number;
    status?: string;
    checkpoint?: string;
}

/** What a status says apart from its clock: an idle task's status is not rewritten every second. */
function substance(s: TaskStatus): string {
    const { updatedAt: _u, ...rest } = s;
    return JSON.stringify(rest);
}

/** An unchanged status is still written this often, so its updatedAt shows the owner is alive. */
const REFRESH_MS = 10_000;

export class StateMirror {
    private readonly pending = new Map<string, PendingState>();
    private readonly sent = new Map<string, { substance: string; checkpoint: string; at: number }>();
    private logs: { task_id: string; at: string; line: string }[] = [];
    private dirty: { task_id: string; at: string; record: DirtyRecord }[] = [];
    private samples: { task_id: string; s: HistorySample }[] = [];
    private flushing: Promise<string[]> | undefined;

    constructor(private readonly db: Queryable, private readonly holder: string) {}

    status(taskId: string, epoch: number, status: TaskStatus): void {
        const last = this.sent.get(taskId);
        const sub = substance(status);
        const p = this.entry(taskId, epoch);
        if (last && last.substance === sub && Date.now() - last.at < REFRESH_MS) {
            delete p.status;
            return;
        }
        p.status = JSON.stringify(status);
    }

    checkpoint(taskId: string, epoch: number, checkpoint: Checkpoint): void {
        const text = JSON.stringify(checkpoint);
        const p = this.entry(taskId, epoch);
        if (this.sent.get(taskId)?.checkpoint === text) delete p.checkpoint;
        else p.checkpoint = text;
    }

    log(taskId: string, line: string): void {
        this.logs.push({ task_id: taskId, at: new Date().toISOString(), line });
    }

    refused(taskId: string, record: DirtyRecord): void {
        this.dirty.push({ task_id: taskId, at: new Date().toISOString(), record });
    }

    /** One sample of the task's charts (metrics-history.ts). */
    sample(taskId: string, s: HistorySample): void {
        this.samples.push({ task_id: taskId, s });
    }

    /** The task left this replica: what it wrote last is sent with the next flush, then forgotten. */
    forget(taskId: string): void {
        this.sent.delete(taskId);
    }

    private entry(taskId: string, epoch: number): PendingState {
        let p = this.pending.get(taskId);
        if (!p || p.epoch !== epoch) {
            p = { epoch };
            this.pending.set(taskId, p);
        }
        return p;
    }

    /**
     * Sends what was written since the last flush. Returns the tasks whose rows did not
     * change because this holder no longer holds them at the epoch written with: lost.
     * Flushes do not overlap: a second caller waits for the one running, then sends its own.
     */
    async flush(): Promise<string[]> {
        while (this.flushing) await this.flushing.catch(() => undefined);
        this.flushing = this.send();
        try {
            return await this.flushing;
        } finally {
            this.flushing = undefined;
        }
    }

    private async send(): Promise<string[]> {
        const states = [...this.pending.entries()].filter(([, p]) => p.status !== undefined || p.checkpoint !== undefined);
        const logs = this.logs;
        const dirty = this.dirty;
        const samples = this.samples;
        this.pending.clear();
        this.logs = [];
        this.dirty = [];
        this.samples = [];
        const lost: string[] = [];
        try {
            if (logs.length) {
                await this.db.query(`INSERT INTO ${LOG_TABLE} (task_id, at, line) SELECT task_id, at, line FROM jsonb_to_recordset($1::jsonb) AS x(task_id text, at timestamptz, line text)`,
                    [JSON.stringify(logs)]);
            }
            if (dirty.length) {
                await this.db.query(`INSERT INTO ${DIRTY_TABLE} (task_id, at, record) SELECT task_id, at, record FROM jsonb_to_recordset($1::jsonb) AS x(task_id text, at timestamptz, record jsonb)`,
                    [JSON.stringify(dirty)]);
            }
            if (samples.length) {
                await this.db.query(`INSERT INTO ${SAMPLE_TABLE} (task_id, t, latency_seconds, changes_per_second, rows_per_second)
                    SELECT task_id, t, latency, changes, rows FROM jsonb_to_recordset($1::jsonb) AS x(task_id text, t bigint, latency double precision, changes double precision, rows double precision)
                    ON CONFLICT DO NOTHING`,
                    [JSON.stringify(samples.map(({ task_id, s }) => ({ task_id, t: s.t, latency: s.latencySeconds, changes: s.changesPerSecond, rows: s.rowsPerSecond })))]);
            }
            if (states.length) {
                const rows = states.map(([taskId, p]) => ({ task_id: taskId, epoch: p.epoch, status: p.status ?? null, checkpoint: p.checkpoint ?? null }));
                const r = await this.db.query<{ task_id: string }>(
                    `UPDATE ${TASK_TABLE} t SET status = coalesce(x.status::jsonb, t.status), checkpoint = coalesce(x.checkpoint::jsonb, t.checkpoint)
                     FROM jsonb_to_recordset($2::jsonb) AS x(task_id text, epoch bigint, status text, checkpoint text), ${LEASE_TABLE} l
                     WHERE t.task_id = x.task_id AND l.task_id = x.task_id AND l.holder = $1 AND l.epoch = x.epoch
                     RETURNING t.task_id`, [this.holder, JSON.stringify(rows)]);
                const written = new Set(r.rows.map((x) => x.task_id));
                const now = Date.now();
                for (const [taskId, p] of states) {
                    if (!written.has(taskId)) {
                        lost.push(taskId);
                        continue;
                    }
                    const was = this.sent.get(taskId);
                    this.sent.set(taskId, {
                        substance: p.status !== undefined ? substance(JSON.parse(p.status) as TaskStatus) : was?.substance ?? "",
                        checkpoint: p.checkpoint ?? was?.checkpoint ?? "",
                        at: p.status !== undefined ? now : was?.at ?? 0,
                    });
                }
            }
        } catch (err) {
            // Not sent: put back what no later write replaced, so the next flush sends it.
            for (const [taskId, p] of states) {
                const later = this.pending.get(taskId);
                if (!later) this.pending.set(taskId, p);
                else if (later.epoch === p.epoch) {
                    later.status ??= p.status;
                    later.checkpoint ??= p.checkpoint;
                }
            }
            this.logs = [...logs, ...this.logs];
            this.samples = [...samples, ...this.samples];
            this.dirty = [...dirty, ...this.dirty];
            throw err;
        }
        return lost;
    }
}

/** The task's state could not be written under this replica's lease: another replica runs the task now. */
export class LeaseLostError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly taskId: string, readonly epoch: number) {
        super(`task ${taskId}: its lease (epoch ${epoch}) is no longer this replica's; another replica runs the task now, this one stops`);
        this.name = "LeaseLostError";
    }
}

/**
 * The TaskStore a replica's runner writes to: state in memory and in the mirror, nothing
 * on the replica's disk (the spec, which holds the secrets, lives sealed in the control
 * database and reaches the runner from there).
 */
export class MirroredTaskStore extends TaskStore {
    constructor(home: EngineHome, taskId: string, private readonly epoch: number, private readonly mirror: StateMirror,
        private readonly initial: { status?: TaskStatus; checkpoint?: Checkpoint }) {
        super(home, taskId);
    }
    override exists(): boolean {
        return true;
    }
    override readSpec(): undefined {
        return undefined;
    }
    override writeSpec(): void {}
    override readStatus(): TaskStatus | undefined {
        return this.initial.status;
    }
    override writeStatus(status: TaskStatus): void {
        this.mirror.status(this.taskId, this.epoch, status);
    }
    override readCheckpoint(): Checkpoint {
        return this.initial.checkpoint ?? { precheckPassed: false, tables: {}, objectsDone: false };
    }
    override writeCheckpoint(c: Checkpoint): void {
        this.mirror.checkpoint(this.taskId, this.epoch, c);
    }
    /** Sends the writes now; a write the lease fence refused means another replica holds the task: this one must not go on. */
    override async persisted(): Promise<void> {
        if ((await this.mirror.flush()).includes(this.taskId)) throw new LeaseLostError(this.taskId, this.epoch);
    }
    override appendDirty(record: DirtyRecord): void {
        this.mirror.refused(this.taskId, record);
    }
    override log(line: string): void {
        this.mirror.log(this.taskId, line);
    }
    override tailLog(): string[] {
        return [];
    }
    override remove(): void {}
}
