import { describe, expect, it } from "vitest";
import type { SourceChange } from "../../provider/engine/incremental/change-model";
import type { BinlogPosition, SourceRow, TableMapping } from "../../provider/engine/model";
import {
    byPartition, decodeRecordId, logColumnNames, logRows, META, partitionValue, recordId, RecordIdError,
    type LogColumns, type LogRow,
} from "../../provider/connectors/maxcompute/log-rows";
import { mergeRows, mergeSql } from "../../provider/connectors/maxcompute/merge";

const LC: LogColumns = {
    recordId: "record_id", operationFlag: "operation_flag", utcTimestamp: "utc_timestamp",
    beforeFlag: "before_flag", afterFlag: "after_flag",
    partitions: [
        { unit: "year", name: "modifytime_year" }, { unit: "month", name: "modifytime_month" },
        { unit: "day", name: "modifytime_day" }, { unit: "hour", name: "modifytime_hour" },
        { unit: "minute", name: "modifytime_minute" },
    ],
};

function mappingOf(columns: string[], key: string[]): TableMapping {
    return {
        source: { database: "shop", name: "t", columns: [], primaryKey: key },
        targetSchema: "p", targetTable: "t",
        columns: columns.map((name, i) => ({ source: { name, ordinal: i + 1 }, target: name })),
        where: null, key,
    } as unknown as TableMapping;
}

const M = mappingOf(["id", "name"], ["id"]);
const pos = (n: number, position: number): BinlogPosition => ({ file: `mysql-bin.${String(n).padStart(6, "0")}`, position });
const T0 = Date.UTC(2026, 11, 4, 17, 3, 0);

function change(op: SourceChange["op"], before: SourceRow | null, after: SourceRow | null, position: BinlogPosition, commitTime = T0, mapping = M): SourceChange {
    return { mapping, op, before, after, position, commitTime };
}

const ids = (rows: LogRow[], width = 2) => rows.map((r) => r.values[width + META.recordId] as bigint);

function expectStrictlyIncreasing(xs: bigint[]): void {
    for (let i = 1; i < xs.length; i++) expect(xs[i] > xs[i - 1], `${xs[i - 1]} < ${xs[i]}`).toBe(true);
}

