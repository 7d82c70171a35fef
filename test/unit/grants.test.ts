import { describe, expect, it } from "vitest";
import { parseGrants } from "../../provider/connectors/mysql/grants";

describe("SHOW GRANTS parsing", () => {
    it("reads global and per-database privileges", () => {
        const p = parseGrants([
            "GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `dts`@`%` IDENTIFIED BY PASSWORD '*ABC'",
            "GRANT SELECT, SHOW VIEW ON `shop`.* TO `dts`@`%`",
            "GRANT SELECT (`id`, `total`) ON `sales`.`orders` TO `dts`@`%`",
        ]);
        expect(p.global).toEqual(["REPLICATION CLIENT", "REPLICATION SLAVE", "SELECT"]);
        expect(p.databases).toEqual({ shop: ["SELECT", "SHOW VIEW"], sales: ["SELECT"] });
        expect(p).toMatchObject({ select: true, replicationSlave: true, replicationClient: true, showView: false });
    });

    it("maps MariaDB's renamed replication privileges", () => {
        const p = parseGrants(["GRANT SELECT, BINLOG MONITOR, REPLICATION SLAVE ON *.* TO `u`@`%`"]);
        expect(p.replicationClient).toBe(true);
    });

    it("treats ALL PRIVILEGES as every privilege and USAGE as none", () => {
        expect(parseGrants(["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"])).toMatchObject({
            select: true, replicationSlave: true, replicationClient: true, showView: true,
        });
        expect(parseGrants(["GRANT USAGE ON *.* TO `nobody`@`%`"])).toMatchObject({ global: [], select: false });
    });
});
