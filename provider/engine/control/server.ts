import { timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { EngineHome } from "../home";
import { describeIssues } from "../versioned-json";
import {
    CONTROL_PROTOCOL, type EngineErrorCode, type EngineRequest, engineRequestSchema, type EngineResponse, envelopeSchema,
    versionMismatchMessage, VERSIONLESS_METHODS,
} from "./protocol";

export type Handler = (request: EngineRequest) => Promise<unknown>;

/** An error a handler throws to answer with a code the client can act on. */
export class EngineRequestError extends Error {
    constructor(message: string, readonly code: EngineErrorCode) {
        super(message);
    }
}

function tokenMatches(expected: string, given: string): boolean {
    const a = Buffer.from(expected);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
}

function isVersionless(request: unknown): boolean {
    const method = (request as { method?: unknown } | null)?.method;
    return (VERSIONLESS_METHODS as readonly unknown[]).includes(method);
}

function refuse(error: string, code: EngineErrorCode): EngineResponse {
    return { protocol: CONTROL_PROTOCOL, ok: false, error, code };
}

/**
 * Checks one line from a caller: the envelope, the token, the caller's protocol version and
 * the request. Returns the request to handle, or the answer that refuses it.
 */
export function admit(line: string, token: string): { request: EngineRequest } | { refused: EngineResponse } {
    let raw: unknown;
    try {
        raw = JSON.parse(line);
    } catch {
        return { refused: refuse("bad request: not JSON", "bad-request") };
    }
    const env = envelopeSchema.safeParse(raw);
    if (!env.success) return { refused: refuse(`bad request: ${describeIssues(env.error, "envelope").text}`, "bad-request") };
    if (!tokenMatches(token, env.data.token)) return { refused: refuse("bad control token", "unauthorized") };
    const callerProtocol = env.data.protocol ?? 0;
    if (callerProtocol !== CONTROL_PROTOCOL && !isVersionless(env.data.request)) {
        return { refused: refuse(versionMismatchMessage(CONTROL_PROTOCOL, callerProtocol), "version-mismatch") };
    }
    const req = engineRequestSchema.safeParse(env.data.request);
    if (!req.success) return { refused: refuse(`bad request: ${describeIssues(req.error, "request").text}`, "bad-request") };
    return { request: req.data };
}

/** Serves the control protocol on the home's socket; only holders of the token are answered. */
export async function serveControl(home: EngineHome, token: string, handle: Handler): Promise<Server> {
    if (existsSync(home.socket)) unlinkSync(home.socket);
    const server = createServer((sock) => {
        let buf = "";
        sock.setEncoding("utf8");
        sock.on("error", () => undefined);
        sock.on("data", async (chunk: string) => {
            buf += chunk;
            const nl = buf.indexOf("\n");
            if (nl < 0) return;
            const line = buf.slice(0, nl);
            buf = "";
            let response: EngineResponse;
            const admitted = admit(line, token);
            if ("refused" in admitted) {
                response = admitted.refused;
            } else {
                try {
                    response = { protocol: CONTROL_PROTOCOL, ok: true, result: await handle(admitted.request) };
                } catch (err) {
                    response = { protocol: CONTROL_PROTOCOL, ok: false, error: (err as Error).message, code: err instanceof EngineRequestError ? err.code : undefined };
                }
            }
            sock.end(JSON.stringify(response) + "\n");
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(home.socket, () => resolve());
    });
    chmodSync(home.socket, 0o600);
    return server;
}
