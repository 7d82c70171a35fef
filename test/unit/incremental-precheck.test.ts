import { describe, expect, it } from "vitest";
import type { ConnectionFacts, Flavour, MysqlFacts } from "../../provider/engine/facts";
import { binlogSettings, parseServerVersion } from "../../provider/connectors/mysql/source/precheck-items";
import type { PrecheckItem } from "../../provider/engine/status";
import { type TaskSpec, taskArgsSchema } from "../../sdk/schema/task";

const spec = (migrationTypes: string[]): TaskSpec => taskArgsSchema.parse({
    source: { connectionId: "dbc-1", engine: "mysql" },
    destination: { connectionId: "dbc-2", engine: "postgresql" },
    migrationTypes, objects: [{ database: "shop" }],
});
const incremental = spec(["schema", "full", "incremental"]);

/** A MySQL 8.0 source that meets every requirement. */
function facts(mysql: Partial<MysqlFacts> = {}, server: { flavour?: Flavour; serverVersion?: string } = {}): ConnectionFacts {
    return {
        flavour: server.flavour ?? "MySQL",
        serverVersion: server.serverVersion ?? "8.0.36",
        mysql: {
            logBin: true, binlogFormat: "ROW", binlogRowImage: "FULL", binlogRowMetadata: "FULL",
            binlogRowValueOptions: "", binlogTransactionCompression: false, binlogRetentionHours: 168,
            gtidMode: "OFF", readOnly: false, logSlaveUpdates: true, serverId: 1, characterSetServer: "utf8mb4", lowerCaseTableNames: 0,
            privileges: { global: ["ALL PRIVILEGES"], databases: {}, select: true, replicationSlave: true, replicationClient: true, showView: true },
            ...mysql,
        },
    };
}

const items = (f: ConnectionFacts, task: TaskSpec = incremental) => binlogSettings(f, task);
const item = (f: ConnectionFacts, id: string): PrecheckItem => {
    const found = items(f).filter((i) => i.id === id);
    expect(found).toHaveLength(1);
    return found[0];
};
const blocking = (f: ConnectionFacts) => items(f).filter((i) => i.outcome !== "passed").map((i) => i.id);

