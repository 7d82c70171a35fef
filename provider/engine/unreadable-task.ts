import type { TaskSpec } from "../../sdk/schema/task";
import { EngineRequestError } from "./control/server";
import type { TaskStatus } from "./status";
import { TaskRunner } from "./task-runner";
import { type Checkpoint, type EngineTaskSpec, TaskFileError, TaskStore } from "./task-store";

/** The task's files as they are: written by another engine (or damaged), they are not this engine's to replace. */
class FrozenStore extends TaskStore {
    constructor(store: TaskStore, private readonly status: TaskStatus) {
        super(store.home, store.taskId);
    }
    override readStatus(): TaskStatus {
        return this.status;
    }
    override readCheckpoint(): Checkpoint {
        return { precheckPassed: false, tables: {}, objectsDone: false };
    }
    override writeSpec(): void {}
    override writeStatus(): void {}
    override writeCheckpoint(): void {}
}

/**
 * What TaskRunner is handed when spec.json cannot be read. TaskRunner reads the task's
 * throttle when it is constructed (none: this task never runs); reading anything else is a
 * use of the spec, which throws the reason it cannot be read rather than act on a guess.
 */
function unreadableSpec(taskId: string, problem: TaskFileError): EngineTaskSpec {
    const refuse = (): never => {
        throw problem;
    };
    const task = new Proxy({ throttle: {} } as TaskSpec, { get: (known, key) => (key in known ? known[key as keyof TaskSpec] : refuse()) });
    return {
        taskId,
        task,
        get source(): never {
            return refuse();
        },
        get destination(): never {
            return refuse();
        },
    };
}

/**
 * A task in the engine home that this engine cannot read: a newer pulumi-dts wrote its files,
 * or they are damaged. It is kept rather than dropped, or `pulumi refresh` would report a
 * migration gone whose destination tables and stream checkpoint are still there; it is not
 * run, which would start it over from an empty checkpoint and write over files the engine
 * that wrote them still needs. It shows as failed with the reason until it is released
 * (release removes its files) or an engine that reads its files takes over.
 */
export class UnreadableTask extends TaskRunner {
    constructor(store: TaskStore, readonly problems: readonly [TaskFileError, ...TaskFileError[]], private readonly readableSpec: EngineTaskSpec | undefined, readableStatus: TaskStatus | undefined) {
        const now = new Date().toISOString();
        const status: TaskStatus = {
            ...(readableStatus ?? {
                taskId: store.taskId, tables: [], rowsCopied: 0, rowsPerSecond: 0, dirtyRows: 0, dirtySample: [], notes: [], startedAt: now, updatedAt: now,
            }),
            phase: "failed",
            error: problems.map((p) => p.message).join(" "),
        };
        super(new FrozenStore(store, status), readableSpec ?? unreadableSpec(store.taskId, problems[0]));
    }

    override start(): void {}

    override async update(): Promise<void> {
        throw new EngineRequestError(this.problems.map((p) => p.message).join(" "), "unreadable-task");
    }

    /** Without a readable spec the destination is unknown: its checkpoint row stays (keyed by this task's id, read by no other). */
    override async forgetStream(): Promise<void> {
        if (this.readableSpec) await super.forgetStream();
    }
}

/**
 * The runner for a task the engine finds in its home when it starts: undefined when the task's
 * directory has no spec, an UnreadableTask when any of its files cannot be used.
 */
export function restoreTask(store: TaskStore): TaskRunner | undefined {
    const problems: TaskFileError[] = [];
    const attempt = <T>(read: () => T): T | undefined => {
        try {
            return read();
        } catch (err) {
            if (!(err instanceof TaskFileError)) throw err;
            problems.push(err);
            return undefined;
        }
    };
    const spec = attempt(() => store.readSpec());
    const status = attempt(() => store.readStatus());
    attempt(() => store.readCheckpoint());
    const [first, ...more] = problems;
    if (!first) return spec && new TaskRunner(store, spec);
    for (const p of problems) {
        console.error(`${new Date().toISOString()} ${p.message} The task is kept, not run.`);
        store.log(`not restored: ${p.message}`);
    }
    return new UnreadableTask(store, [first, ...more], spec, status);
}
