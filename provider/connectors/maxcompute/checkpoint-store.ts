import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { StreamCheckpoint } from "../../engine/change-sink";
import { FencedError, type FencedCheckpointStore } from "../../engine/checkpoint-store";
import { decodeStreamSchema, encodeStreamSchema } from "../../engine/incremental/stream-schema-format";
import type { PermanentFailure } from "../../engine/retry";
import { binlogPositionSchema } from "../../engine/task-store-format";
import { quoteIdent } from "./ddl";
import { MaxComputeError } from "./errors";
import { BlockWriter, readBlock, RecordSchema } from "./records";
import type { MaxComputeRest } from "./rest";
import { runSql } from "./sql";
import type { TableTarget, TunnelClient } from "./tunnel";

/**
 * A task's stream checkpoint and fence in a MaxCompute table of ours, which (like every
 * MaxCompute table) can only be appended to: rows are never updated, the newest decides.
 * Partitioned by task and kind, so a read downloads one task's claims or windows alone.
 *
 * - **Claims** (kind `claim`): a stream session appends its epoch with a random claim id,
 *   then reads the claims back; the holder is the greatest (epoch, claim id). A session that
 *   finds another holder than itself is fenced (FencedError). Appends are not transactions,
 *   so a claim can return before a racing one lands; the greatest still holds the task in
 *   the end, and every other session's next check (before each window) refuses it.
 * - **Windows** (kind `window`): before a batch's `_log` uploads are committed, the change
 *   sink appends the window: the checkpoint the batch ends at and the upload sessions that
 *   hold it (their blocks all sent). The sessions are committed after that row is durable.
 *   A read finishes what a crash interrupted: sessions of the newest window that are still
 *   open are committed then, so the checkpoint it returns is always the newest window's.
 *   A crash before the window row leaves sessions never committed (never visible), and the
 *   batch is written again; so no entry is lost and none is written twice by one owner.
 *   An owner paused past a takeover that passed its fence check just before may still land
 *   one window: its entries have the record_ids the new owner writes for the same changes
 *   (record_id comes from the source position), so the merge of _base and _log is the same.
 *
 * Row format version 1: format, epoch, claim, seq (ms·1000 + counter: the order of a
 * task's windows), checkpoint (JSON, version 1: position, sourceTime, resumeFrom, tables as
 * stream-schema-format), uploads (JSON: [{table, partition, session, blocks}]), written_at.
 */
export const CHECKPOINT_TABLE = "pulumi_dts_stream_checkpoint";
const FORMAT = 1;

const COLUMNS = [
    { name: "format", type: "BIGINT" }, { name: "epoch", type: "BIGINT" }, { name: "claim", type: "STRING" }, { name: "seq", type: "BIGINT" },
    { name: "checkpoint", type: "STRING" }, { name: "uploads", type: "STRING" }, { name: "written_at", type: "BIGINT" },
] as const;
const SCHEMA = RecordSchema.fromTypeText(COLUMNS);

const uploadSchema = z.object({ table: z.string(), partition: z.string(), session: z.string(), blocks: z.array(z.number().int().nonnegative()) });
export type PendingUpload = z.output<typeof uploadSchema>;
const checkpointJson = z.object({
    version: z.literal(1),
    position: binlogPositionSchema,
    sourceTime: z.number(),
    resumeFrom: binlogPositionSchema.optional(),
    tables: z.string().optional(),
});

export class CheckpointFormatError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(taskId: string, reason: string) {
        super(`the stream checkpoint of task ${taskId} in MaxCompute table ${CHECKPOINT_TABLE} cannot be read: ${reason}; ` +
            "it was written by another version of pulumi-dts: run that version, or release the task and migrate again");
        this.name = "CheckpointFormatError";
    }
}

interface Row {
    format: number;
    epoch: number;
    claim: string;
    seq: bigint;
    checkpoint: string | null;
    uploads: string | null;
}

const partitionOf = (taskId: string, kind: "claim" | "window") => `task_id=${taskId},kind=${kind}`;

export class MaxComputeCheckpointStore implements FencedCheckpointStore {
    private readonly held = new Map<string, { epoch: number; claim: string }>();
    private counter = 0;

    constructor(private readonly rest: MaxComputeRest, private readonly tunnel: TunnelClient, private readonly project: string) {}

