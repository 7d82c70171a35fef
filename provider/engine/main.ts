/**
 * The engine process: hosts task runners outside `pulumi up`, so a long full load (and,
 * later, incremental replication) continues after Pulumi exits. Started on demand by the
 * provider or `pulumi-dts engine start`; exits on `pulumi-dts engine stop`.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { Engine } from "./engine";
import { controlToken, engineHome, ensureHome, writePrivate } from "./home";
import { serveControl } from "./control/server";

async function main(): Promise<void> {
    const home = engineHome();
    ensureHome(home);
    // One engine per home. The lock is an abstract unix socket named after the home: binding
    // it is atomic and the kernel releases it when the process dies (even by kill -9), so two
    // engines started in a race can never both run the same tasks.
    const lockName = `\0pulumi-dts-engine-${createHash("sha256").update(resolve(home.dir)).digest("hex").slice(0, 32)}`;
    const lock = createServer();
    const locked = await new Promise<boolean>((ok) => {
        lock.once("error", () => ok(false));
        lock.listen(lockName, () => ok(true));
    });
    if (!locked) {
        console.log(`${new Date().toISOString()} another engine holds ${home.dir}; exiting`);
        return;
    }
    lock.unref();
    writePrivate(home.pidFile, String(process.pid));
    const token = controlToken(home);
    let shuttingDown = false;
    const engine: Engine = new Engine(home, () => void shutdown("requested"));
    const server = await serveControl(home, token, (req) => engine.handle(req));
    const shutdown = async (why: string) => {
        if (shuttingDown) return;
        shuttingDown = true;
        console.log(`${new Date().toISOString()} engine stopping (${why})`);
        server.close();
        await engine.stopAll();
        try {
            if (readFileSync(home.pidFile, "utf8") === String(process.pid)) unlinkSync(home.pidFile);
            unlinkSync(home.socket);
        } catch {
            /* already gone */
        }
        process.exit(0);
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
    process.on("unhandledRejection", (err) => console.error(`${new Date().toISOString()} unhandled: ${(err as Error)?.stack ?? err}`));
    // A home that was removed (a test's temp dir, a user's rm -rf) leaves nothing to serve.
    setInterval(() => {
        if (!existsSync(home.dir)) void shutdown("home removed");
    }, 5000).unref();
    console.log(`${new Date().toISOString()} engine ${process.pid} listening on ${home.socket}`);
    engine.restore();
    setInterval(() => {
        try {
            engine.writeMetrics();
        } catch (err) {
            console.error(`${new Date().toISOString()} metrics: ${(err as Error).message}`);
        }
        engine.sampleHistory();
    }, 1000).unref();
}

main().catch((err) => {
    console.error(`engine failed to start: ${(err as Error).stack ?? err}`);
    process.exit(1);
});
