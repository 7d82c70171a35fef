import { isStreamableColumn } from "./binlog-values";
import { dialectOf, isGeneratedInvisiblePrimaryKey, parseServerVersion, type ServerVersion } from "../server-dialect";
import type { TaskSpec } from "../../../../sdk/schema/task";
import type { ConnectionFacts, MysqlFacts } from "../../../engine/facts";
import type { TableMapping } from "../../../engine/model";
import type { PrecheckItem } from "../../../engine/status";

const passed = (id: string, title: string, detail?: string): PrecheckItem => ({ id, title, outcome: "passed", ...(detail ? { detail } : {}) });

/** Privileges DTS documents per migration type: SELECT (and SHOW VIEW) for schema/full, replication for incremental. */
export function sourcePrivileges(facts: ConnectionFacts, task: TaskSpec, databases: string[]): PrecheckItem[] {
    const p = facts.mysql?.privileges;
    if (!p) return [];
    const items: PrecheckItem[] = [];
    const canSelect = (db: string) => p.select || (p.databases[db] ?? []).some((x) => x === "SELECT" || x === "ALL PRIVILEGES");
    const missing = databases.filter((db) => !canSelect(db));
    items.push(missing.length === 0
        ? passed("source-privileges", "Source account may read the selected databases")
        : {
            id: "source-privileges", title: "Source account may read the selected databases", outcome: "failed", object: missing.join(", "),
            detail: `the account lacks SELECT on ${missing.map((d) => `"${d}"`).join(", ")}`,
            fix: `GRANT SELECT, SHOW VIEW ON \`${missing[0]}\`.* TO the migration account (for each database listed)`,
        });
    if (task.migrationTypes.includes("incremental") && !(p.replicationSlave && p.replicationClient)) {
        items.push({
            id: "source-replication-privileges", title: "Source account may read the binary log", outcome: "failed", object: "source",
            detail: "incremental migration needs REPLICATION SLAVE and REPLICATION CLIENT",
            fix: "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO the migration account",
        });
    }
    return items;
}

export { parseServerVersion } from "../server-dialect";

const atMost56 = (v: ServerVersion) => v[0] < 5 || (v[0] === 5 && v[1] <= 6);
const before56 = (v: ServerVersion) => v[0] < 5 || (v[0] === 5 && v[1] < 6);

/** Server version and read-only state (seed 001: read-only RDS MySQL 5.6 cannot be an incremental source; seed 003: PolarDB read-only nodes). */
function sourceServer(facts: ConnectionFacts, m: MysqlFacts): PrecheckItem[] {
    const items: PrecheckItem[] = [];
    const version = parseServerVersion(facts.serverVersion);
    const named = `${facts.flavour} ${facts.serverVersion}`;
    items.push(!version || !before56(version)
        ? passed("source-version", "Source version supports incremental migration", version ? named : `version "${facts.serverVersion}" not recognised; assumed 5.6 or later`)
        : {
            id: "source-version", title: "Source version supports incremental migration", outcome: "failed", object: "source",
            detail: `${named}: incremental migration needs MySQL 5.6 or later (row events v2, binlog_row_image and binlog checksums)`,
            fix: "upgrade the source to MySQL 5.6 or later, or remove \"incremental\" from migrationTypes",
        });
    const flag = "read_only (or super_read_only)";
    const replicaUpdates = dialectOf(facts).logReplicaUpdates;
    if (!m.readOnly) {
        items.push(passed("source-read-only", "Source is not a read-only instance that lacks transaction logs"));
    } else if (facts.flavour === "PolarDB") {
        items.push({
            id: "source-read-only", title: "Source is not a read-only instance that lacks transaction logs", outcome: "failed", object: "source",
            detail: `${flag} is ON: read-only nodes of a PolarDB for MySQL cluster cannot be migrated`,
            fix: "connect to the cluster's primary endpoint (the primary node) instead of a read-only node",
        });
    } else if (version && atMost56(version)) {
        items.push({
            id: "source-read-only", title: "Source is not a read-only instance that lacks transaction logs", outcome: "failed", object: "source",
            detail: `${named} with ${flag} ON: DTS cannot write its heartbeat to a read-only 5.6 source; incremental migration needs a source that records transaction logs, which read-only MySQL 5.6 instances (such as read-only RDS for MySQL 5.6) do not`,
            fix: "migrate from the primary instance (or a MySQL 5.7+ replica with log_slave_updates ON), or remove \"incremental\" from migrationTypes",
        });
    } else {
        items.push(passed("source-read-only", "Source is not a read-only instance that lacks transaction logs",
            `${flag} is ON; the server still writes its binary log (on a replica, the changes it applies are logged only with ${replicaUpdates} ON, which is ${m.logSlaveUpdates ? "ON" : "OFF"} here)`));
    }
    items.push(m.serverId !== 0 ? passed("server-id", "server_id is set", `server_id is ${m.serverId}`) : {
        id: "server-id", title: "server_id is set", outcome: "failed", object: "source",
        detail: "server_id is 0: the binary log cannot be read by a replica or a binlog client (MySQL refuses log_bin without a server_id and a server with server_id 0 refuses replica connections)",
        fix: "set server_id to a non-zero value unique among the servers and replicas (server_id = N in the server configuration, or SET GLOBAL server_id = N)",
    });
    return items;
}

