import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** GNU time, when installed: gives the peak RSS of any command, ours and the peers alike. */
const GNU_TIME = "/usr/bin/time";
export const hasGnuTime = existsSync(GNU_TIME);

export interface Measured {
    /** Wall seconds from spawn to exit, as seen by this process. */
    wallSeconds: number;
    /** Peak resident set size of the process in KiB (GNU time's "Maximum resident set size"); null if unknown. */
    maxRssKb: number | null;
    /** User + system CPU seconds of the command and its children (GNU time); null if unknown. */
    cpuSeconds: number | null;
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs a command to completion, timing its wall clock and (through /usr/bin/time -v)
 * its peak RSS. Output is collected (and the tail echoed on failure by the caller).
 */
export async function measure(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<Measured> {
    const dir = mkdtempSync(join(tmpdir(), "bench-time-"));
    const timeFile = join(dir, "time.txt");
    const [file, argv] = hasGnuTime ? [GNU_TIME, ["-v", "-o", timeFile, cmd, ...args]] : [cmd, args];
    const started = process.hrtime.bigint();
    try {
        return await new Promise<Measured>((resolve, reject) => {
            const child = spawn(file, argv, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => { stdout = keepTail(stdout + d); });
            child.stderr.on("data", (d) => { stderr = keepTail(stderr + d); });
            const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
            child.on("error", reject);
            child.on("close", (code, signal) => {
                if (timer) clearTimeout(timer);
                const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
                let maxRssKb: number | null = null;
                let cpuSeconds: number | null = null;
                let exitCode = code;
                if (hasGnuTime && existsSync(timeFile)) {
                    const t = readFileSync(timeFile, "utf8");
                    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(t);
                    if (m) maxRssKb = Number(m[1]);
                    const u = /User time \(seconds\): ([\d.]+)/.exec(t);
                    const sy = /System time \(seconds\): ([\d.]+)/.exec(t);
                    if (u && sy) cpuSeconds = Number(u[1]) + Number(sy[1]);
                    // GNU time exits with the command's status; "Command terminated by signal N" otherwise.
                    const sig = /Command terminated by signal (\d+)/.exec(t);
                    if (sig) exitCode = 128 + Number(sig[1]);
                }
                resolve({ wallSeconds, maxRssKb, cpuSeconds, exitCode, signal, stdout, stderr });
            });
        });
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** Keeps the last 64 KiB of a stream: enough for errors and summaries, bounded for chatty tools. */
function keepTail(s: string): string {
    return s.length > 65536 ? s.slice(-65536) : s;
}

export function tail(s: string, lines = 15): string {
    return s.trimEnd().split("\n").slice(-lines).map((l) => `    | ${l}`).join("\n");
}

/* ---------- other load on the machine ---------- */

const TICK = 100; // USER_HZ: /proc reports CPU times in 1/100 s on Linux

/** CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq) since boot; null off Linux. */
export function machineBusySeconds(): number | null {
    try {
        const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
        const [user, nice, system, , , irq, softirq] = f;
        return (user + nice + system + irq + softirq) / TICK;
    } catch {
        return null;
    }
}

/** CPU seconds of a process, with its reaped children (PostgreSQL's postmaster collects its backends'). */
export function processCpuSeconds(pid: number): number {
    try {
        const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
        return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICK;
    } catch {
        return 0;
    }
}

/** Children still running (PostgreSQL backends and auxiliary processes), whose time the parent has not collected yet. */
export function childPids(parent: number): number[] {
    const out: number[] = [];
    try {
        for (const d of readdirSync("/proc")) {
            if (!/^\d+$/.test(d)) continue;
            try {
                const ppid = Number(readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1].split(" ")[1]);
                if (ppid === parent) out.push(Number(d));
            } catch {
                /* gone */
            }
        }
    } catch {
        /* no /proc */
    }
    return out;
}

/**
 * Waits (up to `maxMs`) until the machine is quiet: less than a fifth of a core busy over a
 * second while our servers are idle. The benchmark shares its cores with whatever else runs
 * here; a run that starts under someone else's load measures that load.
 */
export async function waitForQuiet(maxMs: number): Promise<{ waitedMs: number; busyCores: number | null }> {
    const start = Date.now();
    for (;;) {
        const a = machineBusySeconds();
        await new Promise((r) => setTimeout(r, 1000));
        const b = machineBusySeconds();
        if (a === null || b === null) return { waitedMs: 0, busyCores: null };
        const busy = b - a;
        if (busy < 0.2 || Date.now() - start >= maxMs) return { waitedMs: Math.max(0, Date.now() - start - 1000), busyCores: busy };
    }
}