    async ensureTable(): Promise<void> {
        await runSql(this.rest, this.project, `CREATE TABLE IF NOT EXISTS ${quoteIdent(CHECKPOINT_TABLE)} (` +
            COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ") + `) PARTITIONED BY (${quoteIdent("task_id")} STRING, ${quoteIdent("kind")} STRING);`);
    }

    private target(taskId: string, kind: "claim" | "window"): TableTarget {
        return { table: CHECKPOINT_TABLE, partition: partitionOf(taskId, kind) };
    }

    private async append(taskId: string, kind: "claim" | "window", row: Omit<Row, "format">): Promise<void> {
        const t = this.target(taskId, kind);
        const session = await this.tunnel.createUpload(t, { createPartition: true });
        const w = new BlockWriter(SCHEMA);
        w.write([BigInt(FORMAT), BigInt(row.epoch), row.claim, row.seq, row.checkpoint, row.uploads, BigInt(Date.now())]);
        await this.tunnel.putBlock(t, session.id, 0, w.finish());
        await this.tunnel.commit(t, session.id, [0]);
    }

    private async rows(taskId: string, kind: "claim" | "window"): Promise<Row[]> {
        const t = this.target(taskId, kind);
        let d;
        try {
            d = await this.tunnel.createDownload(t);
        } catch (err) {
            if (err instanceof MaxComputeError && (err.code === "NoSuchPartition" || err.notFound)) return [];
            throw err;
        }
        if (d.recordCount === 0) return [];
        const records = readBlock(RecordSchema.fromTypeText(d.columns), await this.tunnel.readRecords(t, d.id, 0, d.recordCount));
        return records.map((r) => {
            const format = Number(r[0]);
            if (format !== FORMAT) throw new CheckpointFormatError(taskId, `a row has format ${format}, this version reads ${FORMAT}`);
            return { format, epoch: Number(r[1]), claim: String(r[2]), seq: BigInt(r[3] as bigint), checkpoint: (r[4] as string | null) ?? null, uploads: (r[5] as string | null) ?? null };
        });
    }

    /** The holder: the greatest (epoch, claim id); undefined before any claim. */
    private static holder(claims: Row[]): Row | undefined {
        return claims.reduce<Row | undefined>((best, r) => (!best || r.epoch > best.epoch || (r.epoch === best.epoch && r.claim > best.claim) ? r : best), undefined);
    }

    async claim(taskId: string, epoch?: number): Promise<number> {
        const before = MaxComputeCheckpointStore.holder(await this.rows(taskId, "claim"));
        const current = before?.epoch ?? 0;
        const mine = this.held.get(taskId);
        const next = epoch ?? current + 1;
        if (next < current) throw new FencedError(taskId, next, current);
        // A later session of the stream that holds the task: its claim stands.
        if (mine && mine.epoch === next && before?.claim === mine.claim) return next;
        const claim = randomBytes(8).toString("hex");
        await this.append(taskId, "claim", { epoch: next, claim, seq: this.nextSeq(), checkpoint: null, uploads: null });
        const winner = MaxComputeCheckpointStore.holder(await this.rows(taskId, "claim"));
        if (winner?.claim !== claim) throw new FencedError(taskId, next, winner?.epoch ?? next);
        this.held.set(taskId, { epoch: next, claim });
        return next;
    }

    /** Throws FencedError when another session took the task since this one claimed it (no claim made: nothing to check). */
    async check(taskId: string): Promise<void> {
        const mine = this.held.get(taskId);
        if (!mine) return;
        const winner = MaxComputeCheckpointStore.holder(await this.rows(taskId, "claim"));
        if (winner?.claim !== mine.claim) throw new FencedError(taskId, mine.epoch, winner?.epoch ?? 0);
    }

    private nextSeq(): bigint {
        return BigInt(Date.now()) * 1000n + BigInt(this.counter++ % 1000);
    }

    /** Appends a window: the checkpoint, and the uploads (all blocks sent, not committed) that hold its changes. */
    async writeWindow(taskId: string, checkpoint: StreamCheckpoint, uploads: PendingUpload[]): Promise<void> {
        await this.check(taskId);
        const mine = this.held.get(taskId);
        const json = JSON.stringify({
            version: 1, position: checkpoint.position, sourceTime: checkpoint.sourceTime,
            ...(checkpoint.resumeFrom ? { resumeFrom: checkpoint.resumeFrom } : {}),
            ...(checkpoint.tables ? { tables: encodeStreamSchema(checkpoint.tables) } : {}),
        });
        await this.append(taskId, "window", { epoch: mine?.epoch ?? 0, claim: mine?.claim ?? "", seq: this.nextSeq(), checkpoint: json, uploads: JSON.stringify(uploads) });
    }

    /** A checkpoint alone (a batch that touched no selected table). */
    write(taskId: string, checkpoint: StreamCheckpoint): Promise<void> {
        return this.writeWindow(taskId, checkpoint, []);
    }

    /** Commits the sessions a window names that are still open (a crash between the window and its commits). */
    async completeWindow(uploads: PendingUpload[]): Promise<void> {
        for (const u of uploads) {
            const t = { table: u.table, ...(u.partition ? { partition: u.partition } : {}) };
            const s = await this.tunnel.reloadUpload(t, u.session);
            if (s.status === "CLOSED") continue;
            if (s.status !== "NORMAL") {
                throw new CheckpointFormatError("?", `upload session ${u.session} of ${u.table} is ${s.status}: its changes cannot be committed; release the task and migrate again`);
            }
            await this.tunnel.commit(t, u.session, u.blocks);
        }
    }

    async read(taskId: string): Promise<StreamCheckpoint | null> {
        const windows = await this.rows(taskId, "window");
        const newest = windows.reduce<Row | undefined>((best, r) => (!best || r.seq > best.seq ? r : best), undefined);
        if (!newest?.checkpoint) return null;
        const uploads = z.array(uploadSchema).safeParse(JSON.parse(newest.uploads ?? "[]"));
        if (!uploads.success) throw new CheckpointFormatError(taskId, `its uploads are not as expected (${uploads.error.issues[0]?.message})`);
        await this.completeWindow(uploads.data);
        let parsed;
        try {
            parsed = checkpointJson.parse(JSON.parse(newest.checkpoint));
        } catch (err) {
            throw new CheckpointFormatError(taskId, `its checkpoint is not as expected (${(err as Error).message})`);
        }
        return {
            position: parsed.position, sourceTime: parsed.sourceTime,
            ...(parsed.resumeFrom ? { resumeFrom: parsed.resumeFrom } : {}),
            ...(parsed.tables ? { tables: decodeStreamSchema(taskId, parsed.tables) } : {}),
        };
    }

    /** Release: MaxCompute rows cannot be deleted one by one; the task's partitions are dropped. */
    async forget(taskId: string): Promise<void> {
        for (const kind of ["claim", "window"] as const) {
            await runSql(this.rest, this.project, `ALTER TABLE ${quoteIdent(CHECKPOINT_TABLE)} DROP IF EXISTS PARTITION (task_id='${taskId}', kind='${kind}');`).catch(() => undefined);
        }
        this.held.delete(taskId);
    }
}
