import { describe, expect, it } from "vitest";
import { taskArgsSchema } from "../../sdk/schema/task";
import type { BinlogTransaction } from "../../provider/engine/incremental/source-transaction";
import { classifyStatement } from "../../provider/connectors/mysql/source/ddl-statement";
import { ChangeMapper } from "../../provider/engine/incremental/changes";
import { applyRowFilters, filterLog, netEffect, type SourceChange, type StateChange, stateChanges } from "../../provider/engine/incremental/change-model";
import { MysqlChangeSource, streamServerId } from "../../provider/connectors/mysql/source/change-source";
import { comparePositions } from "../../provider/engine/model";
import { col, mapping } from "./pg-fixtures";

const task = (extra: Record<string, unknown> = {}) => taskArgsSchema.parse({
    source: { connectionId: "s", engine: "mariadb" }, destination: { connectionId: "d", engine: "postgresql" },
    migrationTypes: ["schema", "full", "incremental"], objects: [{ database: "shop" }], ...extra,
});
const orders = mapping([col("id", "bigint(20)"), col("total", "decimal(10,2)"), col("y", "year(4)"), col("f", "float")], { primaryKey: ["id"] });
orders.key = ["id"];

/** The MySQL source's row decoding (no server needed: it only converts images). */
const binlog = new MysqlChangeSource({} as never);
const decoder = (m: Parameters<MysqlChangeSource["rowDecoder"]>[0], t: Parameters<MysqlChangeSource["rowDecoder"]>[1]) => binlog.rowDecoder(m, t);

function tx(rows: BinlogTransaction["rows"]): BinlogTransaction {
    return { end: { file: "b.000001", position: 100 }, timestamp: 0, rows, statements: [], rowCount: rows.reduce((n, r) => n + r.rows.length, 0) };
}

describe("binlog row events become row changes", () => {
    const base = task();
    const mapper = new ChangeMapper([orders], () => base, decoder);

    it("insert and update become upserts of the new image, in the full load's text form", () => {
        const out = stateChanges(mapper.changes([tx([
            { database: "shop", table: "orders", kind: "insert", rows: [{ after: { id: 1, total: "1.50", y: 1900, f: -0 } }] },
            { database: "shop", table: "orders", kind: "update", rows: [{ before: { id: 1, total: "1.50", y: 1900, f: 0.5 }, after: { id: 1, total: "2.00", y: 2024, f: 0.10000000149011612 } }] },
            { database: "shop", table: "other", kind: "insert", rows: [{ after: { id: 9 } }] },
        ])]));
        expect(out.map((c) => [c.kind, c.row])).toEqual([
            ["upsert", ["1", "1.50", "0000", "-0"]],
            ["upsert", ["1", "2.00", "2024", "0.10000000149011612"]],
        ]);
    });

    it("an update that changes the key deletes the old key, then upserts the new one", () => {
        const out = stateChanges(mapper.changes([tx([{ database: "shop", table: "orders", kind: "update", rows: [{ before: { id: 1, total: "1", y: 2000, f: 1 }, after: { id: 2, total: "1", y: 2000, f: 1 } }] }])]));
        expect(out.map((c) => [c.kind, c.row[0]])).toEqual([["delete", "1"], ["upsert", "2"]]);
    });

    it("source changes keep the operation, both images, the transaction's position and its commit time (what log destinations write)", () => {
        const out = mapper.changes([{ ...tx([
            { database: "shop", table: "orders", kind: "update", rows: [{ before: { id: 1, total: "1", y: 2000, f: 1 }, after: { id: 2, total: "3", y: 2000, f: 1 } }] },
            { database: "shop", table: "orders", kind: "delete", rows: [{ before: { id: 2, total: "3", y: 2000, f: 1 } }] },
        ]), timestamp: 1_700_000_000_000 }]);
        expect(out.map((c) => [c.op, c.before, c.after, c.position, c.commitTime])).toEqual([
            ["update", ["1", "1", "2000", "1"], ["2", "3", "2000", "1"], { file: "b.000001", position: 100 }, 1_700_000_000_000],
            ["delete", ["2", "3", "2000", "1"], null, { file: "b.000001", position: 100 }, 1_700_000_000_000],
        ]);
    });

    it("DML selection leaves out operations the task does not migrate, and follows a reconfigured task at once", () => {
        let current = task({ objects: [{ database: "shop", tables: [{ name: "orders", dml: ["insert"] }] }] });
        const m = new ChangeMapper([orders], () => current, decoder);
        const batch = () => [tx([
            { database: "shop", table: "orders", kind: "insert", rows: [{ after: { id: 1, total: "1", y: 2000, f: 1 } }] },
            { database: "shop", table: "orders", kind: "delete", rows: [{ before: { id: 1, total: "1", y: 2000, f: 1 } }] },
        ])];
        expect(m.changes(batch()).map((c) => c.op)).toEqual(["insert"]);
        current = task({ objects: [{ database: "shop", tables: [{ name: "orders", dml: ["insert", "delete"] }] }] });
        expect(m.changes(batch()).map((c) => c.op)).toEqual(["insert", "delete"]);
    });
});