describe("record_id", () => {
    it("numbers two changes of one transaction and two transactions in source order", () => {
        const rows = logRows([
            change("insert", null, ["1", "a"], pos(1, 1000)),
            change("insert", null, ["2", "b"], pos(1, 1000)),
            change("delete", ["1", "a"], null, pos(1, 1400)),
        ], LC, pos(1, 800));
        const r = ids(rows);
        expectStrictlyIncreasing(r);
        // The transaction's changes take the ids just below end·2^11.
        expect(r[1]).toBe((1n << 43n) + 1000n * 2048n);
        expect(r[0]).toBe(r[1] - 1n);
        expect(r[2]).toBe((1n << 43n) + 1400n * 2048n);
        expect(decodeRecordId(r[2])).toEqual({ seq: 1, offset: 1400n * 2048n });
    });

    it("grows across a binlog rotation to the next file, whatever the positions", () => {
        const rows = logRows([
            change("insert", null, ["1", "a"], pos(7, 0xffff_fff0)),
            change("insert", null, ["2", "b"], pos(8, 200)),
            change("insert", null, ["3", "c"], pos(8, 200)),
        ], LC, pos(7, 0xffff_0000));
        expectStrictlyIncreasing(ids(rows));
        expect(decodeRecordId(ids(rows)[1]).seq).toBe(8);
    });

    it("holds positions near 2^32 and refuses 2^32 and beyond instead of wrapping", () => {
        const max = 2 ** 32 - 1;
        const r = ids(logRows([
            change("insert", null, ["1", "a"], pos(3, max - 1)),
            change("insert", null, ["2", "b"], pos(3, max)),
            change("insert", null, ["3", "c"], pos(4, 4)),
        ], LC, pos(3, max - 2)));
        expectStrictlyIncreasing(r);
        expect(r[1]).toBe((3n << 43n) + BigInt(max) * 2048n);
        expect(r[1] < (4n << 43n)).toBe(true);
        expect(() => logRows([change("insert", null, ["1", "a"], pos(3, 2 ** 32))], LC, pos(3, 10))).toThrow(/beyond the 2\^32/);
    });

    it("stays below 2^63 and above 0, and refuses file numbers beyond 20 bits", () => {
        const top = recordId(pos(2 ** 20 - 1, 2 ** 32 - 1), 0, 1, pos(2 ** 20 - 1, 1));
        expect(top).toBe((1n << 63n) - 2048n); // ≤ 2^63−1, MaxCompute's largest BIGINT
        expect(recordId(pos(1, 1), 0, 1, pos(0, 0)) > 0n).toBe(true);
        expect(() => recordId(pos(2 ** 20, 100), 0, 1, pos(2 ** 20, 1))).toThrow(RecordIdError);
        expect(() => recordId({ file: "binlog", position: 100 }, 0, 1, pos(1, 1))).toThrow(/no sequence number/);
    });

    it("refuses a transaction with more changes than ids below its end", () => {
        // 2 bytes after the previous transaction: room for 4096 changes.
        const tx = (n: number) => Array.from({ length: n }, (_, i) => change("insert", null, [String(i), "x"], pos(1, 1002)));
        expect(ids(logRows(tx(4096), LC, pos(1, 1000)))[0]).toBe((1n << 43n) + 1000n * 2048n + 1n);
        expect(() => logRows(tx(4097), LC, pos(1, 1000))).toThrow(/4097 changes, more than the 4096/);
        // Within a batch, against the transaction before.
        expect(() => logRows([change("delete", ["9", "x"], null, pos(1, 1000)), ...tx(4097)], LC, pos(1, 900))).toThrow(RecordIdError);
    });

    it("refuses positions that do not increase (a transaction split across batches, or disorder)", () => {
        expect(() => logRows([change("insert", null, ["1", "a"], pos(1, 1000))], LC, pos(1, 1000))).toThrow(/does not follow/);
        expect(() => logRows([change("insert", null, ["1", "a"], pos(1, 1000))], LC, pos(2, 4))).toThrow(/does not follow/);
        expect(() => logRows([
            change("insert", null, ["1", "a"], pos(1, 1000)), change("insert", null, ["2", "a"], pos(1, 900)),
        ], LC, pos(1, 4))).toThrow(/does not follow/);
    });

    it("is unique and increasing over random streams (property)", () => {
        let seed = 42;
        const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
        for (let run = 0; run < 20; run++) {
            const changes: SourceChange[] = [];
            let file = 1 + rand(5);
            let p = 4 + rand(1000);
            const start = pos(file, p);
            for (let t = 0; t < 50; t++) {
                if (rand(10) === 0) { file++; p = 4; }
                const n = 1 + rand(40);
                p += 1 + rand(30);
                for (let i = 0; i < n; i++) {
                    const op = (["insert", "update", "delete"] as const)[rand(3)];
                    changes.push(change(op, op === "insert" ? null : [String(i), "b"], op === "delete" ? null : [String(i), "a"], pos(file, p)));
                }
            }
            const rows = logRows(changes, LC, start);
            const all = ids(rows);
            const perChange: bigint[] = [];
            for (let i = 0; i < rows.length; i++) {
                const id = all[i];
                if (rows[i].values[2 + META.operationFlag] === "U" && rows[i].values[2 + META.afterFlag] === "Y") {
                    expect(id).toBe(perChange[perChange.length - 1]); // the after image shares its before image's id
                    continue;
                }
                perChange.push(id);
            }
            expect(perChange.length).toBe(changes.length);
            expectStrictlyIncreasing(perChange);
        }
    });
});

