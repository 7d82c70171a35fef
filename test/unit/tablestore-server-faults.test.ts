/**
 * Fault injection of the local Tablestore server, seen through the official SDK: whole requests
 * and single batch rows, deterministic and seeded-random selection, ambiguous outcomes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTablestoreServer, type TablestoreServer } from "../harness/tablestore-server";
import { callOts, TableStore, type SdkClient } from "../harness/tablestore-server/sdk";

const AK = { id: "fault-ak", secret: "fault-secret" };
const INSTANCE = "faultinst";
const L = (s: string) => TableStore.Long.fromString(s);
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);

interface BatchWriteData {
    tables: { isOk: boolean; errorCode: string | null; errorMessage: string | null }[];
}

let server: TablestoreServer;
let client: SdkClient;
const call = <T = Record<string, unknown>>(op: string, params: object = {}) => callOts<T>(client, op, params);

const putRows = (ids: number[]) => ({
    tables: [{ tableName: "t", rows: ids.map((id) => ({ type: "PUT", condition: IGNORE(), primaryKey: [{ id: L(String(id)) }], attributeColumns: [{ v: id }] })) }],
});
const putRow = (id: number) => call("putRow", { tableName: "t", condition: IGNORE(), primaryKey: [{ id: L(String(id)) }], attributeColumns: [{ v: id }] });
const ids = () => server.rows("t").map((r) => Number(r.primaryKey.id));

beforeAll(async () => {
    server = await startTablestoreServer({ instanceName: INSTANCE, accessKeys: [AK] });
    client = new TableStore.Client({ accessKeyId: AK.id, secretAccessKey: AK.secret, endpoint: server.endpoint, instancename: INSTANCE, maxRetries: 0 });
    const r = await call("createTable", {
        tableMeta: { tableName: "t", primaryKey: [{ name: "id", type: "INTEGER" }] },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    expect(r.err).toBeUndefined();
    server.resetCounts();
});

afterEach(async () => {
    server.clearFaults();
    await call("batchWriteRow", { tables: [{ tableName: "t", rows: ids().map((id) => ({ type: "DELETE", condition: IGNORE(), primaryKey: [{ id: L(String(id)) }] })) }] }).catch(() => undefined);
    server.resetCounts();
});

afterAll(async () => {
    await server?.close();
});

describe("whole-request faults", () => {
    it("fails the next 3 BatchWriteRow requests with OTSServerBusy, then lets them through", async () => {
        const fault = server.inject({ operations: ["BatchWriteRow"], error: "OTSServerBusy", times: 3 });
        for (let i = 0; i < 3; i++) {
            const r = await call("batchWriteRow", putRows([i]));
            expect(r.err?.code).toBe(503);
            expect(r.ots).toEqual({ code: "OTSServerBusy", message: "Server is busy." });
        }
        expect((await call("listTable")).err).toBeUndefined(); // other operations are not matched
        expect((await call("batchWriteRow", putRows([9]))).err).toBeUndefined();
        expect([fault.matched, fault.fired]).toEqual([3, 3]);
        expect(ids()).toEqual([9]); // a refused request wrote nothing
        expect(server.requestCounts()).toEqual({ BatchWriteRow: 4, ListTable: 1 });
        expect(server.requestLog().map((e) => [e.operation, e.status, e.code])).toEqual([
            ["BatchWriteRow", 503, "OTSServerBusy"], ["BatchWriteRow", 503, "OTSServerBusy"], ["BatchWriteRow", 503, "OTSServerBusy"],
            ["ListTable", 200, undefined], ["BatchWriteRow", 200, undefined],
        ]);
    });

    it("injects each retryable error with its service status and message", async () => {
        const expected: [Parameters<TablestoreServer["inject"]>[0]["error"], number, string, string][] = [
            ["OTSPartitionUnavailable", 503, "OTSPartitionUnavailable", "The partition is not available."],
            ["OTSTimeout", 503, "OTSTimeout", "Operation timeout."],
            ["OTSQuotaExhausted", 403, "OTSQuotaExhausted", "Too frequent table operations."],
            ["OTSInternalServerError", 500, "OTSInternalServerError", "Internal server error."],
            [{ status: 409, code: "OTSRowOperationConflict", message: "Data is being modified by the other request." }, 409, "OTSRowOperationConflict", "Data is being modified by the other request."],
        ];
        for (const [error, status, code, message] of expected) {
            server.inject({ operations: ["PutRow"], error, times: 1 });
            const r = await putRow(1);
            expect([r.status, r.ots]).toEqual([status, { code, message }]);
        }
    });

    it("fails every 2nd request after skipping one, by operation", async () => {
        server.inject({ operations: ["PutRow"], error: "OTSServerBusy", every: 2, skip: 1 });
        const outcomes: boolean[] = [];
        for (let i = 0; i < 7; i++) outcomes.push((await putRow(i)).err === undefined);
        expect(outcomes).toEqual([true, true, false, true, false, true, false]);
        expect(ids()).toEqual([0, 1, 3, 5]);
    });

    it("can report a failure after applying the write (the ambiguous OTSTimeout)", async () => {
        server.inject({ operations: ["PutRow"], error: "OTSTimeout", times: 1, applied: true });
        const r = await putRow(42);
        expect(r.ots?.code).toBe("OTSTimeout");
        expect(ids()).toEqual([42]);
    });

    it("can drop the connection, or answer slowly", async () => {
        server.inject({ operations: ["PutRow"], reset: true, times: 1 });
        const r = await putRow(1);
        expect(r.err).toBeDefined();
        expect(r.status).toBe(0);
        expect(ids()).toEqual([]);

        server.inject({ operations: ["PutRow"], delayMs: 300, times: 1 });
        const t0 = Date.now();
        expect((await putRow(2)).err).toBeUndefined();
        expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    });

    it("a read is not retried with maxRetries 0", async () => {
        server.inject({ operations: ["GetRange"], error: "OTSServerBusy" });
        const r = await call("getRange", { tableName: "t", direction: "FORWARD", inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }] });
        expect(r.err?.code).toBe(503);
        expect(server.requestCounts().GetRange).toBe(1);
    });

    it("removes one fault by its handle", async () => {
        const f = server.inject({ operations: ["PutRow"], error: "OTSServerBusy" });
        expect((await putRow(1)).err).toBeDefined();
        f.remove();
        expect((await putRow(1)).err).toBeUndefined();
    });
});

describe("per-row faults", () => {
    it("fails every 5th row of BatchWriteRow inside an HTTP 200", async () => {
        const fault = server.inject({ scope: "row", error: "OTSServerBusy", every: 5 });
        const r = await call<BatchWriteData>("batchWriteRow", putRows(Array.from({ length: 12 }, (_, i) => i)));
        expect(r.status).toBe(200);
        const failed = (r.data?.tables ?? []).flatMap((t, i) => (t.isOk ? [] : [[i, t.errorCode, t.errorMessage]]));
        expect(failed).toEqual([[4, "OTSServerBusy", "Server is busy."], [9, "OTSServerBusy", "Server is busy."]]);
        expect(ids()).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 10, 11]);
        expect([fault.matched, fault.fired]).toEqual([12, 2]);
    });

    it("can fail the next N rows, of one table only", async () => {
        server.inject({ scope: "row", tables: ["other"], error: "OTSServerBusy", times: 5 });
        server.inject({ scope: "row", tables: ["t"], error: "OTSPartitionUnavailable", times: 2 });
        const r = await call<BatchWriteData>("batchWriteRow", putRows([1, 2, 3, 4]));
        expect(r.data?.tables.map((t) => t.errorCode)).toEqual(["OTSPartitionUnavailable", "OTSPartitionUnavailable", null, null]);
    });

    it("draws a seeded-random rate reproducibly", async () => {
        async function pattern(seed: number): Promise<boolean[]> {
            server.clearFaults();
            server.inject({ scope: "row", error: "OTSServerBusy", rate: 0.3, seed });
            const r = await call<BatchWriteData>("batchWriteRow", putRows(Array.from({ length: 200 }, (_, i) => i)));
            return (r.data?.tables ?? []).map((t) => t.isOk);
        }
        const a = await pattern(7);
        const b = await pattern(7);
        const c = await pattern(8);
        expect(a).toEqual(b);
        expect(a).not.toEqual(c);
        const failures = a.filter((ok) => !ok).length;
        expect(failures).toBeGreaterThan(30);
        expect(failures).toBeLessThan(90);
    });

    it("can report a row as failed after writing it", async () => {
        server.inject({ scope: "row", error: "OTSTimeout", times: 1, applied: true });
        const r = await call<BatchWriteData>("batchWriteRow", putRows([1, 2]));
        expect(r.data?.tables.map((t) => t.errorCode)).toEqual(["OTSTimeout", null]);
        expect(ids()).toEqual([1, 2]);
    });

    it("refuses a fault spec that makes no sense", () => {
        expect(() => server.inject({ error: "OTSServerBusy", times: 1, every: 2 })).toThrow(/one of/);
        expect(() => server.inject({ scope: "row", reset: true })).toThrow();
        expect(() => server.inject({})).toThrow();
    });
});
