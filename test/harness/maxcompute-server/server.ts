/**
 * A local MaxCompute server for tests: a fixture, not the service. One HTTP server is both
 * the REST endpoint (under /api) and the Tunnel endpoint, and checks requests the way the
 * service does (research maxcompute.md §6): the v2 signature recomputed from the request,
 * the Date header, the tunnel version header, names against the limits, block ids in
 * [0, 20000), every record's CRC and the block trailer, field numbers and wire types against
 * the session's schema, partitions that exist unless create_partition is set. Blocks become
 * visible only at commit, and a session keeps the schema it was opened with. Instances run
 * only the DDL the connector emits (ddl.ts), at once or after N polls "Running". Faults can
 * be injected: 5xx answers, a connection dropped mid-block, a refused commit, a commit
 * applied whose answer is lost.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ColumnDef, DdlError, parseStatements } from "./ddl";
import { type CellValue, decodeBlock, encodeBlock, RecordFormatError } from "./records";
import { checkSignature } from "./signature";

export interface MaxComputeTable {
    name: string;
    columns: ColumnDef[];
    partitionKeys: ColumnDef[];
    /** Committed rows by partition spec ("" when not partitioned; "k1=v1,k2=v2" otherwise). */
    partitions: Map<string, CellValue[][]>;
}

interface UploadSession {
    id: string;
    table: string;
    partition: string;
    /** The data columns when the session was opened: a later ADD COLUMNS does not change it. */
    columns: ColumnDef[];
    blocks: Map<number, CellValue[][]>;
    status: "NORMAL" | "CLOSED";
}

export interface FaultPlan {
    /** The next N requests (of any kind) answer 500. */
    errors?: number;
    /** The next block upload's connection is destroyed after its body is read, before answering. */
    dropNextBlock?: boolean;
    /** The next commit is refused (500 with a code). */
    refuseNextCommit?: boolean;
    /** The next commit is applied, then its connection is destroyed before the answer (the client cannot tell). */
    dropCommitAnswer?: boolean;
}

export interface MaxComputeServerOptions {
    project: string;
    accessKeys: { id: string; secret: string }[];
    /** Instances stay "Running" this many polls before they finish. */
    runningPolls?: number;
    /** Where to listen (default 127.0.0.1, a free port). */
    host?: string;
    port?: number;
}

export interface MaxComputeServer {
    /** The REST endpoint, http://127.0.0.1:<port>/api. */
    endpoint: string;
    project: string;
    tables: Map<string, MaxComputeTable>;
    /** Committed rows of a table, every partition, with the partition values appended. */
    rows(table: string): CellValue[][];
    faults: FaultPlan;
    /** Every request the fixture answered: method and path with query. */
    requests: string[];
    close(): Promise<void>;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function xmlEscape(s: string): string {
    return s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);
}

