/**
 * The local engine's supervisor: the detached process the provider (or `pulumi-dts engine
 * start`) starts. It runs the engine as its child and starts it again when it dies other
 * than by request (a crash, an out-of-memory kill, kill -9), so the tasks resume from their
 * checkpoints within seconds and without any `pulumi` command. A requested stop (`engine
 * stop`, SIGTERM to the supervisor, the home removed) ends both.
 *
 * One supervisor per home, by the same kind of lock as the engine's: an abstract unix
 * socket the kernel releases when the process dies.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { engineHome, ensureHome } from "./home";
import { RestartPolicy } from "./restart-policy";

const log = (line: string) => console.log(`${new Date().toISOString()} supervisor ${process.pid}: ${line}`);

async function lock(home: string): Promise<boolean> {
    const name = `\0pulumi-dts-supervisor-${createHash("sha256").update(resolve(home)).digest("hex").slice(0, 32)}`;
    const server = createServer();
    const ok = await new Promise<boolean>((r) => {
        server.once("error", () => r(false));
        server.listen(name, () => r(true));
    });
    if (ok) server.unref();
    return ok;
}

async function main(): Promise<void> {
    const home = engineHome();
    ensureHome(home);
    if (!(await lock(home.dir))) {
        log(`another supervisor holds ${home.dir}; exiting`);
        return;
    }
    const engineMain = join(__dirname, "main.js");
    let child: ChildProcess | undefined;
    let stopping = false;
    const policy = new RestartPolicy();
    const start = () => {
        const startedAt = Date.now();
        child = spawn(process.execPath, [engineMain], { stdio: "inherit", env: { ...process.env, PULUMI_DTS_SUPERVISOR: String(process.pid) }, cwd: process.cwd() });
        log(`engine ${child.pid} started`);
        child.on("exit", (code, signal) => {
            child = undefined;
            const d = policy.next(code, signal, Date.now() - startedAt, stopping);
            if (!d.restart) {
                log(`${d.reason}; supervisor exiting`);
                process.exit(code === 0 || stopping ? 0 : 1);
            }
            log(`engine exited (${signal ?? `code ${code}`}); starting it again in ${d.delayMs} ms`);
            setTimeout(() => {
                // A home removed meanwhile (a test's temp dir, a user's rm -rf) has nothing left to run.
                if (!existsSync(home.dir)) {
                    log(`home ${home.dir} is gone; supervisor exiting`);
                    process.exit(0);
                }
                if (!stopping) start();
            }, d.delayMs);
        });
    };
    const stop = (why: string) => {
        if (stopping) return;
        stopping = true;
        log(`stopping (${why})`);
        if (!child) process.exit(0);
        // The engine stops its tasks cleanly on SIGTERM and exits; the exit handler above ends us.
        child.kill("SIGTERM");
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    start();
}

main().catch((err) => {
    log(`failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
});
