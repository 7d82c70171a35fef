import { z } from "zod";
import type { TaskStatus } from "../status";
import { engineTaskSpecSchema, taskIdSchema } from "../task-store-format";

/**
 * The control protocol between provider hooks / CLI and the engine process: one JSON
 * request and one JSON response per connection over the home's unix socket.
 *
 * The engine is a long-lived detached process, so after an upgrade of pulumi-dts the
 * caller and the engine can be of different versions: envelope and response carry the
 * protocol version, and either side refuses the other's version with a message that says
 * to restart the engine.
 *
 * Version 0 (engine 0.1.0): no version fields.
 * Version 1: `protocol` in envelope and response.
 *
 * A method added within a version (`history`) changes nothing the other methods do, so it
 * bumps nothing: an engine of the same version from before it answers bad-request, which
 * its caller tells as "restart the engine".
 */
export const CONTROL_PROTOCOL = 1;

/**
 * Asking an engine who it is and telling it to stop must work across every version, or a
 * caller could neither tell the user which engine runs nor replace it: these requests keep
 * their version 0 shape for good, and are answered whatever the caller's version.
 */
export const VERSIONLESS_METHODS = ["ping", "shutdown"] as const;

const submittedSpecSchema = engineTaskSpecSchema.extend({ taskId: taskIdSchema.optional() });

/** The engine stores the spec under the request's taskId: a spec naming another task is a caller's mix-up. */
function withSpec<M extends "submit" | "update">(method: M) {
    return z.object({ method: z.literal(method), taskId: taskIdSchema, spec: submittedSpecSchema })
        .refine((r) => r.spec.taskId === undefined || r.spec.taskId === r.taskId, { path: ["spec", "taskId"], message: "must be the request's taskId" });
}

const methods = ["ping", "submit", "update", "get", "list", "release", "resume", "logs", "history", "shutdown"] as const;

export const engineRequestSchema = z.discriminatedUnion("method", [
    z.object({ method: z.literal("ping") }),
    withSpec("submit"),
    withSpec("update"),
    z.object({ method: z.literal("get"), taskId: taskIdSchema }),
    z.object({ method: z.literal("list") }),
    z.object({ method: z.literal("release"), taskId: taskIdSchema }),
    z.object({ method: z.literal("resume"), taskId: taskIdSchema }),
    z.object({ method: z.literal("logs"), taskId: taskIdSchema, lines: z.number().int().positive().optional() }),
    /** The task's latency and throughput samples of the last hours (metrics-history.ts: HistoryResult). */
    z.object({ method: z.literal("history"), taskId: taskIdSchema }),
    z.object({ method: z.literal("shutdown") }),
], { error: (issue) => (issue.code === "invalid_union" ? `must be one of ${methods.map((m) => `"${m}"`).join(", ")}` : undefined) });

/** Requests with effects: a caller makes sure the engine speaks its version before sending one. */
export const MUTATING_METHODS: readonly EngineRequest["method"][] = ["submit", "update", "release", "resume"];

/** A request as the engine handles it: validated, defaults applied. */
export type EngineRequest = z.output<typeof engineRequestSchema>;
/** A request as a caller writes it. */
export type EngineCall = z.input<typeof engineRequestSchema>;

export const envelopeSchema = z.object({
    protocol: z.number().int().nonnegative().optional(),
    token: z.string(),
    request: z.unknown(),
});

export interface Envelope {
    protocol: number;
    token: string;
    request: EngineCall;
}

/** Codes an engine answers with; a caller acts on some (not-found: the task is gone). */
export type EngineErrorCode = "bad-request" | "version-mismatch" | "unauthorized" | "not-found" | "exists" | "unreadable-task";

export const engineResponseSchema = z.discriminatedUnion("ok", [
    z.object({ protocol: z.number().int().nonnegative().optional(), ok: z.literal(true), result: z.unknown() }),
    z.object({ protocol: z.number().int().nonnegative().optional(), ok: z.literal(false), error: z.string(), code: z.string().optional() }),
]);

export type EngineResponse =
    | { protocol: number; ok: true; result: unknown }
    | { protocol: number; ok: false; error: string; code?: EngineErrorCode };

export const pingResultSchema = z.object({
    pid: z.number().int(),
    version: z.string(),
    tasks: z.number().int(),
    /** The supervisor that restarts the engine when it dies (absent: started otherwise, e.g. by systemd or by hand). */
    supervisor: z.number().int().optional(),
});
export type PingResult = z.output<typeof pingResultSchema>;

/** What either side tells the user when the two speak different versions. */
export function versionMismatchMessage(engine: number, caller: number): string {
    const who = (v: number) => (v === 0 ? `version 0 (a pulumi-dts from before protocol versions)` : `version ${v}`);
    return `the running pulumi-dts engine speaks control protocol ${who(engine)} and this pulumi-dts speaks ${who(caller)}: ` +
        `they come from different pulumi-dts versions. Restart the engine with npx pulumi-dts engine stop; ` +
        `the next pulumi up or npx pulumi-dts command starts the engine of the pulumi-dts it runs (tasks resume where they stopped).`;
}

export type { TaskStatus };
