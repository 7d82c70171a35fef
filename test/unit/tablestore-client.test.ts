/**
 * TablestoreClient against the local Tablestore server (test/harness/tablestore-server) over
 * real HTTP: tables, per-row batch results, BulkImport, paging, and typed errors.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTablestoreServer, type TablestoreServer } from "../harness/tablestore-server";
import {
    INF_MAX, INF_MIN, TablestoreClient, type RowWrite, type TablestoreConnection,
} from "../../provider/connectors/tablestore/client";
import {
    isRowLevelDataError, TablestoreClientError, TablestoreConnectionError, TablestoreError, tablestoreErrorClass,
} from "../../provider/connectors/tablestore/errors";
import { int64FromBigInt, isInt64, type TsValue } from "../../provider/connectors/tablestore/sdk";
import { splitBatches } from "../../provider/connectors/tablestore/batches";
import { tablestoreColumnMapping } from "../../provider/connectors/tablestore/type-map";
import { fromTablestore, tablestoreValueConverter } from "../../provider/connectors/tablestore/values";
import { col } from "./pg-fixtures";

const AK = { id: "client-ak", secret: "client-secret-1234" };
const INSTANCE = "clientinst";

let server: TablestoreServer;
let client: TablestoreClient;
const opened: TablestoreClient[] = [];

function clientFor(over: Partial<TablestoreConnection> = {}, timeoutMs = 10_000): TablestoreClient {
    const c = new TablestoreClient({
        endpoint: server.endpoint, instanceName: INSTANCE, accessKeyId: AK.id, accessKeySecret: AK.secret, ...over,
    }, { timeoutMs });
    opened.push(c);
    return c;
}

const id = (n: number | bigint) => int64FromBigInt(BigInt(n));
const put = (table: string, key: number, attrs: [string, TsValue][] = [], condition: RowWrite["condition"] = "ignore"): RowWrite =>
    ({ table, kind: "put", primaryKey: [["id", id(key)]], put: attrs, condition });

/** What the client read, as plain JS for comparison. */
function plain(v: TsValue): unknown {
    return isInt64(v) ? BigInt(v.toString()) : v;
}

async function failure(p: Promise<unknown>): Promise<unknown> {
    try {
        await p;
    } catch (err) {
        return err;
    }
    throw new Error("expected a failure");
}

beforeAll(async () => {
    server = await startTablestoreServer({ instanceName: INSTANCE, accessKeys: [AK], limits: { getRangePageRows: 7 } });
    client = clientFor();
});

afterAll(async () => {
    for (const c of opened) c.close();
    await server?.close();
});

describe("tables", () => {
    it("create, list, describe, delete", async () => {
        await client.createTable({
            name: "t_meta",
            primaryKey: [{ name: "pk1", type: "STRING" }, { name: "pk2", type: "INTEGER" }, { name: "pk3", type: "BINARY" }],
            definedColumns: [{ name: "d_int", type: "INTEGER" }, { name: "d_bin", type: "BINARY" }, { name: "d_str", type: "STRING" }],
        });
        expect(await client.listTables()).toContain("t_meta");
        const d = await client.describeTable("t_meta");
        expect(d).toMatchObject({
            name: "t_meta",
            primaryKey: [
                { name: "pk1", type: "STRING", autoIncrement: false },
                { name: "pk2", type: "INTEGER", autoIncrement: false },
                { name: "pk3", type: "BINARY", autoIncrement: false },
            ],
            definedColumns: [{ name: "d_int", type: "INTEGER" }, { name: "d_bin", type: "BINARY" }, { name: "d_str", type: "STRING" }],
            timeToLive: -1,
            maxVersions: 1,
            status: "ACTIVE",
            reservedThroughput: { read: 0, write: 0 },
        });
        await client.deleteTable("t_meta");
        expect(await client.listTables()).not.toContain("t_meta");
    });

    it("service errors are typed, with the decoded code and message", async () => {
        const e = await failure(client.describeTable("no_such_table"));
        expect(e).toBeInstanceOf(TablestoreError);
        expect(e).toMatchObject({ code: "OTSObjectNotExist", httpStatus: 404, operation: "DescribeTable", table: "no_such_table" });
        expect((e as TablestoreError).requestId).toBeTruthy();
        await client.createTable({ name: "t_dup", primaryKey: [{ name: "id", type: "INTEGER" }] });
        const dup = await failure(client.createTable({ name: "t_dup", primaryKey: [{ name: "id", type: "INTEGER" }] }));
        expect(dup).toMatchObject({ code: "OTSObjectAlreadyExist", httpStatus: 409 });
        expect(tablestoreErrorClass(dup)).toBe("permanent");
    });

    it("names the SDK would mangle are refused before sending", async () => {
        const e = await failure(client.createTable({ name: "t_x", primaryKey: [{ name: "clé", type: "STRING" }] }));
        expect(e).toBeInstanceOf(TablestoreClientError);
        expect(tablestoreErrorClass(e)).toBe("permanent");
    });
});