describe("net effect of a batch", () => {
    const up = (id: string, v: string): StateChange => ({ mapping: orders, kind: "upsert", row: [id, v, null, null] });
    const del = (id: string): StateChange => ({ mapping: orders, kind: "delete", row: [id, null, null, null] });

    it("keeps each key's last change, deletes before upserts", () => {
        const out = netEffect([up("1", "a"), up("2", "b"), del("1"), up("1", "c"), del("3"), up("2", "d"), del("4")]);
        expect(out.map((c) => `${c.kind}:${c.row[0]}:${c.row[1] ?? ""}`)).toEqual(["delete:3:", "delete:4:", "upsert:1:c", "upsert:2:d"]);
    });
});

describe("row filters", () => {
    it("an image failing the filter turns an upsert into a delete of its key", async () => {
        const changes: StateChange[] = [
            { mapping: orders, kind: "upsert", row: ["1", "5", null, null], image: ["1", "5", null, null] },
            { mapping: orders, kind: "upsert", row: ["2", "500", null, null], image: ["2", "500", null, null] },
            { mapping: orders, kind: "delete", row: ["3", "1", null, null] },
        ];
        const out = await applyRowFilters(changes, async (_m, images) => images.map((i) => Number(i[1]) < 100));
        expect(out.map((c) => `${c.kind}:${c.row[0]}`)).toEqual(["upsert:1", "delete:2", "delete:3"]);
    });

    it("a log destination gets the changes whose new image passes, and every delete", async () => {
        const at = { position: { file: "b.000001", position: 1 }, commitTime: 0 };
        const changes: SourceChange[] = [
            { mapping: orders, op: "insert", before: null, after: ["1", "5", null, null], image: ["1", "5", null, null], ...at },
            { mapping: orders, op: "update", before: ["2", "5", null, null], after: ["2", "500", null, null], image: ["2", "500", null, null], ...at },
            { mapping: orders, op: "delete", before: ["3", "1", null, null], after: null, ...at },
        ];
        const out = await filterLog(changes, async (_m, images) => images.map((i) => Number(i[1]) < 100));
        expect(out.map((c) => `${c.op}:${(c.after ?? c.before)![0]}`)).toEqual(["insert:1", "delete:3"]);
    });
});

describe("statements from the binlog", () => {
    it.each([
        ["TRUNCATE TABLE `shop`.`orders`", "truncate-table", ["shop.orders"]],
        ["truncate orders", "truncate-table", ["db0.orders"]],
        ["ALTER TABLE orders ADD COLUMN note TEXT", "alter-table", ["db0.orders"]],
        ["ALTER ALGORITHM=MERGE VIEW v AS SELECT 1", "alter-view", []],
        ["DROP TABLE IF EXISTS a, `b`.c /* generated by server */", "drop-table", ["db0.a", "b.c"]],
        ["RENAME TABLE a TO b, x.c TO x.d", "rename-table", ["db0.a", "db0.b", "x.c", "x.d"]],
        ["CREATE TABLE IF NOT EXISTS t (id INT)", "create-table", ["db0.t"]],
        ["CREATE UNIQUE INDEX i ON shop.t (a)", "create-index", ["shop.t"]],
        ["DROP INDEX i ON t", "drop-index", ["db0.t"]],
        ["CREATE DEFINER=`root`@`%` PROCEDURE p() BEGIN END", "create-procedure", []],
        ["GRANT SELECT ON *.* TO x", "other", []],
    ])("%s", (sql, op, tables) => {
        const c = classifyStatement(sql, "db0");
        expect(c.operation).toBe(op);
        expect(c.tables.map((t) => `${t.database}.${t.name}`)).toEqual(tables);
    });

    it("CREATE TEMPORARY TABLE is session-local", () => {
        expect(classifyStatement("CREATE TEMPORARY TABLE t (a INT)", "d").temporary).toBe(true);
    });
});

describe("stream helpers", () => {
    it("orders binlog positions by file sequence, then offset", () => {
        expect(comparePositions({ file: "b.000010", position: 4 }, { file: "b.000009", position: 999 })).toBeGreaterThan(0);
        expect(comparePositions({ file: "b.000002", position: 10 }, { file: "b.000002", position: 10 })).toBe(0);
    });

    it("gives each task its own server_id, stable across restarts, above hand-picked ids", () => {
        const a = streamServerId("dts-aaaa");
        expect(a).toBe(streamServerId("dts-aaaa"));
        expect(a).not.toBe(streamServerId("dts-bbbb"));
        expect(a).toBeGreaterThanOrEqual(0x40000000);
        expect(a).toBeLessThan(2 ** 32);
    });
});