export async function startMaxComputeServer(o: MaxComputeServerOptions): Promise<MaxComputeServer> {
    const keys = new Map(o.accessKeys.map((k) => [k.id, k.secret]));
    const tables = new Map<string, MaxComputeTable>();
    const sessions = new Map<string, UploadSession>();
    const instances = new Map<string, { polls: number; ok: boolean; result: string }>();
    const faults: FaultPlan = {};
    const requests: string[] = [];
    let host = "";

    const fail = (res: ServerResponse, status: number, code: string, message: string, json = false) => {
        const requestId = randomBytes(8).toString("hex");
        const body = json ? JSON.stringify({ Code: code, Message: message, RequestId: requestId })
            : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId><HostId>${host}</HostId></Error>`;
        res.writeHead(status, { "Content-Type": json ? "application/json" : "application/xml", "x-odps-request-id": requestId });
        res.end(body);
    };
    const table = (name: string) => tables.get(name.toLowerCase());
    const schemaJson = (t: MaxComputeTable, columns = t.columns) => ({
        columns: columns.map((c) => ({ name: c.name, type: c.type.toLowerCase(), comment: c.comment ?? "", nullable: true })),
        partitionKeys: t.partitionKeys.map((c) => ({ name: c.name, type: c.type.toLowerCase(), comment: c.comment ?? "" })),
    });
    const partitionOf = (t: MaxComputeTable, q: URLSearchParams): string => {
        const p = (q.get("partition") ?? "").replace(/['"]/g, "");
        if (!t.partitionKeys.length) {
            if (p) throw new HttpFail(400, "InvalidPartitionSpec", `table ${t.name} is not partitioned`);
            return "";
        }
        const spec = p.split(",").filter(Boolean).map((kv) => kv.split("="));
        const names = spec.map(([k]) => k.toLowerCase());
        if (names.join(",") !== t.partitionKeys.map((k) => k.name.toLowerCase()).join(",")) {
            throw new HttpFail(400, "InvalidPartitionSpec", `partition ${p} does not name the partition columns ${t.partitionKeys.map((k) => k.name).join(", ")}`);
        }
        return spec.map(([k, v]) => `${k.toLowerCase()}=${v}`).join(",");
    };

    const runSql = (sql: string): { ok: boolean; result: string } => {
        try {
            for (const s of parseStatements(sql)) {
                const t = table(s.table);
                if (!NAME.test(s.table) || Buffer.byteLength(s.table) > 128) return { ok: false, result: `ODPS-0130071:Semantic analysis exception - invalid table name ${s.table}` };
                if (s.kind === "create") {
                    if (t) {
                        if (s.ifNotExists) continue;
                        return { ok: false, result: `ODPS-0130071:Semantic analysis exception - Table or view already exists - ${o.project}.${s.table}` };
                    }
                    for (const c of [...s.columns, ...s.partitionKeys]) if (Buffer.byteLength(c.name) > 128) return { ok: false, result: `ODPS-0130071:column name ${c.name} is too long` };
                    tables.set(s.table.toLowerCase(), { name: s.table, columns: s.columns, partitionKeys: s.partitionKeys, partitions: new Map(s.partitionKeys.length ? [] : [["", []]]) });
                } else if (s.kind === "add-columns") {
                    if (!t) return { ok: false, result: `ODPS-0130131:Table not found - ${s.table}` };
                    for (const c of s.columns) {
                        if (t.columns.some((x) => x.name.toLowerCase() === c.name.toLowerCase())) {
                            if (s.ifNotExists) continue;
                            return { ok: false, result: `ODPS-0130071:column ${c.name} already exists` };
                        }
                        t.columns.push(c);
                        for (const rows of t.partitions.values()) for (const r of rows) r.push(null);
                    }
                } else if (s.kind === "add-partition") {
                    if (!t) return { ok: false, result: `ODPS-0130131:Table not found - ${s.table}` };
                    const spec = s.spec.map(([k, v]) => `${k.toLowerCase()}=${v}`).join(",");
                    if (t.partitions.has(spec) && !s.ifNotExists) return { ok: false, result: `ODPS-0130071:partition ${spec} exists` };
                    if (!t.partitions.has(spec)) t.partitions.set(spec, []);
                } else if (s.kind === "drop-partition") {
                    if (!t) return { ok: false, result: `ODPS-0130131:Table not found - ${s.table}` };
                    const spec = s.spec.map(([k, v]) => `${k.toLowerCase()}=${v}`).join(",");
                    if (!t.partitions.has(spec) && !s.ifExists) return { ok: false, result: `ODPS-0130071:partition ${spec} does not exist` };
                    t.partitions.delete(spec);
                } else if (s.kind === "drop") {
                    if (!t && !s.ifExists) return { ok: false, result: `ODPS-0130131:Table not found - ${s.table}` };
                    tables.delete(s.table.toLowerCase());
                }
            }
            return { ok: true, result: "OK" };
        } catch (err) {
            if (err instanceof DdlError) return { ok: false, result: `ODPS-0130161:Parse exception - ${err.message}` };
            throw err;
        }
    };

    const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
        const url = new URL(req.url ?? "/", "http://fixture");
        const method = req.method ?? "GET";
        requests.push(`${method} ${url.pathname}${url.search}`);
        if (faults.errors && faults.errors > 0) {
            faults.errors--;
            return fail(res, 500, "InternalServerError", "injected fault");
        }
        const auth = checkSignature(method, url.pathname, url.searchParams, req.headers, keys);
        if (!auth.ok) return fail(res, auth.code === "InvalidRequest" ? 400 : 403, auth.code, auth.message);
        const path = url.pathname.replace(/^\/api(?=\/)/, "");
        const q = url.searchParams;
        let m: RegExpExecArray | null;
        if (!(m = /^\/projects\/([^/]+)(\/.*)?$/.exec(path))) return fail(res, 404, "NoSuchObject", `no resource ${path}`);
        if (m[1] !== o.project) return fail(res, 404, "NoSuchProject", `project ${m[1]} does not exist`);
        const rest = m[2] ?? "";
        if (rest === "" && method === "GET") {
            res.writeHead(200, { "Content-Type": "application/xml" });
            return res.end(`<?xml version="1.0" encoding="UTF-8"?><Project><Name>${xmlEscape(o.project)}</Name><Owner>ALIYUN$fixture</Owner><State>AVAILABLE</State></Project>`);
        }
        if (rest === "/tunnel" && q.has("service")) {
            res.writeHead(200, { "Content-Type": "text/plain" });
            return res.end(host);
        }
        if (rest === "/instances" && method === "POST") {
            const sql = /<Query><!\[CDATA\[([\s\S]*?)\]\]><\/Query>/.exec(body.toString("utf8"))?.[1];
            if (!sql) return fail(res, 400, "InvalidXmlFormat", "no SQL task Query in the job");
            if (!/odps\.sql\.type\.system\.odps2/.test(body.toString("utf8"))) return fail(res, 400, "InvalidParameter", "the fixture expects the odps2 type-system hint with every SQL job");
            const id = `fixture${Date.now()}${randomBytes(4).toString("hex")}`;
            instances.set(id, { polls: o.runningPolls ?? 0, ...runSql(sql) });
            res.writeHead(201, { Location: `http://${host}/api/projects/${o.project}/instances/${id}` });
            return res.end();
        }
        if ((m = /^\/instances\/([^/]+)$/.exec(rest)) && method === "GET") {
            const inst = instances.get(m[1]);
            if (!inst) return fail(res, 404, "NoSuchObject", `instance ${m[1]} does not exist`);
            const running = inst.polls > 0;
            if (q.has("taskstatus") || !q.has("result")) {
                if (running) inst.polls--;
                res.writeHead(200, { "Content-Type": "application/xml" });
                const status = running ? "Running" : "Terminated";
                const task = running ? "Running" : inst.ok ? "Success" : "Failed";
                return res.end(`<?xml version="1.0" encoding="UTF-8"?><Instance><Status>${status}</Status><Tasks><Task Type="SQL"><Name>AnonymousSQLTask</Name><Status>${task}</Status></Task></Tasks></Instance>`);
            }
            res.writeHead(200, { "Content-Type": "application/xml" });
            return res.end(`<?xml version="1.0" encoding="UTF-8"?><Instance><Tasks><Task Type="SQL"><Name>AnonymousSQLTask</Name><Result Format="text"><![CDATA[${inst.result}]]></Result></Task></Tasks></Instance>`);
        }
        if (!(m = /^\/tables\/([^/]+)$/.exec(rest))) return fail(res, 404, "NoSuchObject", `no resource ${path}`);
        const t = table(m[1]);
        if (!t) return fail(res, 404, "NoSuchTable", `ODPS-0130131:Table not found - ${o.project}.${m[1]}`, q.has("uploads") || q.has("uploadid") || q.has("downloads"));
        const tunnel = q.has("uploads") || q.has("uploadid") || q.has("downloads") || q.has("downloadid");
        if (!tunnel && method === "GET") {
            res.writeHead(200, { "Content-Type": "application/xml" });
            return res.end(`<?xml version="1.0" encoding="UTF-8"?><Table><Name>${xmlEscape(t.name)}</Name><TableId>${t.name}</TableId><Schema><![CDATA[${JSON.stringify(schemaJson(t))}]]></Schema></Table>`);
        }
        if (req.headers["x-odps-tunnel-version"] === undefined) return fail(res, 400, "InvalidArgument", "x-odps-tunnel-version is missing", true);
        const json = (status: number, v: unknown) => {
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(JSON.stringify(v));
        };
        const sessionView = (s: UploadSession) => ({
            UploadID: s.id, Status: s.status, UploadedBlockList: [...s.blocks.keys()].sort((a, b) => a - b).map((b) => ({ BlockID: b })),
            Schema: schemaJson(t, s.columns), MaxFieldSize: 8 * 1024 * 1024,
        });
        if (q.has("uploads") && method === "POST") {
            const partition = partitionOf(t, q);
            if (partition && !t.partitions.has(partition)) {
                if (q.get("create_partition") === "true") t.partitions.set(partition, []);
                else return fail(res, 400, "NoSuchPartition", `partition ${partition} does not exist (create_partition not set)`, true);
            }
            const s: UploadSession = { id: randomBytes(12).toString("hex"), table: t.name, partition, columns: [...t.columns], blocks: new Map(), status: "NORMAL" };
            sessions.set(s.id, s);
            return json(201, sessionView(s));
        }
        if (q.has("uploadid")) {
            const s = sessions.get(q.get("uploadid")!);
            if (!s || s.table.toLowerCase() !== t.name.toLowerCase()) return fail(res, 404, "NoSuchUpload", `upload session ${q.get("uploadid")} does not exist`, true);
            if (method === "GET") return json(200, sessionView(s));
            if (method === "PUT" && q.has("blockid")) {
                if (s.status !== "NORMAL") return fail(res, 400, "InvalidStatusChange", "the session is committed: no more blocks", true);
                const block = Number(q.get("blockid"));
                if (!Number.isInteger(block) || block < 0 || block >= 20000) return fail(res, 400, "InvalidBlockID", `block id ${q.get("blockid")} is not in [0, 20000)`, true);
                let records: CellValue[][];
                try {
                    records = decodeBlock(body, s.columns.map((c) => c.type)).records;
                } catch (err) {
                    if (err instanceof RecordFormatError) return fail(res, 400, "MalformedDataStream", err.message, true);
                    throw err;
                }
                if (faults.dropNextBlock) {
                    faults.dropNextBlock = false;
                    return req.socket.destroy();
                }
                s.blocks.set(block, records);
                return json(200, {});
            }
            if (method === "POST") {
                if (faults.refuseNextCommit) {
                    faults.refuseNextCommit = false;
                    return fail(res, 500, "InternalServerError", "injected: commit refused", true);
                }
                if (s.status !== "NORMAL") return fail(res, 400, "InvalidStatusChange", "the session is already committed", true);
                s.status = "CLOSED";
                const rows = t.partitions.get(s.partition) ?? [];
                for (const b of [...s.blocks.keys()].sort((a, c) => a - c)) {
                    for (const r of s.blocks.get(b)!) rows.push([...r, ...new Array(t.columns.length - s.columns.length).fill(null)]);
                }
                t.partitions.set(s.partition, rows);
                if (faults.dropCommitAnswer) {
                    faults.dropCommitAnswer = false;
                    return req.socket.destroy();
                }
                return json(200, sessionView(s));
            }
        }
        if (q.has("downloads") && method === "POST") {
            const partition = partitionOf(t, q);
            const rows = t.partitions.get(partition) ?? [];
            const id = randomBytes(12).toString("hex");
            downloads.set(id, { table: t.name, rows: rows.map((r) => [...r]), types: t.columns.map((c) => c.type) });
            return json(201, { DownloadID: id, Status: "NORMAL", RecordCount: rows.length, Schema: schemaJson(t) });
        }
        if (q.has("downloadid") && method === "GET") {
            const d = downloads.get(q.get("downloadid")!);
            if (!d) return fail(res, 404, "NoSuchDownload", `download session ${q.get("downloadid")} does not exist`, true);
            const range = /^\((\d+),(\d+)\)$/.exec(q.get("rowrange") ?? "");
            if (!range) return fail(res, 400, "InvalidRowRange", "rowrange must be (start,count)", true);
            const block = encodeBlock(d.rows.slice(Number(range[1]), Number(range[1]) + Number(range[2])), d.types);
            res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(block.length) });
            return res.end(block);
        }
        return fail(res, 405, "MethodNotAllowed", `${method} ${path}${url.search} is not served by the fixture`);
    };
    const downloads = new Map<string, { table: string; rows: CellValue[][]; types: string[] }>();

    const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            handle(req, res, Buffer.concat(chunks)).catch((err) => {
                if (err instanceof HttpFail) return fail(res, err.status, err.code, err.message, true);
                fail(res, 500, "InternalServerError", `fixture: ${(err as Error).message}`);
            });
        });
    });
    await new Promise<void>((r) => server.listen(o.port ?? 0, o.host ?? "127.0.0.1", () => r()));
    host = `${o.host ?? "127.0.0.1"}:${(server.address() as AddressInfo).port}`;
    return {
        endpoint: `http://${host}/api`,
        project: o.project,
        tables,
        rows(name) {
            const t = table(name);
            if (!t) return [];
            const out: CellValue[][] = [];
            for (const [spec, rows] of t.partitions) {
                const values = spec ? spec.split(",").map((kv) => kv.split("=")[1]) : [];
                for (const r of rows) out.push([...r, ...values]);
            }
            return out;
        },
        faults,
        requests,
        close: () => new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
        }),
    };
}

class HttpFail extends Error {
    constructor(readonly status: number, readonly code: string, message: string) {
        super(message);
    }
}
