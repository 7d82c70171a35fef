import type { Connection, RowDataPacket } from "mysql2/promise";
import type { MysqlConnectionSpec } from "../../../sdk/schema/connection";
import type { ConnectionFacts, Flavour, MysqlFacts } from "../../engine/facts";
import { parseGrants } from "./grants";
import { serverDialect } from "./server-dialect";

async function variables(conn: Connection): Promise<Map<string, string>> {
    const [rows] = await conn.query<RowDataPacket[]>(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version','version_comment','log_bin','loose_polar_log_bin','polar_log_bin'," +
            "'binlog_format','binlog_row_image','binlog_row_metadata','binlog_row_value_options','binlog_transaction_compression'," +
            "'binlog_expire_logs_seconds','expire_logs_days','gtid_mode','binlog_order_commits'," +
            "'read_only','super_read_only','log_slave_updates','log_replica_updates','server_id','character_set_server','lower_case_table_names','polardb_version')",
    );
    return new Map(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]));
}

const on = (v: string | undefined) => v !== undefined && /^(ON|1|YES|TRUE)$/i.test(v);

export function flavourOf(spec: MysqlConnectionSpec, vars: Map<string, string>): Flavour {
    if ((vars.get("version") ?? "").includes("MariaDB")) return "MariaDB";
    if (spec.engine === "polardb-mysql" || vars.has("polardb_version") || vars.has("loose_polar_log_bin") || vars.has("polar_log_bin")) return "PolarDB";
    return "MySQL";
}

/** Binlog retention in hours, from whichever setting the server uses; null = never purged. */
export function retentionHours(vars: Map<string, string>): number | null {
    const seconds = Number(vars.get("binlog_expire_logs_seconds") ?? "0");
    if (seconds > 0) return seconds / 3600;
    const days = Number(vars.get("expire_logs_days") ?? "0");
    if (days > 0) return days * 24;
    return null;
}

export async function introspectMysqlServer(conn: Connection, spec: MysqlConnectionSpec): Promise<ConnectionFacts> {
    const vars = await variables(conn);
    const flavour = flavourOf(spec, vars);
    const dialect = serverDialect(flavour, vars.get("version") ?? "");
    // MySQL ≥ 8.0.26 names it log_replica_updates (the old name is a deprecated alias); read either.
    const replicaUpdates = dialect.logReplicaUpdates === "log_replica_updates" ? ["log_replica_updates", "log_slave_updates"] : ["log_slave_updates", "log_replica_updates"];
    const [grantRows] = await conn.query<RowDataPacket[]>("SHOW GRANTS FOR CURRENT_USER()");
    const grants = grantRows.map((r) => String(Object.values(r)[0]));
    const polarLogBin = vars.get("loose_polar_log_bin") ?? vars.get("polar_log_bin");
    const mysqlFacts: MysqlFacts = {
        logBin: flavour === "PolarDB" && polarLogBin !== undefined ? on(polarLogBin) : on(vars.get("log_bin")),
        binlogFormat: vars.get("binlog_format") ?? "",
        binlogRowImage: vars.get("binlog_row_image") ?? "",
        binlogRowMetadata: vars.get("binlog_row_metadata") ?? null,
        binlogRowValueOptions: vars.get("binlog_row_value_options") ?? null,
        binlogTransactionCompression: vars.has("binlog_transaction_compression") ? on(vars.get("binlog_transaction_compression")) : null,
        binlogOrderCommits: vars.has("binlog_order_commits") ? on(vars.get("binlog_order_commits")) : null,
        binlogRetentionHours: retentionHours(vars),
        gtidMode: flavour === "MariaDB" ? "MARIADB" : (vars.get("gtid_mode") ?? "OFF"),
        readOnly: on(vars.get("read_only")) || on(vars.get("super_read_only")),
        logSlaveUpdates: on(vars.get(replicaUpdates[0]) ?? vars.get(replicaUpdates[1])),
        serverId: Number(vars.get("server_id") ?? "0"),
        characterSetServer: vars.get("character_set_server") ?? "",
        lowerCaseTableNames: Number(vars.get("lower_case_table_names") ?? "0"),
        privileges: parseGrants(grants),
    };
    return { flavour, serverVersion: vars.get("version") ?? "", mysql: mysqlFacts };
}
