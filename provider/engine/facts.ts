/** Facts Test Connectivity learns about a server; prechecks read them. */
export type Flavour = "MySQL" | "MariaDB" | "PolarDB" | "PostgreSQL" | "AnalyticDB for PostgreSQL" | "Tablestore" | "MaxCompute";

export interface MysqlPrivileges {
    /** Privileges granted ON *.* (upper case, MariaDB aliases mapped to MySQL names). */
    global: string[];
    /** Privileges granted per database (`db` → privileges). */
    databases: Record<string, string[]>;
    select: boolean;
    replicationSlave: boolean;
    replicationClient: boolean;
    showView: boolean;
}

export interface MysqlFacts {
    /** log_bin, or loose_polar_log_bin on PolarDB. */
    logBin: boolean;
    binlogFormat: string;
    binlogRowImage: string;
    /** binlog_row_metadata where the server has it (MySQL 8, MariaDB 10.5+). */
    binlogRowMetadata: string | null;
    /** binlog_row_value_options ("" or "PARTIAL_JSON") where the server has it (MySQL ≥ 8.0.3); null on MariaDB and older MySQL. */
    binlogRowValueOptions?: string | null;
    /** binlog_transaction_compression where the server has it (MySQL ≥ 8.0.20); null on MariaDB and older MySQL. */
    binlogTransactionCompression?: boolean | null;
    /** binlog_order_commits where the server has it (MySQL ≥ 5.6.6; not MariaDB): the snapshot's commit barrier relies on it being ON. */
    binlogOrderCommits?: boolean | null;
    /** Hours binary logs are kept; null when they are never purged automatically. */
    binlogRetentionHours: number | null;
    /** MySQL's gtid_mode, or "MARIADB" (domain-based GTIDs, always available). */
    gtidMode: string;
    /** read_only or super_read_only is ON. */
    readOnly: boolean;
    logSlaveUpdates: boolean;
    /** server_id; 0 means the server serves no binlog clients. */
    serverId: number;
    characterSetServer: string;
    lowerCaseTableNames: number;
    privileges: MysqlPrivileges;
}

export interface PostgresFacts {
    walLevel: string;
    serverEncoding: string;
    readOnly: boolean;
    superuser: boolean;
    /** May create schemas in the connection's database. */
    canCreateSchema: boolean;
    replication: boolean;
}

export interface TablestoreFacts {
    /** Tables the instance holds now (ListTable). */
    tables: number;
    /** Tables an instance may hold: the service's quota, 64 unless raised by a ticket. */
    tableQuota: number;
    /** The endpoint as the client reaches it: scheme, host and port (a path is ignored). */
    endpoint: string;
}

export interface ConnectionFacts {
    flavour: Flavour;
    /** "" for Tablestore: a managed service has no server version to report. */
    serverVersion: string;
    mysql?: MysqlFacts;
    postgres?: PostgresFacts;
    tablestore?: TablestoreFacts;
}
