import * as pulumi from "@pulumi/pulumi";
import * as dts from "pulumi-dts";

// A migration task run by the engine service that ../index.ts deploys, not by an engine on
// this machine. The program is the same as for the local engine: the stack's pulumi-dts:*
// config points the resources at the service (../README.md, "Using the service"):
//
//   pulumi config set pulumi-dts:endpoint https://engine.pulumi-dts.svc:7443
//   pulumi config set --secret pulumi-dts:token dts_...
//   pulumi config set pulumi-dts:caCert -- "$(cat ca.crt)"
//
// Connection passwords reach the service sealed under its master key; they are secrets in
// this stack's state as with the local engine.
const dtsConfig = new pulumi.Config("pulumi-dts");
// This program is meant for the service: refuse to fall back to a local engine.
dtsConfig.require("endpoint");

const cfg = new pulumi.Config();

const source = new dts.DatabaseConnection("source", {
    engine: "mysql",
    host: cfg.require("sourceHost"),
    port: cfg.getNumber("sourcePort"),
    user: cfg.require("sourceUser"),
    password: cfg.requireSecret("sourcePassword"),
});

const destination = new dts.DatabaseConnection("destination", {
    engine: "postgresql",
    host: cfg.require("destinationHost"),
    port: cfg.getNumber("destinationPort"),
    user: cfg.require("destinationUser"),
    password: cfg.requireSecret("destinationPassword"),
    database: cfg.get("destinationDatabase") ?? "postgres",
});

const task = new dts.MigrationTask("shop", {
    source,
    destination,
    migrationTypes: ["schema", "full", "incremental"],
    objects: [{ database: cfg.get("database") ?? "shop" }],
    waitFor: "caught-up",
});

export const status = task.status;
export const rowsCopied = task.rowsCopied;
export const latencySeconds = task.latencySeconds;