describe("rows", () => {
    beforeAll(async () => {
        await client.createTable({ name: "t_rows", primaryKey: [{ name: "id", type: "INTEGER" }] });
    });

    it("put, get, update with DELETE_ALL, delete", async () => {
        const big = id(2n ** 63n - 1n);
        await client.putRow(put("t_rows", 1, [["i", big], ["d", 1.5], ["b", true], ["s", "héllo"], ["bin", Buffer.from([0, 255])]]));
        const row = await client.getRow("t_rows", [["id", id(1)]]);
        expect(row?.primaryKey.map(([n, v]) => [n, plain(v)])).toEqual([["id", 1n]]);
        expect(Object.fromEntries((row?.attributes ?? []).map(([n, v]) => [n, plain(v)]))).toEqual({
            i: 2n ** 63n - 1n, d: 1.5, b: true, s: "héllo", bin: Buffer.from([0, 255]),
        });
        await client.updateRow({ table: "t_rows", kind: "update", primaryKey: [["id", id(1)]], put: [["s", "new"]], deleteAll: ["d", "b"], condition: "expect-exist" });
        const after = await client.getRow("t_rows", [["id", id(1)]]);
        expect(after?.attributes.map(([n]) => n).sort()).toEqual(["bin", "i", "s"]);
        await client.deleteRow({ table: "t_rows", kind: "delete", primaryKey: [["id", id(1)]], condition: "ignore" });
        expect(await client.getRow("t_rows", [["id", id(1)]])).toBeUndefined();
    });

    it("a failed single-row write is the row's error", async () => {
        await client.putRow(put("t_rows", 2, [["a", "x"]]));
        const e = await failure(client.putRow(put("t_rows", 2, [["a", "y"]], "expect-not-exist")));
        expect(e).toMatchObject({ code: "OTSConditionCheckFail", table: "t_rows", operation: "PutRow" });
        expect(isRowLevelDataError(e)).toBe(true);
    });

    it("values converted by the type map come back as the source's text", async () => {
        const cols = [col("n", "bigint(20)"), col("u", "bigint(20) unsigned"), col("dec", "decimal(30,10)"), col("f", "double"),
            col("dt", "datetime(6)"), col("bits", "bit(64)"), col("y", "year")];
        const values = ["-9223372036854775808", "18446744073709551615", "12345678901234567890.0123456789", "-0",
            "2024-02-29 23:59:59.999999", Buffer.from("ffffffffffffffff", "hex"), "0000"];
        const maps = cols.map((c) => tablestoreColumnMapping(c, { temporal: "epoch-micros" }));
        const attrs = maps.map((m, i): [string, TsValue] => [m.source.name, tablestoreValueConverter(m)(values[i]) as TsValue]);
        await client.putRow(put("t_rows", 3, attrs));
        const row = await client.getRow("t_rows", [["id", id(3)]]);
        const got = new Map(row?.attributes);
        expect(maps.map((m) => fromTablestore(got.get(m.source.name), m))).toEqual(values);
    });
});

