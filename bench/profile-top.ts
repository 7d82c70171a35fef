/**
 * Where a profiled run spent its CPU: the top functions by self time, and by file, of a V8
 * .cpuprofile (node --cpu-prof; in the benchmark BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"
 * profiles each engine run).
 *
 *   node dist/bench/profile-top.js FILE.cpuprofile [N]
 *
 * Self time: samples whose top frame is the function; inclusive time: samples with the function
 * anywhere on the stack (each sample once per function). "(garbage collector)", "(program)" and
 * "(idle)" are V8's own pseudo-frames. Files under node_modules are shown by package path,
 * ours relative to the repository.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

interface ProfileNode {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
}

interface Profile {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
}

const repoRoot = resolve(__dirname, "..", "..");

function where(url: string): string {
    if (!url) return "";
    const path = url.replace(/^file:\/\//, "");
    const nm = path.lastIndexOf("/node_modules/");
    if (nm >= 0) return path.slice(nm + 1);
    if (path.startsWith(repoRoot)) return path.slice(repoRoot.length + 1);
    return path;
}

export function summarize(p: Profile, top = 30): string[] {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    // timeDeltas[i] is the time before sample i; attribute it to sample i.
    p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === "(idle)").reduce((a, [, t]) => a + t, 0);
    const fns = new Map<string, number>();
    const files = new Map<string, number>();
    for (const [id, t] of self) {
        const f = byId.get(id)!.callFrame;
        if (f.functionName === "(idle)") continue;
        const file = where(f.url);
        const key = `${f.functionName || "(anonymous)"}  ${file ? `${file}:${f.lineNumber + 1}` : ""}`;
        fns.set(key, (fns.get(key) ?? 0) + t);
        const group = file ? file.replace(/^(node_modules\/(@[^/]+\/)?[^/]+)\/.*$/, "$1") : f.functionName || "(native)";
        files.set(group, (files.get(group) ?? 0) + t);
    }
    // Inclusive time: each sample counts once for every distinct function on its stack.
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const keyOf = (f: ProfileNode["callFrame"]) => {
        const file = where(f.url);
        return `${f.functionName || "(anonymous)"}  ${file ? `${file}:${f.lineNumber + 1}` : ""}`;
    };
    const incl = new Map<string, number>();
    p.samples.forEach((id, i) => {
        const seen = new Set<string>();
        for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
            const f = byId.get(n)!.callFrame;
            if (f.functionName === "(idle)" || f.functionName === "(root)") continue;
            seen.add(keyOf(f));
        }
        for (const k of seen) incl.set(k, (incl.get(k) ?? 0) + (p.timeDeltas[i] ?? 0));
    });
    const busy = total - idle;
    const pct = (t: number) => `${((t / busy) * 100).toFixed(1).padStart(5)}%`;
    const ms = (t: number) => `${(t / 1000).toFixed(0).padStart(7)} ms`;
    const out = [`busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled (main thread)`, "", "top functions by self time:"];
    for (const [k, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${ms(t)} ${pct(t)}  ${k}`);
    out.push("", "top functions by inclusive time (self + callees):");
    for (const [k, t] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${ms(t)} ${pct(t)}  ${k}`);
    out.push("", "by file / package (self time):");
    for (const [k, t] of [...files].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${ms(t)} ${pct(t)}  ${k}`);
    return out;
}

if (require.main === module) {
    const [file, n] = process.argv.slice(2);
    if (!file) {
        console.error("usage: profile-top.js FILE.cpuprofile [N]");
        process.exit(2);
    }
    for (const line of summarize(JSON.parse(readFileSync(file, "utf8")) as Profile, Number(n ?? 30))) console.log(line);
}
