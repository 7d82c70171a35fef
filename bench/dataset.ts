import { spawnSync } from "node:child_process";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import type { MariaDbInfo } from "../test/harness/mariadb";
import type { PostgresInfo } from "../test/harness/postgres";

export const SOURCE_DB = "sbtest";

export interface DatasetSize {
    tables: number;
    rows: number;
}

/** 4 × 250,000 rows by default (the standard sysbench set); BENCH_TABLES / BENCH_ROWS override for quick runs. */
export function datasetSize(env = process.env): DatasetSize {
    const num = (name: string, dflt: number) => {
        const v = env[name];
        if (v === undefined || v === "") return dflt;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
        return n;
    };
    return { tables: num("BENCH_TABLES", 4), rows: num("BENCH_ROWS", 250_000) };
}

export const tableNames = (size: DatasetSize) => Array.from({ length: size.tables }, (_, i) => `sbtest${i + 1}`);

export function mysqlAdmin(m: MariaDbInfo, database?: string): Promise<mysql.Connection> {
    return mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password, database, multipleStatements: true });
}

export async function pgAdmin(p: PostgresInfo, database = p.database): Promise<Client> {
    const c = new Client({ host: p.host, port: p.port, user: p.user, password: p.password, database });
    await c.connect();
    return c;
}

/**
 * Creates sbtest1..N in the source: with `sysbench oltp_read_write ... prepare` when
 * sysbench is installed, otherwise with our generator of the same schema and the same
 * shape of values (c: 10 groups of 11 digits, pad: 5 groups, joined by '-').
 */
