/**
 * The local Tablestore server against the official Node SDK over real HTTP: authentication,
 * tables, row operations, ranges, batches and the service limits.
 */
import { createHash, createHmac } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTablestoreServer, type TablestoreServer } from "../harness/tablestore-server";
import { requestSignature } from "../harness/tablestore-server/auth";
import { decodeErrorMessage } from "../harness/tablestore-server/protocol";
import { callOts, TableStore, type SdkClient, type SdkColumns, type SdkLong } from "../harness/tablestore-server/sdk";

const AK = { id: "test-ak", secret: "test-secret" };
const INSTANCE = "testinst";
const L = (s: string) => TableStore.Long.fromString(s);
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const EXPECT_NOT_EXIST = () => new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null);

interface SdkRow {
    primaryKey?: { name: string; value: unknown }[];
    attributes?: { columnName: string; columnValue: unknown; timestamp: SdkLong }[];
}
interface GetRangeData {
    rows: SdkRow[];
    nextStartPrimaryKey: { name: string; value: unknown }[] | null;
}
interface BatchWriteData {
    tables: { isOk: boolean; errorCode: string | null; errorMessage: string | null; tableName: string }[];
}

let server: TablestoreServer;
let client: SdkClient;

function clientFor(opts: { id?: string; secret?: string; instance?: string; endpoint?: string } = {}): SdkClient {
    return new TableStore.Client({
        accessKeyId: opts.id ?? AK.id,
        secretAccessKey: opts.secret ?? AK.secret,
        endpoint: opts.endpoint ?? server.endpoint,
        instancename: opts.instance ?? INSTANCE,
        // Process-global in the SDK: every client of these tests keeps it 0.
        maxRetries: 0,
    });
}

const call = <T = Record<string, unknown>>(op: string, params: object = {}, c: SdkClient = client) => callOts<T>(c, op, params);

async function createTable(name: string, pk: [string, "INTEGER" | "STRING" | "BINARY"][], c: SdkClient = client) {
    return call("createTable", {
        tableMeta: { tableName: name, primaryKey: pk.map(([n, type]) => ({ name: n, type })) },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
    }, c);
}

function attrs(row: SdkRow | undefined): Record<string, unknown> {
    return Object.fromEntries((row?.attributes ?? []).map((a) => [a.columnName, a.columnValue]));
}

const str = (v: unknown) => String(v);

beforeAll(async () => {
    server = await startTablestoreServer({ instanceName: INSTANCE, accessKeys: [AK], limits: { getRangePageRows: 50 } });
    client = clientFor();
});

afterAll(async () => {
    await server?.close();
});

/** A raw POST, for what the SDK cannot be made to send (missing headers, GET, bad MD5). */
function rawPost(path: string, headers: Record<string, string>, body: Buffer, method = "POST") {
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const req = request(`${server.endpoint}${path}`, { method, headers: { ...headers, "content-length": String(body.length) } }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on("error", reject);
        req.end(body);
    });
}

function signedHeaders(operation: string, body: Buffer, overrides: Record<string, string | undefined> = {}): Record<string, string> {
    const h: Record<string, string | undefined> = {
        "x-ots-apiversion": "2015-12-31",
        "x-ots-instancename": INSTANCE,
        "x-ots-contentmd5": createHash("md5").update(body).digest("base64"),
        "x-ots-date": new Date().toISOString(),
        "x-ots-accesskeyid": AK.id,
        ...overrides,
    };
    const clean = Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>;
    if (!("x-ots-signature" in overrides)) clean["x-ots-signature"] = requestSignature(AK.secret, operation, clean);
    return clean;
}