/** Settings that decide whether the binlog reader (@vlasky/zongji) can decode every row event. */
function binlogDecoding(facts: ConnectionFacts, m: MysqlFacts): PrecheckItem[] {
    const items: PrecheckItem[] = [];
    const meta = m.binlogRowMetadata;
    if (meta === null || meta === undefined) {
        items.push(passed("binlog-row-metadata", "binlog_row_metadata is FULL",
            `${facts.flavour} ${facts.serverVersion} has no binlog_row_metadata (MySQL 8.0.1+, MariaDB 10.5+): column metadata is read from information_schema when a table's first change arrives; avoid ALTER TABLE on migrated tables while changes written before it are still being read`));
    } else if (meta.toUpperCase() === "FULL") {
        items.push(passed("binlog-row-metadata", "binlog_row_metadata is FULL", "rows are decoded with the column metadata written into the binary log"));
    } else {
        items.push({
            id: "binlog-row-metadata", title: "binlog_row_metadata is FULL", outcome: "alert", object: "source",
            detail: `binlog_row_metadata is ${meta}: column metadata is read from information_schema instead of the binary log, so changes written before an ALTER TABLE may be decoded with the table's later definition`,
            fix: "SET GLOBAL binlog_row_metadata = 'FULL' and in the server configuration, or accept the alert with ignorePrecheckAlerts: [\"binlog-row-metadata\"]",
        });
    }
    if (facts.flavour === "MariaDB") return items; // neither variable exists; MariaDB's log_bin_compress events are decoded
    const valueOptions = m.binlogRowValueOptions ?? null;
    items.push(valueOptions === null || !/PARTIAL_JSON/i.test(valueOptions)
        ? passed("binlog-row-value-options", "binlog_row_value_options is not PARTIAL_JSON",
            valueOptions === null ? "the server has no binlog_row_value_options (MySQL 8.0.3+): JSON updates are logged as whole documents" : undefined)
        : {
            id: "binlog-row-value-options", title: "binlog_row_value_options is not PARTIAL_JSON", outcome: "failed", object: "source",
            detail: `binlog_row_value_options is ${valueOptions}: partial JSON updates are logged as diffs that cannot be decoded, so those UPDATEs would be lost`,
            fix: "SET GLOBAL binlog_row_value_options = '' and remove PARTIAL_JSON from the server configuration (sessions that set it themselves keep it until they reconnect)",
        });
    const compression = m.binlogTransactionCompression ?? null;
    items.push(compression !== true
        ? passed("binlog-transaction-compression", "binlog_transaction_compression is OFF",
            compression === null ? "the server has no binlog_transaction_compression (MySQL 8.0.20+)" : undefined)
        : {
            id: "binlog-transaction-compression", title: "binlog_transaction_compression is OFF", outcome: "failed", object: "source",
            detail: "binlog_transaction_compression is ON: transactions are logged as compressed payloads whose row events cannot be decoded, so their changes would be lost",
            fix: "SET GLOBAL binlog_transaction_compression = OFF and in the server configuration (sessions that set it themselves keep it until they reconnect)",
        });
    return items;
}