describe("batches", () => {
    beforeAll(async () => {
        await client.createTable({ name: "t_batch", primaryKey: [{ name: "id", type: "INTEGER" }] });
        await client.createTable({ name: "t_batch2", primaryKey: [{ name: "id", type: "INTEGER" }] });
    });

    it("BatchWriteRow answers per row, in the order given, across tables", async () => {
        await client.putRow(put("t_batch", 10, [["a", "exists"]]));
        const rows: RowWrite[] = [
            put("t_batch", 1, [["a", "one"]]),
            put("t_batch2", 1, [["a", "other table"]]),
            put("t_batch", 10, [["a", "again"]], "expect-not-exist"),
            { table: "t_batch", kind: "update", primaryKey: [["id", id(11)]], put: [["a", "upd"]], condition: "expect-exist" },
            put("t_batch", 12, [["a", "twelve"]]),
        ];
        const results = await client.batchWriteRow(rows);
        expect(results.map((r) => (r.ok ? "ok" : r.error.code))).toEqual(["ok", "ok", "OTSConditionCheckFail", "OTSConditionCheckFail", "ok"]);
        const failed = results[2];
        if (failed.ok) throw new Error("row 3 should fail");
        expect(failed.error).toMatchObject({ table: "t_batch", operation: "BatchWriteRow", httpStatus: undefined });
        expect(failed.error.primaryKey?.map(([n, v]) => [n, plain(v)])).toEqual([["id", 10n]]);
        expect(isRowLevelDataError(failed.error)).toBe(true);
        expect(server.rows("t_batch").map((r) => r.primaryKey.id)).toEqual([1n, 10n, 12n]);
        expect(server.rows("t_batch2")).toHaveLength(1);
    });

    it("a whole request refused throws", async () => {
        const rows = Array.from({ length: 201 }, (_, i) => put("t_batch", 1000 + i, [["a", "x"]]));
        const e = await failure(client.batchWriteRow(rows));
        expect(e).toMatchObject({ code: "OTSParameterInvalid", httpStatus: 400, table: "t_batch", primaryKey: undefined });
        expect(isRowLevelDataError(e)).toBe(false);
        // Split as batches.ts does, every row goes.
        for (const b of splitBatches(rows, { mode: "batch-write-row" })) {
            expect((await client.batchWriteRow(b.rows)).every((r) => r.ok)).toBe(true);
        }
    });

    it("injected row faults come back as that row's retryable error", async () => {
        const fault = server.inject({ scope: "row", operations: ["BatchWriteRow"], error: "OTSServerBusy", times: 1, skip: 1 });
        const results = await client.batchWriteRow([put("t_batch", 20), put("t_batch", 21), put("t_batch", 22)]);
        fault.remove();
        expect(results.map((r) => (r.ok ? "ok" : r.error.code))).toEqual(["ok", "OTSServerBusy", "ok"]);
        const busy = results[1];
        if (busy.ok) throw new Error("row 2 should fail");
        expect(tablestoreErrorClass(busy.error)).toBe("retryable");
    });

    it("BulkImport writes puts, updates and deletes of one table, per-row results", async () => {
        await client.createTable({ name: "t_bulk", primaryKey: [{ name: "k", type: "STRING" }, { name: "n", type: "INTEGER" }] });
        const key = (k: string, n: number): [string, TsValue][] => [["k", k], ["n", id(n)]];
        const first = await client.bulkImport("t_bulk", [
            { table: "t_bulk", kind: "put", primaryKey: key("a", 1), put: [["v", "one"], ["w", 1.25]], condition: "ignore" },
            { table: "t_bulk", kind: "put", primaryKey: key("a", 2), put: [["v", "two"]], condition: "ignore" },
            { table: "t_bulk", kind: "put", primaryKey: key("b", 1), put: [], condition: "ignore" },
        ]);
        expect(first).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
        const second = await client.bulkImport("t_bulk", [
            { table: "t_bulk", kind: "update", primaryKey: key("a", 1), put: [["v", "uno"]], deleteAll: ["w"], condition: "ignore" },
            { table: "t_bulk", kind: "delete", primaryKey: key("a", 2), condition: "ignore" },
        ]);
        expect(second).toEqual([{ ok: true }, { ok: true }]);
        expect(server.rows("t_bulk").map((r) => [r.primaryKey.k, r.primaryKey.n, r.attributes])).toEqual([
            ["a", 1n, { v: "uno" }],
            ["b", 1n, {}],
        ]);
    });

    it("BulkImport: row faults per row, request faults and wrong tables", async () => {
        const fault = server.inject({ scope: "row", operations: ["BulkImport"], error: "OTSPartitionUnavailable", times: 1 });
        const results = await client.bulkImport("t_batch", [put("t_batch", 30), put("t_batch", 31)]);
        fault.remove();
        expect(results.map((r) => (r.ok ? "ok" : r.error.code))).toEqual(["OTSPartitionUnavailable", "ok"]);
        const busy = server.inject({ operations: ["BulkImport"], error: "OTSServerBusy", times: 1 });
        const e = await failure(client.bulkImport("t_batch", [put("t_batch", 32)]));
        busy.remove();
        expect(e).toMatchObject({ code: "OTSServerBusy", httpStatus: 503, operation: "BulkImport" });
        expect(tablestoreErrorClass(e)).toBe("retryable");
        await expect(client.bulkImport("t_batch", [put("t_batch2", 1)])).rejects.toBeInstanceOf(TablestoreClientError);
        const missing = await failure(client.bulkImport("no_table", [put("no_table", 1)]));
        expect(missing).toMatchObject({ code: "OTSObjectNotExist", operation: "BulkImport" });
    });
});

