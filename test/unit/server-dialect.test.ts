import { describe, expect, it } from "vitest";
import {
    atLeast, binlogPositionOf, detectDialect, isGeneratedInvisiblePrimaryKey, readBinlogStatus, type ServerDialect, serverDialect, type SqlSession,
} from "../../provider/connectors/mysql/server-dialect";
import type { SourceColumn } from "../../provider/engine/model";

/** Servers as their flavour (from Test Connectivity) and VERSION() report them. */
const servers = {
    "MariaDB 10.11": serverDialect("MariaDB", "10.11.6-MariaDB-0+deb12u1-log"),
    "MariaDB 10.4": serverDialect("MariaDB", "10.4.32-MariaDB"),
    "MariaDB 10.2 (protocol prefix)": serverDialect("MySQL", "5.5.5-10.2.44-MariaDB"),
    "MySQL 5.6.51": serverDialect("MySQL", "5.6.51-log"),
    "MySQL 5.7.44": serverDialect("MySQL", "5.7.44-log"),
    "MySQL 8.0.20": serverDialect("MySQL", "8.0.20"),
    "MySQL 8.0.22": serverDialect("MySQL", "8.0.22"),
    "MySQL 8.0.26": serverDialect("MySQL", "8.0.26"),
    "MySQL 8.0.29": serverDialect("MySQL", "8.0.29"),
    "MySQL 8.0.30": serverDialect("MySQL", "8.0.30"),
    "MySQL 8.0.40": serverDialect("MySQL", "8.0.40-0ubuntu0.22.04.1"),
    "MySQL 8.2.0": serverDialect("MySQL", "8.2.0"),
    "MySQL 8.4.3": serverDialect("MySQL", "8.4.3"),
    "MySQL 9.1": serverDialect("MySQL", "9.1.0"),
    "PolarDB 5.7": serverDialect("PolarDB", "5.7.28"),
    "PolarDB 8.0.1": serverDialect("PolarDB", "8.0.13"),
    "PolarDB 8.0.2": serverDialect("PolarDB", "8.0.18"),
    "unrecognised MySQL": serverDialect("MySQL", "custom-build"),
} satisfies Record<string, ServerDialect>;
type Server = keyof typeof servers;

const pick = <K extends keyof ServerDialect>(key: K) =>
    Object.fromEntries(Object.entries(servers).map(([name, d]) => [name, d[key]])) as Record<Server, ServerDialect[K]>;