describe("incremental precheck: binlog decoding and source server", () => {
    it("adds nothing without incremental migration", () => {
        expect(items(facts({ binlogRowValueOptions: "PARTIAL_JSON", serverId: 0 }), spec(["schema", "full"]))).toEqual([]);
    });

    it("passes a well-configured MySQL 8.0 source, item by item", () => {
        const all = items(facts());
        expect(all.map((i) => i.id)).toEqual([
            "source-version", "source-read-only", "server-id", "binlog-enabled", "binlog-format", "binlog-row-image",
            "binlog-row-metadata", "binlog-row-value-options", "binlog-transaction-compression", "binlog-retention", "gtid-mode",
        ]);
        expect(all.every((i) => i.outcome === "passed")).toBe(true);
    });

    it("alerts on binlog_row_metadata MINIMAL / NO_LOG with the SET GLOBAL fix", () => {
        for (const value of ["MINIMAL", "NO_LOG"]) {
            const i = item(facts({ binlogRowMetadata: value }), "binlog-row-metadata");
            expect(i).toMatchObject({ outcome: "alert", object: "source" });
            expect(i.detail).toContain(`binlog_row_metadata is ${value}`);
            expect(i.fix).toContain("SET GLOBAL binlog_row_metadata = 'FULL'");
        }
        expect(blocking(facts({ binlogRowMetadata: "MINIMAL" }))).toEqual(["binlog-row-metadata"]);
    });

    it("passes servers without binlog_row_metadata, reading column metadata from information_schema", () => {
        const i = item(facts({ binlogRowMetadata: null, binlogRowValueOptions: null, binlogTransactionCompression: null }, { serverVersion: "5.7.44-log" }), "binlog-row-metadata");
        expect(i.outcome).toBe("passed");
        expect(i.detail).toMatch(/information_schema/);
        const maria = item(facts({ binlogRowMetadata: null, gtidMode: "MARIADB" }, { flavour: "MariaDB", serverVersion: "10.4.32-MariaDB" }), "binlog-row-metadata");
        expect(maria.outcome).toBe("passed");
        expect(maria.detail).toMatch(/information_schema/);
    });

    it("fails binlog_row_value_options=PARTIAL_JSON", () => {
        const i = item(facts({ binlogRowValueOptions: "PARTIAL_JSON" }), "binlog-row-value-options");
        expect(i).toMatchObject({ outcome: "failed", object: "source" });
        expect(i.detail).toMatch(/PARTIAL_JSON/);
        expect(i.fix).toContain("SET GLOBAL binlog_row_value_options = ''");
        expect(blocking(facts({ binlogRowValueOptions: "PARTIAL_JSON" }))).toEqual(["binlog-row-value-options"]);
    });

    it("fails binlog_transaction_compression=ON", () => {
        const i = item(facts({ binlogTransactionCompression: true }), "binlog-transaction-compression");
        expect(i).toMatchObject({ outcome: "failed", object: "source" });
        expect(i.fix).toContain("SET GLOBAL binlog_transaction_compression = OFF");
        expect(item(facts({ binlogTransactionCompression: null }, { serverVersion: "8.0.19" }), "binlog-transaction-compression").outcome).toBe("passed");
    });

    it("has no MySQL-only items on MariaDB", () => {
        const ids = items(facts({ binlogRowValueOptions: null, binlogTransactionCompression: null, gtidMode: "MARIADB" }, { flavour: "MariaDB", serverVersion: "10.11.6-MariaDB-0+deb12u1" })).map((i) => i.id);
        expect(ids).not.toContain("binlog-row-value-options");
        expect(ids).not.toContain("binlog-transaction-compression");
    });

    it("fails a read-only MySQL 5.6 source", () => {
        const f = facts({ readOnly: true, binlogRowMetadata: null, binlogRowValueOptions: null, binlogTransactionCompression: null }, { serverVersion: "5.6.51-log" });
        const i = item(f, "source-read-only");
        expect(i).toMatchObject({ outcome: "failed", object: "source" });
        expect(i.detail).toContain("DTS cannot write its heartbeat to a read-only 5.6 source; incremental migration needs");
        expect(i.fix).toBeTruthy();
        expect(blocking(f)).toEqual(["source-read-only"]);
        // writable 5.6 is fine
        expect(blocking(facts({ readOnly: false, binlogRowMetadata: null, binlogRowValueOptions: null, binlogTransactionCompression: null }, { serverVersion: "5.6.51-log" }))).toEqual([]);
    });

    it("passes a read-only 5.7+ / MariaDB source and says whether replicated changes are logged", () => {
        const i = item(facts({ readOnly: true, logSlaveUpdates: false }, { serverVersion: "8.0.36" }), "source-read-only");
        expect(i.outcome).toBe("passed");
        expect(i.detail).toMatch(/log_replica_updates ON, which is OFF here/); // the 8.0.26+ name
        expect(item(facts({ readOnly: true, logSlaveUpdates: true }, { serverVersion: "5.7.44-log" }), "source-read-only").detail).toMatch(/log_slave_updates ON, which is ON here/);
        expect(item(facts({ readOnly: true, gtidMode: "MARIADB" }, { flavour: "MariaDB", serverVersion: "10.11.6-MariaDB" }), "source-read-only").outcome).toBe("passed");
    });

    it("fails a read-only PolarDB node whatever its version", () => {
        const i = item(facts({ readOnly: true }, { flavour: "PolarDB", serverVersion: "8.0.1" }), "source-read-only");
        expect(i.outcome).toBe("failed");
        expect(i.detail).toMatch(/PolarDB/);
    });

    it("fails sources older than 5.6", () => {
        for (const v of ["5.5.62-log", "5.1.73", "5.5.68-MariaDB"]) {
            const i = item(facts({ binlogRowMetadata: null, binlogRowValueOptions: null, binlogTransactionCompression: null }, { serverVersion: v }), "source-version");
            expect(i).toMatchObject({ outcome: "failed", object: "source" });
            expect(i.detail).toMatch(/5\.6 or later/);
        }
        expect(item(facts({}, { serverVersion: "5.6.10" }), "source-version").outcome).toBe("passed");
        expect(item(facts({}, { flavour: "MariaDB", serverVersion: "10.0.38-MariaDB" }), "source-version").outcome).toBe("passed");
    });

    it("fails server_id 0", () => {
        const i = item(facts({ serverId: 0 }), "server-id");
        expect(i).toMatchObject({ outcome: "failed", object: "source" });
        expect(i.fix).toMatch(/server_id/);
        expect(item(facts({ serverId: 42 }), "server-id")).toMatchObject({ outcome: "passed", detail: "server_id is 42" });
    });

    it("accepts gtid_mode OFF (file and position) and ON", () => {
        const off = item(facts({ gtidMode: "OFF" }), "gtid-mode");
        expect(off.outcome).toBe("passed");
        expect(off.detail).toMatch(/gtid_mode is OFF.*file and position/);
        expect(item(facts({ gtidMode: "ON" }), "gtid-mode").outcome).toBe("passed");
        expect(item(facts({ gtidMode: "MARIADB" }, { flavour: "MariaDB", serverVersion: "10.11.6-MariaDB" }), "gtid-mode").detail).toMatch(/MariaDB/);
    });

    it("passes binlog_row_image on servers that always log full rows", () => {
        expect(item(facts({ binlogRowImage: "" }, { flavour: "MariaDB", serverVersion: "10.0.38-MariaDB" }), "binlog-row-image").outcome).toBe("passed");
        expect(item(facts({ binlogRowImage: "MINIMAL" }), "binlog-row-image").outcome).toBe("failed");
    });

    it("alerts when a MySQL source has binlog_order_commits OFF (the snapshot's barrier proves nothing then), with the SET GLOBAL fix", () => {
        const i = item(facts({ binlogOrderCommits: false }), "binlog-order-commits");
        expect(i).toMatchObject({ outcome: "alert", object: "source" });
        expect(i.detail).toMatch(/binlog_order_commits is OFF.*missing at the destination/);
        expect(i.fix).toContain("SET GLOBAL binlog_order_commits = ON");
        expect(blocking(facts({ binlogOrderCommits: false }))).toEqual(["binlog-order-commits"]);
        expect(item(facts({ binlogOrderCommits: true }), "binlog-order-commits").outcome).toBe("passed");
        expect(item(facts({ binlogOrderCommits: false }, { flavour: "PolarDB", serverVersion: "8.0.18" }), "binlog-order-commits").outcome).toBe("alert");
    });

    it("asks nothing about binlog_order_commits of MariaDB, of servers that did not report it, or without a full load", () => {
        const ids = (f: ConnectionFacts, task: TaskSpec = incremental) => items(f, task).map((i) => i.id);
        expect(ids(facts({ binlogOrderCommits: null, gtidMode: "MARIADB" }, { flavour: "MariaDB", serverVersion: "10.11.6-MariaDB" }))).not.toContain("binlog-order-commits");
        expect(ids(facts({ binlogOrderCommits: undefined }))).not.toContain("binlog-order-commits");
        expect(ids(facts({ binlogOrderCommits: false }), spec(["incremental"]))).not.toContain("binlog-order-commits");
    });

    it("parses server versions", () => {
        expect(parseServerVersion("5.6.51-log")).toEqual([5, 6, 51]);
        expect(parseServerVersion("8.0.36-0ubuntu0.22.04.1")).toEqual([8, 0, 36]);
        expect(parseServerVersion("10.11.6-MariaDB-0+deb12u1")).toEqual([10, 11, 6]);
        expect(parseServerVersion("5.5.5-10.11.6-MariaDB")).toEqual([10, 11, 6]);
        expect(parseServerVersion("5.5.62")).toEqual([5, 5, 62]);
        expect(parseServerVersion("")).toBeNull();
    });
});
