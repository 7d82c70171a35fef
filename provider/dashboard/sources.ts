import type { IncomingMessage } from "node:http";
import type { EngineHome } from "../engine/home";
import { pingEngine } from "../engine/control/client";
import { EngineError } from "../engine/control/client";
import type { RemoteEngineClient } from "../engine/control/remote-client";
import { type EngineSnapshot, readHistory, readSnapshot, readStatuses, type TaskHistoryView } from "./engine-snapshot";

/**
 * Where the dashboard reads the tasks: the local engine of a home (over its control
 * socket), or the engine service (over its API, with the caller's token). The page and its
 * access rules are the same either way; only the reading differs.
 */
export interface DashboardSource {
    /** What the page and the CLI name as the engine (a home, an endpoint). */
    readonly where: string;
    /** The request decides what it may see where tokens have scopes (the service); the local engine shows all. */
    snapshot(req?: IncomingMessage): Promise<EngineSnapshot>;
    /** /api/tasks: the statuses for scripts, with the HTTP status to answer. */
    tasksAnswer(req?: IncomingMessage): Promise<{ status: number; body: unknown }>;
    history(taskId: string, req?: IncomingMessage): Promise<TaskHistoryView>;
}

export function localSource(home: EngineHome, snapshot: (home: EngineHome) => Promise<EngineSnapshot> = readSnapshot): DashboardSource {
    return {
        where: `the engine of ${home.dir}`,
        snapshot: () => snapshot(home),
        async tasksAnswer() {
            const engine = await pingEngine(home);
            if (!engine) return { status: 503, body: { error: `engine not running (home ${home.dir})` } };
            try {
                const { tasks, unreadable } = await readStatuses(home);
                return { status: 200, body: { engine, home: home.dir, tasks, unreadable } };
            } catch (err) {
                return { status: 503, body: { error: (err as Error).message } };
            }
        },
        history: (taskId) => readHistory(home, taskId),
    };
}

/** The engine service read over its API with one token (the CLI's dashboard, for a service elsewhere). */
export function serviceSource(client: RemoteEngineClient, endpoint: string): DashboardSource {
    const history = async (taskId: string): Promise<TaskHistoryView> => {
        try {
            return { ok: true, history: await client.history(taskId) };
        } catch (err) {
            return { ok: false, why: `history unavailable: ${(err as Error).message}`, code: err instanceof EngineError ? err.code : undefined };
        }
    };
    return {
        where: `the engine service at ${endpoint}`,
        async snapshot() {
            const now = Date.now();
            try {
                const tasks = (await client.list()).filter((t) => t.status !== null);
                const views = await Promise.all(tasks.map(async (t) => ({ status: t.status!, owner: t.owner.holder, history: await history(t.taskId) })));
                return { state: "service", at: now, endpoint, tasks: views, unreadable: [] };
            } catch (err) {
                return { state: "error", at: now, home: endpoint, error: (err as Error).message };
            }
        },
        async tasksAnswer() {
            try {
                return { status: 200, body: { endpoint, tasks: (await client.list()).map((t) => t.status).filter((s) => s !== null), unreadable: [] } };
            } catch (err) {
                return { status: 503, body: { error: (err as Error).message } };
            }
        },
        history,
    };
}