describe("server dialect: which statement for which server", () => {
    it("parses versions and compares them", () => {
        expect(servers["MariaDB 10.2 (protocol prefix)"]).toMatchObject({ flavour: "MariaDB", version: [10, 2, 44] });
        expect(servers["MySQL 8.0.40"].version).toEqual([8, 0, 40]);
        expect(servers["unrecognised MySQL"].version).toBeNull();
        expect(atLeast([8, 0, 30], 8, 0, 30)).toBe(true);
        expect(atLeast([8, 0, 29], 8, 0, 30)).toBe(false);
        expect(atLeast([8, 1, 0], 8, 0, 30)).toBe(true);
        expect(atLeast([10, 11, 6], 8, 4)).toBe(true);
        expect(atLeast(null, 5, 0)).toBe(false);
    });

    it("reads the binlog status with SHOW BINARY LOG STATUS from MySQL 8.2 (8.4 removed SHOW MASTER STATUS), else SHOW MASTER STATUS", () => {
        expect(pick("binlogStatus")).toEqual({
            "MariaDB 10.11": "SHOW MASTER STATUS",
            "MariaDB 10.4": "SHOW MASTER STATUS",
            "MariaDB 10.2 (protocol prefix)": "SHOW MASTER STATUS",
            "MySQL 5.6.51": "SHOW MASTER STATUS",
            "MySQL 5.7.44": "SHOW MASTER STATUS",
            "MySQL 8.0.20": "SHOW MASTER STATUS",
            "MySQL 8.0.22": "SHOW MASTER STATUS",
            "MySQL 8.0.26": "SHOW MASTER STATUS",
            "MySQL 8.0.29": "SHOW MASTER STATUS",
            "MySQL 8.0.30": "SHOW MASTER STATUS",
            "MySQL 8.0.40": "SHOW MASTER STATUS",
            "MySQL 8.2.0": "SHOW BINARY LOG STATUS",
            "MySQL 8.4.3": "SHOW BINARY LOG STATUS",
            "MySQL 9.1": "SHOW BINARY LOG STATUS",
            "PolarDB 5.7": "SHOW MASTER STATUS",
            "PolarDB 8.0.1": "SHOW MASTER STATUS",
            "PolarDB 8.0.2": "SHOW MASTER STATUS",
            "unrecognised MySQL": "SHOW MASTER STATUS",
        });
        // Only a server whose version is unknown gets a second try.
        const fallbacks = Object.entries(pick("binlogStatusFallback")).filter(([, f]) => f !== null);
        expect(fallbacks).toEqual([["unrecognised MySQL", "SHOW BINARY LOG STATUS"]]);
    });

    it("uses the REPLICA variable name where MySQL has it (log_replica_updates 8.0.26); MariaDB keeps the SLAVE name", () => {
        expect(pick("logReplicaUpdates")).toMatchObject({
            "MariaDB 10.11": "log_slave_updates", "MySQL 5.7.44": "log_slave_updates", "MySQL 8.0.22": "log_slave_updates",
            "MySQL 8.0.26": "log_replica_updates", "MySQL 8.0.40": "log_replica_updates", "MySQL 8.4.3": "log_replica_updates", "MySQL 9.1": "log_replica_updates",
        });
    });

    it("takes MariaDB's snapshot position and a barrier elsewhere; GTIDs from Executed_Gtid_Set on MySQL", () => {
        for (const [name, d] of Object.entries(servers)) {
            const maria = name.startsWith("MariaDB");
            expect(d.snapshotPosition, name).toBe(maria ? "binlog-snapshot-status" : "binlog-status-barrier");
            expect(d.gtid, name).toBe(maria ? "gtid-binlog-pos" : "executed-gtid-set");
            expect(d.hasBinlogOrderCommits, name).toBe(!maria && name !== "unrecognised MySQL");
        }
    });

    it("shows generated invisible primary keys from MySQL 8.0.30 only", () => {
        const on = "SET SESSION show_gipk_in_create_table_and_information_schema = ON";
        expect(pick("showGipk")).toEqual({
            "MariaDB 10.11": null, "MariaDB 10.4": null, "MariaDB 10.2 (protocol prefix)": null,
            "MySQL 5.6.51": null, "MySQL 5.7.44": null, "MySQL 8.0.20": null, "MySQL 8.0.22": null, "MySQL 8.0.26": null, "MySQL 8.0.29": null,
            "MySQL 8.0.30": on, "MySQL 8.0.40": on, "MySQL 8.2.0": on, "MySQL 8.4.3": on, "MySQL 9.1": on,
            "PolarDB 5.7": null, "PolarDB 8.0.1": null, "PolarDB 8.0.2": null, "unrecognised MySQL": null,
        });
    });
});

/** A session that answers the statements it knows and rejects others as the server's parser would. */
function session(answers: Record<string, unknown[]>): SqlSession & { sent: string[] } {
    const sent: string[] = [];
    return {
        sent,
        query: async (sql: string) => {
            sent.push(sql);
            if (!(sql in answers)) throw Object.assign(new Error(`You have an error in your SQL syntax near '${sql}'`), { errno: 1064 });
            return [answers[sql], []];
        },
    };
}

