import { describe, expect, it } from "vitest";
import type { BinlogTransaction } from "../../provider/engine/incremental/source-transaction";
import { TransactionAssembler } from "../../provider/connectors/mysql/source/transaction-assembler";
import { transactionControl, xidKey } from "../../provider/connectors/mysql/source/transaction-control";
import type { BinlogPosition } from "../../provider/engine/model";

describe("transactionControl", () => {
    it("reads the statements MariaDB and MySQL log", () => {
        expect(transactionControl("BEGIN")).toEqual({ kind: "begin" });
        expect(transactionControl("START TRANSACTION")).toEqual({ kind: "begin" });
        expect(transactionControl("COMMIT")).toEqual({ kind: "commit" });
        expect(transactionControl("ROLLBACK")).toEqual({ kind: "rollback" });
        expect(transactionControl("SAVEPOINT `s1`")).toEqual({ kind: "savepoint", name: "s1" });
        expect(transactionControl("SAVEPOINT `My``Sp`")).toEqual({ kind: "savepoint", name: "my`sp" });
        expect(transactionControl("ROLLBACK TO `S1`")).toEqual({ kind: "rollback-to", name: "s1" });
        expect(transactionControl("ROLLBACK WORK TO SAVEPOINT s1")).toEqual({ kind: "rollback-to", name: "s1" });
        expect(transactionControl("RELEASE SAVEPOINT `s1`")).toEqual({ kind: "release", name: "s1" });
        expect(transactionControl("XA END X'7831',X'',1")).toEqual({ kind: "xa-end" });
    });

    it("reads xids in every spelling to one key", () => {
        const key = xidKey(Buffer.from("x1"), Buffer.alloc(0), 1);
        expect(transactionControl("XA START X'7831',X'',1")).toEqual({ kind: "xa-start", xid: key });
        expect(transactionControl("XA COMMIT X'7831',X'',1")).toEqual({ kind: "xa-commit", xid: key, onePhase: false });
        expect(transactionControl("XA COMMIT 'x1'")).toEqual({ kind: "xa-commit", xid: key, onePhase: false });
        expect(transactionControl("XA ROLLBACK 0x7831")).toEqual({ kind: "xa-rollback", xid: key });
        expect(transactionControl("XA COMMIT 'x1','b',7 ONE PHASE")).toEqual({ kind: "xa-commit", xid: xidKey(Buffer.from("x1"), Buffer.from("b"), 7), onePhase: true });
    });

    it("leaves other statements alone", () => {
        expect(transactionControl("ALTER TABLE t ADD c INT")).toBeNull();
        expect(transactionControl("INSERT INTO t VALUES (1)")).toBeNull();
        expect(transactionControl("BEGIN NOT ATOMIC SELECT 1; END")).toBeNull();
        expect(transactionControl("ROLLBACK TO")).toBeNull();
    });
});

const at = (position: number, file = "b.000001"): BinlogPosition => ({ file, position });

/** Feeds a scripted binlog: each step is [event, …args] at increasing positions. */
class Script {
    readonly out: BinlogTransaction[] = [];
    readonly a: TransactionAssembler;
    private pos = 4;
    constructor(opts: { from?: BinlogPosition; appliedThrough?: BinlogPosition } = {}) {
        this.a = new TransactionAssembler({ from: opts.from ?? at(4), appliedThrough: opts.appliedThrough }, (tx) => this.out.push(tx));
    }
    private next(): BinlogPosition {
        this.pos += 10;
        return at(this.pos);
    }
    get position(): BinlogPosition {
        return at(this.pos);
    }
    /** "trans"/"standalone": a MariaDB GTID with its flag; "mysql": a MySQL GTID, which has none. */
    gtid(kind: "trans" | "standalone" | "mysql" = "trans"): this {
        this.next();
        this.a.gtid(1000, undefined, kind === "mysql" ? undefined : kind === "trans");
        return this;
    }
    q(sql: string, db = "d"): this {
        this.a.query(sql, db, 1000, this.next());
        return this;
    }
    ins(table: string, ...ids: number[]): this {
        this.next();
        this.a.rows({ database: "d", table, kind: "insert", rows: ids.map((id) => ({ after: { id } })) }, 1000);
        return this;
    }
    xid(): this {
        this.a.xid(1000, this.next());
        return this;
    }
    prepare(xid: string, onePhase = false): this {
        this.a.xaPrepare(xidKey(Buffer.from(xid), Buffer.alloc(0), 1), onePhase, 1000, this.next());
        return this;
    }
    /** Ids inserted per emitted transaction. */
    ids(): number[][] {
        return this.out.map((tx) => tx.rows.flatMap((e) => e.rows.map((r) => Number(r.after!.id))));
    }
}

