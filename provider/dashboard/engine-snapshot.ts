import { callEngine, EngineError, pingEngine } from "../engine/control/client";
import type { PingResult } from "../engine/control/protocol";
import type { EngineHome } from "../engine/home";
import { type HistoryResult, historyResultSchema } from "../engine/metrics-history";
import type { TaskStatus } from "../engine/status";
import { taskStatusSchema } from "../engine/task-store-format";
import { describeIssues } from "../engine/versioned-json";

/**
 * What the dashboard shows, read from the engine over its control socket with the CLI's
 * client. Only statuses and histories are asked for, never specs (they hold the
 * connection secrets); the engine redacts secrets from statuses when it writes them.
 * Statuses are parsed with the status schema, which drops fields it does not list: what
 * reaches the page is exactly TaskStatus, whatever a later engine adds to its answers.
 */

/** `code`: the engine's error code when it refused (not-found: no such task). */
export type TaskHistoryView = { ok: true; history: HistoryResult } | { ok: false; why: string; code?: string };

export interface TaskView {
    status: TaskStatus;
    history: TaskHistoryView;
}

export type EngineSnapshot =
    | { state: "running"; at: number; home: string; engine: PingResult; tasks: TaskView[]; unreadable: string[] }
    /** The engine service: its tasks as its control database has them, read over its API. */
    | { state: "service"; at: number; endpoint: string; tasks: (TaskView & { owner: string | null })[]; unreadable: string[] }
    /** No engine listens on the home's socket: the dashboard never starts one (that would resume tasks). */
    | { state: "down"; at: number; home: string }
    /** An engine answers but cannot be read: another protocol version, a timeout. */
    | { state: "error"; at: number; home: string; error: string };

const CALL = { autostart: false, timeoutMs: 10_000 } as const;

/** The statuses of the engine's tasks; those that do not parse are named in `unreadable`. */
export async function readStatuses(home: EngineHome): Promise<{ tasks: TaskStatus[]; unreadable: string[] }> {
    const raw = await callEngine<unknown>({ method: "list" }, { home, ...CALL });
    if (!Array.isArray(raw)) throw new EngineError("the engine answered list with something other than a list", "bad-response");
    const tasks: TaskStatus[] = [];
    const unreadable: string[] = [];
    raw.forEach((item, i) => {
        const s = taskStatusSchema.safeParse(item);
        if (s.success) tasks.push(s.data);
        else unreadable.push(`task #${i + 1}: ${describeIssues(s.error, "status").text}`);
    });
    return { tasks, unreadable };
}

/** An engine from before the history method refuses it as a bad request naming the methods it knows. */
function historyRefusal(err: unknown): string {
    if (err instanceof EngineError && err.code === "bad-request" && /request\.method/.test(err.message)) {
        return "the running engine predates the history method: restart it (npx pulumi-dts engine stop; the next command starts it again) to get charts";
    }
    return `history unavailable: ${(err as Error).message}`;
}

export async function readHistory(home: EngineHome, taskId: string): Promise<TaskHistoryView> {
    try {
        const raw = await callEngine<unknown>({ method: "history", taskId }, { home, ...CALL });
        const h = historyResultSchema.safeParse(raw);
        return h.success ? { ok: true, history: h.data } : { ok: false, why: `malformed history from the engine (${describeIssues(h.error).text})` };
    } catch (err) {
        return { ok: false, why: historyRefusal(err), code: err instanceof EngineError ? err.code : undefined };
    }
}

export async function readSnapshot(home: EngineHome, now = Date.now()): Promise<EngineSnapshot> {
    const ping = await pingEngine(home);
    if (!ping) return { state: "down", at: now, home: home.dir };
    try {
        const { tasks, unreadable } = await readStatuses(home);
        const views = await Promise.all(tasks.map(async (status) => ({ status, history: await readHistory(home, status.taskId) })));
        return { state: "running", at: now, home: home.dir, engine: ping, tasks: views, unreadable };
    } catch (err) {
        return { state: "error", at: now, home: home.dir, error: (err as Error).message };
    }
}

