import type { TaskSpec } from "../../../sdk/schema/task";
import type { ConnectionFacts } from "../../connectors/facts";
import type { TableMapping } from "../model";
import type { PrecheckItem } from "../status";

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

/** Binlog settings incremental migration depends on (seed 001 table; PolarDB uses loose_polar_log_bin). */
export function binlogSettings(facts: ConnectionFacts, task: TaskSpec): PrecheckItem[] {
    const m = facts.mysql;
    if (!m || !task.migrationTypes.includes("incremental")) return [];
    const items: PrecheckItem[] = [];
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
    items.push(m.binlogRowImage.toUpperCase() === "FULL" ? passed("binlog-row-image", "binlog_row_image is FULL") : {
        id: "binlog-row-image", title: "binlog_row_image is FULL", outcome: "failed", object: "source",
        detail: `binlog_row_image is ${m.binlogRowImage}`, fix: "SET GLOBAL binlog_row_image = 'FULL' and in the server configuration",
    });
    const hours = m.binlogRetentionHours;
    items.push(hours === null || hours >= 168 ? passed("binlog-retention", "Binary logs are kept long enough") : {
        id: "binlog-retention", title: "Binary logs are kept long enough", outcome: "alert", object: "source",
        detail: `binary logs are kept ${hours} hours; DTS requires at least 7 days for self-managed MySQL (3 days for RDS)`,
        fix: "SET GLOBAL binlog_expire_logs_seconds = 604800 (or expire_logs_days = 7)",
    });
    return items;
}

/** Tables without a primary or unique key may get duplicate rows (seed 001 "Source database requirements"). */
export function primaryKeys(mappings: TableMapping[]): PrecheckItem[] {
    const keyless = mappings.filter((m) => !m.key);
    if (keyless.length === 0) return [passed("primary-keys", "Every selected table has a primary or unique key")];
    return keyless.map((m) => ({
        id: "primary-keys", title: "Every selected table has a primary or unique key", outcome: "alert" as const,
        object: `${m.source.database}.${m.source.name}`,
        detail: "no primary key or NOT NULL unique key among the migrated columns: a retried load or replayed change can duplicate rows, and the table is copied in one piece (not split, not resumable mid-table)",
        fix: "add a primary key to the source table (or migrate its key columns), or accept the alert with ignorePrecheckAlerts: [\"primary-keys\"]",
    }));
}

/** MySQL ≥ 8.0.23 (and MariaDB) invisible columns: DTS loses them; we read them by name. */
export function invisibleColumns(mappings: TableMapping[]): PrecheckItem[] {
    const hits = mappings.flatMap((m) => m.columns.filter((c) => c.source.invisible).map((c) => `${m.source.database}.${m.source.name}.${c.source.name}`));
    if (hits.length === 0) return [passed("invisible-columns", "No invisible columns")];
    return [{
        id: "invisible-columns", title: "No invisible columns", outcome: "passed", object: hits.join(", "),
        detail: "invisible columns are selected by name, so their data is migrated (DTS would lose it); they are visible at the destination",
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
