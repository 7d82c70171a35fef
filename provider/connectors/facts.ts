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
    /** Hours binary logs are kept; null when they are never purged automatically. */
    binlogRetentionHours: number | null;
    /** MySQL's gtid_mode, or "MARIADB" (domain-based GTIDs, always available). */
    gtidMode: string;
    readOnly: boolean;
    logSlaveUpdates: boolean;
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

export interface ConnectionFacts {
    flavour: Flavour;
    serverVersion: string;
    mysql?: MysqlFacts;
    postgres?: PostgresFacts;
}
