import type { TaskSpec } from "../../sdk/schema/task";
import type { TaskStatus } from "./status";

/*
 * The readiness gates of a task's waitFor: when pulumi up may return. The provider waits on
 * them against the local engine; the engine service answers its long-poll with them.
 */

export type WaitFor = NonNullable<TaskSpec["waitFor"]>;

export function defaultWaitFor(task: TaskSpec): WaitFor {
    return task.migrationTypes.includes("incremental") ? "caught-up" : task.migrationTypes.includes("full") ? "full-completed" : "full-completed";
}

export function reached(s: TaskStatus, waitFor: WaitFor, task: TaskSpec): boolean {
    if (s.phase === "completed") return true;
    if (waitFor === "started") return !["prechecking"].includes(s.phase);
    if (s.phase !== "running") return false;
    // The full load is over once the stream runs; caught-up also wants the latency low.
    if (waitFor === "full-completed") return true;
    // Latency reads 0 before the stream has applied anything (no source time yet), so below the
    // threshold counts only once a transaction has been applied; caughtUp is exact either way.
    const inc = s.incremental;
    return inc !== undefined && inc.position !== undefined &&
        (inc.caughtUp || (inc.lastSourceTime !== undefined && inc.latencySeconds <= task.caughtUpLatencySeconds));
}

