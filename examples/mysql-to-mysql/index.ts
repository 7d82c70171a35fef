import * as pulumi from "@pulumi/pulumi";
import * as dts from "pulumi-dts";

// MySQL, MariaDB or PolarDB for MySQL -> MySQL or MariaDB: database "shop" copied as
// "shop_copy", with its views, routines and triggers. Their DEFINER becomes the destination
// account, and views and routines run with SQL SECURITY INVOKER, so the source's accounts
// need not exist at the destination. Configuration: README.md.
const cfg = new pulumi.Config();

const source = new dts.DatabaseConnection("source", {
    engine: (cfg.get("sourceEngine") as "mysql" | "mariadb" | "polardb-mysql" | undefined) ?? "mariadb",
    host: cfg.get("sourceHost") ?? "127.0.0.1",
    port: cfg.getNumber("sourcePort"),
    user: cfg.require("sourceUser"),
    password: cfg.requireSecret("sourcePassword"),
});

const destination = new dts.DatabaseConnection("destination", {
    engine: (cfg.get("destinationEngine") as "mysql" | "mariadb" | undefined) ?? "mariadb",
    host: cfg.get("destinationHost") ?? "127.0.0.1",
    port: cfg.getNumber("destinationPort"),
    user: cfg.require("destinationUser"),
    password: cfg.requireSecret("destinationPassword"),
});

const task = new dts.MigrationTask("shop-copy", {
    source,
    destination,
    migrationTypes: ["schema", "full"],
    objects: [{ database: cfg.get("database") ?? "shop", renameTo: cfg.get("renameTo") ?? "shop_copy" }],
    retry: { connectionMinutes: 30, otherMinutes: 10 },
    throttle: { full: { rps: cfg.getNumber("maxRowsPerSecond") } },
});

export const status = task.status;
export const rowsCopied = task.rowsCopied;
export const precheck = task.precheck.apply((p) => p?.items.map((i) => `${i.outcome}: ${i.title}${i.object ? ` (${i.object})` : ""}`));
export const notes = task.notes;
