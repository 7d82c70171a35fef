import * as pulumi from "@pulumi/pulumi";
import * as dts from "pulumi-dts";

// MySQL or MariaDB database "shop" -> a Tablestore instance: each table becomes a Tablestore
// table of the same name (an instance has no databases), keyed by the source's primary key.
// Configure with `pulumi config set` (secrets with --secret); README.md lists the keys.
//
// By default the task migrates the schema (creates the tables), the existing rows, and then
// follows the source's binlog (incremental migration) until the stack is destroyed:
// `pulumi up` returns once Tablestore has caught up. `pulumi config set incremental false`
// makes it a one-off schema + full migration that completes.
const cfg = new pulumi.Config();
const withIncremental = cfg.getBoolean("incremental") ?? true;

const source = new dts.DatabaseConnection("source", {
    engine: (cfg.get("sourceEngine") as "mysql" | "mariadb" | "polardb-mysql" | undefined) ?? "mariadb",
    host: cfg.get("sourceHost") ?? "127.0.0.1",
    port: cfg.getNumber("sourcePort"),
    user: cfg.require("sourceUser"),
    password: cfg.requireSecret("sourcePassword"),
});

// The instance's endpoint (https://<instance>.<region>.ots.aliyuncs.com, or the local test
// server's http://127.0.0.1:PORT) and an AccessKey pair of an account that may create tables
// and write rows in it. The secret stays a Pulumi secret in state and is in no log.
const destination = new dts.DatabaseConnection("destination", {
    engine: "tablestore",
    endpoint: cfg.require("endpoint"),
    instanceName: cfg.require("instanceName"),
    accessKeyId: cfg.require("accessKeyId"),
    accessKeySecret: cfg.requireSecret("accessKeySecret"),
});

const tables = cfg.getObject<string[]>("tables");
// Requests in flight across the task; changing it updates the running task in place.
const concurrency = cfg.getNumber("concurrency") ?? 64;

const task = new dts.MigrationTask("shop", {
    source,
    destination,
    migrationTypes: withIncremental ? ["schema", "full", "incremental"] : ["schema", "full"],
    // A table without a primary key needs tablestorePrimaryKey (1-4 NOT NULL columns) in its
    // entry, e.g. { name: "events", tablestorePrimaryKey: ["device", "at"] }.
    objects: [{ database: cfg.get("database") ?? "shop", tables: tables?.map((name) => ({ name })) }],
    conflictingTables: "precheck-and-report",
    dirtyData: "block",
    // Precheck alerts to accept, by item id: e.g. "value-sizes" when some rows hold values over
    // Tablestore's 2 MB (or 1 KB in a key) and may be refused as dirty data.
    ignorePrecheckAlerts: cfg.getObject<string[]>("ignorePrecheckAlerts") ?? [],
    waitFor: withIncremental ? "caught-up" : "full-completed",
    tablestore: {
        // update-row: a change updates the columns it names (a column set to NULL is deleted);
        // overwrite-row: a change replaces the whole row.
        writeMode: (cfg.get("writeMode") as "update-row" | "overwrite-row" | undefined) ?? "update-row",
        // bulk-import (BulkImport requests, for throughput) or batch-write-row (BatchWriteRow).
        batchMode: (cfg.get("batchMode") as "bulk-import" | "batch-write-row" | undefined) ?? "bulk-import",
        // Rows gathered into one request; full-load chunk writers (threadCount).
        queueSize: cfg.getNumber("queueSize") ?? 1024,
        threadCount: cfg.getNumber("threadCount") ?? 8,
        concurrency,
        // Ordered buckets of incremental writes (rows of one key stay in order); at most concurrency.
        bucketCount: cfg.getNumber("bucketCount") ?? Math.min(8, concurrency),
        // DATE, DATETIME, TIMESTAMP, TIME as ISO 8601 text, or as INTEGER microseconds since 1970 UTC.
        temporal: (cfg.get("temporal") as "iso-string" | "epoch-micros" | undefined) ?? "iso-string",
    },
});

export const destinationEndpoint = destination.endpoint;
export const status = task.status;
export const rowsCopied = task.rowsCopied;
export const tablesMigrated = task.tables.apply((ts) => ts.map((t) => `${t.source} -> ${t.target}: ${t.state}, ${t.rowsCopied} rows`));
export const snapshotPosition = task.snapshotBinlogPosition;
export const notes = task.notes;
/** Seconds Tablestore is behind the source (null without incremental migration). */
export const latencySeconds = task.latencySeconds;
/** The stream: binlog position applied, latency, caught up, changes and transactions applied, skipped DDL. */
export const incremental = task.incremental;