/**
 * MySQL has no binlog_snapshot_position: the full load's position is read before a commit
 * barrier that proves every transaction logged before it is in the snapshot, which holds only
 * when InnoDB commits in binlog order (snapshot-position.ts). Only MySQL-style sources that
 * report the variable get the item; MariaDB reports its snapshot's own position.
 */
function binlogOrderCommits(facts: ConnectionFacts, m: MysqlFacts, task: TaskSpec): PrecheckItem[] {
    const value = m.binlogOrderCommits;
    if (!task.migrationTypes.includes("full") || dialectOf(facts).snapshotPosition !== "binlog-status-barrier" || value === null || value === undefined) return [];
    const title = "binlog_order_commits is ON";
    return [value ? passed("binlog-order-commits", title, "transactions commit in binary log order, so the full load's binlog position is exact") : {
        id: "binlog-order-commits", title, outcome: "alert", object: "source",
        detail: "binlog_order_commits is OFF: InnoDB may commit transactions in another order than the binary log's, so a transaction already logged but not yet committed when the full load's snapshot is opened may be neither in the snapshot nor replayed by the incremental stream (it starts after that transaction), and be missing at the destination",
        fix: "SET GLOBAL binlog_order_commits = ON (and binlog_order_commits = ON in the server configuration) before the task starts, or accept the alert with ignorePrecheckAlerts: [\"binlog-order-commits\"]",
    }];
}

/** GTIDs are optional: without them changes are followed by binlog file and position. */
function gtidMode(facts: ConnectionFacts, m: MysqlFacts): PrecheckItem {
    const mode = m.gtidMode.toUpperCase();
    const detail = facts.flavour === "MariaDB" || mode === "MARIADB"
        ? "MariaDB domain-based GTIDs; changes are followed by binlog file and position"
        : `gtid_mode is ${m.gtidMode}: changes are followed by binlog file and position${mode === "ON" ? "" : " (GTIDs are not required)"}`;
    return passed("gtid-mode", "GTID mode is compatible", detail);
}

/** Binlog settings incremental migration depends on (seed 001 table; PolarDB uses loose_polar_log_bin). */
export function binlogSettings(facts: ConnectionFacts, task: TaskSpec): PrecheckItem[] {
    const m = facts.mysql;
    if (!m || !task.migrationTypes.includes("incremental")) return [];
    const items: PrecheckItem[] = [...sourceServer(facts, m)];
    const polar = facts.flavour === "PolarDB";
    items.push(m.logBin ? passed("binlog-enabled", "Binary logging is on") : {
        id: "binlog-enabled", title: "Binary logging is on", outcome: "failed", object: "source",
        detail: polar ? "loose_polar_log_bin is OFF" : "log_bin is OFF",
        fix: polar ? "set loose_polar_log_bin to ON in the PolarDB cluster parameters (the cluster restarts)" : "start the server with log_bin (and a server_id)",
    });
    items.push(m.binlogFormat.toUpperCase() === "ROW" ? passed("binlog-format", "binlog_format is ROW") : {
        id: "binlog-format", title: "binlog_format is ROW", outcome: "failed", object: "source",
        detail: `binlog_format is ${m.binlogFormat}`, fix: "SET GLOBAL binlog_format = 'ROW' and in the server configuration",
    });
    items.push(m.binlogRowImage === ""
        ? passed("binlog-row-image", "binlog_row_image is FULL", "the server has no binlog_row_image: rows are always logged in full")
        : m.binlogRowImage.toUpperCase() === "FULL" ? passed("binlog-row-image", "binlog_row_image is FULL") : {
        id: "binlog-row-image", title: "binlog_row_image is FULL", outcome: "failed", object: "source",
        detail: `binlog_row_image is ${m.binlogRowImage}`, fix: "SET GLOBAL binlog_row_image = 'FULL' and in the server configuration",
    });
    items.push(...binlogDecoding(facts, m));
    items.push(...binlogOrderCommits(facts, m, task));
    const hours = m.binlogRetentionHours;
    items.push(hours === null || hours >= 168 ? passed("binlog-retention", "Binary logs are kept long enough") : {
        id: "binlog-retention", title: "Binary logs are kept long enough", outcome: "alert", object: "source",
        detail: `binary logs are kept ${hours} hours; DTS requires at least 7 days for self-managed MySQL (3 days for RDS)`,
        fix: "SET GLOBAL binlog_expire_logs_seconds = 604800 (or expire_logs_days = 7)",
    });
    items.push(gtidMode(facts, m));
    return items;
}

