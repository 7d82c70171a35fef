/**
 * The HTTP side: one POST per operation, authenticated, fault-checked, dispatched, answered with
 * the headers the Java and Python SDKs verify (research §1.3).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { authenticate, contentMd5, responseAuthorization, type AccessKey } from "./auth";
import { NotSupportedByFixture, OtsError, bodyTooLarge, methodNotAllowed, parameterInvalid } from "./errors";
import type { FaultInjector, FaultOutcome } from "./faults";
import type { Limits } from "./limits";
import { KNOWN_UNSUPPORTED, OPERATIONS, type OperationContext, type RequestNote } from "./operations";
import type { Store } from "./store";

export interface RequestLogEntry {
    operation: string;
    status: number;
    /** The OTS error code of a failed request. */
    code?: string;
    /** Rows in a BatchWriteRow / BulkImport / BatchGetRow request. */
    rows?: number;
    tables?: string[];
    /** Request body bytes. */
    bytes: number;
}

export interface HttpServerConfig {
    instanceName: string;
    accessKeys: readonly AccessKey[];
    store: Store;
    limits: Limits;
    faults: FaultInjector;
    now(): number;
    /** Most recent entries kept in the request log. */
    logCapacity: number;
}

/** What one request has revealed so far, for the response and the log. */
interface Exchange {
    operation: string;
    key?: AccessKey;
    fault?: FaultOutcome;
    note: RequestNote;
}

export class OtsHttpServer {
    readonly counts = new Map<string, number>();
    readonly log: RequestLogEntry[] = [];
    private readonly http: Server;

    constructor(private readonly cfg: HttpServerConfig) {
        this.http = createServer((req, res) => this.onRequest(req, res));
        // The SDK keeps connections alive; the service does too. Keep them past the SDK's idle gaps.
        this.http.keepAliveTimeout = 30_000;
    }

    listen(port: number, host: string): Promise<AddressInfo> {
        return new Promise((resolve, reject) => {
            this.http.once("error", reject);
            this.http.listen(port, host, () => {
                this.http.off("error", reject);
                resolve(this.http.address() as AddressInfo);
            });
        });
    }

    close(): Promise<void> {
        return new Promise((resolve) => {
            this.http.close(() => resolve());
            this.http.closeAllConnections();
        });
    }

    private onRequest(req: IncomingMessage, res: ServerResponse): void {
        const chunks: Buffer[] = [];
        let size = 0;
        let tooLarge = Number(req.headers["content-length"] ?? 0) > this.cfg.limits.maxRequestBodyBytes;
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.cfg.limits.maxRequestBodyBytes) tooLarge = true;
            // Keep reading an oversized body to the end (discarding it) so the client gets the 413
            // instead of a broken pipe.
            if (!tooLarge) chunks.push(chunk);
        });
        req.on("end", () => {
            void this.serve(req, res, tooLarge ? undefined : Buffer.concat(chunks), size);
        });
        req.on("error", () => res.destroy());
    }

    private async serve(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, bytes: number): Promise<void> {
        const operation = (req.url ?? "/").split("?")[0].replace(/^\/+/, "").replace(/\/+$/, "");
        this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
        const x: Exchange = { operation, note: {} };
        let status = 200;
        let out: Uint8Array;
        let code: string | undefined;
        try {
            out = this.dispatch(x, req, body);
        } catch (e) {
            if (!(e instanceof OtsError)) {
                // A fixture bug must not pass for a clean service error: a 500, and the cause on stderr.
                console.error("tablestore-server: internal error", e);
            }
            const err = e instanceof OtsError ? e : new OtsError(500, "OTSInternalServerError", "Internal server error.");
            status = err.status;
            code = err.code;
            out = err.body();
        }
        const reset = x.fault?.reset ?? false;
        if (x.fault?.delayMs) await new Promise((r) => setTimeout(r, x.fault?.delayMs));
        this.record({ operation, status: reset ? 0 : status, bytes, ...(code && !reset ? { code } : {}), ...x.note });
        if (reset) {
            res.socket?.destroy();
            return;
        }
        this.send(res, operation, status, out, x.key);
    }

    /** Runs one request; throws the OtsError the service would answer with. */
    private dispatch(x: Exchange, req: IncomingMessage, body: Buffer | undefined): Uint8Array {
        if (req.method !== "POST") throw methodNotAllowed();
        if (body === undefined) throw bodyTooLarge();
        const handler = OPERATIONS[x.operation];
        if (!handler && !KNOWN_UNSUPPORTED.has(x.operation)) throw parameterInvalid(`Unsupported operation: ${x.operation}.`);
        x.key = authenticate(x.operation, req.headers, body, { ...this.cfg, maxClockSkewMs: this.cfg.limits.maxClockSkewMs });
        if (!handler) throw new NotSupportedByFixture(`the ${x.operation} operation`);
        const fault = (x.fault = this.cfg.faults.forRequest(x.operation));
        if (fault && !fault.applied) {
            if (fault.error) throw fault.error;
            if (fault.reset) return Buffer.alloc(0);
        }
        const ctx: OperationContext = { store: this.cfg.store, limits: this.cfg.limits, faults: this.cfg.faults, now: this.cfg.now, note: x.note };
        let out: Uint8Array;
        try {
            out = handler(body, ctx);
        } finally {
            // Whatever a handler changed is journaled, even if it then failed (a batch keeps its applied rows).
            this.cfg.store.committed();
        }
        if (fault?.error) throw fault.error;
        return out;
    }

    private record(entry: RequestLogEntry): void {
        this.log.push(entry);
        if (this.log.length > this.cfg.logCapacity) this.log.splice(0, this.log.length - this.cfg.logCapacity);
    }

    private send(res: ServerResponse, operation: string, status: number, out: Uint8Array, key: AccessKey | undefined): void {
        const body = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
        const headers: Record<string, string> = {
            "x-ots-contentmd5": contentMd5(body),
            "x-ots-contenttype": "protocol buffer",
            "x-ots-date": new Date(this.cfg.now()).toISOString(),
            "x-ots-requestid": randomUUID(),
        };
        // Signed with the caller's secret, so only once the AccessKey is known (not on an auth failure).
        if (key) headers.authorization = responseAuthorization(key, operation, headers);
        res.writeHead(status, { ...headers, "content-length": String(body.length) });
        res.end(body);
    }
}
