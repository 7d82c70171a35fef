import { describe, expect, it } from "vitest";
import type { RowWrite } from "../../provider/connectors/tablestore/client";
import { int64FromBigInt } from "../../provider/connectors/tablestore/sdk";
import {
    MAX_DATA_BYTES_PER_REQUEST, MAX_ROWS_PER_REQUEST, requestBytes, rowDataSize, rowIdentity, splitBatches, type WriteBatch,
} from "../../provider/connectors/tablestore/batches";

const id = (n: number) => int64FromBigInt(BigInt(n));

function put(table: string, key: number, value = "v"): RowWrite {
    return { table, kind: "put", primaryKey: [["id", id(key)]], put: [["a", value]], condition: "ignore" };
}

const keyOf = (r: RowWrite) => `${r.table}:${r.primaryKey.map(([, v]) => v.toString()).join(",")}`;

/** Every row exactly once; no key twice in a batch; each key's writes in input order across batches. */
function checkInvariants(rows: RowWrite[], batches: WriteBatch[], mode: "batch-write-row" | "bulk-import"): void {
    const seen = batches.flatMap((b) => b.indexes).sort((a, b) => a - b);
    expect(seen).toEqual(rows.map((_, i) => i));
    const batchOfRow = new Map<number, number>();
    batches.forEach((b, bi) => {
        expect(b.rows).toEqual(b.indexes.map((i) => rows[i]));
        expect(b.rows.length).toBeLessThanOrEqual(MAX_ROWS_PER_REQUEST);
        expect(new Set(b.rows.map(keyOf)).size).toBe(b.rows.length);
        expect(b.tables).toEqual([...new Set(b.rows.map((r) => r.table))]);
        if (mode === "bulk-import") expect(b.tables).toHaveLength(1);
        expect([...b.indexes].sort((x, y) => x - y)).toEqual(b.indexes);
        for (const i of b.indexes) batchOfRow.set(i, bi);
        for (const a of b.after) expect(a).toBeLessThan(bi);
    });
    // Per key: strictly increasing batches, and each batch lists the one before as a dependency.
    const lastBatch = new Map<string, number>();
    rows.forEach((r, i) => {
        const bi = batchOfRow.get(i) as number;
        const prev = lastBatch.get(keyOf(r));
        if (prev !== undefined) {
            expect(bi).toBeGreaterThan(prev);
            expect(batches[bi].after).toContain(prev);
        }
        lastBatch.set(keyOf(r), bi);
    });
}

describe("row sizes", () => {
    it("data size as the service counts it: names plus values", () => {
        const row: RowWrite = {
            table: "t", kind: "update", condition: "ignore",
            primaryKey: [["id", id(1)], ["name", "héllo"]],
            put: [["d", 1.5], ["b", true], ["s", "abc"], ["bin", Buffer.alloc(10)], ["i", id(7)]],
            deleteAll: ["gone"],
        };
        // id 2+8, name 4+6, d 1+8, b 1+1, s 1+3, bin 3+10, i 1+8, gone 4
        expect(rowDataSize(row)).toBe(10 + 10 + 9 + 2 + 4 + 13 + 9 + 4);
        expect(requestBytes(row)).toBeGreaterThan(rowDataSize(row));
    });

    it("the request estimate bounds what the SDK encodes", async () => {
        const { sdk } = await import("../../provider/connectors/tablestore/sdk");
        const row = put("t", 1, "x".repeat(100));
        const encoded = sdk.PlainBufferBuilder.serializeForPutRow([{ id: id(1) }], [{ a: "x".repeat(100) }]);
        expect(requestBytes(row)).toBeGreaterThanOrEqual(encoded.length + 10);
        const many: RowWrite = { ...row, put: Array.from({ length: 50 }, (_, i): [string, string] => [`c${i}`, ""]) };
        const manyEncoded = sdk.PlainBufferBuilder.serializeForPutRow([{ id: id(1) }], Array.from({ length: 50 }, (_, i) => ({ [`c${i}`]: "" })));
        expect(requestBytes(many)).toBeGreaterThanOrEqual(manyEncoded.length + 10);
    });

    it("identities tell keys apart by type and value", () => {
        expect(rowIdentity("t", [["k", "1"]])).not.toBe(rowIdentity("t", [["k", id(1)]]));
        expect(rowIdentity("t", [["k", "a|s1:b"]])).not.toBe(rowIdentity("t", [["k", "a"], ["k2", "b"]]));
        expect(rowIdentity("t1", [["k", "x"]])).not.toBe(rowIdentity("t", [["k", "1x"]]));
        expect(rowIdentity("t", [["k", Buffer.from("ab")]])).toBe(rowIdentity("t", [["k", Buffer.from("ab")]]));
    });
});

