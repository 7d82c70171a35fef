import type { EngineHome } from "../engine/home";
import type { PgLeaseOwnership } from "../engine/ownership/pg-leases";
import { TaskRunner } from "../engine/task-runner";
import { HISTORY_INTERVAL_MS, HISTORY_KEPT_MS, TaskHistory } from "../engine/metrics-history";
import type { ControlStore } from "./control-store";
import { MirroredTaskStore, type StateMirror } from "./task-mirror";

/**
 * One replica of the engine service: it takes its share of the tasks in the control
 * database through leases (pg-leases.ts), runs them, and gives them up when it must.
 *
 * Every tick (1 s) it sends the state its runners wrote (task-mirror.ts), follows spec
 * changes and releases, and balances: it claims free tasks up to its share, ceil(tasks /
 * live replicas) capped at its capacity, and hands off those above it. Every 2 s one
 * statement renews all its leases and one says it is alive. When it cannot renew in time it
 * stops every task at once (self-fence); a lease it finds lost stops that task. None of
 * this is what makes a task single-writer: the epoch each runner holds at the destination
 * is (a replica that got this wrong is refused there).
 */
export interface ReplicaOptions {
    holder: string;
    /** The most tasks this replica runs. */
    capacity: number;
    tickMs?: number;
    renewEveryMs?: number;
    /** A scratch home (nothing of the tasks' is written there). */
    home: EngineHome;
    log?: (line: string) => void;
}

interface HeldTask {
    runner: TaskRunner;
    /** The charts' samples this replica takes while it holds the task. */
    history: TaskHistory;
    epoch: number;
    generation: number;
}

const FINISHED = ["completed", "failed", "precheck-failed", "released"];

export class Replica {
    private readonly held = new Map<string, HeldTask>();
    /** Tasks that could not be taken (their spec does not open, say): not tried again before then. */
    private readonly refusedUntil = new Map<string, number>();
    private live = 1;
    private ticks = 0;
    /** The fewest tasks a live replica holds, as of the last renewal; undefined once acted on. */
    private fewestHeld: number | undefined;
    private lastRenew = -Infinity;
    private timer: NodeJS.Timeout | undefined;
    private ticking: Promise<void> | undefined;
    private stopping = false;
    private started = false;
    private readonly log: (line: string) => void;

    constructor(private readonly store: ControlStore, private readonly leases: PgLeaseOwnership, private readonly mirror: StateMirror,
        private readonly o: ReplicaOptions) {
        this.log = o.log ?? ((line) => console.log(`${new Date().toISOString()} replica ${o.holder}: ${line}`));
    }

    /** Serving: its leases were renewed within the TTL. */
    ready(): boolean {
        return this.started && !this.stopping && this.leases.stillHolds();
    }

    heldTasks(): { taskId: string; epoch: number }[] {
        return [...this.held.entries()].map(([taskId, h]) => ({ taskId, epoch: h.epoch }));
    }

    async start(): Promise<void> {
        await this.renew();
        this.started = true;
        const loop = () => {
            if (this.stopping) return;
            this.ticking = this.tick().catch((err) => this.log(`tick: ${(err as Error).message}`));
            void this.ticking.finally(() => {
                if (!this.stopping) this.timer = setTimeout(loop, this.o.tickMs ?? 1000);
            });
        };
        loop();
    }

    private async renew(): Promise<void> {
        const held = new Set((await this.leases.renew()).map((l) => l.taskId));
        ({ live: this.live, fewestHeld: this.fewestHeld } = await this.leases.heartbeat(this.o.capacity));
        this.lastRenew = performance.now();
        for (const taskId of [...this.held.keys()]) if (!held.has(taskId)) this.lose(taskId, "its lease was lost (another replica holds it now)");
    }

    async tick(): Promise<void> {
        if (performance.now() - this.lastRenew >= (this.o.renewEveryMs ?? 2000)) {
            try {
                await this.renew();
            } catch (err) {
                this.log(`lease renewal failed: ${(err as Error).message}`);
            }
        }
        if (!this.leases.stillHolds()) {
            if (this.held.size) {
                this.log(`could not renew its leases within the TTL: stopping its ${this.held.size} tasks (others may be taking them)`);
                for (const taskId of [...this.held.keys()]) this.lose(taskId, "self-fence");
            }
            return;
        }
        const now = Date.now();
        for (const [taskId, h] of this.held) {
            const sample = h.runner.isRunning() ? h.history.observe(h.runner.status, now) : undefined;
            if (sample) this.mirror.sample(taskId, sample);
        }
        for (const taskId of await this.mirror.flush()) this.lose(taskId, "its state could not be written under its lease");
        if (++this.ticks % 600 === 0) await this.store.pruneHistory();
        const versions = await this.store.versions();
        for (const [taskId, h] of [...this.held.entries()]) {
            const v = versions.get(taskId);
            if (!v || v.desired === "released") await this.releaseTask(taskId);
            else if (v.generation > h.generation) await this.follow(taskId, h);
        }
        const runnable = [...versions.values()].filter((v) => v.desired === "run").length;
        const share = Math.min(this.o.capacity, Math.ceil(runnable / Math.max(1, this.live)));
        if (this.held.size < share) {
            for (const taskId of await this.leases.claimable(share - this.held.size + 2)) {
                if (this.held.size >= share || this.stopping) break;
                if ((this.refusedUntil.get(taskId) ?? 0) > now) continue;
                const lease = await this.leases.claim(taskId);
                if (lease?.epoch !== undefined) await this.adopt(taskId, lease.epoch);
            }
        } else if (this.held.size > share || (this.fewestHeld !== undefined && this.held.size >= this.fewestHeld + 2)) {
            // Hand the excess to replicas with room: the newest replica finds them free on its next tick.
            // Within the share, one task at a time (per renewal) goes to a replica that holds two fewer.
            const excess = [...this.held.keys()].slice(0, Math.max(1, this.held.size - share));
            this.fewestHeld = undefined;
            this.log(`holds ${this.held.size} tasks, its share is ${share} of ${runnable} on ${this.live} replicas: handing ${excess.length} off`);
            await Promise.all(excess.map((taskId) => this.handOff(taskId)));
        }
    }

