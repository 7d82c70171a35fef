import type { BinlogPosition } from "../../../engine/model";
import type { ServerDialect } from "../server-dialect";

/**
 * How a consistent snapshot is tied to a binlog position, as a sequence of observations
 * of the server, so the decisions are testable without one (test/unit/snapshot-position.test.ts).
 *
 * MariaDB reports the snapshot's exact position (binlog_snapshot_file/_position), read
 * inside the transaction. MySQL has no such variable, and a position read before START
 * TRANSACTION WITH CONSISTENT SNAPSHOT is not enough by itself: a transaction T may already
 * be written to the binary log (so the position is after it) while its InnoDB commit is
 * still pending (group commit flushes the log before the engines commit). A snapshot opened
 * then misses T, and the stream, starting at the position, skips it: T is lost. Reading the
 * status again after the snapshot does not help, since T added nothing in between.
 *
 * The barrier closes that window without FLUSH TABLES WITH READ LOCK (which needs RELOAD):
 * after reading position P, the engine commits a write of its own (B, a heartbeat row).
 * B is logged after P. With binlog_order_commits=ON, the commit stage commits each group's
 * transactions in InnoDB in binlog order, one group after the other, so when B's COMMIT
 * returns, every transaction logged before B (T among them) is committed in InnoDB. The
 * snapshot opened next sees all of them. It may also see transactions logged after P; the
 * stream replays those from P, which is safe because incremental apply is idempotent for
 * keyed tables. The position is P, the one read before the barrier.
 *
 * Without a barrier (heartbeats disabled, no privilege, read-only source, or
 * binlog_order_commits OFF, under which engine commits may overtake each other) the status
 * is read before and after the snapshot, as before the barrier existed, and the method says
 * so: the window is narrowed, not closed.
 */

export type SnapshotMethod =
    | "mariadb-binlog-snapshot"
    /** MySQL: position read, barrier committed, then the snapshot. */
    | "binlog-status-barrier"
    /** MySQL without a barrier: before/after status reads; a transaction committing at that moment may be missed. */
    | "master-status-without-barrier"
    /** Binary logging is off: a snapshot without position (schema/full only). */
    | "no-binary-log";

/** What establishPosition needs from the server, one statement each. */
export interface PositionProbe {
    /** The binlog status (dialect.binlogStatus); null when binary logging is off. */
    binlogStatus(): Promise<BinlogPosition | null>;
    /** @@GLOBAL.binlog_order_commits; null when the server has no such variable or it cannot be read. */
    orderCommits(): Promise<boolean | null>;
    /** Commits the barrier row; throws when it cannot be written. */
    writeBarrier(): Promise<void>;
    /** START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY. */
    startSnapshot(): Promise<void>;
    rollback(): Promise<void>;
    /** MariaDB: binlog_snapshot_file/_position and @@gtid_binlog_pos, inside the snapshot. */
    snapshotStatus(): Promise<BinlogPosition>;
}

export interface EstablishedPosition {
    position: BinlogPosition;
    method: SnapshotMethod;
    /** Why the position may miss a transaction, for the task's notes; absent when it cannot. */
    risk?: string;
}

const NO_POSITION: BinlogPosition = { file: "", position: 0 };
const STABLE_ATTEMPTS = 10;

/** Whether the barrier may prove anything, or why not. */
export function barrierDecision(dialect: ServerDialect, barrierWanted: boolean, orderCommits: boolean | null): { use: true } | { use: false; reason: string } {
    if (!barrierWanted) return { use: false, reason: "the heartbeat table is disabled, so no barrier could be written" };
    // An unknown value (a fork without the variable) is taken as MySQL's default, ON.
    if (dialect.hasBinlogOrderCommits && orderCommits === false) {
        return { use: false, reason: "binlog_order_commits is OFF, so InnoDB may commit transactions out of binlog order and a barrier proves nothing" };
    }
    return { use: true };
}

/**
 * Opens the snapshot through `probe` and returns its position. On return the snapshot's
 * transaction is open; on a throw the caller drops the connection.
 */
export async function establishPosition(probe: PositionProbe, dialect: ServerDialect, barrierWanted: boolean): Promise<EstablishedPosition> {
    if (dialect.snapshotPosition === "binlog-snapshot-status") {
        await probe.startSnapshot();
        const position = await probe.snapshotStatus();
        return { position, method: position.file ? "mariadb-binlog-snapshot" : "no-binary-log" };
    }
    const first = await probe.binlogStatus();
    if (first === null) {
        await probe.startSnapshot();
        return { position: NO_POSITION, method: "no-binary-log" };
    }
    const decision = barrierDecision(dialect, barrierWanted, barrierWanted && dialect.hasBinlogOrderCommits ? await probe.orderCommits() : null);
    let reason = decision.use ? "" : decision.reason;
    if (decision.use) {
        try {
            await probe.writeBarrier();
        } catch (err) {
            reason = `the barrier could not be written to the heartbeat table (${(err as Error).message})`;
        }
        if (reason === "") {
            await probe.startSnapshot();
            return { position: first, method: "binlog-status-barrier" };
        }
    }
    const risk = `snapshot position read without a commit barrier: ${reason}; a transaction committing while the snapshot was opened may be missing at the destination`;
    const position = await stablePosition(probe, first);
    return { position, method: "master-status-without-barrier", risk };
}

/**
 * The status read before and after the snapshot: when both agree nothing was logged in
 * between. Under constant writes the earliest read is kept (replaying from it is safe).
 */
async function stablePosition(probe: PositionProbe, first: BinlogPosition): Promise<BinlogPosition> {
    let before: BinlogPosition | null = first;
    for (let attempt = 0; attempt < STABLE_ATTEMPTS; attempt++) {
        before ??= await probe.binlogStatus();
        await probe.startSnapshot();
        const after = await probe.binlogStatus();
        if (before === null || after === null) return first;
        if (before.file === after.file && before.position === after.position) return before;
        await probe.rollback();
        before = null;
    }
    await probe.startSnapshot();
    return first;
}