describe("server dialect: reading the binlog status", () => {
    const mysqlRow = { File: "binlog.000012", Position: 157, Binlog_Do_DB: "", Binlog_Ignore_DB: "", Executed_Gtid_Set: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,\n4E11FA47-71CA-11E1-9E33-C80AA9429562:1-3" };

    it("reads file, position and the executed GTID set (newlines removed) on MySQL 8.4", async () => {
        const s = session({ "SHOW BINARY LOG STATUS": [mysqlRow] });
        expect(await readBinlogStatus(s, servers["MySQL 8.4.3"])).toEqual({
            file: "binlog.000012", position: 157, gtid: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,4E11FA47-71CA-11E1-9E33-C80AA9429562:1-3",
        });
        expect(s.sent).toEqual(["SHOW BINARY LOG STATUS"]);
    });

    it("sends SHOW MASTER STATUS to MySQL 8.0 and 5.7, with no GTID when gtid_mode is OFF", async () => {
        for (const name of ["MySQL 8.0.40", "MySQL 5.7.44"] as const) {
            const s = session({ "SHOW MASTER STATUS": [{ ...mysqlRow, Executed_Gtid_Set: "" }] });
            expect(await readBinlogStatus(s, servers[name])).toEqual({ file: "binlog.000012", position: 157 });
            expect(s.sent).toEqual(["SHOW MASTER STATUS"]);
        }
    });

    it("takes no GTID from MariaDB's status (its position is @@gtid_binlog_pos)", () => {
        expect(binlogPositionOf({ File: "mysql-bin.000003", Position: "4213", Binlog_Do_DB: "", Binlog_Ignore_DB: "" }, servers["MariaDB 10.11"]))
            .toEqual({ file: "mysql-bin.000003", position: 4213 });
    });

    it("returns null without binary logging (no row)", async () => {
        expect(await readBinlogStatus(session({ "SHOW MASTER STATUS": [] }), servers["MariaDB 10.11"])).toBeNull();
    });

    it("tries the other statement only for an unrecognised version, and only after a syntax error", async () => {
        const s = session({ "SHOW BINARY LOG STATUS": [mysqlRow] });
        expect((await readBinlogStatus(s, servers["unrecognised MySQL"]))?.file).toBe("binlog.000012");
        expect(s.sent).toEqual(["SHOW MASTER STATUS", "SHOW BINARY LOG STATUS"]);
        await expect(readBinlogStatus(session({ "SHOW BINARY LOG STATUS": [mysqlRow] }), servers["MySQL 8.0.40"])).rejects.toThrow(/syntax/);
        const denied: SqlSession = { query: async () => { throw Object.assign(new Error("Access denied; you need REPLICATION CLIENT"), { errno: 1227 }); } };
        await expect(readBinlogStatus(denied, servers["unrecognised MySQL"])).rejects.toThrow(/REPLICATION CLIENT/);
    });

    it("detects the dialect from VERSION() when only a connection is at hand", async () => {
        expect((await detectDialect(session({ "SELECT VERSION() AS v": [{ v: "8.4.3" }] }))).binlogStatus).toBe("SHOW BINARY LOG STATUS");
        expect((await detectDialect(session({ "SELECT VERSION() AS v": [{ v: "10.11.6-MariaDB" }] }))).flavour).toBe("MariaDB");
        expect((await detectDialect(session({ "SELECT VERSION() AS v": [{ v: "8.0.18" }] }), "PolarDB")).flavour).toBe("PolarDB");
    });
});

describe("server dialect: generated invisible primary keys", () => {
    const col = (over: Partial<SourceColumn>): SourceColumn => ({
        name: "my_row_id", ordinal: 1, dataType: "bigint", columnType: "bigint unsigned", nullable: false, defaultValue: null,
        extra: "auto_increment INVISIBLE", generationExpression: null, unsigned: true, maxLength: null, numericPrecision: 20, numericScale: 0,
        datetimePrecision: null, charset: null, collation: null, enumValues: null, comment: "", invisible: true, isJson: false, ...over,
    });

    it("recognises my_row_id as the table's whole, invisible, auto-increment key", () => {
        expect(isGeneratedInvisiblePrimaryKey(col({}), ["my_row_id"])).toBe(true);
        expect(isGeneratedInvisiblePrimaryKey(col({ invisible: false, extra: "auto_increment" }), ["my_row_id"])).toBe(false);
        expect(isGeneratedInvisiblePrimaryKey(col({}), ["my_row_id", "b"])).toBe(false);
        expect(isGeneratedInvisiblePrimaryKey(col({}), null)).toBe(false);
        expect(isGeneratedInvisiblePrimaryKey(col({ name: "id" }), ["id"])).toBe(false);
    });
});
