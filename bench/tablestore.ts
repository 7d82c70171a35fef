/**
 * The Tablestore destination in the benchmark (issue 9 §6). There is no Tablestore service
 * here: the destination is the local Tablestore server (test/harness/tablestore-server), a test
 * fixture that speaks the service's wire protocol to the official SDK. It runs as its own
 * process (its CLI, in memory, no data file), so
 *   - the engine's CPU is the engine's alone (a server in the bench or engine process would
 *     add its request decoding and storing to the engine's process.cpuUsage()), and
 *   - the server's CPU is measured on its own, from /proc, and printed for information.
 * Its rows/s is an upper bound set by this machine (the fixture and the engine share its cores),
 * not a figure of the service.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { connectionArgsSchema, type ConnectionSpec, type TablestoreConnectionSpec } from "../sdk/schema/connection";
import { TablestoreClient, INF_MAX, INF_MIN, type RangeBound, type TsValue } from "../provider/connectors/tablestore/client";
import { int64ToBigInt, isInt64 } from "../provider/connectors/tablestore/sdk";
import type { DatasetSize, Fingerprints } from "./dataset";
import { tableNames } from "./dataset";
import { processCpuSeconds } from "./measure";

const repoRoot = resolve(__dirname, "..", "..");
const SERVER_MAIN = join(repoRoot, "dist", "test", "harness", "tablestore-server", "main.js");
export const OTS_INSTANCE = "bench-ots";
const OTS_KEY = { id: "bench-ak", secret: "bench-secret" };

export interface TablestoreProcess {
    endpoint: string;
    pid: number;
    /** CPU seconds of the server process so far (user + system, from /proc). */
    cpuSeconds(): number;
    /** Peak resident set size so far, KiB (VmHWM), or null. */
    peakRssKb(): number | null;
    /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
    stop(): Promise<void>;
}

/**
 * Starts the local Tablestore server as its own node process, in memory (no data file: nothing
 * is written to disk, so the disk does not set the pace). The whole standard data set is held
 * in that process's heap (about 1 GB for 1,000,000 rows), hence the larger heap limit.
 */
export async function startTablestoreProcess(): Promise<TablestoreProcess> {
    const child: ChildProcess = spawn(process.execPath, [
        "--max-old-space-size=8192", SERVER_MAIN, "--port", "0", "--instance", OTS_INSTANCE,
        "--access-key-id", OTS_KEY.id, "--access-key-secret", OTS_KEY.secret, "--durability", "on-close",
    ], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => { stderr = (stderr + d).slice(-8192); });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const endpoint = await new Promise<string>((resolveEndpoint, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`the local Tablestore server did not start in 30 s: ${stderr}`)), 30_000);
        child.stdout!.on("data", (d) => {
            out += d;
            const line = out.split("\n").find((l) => /^https?:\/\//.test(l.trim()));
            if (line) {
                clearTimeout(timer);
                resolveEndpoint(line.trim());
            }
        });
        child.once("exit", (code, signal) => {
            clearTimeout(timer);
            reject(new Error(`the local Tablestore server exited with ${code ?? signal} before listening: ${stderr}`));
        });
    });
    const pid = child.pid!;
    return {
        endpoint,
        pid,
        cpuSeconds: () => processCpuSeconds(pid),
        peakRssKb: () => {
            try {
                const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
                return m ? Number(m[1]) : null;
            } catch {
                return null;
            }
        },
        stop: async () => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
            await exited;
            clearTimeout(timer);
        },
    };
}

export function tablestoreConnection(endpoint: string): ConnectionSpec & { connectionId: string } {
    return {
        ...connectionArgsSchema.parse({ engine: "tablestore", endpoint, instanceName: OTS_INSTANCE, accessKeyId: OTS_KEY.id, accessKeySecret: OTS_KEY.secret }),
        connectionId: "dst",
    };
}

export function tablestoreClientFor(endpoint: string): TablestoreClient {
    const spec = tablestoreConnection(endpoint) as TablestoreConnectionSpec;
    return new TablestoreClient(
        { endpoint: spec.endpoint, instanceName: spec.instanceName, accessKeyId: spec.accessKeyId, accessKeySecret: spec.accessKeySecret },
        { timeoutMs: 120_000 },
    );
}

const int = (v: TsValue | undefined): bigint => {
    if (v !== undefined && isInt64(v)) return int64ToBigInt(v);
    throw new Error(`expected an INTEGER, got ${typeof v}`);
};
const str = (v: TsValue | undefined): string => {
    if (typeof v === "string") return v;
    throw new Error(`expected a STRING, got ${typeof v}`);
};

/** Every row of a table in key order, page by page, through the official SDK (GetRange). */
export async function* scanTable(client: TablestoreClient, table: string, columns?: string[]): AsyncGenerator<Map<string, TsValue>> {
    const desc = await client.describeTable(table);
    const start: RangeBound = desc.primaryKey.map((k) => [k.name, INF_MIN]);
    const end: RangeBound = desc.primaryKey.map((k) => [k.name, INF_MAX]);
    for await (const page of client.getRange(table, start, end, 5000, columns)) {
        for (const r of page) yield new Map([...r.primaryKey, ...r.attributes]);
    }
}

/**
 * The sysbench fingerprints (bench/dataset.ts) of the Tablestore tables sbtest1..N, read back
 * through the SDK: id and k are INTEGER, c and pad STRING (the type map of INT and CHAR).
 */
export async function tablestoreFingerprints(endpoint: string, size: DatasetSize): Promise<Fingerprints> {
    const client = tablestoreClientFor(endpoint);
    const out: Fingerprints = {};
    try {
        const present = new Set(await client.listTables());
        for (const t of tableNames(size)) {
            if (!present.has(t)) continue;
            let rows = 0n, sumId = 0n, sumK = 0n, lenC = 0n, lenPad = 0n;
            for await (const r of scanTable(client, t)) {
                rows++;
                sumId += int(r.get("id"));
                sumK += int(r.get("k"));
                // CHAR_LENGTH: characters, not bytes (the data set is ASCII, but count as MySQL does).
                lenC += BigInt([...str(r.get("c"))].length);
                lenPad += BigInt([...str(r.get("pad"))].length);
            }
            out[t] = { rows: String(rows), sumId: String(sumId), sumK: String(sumK), lenC: String(lenC), lenPad: String(lenPad) };
        }
    } finally {
        client.close();
    }
    return out;
}

/** Row count and SUM(k) of a Tablestore table (the incremental benchmark's check). */
export async function tablestoreCountAndSumK(client: TablestoreClient, table: string): Promise<{ n: number; k: string }> {
    let n = 0;
    let k = 0n;
    for await (const r of scanTable(client, table, ["k"])) {
        n++;
        k += int(r.get("k"));
    }
    return { n, k: String(k) };
}
