import type { ChangeBatch } from "../../engine/change-sink";
import { runsOf, type StateChange } from "../../engine/incremental/change-model";

/*
 * SQL machinery the MySQL and PostgreSQL change sinks share: savepoints isolate one change
 * inside the sink's open transaction. The engine speaks of batches and refused changes,
 * never of SAVEPOINT.
 */

/** What a sink lends applyBatchChanges: its connection's SQL, and which errors mean the data was refused. */
export interface ChangeIsolation {
    query(sql: string): Promise<unknown>;
    refused(err: unknown): boolean;
    /** Work that must not be undone with the change (e.g. creating staging tables). */
    prepare?(change: StateChange): Promise<void>;
}

/**
 * A batch's changes inside the sink's open transaction: one set-based write per run, or,
 * when isolating, each change in its own savepoint with refused ones handed to the
 * dirty-data policy.
 */
export async function applyBatchChanges(batch: ChangeBatch, applyRun: (run: StateChange[]) => Promise<void>, iso: ChangeIsolation): Promise<void> {
    if (!batch.isolateRows) {
        for (const run of runsOf(batch.changes)) await applyRun(run);
        return;
    }
    for (const c of batch.changes) {
        await iso.prepare?.(c);
        await iso.query("SAVEPOINT dts_change");
        try {
            await applyRun([c]);
            await iso.query("RELEASE SAVEPOINT dts_change");
        } catch (err) {
            await iso.query("ROLLBACK TO SAVEPOINT dts_change");
            if (!iso.refused(err)) throw err;
            batch.onRejected(c.mapping, c.row, (err as Error).message);
        }
    }
}
