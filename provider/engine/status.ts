import type { BinlogPosition } from "./model";
import type { RetryState } from "./retry";

export type TaskPhase =
    | "prechecking"
    | "precheck-failed"
    | "migrating-schema"
    | "migrating-full"
    | "completed"
    /** Incremental migration: the destination follows the source's binlog until the task is released. */
    | "running"
    | "failed"
    | "released";

export type PrecheckOutcome = "passed" | "alert" | "failed";

/** One precheck item: what was checked, on which object, and how to fix a problem. */
export interface PrecheckItem {
    id: string;
    title: string;
    outcome: PrecheckOutcome;
    /** The object concerned, e.g. "shop.orders" or "source". */
    object?: string;
    detail?: string;
    fix?: string;
    /** An alert the task was told to ignore (ignorePrecheckAlerts). */
    ignored?: boolean;
}

export interface PrecheckReport {
    passed: boolean;
    items: PrecheckItem[];
}

export type TableState = "pending" | "schema" | "copying" | "indexing" | "done" | "failed";

export interface TableProgress {
    /** `database.table` at the source. */
    source: string;
    /** `schema.table` at the destination. */
    target: string;
    state: TableState;
    rowsCopied: number;
    rowsEstimated: number;
    chunksDone: number;
    chunksTotal: number;
    error?: string;
}

/** A row the destination refused, kept under the `skip` dirty-data policy. */
export interface DirtyRecord {
    table: string;
    key: string;
    error: string;
}

/** The incremental stream, as `pulumi-dts status` and the task's outputs show it. */
export interface IncrementalStatus {
    /** End of the last source transaction applied at the destination, or passed over because it changed nothing selected. */
    position?: BinlogPosition;
    /** The source's current binlog position, as last polled. */
    sourcePosition?: BinlogPosition;
    /** Seconds the destination is behind the source (0: every logged transaction is applied). */
    latencySeconds: number;
    caughtUp: boolean;
    changesApplied: number;
    transactionsApplied: number;
    changesPerSecond: number;
    /** Source commit time (ms) of the last applied transaction. */
    lastSourceTime?: number;
    /** Commit time (ms) of the oldest transaction being applied, while a batch is in flight. */
    oldestPendingTime?: number;
    /** Statements passed over because the task's ddl selection leaves their operation out. */
    skippedStatements: string[];
    /**
     * Milliseconds from the last applied heartbeat's write on the source to its application
     * at the destination (heartbeat enabled): end-to-end latency with sub-second precision.
     */
    heartbeatLagMs?: number;
    /** Why heartbeats are not written, when they fail (the stream runs on without them). */
    heartbeatError?: string;
}

export function emptyIncrementalStatus(): IncrementalStatus {
    return { latencySeconds: 0, caughtUp: false, changesApplied: 0, transactionsApplied: 0, changesPerSecond: 0, skippedStatements: [] };
}

export interface TaskStatus {
    taskId: string;
    phase: TaskPhase;
    precheck?: PrecheckReport;
    tables: TableProgress[];
    /** The binlog position the full load is consistent with; incremental migration starts here. */
    snapshotPosition?: BinlogPosition;
    rowsCopied: number;
    rowsPerSecond: number;
    /** Present once the task has reached incremental migration. */
    incremental?: IncrementalStatus;
    dirtyRows: number;
    /** The first dirty rows (the full list is in the task's dirty-data log). */
    dirtySample: DirtyRecord[];
    notes: string[];
    error?: string;
    /** Present while a failed step or the stream is being retried: the failure and when its retry window ends. */
    retrying?: RetryState;
    startedAt: string;
    updatedAt: string;
    finishedAt?: string;
}
