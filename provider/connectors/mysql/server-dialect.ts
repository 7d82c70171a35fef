import type { BinlogPosition, SourceColumn } from "../../engine/model";
import type { ConnectionFacts, Flavour } from "../../engine/facts";

/**
 * The one place that knows which statements and variables a MySQL-family server of a given
 * flavour and version understands. MySQL renamed MASTER/SLAVE statements and variables
 * over 8.0.22–8.4 and removed the old names in 8.4; MariaDB kept the old names (adding
 * aliases); PolarDB for MySQL follows the MySQL release it is built on. Callers ask the
 * dialect instead of testing versions themselves, so a new server release is one edit here.
 *
 * Only MariaDB can be run on the test machine: the MySQL choices below are proven by the
 * unit tests of this module (test/unit/server-dialect.test.ts), not against servers.
 */

export type ServerVersion = [major: number, minor: number, patch: number];
export type MysqlFlavour = Extract<Flavour, "MySQL" | "MariaDB" | "PolarDB">;

export interface ServerDialect {
    flavour: MysqlFlavour;
    /** null: the version string was not recognised; the dialect then assumes the oldest supported server and falls back where it can. */
    version: ServerVersion | null;
    /** Reports the binary log's current file and position: MySQL 8.4 removed SHOW MASTER STATUS (8.2 added SHOW BINARY LOG STATUS). */
    binlogStatus: "SHOW BINARY LOG STATUS" | "SHOW MASTER STATUS";
    /** Tried when `binlogStatus` is a syntax error (unrecognised versions only). */
    binlogStatusFallback: "SHOW BINARY LOG STATUS" | "SHOW MASTER STATUS" | null;
    /** Whether a replica writes what it applies to its own binary log: renamed in MySQL 8.0.26. */
    logReplicaUpdates: "log_replica_updates" | "log_slave_updates";
    /**
     * How a consistent snapshot finds its binlog position: MariaDB reports the snapshot's own
     * (binlog_snapshot_file/position); MySQL does not, so the engine reads the binlog status and
     * commits a barrier before opening the snapshot (snapshot-position.ts).
     */
    snapshotPosition: "binlog-snapshot-status" | "binlog-status-barrier";
    /** Where a binlog status's GTID comes from: the Executed_Gtid_Set column (MySQL) or @@gtid_binlog_pos (MariaDB, not in the status). */
    gtid: "executed-gtid-set" | "gtid-binlog-pos";
    /**
     * Run on an introspecting session so generated invisible primary keys (MySQL ≥ 8.0.30,
     * sql_generate_invisible_primary_key) appear in information_schema: with
     * show_gipk_in_create_table_and_information_schema OFF, a table keyed by its GIPK
     * looks keyless. null where no GIPK can exist.
     */
    showGipk: string | null;
    /**
     * The server has binlog_order_commits (MySQL ≥ 5.6.6), so it may be named in SELECT @@…;
     * the barrier argument of snapshot-position.ts rests on its value. MariaDB: not needed.
     */
    hasBinlogOrderCommits: boolean;
}

/**
 * Major, minor and patch of a server version ("5.6.51-log", "8.0.36", "10.11.6-MariaDB-0+deb12u1"; MariaDB's
 * replication-protocol prefix "5.5.5-" is skipped); null when the string starts with no version.
 */
export function parseServerVersion(version: string): ServerVersion | null {
    const s = version.trim().replace(/^5\.5\.5-(?=\d+\.\d+\.\d+.*mariadb)/i, "");
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(s);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? "0")] : null;
}

/** v ≥ major.minor.patch; an unrecognised version is below everything. */
export function atLeast(v: ServerVersion | null, major: number, minor: number, patch = 0): boolean {
    if (v === null) return false;
    if (v[0] !== major) return v[0] > major;
    if (v[1] !== minor) return v[1] > minor;
    return v[2] >= patch;
}

function mysqlFlavour(flavour: Flavour | string, version: string): MysqlFlavour {
    if (flavour === "MariaDB" || /mariadb/i.test(version)) return "MariaDB";
    return flavour === "PolarDB" ? "PolarDB" : "MySQL";
}