describe("ranges", () => {
    it("getRange pages through every row in key order", async () => {
        await client.createTable({ name: "t_range", primaryKey: [{ name: "id", type: "INTEGER" }] });
        const rows = Array.from({ length: 45 }, (_, i) => put("t_range", i, [["v", `row ${i}`]]));
        for (const b of splitBatches(rows, { mode: "bulk-import" })) await client.bulkImport("t_range", b.rows);
        const pages: number[] = [];
        const ids: bigint[] = [];
        for await (const page of client.getRange("t_range", [["id", INF_MIN]], [["id", INF_MAX]], 10)) {
            pages.push(page.length);
            for (const r of page) ids.push(plain(r.primaryKey[0][1]) as bigint);
        }
        // The server stops a page at 7 rows (limits.getRangePageRows), below the 10 asked for.
        expect(pages).toEqual([7, 7, 7, 7, 7, 7, 3]);
        expect(ids).toEqual(Array.from({ length: 45 }, (_, i) => BigInt(i)));
        const some: bigint[] = [];
        for await (const page of client.getRange("t_range", [["id", id(5)]], [["id", id(9)]], 2)) {
            for (const r of page) some.push(plain(r.primaryKey[0][1]) as bigint);
        }
        expect(some).toEqual([5n, 6n, 7n, 8n]);
    });
});

describe("credentials and connections", () => {
    it("a wrong AccessKey secret: OTSAuthFailed, permanent, and the secret never shown", async () => {
        const wrong = clientFor({ accessKeySecret: "not-the-secret-9876" });
        const e = await failure(wrong.listTables());
        expect(e).toBeInstanceOf(TablestoreError);
        expect(e).toMatchObject({ code: "OTSAuthFailed", httpStatus: 403, serverMessage: "Signature mismatch." });
        expect(tablestoreErrorClass(e)).toBe("permanent");
        expect((e as Error).message).not.toContain("not-the-secret-9876");
        const bulk = await failure(wrong.bulkImport("t_batch", [put("t_batch", 40)]));
        expect(bulk).toMatchObject({ code: "OTSAuthFailed", httpStatus: 403 });
    });

    it("an unknown AccessKey ID", async () => {
        const e = await failure(clientFor({ accessKeyId: "nobody" }).listTables());
        expect(e).toMatchObject({ code: "OTSAuthFailed", serverMessage: "The AccessKeyID does not exist." });
    });

    it("refused connections and unknown hosts are connection errors", async () => {
        const probe = createServer();
        await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
        const port = (probe.address() as AddressInfo).port;
        await new Promise<void>((r) => probe.close(() => r()));
        const refused = await failure(clientFor({ endpoint: `http://127.0.0.1:${port}` }).listTables());
        expect(refused).toBeInstanceOf(TablestoreConnectionError);
        expect(refused).toMatchObject({ code: "ECONNREFUSED", endpoint: `http://127.0.0.1:${port}`, operation: "ListTable" });
        expect(tablestoreErrorClass(refused)).toBe("connection");
        const bulkRefused = await failure(clientFor({ endpoint: `http://127.0.0.1:${port}` }).bulkImport("t", [put("t", 1)]));
        expect(bulkRefused).toMatchObject({ code: "ECONNREFUSED" });
        const unknown = await failure(clientFor({ endpoint: "http://no-such-host.invalid" }).listTables());
        expect(unknown).toBeInstanceOf(TablestoreConnectionError);
        expect((unknown as TablestoreConnectionError).code).toMatch(/ENOTFOUND|EAI_AGAIN/);
    });

    it("a dropped connection and a silent server are connection errors", async () => {
        const reset = server.inject({ operations: ["ListTable"], reset: true, times: 1 });
        const dropped = await failure(client.listTables());
        reset.remove();
        expect(dropped).toBeInstanceOf(TablestoreConnectionError);
        expect((dropped as TablestoreConnectionError).code).toBe("ECONNRESET");

        const silent: Server = createServer(() => undefined);
        await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
        const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
        try {
            const slow = await failure(clientFor({ endpoint }, 200).listTables());
            expect(slow).toMatchObject({ code: "ETIMEDOUT", operation: "ListTable" });
            expect(tablestoreErrorClass(slow)).toBe("connection");
            const slowBulk = await failure(clientFor({ endpoint }, 200).bulkImport("t", [put("t", 1)]));
            expect(slowBulk).toMatchObject({ code: "ETIMEDOUT", operation: "BulkImport" });
        } finally {
            silent.closeAllConnections();
            await new Promise<void>((r) => silent.close(() => r()));
        }
    });

    it("reads are tried once: the SDK's own retries are off", async () => {
        server.resetCounts();
        const busy = server.inject({ operations: ["ListTable"], error: "OTSServerBusy", times: 5 });
        const e = await failure(client.listTables());
        busy.remove();
        expect(e).toMatchObject({ code: "OTSServerBusy", httpStatus: 503 });
        expect(server.requestCounts().ListTable).toBe(1);
    });
});