/** Tables without a primary or unique key may get duplicate rows (seed 001 "Source database requirements"). */
/**
 * Tables without a primary key or NOT NULL unique key are matched by their full before
 * image and copied in one piece in the task's own snapshot, so they replicate exactly where
 * that snapshot's position is exact (MariaDB). The alert names what still cannot be exact.
 */
export function primaryKeys(mappings: TableMapping[], task: TaskSpec, facts: ConnectionFacts): PrecheckItem[] {
    const keyless = mappings.filter((m) => !m.key);
    const title = "Every selected table has a primary or unique key";
    if (keyless.length === 0) return [passed("primary-keys", title)];
    const streamed = task.migrationTypes.includes("incremental") && task.migrationTypes.includes("full");
    const exactSnapshot = facts.flavour === "MariaDB";
    return keyless.map((m) => {
        const object = `${m.source.database}.${m.source.name}`;
        const how = "no primary key or NOT NULL unique key among the migrated columns: the table is copied in one piece (not split, not resumable mid-table), " +
            "and each streamed change finds its row by the full before image, one row at a time";
        if (task.conflictingTables === "ignore-and-proceed") {
            return {
                id: "primary-keys", title, outcome: "alert" as const, object,
                detail: `${how}; with conflictingTables "ignore-and-proceed" rows already at the destination cannot be told from copied ones, so a copy redone after a failure may duplicate rows`,
                fix: "add a primary key to the source table (or migrate its key columns), use conflictingTables \"precheck-and-report\" with an empty destination table, or accept the alert with ignorePrecheckAlerts: [\"primary-keys\"]",
            };
        }
        if (!streamed || exactSnapshot) {
            return { id: "primary-keys", title, outcome: "passed" as const, object,
                detail: `${how}; the copy is read in the task's snapshot at the stream's exact start position, so no change is applied twice` };
        }
        return {
            id: "primary-keys", title, outcome: "alert" as const, object,
            detail: `${how}; on a ${facts.flavour} source the snapshot's position is not exact (no binlog_snapshot_* variables), ` +
                "so a transaction that commits while the task's snapshot opens may be applied twice to this table (a duplicate row)",
            fix: "add a primary key to the source table (or migrate its key columns), keep the source quiet while the task starts, or accept the alert with ignorePrecheckAlerts: [\"primary-keys\"]",
        };
    });
}

/** MySQL ≥ 8.0.23 (and MariaDB) invisible columns: DTS loses them; we read them by name. */
export function invisibleColumns(mappings: TableMapping[]): PrecheckItem[] {
    const invisible = mappings.flatMap((m) => m.columns.filter((c) => c.source.invisible).map((c) => ({ m, c })));
    if (invisible.length === 0) return [passed("invisible-columns", "No invisible columns")];
    const name = ({ m, c }: (typeof invisible)[number]) => `${m.source.database}.${m.source.name}.${c.source.name}`;
    const gipks = invisible.filter(({ m, c }) => isGeneratedInvisiblePrimaryKey(c.source, m.source.primaryKey));
    const gipkNote = gipks.length === 0 ? "" :
        `; ${gipks.map(name).join(", ")} ${gipks.length === 1 ? "is a generated invisible primary key" : "are generated invisible primary keys"} (sql_generate_invisible_primary_key), migrated as the table's key`;
    return [{
        id: "invisible-columns", title: "No invisible columns", outcome: "passed", object: invisible.map(name).join(", "),
        detail: `invisible columns are selected by name, so their data is migrated (DTS would lose it); they are visible at the destination${gipkNote}`,
    }];
}

/** The 1,000-table limit for table-level selection with mapping (seed 001 "Source database requirements"). */
export function tableLimit(task: TaskSpec, mappings: TableMapping[]): PrecheckItem[] {
    const mapped = task.objects.some((db) => db.tables?.some((t) => t.renameTo || t.columns || t.where));
    if (mapped && mappings.length > 1000) {
        return [{
            id: "table-limit", title: "At most 1,000 mapped tables per task", outcome: "failed", object: `${mappings.length} tables`,
            detail: "tables selected one by one with name mapping, column selection or filters are limited to 1,000 per task",
            fix: "split the tables across several tasks, or select whole databases",
        }];
    }
    return [passed("table-limit", "At most 1,000 mapped tables per task")];
}