describe("log rows", () => {
    it("writes I, D and U with their flags; an UPDATE is two rows with one record_id, also when it changes the key", () => {
        const rows = logRows([
            change("insert", null, ["1", "a"], pos(1, 100)),
            change("update", ["1", "a"], ["1", "b"], pos(1, 200)),
            change("update", ["1", "b"], ["2", "b"], pos(1, 300)),
            change("delete", ["2", "b"], null, pos(1, 400)),
        ], LC, pos(1, 4));
        expect(logColumnNames(["id", "name"], LC)).toEqual(["id", "name", "record_id", "operation_flag", "utc_timestamp", "before_flag", "after_flag"]);
        const strip = rows.map((r) => [r.values[0], r.values[1], ...r.values.slice(3)]);
        expect(strip).toEqual([
            ["1", "a", "I", T0 / 1000, "N", "Y"],
            ["1", "a", "U", T0 / 1000, "Y", "N"],
            ["1", "b", "U", T0 / 1000, "N", "Y"],
            ["1", "b", "U", T0 / 1000, "Y", "N"],
            ["2", "b", "U", T0 / 1000, "N", "Y"],
            ["2", "b", "D", T0 / 1000, "Y", "N"],
        ]);
        const r = ids(rows);
        expect(r[1]).toBe(r[2]);
        expect(r[3]).toBe(r[4]);
        expectStrictlyIncreasing([r[0], r[1], r[3], r[5]]);
    });

    it("keeps data values as the engine gives them (strings, Buffers, NULL)", () => {
        const m = mappingOf(["id", "blob", "note"], ["id"]);
        const [row] = logRows([change("insert", null, ["1", Buffer.from([0, 255]), null], pos(1, 100), T0, m)], LC, pos(1, 4));
        expect(row.values.slice(0, 3)).toEqual(["1", Buffer.from([0, 255]), null]);
    });

    it("computes the partitions from the binlog time in UTC across day, month and year boundaries", () => {
        const before = Date.UTC(2026, 10, 30, 23, 59, 59); // 2026-11-30 23:59:59 UTC
        const after = before + 1000; // 2026-12-01 00:00:00 UTC
        const rows = logRows([
            change("insert", null, ["1", "a"], pos(1, 100), before),
            change("insert", null, ["2", "a"], pos(1, 200), after),
        ], LC, pos(1, 4));
        expect(rows[0].partition).toEqual(["2026", "202611", "20261130", "2026113023", "202611302359"]);
        expect(rows[1].partition).toEqual(["2026", "202612", "20261201", "2026120100", "202612010000"]);
        expect(rows[1].partitionSpec).toBe("modifytime_year=2026,modifytime_month=202612,modifytime_day=20261201,modifytime_hour=2026120100,modifytime_minute=202612010000");
        expect(rows[0].values[2 + META.utcTimestamp]).toBe(Math.floor(before / 1000));
        const newYear = Date.UTC(2027, 0, 1);
        expect(["year", "month", "day"].map((u) => partitionValue(u as "year", newYear - 1000))).toEqual(["2026", "202612", "20261231"]);
        expect(["year", "month", "day"].map((u) => partitionValue(u as "year", newYear))).toEqual(["2027", "202701", "20270101"]);
        // Sortable as text: chronological order is string order.
        expect(partitionValue("minute", before) < partitionValue("minute", after)).toBe(true);
    });

    it("groups rows by partition for upload, keeping source order, and has no spec when unpartitioned", () => {
        const t1 = Date.UTC(2026, 0, 1, 10), t2 = Date.UTC(2026, 0, 1, 11);
        const lc: LogColumns = { ...LC, partitions: [{ unit: "hour", name: "modifytime_hour" }] };
        const rows = logRows([
            change("insert", null, ["1", "a"], pos(1, 100), t1),
            change("insert", null, ["2", "a"], pos(1, 200), t2),
            change("insert", null, ["3", "a"], pos(1, 200), t2),
        ], lc, pos(1, 4));
        const g = byPartition(rows);
        expect([...g.keys()]).toEqual(["modifytime_hour=2026010110", "modifytime_hour=2026010111"]);
        expect(g.get("modifytime_hour=2026010111")!.map((r) => r.values[0])).toEqual(["2", "3"]);
        expect(logRows([change("insert", null, ["1", "a"], pos(1, 100))], { ...LC, partitions: [] }, pos(1, 4))[0].partitionSpec).toBe("");
    });

    it("gives a window replayed after a crash the same rows and record_ids", () => {
        const w1 = [change("insert", null, ["1", "a"], pos(1, 100)), change("update", ["1", "a"], ["1", "b"], pos(1, 100))];
        const w2 = [change("update", ["1", "b"], ["9", "b"], pos(1, 300)), change("delete", ["9", "b"], null, pos(2, 50))];
        const once = logRows([...w1, ...w2], LC, pos(1, 4));
        // The crash: w1 committed (checkpoint pos(1,100)), w2 uploaded but not checkpointed; replayed from the checkpoint.
        const replay = logRows(w2, LC, pos(1, 100));
        expect(replay).toEqual(once.slice(3));
        expect(logRows([...w1, ...w2], LC, pos(1, 4))).toEqual(once);
    });
});

