import { describe, expect, it } from "vitest";
import { serverDialect } from "../../provider/connectors/mysql/server-dialect";
import { barrierDecision, establishPosition, type PositionProbe } from "../../provider/connectors/mysql/source/snapshot-position";
import type { BinlogPosition } from "../../provider/engine/model";

const mysql84 = serverDialect("MySQL", "8.4.3");
const mysql57 = serverDialect("MySQL", "5.7.44-log");
const polardb = serverDialect("PolarDB", "8.0.18");
const mariadb = serverDialect("MariaDB", "10.11.6-MariaDB");

const pos = (position: number, file = "binlog.000007"): BinlogPosition => ({ file, position });

/** A scripted server: binlog status reads return `statuses` in turn; every call is recorded in order. */
function probe(o: { statuses?: (BinlogPosition | null)[]; orderCommits?: boolean | null; barrierError?: string; snapshot?: BinlogPosition } = {}): PositionProbe & { calls: string[] } {
    const calls: string[] = [];
    const statuses = [...(o.statuses ?? [pos(100)])];
    return {
        calls,
        binlogStatus: async () => {
            calls.push("status");
            return statuses.length > 1 ? statuses.shift()! : statuses[0];
        },
        orderCommits: async () => {
            calls.push("order-commits");
            return o.orderCommits === undefined ? true : o.orderCommits;
        },
        writeBarrier: async () => {
            calls.push("barrier");
            if (o.barrierError) throw new Error(o.barrierError);
        },
        startSnapshot: async () => void calls.push("start"),
        rollback: async () => void calls.push("rollback"),
        snapshotStatus: async () => {
            calls.push("snapshot-status");
            return o.snapshot ?? { file: "mysql-bin.000003", position: 4213, gtid: "0-1-42" };
        },
    };
}

describe("snapshot position: MySQL with a commit barrier", () => {
    it("reads the status, commits the barrier, then opens the snapshot; the position is the one read before the barrier", async () => {
        for (const d of [mysql84, mysql57, polardb]) {
            // A status read after the barrier would be later (the barrier itself was logged): it must not be used.
            const p = probe({ statuses: [pos(100), pos(250)] });
            expect(await establishPosition(p, d, true)).toEqual({ position: pos(100), method: "binlog-status-barrier" });
            expect(p.calls).toEqual(["status", "order-commits", "barrier", "start"]);
        }
    });

    it("keeps the GTID set of the status read", async () => {
        const p = probe({ statuses: [{ file: "binlog.000002", position: 8, gtid: "uuid:1-9" }] });
        expect((await establishPosition(p, mysql84, true)).position).toEqual({ file: "binlog.000002", position: 8, gtid: "uuid:1-9" });
    });

    it("takes an unreadable binlog_order_commits as MySQL's default (ON)", async () => {
        const p = probe({ orderCommits: null });
        expect((await establishPosition(p, mysql84, true)).method).toBe("binlog-status-barrier");
    });
});

describe("snapshot position: MySQL without a barrier falls back to before/after reads and says so", () => {
    it("heartbeat disabled: no write at all, stable reads accepted", async () => {
        const p = probe({ statuses: [pos(100), pos(100)] });
        const r = await establishPosition(p, mysql84, false);
        expect(r).toMatchObject({ position: pos(100), method: "master-status-without-barrier" });
        expect(r.risk).toMatch(/heartbeat table is disabled/);
        expect(p.calls).toEqual(["status", "start", "status"]);
    });

    it("barrier refused (no privilege, read-only): the error is in the risk, no second write", async () => {
        const p = probe({ statuses: [pos(100), pos(100)], barrierError: "INSERT command denied to user 'dts'@'%' for table 'heartbeat'" });
        const r = await establishPosition(p, mysql57, true);
        expect(r).toMatchObject({ position: pos(100), method: "master-status-without-barrier" });
        expect(r.risk).toMatch(/INSERT command denied/);
        expect(r.risk).toMatch(/may be missing at the destination/);
        expect(p.calls).toEqual(["status", "order-commits", "barrier", "start", "status"]);
    });

    it("binlog_order_commits OFF: the barrier would prove nothing, so it is not written", async () => {
        const p = probe({ statuses: [pos(100), pos(100)], orderCommits: false });
        const r = await establishPosition(p, mysql84, true);
        expect(r.method).toBe("master-status-without-barrier");
        expect(r.risk).toMatch(/binlog_order_commits is OFF/);
        expect(p.calls).not.toContain("barrier");
    });

    it("retries while writes move the position, and accepts the first stable pair", async () => {
        const p = probe({ statuses: [pos(100), pos(120), pos(130), pos(130)] });
        const r = await establishPosition(p, mysql84, false);
        expect(r.position).toEqual(pos(130));
        expect(p.calls).toEqual(["status", "start", "status", "rollback", "status", "start", "status"]);
    });

    it("keeps the earliest read under constant writes (replay from it is idempotent)", async () => {
        let n = 100;
        const p = probe();
        p.binlogStatus = async () => pos((n += 10));
        const r = await establishPosition(p, mysql84, false);
        expect(r.position).toEqual(pos(110));
        expect(p.calls.filter((c) => c === "start")).toHaveLength(11);
    });
});

describe("snapshot position: other servers", () => {
    it("binary logging off: a snapshot without position, no barrier written", async () => {
        const p = probe({ statuses: [null] });
        expect(await establishPosition(p, mysql84, true)).toEqual({ position: { file: "", position: 0 }, method: "no-binary-log" });
        expect(p.calls).toEqual(["status", "start"]);
    });

    it("MariaDB: the snapshot's own position, read inside it; no status read, no barrier", async () => {
        const p = probe();
        expect(await establishPosition(p, mariadb, true)).toEqual({ position: { file: "mysql-bin.000003", position: 4213, gtid: "0-1-42" }, method: "mariadb-binlog-snapshot" });
        expect(p.calls).toEqual(["start", "snapshot-status"]);
    });

    it("barrierDecision: only an OFF binlog_order_commits on a server that has it, or no target, rules the barrier out", () => {
        expect(barrierDecision(mysql84, true, true)).toEqual({ use: true });
        expect(barrierDecision(mysql84, true, null)).toEqual({ use: true });
        expect(barrierDecision(mysql84, true, false)).toMatchObject({ use: false });
        expect(barrierDecision(mysql84, false, true)).toMatchObject({ use: false });
    });
});
