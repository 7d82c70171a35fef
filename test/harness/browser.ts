/** Debian's chromium, driven by its own command line (no driver): the dashboard tests' real browser. */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function findChromium(): string | undefined {
    for (const name of ["chromium", "chromium-browser"]) {
        const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
        if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
    }
    return undefined;
}


/** One chromium run with a profile of its own (its cookie jar starts empty: each run logs in with its own link). */
export function browseWith(chromium: string, url: string, action: string[]): Promise<string> {
    const profile = mkdtempSync(join(tmpdir(), "dts-chromium-"));
    const args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
        `--user-data-dir=${profile}`, "--virtual-time-budget=5000", ...action, url];
    return new Promise((ok, fail) => {
        execFile(chromium, args, { timeout: 30_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
            rmSync(profile, { recursive: true, force: true });
            if (err) fail(new Error(`chromium failed: ${err.message}\n${stderr.slice(-2000)}`));
            else ok(stdout);
        });
    });
}

