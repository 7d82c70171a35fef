/**
 * Column conditions, the Tablestore fence's wire part: the connector's encoding of a
 * condition byte for byte against the official SDK's own encoder (TableStore.encoder,
 * SingleColumnCondition, PlainBufferBuilder), and the local server evaluating conditions on
 * PutRow, UpdateRow, DeleteRow and BatchWriteRow as the service does, sent by the connector's
 * client and by the SDK.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TablestoreClient, type RowWrite } from "../../provider/connectors/tablestore/client";
import { TablestoreClientError, TablestoreError } from "../../provider/connectors/tablestore/errors";
import { conditionMessage, encodeColumnCondition, type Comparator, type SingleColumnCondition } from "../../provider/connectors/tablestore/filter";
import { encodeColumnValue } from "../../provider/connectors/tablestore/plainbuffer";
import { compiledProtos, int64FromBigInt, type TsValue } from "../../provider/connectors/tablestore/sdk";
import { startTablestoreServer, type TablestoreServer } from "../harness/tablestore-server";
import { readColumnValue } from "../harness/tablestore-server/plainbuffer";
import { callOts, TableStore, type SdkClient, type SdkValue } from "../harness/tablestore-server/sdk";

const sdkComparator: Record<Comparator, number> = {
    "=": TableStore.ComparatorType.EQUAL, "!=": TableStore.ComparatorType.NOT_EQUAL,
    ">": TableStore.ComparatorType.GREATER_THAN, ">=": TableStore.ComparatorType.GREATER_EQUAL,
    "<": TableStore.ComparatorType.LESS_THAN, "<=": TableStore.ComparatorType.LESS_EQUAL,
};
const COMPARATORS = Object.keys(sdkComparator) as Comparator[];

/** The SDK's Condition message fields for the same condition, as its encoder makes them. */
function sdkCondition(rowExistence: number, c?: SingleColumnCondition): { rowExistence?: number; columnCondition?: Uint8Array } {
    const column = c ? new TableStore.SingleColumnCondition(c.column, c.value as SdkValue, sdkComparator[c.comparator], c.passIfMissing, c.latestVersionOnly) : null;
    const proto: { rowExistence?: number; columnCondition?: Uint8Array } = {};
    TableStore.encoder._makeCondition(proto, new TableStore.Condition(rowExistence, column));
    return proto;
}

const ConditionProto = compiledProtos.Condition as { encode(m: object): { finish(): Uint8Array } };
const int = (n: number | bigint) => int64FromBigInt(BigInt(n));

describe("a column condition's encoding", () => {
    // The SDK writes a JS number as DOUBLE and an INTEGER only as its Int64; the connector's value is the same object.
    const values: [string, TsValue][] = [
        ["INTEGER", int(7)], ["INTEGER 0", int(0)], ["INTEGER −1", int(-1)], ["INTEGER max", int(2n ** 63n - 1n)],
        ["STRING", "epoch-7"], ["STRING empty", ""], ["STRING non-ASCII", "größe ✓ 表格"],
        ["BINARY", Buffer.from([0, 1, 2, 255])], ["DOUBLE", 2.5], ["BOOLEAN", true], ["BOOLEAN false", false],
    ];

    it.each(values)("of a %s value is the SDK's PlainBuffer value, and the local server reads it back", (_name, value) => {
        const mine = encodeColumnValue("c", value);
        expect(mine.toString("hex")).toBe(TableStore.PlainBufferBuilder.serializeColumnValue(value as SdkValue).toString("hex"));
        const back = readColumnValue(mine, "c");
        const expected = Buffer.isBuffer(value) ? value : typeof value === "object" ? BigInt(value.toString()) : value;
        expect(back.value).toEqual(expected);
    });

    it("is byte for byte the SDK's Filter, for every comparator, passIfMissing both ways and latestVersionOnly", () => {
        for (const comparator of COMPARATORS) {
            for (const passIfMissing of [true, false]) {
                for (const latestVersionOnly of [true, false]) {
                    for (const [, value] of values) {
                        const c: SingleColumnCondition = { column: "epoch", comparator, value, passIfMissing, latestVersionOnly };
                        expect(encodeColumnCondition(c).toString("hex"), JSON.stringify({ comparator, passIfMissing, latestVersionOnly }))
                            .toBe(Buffer.from(sdkCondition(0, c).columnCondition!).toString("hex"));
                    }
                }
            }
        }
        // latestVersionOnly defaults to true, as in the SDK.
        const c: SingleColumnCondition = { column: "epoch", comparator: "=", value: int(3), passIfMissing: false };
        expect(encodeColumnCondition(c)).toEqual(encodeColumnCondition({ ...c, latestVersionOnly: true }));
    });

    it("filter_if_missing is the negation of passIfMissing, as every SDK sends it", () => {
        // Filter{type 1, filter: SingleColumnValueFilter{…, filter_if_missing = 4 (tag 0x20), latest_version_only = 5 (tag 0x28)}}.
        const tail = (passIfMissing: boolean) => encodeColumnCondition({ column: "epoch", comparator: "=", value: int(1), passIfMissing }).subarray(-4).toString("hex");
        expect(tail(false)).toBe("20012801");
        expect(tail(true)).toBe("20002801");
    });

    it("the Condition message with it is the SDK's, and without one carries row existence only", () => {
        const c: SingleColumnCondition = { column: "epoch", comparator: "=", value: int(42), passIfMissing: false };
        for (const existence of [0, 1, 2]) {
            expect(Buffer.from(ConditionProto.encode(conditionMessage(existence, c)).finish()).toString("hex"))
                .toBe(Buffer.from(ConditionProto.encode(sdkCondition(existence, c)).finish()).toString("hex"));
            expect(Buffer.from(ConditionProto.encode(conditionMessage(existence)).finish()).toString("hex"))
                .toBe(Buffer.from(ConditionProto.encode(sdkCondition(existence)).finish()).toString("hex"));
        }
    });

    it("refuses a value Tablestore has no type for", () => {
        expect(() => encodeColumnCondition({ column: "c", comparator: "=", value: Number.NaN, passIfMissing: false })).toThrow(/has no Tablestore value/);
        expect(() => encodeColumnCondition({ column: "c", comparator: "=", value: 2n ** 63n, passIfMissing: false })).toThrow(/outside the INTEGER range/);
    });
});

