import * as pulumi from "@pulumi/pulumi";
import * as dts from "pulumi-dts";

// MySQL/MariaDB database "shop" -> PostgreSQL schema "shop" (seed 002's scenario, served
// by any PostgreSQL). Configure with `pulumi config set` (passwords with --secret).
const cfg = new pulumi.Config();

const source = new dts.DatabaseConnection("source", {
    engine: (cfg.get("sourceEngine") as "mysql" | "mariadb" | "polardb-mysql" | undefined) ?? "mariadb",
    host: cfg.get("sourceHost") ?? "127.0.0.1",
    port: cfg.requireNumber("sourcePort"),
    user: cfg.require("sourceUser"),
    password: cfg.requireSecret("sourcePassword"),
});

const destination = new dts.DatabaseConnection("destination", {
    engine: "postgresql",
    host: cfg.get("destinationHost") ?? "127.0.0.1",
    port: cfg.requireNumber("destinationPort"),
    user: cfg.require("destinationUser"),
    password: cfg.requireSecret("destinationPassword"),
    database: cfg.get("destinationDatabase") ?? "postgres",
});

const tables = cfg.getObject<string[]>("tables");

const task = new dts.MigrationTask("shop", {
    source,
    destination,
    migrationTypes: ["schema", "full"],
    objects: [{ database: cfg.get("database") ?? "shop", tables: tables?.map((name) => ({ name })) }],
    conflictingTables: "precheck-and-report",
    dirtyData: "block",
    waitFor: "full-completed",
    throttle: { full: { rps: cfg.getNumber("maxRowsPerSecond") } },
});

export const status = task.status;
export const rowsCopied = task.rowsCopied;
export const tablesMigrated = task.tables.apply((ts) => ts.map((t) => `${t.source} -> ${t.target}: ${t.state}, ${t.rowsCopied} rows`));
export const snapshotPosition = task.snapshotBinlogPosition;
export const notes = task.notes;
