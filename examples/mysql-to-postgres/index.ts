import * as pulumi from "@pulumi/pulumi";
import * as dts from "pulumi-dts";

// MySQL or MariaDB database "shop" -> PostgreSQL schema "shop". Configure with
// `pulumi config set` (passwords with --secret); README.md lists the keys.
//
// By default the task migrates the schema, the existing data, and then follows the source's
// binlog (incremental migration) until the stack is destroyed: `pulumi up` returns once the
// destination has caught up. `pulumi config set incremental false` makes it a one-off
// schema + full migration that completes.
const cfg = new pulumi.Config();
const withIncremental = cfg.getBoolean("incremental") ?? true;

const source = new dts.DatabaseConnection("source", {
    engine: (cfg.get("sourceEngine") as "mysql" | "mariadb" | "polardb-mysql" | undefined) ?? "mariadb",
    host: cfg.get("sourceHost") ?? "127.0.0.1",
    port: cfg.getNumber("sourcePort"),
    user: cfg.require("sourceUser"),
    password: cfg.requireSecret("sourcePassword"),
});

const destination = new dts.DatabaseConnection("destination", {
    engine: "postgresql",
    host: cfg.get("destinationHost") ?? "127.0.0.1",
    port: cfg.getNumber("destinationPort"),
    user: cfg.require("destinationUser"),
    password: cfg.requireSecret("destinationPassword"),
    database: cfg.get("destinationDatabase") ?? "postgres",
});

const tables = cfg.getObject<string[]>("tables");

const task = new dts.MigrationTask("shop", {
    source,
    destination,
    migrationTypes: withIncremental ? ["schema", "full", "incremental"] : ["schema", "full"],
    objects: [{ database: cfg.get("database") ?? "shop", tables: tables?.map((name) => ({ name })) }],
    conflictingTables: "precheck-and-report",
    dirtyData: "block",
    // caught-up: pulumi up returns once the stream has applied what the source has logged.
    waitFor: withIncremental ? "caught-up" : "full-completed",
    throttle: {
        // Rows per second written during the full load (`pulumi config set maxRowsPerSecond 5000`).
        full: { rps: cfg.getNumber("maxRowsPerSecond") },
        // Row changes per second applied by the stream (`pulumi config set incrementalRowsPerSecond 1000`);
        // changing it updates the running task in place.
        ...(withIncremental ? { incremental: { rps: cfg.getNumber("incrementalRowsPerSecond") } } : {}),
    },
});

export const status = task.status;
export const rowsCopied = task.rowsCopied;
export const tablesMigrated = task.tables.apply((ts) => ts.map((t) => `${t.source} -> ${t.target}: ${t.state}, ${t.rowsCopied} rows`));
export const snapshotPosition = task.snapshotBinlogPosition;
export const notes = task.notes;
/** Seconds the destination is behind the source (null without incremental migration). */
export const latencySeconds = task.latencySeconds;
/** The stream: binlog position applied, latency, caught up, changes and transactions applied, skipped DDL. */
export const incremental = task.incremental;
