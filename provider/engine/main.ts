/**
 * The engine process: hosts task runners outside `pulumi up`, so a long full load (and,
 * later, incremental replication) continues after Pulumi exits. Started on demand by the
 * provider or `pulumi-dts engine start`; exits on `pulumi-dts engine stop`.
 */
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { Engine } from "./engine";
import { controlToken, engineHome, ensureHome, writePrivate } from "./home";
import { serveControl } from "./control/server";
import { pingEngine } from "./control/client";

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

async function main(): Promise<void> {
    const home = engineHome();
    ensureHome(home);
    // One engine per home: a second one started in a race leaves.
    if (existsSync(home.pidFile)) {
        const other = Number(readFileSync(home.pidFile, "utf8"));
        if (other !== process.pid && alive(other) && (await pingEngine(home))) {
            console.log(`engine already running as pid ${other}`);
            return;
        }
    }
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
    console.log(`${new Date().toISOString()} engine ${process.pid} listening on ${home.socket}`);
    engine.restore();
}

main().catch((err) => {
    console.error(`engine failed to start: ${(err as Error).stack ?? err}`);
    process.exit(1);
});
