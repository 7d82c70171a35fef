import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MariaDbInfo } from "../test/harness/mariadb";
import type { PostgresInfo } from "../test/harness/postgres";
import { SOURCE_DB } from "./dataset";
import { type Measured, measure } from "./measure";

export interface Peers {
    pgloader: string | null;
    mydumper: string | null;
    myloader: string | null;
    sysbench: string | null;
}

function which(name: string): string | null {
    for (const dir of (process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":").concat(["/usr/sbin", "/usr/bin"])) {
        const p = join(dir, name);
        if (dir && existsSync(p)) return p;
    }
    return null;
}

/** Runs bench/install-peers.sh (apt-get as root, a "skipped" line otherwise), then finds the binaries. */
export function installPeers(script: string): Peers {
    const r = spawnSync("bash", [script], { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) console.log(`peers: ${script} exited with ${r.status ?? r.signal}; continuing with what is installed`);
    return { pgloader: which("pgloader"), mydumper: which("mydumper"), myloader: which("myloader"), sysbench: which("sysbench") };
}

const enc = encodeURIComponent;

/**
 * pgloader's MySQL migration (schema, data, indexes, sequences) of the source database into
 * `database`, with its defaults except "prefetch rows = 10000" (default 100,000): Debian's
 * pgloader 3.6.7 exhausts its ~1 GB SBCL heap on this data set with the default and dies
 * ("Heap exhausted, game over"); the smaller prefetch is pgloader's documented remedy and
 * measured as fast as a 4 GB heap with the default, at a third of the memory.
 */
export const PGLOADER_OPTIONS = ["--with", "prefetch rows = 10000"];

export function runPgloader(bin: string, src: MariaDbInfo, pg: PostgresInfo, database: string): Promise<Measured> {
    const from = `mysql://${enc(src.user)}:${enc(src.password)}@${src.host}:${src.port}/${SOURCE_DB}`;
    const to = `postgresql://${enc(pg.user)}:${enc(pg.password)}@${pg.host}:${pg.port}/${database}`;
    const dir = mkdtempSync(join(tmpdir(), "bench-pgloader-"));
    return measure(bin, ["--no-ssl-cert-verification", "--root-dir", dir, ...PGLOADER_OPTIONS, from, to], { timeoutMs: 20 * 60_000 })
        .finally(() => rmSync(dir, { recursive: true, force: true }));
}

export interface DumpLoad {
    dump: Measured;
    load: Measured | null;
}

/**
 * mydumper (4 threads) of the source database into a temp dir, then myloader (4 threads)
 * into `database` on the destination server; the caller times both together.
 * `enableBinlog` passes myloader's --enable-binlog (its default is SQL_LOG_BIN=0).
 */
export async function runDumpLoad(mydumper: string, myloader: string, src: MariaDbInfo, dst: MariaDbInfo, database: string, enableBinlog: boolean): Promise<DumpLoad> {
    const dir = mkdtempSync(join(tmpdir(), "bench-mydumper-"));
    const out = join(dir, "dump");
    try {
        const dump = await measure(mydumper, [
            "-h", src.host, "-P", String(src.port), "-u", src.user, "-p", src.password,
            "-B", SOURCE_DB, "-t", "4", "-o", out, "-v", "2",
        ], { timeoutMs: 20 * 60_000 });
        if (dump.exitCode !== 0) return { dump, load: null };
        const load = await measure(myloader, [
            "-h", dst.host, "-P", String(dst.port), "-u", dst.user, "-p", dst.password,
            "-d", out, "-s", SOURCE_DB, "-B", database, "-t", "4", "-v", "2", ...(enableBinlog ? ["-e"] : []),
        ], { timeoutMs: 20 * 60_000 });
        return { dump, load };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