/** The dialect of a server, from what Test Connectivity learnt (flavour) and its version string. */
export function serverDialect(flavour: Flavour | string, versionString: string): ServerDialect {
    const f = mysqlFlavour(flavour, versionString);
    const v = parseServerVersion(versionString);
    if (f === "MariaDB") {
        // MariaDB keeps the MASTER/SLAVE spellings working (10.5 added BINLOG/REPLICA aliases), so the old ones serve every version.
        return {
            flavour: f, version: v,
            binlogStatus: "SHOW MASTER STATUS", binlogStatusFallback: null,
            logReplicaUpdates: "log_slave_updates",
            snapshotPosition: "binlog-snapshot-status",
            gtid: "gtid-binlog-pos",
            showGipk: null,
            hasBinlogOrderCommits: false,
        };
    }
    // MySQL and PolarDB for MySQL (whose version string is that of the MySQL release it is built on).
    const newStatus = atLeast(v, 8, 2);
    return {
        flavour: f, version: v,
        binlogStatus: newStatus ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS",
        binlogStatusFallback: v === null ? "SHOW BINARY LOG STATUS" : null,
        logReplicaUpdates: atLeast(v, 8, 0, 26) ? "log_replica_updates" : "log_slave_updates",
        snapshotPosition: "binlog-status-barrier",
        gtid: "executed-gtid-set",
        showGipk: atLeast(v, 8, 0, 30) ? "SET SESSION show_gipk_in_create_table_and_information_schema = ON" : null,
        hasBinlogOrderCommits: atLeast(v, 5, 6, 6),
    };
}

export function dialectOf(facts: Pick<ConnectionFacts, "flavour" | "serverVersion">): ServerDialect {
    return serverDialect(facts.flavour, facts.serverVersion);
}

/** What runs a statement: a mysql2/promise Connection, or a test's fake. */
export interface SqlSession {
    query(sql: string): Promise<[unknown, unknown]>;
}

/** The dialect of the server behind a connection, when the flavour is not known (PolarDB then reads as MySQL of its version, which is what it follows). */
export async function detectDialect(conn: SqlSession, flavour?: Flavour | string): Promise<ServerDialect> {
    const [rows] = await conn.query("SELECT VERSION() AS v");
    const version = String((rows as { v?: unknown }[])[0]?.v ?? "");
    return serverDialect(flavour ?? "MySQL", version);
}

const ER_PARSE_ERROR = 1064;

/** A binlog status row as a position; null when binary logging is off (no row). */
export function binlogPositionOf(row: Record<string, unknown> | undefined, dialect: ServerDialect): BinlogPosition | null {
    if (row === undefined) return null;
    // A set of several servers' GTIDs is printed with a newline after each comma.
    const gtid = dialect.gtid === "executed-gtid-set" ? String(row.Executed_Gtid_Set ?? "").replace(/\s+/g, "") : "";
    return { file: String(row.File), position: Number(row.Position), ...(gtid ? { gtid } : {}) };
}

/**
 * The binary log's current end: file, position and (MySQL) the executed GTID set; null when
 * binary logging is off. MariaDB's GTID position is not part of its status (@@gtid_binlog_pos).
 */
export async function readBinlogStatus(conn: SqlSession, dialect: ServerDialect): Promise<BinlogPosition | null> {
    let rows: unknown;
    try {
        [rows] = await conn.query(dialect.binlogStatus);
    } catch (err) {
        if (dialect.binlogStatusFallback === null || (err as { errno?: number }).errno !== ER_PARSE_ERROR) throw err;
        [rows] = await conn.query(dialect.binlogStatusFallback);
    }
    return binlogPositionOf((rows as Record<string, unknown>[])[0], dialect);
}

/**
 * A MySQL generated invisible primary key (sql_generate_invisible_primary_key): the server
 * adds `my_row_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT INVISIBLE PRIMARY KEY` to a
 * table created without one, and refuses a user column of that name in such a table.
 */
export function isGeneratedInvisiblePrimaryKey(column: SourceColumn, primaryKey: string[] | null): boolean {
    return column.name === "my_row_id" && column.invisible && /\bauto_increment\b/i.test(column.extra) &&
        primaryKey !== null && primaryKey.length === 1 && primaryKey[0] === column.name;
}
