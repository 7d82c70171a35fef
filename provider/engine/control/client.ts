import { spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { controlToken, type EngineHome, engineHome, ensureHome } from "../home";
import type { EngineRequest, EngineResponse, PingResult } from "./protocol";

/** The engine answered with an error. */
export class EngineError extends Error {
    constructor(message: string, readonly code?: string) {
        super(message);
        this.name = "EngineError";
    }
}

/** The engine process is not running (no socket, or nobody listening). */
export class EngineNotRunningError extends Error {}

function send(home: EngineHome, request: EngineRequest, timeoutMs: number): Promise<unknown> {
    const token = controlToken(home);
    return new Promise((resolve, reject) => {
        const sock = connect(home.socket);
        let buf = "";
        const timer = setTimeout(() => {
            sock.destroy();
            reject(new EngineError(`the engine did not answer "${request.method}" within ${timeoutMs / 1000}s`, "timeout"));
        }, timeoutMs);
        sock.setEncoding("utf8");
        sock.on("connect", () => sock.write(JSON.stringify({ token, request }) + "\n"));
        sock.on("data", (d: string) => (buf += d));
        sock.on("error", (err: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            // ECONNRESET: an engine that was just killed can still accept and then drop the connection.
            if (err.code === "ENOENT" || err.code === "ECONNREFUSED" || err.code === "ECONNRESET") reject(new EngineNotRunningError(`no engine listening at ${home.socket}`));
            else reject(err);
        });
        sock.on("end", () => {
            clearTimeout(timer);
            try {
                const res = JSON.parse(buf) as EngineResponse;
                if (res.ok) resolve(res.result);
                else reject(new EngineError(res.error, res.code));
            } catch {
                reject(new EngineError(`malformed answer from the engine: ${buf.slice(0, 200)}`));
            }
        });
    });
}

/**
 * The engine's entry point: next to this module in the built package; from the compiled
 * tree when this module runs from source (tests import the TypeScript directly).
 */
function engineMain(): string {
    const candidates = [join(__dirname, "..", "main.js"), join(__dirname, "..", "..", "..", "dist", "provider", "engine", "main.js")];
    const found = candidates.find((c) => existsSync(c));
    if (!found) throw new EngineError(`the engine entry point is missing (looked for ${candidates.join(", ")}); run npm run build`);
    return found;
}

/** Starts the engine process detached, so it outlives `pulumi up` and holds none of its pipes. */
export function spawnEngine(home: EngineHome): void {
    ensureHome(home);
    const log = openSync(home.logFile, "a", 0o600);
    const child = spawn(process.execPath, [engineMain()], {
        detached: true,
        stdio: ["ignore", log, log],
        env: { ...process.env, PULUMI_DTS_HOME: home.dir },
        cwd: home.dir,
    });
    child.unref();
}

/** Calls the engine, starting it first when it is not running. */
export async function callEngine<T = unknown>(
    request: EngineRequest,
    opts: { home?: EngineHome; autostart?: boolean; timeoutMs?: number } = {},
): Promise<T> {
    const home = opts.home ?? engineHome();
    const timeoutMs = opts.timeoutMs ?? 30_000;
    try {
        return (await send(home, request, timeoutMs)) as T;
    } catch (err) {
        if (!(err instanceof EngineNotRunningError) || opts.autostart === false) throw err;
    }
    spawnEngine(home);
    const deadline = Date.now() + 20_000;
    for (;;) {
        try {
            await send(home, { method: "ping" }, 2_000);
            break;
        } catch (err) {
            if (Date.now() > deadline) {
                throw new EngineError(`the engine did not start within 20s; see its log at ${home.logFile}: ${(err as Error).message}`);
            }
            await new Promise((r) => setTimeout(r, 150));
        }
    }
    return (await send(home, request, timeoutMs)) as T;
}

export async function pingEngine(home = engineHome()): Promise<PingResult | undefined> {
    try {
        return (await send(home, { method: "ping" }, 2_000)) as PingResult;
    } catch {
        return undefined;
    }
}
