import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { freePort, waitFor } from "./ports";
import { giveTo, type RunAs, serverUser } from "./process-user";

export interface PostgresInfo {
    kind: "postgres";
    dir: string;
    host: string;
    port: number;
    /** Directory holding the unix socket (trust auth, for the harness itself). */
    socketDir: string;
    /** A superuser reachable over TCP with a password. */
    user: string;
    password: string;
    database: string;
    runAs: RunAs;
}

function pgBin(name: string): string {
    const candidates = [`/usr/local/bin/${name}`, `/usr/bin/${name}`];
    try {
        const versions = execFileSync("ls", ["/usr/lib/postgresql"]).toString().trim().split(/\s+/).sort((a, b) => Number(b) - Number(a));
        for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin/${name}`);
    } catch {
        /* no Debian layout */
    }
    const found = candidates.find((c) => existsSync(c));
    if (!found) throw new Error(`${name} is not installed; install postgresql (bash .ci/run does)`);
    return found;
}

function runAsUser(info: Pick<PostgresInfo, "runAs">, cmd: string, args: string[]): void {
    const r = spawnSync(cmd, args, { uid: info.runAs.uid, gid: info.runAs.gid, stdio: "pipe", cwd: "/" });
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr?.toString()}${r.stdout?.toString()}`);
    }
}

const dataDir = (i: PostgresInfo) => join(i.dir, "data");

/**
 * initdb with logical WAL (for later change capture from PostgreSQL), then start.
 * `extraConfig` lines are appended to postgresql.conf (e.g. ssl = on); `hba` replaces the
 * pg_hba.conf lines (keep a trusted `local` line: the harness bootstraps over the socket).
 */
export async function startPostgres(opts: { extraConfig?: string[]; hba?: string[] } = {}): Promise<PostgresInfo> {
    const runAs = serverUser();
    const dir = mkdtempSync(join(tmpdir(), "dts-postgres-"));
    giveTo(runAs, dir);
    const info: PostgresInfo = {
        kind: "postgres", dir, host: "127.0.0.1", port: await freePort(), socketDir: dir,
        user: "dts_admin", password: "admin-Secret-42", database: "postgres", runAs,
    };
    runAsUser(info, pgBin("initdb"), ["-D", dataDir(info), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
    appendFileSync(join(dataDir(info), "postgresql.conf"), [
        "",
        `port = ${info.port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${info.socketDir}'`,
        "wal_level = logical",
        "max_wal_senders = 10",
        "max_replication_slots = 10",
        "max_connections = 200",
        "shared_buffers = 256MB",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "timezone = 'UTC'",
        // Segments in the data dir, not /dev/shm: a server killed with -9 leaks nothing outside its temp dir.
        "dynamic_shared_memory_type = mmap",
        ...(opts.extraConfig ?? []),
        "",
    ].join("\n"));
    // Password authentication over TCP, so tests see real auth failures; trust on the socket for the harness.
    writeFileSync(join(dataDir(info), "pg_hba.conf"), [
        ...(opts.hba ?? [
            "local all all trust",
            "host all all 127.0.0.1/32 scram-sha-256",
            "host all all ::1/128 scram-sha-256",
        ]),
        "",
    ].join("\n"));
    await startPostgresProcess(info);
    const admin = new Client({ host: info.socketDir, port: info.port, user: "postgres", database: "postgres" });
    await admin.connect();
    try {
        await admin.query(`CREATE ROLE ${info.user} LOGIN SUPERUSER REPLICATION PASSWORD '${info.password}'`);
    } finally {
        await admin.end();
    }
    return info;
}

export async function startPostgresProcess(info: PostgresInfo): Promise<void> {
    runAsUser(info, pgBin("pg_ctl"), ["-D", dataDir(info), "-l", join(info.dir, "server.log"), "-w", "-t", "60", "start"]);
    await waitFor(`PostgreSQL on port ${info.port}`, async () => {
        const c = new Client({ host: info.socketDir, port: info.port, user: "postgres", database: "postgres" });
        await c.connect();
        await c.end();
    });
}

function pidOf(info: PostgresInfo): number | undefined {
    const f = join(dataDir(info), "postmaster.pid");
    return existsSync(f) ? Number(readFileSync(f, "utf8").split("\n")[0]) : undefined;
}

export async function stopPostgres(info: PostgresInfo): Promise<void> {
    if (pidOf(info) === undefined) return;
    runAsUser(info, pgBin("pg_ctl"), ["-D", dataDir(info), "-m", "fast", "-w", "stop"]);
}

/** kill -9 of the postmaster, for crash tests. */
export async function killPostgres(info: PostgresInfo): Promise<void> {
    const pid = pidOf(info);
    if (pid === undefined) return;
    try {
        process.kill(pid, "SIGKILL");
    } catch {
        return;
    }
    await waitFor("PostgreSQL to die", async () => {
        try {
            process.kill(pid, 0);
        } catch {
            return;
        }
        throw new Error("still running");
    });
}

export async function restartPostgres(info: PostgresInfo): Promise<void> {
    await stopPostgres(info);
    await startPostgresProcess(info);
}

export async function destroyPostgres(info: PostgresInfo): Promise<void> {
    // Immediate shutdown is as quick as a kill and lets the postmaster release what it holds.
    try {
        if (pidOf(info) !== undefined) runAsUser(info, pgBin("pg_ctl"), ["-D", dataDir(info), "-m", "immediate", "-w", "stop"]);
    } catch {
        /* already stopped, or stuck: killed below */
    }
    await killPostgres(info).catch(() => undefined);
    rmSync(info.dir, { recursive: true, force: true });
}

/** Drops a test's schemas (MySQL databases migrated to PostgreSQL become schemas). */
export async function dropSchemas(info: PostgresInfo, schemas: string[]): Promise<void> {
    const c = new Client({ host: info.host, port: info.port, user: info.user, password: info.password, database: info.database });
    await c.connect();
    try {
        for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s.replace(/"/g, '""')}" CASCADE`);
    } finally {
        await c.end();
    }
}
