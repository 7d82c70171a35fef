import { callEngine, EngineError } from "../engine/control/client";
import { RemoteEngineClient, remoteSettings } from "../engine/control/remote-client";
import type { WaitFor } from "../engine/readiness";
import type { TaskStatus } from "../engine/status";
import type { EngineTaskSpec } from "../engine/task-store";

/**
 * Where the provider's task hooks send their calls: the local engine (the default), or the
 * engine service when the stack's config names one. Both answer with the same statuses;
 * only the service has generations (its optimistic lock against concurrent `pulumi up`s).
 */
export interface TaskEngine {
    readonly remote: boolean;
    /** Creates the task; returns its generation (undefined: local). */
    submit(spec: EngineTaskSpec): Promise<number | undefined>;
    /** Updates it; `generation` is the one the caller last saw (the service refuses the update if it moved). */
    update(spec: EngineTaskSpec, generation: number | undefined): Promise<number | undefined>;
    /** Throws EngineError code "not-found" when the engine has no such task. */
    get(taskId: string): Promise<{ status: TaskStatus; generation?: number }>;
    /** The status after at most about `maxMs`, sooner when the gate is reached (the service long-polls). */
    poll(taskId: string, until: WaitFor, maxMs: number): Promise<TaskStatus>;
    release(taskId: string): Promise<void>;
}

/** A task the service has not given to a replica yet has no status: it shows as waiting for its precheck. */
function pending(taskId: string): TaskStatus {
    const now = new Date().toISOString();
    return { taskId, phase: "prechecking", tables: [], rowsCopied: 0, rowsPerSecond: 0, dirtyRows: 0, dirtySample: [], notes: [], startedAt: now, updatedAt: now };
}

const local: TaskEngine = {
    remote: false,
    async submit(spec) {
        await callEngine({ method: "submit", taskId: spec.taskId, spec });
        return undefined;
    },
    async update(spec) {
        try {
            await callEngine({ method: "update", taskId: spec.taskId, spec });
        } catch (err) {
            if (!(err instanceof EngineError && err.code === "not-found")) throw err;
            // The engine lost the task (its home was wiped): start it again under the same id.
            await callEngine({ method: "submit", taskId: spec.taskId, spec });
        }
        return undefined;
    },
    async get(taskId) {
        return { status: await callEngine<TaskStatus>({ method: "get", taskId }) };
    },
    async poll(taskId, _until, maxMs) {
        await new Promise((r) => setTimeout(r, Math.min(maxMs, 500)));
        return callEngine<TaskStatus>({ method: "get", taskId });
    },
    async release(taskId) {
        await callEngine({ method: "release", taskId });
    },
};

/** How long a release waits for the service to confirm the task is gone (its owner stopped it and forgot its stream). */
const RELEASE_WAIT_MS = 120_000;

function remote(client: RemoteEngineClient): TaskEngine {
    return {
        remote: true,
        submit: (spec) => client.put(spec),
        async update(spec, generation) {
            try {
                return await client.put(spec, generation ?? (await client.get(spec.taskId)).generation);
            } catch (err) {
                if (!(err instanceof EngineError && err.code === "not-found")) throw err;
                return client.put(spec);
            }
        },
        async get(taskId) {
            const t = await client.get(taskId);
            return { status: t.status ?? pending(taskId), generation: t.generation };
        },
        async poll(taskId, until, maxMs) {
            const t = await client.wait(taskId, until, Math.max(1, Math.min(25, Math.floor(maxMs / 1000))));
            return t.status ?? pending(taskId);
        },
        async release(taskId) {
            try {
                await client.release(taskId);
            } catch (err) {
                if (err instanceof EngineError && err.code === "not-found") return;
                throw err;
            }
            // Gone once its owner has stopped it: a replacement under the same id may then be created.
            const deadline = Date.now() + RELEASE_WAIT_MS;
            while (Date.now() < deadline) {
                try {
                    await client.get(taskId);
                } catch (err) {
                    if (err instanceof EngineError && err.code === "not-found") return;
                    throw err;
                }
                await new Promise((r) => setTimeout(r, 500));
            }
            console.error(`[pulumi-dts] ${taskId}: release requested; the engine service has not finished it within ${RELEASE_WAIT_MS / 1000} s (no live replica?), and will when a replica runs`);
        },
    };
}

let configured: TaskEngine | undefined;

/** The stack's config as the dynamic provider's configure hook passes it. */
export interface ProviderConfig {
    get(key: string): string | undefined;
}

/**
 * Reads pulumi-dts:endpoint, :token (secret), :caCert and, for mTLS, :clientCert and
 * :clientKey (secret). No endpoint: the local engine. The same keys can come from the
 * environment (PULUMI_DTS_ENDPOINT, …) for programs run without stack config.
 */
export function configureTaskEngine(config: ProviderConfig | undefined, env: NodeJS.ProcessEnv = process.env): void {
    const settings = remoteSettings(config, env);
    configured = settings ? remote(new RemoteEngineClient(settings)) : local;
}

/** The configured engine; without a configure call (no stack config), the environment decides. */
export function taskEngine(): TaskEngine {
    if (!configured) configureTaskEngine(undefined);
    return configured!;
}