    private async adopt(taskId: string, epoch: number): Promise<void> {
        try {
            const t = await this.store.get(taskId);
            if (!t) {
                await this.leases.forget(taskId);
                return;
            }
            const runner = new TaskRunner(new MirroredTaskStore(this.o.home, taskId, epoch, this.mirror, { status: t.status, checkpoint: t.checkpoint }), t.spec, { epoch });
            if (t.desired === "released") {
                await this.cleanUp(taskId, runner);
                return;
            }
            this.held.set(taskId, { runner, epoch, generation: t.generation, history: new TaskHistory([], HISTORY_INTERVAL_MS, HISTORY_KEPT_MS) });
            this.mirror.log(taskId, `replica ${this.o.holder} runs the task (lease epoch ${epoch})`);
            this.log(`took ${taskId} at epoch ${epoch}`);
            if (!FINISHED.includes(t.status?.phase ?? "prechecking")) runner.start();
        } catch (err) {
            this.log(`could not take ${taskId}: ${(err as Error).message}`);
            this.refusedUntil.set(taskId, Date.now() + 60_000);
            await this.leases.release({ taskId, epoch }).catch(() => undefined);
        }
    }

    /** A new generation: the runner takes the new spec as the field table says (live, restart). A resume is a new generation with the same spec. */
    private async follow(taskId: string, h: HeldTask): Promise<void> {
        const t = await this.store.get(taskId);
        if (!t) return;
        h.generation = t.generation;
        try {
            await h.runner.update(t.spec);
            if (!h.runner.isRunning() && !FINISHED.includes(h.runner.status.phase)) h.runner.start();
        } catch (err) {
            this.mirror.log(taskId, `update (generation ${t.generation}) refused: ${(err as Error).message}`);
        }
    }

    private async releaseTask(taskId: string): Promise<void> {
        const h = this.held.get(taskId)!;
        this.held.delete(taskId);
        await h.runner.stop();
        await this.cleanUp(taskId, h.runner);
    }

    /** Release: the stream's checkpoint and heartbeat go from the databases, the task's rows from the control database. */
    private async cleanUp(taskId: string, runner: TaskRunner): Promise<void> {
        await runner.forgetStream();
        await this.mirror.flush().catch(() => undefined);
        this.mirror.forget(taskId);
        await this.store.remove(taskId);
        await this.leases.forget(taskId);
        this.log(`released ${taskId}`);
    }

    /** Gives a task to another replica: stopped, its state written, the lease freed at once. */
    private async handOff(taskId: string): Promise<void> {
        const h = this.held.get(taskId);
        if (!h) return;
        await h.runner.stop();
        this.mirror.log(taskId, `replica ${this.o.holder} hands the task off`);
        await this.mirror.flush().catch((err) => this.log(`${taskId}: last state not written: ${(err as Error).message}`));
        this.held.delete(taskId);
        this.mirror.forget(taskId);
        await this.leases.release({ taskId, epoch: h.epoch });
    }

    /** Stops a task this replica no longer holds, without writing for it (its rows are another's now). */
    private lose(taskId: string, why: string): void {
        const h = this.held.get(taskId);
        if (!h) return;
        this.held.delete(taskId);
        this.mirror.forget(taskId);
        this.log(`stops ${taskId}: ${why}`);
        void h.runner.stop().catch(() => undefined);
    }

    /** SIGTERM: every task handed off at once, then out of the live count. */
    async stop(): Promise<void> {
        if (this.stopping) return;
        this.stopping = true;
        clearTimeout(this.timer);
        await this.ticking;
        if (this.leases.stillHolds()) {
            await Promise.all([...this.held.keys()].map((taskId) => this.handOff(taskId).catch((err) => this.log(`hand-off of ${taskId}: ${(err as Error).message}`))));
        } else {
            for (const taskId of [...this.held.keys()]) this.lose(taskId, "stopping without its leases");
        }
        await this.leases.leave().catch(() => undefined);
    }
}
