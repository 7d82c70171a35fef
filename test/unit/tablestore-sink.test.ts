/**
 * The Tablestore connector's write policy against the local Tablestore server over real
 * HTTP: rows as RowWrites (update-row and NULLs), the row writer's answers to refused rows,
 * refused requests and passing failures, the checkpoint row, and the DDL the stream can
 * follow in Tablestore.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAlterTable } from "../../provider/connectors/mysql/source/alter-parser";
import { alterationOf } from "../../provider/connectors/mysql/source/alter-apply";
import { CheckpointFormatError, CHECKPOINT_TABLE, TablestoreCheckpointStore } from "../../provider/connectors/tablestore/checkpoint-store";
import { TablestoreClient, type RowWrite } from "../../provider/connectors/tablestore/client";
import { parseTablestoreOperation, tablestoreDdlTranslator } from "../../provider/connectors/tablestore/ddl-translator";
import { TablestoreError } from "../../provider/connectors/tablestore/errors";
import { RequestGate, RowWriter } from "../../provider/connectors/tablestore/row-writer";
import { int64FromBigInt } from "../../provider/connectors/tablestore/sdk";
import { NullKeyValueError, planTable, putRow, updateRow } from "../../provider/connectors/tablestore/table-plan";
import { UntranslatableDdlError } from "../../provider/engine/schema-change/alter";
import { type TaskArgsInput, taskArgsSchema } from "../../sdk/schema/task";
import { startTablestoreServer, type TablestoreServer } from "../harness/tablestore-server";
import { col, mapping } from "./pg-fixtures";

const AK = { id: "sink-ak", secret: "sink-secret-5678" };
let server: TablestoreServer;
let client: TablestoreClient;

const task = (extra: Partial<TaskArgsInput> = {}) => taskArgsSchema.parse({
    source: { connectionId: "s", engine: "mariadb" }, destination: { connectionId: "d", engine: "tablestore" },
    migrationTypes: ["schema", "full", "incremental"], objects: [{ database: "shop" }], ...extra,
});

const orders = mapping([col("id", "bigint(20)", { nullable: false }), col("note", "varchar(20)"), col("qty", "int(11)"), col("total", "decimal(10,2)")], { primaryKey: ["id"] });
orders.key = ["id"];

beforeAll(async () => {
    server = await startTablestoreServer({ instanceName: "sinkinst", accessKeys: [AK] });
    client = new TablestoreClient({ endpoint: server.endpoint, instanceName: "sinkinst", accessKeyId: AK.id, accessKeySecret: AK.secret }, { timeoutMs: 10_000 });
    await client.createTable({ name: "w", primaryKey: [{ name: "id", type: "INTEGER" }] });
});

afterAll(async () => {
    client?.close();
    await server?.close();
});

describe("rows as Tablestore writes", () => {
    const plan = planTable(orders, task());

    it("update-row sets the columns with values and deletes the NULL ones; decimals stay exact text", () => {
        const w = updateRow(plan, ["7", null, "3", "12.50"]);
        expect(w.kind).toBe("update");
        expect(w.put?.map(([n, v]) => [n, String(v)])).toEqual([["qty", "3"], ["total", "12.50"]]);
        expect(w.deleteAll).toEqual(["note"]);
    });

    it("an image with every attribute NULL is a PutRow of the key (an UpdateRow needs a cell to set)", () => {
        const w = updateRow(plan, ["7", null, null, null]);
        expect(w.kind).toBe("put");
        expect(w.put).toEqual([]);
    });

    it("a NULL in a key column the task chose is refused for that row", () => {
        const t = task({ objects: [{ database: "shop", tables: [{ name: "orders", tablestorePrimaryKey: ["note"] }] }] });
        expect(() => putRow(planTable(orders, t), ["1", null, "2", "3.00"])).toThrow(NullKeyValueError);
    });

    it("tablestoreTypes overrides a column's type (DECIMAL written as DOUBLE when asked)", () => {
        const t = task({ objects: [{ database: "shop", tables: [{ name: "orders", tablestoreTypes: { total: "DOUBLE" } }] }] });
        const w = putRow(planTable(orders, t), ["1", null, null, "12.50"]);
        expect(w.put).toEqual([["total", 12.5]]);
    });
});

describe("the row writer", () => {
    const row = (id: number, v: string): RowWrite => ({ table: "w", kind: "put", primaryKey: [["id", int64FromBigInt(BigInt(id))]], put: [["v", v]], condition: "ignore" });

    it("a request refused for one bad row is split until the row stands alone: it comes back, the others are written", async () => {
        const writer = new RowWriter(client, new RequestGate(() => 4));
        const rows = Array.from({ length: 20 }, (_, i) => row(i, `ok ${i}`));
        // Over the 2 MB attribute limit: the service refuses the whole batch with OTSParameterInvalid.
        rows[13] = row(13, "x".repeat(2 * 1024 * 1024 + 1));
        const refused = await writer.write(rows, "batch-write-row");
        expect(refused.map((r) => r.index)).toEqual([13]);
        expect(refused[0].error.code).toBe("OTSParameterInvalid");
        expect(server.rows("w").map((r) => r.primaryKey.id)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)).filter((i) => i !== 13n));
    });

    it("passing failures are sent again; failures that persist go up to the engine's retry window", async () => {
        const writer = new RowWriter(client, new RequestGate(() => 4));
        const few = server.inject({ operations: ["BulkImport"], error: "OTSServerBusy", times: 2 });
        expect(await writer.write([row(100, "a"), row(101, "b")], "bulk-import")).toEqual([]);
        expect(few.fired).toBe(2);
        const rowFaults = server.inject({ scope: "row", operations: ["BulkImport"], error: "OTSPartitionUnavailable", every: 2 });
        expect(await writer.write([row(102, "c"), row(103, "d"), row(104, "e")], "bulk-import")).toEqual([]);
        expect(rowFaults.fired).toBeGreaterThan(0);
        rowFaults.remove();
        const always = server.inject({ operations: ["BulkImport"], error: "OTSServerBusy" });
        const err = await writer.write([row(105, "f")], "bulk-import").catch((e: unknown) => e);
        always.remove();
        expect(err).toBeInstanceOf(TablestoreError);
        expect((err as TablestoreError).code).toBe("OTSServerBusy");
        expect((err as TablestoreError).permanent).toBe(false);
        expect(server.rows("w").filter((r) => (r.primaryKey.id as bigint) >= 100n).map((r) => r.attributes.v)).toEqual(["a", "b", "c", "d", "e"]);
    });

    it("rows of one key are written in the order given", async () => {
        const writer = new RowWriter(client, new RequestGate(() => 8));
        const rows = Array.from({ length: 500 }, (_, i) => row(200 + (i % 3), `v${i}`));
        expect(await writer.write(rows, "batch-write-row")).toEqual([]);
        expect(server.rows("w").filter((r) => (r.primaryKey.id as bigint) >= 200n).map((r) => r.attributes.v)).toEqual(["v498", "v499", "v497"]);
    });

    it("the gate holds requests in flight to its limit, read at each request", async () => {
        let limit = 2;
        const gate = new RequestGate(() => limit);
        let active = 0;
        let most = 0;
        const work = () => gate.run(async () => {
            most = Math.max(most, ++active);
            await new Promise((r) => setTimeout(r, 5));
            active--;
        });
        await Promise.all(Array.from({ length: 20 }, work));
        expect(most).toBe(2);
        limit = 5;
        most = 0;
        await Promise.all(Array.from({ length: 20 }, work));
        expect(most).toBe(5);
    });
});

describe("the checkpoint row", () => {
    it("round-trips position, GTID, resume point and the streamed tables; a checkpoint without tables keeps them", async () => {
        const store = new TablestoreCheckpointStore(client);
        await store.ensureTable();
        await store.ensureTable();
        expect(await store.read("t1")).toBeNull();
        await store.write("t1", { position: { file: "b.000002", position: 77, gtid: "0-1-9" }, sourceTime: 1_700_000_000_123, resumeFrom: { file: "b.000001", position: 4 }, tables: [orders] });
        await store.write("t1", { position: { file: "b.000002", position: 99 }, sourceTime: 1_700_000_000_999 });
        const back = await store.read("t1");
        expect(back).toMatchObject({ position: { file: "b.000002", position: 99 }, sourceTime: 1_700_000_000_999 });
        expect(back?.resumeFrom).toBeUndefined();
        expect(back?.position.gtid).toBeUndefined();
        expect(back?.tables?.map((m) => m.source.name)).toEqual(["orders"]);
        await store.forget("t1");
        expect(await store.read("t1")).toBeNull();
    });

    it("a row of another format is refused on read, naming what to do", async () => {
        await client.putRow({ table: CHECKPOINT_TABLE, kind: "put", primaryKey: [["task_id", "t2"]], put: [["format", int64FromBigInt(3n)], ["binlog_file", "b"]], condition: "ignore" });
        await expect(new TablestoreCheckpointStore(client).read("t2")).rejects.toThrow(CheckpointFormatError);
    });
});

describe("source DDL at a Tablestore table", () => {
    const t = task();
    const alter = (sql: string) => tablestoreDdlTranslator.alterTable(orders, alterationOf(orders.source, parseAlterTable(sql, "shop")), t, () => null);
    const ops = (sql: string) => alter(sql).statements.map(parseTablestoreOperation);

    it("a nullable column needs no write; a default fills the existing rows; drop and rename rewrite rows", () => {
        expect(ops("ALTER TABLE orders ADD COLUMN extra VARCHAR(5) NULL")).toEqual([]);
        expect(alter("ALTER TABLE orders ADD COLUMN extra VARCHAR(5) NULL").mapping.columns.map((c) => c.target)).toEqual(["id", "note", "qty", "total", "extra"]);
        expect(ops("ALTER TABLE orders ADD COLUMN n INT NOT NULL DEFAULT 5")).toMatchObject([{ op: "fill-attribute", table: "orders", column: "n", text: "5" }]);
        expect(ops("ALTER TABLE orders ADD COLUMN s VARCHAR(5) NOT NULL")).toMatchObject([{ op: "fill-attribute", column: "s", text: "" }]);
        expect(ops("ALTER TABLE orders DROP COLUMN note")).toEqual([{ op: "delete-attribute", table: "orders", column: "note" }]);
        expect(ops("ALTER TABLE orders RENAME COLUMN qty TO quantity")).toEqual([{ op: "rename-attribute", table: "orders", from: "qty", to: "quantity" }]);
        expect(ops("ALTER TABLE orders MODIFY qty BIGINT, ADD INDEX by_qty (qty), ENGINE=InnoDB")).toEqual([]);
    });

    it("what Tablestore cannot follow exactly stops the stream with recovery steps", () => {
        const refused = (sql: string) => {
            try {
                alter(sql);
            } catch (err) {
                expect(err).toBeInstanceOf(UntranslatableDdlError);
                return (err as UntranslatableDdlError).message;
            }
            throw new Error(`expected ${sql} to be refused`);
        };
        expect(refused("ALTER TABLE orders MODIFY qty VARCHAR(10)")).toMatch(/INTEGER to STRING.*To recover/);
        expect(refused("ALTER TABLE orders DROP COLUMN id")).toMatch(/primary key/);
        expect(refused("ALTER TABLE orders RENAME TO orders2")).toMatch(/cannot rename a table/);
        expect(refused("ALTER TABLE orders ADD COLUMN at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP")).toMatch(/cannot reproduce exactly/);
        expect(() => tablestoreDdlTranslator.renameTable(orders, { database: "shop", name: "o2" }, t, "RENAME TABLE orders TO o2")).toThrow(/cannot rename table/);
    });
});