describe("authentication and HTTP", () => {
    it("refuses an unknown AccessKeyID and a wrong secret with 403 OTSAuthFailed", async () => {
        const badId = await call("listTable", {}, clientFor({ id: "nobody" }));
        expect(badId.err?.code).toBe(403);
        expect(badId.ots).toEqual({ code: "OTSAuthFailed", message: "The AccessKeyID does not exist." });
        const badSecret = await call("listTable", {}, clientFor({ secret: "wrong" }));
        expect(badSecret.err?.code).toBe(403);
        expect(badSecret.ots).toEqual({ code: "OTSAuthFailed", message: "Signature mismatch." });
        const badInstance = await call("listTable", {}, clientFor({ instance: "other" }));
        expect(badInstance.ots).toEqual({ code: "OTSAuthFailed", message: "The instance is not found." });
        expect((await call("listTable")).err).toBeUndefined();
    });

    it("checks the headers, the date and the body MD5", async () => {
        const body = Buffer.alloc(0);
        const missing = await rawPost("/ListTable", signedHeaders("ListTable", body, { "x-ots-date": undefined }), body);
        expect(missing.status).toBe(400);
        expect(decodeErrorMessage(missing.body)).toEqual({ code: "OTSParameterInvalid", message: "Missing header: x-ots-date." });

        const noMillis = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
        expect((await rawPost("/ListTable", signedHeaders("ListTable", body, { "x-ots-date": noMillis }), body)).status).toBe(200);

        const old = new Date(Date.now() - 60 * 60 * 1000).toISOString();
        const skewed = await rawPost("/ListTable", signedHeaders("ListTable", body, { "x-ots-date": old }), body);
        expect([skewed.status, decodeErrorMessage(skewed.body).message]).toEqual([403, `Mismatch between system time and x-ots-date: ${old}.`]);

        const badDate = await rawPost("/ListTable", signedHeaders("ListTable", body, { "x-ots-date": "yesterday" }), body);
        expect(decodeErrorMessage(badDate.body)).toEqual({ code: "OTSParameterInvalid", message: "Invalid date format: yesterday." });

        const md5 = await rawPost("/ListTable", signedHeaders("ListTable", body, { "x-ots-contentmd5": "AAAAAAAAAAAAAAAAAAAAAA==" }), body);
        expect([md5.status, decodeErrorMessage(md5.body).message]).toEqual([403, "Mismatch between MD5 value of request body and x-ots-contentmd5 in header."]);
    });

    it("answers GET with 405 and an unknown operation with 400", async () => {
        const get = await rawPost("/ListTable", {}, Buffer.alloc(0), "GET");
        expect(get.status).toBe(405);
        expect(decodeErrorMessage(get.body).code).toBe("OTSMethodNotAllowed");
        const body = Buffer.alloc(0);
        const unknown = await rawPost("/DropEverything", signedHeaders("DropEverything", body), body);
        expect([unknown.status, decodeErrorMessage(unknown.body)]).toEqual([400, { code: "OTSParameterInvalid", message: "Unsupported operation: DropEverything." }]);
    });

    it("sends the response headers the Java and Python SDKs verify, with a valid authorization signature", async () => {
        const body = Buffer.alloc(0);
        const res = await rawPost("/ListTable", signedHeaders("ListTable", body), body);
        expect(res.status).toBe(200);
        for (const h of ["x-ots-requestid", "x-ots-date", "x-ots-contentmd5", "x-ots-contenttype", "authorization"]) expect(res.headers[h]).toBeTruthy();
        expect(res.headers["x-ots-contentmd5"]).toBe(createHash("md5").update(res.body).digest("base64"));
        const signed = Object.keys(res.headers).filter((k) => k.startsWith("x-ots-")).sort().map((k) => `${k}:${String(res.headers[k])}\n`).join("");
        const sig = createHmac("sha1", AK.secret).update(`${signed}/ListTable`).digest("base64");
        expect(res.headers.authorization).toBe(`OTS ${AK.id}:${sig}`);
    });
});

