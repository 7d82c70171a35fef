import { timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { EngineHome } from "../home";
import type { EngineRequest, EngineResponse, Envelope } from "./protocol";

export type Handler = (request: EngineRequest) => Promise<unknown>;

/** An error a handler throws to answer with a code the client can act on. */
export class EngineRequestError extends Error {
    constructor(message: string, readonly code: string) {
        super(message);
    }
}

function tokenMatches(expected: string, given: unknown): boolean {
    if (typeof given !== "string") return false;
    const a = Buffer.from(expected);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
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
            try {
                const env = JSON.parse(line) as Envelope;
                if (!tokenMatches(token, env.token)) {
                    response = { ok: false, error: "bad control token", code: "unauthorized" };
                } else {
                    response = { ok: true, result: await handle(env.request) };
                }
            } catch (err) {
                const e = err as Error & { code?: string };
                response = { ok: false, error: e.message, code: err instanceof EngineRequestError ? e.code : undefined };
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
