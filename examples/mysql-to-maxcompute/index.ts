import * as pulumi from "@pulumi/pulumi";
import * as dts from "pulumi-dts";

// MySQL or MariaDB database "shop" -> a MaxCompute project: each table becomes <table>_base
// (the full baseline) and, with incremental migration, <table>_log (every change after it,
// with record_id, operation_flag, utc_timestamp, before_flag and after_flag), as DTS does.
// `npx pulumi-dts maxcompute merge-sql <table> --key id --columns …` prints the SQL that
// merges the two into the table's current state. README.md lists the configuration keys.
const cfg = new pulumi.Config();
const withIncremental = cfg.getBoolean("incremental") ?? true;

const source = new dts.DatabaseConnection("source", {
    engine: (cfg.get("sourceEngine") as "mysql" | "mariadb" | "polardb-mysql" | undefined) ?? "mariadb",
    host: cfg.get("sourceHost") ?? "127.0.0.1",
    port: cfg.getNumber("sourcePort"),
    user: cfg.require("sourceUser"),
    password: cfg.requireSecret("sourcePassword"),
});

// The project's endpoint (http://service.<region>.maxcompute.aliyun.com/api, or the local
// test server's http://127.0.0.1:PORT/api) and an AccessKey pair that may create tables and
// upload in the project. The secret stays a Pulumi secret in state and is in no log.
const destination = new dts.DatabaseConnection("destination", {
    engine: "maxcompute",
    endpoint: cfg.require("endpoint"),
    project: cfg.require("project"),
    accessKeyId: cfg.require("accessKeyId"),
    accessKeySecret: cfg.requireSecret("accessKeySecret"),
});

const tables = cfg.getObject<string[]>("tables");

const task = new dts.MigrationTask("shop", {
    source,
    destination,
    migrationTypes: withIncremental ? ["schema", "full", "incremental"] : ["schema", "full"],
    objects: [{ database: cfg.get("database") ?? "shop", tables: tables?.map((name) => ({ name })) }],
    conflictingTables: "precheck-and-report",
    dirtyData: "block",
    waitFor: withIncremental ? "caught-up" : "full-completed",
    maxcompute: {
        // "new" prefixes the additional columns with new_dts_sync_ (DTS's New Rule); "previous" does not.
        additionalColumnRule: (cfg.get("additionalColumnRule") as "new" | "previous" | undefined) ?? "new",
        // Partition columns of the _log tables, computed from utc_timestamp (UTC).
        incrementalPartitions: ["modifytime_year", "modifytime_month", "modifytime_day"],
    },
});

export const status = task.status;
export const rowsCopied = task.rowsCopied;
export const tablesMigrated = task.tables.apply((ts) => ts.map((t) => `${t.source} -> ${t.target}: ${t.state}, ${t.rowsCopied} rows`));
export const notes = task.notes;
/** The stream: binlog position applied, latency, caught up, changes applied, skipped DDL. */
export const incremental = task.incremental;
