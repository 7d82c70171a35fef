/**
 * The MaxCompute destination in the benchmark (issue 11 §5). There is no MaxCompute service
 * here: the destination is the local MaxCompute server (test/harness/maxcompute-server), a
 * test fixture that speaks the REST and Tunnel protocols, run as its own process so the
 * engine's CPU is the engine's alone and the server's is measured apart (for information).
 * Its rows/s is an upper bound set by this machine, not a figure of the service.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { connectionArgsSchema, type ConnectionSpec } from "../sdk/schema/connection";
import { readBlock, RecordSchema } from "../provider/connectors/maxcompute/records";
import { MaxComputeRest } from "../provider/connectors/maxcompute/rest";
import { TunnelClient } from "../provider/connectors/maxcompute/tunnel";
import type { DatasetSize, Fingerprints } from "./dataset";
import { tableNames } from "./dataset";
import { processCpuSeconds } from "./measure";

const repoRoot = resolve(__dirname, "..", "..");
const SERVER_MAIN = join(repoRoot, "dist", "test", "harness", "maxcompute-server", "main.js");
const PROJECT = "bench_mc";
const KEY = { id: "bench-mc-ak", secret: "bench-mc-secret" };

export interface MaxComputeProcess {
    endpoint: string;
    pid: number;
    cpuSeconds(): number;
    stop(): Promise<void>;
}

export async function startMaxComputeProcess(): Promise<MaxComputeProcess> {
    const child: ChildProcess = spawn(process.execPath, ["--max-old-space-size=8192", SERVER_MAIN, "--project", PROJECT, "--access-key-id", KEY.id, "--access-key-secret", KEY.secret],
        { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => { stderr = (stderr + d).slice(-8192); });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const endpoint = await new Promise<string>((ok, fail) => {
        let out = "";
        const timer = setTimeout(() => fail(new Error(`the local MaxCompute server did not start in 30 s: ${stderr}`)), 30_000);
        child.stdout!.on("data", (d) => {
            out += d;
            const line = out.split("\n").find((l) => /^https?:\/\//.test(l.trim()));
            if (line) {
                clearTimeout(timer);
                ok(line.trim());
            }
        });
        child.once("exit", (code) => {
            clearTimeout(timer);
            fail(new Error(`the local MaxCompute server exited with ${code}: ${stderr}`));
        });
    });
    const pid = child.pid!;
    return {
        endpoint,
        pid,
        cpuSeconds: () => processCpuSeconds(pid),
        async stop() {
            child.kill("SIGTERM");
            const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
            await exited;
            clearTimeout(t);
        },
    };
}

export function maxcomputeConnection(endpoint: string): ConnectionSpec & { connectionId: string } {
    return { ...connectionArgsSchema.parse({ engine: "maxcompute", endpoint, project: PROJECT, accessKeyId: KEY.id, accessKeySecret: KEY.secret }), connectionId: "dst" };
}

/** Row count and sums of each `<table>_base`, read back through Tunnel download sessions. */
export async function maxcomputeFingerprints(endpoint: string, size: DatasetSize): Promise<Fingerprints> {
    const rest = new MaxComputeRest({ endpoint, accessKeyId: KEY.id, accessKeySecret: KEY.secret });
    const tunnel = new TunnelClient(rest, PROJECT);
    const out: Fingerprints = {};
    try {
        for (const t of tableNames(size)) {
            const table = `${t}_base`;
            if (!(await rest.tableExists(PROJECT, table))) continue;
            const d = await tunnel.createDownload({ table });
            const schema = RecordSchema.fromTypeText(d.columns);
            const at = (name: string) => d.columns.findIndex((c) => c.name === name);
            const [id, k, c, pad] = ["id", "k", "c", "pad"].map(at);
            let rows = 0n, sumId = 0n, sumK = 0n, lenC = 0n, lenPad = 0n;
            const step = 100_000;
            for (let start = 0; start < d.recordCount; start += step) {
                for (const r of readBlock(schema, await tunnel.readRecords({ table }, d.id, start, Math.min(step, d.recordCount - start)))) {
                    rows++;
                    sumId += BigInt(r[id] as number | bigint);
                    sumK += BigInt(r[k] as number | bigint);
                    lenC += BigInt([...String(r[c])].length);
                    lenPad += BigInt([...String(r[pad])].length);
                }
            }
            out[t] = { rows: String(rows), sumId: String(sumId), sumK: String(sumK), lenC: String(lenC), lenPad: String(lenPad) };
        }
    } finally {
        rest.close();
    }
    return out;
}
