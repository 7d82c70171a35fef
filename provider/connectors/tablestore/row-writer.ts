import type { TablestoreClient, RowResult, RowWrite } from "./client";
import { splitBatches, type WriteBatch } from "./batches";
import { isRowLevelDataError, TablestoreError, tablestoreErrorClass } from "./errors";

/**
 * Writes RowWrites the way Tablestore takes them, for the bulk and the change sink alike:
 * split into requests the service accepts (≤ 200 rows, ≤ 4 MB, a key once per request),
 * at most `concurrency` requests in flight, rows of one key in order, and the service's
 * answers sorted out row by row:
 * - rows refused for their content come back to the caller (its dirty-data policy);
 * - rows and requests refused for a passing reason (busy, throttled, partition moving)
 *   are sent again with backoff, a few times, before the failure goes up to the engine,
 *   whose retry window decides (the writes are idempotent: a replay converges);
 * - a request refused as a whole for its content (a bad row among 200) is split until the
 *   bad row stands alone.
 */

export type BatchMode = "bulk-import" | "batch-write-row";


/** A row the service refused for its content, with the index it had in the list written. */
export interface RefusedRow {
    index: number;
    row: RowWrite;
    error: TablestoreError;
}

/** Attempts per request or row for failures a moment may cure, before the engine's window takes over. */
const ATTEMPTS = 6;
const FIRST_DELAY_MS = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Requests in flight to one instance, shared by every writer of a task (tablestore.concurrency
 * counts them all), with a limit read at each acquisition so a changed setting applies at once.
 */
export class RequestGate {
    private active = 0;
    private readonly waiting: (() => void)[] = [];

    constructor(private readonly limit: () => number) {}

    async run<T>(work: () => Promise<T>): Promise<T> {
        while (this.active >= this.limit()) await new Promise<void>((r) => this.waiting.push(r));
        this.active++;
        try {
            return await work();
        } finally {
            this.active--;
            this.waiting.shift()?.();
        }
    }
}

export class RowWriter {
    constructor(private readonly client: TablestoreClient, private readonly gate: RequestGate) {}

    /**
     * Writes the rows; resolves with the rows refused for their content (in index order).
     * Rows of one key are written in the order given; others in parallel, through the gate.
     */
    async write(rows: RowWrite[], mode: BatchMode): Promise<RefusedRow[]> {
        if (rows.length === 0) return [];
        const batches = splitBatches(rows, { mode });
        const refused: RefusedRow[] = [];
        const done: Promise<void>[] = [];
        for (const b of batches) {
            const deps = b.after.map((j) => done[j]);
            // A batch after a failed one fails too (its rows must not overtake the failed ones).
            done.push(Promise.all(deps).then(() => this.send(b, mode, refused)));
        }
        const results = await Promise.allSettled(done);
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
        return refused.sort((a, b) => a.index - b.index);
    }

    private async send(batch: WriteBatch, mode: BatchMode, refused: RefusedRow[]): Promise<void> {
        let pending = batch.rows.map((row, k) => ({ row, index: batch.indexes[k] }));
        let delay = FIRST_DELAY_MS;
        for (let attempt = 1; ; attempt++) {
            let results: RowResult[];
            try {
                const rows = pending.map((p) => p.row);
                results = await this.gate.run(() => this.request(rows, mode));
            } catch (err) {
                if (err instanceof TablestoreError && err.code === "OTSParameterInvalid" && pending.length > 1) {
                    // Some row of the request is bad: halves, until it stands alone and is reported for itself.
                    const mid = Math.ceil(pending.length / 2);
                    await this.sendRows(pending.slice(0, mid), mode, refused);
                    await this.sendRows(pending.slice(mid), mode, refused);
                    return;
                }
                if (err instanceof TablestoreError && pending.length === 1 && (isRowLevelDataError(err) || (err.code === "OTSParameterInvalid" && !err.primaryKey))) {
                    refused.push({ ...pending[0], error: err.primaryKey ? err : withRow(err, pending[0].row) });
                    return;
                }
                if (tablestoreErrorClass(err) !== "retryable" || attempt >= ATTEMPTS) throw err;
                await sleep(delay);
                delay *= 2;
                continue;
            }
            const again: typeof pending = [];
            let last: TablestoreError | undefined;
            results.forEach((r, k) => {
                if (r.ok) return;
                if (isRowLevelDataError(r.error) || r.error.permanent) refused.push({ ...pending[k], error: r.error });
                else {
                    again.push(pending[k]);
                    last = r.error;
                }
            });
            if (again.length === 0) return;
            if (attempt >= ATTEMPTS) throw last!;
            pending = again;
            await sleep(delay);
            delay *= 2;
        }
    }

    private async sendRows(rows: { row: RowWrite; index: number }[], mode: BatchMode, refused: RefusedRow[]): Promise<void> {
        const rebuilt: WriteBatch = { rows: rows.map((r) => r.row), indexes: rows.map((r) => r.index), tables: [...new Set(rows.map((r) => r.row.table))], bytes: 0, after: [] };
        await this.send(rebuilt, mode, refused);
    }

    private request(rows: RowWrite[], mode: BatchMode): Promise<RowResult[]> {
        return mode === "bulk-import" ? this.client.bulkImport(rows[0].table, rows) : this.client.batchWriteRow(rows);
    }
}

/** A whole-request refusal of a one-row request, told as that row's. */
function withRow(err: TablestoreError, row: RowWrite): TablestoreError {
    return new TablestoreError(err.code, err.serverMessage, { operation: err.operation, table: row.table, primaryKey: row.primaryKey }, err.httpStatus, err.requestId);
}
