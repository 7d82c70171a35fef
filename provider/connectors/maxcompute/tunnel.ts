import { z } from "zod";
import { MaxComputeClientError } from "./errors";
import { type MaxComputeRest, pathSegment, type RestResponse } from "./rest";
import type { MaxComputeColumn } from "./types";

/**
 * Tunnel batch upload and download sessions (research maxcompute.md §3): the session calls,
 * with the blocks as bytes (records.ts encodes them). An upload is committed only after a
 * reload shows exactly the blocks this client sent: the commit request names no blocks,
 * so a block the service lost (a connection dropped after the body was sent) would
 * otherwise vanish silently from the table.
 *
 * The Tunnel endpoint is taken to be the REST endpoint's host, which the fixture and
 * single-endpoint deployments use; reading it from GET /projects/<p>/tunnel?service for a
 * separate Tunnel host is not done yet.
 */
const TUNNEL_HEADERS = { "x-odps-tunnel-version": "6", "odps-tunnel-date-transform": "v1" };

const columnSchema = z.object({ name: z.string(), type: z.string(), comment: z.string().optional().nullable(), nullable: z.boolean().optional() });
const sessionSchema = z.object({
    UploadID: z.string(),
    Status: z.string(),
    UploadedBlockList: z.array(z.object({ BlockID: z.number().int() })).default([]),
    Schema: z.object({ columns: z.array(columnSchema), partitionKeys: z.array(columnSchema).default([]) }),
});
const downloadSchema = z.object({
    DownloadID: z.string(),
    Status: z.string(),
    RecordCount: z.number().int().nonnegative(),
    Schema: z.object({ columns: z.array(columnSchema), partitionKeys: z.array(columnSchema).default([]) }),
});

export interface UploadSession {
    id: string;
    status: string;
    /** Blocks the service holds for this session, in id order. */
    blocks: number[];
    /** The data columns the session was opened with: blocks are encoded against these. */
    columns: MaxComputeColumn[];
}

export interface DownloadSession {
    id: string;
    recordCount: number;
    columns: MaxComputeColumn[];
}

/** `partition`: "k1=v1,k2=v2" (values unquoted), for partitioned tables. */
export interface TableTarget {
    table: string;
    partition?: string;
}

export const MAX_BLOCK_ID = 20_000;

const toColumns = (cs: z.output<typeof columnSchema>[]): MaxComputeColumn[] =>
    cs.map((c) => ({ name: c.name, type: c.type, comment: c.comment ?? undefined, nullable: c.nullable }));

export class TunnelClient {
    constructor(private readonly rest: MaxComputeRest, private readonly project: string) {}

    private call(method: "GET" | "POST" | "PUT", t: TableTarget, params: Record<string, string>, body?: Buffer, headers: Record<string, string> = {}): Promise<RestResponse> {
        return this.rest.request({
            method, project: this.project,
            segments: ["projects", pathSegment(this.project, "project"), "tables", pathSegment(t.table, "table")],
            params: { ...params, ...(t.partition ? { partition: t.partition } : {}) },
            headers: { ...TUNNEL_HEADERS, ...headers },
            ...(body ? { body } : {}),
        });
    }

    private json<T>(res: RestResponse, schema: z.ZodType<T>, what: string): T {
        let raw: unknown;
        try {
            raw = JSON.parse(res.body.toString("utf8"));
        } catch {
            throw new MaxComputeClientError(`the ${what} answer is not JSON${res.requestId ? ` (request ${res.requestId})` : ""}`);
        }
        const p = schema.safeParse(raw);
        if (!p.success) throw new MaxComputeClientError(`the ${what} answer is not as expected: ${p.error.issues[0]?.path.join(".")} ${p.error.issues[0]?.message}`);
        return p.data;
    }

    private upload(res: RestResponse, what: string): UploadSession {
        const s = this.json(res, sessionSchema, what);
        return { id: s.UploadID, status: s.Status, blocks: s.UploadedBlockList.map((b) => b.BlockID).sort((a, b) => a - b), columns: toColumns(s.Schema.columns) };
    }

    async createUpload(t: TableTarget, opts: { createPartition?: boolean } = {}): Promise<UploadSession> {
        return this.upload(await this.call("POST", t, { uploads: "", ...(opts.createPartition ? { create_partition: "true" } : {}) }), "upload session");
    }

    async reloadUpload(t: TableTarget, id: string): Promise<UploadSession> {
        return this.upload(await this.call("GET", t, { uploadid: id }), "upload session");
    }

    /** One block; the same id again replaces it (a retried block is not a second copy). */
    async putBlock(t: TableTarget, id: string, blockId: number, bytes: Buffer): Promise<void> {
        if (!Number.isInteger(blockId) || blockId < 0 || blockId >= MAX_BLOCK_ID) throw new MaxComputeClientError(`block id ${blockId} is not in [0, ${MAX_BLOCK_ID})`);
        await this.call("PUT", t, { uploadid: id, blockid: String(blockId) }, bytes, { "content-type": "application/octet-stream" });
    }

    /** Commits after checking that the service holds exactly `sent`; throws naming the blocks to send again otherwise. */
    async commit(t: TableTarget, id: string, sent: readonly number[]): Promise<void> {
        const held = (await this.reloadUpload(t, id)).blocks;
        const want = [...new Set(sent)].sort((a, b) => a - b);
        const missing = want.filter((b) => !held.includes(b));
        const extra = held.filter((b) => !want.includes(b));
        if (missing.length || extra.length) {
            throw new MaxComputeClientError(`upload session ${id} of ${t.table} holds blocks [${held.join(", ")}], not the [${want.join(", ")}] sent` +
                (missing.length ? `: send ${missing.join(", ")} again before committing` : "") + (extra.length ? `; blocks ${extra.join(", ")} were not sent by this writer` : ""));
        }
        await this.call("POST", t, { uploadid: id });
    }

    async createDownload(t: TableTarget): Promise<DownloadSession> {
        const d = this.json(await this.call("POST", t, { downloads: "" }), downloadSchema, "download session");
        return { id: d.DownloadID, recordCount: d.RecordCount, columns: toColumns(d.Schema.columns) };
    }

    /** Records [start, start + count) as one record stream (records.ts reads it). */
    async readRecords(t: TableTarget, id: string, start: number, count: number): Promise<Buffer> {
        return (await this.call("GET", t, { downloadid: id, rowrange: `(${start},${count})` })).body;
    }
}
