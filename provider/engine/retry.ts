import { ConnectionError } from "../errors/connection-error";

const connectionCodes = new Set([
    "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH",
    "PROTOCOL_CONNECTION_LOST", "PROTOCOL_SEQUENCE_TIMEOUT", "ER_SERVER_SHUTDOWN", "57P01", "57P02", "57P03", "08006", "08001", "08003",
]);

/** Connection failures are retried for retry.connectionMinutes, everything else for retry.otherMinutes. */
export function isConnectionFailure(err: unknown): boolean {
    if (err instanceof ConnectionError) return err.kind !== "auth-failed" && err.kind !== "unknown-database";
    const e = err as { code?: string; errno?: number; message?: string };
    if (e.code && connectionCodes.has(e.code)) return true;
    if (e.errno === 2013 || e.errno === 2006 || e.errno === 1927) return true;
    return /Connection terminated|connection is in closed state|Can't add new command when connection is in closed state|server closed the connection/i.test(e.message ?? "");
}

/** Per-failure-kind retry window with capped exponential backoff. */
export class RetryWindow {
    private firstFailure: number | undefined;
    private delayMs = 500;

    constructor(private readonly minutes: () => { connection: number; other: number }) {}

    /** Returns how long to wait before trying again, or undefined when the window is spent. */
    next(err: unknown): number | undefined {
        const now = Date.now();
        this.firstFailure ??= now;
        const limit = (isConnectionFailure(err) ? this.minutes().connection : this.minutes().other) * 60_000;
        if (now - this.firstFailure > limit) return undefined;
        const d = this.delayMs;
        this.delayMs = Math.min(this.delayMs * 2, 30_000);
        return d;
    }

    reset(): void {
        this.firstFailure = undefined;
        this.delayMs = 500;
    }
}
