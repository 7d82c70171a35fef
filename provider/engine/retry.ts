import { ConnectionError } from "../errors/connection-error";

/**
 * One classification of failures for every retry loop (the task runner's steps and the
 * incremental stream's sessions), so an error is retried, or not, the same way wherever it
 * happens.
 */
export type FailureClass =
    /** No retry can fix it: the configuration, the account or the source's state must change. */
    | "permanent"
    /** The server is unreachable or dropped the connection: retried for retry.connectionMinutes. */
    | "connection"
    /** Anything else (a statement that failed, a lock timeout): retried for retry.otherMinutes. */
    | "other";

/** Errors whose cause a retry cannot change say so themselves, so this module needs no list of classes. */
export interface PermanentFailure {
    readonly permanent: true;
}

function isPermanent(err: unknown): boolean {
    return err !== null && typeof err === "object" && (err as Partial<PermanentFailure>).permanent === true;
}

const connectionCodes = new Set([
    "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH",
    "PROTOCOL_CONNECTION_LOST", "PROTOCOL_SEQUENCE_TIMEOUT", "ER_SERVER_SHUTDOWN", "57P01", "57P02", "57P03", "08006", "08001", "08003",
]);

/** Refused credentials or a database that does not exist, as raw driver errors (not wrapped in ConnectionError). */
const credentialErrnos = new Set([1044, 1045, 1049, 1698]);
const credentialSqlStates = new Set(["28000", "28P01", "3D000"]);

export function classifyFailure(err: unknown): FailureClass {
    if (isPermanent(err)) return "permanent";
    if (err instanceof ConnectionError) {
        return err.kind === "auth-failed" || err.kind === "unknown-database" || err.kind === "unknown-instance" ? "permanent" : "connection";
    }
    const e = (err ?? {}) as { code?: string; errno?: number; message?: string };
    if (e.errno !== undefined && credentialErrnos.has(e.errno)) return "permanent";
    if (e.code !== undefined && credentialSqlStates.has(e.code)) return "permanent";
    if (e.code && connectionCodes.has(e.code)) return "connection";
    if (e.errno === 2013 || e.errno === 2006 || e.errno === 1927) return "connection";
    if (/Connection terminated|connection is in closed state|Can't add new command when connection is in closed state|server closed the connection/i.test(e.message ?? "")) {
        return "connection";
    }
    return "other";
}

/** While a step or the stream is retrying: what failed, and until when the window lets it try. */
export interface RetryState {
    kind: "connection" | "other";
    error: string;
    /** ISO time of the first failure in a row. */
    since: string;
    /** ISO time after which the next failure ends the task. */
    windowEndsAt: string;
    attempts: number;
}

export type RetryDecision = { retry: false; kind: FailureClass } | { retry: true; waitMs: number; state: RetryState };

/** Per-failure-kind retry window with capped exponential backoff. */
export class RetryWindow {
    private firstFailure: number | undefined;
    private delayMs = 500;
    private attempts = 0;

    constructor(private readonly minutes: () => { connection: number; other: number }) {}

    /** Whether to try again after `err`, and after how long; permanent failures and a spent window end it. */
    next(err: unknown): RetryDecision {
        const kind = classifyFailure(err);
        if (kind === "permanent") return { retry: false, kind };
        const now = Date.now();
        this.firstFailure ??= now;
        const limitMs = (kind === "connection" ? this.minutes().connection : this.minutes().other) * 60_000;
        if (now - this.firstFailure > limitMs) return { retry: false, kind };
        const waitMs = this.delayMs;
        this.delayMs = Math.min(this.delayMs * 2, 30_000);
        this.attempts++;
        return {
            retry: true,
            waitMs,
            state: {
                kind,
                error: err instanceof Error ? err.message : String(err),
                since: new Date(this.firstFailure).toISOString(),
                windowEndsAt: new Date(this.firstFailure + limitMs).toISOString(),
                attempts: this.attempts,
            },
        };
    }

    reset(): void {
        this.firstFailure = undefined;
        this.delayMs = 500;
        this.attempts = 0;
    }
}
