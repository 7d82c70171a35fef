import { spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { controlToken, type EngineHome, engineHome, ensureHome } from "../home";
import { describeIssues } from "../versioned-json";
import {
    CONTROL_PROTOCOL, type EngineCall, type Envelope, engineResponseSchema, MUTATING_METHODS, type PingResult, pingResultSchema,
    versionMismatchMessage, VERSIONLESS_METHODS,
} from "./protocol";

/** The engine answered with an error. */
export class EngineError extends Error {
    constructor(message: string, readonly code?: string) {
        super(message);
        this.name = "EngineError";
    }
}

/** The engine process is not running (no socket, or nobody listening). */
export class EngineNotRunningError extends Error {}

/** An engine's answer that the protocol lets this caller use. */
interface Answer {
    /** The engine's protocol version (0: from before versions). */
    protocol: number;
    result: unknown;
}

/** One request on one connection; the answer is checked against the protocol before it is trusted. */
function send(home: EngineHome, request: EngineCall, timeoutMs: number): Promise<Answer> {
    const token = controlToken(home);
    return new Promise((resolve, reject) => {
        const sock = connect(home.socket);
        let buf = "";
        const timer = setTimeout(() => {
            sock.destroy();
            reject(new EngineError(`the engine did not answer "${request.method}" within ${timeoutMs / 1000}s`, "timeout"));
        }, timeoutMs);
        sock.setEncoding("utf8");
        sock.on("connect", () => sock.write(JSON.stringify({ protocol: CONTROL_PROTOCOL, token, request } satisfies Envelope) + "\n"));
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
                resolve(answer(request, buf));
            } catch (err) {
                reject(err);
            }
        });
    });
}

/** An engine's answer to `request`, or the EngineError it stands for. */
export function answer(request: EngineCall, text: string): Answer {
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch {
        throw new EngineError(`malformed answer from the engine (not JSON): ${text.slice(0, 200)}`, "bad-response");
    }
    const res = engineResponseSchema.safeParse(raw);
    if (!res.success) throw new EngineError(`malformed answer from the engine (${describeIssues(res.error).text}): ${text.slice(0, 200)}`, "bad-response");
    // An engine's refusal explains itself, whatever its version (its version-mismatch included).
    if (!res.data.ok) throw new EngineError(res.data.error, res.data.code);
    const engineProtocol = res.data.protocol ?? 0;
    const versionless = (VERSIONLESS_METHODS as readonly string[]).includes(request.method);
    if (engineProtocol !== CONTROL_PROTOCOL && !versionless) {
        throw new EngineError(versionMismatchMessage(engineProtocol, CONTROL_PROTOCOL), "version-mismatch");
    }
    if (request.method !== "ping") return { protocol: engineProtocol, result: res.data.result };
    const ping = pingResultSchema.safeParse(res.data.result);
    if (!ping.success) throw new EngineError(`malformed ping answer from the engine (${describeIssues(ping.error).text})`, "bad-response");
    return { protocol: engineProtocol, result: ping.data };
}

/**
 * Sends a request, first making sure an engine of another version will not act on one with
 * effects: an engine from before protocol versions does not check the caller's, and would
 * submit or release a task before its answer could be refused.
 */
async function call(home: EngineHome, request: EngineCall, timeoutMs: number): Promise<unknown> {
    if (MUTATING_METHODS.includes(request.method)) {
        const ping = await send(home, { method: "ping" }, Math.min(timeoutMs, 5_000));
        if (ping.protocol !== CONTROL_PROTOCOL) throw new EngineError(versionMismatchMessage(ping.protocol, CONTROL_PROTOCOL), "version-mismatch");
    }
    return (await send(home, request, timeoutMs)).result;
}

/**
 * The engine's entry point: next to this module in the built package; from the compiled
 * tree when this module runs from source (tests import the TypeScript directly).
 */
export function engineEntry(file: "main.js" | "supervisor.js"): string {
    const candidates = [join(__dirname, "..", file), join(__dirname, "..", "..", "..", "dist", "provider", "engine", file)];
    const found = candidates.find((c) => existsSync(c));
    if (!found) throw new EngineError(`the engine entry point is missing (looked for ${candidates.join(", ")}); run npm run build`);
    return found;
}

/**
 * Starts the engine detached, under its supervisor (supervisor.ts), so it outlives `pulumi
 * up`, holds none of its pipes, and is started again by the supervisor when it dies.
 */
export function spawnEngine(home: EngineHome): void {
    ensureHome(home);
    const log = openSync(home.logFile, "a", 0o600);
    const child = spawn(process.execPath, [engineEntry("supervisor.js")], {
        detached: true,
        stdio: ["ignore", log, log],
        env: { ...process.env, PULUMI_DTS_HOME: home.dir },
        cwd: home.dir,
    });
    child.unref();
}

/** Calls the engine, starting it first when it is not running. */
export async function callEngine<T = unknown>(
    request: EngineCall,
    opts: { home?: EngineHome; autostart?: boolean; timeoutMs?: number } = {},
): Promise<T> {
    const home = opts.home ?? engineHome();
    const timeoutMs = opts.timeoutMs ?? 30_000;
    try {
        return (await call(home, request, timeoutMs)) as T;
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
    return (await call(home, request, timeoutMs)) as T;
}

export async function pingEngine(home = engineHome()): Promise<PingResult | undefined> {
    try {
        return (await send(home, { method: "ping" }, 2_000)).result as PingResult;
    } catch {
        return undefined;
    }
}
