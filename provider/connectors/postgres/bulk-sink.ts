import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Client } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { PostgresConnectionSpec } from "../../../sdk/schema/connection";
import type { SourceRow, TableMapping } from "../../engine/model";
import { type BulkSink, type ChunkWrite, DataRejectedError, targetRangeCondition } from "../../engine/sink";
import { connectPostgres } from "./connect";
import { isDataError } from "./errors";
import { makeRowEncoder, UnencodableValueError } from "./copy-encoder";
import { qualified, quoteIdent } from "./identifiers";

/**
 * Writes chunks with COPY ... FROM STDIN in text format, one transaction per chunk, so a
 * chunk is either entirely in the destination or not at all; a redone chunk first deletes
 * its key range (rows of ours: under precheck-and-report the table started empty).
 */
export class PostgresBulkSink implements BulkSink {
    private constructor(private readonly client: Client) {}

    static async open(spec: PostgresConnectionSpec): Promise<PostgresBulkSink> {
        const client = await connectPostgres(spec);
        await client.query("SET TIME ZONE 'UTC'");
        // Loading is the only writer of these tables; no need to wait for the WAL flush per chunk.
        await client.query("SET synchronous_commit = off");
        return new PostgresBulkSink(client);
    }

    async writeChunk(w: ChunkWrite): Promise<number> {
        const table = qualified(w.mapping.targetSchema, w.mapping.targetTable);
        const cols = w.mapping.columns.map((c) => quoteIdent(c.target)).join(", ");
        const encode = makeRowEncoder(w.mapping.columns.map((c) => c.source), w.mapping.columns.map((c) => c.zeroDate));
        await this.client.query("BEGIN");
        try {
            if (w.redo && w.conflict === "error") {
                await this.client.query(`DELETE FROM ${table}${w.range && w.mapping.key ? ` WHERE ${targetRangeCondition(w.mapping, w.range, quoteIdent)}` : ""}`);
            }
            let target = table;
            if (w.conflict === "keep-existing") {
                // COPY cannot skip conflicting rows: stage, then insert what is not there yet.
                target = quoteIdent(`dts_stage_${process.pid}`);
                await this.client.query(`CREATE TEMP TABLE ${target} (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DROP`);
            }
            const rows = w.isolateRows
                ? await this.copyRowByRow(w, target, cols, encode)
                : await this.copyAll(w, target, cols, encode);
            if (w.conflict === "keep-existing") {
                await this.client.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM ${target} ON CONFLICT DO NOTHING`);
            }
            await this.client.query("COMMIT");
            return rows;
        } catch (err) {
            await this.client.query("ROLLBACK").catch(() => undefined);
            if (isDataError(err)) throw new DataRejectedError((err as Error).message, table);
            throw err;
        }
    }

    private async copyAll(w: ChunkWrite, target: string, cols: string, encode: (r: SourceRow) => string): Promise<number> {
        let rows = 0;
        async function* lines() {
            for await (const batch of w.batches) {
                let text = "";
                let n = 0;
                for (const row of batch) {
                    try {
                        text += encode(row);
                        n++;
                    } catch (err) {
                        if (!(err instanceof UnencodableValueError)) throw err;
                        w.onRejected(row, err.message);
                    }
                }
                rows += n;
                w.onProgress(n, text.length);
                yield text;
            }
        }
        await pipeline(Readable.from(lines()), this.client.query(copyFrom(`COPY ${target} (${cols}) FROM STDIN`)));
        return rows;
    }

    /** The slow path for a chunk with refused rows: each row in its own savepoint. */
    private async copyRowByRow(w: ChunkWrite, target: string, cols: string, encode: (r: SourceRow) => string): Promise<number> {
        let rows = 0;
        for await (const batch of w.batches) {
            for (const row of batch) {
                let line: string;
                try {
                    line = encode(row);
                } catch (err) {
                    if (!(err instanceof UnencodableValueError)) throw err;
                    w.onRejected(row, err.message);
                    continue;
                }
                await this.client.query("SAVEPOINT dts_row");
                try {
                    await pipeline(Readable.from([line]), this.client.query(copyFrom(`COPY ${target} (${cols}) FROM STDIN`)));
                    await this.client.query("RELEASE SAVEPOINT dts_row");
                    rows++;
                    w.onProgress(1, line.length);
                } catch (err) {
                    await this.client.query("ROLLBACK TO SAVEPOINT dts_row");
                    if (!isDataError(err)) throw err;
                    w.onRejected(row, (err as Error).message);
                }
            }
        }
        return rows;
    }

    async close(): Promise<void> {
        await this.client.end().catch(() => undefined);
    }
}
