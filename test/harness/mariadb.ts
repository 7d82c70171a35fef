import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mysql from "mysql2/promise";
import { freePort, waitFor } from "./ports";
import { giveTo, type RunAs, serverUser } from "./process-user";

/** Everything a test (in any process) needs to reach and control a throw-away MariaDB. */
export interface MariaDbInfo {
    kind: "mariadb";
    dir: string;
    host: string;
    port: number;
    socket: string;
    /** An account with all privileges, reachable over TCP. */
    user: string;
    password: string;
    serverId: number;
    runAs: RunAs;
}

function binary(...names: string[]): string {
    for (const n of names) {
        for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]) {
            if (existsSync(join(dir, n))) return join(dir, n);
        }
    }
    throw new Error(`none of ${names.join(", ")} is installed; install mariadb-server (bash .ci/run does)`);
}

const cnf = (i: MariaDbInfo) => join(i.dir, "my.cnf");

/**
 * Creates a data directory with binlog settings the migration engine requires, and starts the server.
 * `extraConfig` lines are appended to the [mysqld] section (e.g. ssl-cert=…, require_secure_transport=ON).
 */
export async function startMariaDb(opts: { serverId?: number; extraConfig?: string[] } = {}): Promise<MariaDbInfo> {
    const runAs = serverUser();
    const dir = mkdtempSync(join(tmpdir(), "dts-mariadb-"));
    const info: MariaDbInfo = {
        kind: "mariadb", dir, host: "127.0.0.1", port: await freePort(), socket: join(dir, "mysqld.sock"),
        user: "dts_admin", password: "admin-Secret-42", serverId: opts.serverId ?? 1, runAs,
    };
    mkdirSync(join(dir, "data"));
    mkdirSync(join(dir, "binlog"));
    mkdirSync(join(dir, "tmp"));
    writeFileSync(cnf(info), [
        "[mysqld]",
        `datadir=${join(dir, "data")}`,
        // A tmpdir of its own: a starting server (and mariadb-install-db) deletes every #sql*
        // file in its tmpdir, which would pull temporary tables from under another test server.
        `tmpdir=${join(dir, "tmp")}`,
        `socket=${info.socket}`,
        `port=${info.port}`,
        "bind-address=127.0.0.1",
        `pid-file=${join(dir, "mysqld.pid")}`,
        `log-error=${join(dir, "error.log")}`,
        `log-bin=${join(dir, "binlog", "mysql-bin")}`,
        `server-id=${info.serverId}`,
        "binlog_format=ROW",
        "binlog_row_image=FULL",
        "binlog_row_metadata=FULL",
        "binlog_expire_logs_seconds=604800",
        "character-set-server=utf8mb4",
        "collation-server=utf8mb4_general_ci",
        "skip-name-resolve",
        "local-infile=1",
        "max_connections=300",
        "innodb_buffer_pool_size=256M",
        "innodb_flush_log_at_trx_commit=2",
        ...(opts.extraConfig ?? []),
        "",
    ].join("\n"));
    giveTo(runAs, dir, join(dir, "data"), join(dir, "binlog"), join(dir, "tmp"), cnf(info));
    const userArgs = runAs.uid !== undefined ? [`--user=${runAs.name}`] : [];
    execFileSync(binary("mariadb-install-db", "mysql_install_db"), [
        `--defaults-file=${cnf(info)}`, "--auth-root-authentication-method=normal", "--skip-test-db", ...userArgs,
    ], { stdio: "pipe" });
    await startMariaDbProcess(info);
    const admin = await mysql.createConnection({ socketPath: info.socket, user: "root", password: "" });
    try {
        await admin.query(`CREATE USER '${info.user}'@'%' IDENTIFIED BY '${info.password}'`);
        await admin.query(`GRANT ALL PRIVILEGES ON *.* TO '${info.user}'@'%' WITH GRANT OPTION`);
    } finally {
        await admin.end();
    }
    return info;
}

/** Starts (or restarts after stop/kill) the server of an existing data directory. */
export async function startMariaDbProcess(info: MariaDbInfo): Promise<void> {
    const userArgs = info.runAs.uid !== undefined ? [`--user=${info.runAs.name}`] : [];
    const out = openSync(join(info.dir, "stdout.log"), "a");
    const child = spawn(binary("mariadbd", "mysqld"), [`--defaults-file=${cnf(info)}`, ...userArgs], {
        detached: true,
        stdio: ["ignore", out, out],
    });
    child.unref();
    await waitFor(`MariaDB on port ${info.port} (log: ${join(info.dir, "error.log")})`, async () => {
        if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}`);
        const c = await mysql.createConnection({ socketPath: info.socket, user: "root", password: "" });
        await c.end();
    });
}

function pidOf(info: MariaDbInfo): number | undefined {
    const f = join(info.dir, "mysqld.pid");
    return existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : undefined;
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Clean shutdown. */
export async function stopMariaDb(info: MariaDbInfo): Promise<void> {
    const pid = pidOf(info);
    if (pid === undefined || !alive(pid)) return;
    process.kill(pid, "SIGTERM");
    await waitFor("MariaDB to stop", async () => { if (alive(pid)) throw new Error("still running"); }, 60_000);
}

/** kill -9, for crash tests. */
export async function killMariaDb(info: MariaDbInfo): Promise<void> {
    const pid = pidOf(info);
    if (pid === undefined || !alive(pid)) return;
    process.kill(pid, "SIGKILL");
    await waitFor("MariaDB to die", async () => { if (alive(pid)) throw new Error("still running"); }, 30_000);
}

export async function restartMariaDb(info: MariaDbInfo): Promise<void> {
    await stopMariaDb(info);
    await startMariaDbProcess(info);
}

export async function destroyMariaDb(info: MariaDbInfo): Promise<void> {
    await killMariaDb(info).catch(() => undefined);
    rmSync(info.dir, { recursive: true, force: true });
}