describe("merge", () => {
    type Row = [string, string];

    /** A source table and its binlog: applies changes, records SourceChanges. */
    function scriptedSource(initial: Row[]) {
        const state = new Map<string, Row>(initial.map((r) => [r[0], r]));
        const changes: SourceChange[] = [];
        let at = pos(1, 4);
        return {
            state, changes,
            tx(p: BinlogPosition, ops: (["insert", Row] | ["update", string, Row] | ["delete", string])[]) {
                for (const op of ops) {
                    if (op[0] === "insert") { state.set(op[1][0], op[1]); changes.push(change("insert", null, op[1], p)); }
                    else if (op[0] === "delete") { changes.push(change("delete", state.get(op[1])!, null, p)); state.delete(op[1]); }
                    else { const b = state.get(op[1])!; state.delete(op[1]); state.set(op[2][0], op[2]); changes.push(change("update", b, op[2], p)); }
                }
                at = p;
            },
            get at() { return at; },
        };
    }
    const sorted = (rows: unknown[][]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

    it("merges _base and _log into the source's state: updates, key changes, deletes, re-inserts, untouched keys", () => {
        const src = scriptedSource([["1", "one"], ["2", "two"], ["3", "three"], ["4", "four"]]);
        const start = src.at;
        const base: unknown[][] = [...src.state.values()]; // full load (4 is never touched afterwards)
        src.tx(pos(1, 1000), [["insert", ["5", "five"]], ["update", "1", ["1", "ONE"]]]);
        src.tx(pos(1, 2000), [["update", "2", ["20", "two"]]]); // key change 2 → 20
        src.tx(pos(1, 3000), [["delete", "3"]]);
        src.tx(pos(2, 500), [["insert", ["3", "THREE"]], ["update", "5", ["2", "five"]]]); // re-insert 3; 5 takes the freed key 2
        src.tx(pos(2, 900), [["delete", "20"], ["insert", ["20", "twenty"]], ["update", "1", ["1", "uno"]], ["update", "1", ["1", "eins"]]]);
        const log = logRows(src.changes, LC, start).map((r) => r.values);
        const merged = mergeRows(base, log, { key: ["id"], columns: ["id", "name"], logColumns: LC });
        expect(sorted(merged)).toEqual(sorted([...src.state.values()]));
        expect(sorted(merged)).toEqual([["1", "eins"], ["2", "five"], ["20", "twenty"], ["3", "THREE"], ["4", "four"]]);
    });

    it("lets the log win over a base row read after the changes (the full load overlaps the stream)", () => {
        const src = scriptedSource([["1", "a"]]);
        const start = src.at;
        src.tx(pos(1, 100), [["insert", ["2", "b"]], ["update", "1", ["7", "a"]]]);
        const base: unknown[][] = [...src.state.values()]; // read after those changes
        src.tx(pos(1, 200), [["delete", "2"], ["update", "7", ["7", "z"]]]);
        const log = logRows(src.changes, LC, start).map((r) => r.values);
        expect(sorted(mergeRows(base, log, { key: ["id"], columns: ["id", "name"], logColumns: LC }))).toEqual([["7", "z"]]);
    });

    it("equals the source after random histories, with the full load read at any point of the stream (property)", () => {
        let seed = 7;
        const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
        for (let run = 0; run < 200; run++) {
            const src = scriptedSource(Array.from({ length: 5 }, (_, i): Row => [String(i), `v${i}`]));
            const start = src.at;
            let base: unknown[][] | null = null;
            let file = 1, p = 4, version = 0;
            const baseAt = rand(12);
            for (let t = 0; t < 12; t++) {
                if (t === baseAt) base = [...src.state.values()];
                if (rand(6) === 0) { file++; p = 4; }
                p += 100 + rand(100);
                const ops: Parameters<typeof src.tx>[1] = [];
                const keys = new Set(src.state.keys());
                for (let k = 1 + rand(4); k > 0; k--) {
                    const live = [...keys], key = String(rand(8)), name = `n${++version}`;
                    const pick = live[rand(Math.max(live.length, 1))];
                    const what = live.length === 0 ? 0 : rand(4);
                    if (what === 0 && !keys.has(key)) { ops.push(["insert", [key, name]]); keys.add(key); }
                    else if (what === 1 && pick !== undefined) { ops.push(["update", pick, [pick, name]]); }
                    else if (what === 2 && pick !== undefined && !keys.has(key)) { ops.push(["update", pick, [key, name]]); keys.delete(pick); keys.add(key); }
                    else if (what === 3 && pick !== undefined) { ops.push(["delete", pick]); keys.delete(pick); }
                }
                src.tx(pos(file, p), ops);
            }
            base ??= [...src.state.values()];
            const rows = logRows(src.changes, LC, start);
            // No entry twice: (record_id, after_flag) is unique.
            const entries = rows.map((r) => `${String(r.values[2 + META.recordId])}/${String(r.values[2 + META.afterFlag])}`);
            expect(new Set(entries).size).toBe(entries.length);
            const merged = mergeRows(base, rows.map((r) => r.values), { key: ["id"], columns: ["id", "name"], logColumns: LC });
            expect(sorted(merged), `run ${run}`).toEqual(sorted([...src.state.values()]));
        }
    });

    it("merges as of a record_id, and reads log rows in another column order with a 2-column key", () => {
        const m = mappingOf(["a", "b", "v"], ["a", "b"]);
        const changes = [
            change("insert", null, ["1", "x", "v1"], pos(1, 100), T0, m),
            change("update", ["1", "x", "v1"], ["1", "y", "v2"], pos(1, 200), T0, m),
            change("insert", null, ["1", "x", "v3"], pos(1, 300), T0, m),
        ];
        const rows = logRows(changes, LC, pos(1, 4));
        const names = logColumnNames(["a", "b", "v"], LC);
        const order = [7, 6, 5, 4, 3, 2, 1, 0]; // reversed schema, as a download might give it
        const log = rows.map((r) => order.map((i) => r.values[i]));
        const spec = { key: ["a", "b"], columns: ["a", "b", "v"], logColumns: LC, logSchema: order.map((i) => names[i]) };
        expect(sorted(mergeRows([["2", "x", "base"]], log, spec))).toEqual([["1", "x", "v3"], ["1", "y", "v2"], ["2", "x", "base"]]);
        const cut = ids(rows, 3)[1];
        expect(typeof cut).toBe("bigint");
        expect(sorted(mergeRows([], log, { ...spec, upToRecordId: cut }))).toEqual([["1", "y", "v2"]]);
    });

    it("renders the MaxCompute merge SQL for a 2-column key", () => {
        const lc: LogColumns = { ...LC, recordId: "new_dts_sync_record_id", afterFlag: "new_dts_sync_after_flag" };
        const sql = mergeSql({ base: "proj.orders_base", log: "orders_log", key: ["shop", "id"], columns: ["shop", "id", "total"], logColumns: lc, into: "orders_merged" });
        expect(sql.startsWith("set odps.sql.allow.fullscan=true;\nINSERT OVERWRITE TABLE `orders_merged`\nSELECT `shop`, `id`, `total`\n")).toBe(true);
        expect(sql).toContain("ROW_NUMBER() OVER (PARTITION BY `shop`, `id` ORDER BY `new_dts_sync_record_id` DESC, `new_dts_sync_after_flag` DESC) AS `dts_merge_row_number`");
        expect(sql).toContain("SELECT `new_dts_sync_record_id`, `new_dts_sync_after_flag`, `shop`, `id`, `total`\n        FROM `orders_log`\n        UNION ALL");
        expect(sql).toContain("SELECT CAST(0 AS BIGINT) AS `new_dts_sync_record_id`, 'Y' AS `new_dts_sync_after_flag`, `shop`, `id`, `total`\n        FROM `proj`.`orders_base`");
        expect(sql.trimEnd().endsWith("WHERE `dts_merge_row_number` = 1 AND `new_dts_sync_after_flag` = 'Y';")).toBe(true);

        const plain = mergeSql({ base: "t_base", log: "t_log", key: ["id"], columns: ["id", "dts_merge_row_number"], logColumns: LC, fullScan: false, upToRecordId: 123n });
        expect(plain.startsWith("SELECT `id`, `dts_merge_row_number`")).toBe(true);
        expect(plain).toContain("AS `_dts_merge_row_number`"); // no clash with a data column
        expect(plain).toContain("FROM `t_log`\n        WHERE `record_id` <= 123\n");
        expect(() => mergeSql({ base: "b", log: "l", key: [], columns: ["x"], logColumns: LC })).toThrow(/primary key/);
        expect(() => mergeSql({ base: "b", log: "l", key: ["y"], columns: ["x"], logColumns: LC })).toThrow(/not a data column/);
    });
});