describe("column conditions at the local server", () => {
    const AK = { id: "fence-ak", secret: "fence-secret-1" };
    let server: TablestoreServer;
    let client: TablestoreClient;
    let sdkClient: SdkClient;
    const T = "cond";

    beforeAll(async () => {
        server = await startTablestoreServer({ instanceName: "fenceinst", accessKeys: [AK] });
        client = new TablestoreClient({ endpoint: server.endpoint, instanceName: "fenceinst", accessKeyId: AK.id, accessKeySecret: AK.secret });
        sdkClient = new TableStore.Client({ endpoint: server.endpoint, instancename: "fenceinst", accessKeyId: AK.id, secretAccessKey: AK.secret, maxRetries: 0 });
        await client.createTable({ name: T, primaryKey: [{ name: "id", type: "STRING" }] });
    });
    afterAll(async () => {
        client?.close();
        await server?.close();
    });

    const key = (id: string): [string, TsValue][] => [["id", id]];
    const seed = (id: string, attrs: [string, TsValue][]) => client.putRow({ table: T, kind: "put", primaryKey: key(id), put: attrs, condition: "ignore" });
    const update = (id: string, columnCondition: SingleColumnCondition, condition: RowWrite["condition"] = "ignore"): Promise<void> =>
        client.updateRow({ table: T, kind: "update", primaryKey: key(id), put: [["touched", int(1)]], condition, columnCondition });
    const outcome = (p: Promise<unknown>) => p.then(() => "ok", (err: unknown) => (err instanceof TablestoreError ? `${err.httpStatus} ${err.code}: ${err.serverMessage}` : String(err)));
    const refused = "403 OTSConditionCheckFail: Condition check failed.";

    it("compares INTEGER and STRING columns with each comparator", async () => {
        await seed("r1", [["n", int(5)], ["s", "m"]]);
        const cases: [Comparator, number, string, boolean][] = [
            ["=", 5, "m", true], ["=", 4, "n", false], ["!=", 4, "a", true], ["!=", 5, "m", false],
            [">", 4, "l", true], [">", 5, "m", false], [">=", 5, "m", true], [">=", 6, "n", false],
            ["<", 6, "n", true], ["<", 5, "m", false], ["<=", 5, "m", true], ["<=", 4, "l", false],
        ];
        for (const [comparator, n, s, passes] of cases) {
            expect(await outcome(update("r1", { column: "n", comparator, value: int(n), passIfMissing: false })), `n ${comparator} ${n}`).toBe(passes ? "ok" : refused);
            expect(await outcome(update("r1", { column: "s", comparator, value: s, passIfMissing: false })), `s ${comparator} ${s}`).toBe(passes ? "ok" : refused);
        }
        // Signed 64-bit order, and STRING by its UTF-8 bytes: U+1F600 (F0 9F 98 80) sorts after U+FF61 (EF BD A1),
        // though before it by UTF-16 units (D83D < FF61), JavaScript's own string order.
        await seed("r2", [["n", int(-1)], ["s", "\u{1F600}"]]);
        expect(await outcome(update("r2", { column: "n", comparator: "<", value: int(0), passIfMissing: false }))).toBe("ok");
        expect(await outcome(update("r2", { column: "s", comparator: ">", value: "\uFF61", passIfMissing: false }))).toBe("ok");
        // A key column can be compared too.
        expect(await outcome(update("r2", { column: "id", comparator: "=", value: "r2", passIfMissing: false }))).toBe("ok");
        // A value of another type fails the condition.
        expect(await outcome(update("r2", { column: "n", comparator: "!=", value: "x", passIfMissing: false }))).toBe(refused);
    });

    it("a missing column passes with passIfMissing, fails without; a missing row has no columns", async () => {
        await seed("r3", [["other", int(1)]]);
        expect(await outcome(update("r3", { column: "epoch", comparator: "=", value: int(0), passIfMissing: true }))).toBe("ok");
        expect(await outcome(update("r3", { column: "epoch", comparator: "=", value: int(0), passIfMissing: false }))).toBe(refused);
        expect(await outcome(update("nope", { column: "epoch", comparator: "=", value: int(0), passIfMissing: false }))).toBe(refused);
        expect(server.rows(T).some((r) => r.primaryKey.id === "nope")).toBe(false);
        // Row existence is checked as well: EXPECT_EXIST refuses a missing row whatever the column condition.
        expect(await outcome(update("nope", { column: "epoch", comparator: "=", value: int(0), passIfMissing: true }, "expect-exist"))).toBe(refused);
        expect(await outcome(update("nope2", { column: "epoch", comparator: "=", value: int(0), passIfMissing: true }))).toBe("ok");
    });

    it("a refused write changes nothing; PutRow and DeleteRow take conditions too", async () => {
        await seed("r4", [["epoch", int(3)], ["v", "a"]]);
        const put = (epoch: number) => client.putRow({ table: T, kind: "put", primaryKey: key("r4"), put: [["epoch", int(epoch)], ["v", "b"]], condition: "ignore", columnCondition: { column: "epoch", comparator: "=", value: int(2), passIfMissing: false } });
        expect(await outcome(put(9))).toBe(refused);
        expect(server.rows(T).find((r) => r.primaryKey.id === "r4")?.attributes).toEqual({ epoch: 3n, v: "a" });
        const del = (epoch: number) => client.deleteRow({ table: T, kind: "delete", primaryKey: key("r4"), condition: "expect-exist", columnCondition: { column: "epoch", comparator: "=", value: int(epoch), passIfMissing: false } });
        expect(await outcome(del(2))).toBe(refused);
        expect(await outcome(del(3))).toBe("ok");
        expect(server.rows(T).some((r) => r.primaryKey.id === "r4")).toBe(false);
    });

    it("the SDK's own conditional UpdateRow and BatchWriteRow are evaluated alike (per row in a batch)", async () => {
        await seed("r5", [["epoch", int(7)]]);
        const cond = (epoch: number) => new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST,
            new TableStore.SingleColumnCondition("epoch", TableStore.Long.fromNumber(epoch), TableStore.ComparatorType.EQUAL, false));
        const sdkUpdate = (epoch: number) => callOts(sdkClient, "updateRow", {
            tableName: T, primaryKey: [{ id: "r5" }], updateOfAttributeColumns: [{ PUT: [{ v: "x" }] }], condition: cond(epoch),
        });
        const bad = await sdkUpdate(6);
        expect([bad.status, bad.ots?.code, bad.ots?.message]).toEqual([403, "OTSConditionCheckFail", "Condition check failed."]);
        expect((await sdkUpdate(7)).err).toBeUndefined();
        const batch = await callOts<{ tables: { isOk: boolean; errorCode: string | null }[] }>(sdkClient, "batchWriteRow", {
            tables: [{
                tableName: T, rows: [
                    { type: "UPDATE", condition: cond(7), primaryKey: [{ id: "r5" }], attributeColumns: [{ PUT: [{ w: "ok" }] }] },
                    { type: "UPDATE", condition: cond(1), primaryKey: [{ id: "r1" }], attributeColumns: [{ PUT: [{ w: "no" }] }] },
                ],
            }],
        });
        expect(batch.data?.tables.map((t) => [t.isOk, t.errorCode])).toEqual([[true, null], [false, "OTSConditionCheckFail"]]);
        expect(server.rows(T).find((r) => r.primaryKey.id === "r1")?.attributes.w).toBeUndefined();
    });

    it("the client sends column conditions with single-row writes only", async () => {
        const row: RowWrite = { table: T, kind: "update", primaryKey: key("r1"), put: [["v", "y"]], condition: "ignore", columnCondition: { column: "n", comparator: "=", value: int(5), passIfMissing: false } };
        await expect(client.batchWriteRow([row])).rejects.toThrow(TablestoreClientError);
        await expect(client.bulkImport(T, [row])).rejects.toThrow(/sends no column conditions/);
    });
});
