import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The engine's home: task specs (which hold connection secrets), status, checkpoints,
 * logs, the control socket and its token. Everything is owner-only: other users of the
 * machine must not read secrets nor drive the engine.
 */
export interface EngineHome {
    dir: string;
    socket: string;
    tokenFile: string;
    logFile: string;
    pidFile: string;
    tasksDir: string;
    /** Logs of released tasks, kept a while so a create that failed (and was released) can be read. */
    releasedDir: string;
}

export function engineHome(dir = process.env.PULUMI_DTS_HOME ?? join(homedir(), ".pulumi-dts")): EngineHome {
    return {
        dir,
        socket: join(dir, "engine.sock"),
        tokenFile: join(dir, "token"),
        logFile: join(dir, "engine.log"),
        pidFile: join(dir, "engine.pid"),
        tasksDir: join(dir, "tasks"),
        releasedDir: join(dir, "released"),
    };
}

/** Creates the home with owner-only permissions (also tightening an existing one). */
export function ensureHome(home: EngineHome): void {
    for (const d of [home.dir, home.tasksDir]) {
        mkdirSync(d, { recursive: true, mode: 0o700 });
        chmodSync(d, 0o700);
    }
}

/** The per-home control token, created on first use. */
export function controlToken(home: EngineHome): string {
    ensureHome(home);
    if (!existsSync(home.tokenFile)) {
        writeFileSync(home.tokenFile, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
    }
    return readFileSync(home.tokenFile, "utf8").trim();
}

/** Writes a file only its owner can read, atomically (write then rename). */
export function writePrivate(path: string, content: string): void {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, content, { mode: 0o600 });
    renameSync(tmp, path);
}
