import * as pulumi from "@pulumi/pulumi";
import * as dts from "pulumi-dts";

// Where the databases are: `npm run quickstart` starts throw-away local servers and
// sets this configuration; point it at your own servers the same way.
const cfg = new pulumi.Config();

const source = new dts.DatabaseConnection("source", {
    engine: "mariadb",
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
    database: "postgres",
});

// What Test Connectivity found: what a migration's precheck will look at.
export const sourceServer = pulumi.interpolate`${source.flavour} ${source.serverVersion} at ${source.endpoint}`;
export const sourceBinlog = source.facts.apply((f) => ({
    logBin: f.mysql?.logBin,
    format: f.mysql?.binlogFormat,
    rowImage: f.mysql?.binlogRowImage,
    retentionHours: f.mysql?.binlogRetentionHours,
    gtidMode: f.mysql?.gtidMode,
}));
export const sourcePrivileges = source.facts.apply((f) => f.mysql?.privileges);
export const destinationServer = pulumi.interpolate`${destination.flavour} ${destination.serverVersion} at ${destination.endpoint}`;
export const destinationFacts = destination.facts.apply((f) => f.postgres);

// The migration: the source's `shop` database becomes the PostgreSQL schema `shop`. Schema,
// full load, then the binlog stream that keeps the copy in step until `pulumi destroy`.
// `pulumi up` returns once the copy has caught up with the source.
const task = new dts.MigrationTask("shop", {
    source,
    destination,
    migrationTypes: ["schema", "full", "incremental"],
    objects: [{ database: "shop" }],
    waitFor: "caught-up",
});

export const taskStatus = task.status;
export const tablesCopied = task.tables.apply((ts) => ts.map((t) => `${t.source} -> ${t.target}: ${t.rowsCopied} rows`));
export const snapshotPosition = task.snapshotBinlogPosition;
export const latencySeconds = task.latencySeconds;
