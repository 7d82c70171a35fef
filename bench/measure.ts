import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
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
                let exitCode = code;
                if (hasGnuTime && existsSync(timeFile)) {
                    const t = readFileSync(timeFile, "utf8");
                    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(t);
                    if (m) maxRssKb = Number(m[1]);
                    // GNU time exits with the command's status; "Command terminated by signal N" otherwise.
                    const sig = /Command terminated by signal (\d+)/.exec(t);
                    if (sig) exitCode = 128 + Number(sig[1]);
                }
                resolve({ wallSeconds, maxRssKb, exitCode, signal, stdout, stderr });
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