describe("TransactionAssembler", () => {
    it("drops exactly the rows after a savepoint that is rolled back to, and keeps the rest", () => {
        // MariaDB logs ROLLBACK TO when a non-transactional table was written in the transaction.
        const s = new Script().gtid().ins("a", 10).q("SAVEPOINT `s1`").ins("a", 11).q("ROLLBACK TO `s1`").ins("a", 12).xid();
        expect(s.ids()).toEqual([[10, 12]]);
        expect(s.out[0].statements).toEqual([]);
        expect(s.out[0].rowCount).toBe(2);
    });

    it("undoes rows merged into the savepoint's last event", () => {
        const s = new Script().gtid().ins("a", 1, 2).q("SAVEPOINT `s`").ins("a", 3, 4).q("ROLLBACK TO `s`").ins("a", 5).xid();
        expect(s.ids()).toEqual([[1, 2, 5]]);
    });

    it("nested savepoints: rolling back to the outer one drops the inner ones too", () => {
        const s = new Script().gtid()
            .ins("a", 1).q("SAVEPOINT `outer`").ins("a", 2).q("SAVEPOINT `inner`").ins("a", 3)
            .q("ROLLBACK TO `inner`").ins("a", 4).q("ROLLBACK TO `outer`").ins("a", 5)
            .q("ROLLBACK TO `inner`") // gone with outer's rollback: the server would refuse it; treated as never logged
            .xid();
        expect(s.ids()).toEqual([[]]);
        const t = new Script().gtid()
            .ins("a", 1).q("SAVEPOINT `outer`").ins("a", 2).q("SAVEPOINT `inner`").ins("a", 3)
            .q("ROLLBACK TO `outer`").ins("a", 6).xid();
        expect(t.ids()).toEqual([[1, 6]]);
    });

    it("a rolled-back-to savepoint stays usable; release changes nothing", () => {
        const s = new Script().gtid().ins("a", 1).q("SAVEPOINT `s`").ins("a", 2).q("ROLLBACK TO `s`").ins("a", 3).q("ROLLBACK TO `s`").ins("a", 4)
            .q("SAVEPOINT `r`").ins("a", 5).q("RELEASE SAVEPOINT `r`").xid();
        expect(s.ids()).toEqual([[1, 4, 5]]);
    });

    it("a savepoint never logged was set before the first row: rolling back to it drops everything", () => {
        const s = new Script().gtid().ins("a", 1).q("ROLLBACK TO `early`").ins("a", 2).xid();
        expect(s.ids()).toEqual([[2]]);
    });

    it("a savepoint before any row neither splits nor commits the transaction", () => {
        const s = new Script().gtid("mysql").q("BEGIN").q("SAVEPOINT `s0`").ins("a", 1).ins("b", 2).xid();
        expect(s.ids()).toEqual([[1, 2]]);
        expect(s.out).toHaveLength(1);
    });

    it("a plain ROLLBACK drops the transaction but moves the position", () => {
        const s = new Script().gtid().ins("a", 1).q("ROLLBACK");
        expect(s.ids()).toEqual([[]]);
        expect(s.out[0].end).toEqual(s.position);
    });

    it("DDL after a MariaDB standalone GTID or a MySQL GTID is its own transaction", () => {
        const s = new Script().gtid("standalone").q("ALTER TABLE a ADD c INT").gtid("mysql").q("CREATE TABLE x (id INT)");
        expect(s.out.map((t) => t.statements.map((x) => x.sql))).toEqual([["ALTER TABLE a ADD c INT"], ["CREATE TABLE x (id INT)"]]);
    });

    it("XA: rows count at XA COMMIT, with other transactions in between, and the checkpoint holds at the prepare", () => {
        const s = new Script().gtid().q("XA START X'7831',X'',1").ins("a", 30).q("XA END X'7831',X'',1");
        const prepareStart = at(4);
        s.prepare("x1");
        s.gtid().ins("a", 40).xid();
        s.gtid().q("XA COMMIT X'7831',X'',1");
        s.gtid().ins("a", 41).xid();
        expect(s.ids()).toEqual([[], [40], [30], [41]]);
        expect(s.out[0].holdFrom).toEqual(prepareStart);
        expect(s.out[1].holdFrom).toEqual(prepareStart);
        expect(s.out[2].holdFrom).toBeUndefined();
        expect(s.out[3].holdFrom).toBeUndefined();
    });

    it("XA ROLLBACK drops the prepared rows", () => {
        const s = new Script().gtid().q("XA START 'x2'").ins("a", 31).q("XA END 'x2'").prepare("x2")
            .gtid().ins("a", 41).xid().gtid().q("XA ROLLBACK X'7832',X'',1");
        expect(s.ids()).toEqual([[], [41], []]);
        expect(s.out[2].holdFrom).toBeUndefined();
        expect(s.a.preparedCount).toBe(0);
    });

    it("XA one phase commits at once", () => {
        const s = new Script().gtid().q("XA START 'x3'").ins("a", 32).q("XA END 'x3'").prepare("x3", true);
        expect(s.ids()).toEqual([[32]]);
        expect(s.out[0].holdFrom).toBeUndefined();
    });

    it("the oldest of several prepared transactions holds the checkpoint", () => {
        const s = new Script().gtid().q("XA START 'p'").ins("a", 1).q("XA END 'p'").prepare("p");
        const first = s.out[0].end;
        s.gtid().q("XA START 'q'").ins("a", 2).q("XA END 'q'").prepare("q");
        s.gtid().q("XA COMMIT 'q'");
        expect(s.out[2].holdFrom).toEqual(at(4));
        s.gtid().q("XA COMMIT 'p'");
        expect(s.out[3].holdFrom).toBeUndefined();
        expect(s.ids()).toEqual([[], [], [2], [1]]);
        expect(first).toBeDefined();
    });

    it("XA COMMIT of a transaction prepared before the start is flagged, not silent", () => {
        const s = new Script().gtid().q("XA COMMIT 'old'");
        expect(s.out[0].unknownXa).toBe(xidKey(Buffer.from("old"), Buffer.alloc(0), 1));
    });

    it("resuming from a hold replays the prepare and skips what was applied", () => {
        // First run: prepare at 4..54, a commit, then the checkpoint is taken (holdFrom 4, position after the commit).
        const first = new Script().gtid().q("XA START 'x'").ins("a", 7).q("XA END 'x'").prepare("x").gtid().ins("a", 8).xid();
        const cp = first.out[1];
        expect(cp.holdFrom).toEqual(at(4));
        // Second run reads from the hold, with the same events, then the XA COMMIT.
        const again = new Script({ from: cp.holdFrom, appliedThrough: cp.end })
            .gtid().q("XA START 'x'").ins("a", 7).q("XA END 'x'").prepare("x").gtid().ins("a", 8).xid()
            .gtid().q("XA COMMIT 'x'");
        expect(again.ids()).toEqual([[7]]);
    });
});