describe("tables", () => {
    it("creates, lists, describes and deletes a table", async () => {
        expect((await createTable("t_meta", [["id", "INTEGER"], ["name", "STRING"], ["bin", "BINARY"]])).err).toBeUndefined();
        const list = await call<{ tableNames: string[] }>("listTable");
        expect(list.data?.tableNames).toContain("t_meta");
        const d = await call<{ tableMeta: { tableName: string; primaryKey: { name: string; type: number }[] }; tableOptions: { timeToLive: number; maxVersions: number }; tableStatus: number }>(
            "describeTable", { tableName: "t_meta" });
        expect(d.err).toBeUndefined();
        expect(d.data?.tableMeta.tableName).toBe("t_meta");
        expect(d.data?.tableMeta.primaryKey.map((k) => [k.name, k.type])).toEqual([["id", 1], ["name", 2], ["bin", 3]]);
        expect(d.data?.tableOptions.timeToLive).toBe(-1);
        expect(d.data?.tableOptions.maxVersions).toBe(1);
        expect(d.data?.tableStatus).toBe(1);

        const again = await createTable("t_meta", [["id", "INTEGER"]]);
        expect([again.status, again.ots]).toEqual([409, { code: "OTSObjectAlreadyExist", message: "Requested table already exists." }]);

        expect((await call("deleteTable", { tableName: "t_meta" })).err).toBeUndefined();
        expect(server.tables()).not.toContain("t_meta");
        const gone = await call("describeTable", { tableName: "t_meta" });
        expect([gone.status, gone.ots]).toEqual([404, { code: "OTSObjectNotExist", message: "Requested table does not exist." }]);
        expect((await call("deleteTable", { tableName: "t_meta" })).status).toBe(404);
    });

    it("enforces the naming rules and the primary-key column count", async () => {
        const hyphen = await createTable("my-table", [["id", "INTEGER"]]);
        expect([hyphen.status, hyphen.ots]).toEqual([400, { code: "OTSParameterInvalid", message: "Invalid table name: my-table." }]);
        expect((await createTable("1abc", [["id", "INTEGER"]])).ots?.message).toBe("Invalid table name: 1abc.");
        expect((await createTable("x".repeat(256), [["id", "INTEGER"]])).ots?.code).toBe("OTSParameterInvalid");
        expect((await createTable("_ok_255".padEnd(255, "x"), [["id", "INTEGER"]])).err).toBeUndefined();
        const five = await createTable("t_five", [["a", "INTEGER"], ["b", "INTEGER"], ["c", "INTEGER"], ["d", "INTEGER"], ["e", "INTEGER"]]);
        expect([five.status, five.ots]).toEqual([400, { code: "OTSParameterInvalid", message: "The number of primary key columns must be in range: [1, 4]." }]);
        expect((await createTable("t_colname", [["bad col", "INTEGER"]])).ots?.message).toBe("Invalid column name: bad col.");
        expect((await createTable("t_dup", [["a", "INTEGER"], ["a", "STRING"]])).ots?.message).toBe("Duplicated primary key name: a.");
        expect(server.tables()).not.toContain("t_five");
        await call("deleteTable", { tableName: "_ok_255".padEnd(255, "x") });
    });

    it("refuses table 65 with OTSQuotaExhausted (here: a quota of 2)", async () => {
        const small = await startTablestoreServer({ instanceName: INSTANCE, accessKeys: [AK], maxTables: 2 });
        try {
            const c = clientFor({ endpoint: small.endpoint });
            expect((await createTable("a", [["id", "INTEGER"]], c)).err).toBeUndefined();
            expect((await createTable("b", [["id", "INTEGER"]], c)).err).toBeUndefined();
            const third = await createTable("c", [["id", "INTEGER"]], c);
            expect([third.status, third.ots]).toEqual([403, { code: "OTSQuotaExhausted", message: "Number of tables exceeded the quota." }]);
        } finally {
            await small.close();
        }
    });
});

