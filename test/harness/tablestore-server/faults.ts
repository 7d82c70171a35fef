/**
 * Fault injection. A test declares which requests (or which rows of BatchWriteRow / BulkImport)
 * fail and how; selection is deterministic ("the next 3", "every 5th") or a seeded-random rate,
 * so no test depends on luck.
 */
import { OtsError, RETRYABLE_ERRORS, type RetryableErrorCode } from "./errors";

/** A retryable error by its code, or any error spelled out. */
export type FaultError = RetryableErrorCode | { status: number; code: string; message: string };

export interface FaultSpec {
    /** "request": the whole request fails; "row": single rows inside BatchWriteRow / BulkImport results. Default "request". */
    scope?: "request" | "row";
    /** Operation names (e.g. "BatchWriteRow"); default every operation (request scope) or both batch writes (row scope). */
    operations?: string[];
    /** Row scope only: only rows of these tables. */
    tables?: string[];
    /** The error reported. Request scope may omit it when `reset` or `delayMs` is the fault. */
    error?: FaultError;
    /** Fire on the next N matches, then stop matching. */
    times?: number;
    /** Fire on every Nth match (the Nth, 2Nth, …). */
    every?: number;
    /** Fire on each match with this probability, drawn from a PRNG seeded with `seed` (default 1). */
    rate?: number;
    seed?: number;
    /** Let this many matches pass before the fault starts counting. */
    skip?: number;
    /**
     * The write takes effect, and then the error is reported: the outcome a client cannot tell
     * from a lost write (OTSTimeout after the commit). Default false: the write is not applied.
     */
    applied?: boolean;
    /** Request scope: hold the response this long (alone, a slow server; with an error, a slow failure). */
    delayMs?: number;
    /** Request scope: destroy the connection instead of answering (the client sees ECONNRESET / socket hang up). */
    reset?: boolean;
}

export interface FaultHandle {
    readonly id: number;
    /** Requests or rows that matched the filters (after `skip`). */
    readonly matched: number;
    /** How many of them the fault fired on. */
    readonly fired: number;
    remove(): void;
}

/** What an injected fault does to one request or row. */
export interface FaultOutcome {
    error?: OtsError;
    applied: boolean;
    delayMs: number;
    reset: boolean;
}

const BATCH_WRITES = ["BatchWriteRow", "BulkImport"];

function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function toOtsError(e: FaultError): OtsError {
    if (typeof e === "string") {
        const known = RETRYABLE_ERRORS[e];
        if (!known) throw new Error(`unknown retryable error code ${e}; spell it out as {status, code, message}`);
        return new OtsError(known.status, e, known.message);
    }
    return new OtsError(e.status, e.code, e.message);
}

class Fault implements FaultHandle {
    matched = 0;
    fired = 0;
    private seen = 0;
    private readonly random?: () => number;

    constructor(
        readonly id: number,
        readonly spec: FaultSpec,
        private readonly onRemove: (f: Fault) => void,
    ) {
        const modes = [spec.times, spec.every, spec.rate].filter((m) => m !== undefined).length;
        if (modes > 1) throw new Error("a fault takes one of times, every or rate");
        if (spec.every !== undefined && !(Number.isInteger(spec.every) && spec.every >= 1)) throw new Error("every must be an integer >= 1");
        if (spec.times !== undefined && !(Number.isInteger(spec.times) && spec.times >= 0)) throw new Error("times must be an integer >= 0");
        if (spec.rate !== undefined && !(spec.rate >= 0 && spec.rate <= 1)) throw new Error("rate must be in [0, 1]");
        const scope = spec.scope ?? "request";
        if (scope === "row" && (spec.reset || spec.delayMs)) throw new Error("reset and delayMs apply to whole requests only");
        if (scope === "row" && !spec.error) throw new Error("a row fault needs an error");
        if (!spec.error && !spec.reset && !spec.delayMs) throw new Error("a fault needs an error, reset or delayMs");
        if (spec.error) toOtsError(spec.error);
        if (spec.rate !== undefined) this.random = mulberry32(spec.seed ?? 1);
    }

    get scope(): "request" | "row" {
        return this.spec.scope ?? "request";
    }

    matches(scope: "request" | "row", operation: string, table?: string): boolean {
        if (this.scope !== scope) return false;
        const ops = this.spec.operations ?? (scope === "row" ? BATCH_WRITES : undefined);
        if (ops && !ops.includes(operation)) return false;
        if (this.spec.tables && (table === undefined || !this.spec.tables.includes(table))) return false;
        if (this.spec.times !== undefined && this.fired >= this.spec.times) return false;
        return true;
    }

    /** Counts one match and says whether the fault fires on it. */
    decide(): boolean {
        this.seen++;
        if (this.seen <= (this.spec.skip ?? 0)) return false;
        this.matched++;
        let fire: boolean;
        if (this.spec.every !== undefined) fire = this.matched % this.spec.every === 0;
        else if (this.random) fire = this.random() < (this.spec.rate ?? 0);
        else fire = true; // `times`, or no mode: every match until removed
        if (fire) this.fired++;
        return fire;
    }

    outcome(): FaultOutcome {
        return {
            error: this.spec.error ? toOtsError(this.spec.error) : undefined,
            applied: this.spec.applied ?? false,
            delayMs: this.spec.delayMs ?? 0,
            reset: this.spec.reset ?? false,
        };
    }

    remove(): void {
        this.onRemove(this);
    }
}

export class FaultInjector {
    private faults: Fault[] = [];
    private nextId = 1;

    inject(spec: FaultSpec): FaultHandle {
        const f = new Fault(this.nextId++, { ...spec }, (x) => {
            this.faults = this.faults.filter((y) => y !== x);
        });
        this.faults.push(f);
        return f;
    }

    clear(): void {
        this.faults = [];
    }

    /**
     * Every matching fault counts the match, so "every 5th" does not depend on other faults;
     * the first that fires decides the outcome.
     */
    private check(scope: "request" | "row", operation: string, table?: string): FaultOutcome | undefined {
        let chosen: Fault | undefined;
        for (const f of this.faults) {
            if (!f.matches(scope, operation, table)) continue;
            if (f.decide() && !chosen) chosen = f;
        }
        return chosen?.outcome();
    }

    forRequest(operation: string): FaultOutcome | undefined {
        return this.check("request", operation);
    }

    forRow(operation: string, table: string): FaultOutcome | undefined {
        return this.check("row", operation, table);
    }
}
