import type { TaskStatus } from "../status";

/**
 * The control protocol between provider hooks / CLI and the engine process: one JSON
 * request and one JSON response per connection over the home's unix socket.
 */
export type EngineRequest =
    | { method: "ping" }
    | { method: "submit"; taskId: string; spec: unknown }
    | { method: "update"; taskId: string; spec: unknown }
    | { method: "get"; taskId: string }
    | { method: "list" }
    | { method: "release"; taskId: string }
    | { method: "resume"; taskId: string }
    | { method: "logs"; taskId: string; lines?: number }
    | { method: "shutdown" };

export interface PingResult {
    pid: number;
    version: string;
    tasks: number;
}

export type EngineResponse =
    | { ok: true; result: unknown }
    | { ok: false; error: string; code?: string };

export interface Envelope {
    token: string;
    request: EngineRequest;
}

export type { TaskStatus };