describe("splitting into requests", () => {
    it("at most 200 rows a request", () => {
        const rows = Array.from({ length: 450 }, (_, i) => put("t", i));
        const batches = splitBatches(rows, { mode: "batch-write-row" });
        expect(batches.map((b) => b.rows.length)).toEqual([200, 200, 50]);
        expect(batches.every((b) => b.after.length === 0)).toBe(true);
        checkInvariants(rows, batches, "batch-write-row");
    });

    it("at most 4 MB a request, by the conservative estimate", () => {
        const big = "x".repeat(1024 * 1024);
        const rows = Array.from({ length: 10 }, (_, i) => put("t", i, big));
        const batches = splitBatches(rows, { mode: "batch-write-row" });
        expect(batches.map((b) => b.rows.length)).toEqual([3, 3, 3, 1]);
        for (const b of batches) {
            expect(b.bytes).toBeLessThanOrEqual(MAX_DATA_BYTES_PER_REQUEST);
            expect(b.rows.reduce((n, r) => n + rowDataSize(r), 0)).toBeLessThanOrEqual(MAX_DATA_BYTES_PER_REQUEST);
        }
        checkInvariants(rows, batches, "batch-write-row");
    });

    it("small rows fill the gaps that big rows leave", () => {
        const big = "x".repeat(1500 * 1024);
        const rows = [put("t", 1, big), put("t", 2, big), put("t", 3, big), put("t", 4), put("t", 5)];
        const batches = splitBatches(rows, { mode: "batch-write-row" });
        expect(batches.map((b) => b.indexes)).toEqual([[0, 1, 3, 4], [2]]);
        checkInvariants(rows, batches, "batch-write-row");
    });

    it("a row larger than a request goes alone", () => {
        const rows = [put("t", 1), put("t", 2, "x".repeat(5 * 1024 * 1024)), put("t", 3)];
        const batches = splitBatches(rows, { mode: "batch-write-row" });
        expect(batches.map((b) => b.indexes)).toEqual([[0, 2], [1]]);
    });

    it("the same key twice goes to a later request, in order", () => {
        const rows = [put("t", 1, "a"), put("t", 2), put("t", 1, "b"), put("t", 3), { ...put("t", 1), kind: "delete" as const, put: [] }];
        const batches = splitBatches(rows, { mode: "batch-write-row" });
        expect(batches.map((b) => b.indexes)).toEqual([[0, 1, 3], [2], [4]]);
        expect(batches.map((b) => b.after)).toEqual([[], [0], [1]]);
        checkInvariants(rows, batches, "batch-write-row");
    });

    it("bigint and string keys in increasing order, then out of order: repeats still go to later requests", () => {
        const big = (k: bigint, v = "v"): RowWrite => ({ table: "t", kind: "put", primaryKey: [["id", k]], put: [["a", v]], condition: "ignore" });
        const str = (k: string): RowWrite => ({ table: "s", kind: "put", primaryKey: [["k", k]], condition: "ignore" });
        const rows = [big(1n), big(2n), big(5n), big(2n, "again"), big(3n), big(1n, "again"), str("a"), str("b"), str("a"), big(5n, "third")];
        const batches = splitBatches(rows, { mode: "batch-write-row" });
        checkInvariants(rows, batches, "batch-write-row");
        expect(batches.map((b) => b.indexes)).toEqual([[0, 1, 2, 4, 6, 7], [3, 5, 8, 9]]);
        // An Int64 and a bigint of one value are one key; a string "1" is another.
        const mixed = [big(1n), { ...big(1n), primaryKey: [["id", id(1)]] as RowWrite["primaryKey"] }, { ...big(1n), primaryKey: [["id", "1"]] as RowWrite["primaryKey"] }];
        expect(splitBatches(mixed, { mode: "batch-write-row" }).map((b) => b.indexes)).toEqual([[0, 2], [1]]);
        // Strictly increasing keys need no lookups, and none repeat.
        const ascending = Array.from({ length: 1000 }, (_, i) => big(BigInt(i)));
        expect(splitBatches(ascending, { mode: "bulk-import" }).map((b) => b.rows.length)).toEqual([200, 200, 200, 200, 200]);
    });

    it("keys are per table: the same key in two tables shares a BatchWriteRow request", () => {
        const rows = [put("a", 1), put("b", 1)];
        const batches = splitBatches(rows, { mode: "batch-write-row" });
        expect(batches.map((b) => b.tables)).toEqual([["a", "b"]]);
    });

    it("composite keys: equal only when every column is", () => {
        const row = (a: number, b: string): RowWrite => ({ table: "t", kind: "put", primaryKey: [["a", id(a)], ["b", b]], condition: "ignore" });
        const rows = [row(1, "x"), row(1, "y"), row(1, "x")];
        expect(splitBatches(rows, { mode: "batch-write-row" }).map((b) => b.indexes)).toEqual([[0, 1], [2]]);
    });

    it("BulkImport: one table a request", () => {
        const rows = [put("a", 1), put("b", 1), put("a", 2), put("b", 2), put("a", 1)];
        const batches = splitBatches(rows, { mode: "bulk-import" });
        expect(batches.map((b) => [b.tables, b.indexes])).toEqual([[["a"], [0, 2]], [["b"], [1, 3]], [["a"], [4]]]);
        expect(batches[2].after).toEqual([0]);
        checkInvariants(rows, batches, "bulk-import");
    });

    it("dependencies name every earlier batch a batch's keys were in", () => {
        const rows = [put("t", 1), put("t", 2), put("t", 2), put("t", 1), put("t", 3), put("t", 3), put("t", 3)];
        const batches = splitBatches(rows, { mode: "batch-write-row", maxRows: 2 });
        checkInvariants(rows, batches, "batch-write-row");
    });

    it("keeps its promises on a large mixed workload", () => {
        let seed = 42;
        const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
        const rows: RowWrite[] = Array.from({ length: 3000 }, () => {
            const table = ["a", "b", "c"][rand(3)];
            const size = rand(10) === 0 ? 300_000 + rand(400_000) : rand(2000);
            return put(table, rand(400), "x".repeat(size));
        });
        for (const mode of ["batch-write-row", "bulk-import"] as const) {
            const batches = splitBatches(rows, { mode });
            checkInvariants(rows, batches, mode);
            for (const b of batches) expect(b.bytes).toBeLessThanOrEqual(MAX_DATA_BYTES_PER_REQUEST);
        }
    });

    it("nothing to split, nothing to send", () => {
        expect(splitBatches([], { mode: "bulk-import" })).toEqual([]);
    });
});
