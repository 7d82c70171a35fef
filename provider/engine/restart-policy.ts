/**
 * When the supervisor starts a dead engine again: after any exit that was not a clean one
 * (a crash, an out-of-memory kill, kill -9), with delays growing over restarts in a row, and
 * never after a requested stop. An engine that cannot start at all is given up on, rather
 * than started forever.
 */

/** Delays before restarts in a row; a run of STABLE_MS starts the sequence over. */
export const RESTART_DELAYS_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
export const STABLE_MS = 60_000;
/** Restarts with no stable run in between after which the supervisor gives up. */
export const MAX_QUICK_RESTARTS = 20;

export type RestartDecision = { restart: true; delayMs: number } | { restart: false; reason: string };

export class RestartPolicy {
    private quick = 0;

    /** What to do after the engine exited with `code`/`signal` after running `ranMs`; `stopping` when a stop was requested. */
    next(code: number | null, signal: NodeJS.Signals | null, ranMs: number, stopping: boolean): RestartDecision {
        const how = signal ?? `code ${code}`;
        if (stopping) return { restart: false, reason: `stop requested; the engine exited (${how})` };
        if (code === 0 && signal === null) return { restart: false, reason: "the engine stopped by request (exit code 0)" };
        if (ranMs >= STABLE_MS) this.quick = 0;
        if (this.quick >= MAX_QUICK_RESTARTS) {
            return { restart: false, reason: `the engine exited (${how}) ${this.quick} times in a row without running ${STABLE_MS / 1000} s; giving up` };
        }
        const delayMs = RESTART_DELAYS_MS[Math.min(this.quick, RESTART_DELAYS_MS.length - 1)];
        this.quick++;
        return { restart: true, delayMs };
    }
}
