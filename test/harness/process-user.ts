import { execFileSync } from "node:child_process";
import { chownSync } from "node:fs";

/**
 * Database servers refuse to run as root (and should not). When the harness runs as
 * root, servers run as an unprivileged account; otherwise as the current user.
 */
export interface RunAs {
    uid?: number;
    gid?: number;
    name: string;
}

export function serverUser(): RunAs {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) {
        return { name: process.env.USER ?? "current user" };
    }
    const name = process.env.PULUMI_DTS_TEST_SERVER_USER ?? "nobody";
    const uid = Number(execFileSync("id", ["-u", name]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", name]).toString().trim());
    return { uid, gid, name };
}

/** Hands a directory tree to the server user. */
export function giveTo(user: RunAs, ...paths: string[]): void {
    if (user.uid === undefined || user.gid === undefined) return;
    for (const p of paths) chownSync(p, user.uid, user.gid);
}