describe("rows", () => {
    beforeAll(async () => {
        await createTable("t_rows", [["id", "INTEGER"], ["k", "STRING"]]);
    });

    it("puts and gets every value type, INTEGER at the int64 limits included", async () => {
        const pk: SdkColumns = [{ id: L("-9223372036854775808") }, { k: "ключ-😀" }];
        const put = await call("putRow", {
            tableName: "t_rows", condition: IGNORE(), primaryKey: pk,
            attributeColumns: [
                { imax: L("9223372036854775807") }, { imin: L("-9223372036854775808") }, { big: L("9007199254740993") },
                { d: 3.14159 }, { negzero: -0 }, { yes: true }, { no: false },
                { u: "naïve 日本語 😀" }, { empty: "" }, { bin: Buffer.from([0, 1, 254, 255]) },
            ],
        });
        expect(put.err).toBeUndefined();
        const got = await call<{ row: SdkRow }>("getRow", { tableName: "t_rows", primaryKey: pk });
        expect(got.err).toBeUndefined();
        const a = attrs(got.data?.row);
        expect(got.data?.row.primaryKey?.map((k) => str(k.value))).toEqual(["-9223372036854775808", "ключ-😀"]);
        expect(str(a.imax)).toBe("9223372036854775807");
        expect(str(a.imin)).toBe("-9223372036854775808");
        expect(str(a.big)).toBe("9007199254740993");
        expect(a.d).toBe(3.14159);
        expect(Object.is(a.negzero, -0)).toBe(true);
        expect([a.yes, a.no]).toEqual([true, false]);
        expect(a.u).toBe("naïve 日本語 😀");
        expect(a.empty).toBe("");
        expect(Buffer.compare(a.bin as Buffer, Buffer.from([0, 1, 254, 255]))).toBe(0);
        // Attributes come back sorted by name, as the service returns them.
        expect(got.data?.row.attributes?.map((x) => x.columnName)).toEqual(["big", "bin", "d", "empty", "imax", "imin", "negzero", "no", "u", "yes"]);

        // The read helper keeps types apart: INTEGER is bigint, DOUBLE is number.
        const [row] = server.rows("t_rows").filter((r) => r.primaryKey.id === -(2n ** 63n));
        expect(row.primaryKey).toEqual({ id: -(2n ** 63n), k: "ключ-😀" });
        expect(row.attributes.imax).toBe(2n ** 63n - 1n);
        expect(row.attributes.d).toBe(3.14159);
        expect(row.attributes.bin).toEqual(Buffer.from([0, 1, 254, 255]));
    });

    it("PutRow replaces the whole row; explicit timestamps come back, the server stamps the others", async () => {
        const pk: SdkColumns = [{ id: L("1") }, { k: "replace" }];
        const ts = Date.now() - 1000;
        await call("putRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: pk, attributeColumns: [{ a: "x" }, { b: "y", timestamp: ts }] });
        const before = Date.now();
        await call("putRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: pk, attributeColumns: [{ c: "z" }, { d: "w", timestamp: ts }] });
        const got = await call<{ row: SdkRow }>("getRow", { tableName: "t_rows", primaryKey: pk });
        expect(Object.keys(attrs(got.data?.row))).toEqual(["c", "d"]);
        const stamps = Object.fromEntries((got.data?.row.attributes ?? []).map((x) => [x.columnName, Number(x.timestamp.toString())]));
        expect(stamps.d).toBe(ts);
        expect(stamps.c).toBeGreaterThanOrEqual(before - 5);
    });

    it("UpdateRow PUTs and DELETE_ALLs; a row stripped of its attributes keeps its key", async () => {
        const pk: SdkColumns = [{ id: L("2") }, { k: "upd" }];
        await call("putRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: pk, attributeColumns: [{ a: "1" }, { b: "2" }] });
        const upd = await call("updateRow", {
            tableName: "t_rows", condition: IGNORE(), primaryKey: pk,
            updateOfAttributeColumns: [{ PUT: [{ c: "3" }, { a: "one" }] }, { DELETE_ALL: ["b"] }],
        });
        expect(upd.err).toBeUndefined();
        expect(attrs((await call<{ row: SdkRow }>("getRow", { tableName: "t_rows", primaryKey: pk })).data?.row)).toEqual({ a: "one", c: "3" });

        await call("updateRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: pk, updateOfAttributeColumns: [{ DELETE_ALL: ["a", "c"] }] });
        const bare = await call<{ row: SdkRow }>("getRow", { tableName: "t_rows", primaryKey: pk });
        expect(bare.data?.row.primaryKey?.map((k) => str(k.value))).toEqual(["2", "upd"]);
        expect(bare.data?.row.attributes).toEqual([]);
    });

    it("UpdateRow creates a missing row, unless it only removes columns; no cells is an error", async () => {
        const created: SdkColumns = [{ id: L("3") }, { k: "created" }];
        await call("updateRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: created, updateOfAttributeColumns: [{ PUT: [{ a: "new" }] }] });
        expect(attrs((await call<{ row: SdkRow }>("getRow", { tableName: "t_rows", primaryKey: created })).data?.row)).toEqual({ a: "new" });

        const notCreated: SdkColumns = [{ id: L("3") }, { k: "not-created" }];
        expect((await call("updateRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: notCreated, updateOfAttributeColumns: [{ DELETE_ALL: ["a"] }] })).err).toBeUndefined();
        expect((await call<{ row: SdkRow }>("getRow", { tableName: "t_rows", primaryKey: notCreated })).data?.row.primaryKey).toBeUndefined();

        const empty = await call("updateRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: created, updateOfAttributeColumns: [] });
        expect([empty.status, empty.ots]).toEqual([400, { code: "OTSParameterInvalid", message: "Invalid update row request: missing cells in request" }]);
    });

    it("UpdateRow INCREMENTs and DELETEs one version", async () => {
        const pk: SdkColumns = [{ id: L("4") }, { k: "inc" }];
        const ts = Date.now() - 5000;
        await call("putRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: pk, attributeColumns: [{ n: L("40") }, { v: "old", timestamp: ts }] });
        await call("updateRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: pk, updateOfAttributeColumns: [{ INCREMENT: [{ n: L("2") }, { fresh: L("-7") }] }] });
        await call("updateRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: pk, updateOfAttributeColumns: [{ DELETE: [{ v: L(String(ts)) }] }] });
        const a = attrs((await call<{ row: SdkRow }>("getRow", { tableName: "t_rows", primaryKey: pk })).data?.row);
        expect([str(a.n), str(a.fresh), a.v]).toEqual(["42", "-7", undefined]);
    });

    it("DeleteRow removes the row; conditions are checked", async () => {
        const pk: SdkColumns = [{ id: L("5") }, { k: "del" }];
        await call("putRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: pk, attributeColumns: [{ a: "x" }] });
        const dup = await call("putRow", { tableName: "t_rows", condition: EXPECT_NOT_EXIST(), primaryKey: pk, attributeColumns: [{ a: "y" }] });
        expect([dup.status, dup.ots]).toEqual([403, { code: "OTSConditionCheckFail", message: "Condition check failed." }]);
        expect((await call("deleteRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: pk })).err).toBeUndefined();
        const gone = await call<{ row: SdkRow }>("getRow", { tableName: "t_rows", primaryKey: pk });
        expect(gone.data?.row).toEqual({});
        const exist = new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, null);
        expect((await call("deleteRow", { tableName: "t_rows", condition: exist, primaryKey: pk })).ots?.code).toBe("OTSConditionCheckFail");
    });

    it("checks the key against the table's schema, and the table", async () => {
        const wrongType = await call("putRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: [{ id: "1" }, { k: "x" }], attributeColumns: [{ a: 1 }] });
        expect([wrongType.status, wrongType.ots]).toEqual([400, { code: "OTSInvalidPK", message: "Primary key schema mismatch." }]);
        const missing = await call("getRow", { tableName: "t_rows", primaryKey: [{ id: L("1") }] });
        expect(missing.ots?.code).toBe("OTSInvalidPK");
        const swapped = await call("getRow", { tableName: "t_rows", primaryKey: [{ k: "x" }, { id: L("1") }] });
        expect(swapped.ots?.code).toBe("OTSInvalidPK");
        const noTable = await call("putRow", { tableName: "nope", condition: IGNORE(), primaryKey: [{ id: L("1") }], attributeColumns: [{ a: 1 }] });
        expect([noTable.status, noTable.ots?.code]).toEqual([404, "OTSObjectNotExist"]);
    });

    it("enforces the value and row limits with the service's messages", async () => {
        const pk: SdkColumns = [{ id: L("6") }, { k: "limits" }];
        const put = (attributeColumns: Record<string, unknown>[], primaryKey: SdkColumns = pk) =>
            call("putRow", { tableName: "t_rows", condition: IGNORE(), primaryKey, attributeColumns });
        expect((await put([{ d: NaN }])).ots).toEqual({ code: "OTSParameterInvalid", message: "NaN can't be set to double value." });
        expect((await put([{ d: Infinity }])).ots?.message).toBe("Infinity can't be set to double value.");
        expect((await put([{ a: 1 }], [{ id: L("6") }, { k: "x".repeat(1025) }])).ots?.message)
            .toBe("The length of primary key column: k exceeds the MaxLength: 1024 with CurrentLength: 1025.");
        expect((await put([{ a: 1 }], [{ id: L("6") }, { k: "x".repeat(1024) }])).err).toBeUndefined();
        const twoMb = 2 * 1024 * 1024;
        expect((await put([{ s: "x".repeat(twoMb + 1) }])).ots?.message)
            .toBe(`The length of attribute column: s exceeded the MaxLength:${twoMb} with Current Length:${twoMb + 1}.`);
        const many = Array.from({ length: 1025 }, (_, i) => ({ [`c${i}`]: i }));
        expect((await put(many)).ots?.message).toBe("The number of attribute columns exceeds the limit, limit count:1024, column count: 1025.");
        expect((await put(many.slice(0, 1024))).err).toBeUndefined();
        const mb15 = "x".repeat(1.5 * 1024 * 1024);
        const big = await put([{ a: mb15 }, { b: mb15 }, { c: mb15 }]);
        expect(big.ots?.message).toMatch(/^The total data size of PutRow request exceeds the limit, limit size: 4194304 , data size: \d+\.$/);
        expect((await put([{ "bad-name": 1 }])).ots?.message).toBe("Invalid column name: bad-name.");
        expect((await put([{ id: 1 }])).ots?.message).toBe("Duplicated attribute column name with primary key column:id.");
        expect((await put([{ a: 1, timestamp: Date.now() - 2 * 86_400_000 }])).ots?.message).toBe("Invalid timestamp. Cell:a.");
    });

    it("answers 413 OTSRequestBodyTooLarge above 5 MB", async () => {
        const mb19 = "x".repeat(1.9 * 1024 * 1024);
        const r = await call("putRow", { tableName: "t_rows", condition: IGNORE(), primaryKey: [{ id: L("7") }, { k: "big" }], attributeColumns: [{ a: mb19 }, { b: mb19 }, { c: mb19 }] });
        expect([r.status, r.ots]).toEqual([413, { code: "OTSRequestBodyTooLarge", message: "The size of POST data is too large." }]);
    });
});

describe("reads and table changes beyond the basics", () => {
    beforeAll(async () => {
        await createTable("t_more", [["id", "INTEGER"]]);
        for (const i of [1, 2, 3]) {
            await call("putRow", { tableName: "t_more", condition: IGNORE(), primaryKey: [{ id: L(String(i)) }], attributeColumns: [{ a: `a${i}` }, { b: i }] });
        }
    });

    it("GetRow honours columnsToGet; a row with none of them reads as absent", async () => {
        const one = await call<{ row: SdkRow }>("getRow", { tableName: "t_more", primaryKey: [{ id: L("1") }], columnsToGet: ["b"] });
        expect(attrs(one.data?.row)).toEqual({ b: 1 });
        const none = await call<{ row: SdkRow }>("getRow", { tableName: "t_more", primaryKey: [{ id: L("1") }], columnsToGet: ["zzz"] });
        expect(none.data?.row).toEqual({});
    });

    it("BatchGetRow returns found and missing rows per table", async () => {
        const r = await call<{ tables: { isOk: boolean; primaryKey: { name: string; value: unknown }[] | null; attributes: unknown[] | null }[][] }>("batchGetRow", {
            tables: [{ tableName: "t_more", primaryKey: [[{ id: L("3") }], [{ id: L("99") }], [{ id: L("1") }]] }],
        });
        expect(r.err).toBeUndefined();
        const rows = r.data?.tables[0] ?? [];
        expect(rows.map((x) => [x.isOk, x.primaryKey ? str(x.primaryKey[0].value) : null])).toEqual([[true, "3"], [true, null], [true, "1"]]);
    });

    it("assigns AUTO_INCREMENT values and returns the key with ReturnType Primarykey", async () => {
        const c = await call("createTable", {
            tableMeta: { tableName: "t_auto", primaryKey: [{ name: "p", type: "STRING" }, { name: "id", type: "INTEGER", option: "AUTO_INCREMENT" }] },
            reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
            tableOptions: { timeToLive: -1, maxVersions: 1 },
        });
        expect(c.err).toBeUndefined();
        const keys: string[] = [];
        for (let i = 0; i < 2; i++) {
            const r = await call<{ row: SdkRow }>("putRow", {
                tableName: "t_auto", condition: IGNORE(), primaryKey: [{ p: "x" }, { id: TableStore.PK_AUTO_INCR }], attributeColumns: [{ v: i }],
                returnContent: { returnType: TableStore.ReturnType.Primarykey },
            });
            expect(r.err).toBeUndefined();
            keys.push(str(r.data?.row.primaryKey?.[1].value));
        }
        expect(Number(keys[1])).toBeGreaterThan(Number(keys[0]));
        const bad = await call("createTable", {
            tableMeta: { tableName: "t_auto_bad", primaryKey: [{ name: "id", type: "INTEGER", option: "AUTO_INCREMENT" }] },
            reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
            tableOptions: { timeToLive: -1, maxVersions: 1 },
        });
        expect(bad.ots?.message).toBe("First primary key can't be auto increment, table: t_auto_bad.");
    });

    it("UpdateTable changes the table options", async () => {
        const r = await call<{ tableOptions: { maxVersions: number; timeToLive: number } }>("updateTable", { tableName: "t_more", tableOptions: { maxVersions: 3, timeToLive: 86400 } });
        expect(r.err).toBeUndefined();
        expect([r.data?.tableOptions.maxVersions, r.data?.tableOptions.timeToLive]).toEqual([3, 86400]);
        expect(server.describe("t_more")?.maxVersions).toBe(3);
        expect((await call("updateTable", { tableName: "t_more", tableOptions: { timeToLive: 0 } })).ots?.message).toBe("TimeToLive cannot be 0 or less than -1.");
    });

    it("answers an operation the fixture does not implement with its own code, never a validation error", async () => {
        const r = await call("computeSplits", { tableName: "t_more", searchIndexSplitsOptions: { indexName: "i" } });
        expect([r.status, r.ots?.code]).toEqual([501, "OTSNotSupportedByLocalServer"]);
    });
});

describe("GetRange", () => {
    const ids = Array.from({ length: 120 }, (_, i) => BigInt(i - 60) * 1_000_000_000_000n);

    beforeAll(async () => {
        await createTable("t_range", [["id", "INTEGER"], ["s", "STRING"]]);
        // Written in a shuffled order: the server, not the client, orders the keys.
        const shuffled = [...ids].sort((a, b) => Number(((a * 7919n) % 113n) - ((b * 7919n) % 113n)));
        const rows = shuffled.map((id) => ({ type: "PUT", condition: IGNORE(), primaryKey: [{ id: L(id.toString()) }, { s: "a" }], attributeColumns: [{ v: L(id.toString()) }] }));
        const r = await call("batchWriteRow", { tables: [{ tableName: "t_range", rows }] });
        expect(r.err).toBeUndefined();
    });

    async function readAll(direction: "FORWARD" | "BACKWARD", start: SdkColumns, end: SdkColumns, limit?: number) {
        const pages: number[] = [];
        const out: string[] = [];
        let from: SdkColumns | null = start;
        while (from) {
            const r: Awaited<ReturnType<typeof call<GetRangeData>>> = await call<GetRangeData>("getRange", {
                tableName: "t_range", direction, inclusiveStartPrimaryKey: from, exclusiveEndPrimaryKey: end, ...(limit ? { limit } : {}),
            });
            expect(r.err).toBeUndefined();
            const data = r.data as GetRangeData;
            pages.push(data.rows.length);
            for (const row of data.rows) out.push(str(row.primaryKey?.[0].value));
            from = data.nextStartPrimaryKey ? data.nextStartPrimaryKey.map((k) => ({ [k.name]: k.value as SdkLong })) : null;
        }
        return { pages, ids: out };
    }

    it("pages forward from INF_MIN to INF_MAX in signed-integer order", async () => {
        const r = await readAll("FORWARD", [{ id: TableStore.INF_MIN }, { s: TableStore.INF_MIN }], [{ id: TableStore.INF_MAX }, { s: TableStore.INF_MAX }]);
        expect(r.pages).toEqual([50, 50, 20]);
        expect(r.ids).toEqual(ids.map(String));
    });

    it("pages backward, with a limit", async () => {
        const r = await readAll("BACKWARD", [{ id: TableStore.INF_MAX }, { s: TableStore.INF_MAX }], [{ id: TableStore.INF_MIN }, { s: TableStore.INF_MIN }], 30);
        expect(r.pages).toEqual([30, 30, 30, 30]);
        expect(r.ids).toEqual([...ids].reverse().map(String));
    });

    it("takes the start inclusive and the end exclusive", async () => {
        const r = await readAll("FORWARD", [{ id: L("-1000000000000") }, { s: "a" }], [{ id: L("2000000000000") }, { s: "a" }]);
        expect(r.ids).toEqual(["-1000000000000", "0", "1000000000000"]);
        const mixed = await readAll("FORWARD", [{ id: L("-1000000000000") }, { s: TableStore.INF_MAX }], [{ id: L("1000000000000") }, { s: TableStore.INF_MAX }]);
        expect(mixed.ids).toEqual(["0", "1000000000000"]);
        const bad = await call("getRange", { tableName: "t_range", direction: "FORWARD", inclusiveStartPrimaryKey: [{ id: TableStore.INF_MAX }, { s: TableStore.INF_MAX }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MIN }, { s: TableStore.INF_MIN }] });
        expect(bad.ots).toEqual({ code: "OTSParameterInvalid", message: "Begin key must less than end key in FORWARD." });
    });

    it("stops a page at 5,000 rows with the service's own page size", async () => {
        const big = await startTablestoreServer({ instanceName: INSTANCE, accessKeys: [AK] });
        try {
            const c = clientFor({ endpoint: big.endpoint });
            await createTable("t_5k", [["id", "INTEGER"]], c);
            for (let b = 0; b < 26; b++) {
                const rows = Array.from({ length: Math.min(200, 5001 - b * 200) }, (_, i) => ({
                    type: "PUT", condition: IGNORE(), primaryKey: [{ id: L(String(b * 200 + i)) }], attributeColumns: [{ v: true }],
                }));
                if (rows.length > 0) expect((await call("batchWriteRow", { tables: [{ tableName: "t_5k", rows }] }, c)).err).toBeUndefined();
            }
            const r = await call<GetRangeData>("getRange", { tableName: "t_5k", direction: "FORWARD", inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }] }, c);
            expect(r.data?.rows).toHaveLength(5000);
            expect(r.data?.nextStartPrimaryKey?.map((k) => str(k.value))).toEqual(["5000"]);
            expect(big.rows("t_5k")).toHaveLength(5001);
        } finally {
            await big.close();
        }
    });
});

describe("BatchWriteRow", () => {
    beforeAll(async () => {
        await createTable("t_batch", [["id", "INTEGER"]]);
        await createTable("t_batch2", [["k", "STRING"]]);
    });

    const row = (id: number, type = "PUT", condition = IGNORE()) => ({ type, condition, primaryKey: [{ id: L(String(id)) }], attributeColumns: type === "DELETE" ? [] : type === "UPDATE" ? [{ PUT: [{ v: id }] }] : [{ v: id }] });

    it("reports per-row results with HTTP 200: a condition failure fails its row only", async () => {
        await call("putRow", { tableName: "t_batch", condition: IGNORE(), primaryKey: [{ id: L("2") }], attributeColumns: [{ v: 0 }] });
        const r = await call<BatchWriteData>("batchWriteRow", {
            tables: [
                { tableName: "t_batch", rows: [row(1), row(2, "PUT", EXPECT_NOT_EXIST()), row(3, "UPDATE"), row(4, "DELETE")] },
                { tableName: "t_batch2", rows: [{ type: "PUT", condition: IGNORE(), primaryKey: [{ k: "a" }], attributeColumns: [{ v: "x" }] }] },
            ],
        });
        expect(r.status).toBe(200);
        expect(r.data?.tables.map((t) => [t.tableName, t.isOk, t.errorCode, t.errorMessage])).toEqual([
            ["t_batch", true, null, null],
            ["t_batch", false, "OTSConditionCheckFail", "Condition check failed."],
            ["t_batch", true, null, null],
            ["t_batch", true, null, null],
            ["t_batch2", true, null, null],
        ]);
        expect(server.rows("t_batch").map((x) => [x.primaryKey.id, x.attributes.v])).toEqual([[1n, 1], [2n, 0], [3n, 3]]);
    });

    it("refuses 201 rows, a key twice, a table twice and an empty table entry, as whole requests", async () => {
        const over = await call("batchWriteRow", { tables: [{ tableName: "t_batch", rows: Array.from({ length: 201 }, (_, i) => row(i + 100)) }] });
        expect([over.status, over.ots]).toEqual([400, { code: "OTSParameterInvalid", message: "Rows count exceeds the upper limit:200." }]);
        const split = await call("batchWriteRow", { tables: [
            { tableName: "t_batch", rows: Array.from({ length: 150 }, (_, i) => row(i + 100)) },
            { tableName: "t_batch2", rows: Array.from({ length: 51 }, (_, i) => ({ type: "PUT", condition: IGNORE(), primaryKey: [{ k: `k${i}` }], attributeColumns: [{ v: 1 }] })) },
        ] });
        expect(split.ots?.message).toBe("Rows count exceeds the upper limit:200.");
        const dup = await call("batchWriteRow", { tables: [{ tableName: "t_batch", rows: [row(10), row(11), row(10, "DELETE")] }] });
        expect([dup.status, dup.ots?.code]).toEqual([400, "OTSParameterInvalid"]);
        const twice = await call("batchWriteRow", { tables: [{ tableName: "t_batch", rows: [row(10)] }, { tableName: "t_batch", rows: [row(11)] }] });
        expect(twice.ots?.message).toBe("Duplicated table name: t_batch.");
        const empty = await call("batchWriteRow", { tables: [{ tableName: "t_batch", rows: [row(10)] }, { tableName: "t_batch2", rows: [] }] });
        expect(empty.ots?.message).toBe("No operation is specified for table:t_batch2.");
        // None of them wrote anything.
        expect(server.rows("t_batch").map((x) => x.primaryKey.id)).toEqual([1n, 2n, 3n]);
        expect(server.rows("t_batch").length).toBe(3);
    });

    it("refuses more than 4 MB of data, measured as the service measures it", async () => {
        const mb1 = "x".repeat(1024 * 1024);
        const big = await call("batchWriteRow", { tables: [{ tableName: "t_batch", rows: [1, 2, 3, 4].map((i) => ({ type: "PUT", condition: IGNORE(), primaryKey: [{ id: L(String(500 + i)) }], attributeColumns: [{ v: mb1 }] })) }] });
        // 4 × (2 + 8 + 1 + 1 MiB) bytes
        expect(big.ots?.message).toBe(`The total data size of BatchWriteRow request exceeds the limit, limit size: 4194304, data size:${4 * (2 + 8 + 1 + 1024 * 1024)}.`);
    });

    it("counts requests and rows per operation", async () => {
        server.resetCounts();
        await call("batchWriteRow", { tables: [{ tableName: "t_batch", rows: [row(20), row(21)] }] });
        await call("listTable");
        expect(server.requestCounts()).toEqual({ BatchWriteRow: 1, ListTable: 1 });
        expect(server.requestLog()).toEqual([
            { operation: "BatchWriteRow", status: 200, rows: 2, tables: ["t_batch"], bytes: expect.any(Number) },
            { operation: "ListTable", status: 200, bytes: 0 },
        ]);
    });
});