/** Columns the binlog reader cannot decode exactly (spatial: the SRID is lost) cannot be streamed. */
export function streamableColumns(task: TaskSpec, mappings: TableMapping[]): PrecheckItem[] {
    if (!task.migrationTypes.includes("incremental")) return [];
    const hits = mappings.flatMap((m) => m.columns.filter((c) => !isStreamableColumn(c.source)).map((c) => ({ m, c })));
    if (hits.length === 0) return [passed("streamable-columns", "Every migrated column can be read from the binlog exactly")];
    return hits.map(({ m, c }) => ({
        id: "streamable-columns", title: "Every migrated column can be read from the binlog exactly", outcome: "failed" as const,
        object: `${m.source.database}.${m.source.name}.${c.source.name}`,
        detail: `${c.source.dataType} values lose their SRID in the binlog reader, so changes to this column would be written wrong`,
        fix: `leave the column out with the table's columns: [...], or remove "incremental" from migrationTypes`,
    }));
}

/**
 * System-versioned tables (MariaDB) cannot be streamed: their binlog rows mix the current
 * rows with history rows, and a DELETE arrives as an UPDATE, so the destination would be
 * overwritten with history and keep deleted rows. The full load reads current rows only.
 */
export function systemVersionedTables(task: TaskSpec, mappings: TableMapping[]): PrecheckItem[] {
    const title = "No system-versioned tables in incremental migration";
    if (!task.migrationTypes.includes("incremental")) return [];
    const hits = mappings.filter((m) => m.source.systemVersioned);
    if (hits.length === 0) return [passed("system-versioned-tables", title)];
    return hits.map((m) => ({
        id: "system-versioned-tables", title, outcome: "failed" as const, object: `${m.source.database}.${m.source.name}`,
        detail: "the table is WITH SYSTEM VERSIONING: the binlog logs each change together with an insert of the old row's history version, and a DELETE as an UPDATE of its end time, so the stream cannot tell current rows from history",
        fix: "leave the table out of this task's selection and migrate it with a schema + full task (its current rows), or remove \"incremental\" from migrationTypes",
    }));
}

/** Row filters must be valid SQL for the table; checked by asking the source to plan them. */
export function whereFilters(mappings: TableMapping[], errors: Map<TableMapping, string>): PrecheckItem[] {
    const filtered = mappings.filter((m) => m.where);
    if (filtered.length === 0) return [];
    return filtered.map((m) => {
        const err = errors.get(m);
        return err
            ? {
                id: "where-filters", title: "Row filters are valid", outcome: "failed" as const, object: `${m.source.database}.${m.source.name}`,
                detail: `the filter "${m.where}" is rejected by the source: ${err}`, fix: "correct objects[].tables[].where (a condition without the WHERE keyword)",
            }
            : passed("where-filters", "Row filters are valid", `${m.source.database}.${m.source.name}: ${m.where}`);
    });
}

/**
 * Zero dates in NOT NULL columns, for a destination that writes them as NULL (PostgreSQL has
 * no such dates): each such row would be refused (dirty data, or the task stops), found only
 * row by row in the load. An alert here names the columns first, with the choices.
 */
export function zeroDatesNotNull(columns: string[]): PrecheckItem[] {
    const title = "No zero dates where the destination's column is NOT NULL";
    if (columns.length === 0) return [passed("zero-dates", title)];
    return columns.map((object) => ({
        id: "zero-dates", title, outcome: "alert" as const, object,
        detail: "the column is NOT NULL at the destination (a key column, or a table schema migration does not create) and holds zero or partial-zero dates ('0000-00-00', '2020-00-15'), which the destination cannot store and which are written as NULL: " +
            "the column refuses those rows, and each becomes dirty data (dirtyData \"skip\") or stops the task (\"block\")",
        fix: "set real dates on the source (UPDATE … SET col = … WHERE YEAR(col) = 0 OR MONTH(col) = 0 OR DAYOFMONTH(col) = 0), " +
            "or leave the column out with the table's columns: [...], or accept the alert with ignorePrecheckAlerts: [\"zero-dates\"] and dirtyData \"skip\" to record those rows",
    }));
}