export async function prepareDataset(src: MariaDbInfo, size: DatasetSize, sysbench: string | null): Promise<"sysbench" | "generator"> {
    const c = await mysqlAdmin(src);
    try {
        await c.query(`DROP DATABASE IF EXISTS ${SOURCE_DB}; CREATE DATABASE ${SOURCE_DB}`);
    } finally {
        await c.end();
    }
    if (sysbench) {
        const r = spawnSync(sysbench, [
            "oltp_read_write", "--db-driver=mysql", `--mysql-host=${src.host}`, `--mysql-port=${src.port}`,
            `--mysql-user=${src.user}`, `--mysql-password=${src.password}`, `--mysql-db=${SOURCE_DB}`,
            `--tables=${size.tables}`, `--table-size=${size.rows}`,
            // Tables are prepared in parallel, one thread per core; the data does not depend on it.
            `--threads=${Math.min(size.tables, 2)}`, "prepare",
        ], { stdio: "pipe", encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        if (r.status !== 0) throw new Error(`sysbench prepare failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
        return "sysbench";
    }
    const g = await mysqlAdmin(src, SOURCE_DB);
    try {
        const group = "LPAD(FLOOR(RAND() * 100000000000), 11, '0')";
        const groups = (n: number) => `CONCAT_WS('-', ${Array.from({ length: n }, () => group).join(", ")})`;
        for (let t = 1; t <= size.tables; t++) {
            await g.query(`CREATE TABLE sbtest${t} (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL DEFAULT 0, ` +
                `c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', KEY k_${t} (k)) ENGINE=InnoDB`);
            // MariaDB's Sequence engine provides seq_1_to_N; batches keep each transaction moderate.
            const batch = 100_000;
            for (let lo = 1; lo <= size.rows; lo += batch) {
                const hi = Math.min(size.rows, lo + batch - 1);
                await g.query(`INSERT INTO sbtest${t} (id, k, c, pad) SELECT seq, FLOOR(1 + RAND() * ${size.rows}), ${groups(10)}, ${groups(5)} FROM seq_${lo}_to_${hi}`);
            }
        }
    } finally {
        await g.end();
    }
    return "generator";
}

/** Sum of information_schema DATA_LENGTH of the source tables (after ANALYZE, so the statistics are current). */
export async function sourceDataBytes(src: MariaDbInfo, size: DatasetSize): Promise<number> {
    const c = await mysqlAdmin(src, SOURCE_DB);
    try {
        await c.query(`ANALYZE TABLE ${tableNames(size).join(", ")}`);
        const [rows] = await c.query<mysql.RowDataPacket[]>(
            "SELECT CAST(SUM(DATA_LENGTH) AS CHAR) AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", [SOURCE_DB]);
        return Number(rows[0].bytes ?? 0);
    } finally {
        await c.end();
    }
}

/** What must be equal at every destination: row count and sums over every column. */
export interface Fingerprint {
    rows: string;
    sumId: string;
    sumK: string;
    lenC: string;
    lenPad: string;
}

export type Fingerprints = Record<string, Fingerprint>;

export async function mysqlFingerprints(m: MariaDbInfo, database: string, size: DatasetSize): Promise<Fingerprints> {
    const c = await mysqlAdmin(m, database);
    const out: Fingerprints = {};
    try {
        for (const t of tableNames(size)) {
            const [rows] = await c.query<mysql.RowDataPacket[]>(
                `SELECT CAST(COUNT(*) AS CHAR) AS \`rows\`, CAST(COALESCE(SUM(id), 0) AS CHAR) AS sumId, CAST(COALESCE(SUM(k), 0) AS CHAR) AS sumK, ` +
                `CAST(COALESCE(SUM(CHAR_LENGTH(c)), 0) AS CHAR) AS lenC, CAST(COALESCE(SUM(CHAR_LENGTH(pad)), 0) AS CHAR) AS lenPad FROM \`${t}\``);
            out[t] = { rows: rows[0].rows, sumId: rows[0].sumId, sumK: rows[0].sumK, lenC: rows[0].lenC, lenPad: rows[0].lenPad };
        }
    } finally {
        await c.end();
    }
    return out;
}

/** Fingerprints of sbtestN wherever the tool put it in `database` (we: schema sbtest; pgloader: its own choice). */
export async function pgFingerprints(p: PostgresInfo, database: string, size: DatasetSize): Promise<Fingerprints> {
    const c = await pgAdmin(p, database);
    const out: Fingerprints = {};
    try {
        const { rows: found } = await c.query<{ table_schema: string; table_name: string }>(
            `SELECT table_schema, table_name FROM information_schema.tables
             WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_name ~ '^sbtest[0-9]+$'`);
        for (const t of tableNames(size)) {
            const where = found.filter((f) => f.table_name === t);
            if (where.length !== 1) throw new Error(`PostgreSQL database ${database}: expected one table ${t}, found ${where.length}`);
            const q = `"${where[0].table_schema}"."${t}"`;
            const { rows } = await c.query(
                `SELECT count(*)::text AS rows, coalesce(sum(id), 0)::text AS "sumId", coalesce(sum(k), 0)::text AS "sumK", ` +
                `coalesce(sum(length(c)), 0)::text AS "lenC", coalesce(sum(length(pad)), 0)::text AS "lenPad" FROM ${q}`);
            out[t] = rows[0] as Fingerprint;
        }
    } finally {
        await c.end();
    }
    return out;
}

/** Differences between the source's fingerprints and a destination's, as sentences; empty when equal. */
export function compareFingerprints(expected: Fingerprints, actual: Fingerprints): string[] {
    const problems: string[] = [];
    for (const [t, e] of Object.entries(expected)) {
        const a = actual[t];
        if (!a) {
            problems.push(`${t}: missing`);
            continue;
        }
        for (const k of Object.keys(e) as (keyof Fingerprint)[]) {
            if (String(e[k]) !== String(a[k])) problems.push(`${t}.${k}: source ${e[k]}, destination ${a[k]}`);
        }
    }
    return problems;
}

export const totalRows = (fp: Fingerprints) => Object.values(fp).reduce((n, f) => n + Number(f.rows), 0);
