/**
 * BulkImport sent by hand (the Node SDK has no such call; research §3), data surviving a restart
 * with a data file, and the CLI the examples and benchmarks run.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OperationType, startTablestoreServer, type TablestoreServer } from "../harness/tablestore-server";
import { callOts, sendBulkImport, TableStore, type SdkClient, type SdkLong } from "../harness/tablestore-server/sdk";

const AK = { id: "bulk-ak", secret: "bulk-secret" };
const INSTANCE = "bulkinst";
const L = (s: string) => TableStore.Long.fromString(s);
const B = TableStore.PlainBufferBuilder;
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);

interface SdkRow {
    primaryKey?: { name: string; value: unknown }[];
    attributes?: { columnName: string; columnValue: unknown; timestamp: SdkLong }[];
}

const dirs: string[] = [];
function tempDir(): string {
    const d = mkdtempSync(join(tmpdir(), "ots-fixture-"));
    dirs.push(d);
    return d;
}
afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function sdkClient(endpoint: string): SdkClient {
    return new TableStore.Client({ accessKeyId: AK.id, secretAccessKey: AK.secret, endpoint, instancename: INSTANCE, maxRetries: 0 });
}

async function createTable(c: SdkClient, name: string, pk: [string, string][]) {
    const r = await callOts(c, "createTable", {
        tableMeta: { tableName: name, primaryKey: pk.map(([n, type]) => ({ name: n, type })) },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    expect(r.err).toBeUndefined();
}

describe("BulkImport", () => {
    let server: TablestoreServer;
    let client: SdkClient;
    const target = () => ({ endpoint: server.endpoint, instanceName: INSTANCE, accessKeyId: AK.id, secretAccessKey: AK.secret });

    beforeAll(async () => {
        server = await startTablestoreServer({ instanceName: INSTANCE, accessKeys: [AK] });
        client = sdkClient(server.endpoint);
        await createTable(client, "bulk", [["id", "INTEGER"], ["s", "STRING"]]);
    });
    afterAll(async () => {
        await server?.close();
    });

    it("writes PUT, UPDATE and DELETE rows with per-row results, and reads back through GetRange", async () => {
        await callOts(client, "putRow", { tableName: "bulk", condition: IGNORE(), primaryKey: [{ id: L("9") }, { s: "gone" }], attributeColumns: [{ a: 1 }] });
        const r = await sendBulkImport(target(), "bulk", [
            { type: OperationType.PUT, rowChange: B.serializeForPutRow([{ id: L("1") }, { s: "a" }], [{ n: L("-5") }, { d: 0.5 }, { b: Buffer.from("hi") }]) },
            { type: OperationType.PUT, rowChange: B.serializeForPutRow([{ id: L("2") }, { s: "b" }], [{ keep: "k" }, { drop: "x" }]) },
            { type: OperationType.UPDATE, rowChange: B.serializeForUpdateRow([{ id: L("2") }, { s: "c" }], [{ PUT: [{ u: true }] }]) },
            { type: OperationType.DELETE, rowChange: B.serializeForDeleteRow([{ id: L("9") }, { s: "gone" }]) },
        ]);
        expect(r.status).toBe(200);
        expect(r.data?.tableName).toBe("bulk");
        expect(r.data?.rows.map((x) => x.isOk)).toEqual([true, true, true, true]);

        // An UPDATE with DELETE_ALL needs the full PlainBuffer reader on the server.
        const upd = await sendBulkImport(target(), "bulk", [
            { type: OperationType.UPDATE, rowChange: B.serializeForUpdateRow([{ id: L("2") }, { s: "b" }], [{ DELETE_ALL: ["drop"] }, { PUT: [{ added: L("7") }] }]) },
        ]);
        expect(upd.data?.rows.map((x) => x.isOk)).toEqual([true]);

        expect(server.rows("bulk")).toEqual([
            { primaryKey: { id: 1n, s: "a" }, attributes: { b: Buffer.from("hi"), d: 0.5, n: -5n }, timestamps: expect.any(Object) },
            { primaryKey: { id: 2n, s: "b" }, attributes: { added: 7n, keep: "k" }, timestamps: expect.any(Object) },
            { primaryKey: { id: 2n, s: "c" }, attributes: { u: true }, timestamps: expect.any(Object) },
        ]);
        const range = await callOts<{ rows: SdkRow[] }>(client, "getRange", {
            tableName: "bulk", direction: "FORWARD",
            inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }, { s: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }, { s: TableStore.INF_MAX }],
        });
        expect(range.data?.rows.map((row) => row.primaryKey?.map((k) => String(k.value)).join("/"))).toEqual(["1/a", "2/b", "2/c"]);
        expect(server.requestCounts().BulkImport).toBe(2);
    });

    it("applies the BatchWriteRow caps: 200 rows, no key twice; unknown table and bad signature refused", async () => {
        const rows = (n: number, id = (i: number) => i) => Array.from({ length: n }, (_, i) => ({
            type: OperationType.PUT, rowChange: B.serializeForPutRow([{ id: L(String(1000 + id(i))) }, { s: "x" }], [{ v: i }]),
        }));
        const over = await sendBulkImport(target(), "bulk", rows(201));
        expect([over.status, over.ots]).toEqual([400, { code: "OTSParameterInvalid", message: "Rows count exceeds the upper limit:200." }]);
        expect((await sendBulkImport(target(), "bulk", rows(3, () => 0))).ots?.code).toBe("OTSParameterInvalid");
        expect((await sendBulkImport(target(), "nope", rows(1))).status).toBe(404);
        const bad = await sendBulkImport({ ...target(), secretAccessKey: "wrong" }, "bulk", rows(1));
        expect([bad.status, bad.ots?.message]).toEqual([403, "Signature mismatch."]);
        expect((await sendBulkImport(target(), "bulk", rows(200))).data?.rows).toHaveLength(200);
    });

    it("fails single rows on an injected per-row fault", async () => {
        server.inject({ scope: "row", operations: ["BulkImport"], error: "OTSServerBusy", every: 2 });
        const r = await sendBulkImport(target(), "bulk", [1, 2, 3].map((i) => ({
            type: OperationType.PUT, rowChange: B.serializeForPutRow([{ id: L(String(5000 + i)) }, { s: "f" }], [{ v: i }]),
        })));
        server.clearFaults();
        expect(r.data?.rows.map((x) => [x.isOk, x.error?.code ?? null])).toEqual([[true, null], [false, "OTSServerBusy"], [true, null]]);
    });
});

describe("data file", () => {
    it("keeps tables and typed values across a restart", async () => {
        const dataFile = join(tempDir(), "ots.json");
        const first = await startTablestoreServer({ instanceName: INSTANCE, accessKeys: [AK], dataFile });
        const c1 = sdkClient(first.endpoint);
        await createTable(c1, "kept", [["id", "INTEGER"], ["bin", "BINARY"]]);
        await callOts(c1, "putRow", {
            tableName: "kept", condition: IGNORE(), primaryKey: [{ id: L("9223372036854775807") }, { bin: Buffer.from([0xff, 0]) }],
            attributeColumns: [{ i: L("-9223372036854775808") }, { d: 1 }, { negzero: -0 }, { t: true }, { s: "é😀" }, { b: Buffer.alloc(0) }],
        });
        const before = first.rows("kept");
        await first.close();

        const second = await startTablestoreServer({ instanceName: INSTANCE, accessKeys: [AK], dataFile });
        try {
            expect(second.tables()).toEqual(["kept"]);
            expect(second.rows("kept")).toEqual(before);
            const [row] = second.rows("kept");
            expect(row.attributes.i).toBe(-(2n ** 63n));
            expect(row.attributes.d).toBe(1); // a DOUBLE stays a number, not a bigint
            expect(Object.is(row.attributes.negzero, -0)).toBe(true);
            const got = await callOts<{ row: SdkRow }>(sdkClient(second.endpoint), "getRow", { tableName: "kept", primaryKey: [{ id: L("9223372036854775807") }, { bin: Buffer.from([0xff, 0]) }] });
            expect(got.data?.row.attributes?.map((a) => a.columnName)).toEqual(["b", "d", "i", "negzero", "s", "t"]);
            expect(second.describe("kept")?.primaryKey.map((k) => k.type)).toEqual(["INTEGER", "BINARY"]);
        } finally {
            await second.close();
        }
    });
});

describe("CLI", () => {
    let out: string;

    beforeAll(() => {
        out = tempDir();
        // Compile the fixture alone (the project build may be busy with other work in progress).
        const tsc = join(process.cwd(), "node_modules", "typescript", "bin", "tsc");
        execFileSync(process.execPath, [tsc, "--outDir", out, "--rootDir", process.cwd(), "--module", "commonjs", "--target", "ES2022", "--strict",
            "--esModuleInterop", "--skipLibCheck", "--types", "node", join("test", "harness", "tablestore-server", "main.ts")], { stdio: "pipe" });
    }, 120_000);

    async function startCli(dataFile: string) {
        const child = spawn(process.execPath, [join(out, "test", "harness", "tablestore-server", "main.js"),
            "--port", "0", "--instance", INSTANCE, "--access-key-id", AK.id, "--access-key-secret", AK.secret, "--data-file", dataFile], {
            env: { ...process.env, NODE_PATH: join(process.cwd(), "node_modules") },
            stdio: ["ignore", "pipe", "inherit"],
        });
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
        const endpoint = await new Promise<string>((resolve, reject) => {
            createInterface({ input: child.stdout }).once("line", resolve);
            child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
        });
        return { child, exited, endpoint };
    }

    it("prints the endpoint once listening, serves the SDK and stops on SIGTERM, keeping its data", async () => {
        const dataFile = join(out, "data.json");
        const { child, exited, endpoint } = await startCli(dataFile);
        expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const c = sdkClient(endpoint);
        await createTable(c, "cli", [["id", "STRING"]]);
        expect((await callOts<{ tableNames: string[] }>(c, "listTable")).data?.tableNames).toEqual(["cli"]);
        child.kill("SIGTERM");
        expect(await exited).toEqual({ code: 0, signal: null });
        expect(JSON.parse(readFileSync(dataFile, "utf8")).tables.map((t: { info: { name: string } }) => t.info.name)).toEqual(["cli"]);
    }, 120_000);

    it("keeps every acknowledged write when killed (SIGKILL)", async () => {
        const dataFile = join(out, "killed.json");
        const { child, exited, endpoint } = await startCli(dataFile);
        const c = sdkClient(endpoint);
        await createTable(c, "k", [["id", "INTEGER"]]);
        const rows = Array.from({ length: 50 }, (_, i) => ({ type: "PUT", condition: IGNORE(), primaryKey: [{ id: L(String(i)) }], attributeColumns: [{ v: L(String(i * 2)) }] }));
        expect((await callOts(c, "batchWriteRow", { tables: [{ tableName: "k", rows }] })).err).toBeUndefined();
        expect((await callOts(c, "deleteRow", { tableName: "k", condition: IGNORE(), primaryKey: [{ id: L("7") }] })).err).toBeUndefined();
        child.kill("SIGKILL");
        expect((await exited).signal).toBe("SIGKILL");
        expect(existsSync(`${dataFile}.journal`)).toBe(true);

        const again = await startTablestoreServer({ instanceName: INSTANCE, accessKeys: [AK], dataFile });
        try {
            const kept = again.rows("k");
            expect(kept).toHaveLength(49);
            expect(kept.find((r) => r.primaryKey.id === 7n)).toBeUndefined();
            expect(kept[10].attributes.v).toBe(22n);
        } finally {
            await again.close();
        }
    }, 120_000);
});
