/**
 * The destination fence at Tablestore (issue 10 §3): the checkpoint row's epoch, raised by a
 * conditional write at each claim and checked by a column condition at each checkpoint write
 * and by a read before each batch. A session that started later takes the task over; the
 * earlier one cannot move the checkpoint nor start a batch from then on. Against the local
 * Tablestore server, at the change sinks and with two engines (two homes) running one task:
 * the one that took over goes on, the other stops, and the copy equals the source. The SQL
 * version is stream-fence.test.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { connectionArgsSchema, type ConnectionSpec } from "../../sdk/schema/connection";
import { FencedError, isFenced, type FencedCheckpointStore } from "../../provider/engine/checkpoint-store";
import { openDestination } from "../../provider/engine/connectors";
import type { ChangeSink, StreamCheckpoint } from "../../provider/engine/change-sink";
import type { Destination } from "../../provider/engine/destination";
import { CHECKPOINT_TABLE, CheckpointFormatError, TablestoreCheckpointStore } from "../../provider/connectors/tablestore/checkpoint-store";
import { TablestoreClient } from "../../provider/connectors/tablestore/client";
import { int64FromBigInt } from "../../provider/connectors/tablestore/sdk";
import { mariaConnection, removeHome, startTask, waitForSourcePosition, waitForStatus } from "../harness/engine-run";
import { startTablestoreServer, type TablestoreServer } from "../harness/tablestore-server";

const maria = inject("mariadb");
const AK = { id: "fence-ak", secret: "fence-secret-Qx7" };
const at = (position: number): StreamCheckpoint => ({ position: { file: "mysql-bin.000001", position }, sourceTime: 0 });
const int = (n: number) => int64FromBigInt(BigInt(n));

function tablestoreConnection(ots: TablestoreServer): ConnectionSpec & { connectionId: string } {
    return {
        ...connectionArgsSchema.parse({ engine: "tablestore", endpoint: ots.endpoint, instanceName: ots.instanceName, accessKeyId: AK.id, accessKeySecret: AK.secret }),
        connectionId: "dst",
    };
}

/** A sink's fenced checkpoint store: Tablestore's, with its check before a batch. */
function fenced(sink: ChangeSink): FencedCheckpointStore & TablestoreCheckpointStore {
    if (!isFenced(sink.checkpoints) || !(sink.checkpoints instanceof TablestoreCheckpointStore)) throw new Error("Tablestore fences its streams");
    return sink.checkpoints;
}

const noTask = () => {
    throw new Error("not read");
};

describe("the destination fence at Tablestore", () => {
    let ots: TablestoreServer;
    let dest: Destination;
    let client: TablestoreClient;
    const sinks: ChangeSink[] = [];
    const sink = async () => {
        const s = await dest.openChangeSink(noTask);
        sinks.push(s);
        return s;
    };
    const row = (taskId: string) => ots.rows(CHECKPOINT_TABLE).find((r) => r.primaryKey.task_id === taskId);

    beforeAll(async () => {
        ots = await startTablestoreServer({ instanceName: "fenceinst", accessKeys: [AK] });
        dest = await openDestination(tablestoreConnection(ots));
        client = new TablestoreClient({ endpoint: ots.endpoint, instanceName: ots.instanceName, accessKeyId: AK.id, accessKeySecret: AK.secret });
    });
    afterAll(async () => {
        for (const s of sinks) await s.close();
        await dest?.close();
        client?.close();
        await ots?.close();
    });

    it("a later claim takes over; the earlier session's checkpoint write, check and batch are refused; epochs only grow", async () => {
        const taskId = "fence-1";
        const a = await sink();
        const b = await sink();
        const first = await fenced(a).claim(taskId);
        expect(first).toBe(1);
        expect(await fenced(a).read(taskId)).toBeNull();
        await fenced(a).check(taskId);
        await fenced(a).write(taskId, at(100));
        const second = await fenced(b).claim(taskId);
        expect(second).toBe(first + 1);
        await expect(fenced(a).write(taskId, at(200))).rejects.toThrow(FencedError);
        await expect(fenced(a).check(taskId)).rejects.toThrow(FencedError);
        // The change sink checks before a batch's writes: the zombie writes nothing.
        const batch = { changes: [], checkpoint: at(200), isolateRows: false, onRejected: () => undefined };
        if (a.shape !== "state") throw new Error("Tablestore takes state changes");
        await expect(a.apply(taskId, batch)).rejects.toThrow(FencedError);
        await expect(a.applyDdl(taskId, [], at(200))).rejects.toThrow(FencedError);
        expect((await fenced(b).read(taskId))?.position.position).toBe(100);
        await fenced(b).check(taskId);
        await fenced(b).write(taskId, at(300));
        // An ownership lease's epoch: a lower one is refused, the one held again is accepted, a higher one takes over.
        await expect(fenced(a).claim(taskId, first)).rejects.toThrow(FencedError);
        expect(await fenced(b).claim(taskId, second)).toBe(second);
        expect(await fenced(a).claim(taskId, second + 5)).toBe(second + 5);
        await expect(fenced(b).write(taskId, at(400))).rejects.toThrow(/another session took this task's stream over/);
        await expect(fenced(b).check(taskId)).rejects.toThrow(/its fence is at epoch 7, this session held 2/);
        await fenced(a).write(taskId, at(500));
        expect((await fenced(a).read(taskId))?.position.position).toBe(500);
        expect(row(taskId)?.attributes).toMatchObject({ format: 2n, epoch: 7n, binlog_position: 500n });
        // Forgotten (pulumi destroy): the row is gone, and a session still holding it cannot bring it back.
        await dest.forgetStream(taskId);
        await expect(fenced(a).write(taskId, at(600))).rejects.toThrow(FencedError);
        expect(row(taskId)).toBeUndefined();
    });

    it("two claims racing: the conditional write lets one in at a time, and only the last one's writes are accepted", async () => {
        const taskId = "fence-race";
        const racers = await Promise.all([sink(), sink(), sink(), sink()]);
        ots.resetCounts();
        const epochs = await Promise.all(racers.map((s) => fenced(s).claim(taskId)));
        // Each claim read a row some other claim then changed: refused conditions, decided again.
        expect(ots.requestLog().some((e) => e.code === "OTSConditionCheckFail")).toBe(true);
        expect([...epochs].sort()).toEqual([1, 2, 3, 4]);
        const winner = epochs.indexOf(4);
        for (const [i, s] of racers.entries()) {
            if (i === winner) await fenced(s).write(taskId, at(10));
            else await expect(fenced(s).write(taskId, at(20))).rejects.toThrow(FencedError);
        }
        expect((await fenced(racers[winner]).read(taskId))?.position.position).toBe(10);

        // Lease epochs racing: the higher one holds the stream whichever got in first; the lower one
        // is refused at its claim (it came second) or at its first write (it came first).
        const [low, high] = [await sink(), await sink()];
        const results = await Promise.allSettled([fenced(low).claim(taskId, 10), fenced(high).claim(taskId, 11)]);
        expect(results[1]).toEqual({ status: "fulfilled", value: 11 });
        if (results[0].status === "rejected") expect(results[0].reason).toBeInstanceOf(FencedError);
        await expect(fenced(low).write(taskId, at(30))).rejects.toThrow(FencedError);
        await fenced(high).write(taskId, at(40));
        expect(row(taskId)?.attributes).toMatchObject({ epoch: 11n, binlog_position: 40n });
    });

    it("a format-1 row (before the fence) reads as epoch 0: a claim raises it, and it keeps its checkpoint", async () => {
        const v1 = (taskId: string) => client.putRow({
            table: CHECKPOINT_TABLE, kind: "put", primaryKey: [["task_id", taskId]], condition: "ignore",
            put: [["format", int(1)], ["binlog_file", "mysql-bin.000003"], ["binlog_position", int(4242)], ["source_time", int(1_700_000_000_000)]],
        });
        await v1("old-1");
        const a = await sink();
        expect((await fenced(a).read("old-1"))?.position).toEqual({ file: "mysql-bin.000003", position: 4242 });
        expect(await fenced(a).claim("old-1")).toBe(1);
        expect(row("old-1")?.attributes).toMatchObject({ format: 2n, epoch: 1n, binlog_position: 4242n });
        expect((await fenced(a).read("old-1"))?.position.position).toBe(4242);
        await fenced(a).write("old-1", at(5000));

        // A lease at epoch 0 takes a format-1 row as it is, writing the epoch it had implicitly.
        await v1("old-2");
        const b = await sink();
        expect(await fenced(b).claim("old-2", 0)).toBe(0);
        expect(row("old-2")?.attributes).toMatchObject({ format: 2n, epoch: 0n });
        await fenced(b).write("old-2", at(5100));
        expect(await fenced(a).claim("old-2")).toBe(1);
        await expect(fenced(b).write("old-2", at(5200))).rejects.toThrow(FencedError);

        // A format this version does not know is neither read nor claimed over.
        await client.putRow({ table: CHECKPOINT_TABLE, kind: "put", primaryKey: [["task_id", "new-3"]], condition: "ignore", put: [["format", int(3)], ["epoch", int(1)]] });
        await expect(fenced(a).claim("new-3")).rejects.toThrow(CheckpointFormatError);
        await expect(fenced(a).read("new-3")).rejects.toThrow(CheckpointFormatError);
    });

    describe("two engines, one task", () => {
        const db = "ts_fenced";
        let src: mysql.Connection;
        beforeAll(async () => {
            src = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
            await src.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
                CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL);
                INSERT INTO t SELECT seq, seq FROM seq_1_to_500;`);
        });
        afterAll(async () => {
            await src?.end();
        });

        it("the engine that took the stream over goes on; the other stops with the reason; the copy equals the source", async () => {
            const task = {
                migrationTypes: ["schema", "full", "incremental"] as ("schema" | "full" | "incremental")[],
                objects: [{ database: db, tables: [{ name: "t", renameTo: `${db}_t` }] }], heartbeat: { enabled: false },
            };
            const one = startTask(mariaConnection(maria), tablestoreConnection(ots), task, { taskId: "ts-twice" });
            let two: ReturnType<typeof startTask> | undefined;
            try {
                await waitForStatus(one.runner, (s) => s.phase === "running");
                await src.query(`UPDATE ${db}.t SET v = v + 1 WHERE id <= 10`);
                await waitForSourcePosition(one.runner, src);
                // Another home runs the same task: incremental only, as a task taken over would.
                two = startTask(mariaConnection(maria), tablestoreConnection(ots), { ...task, migrationTypes: ["incremental"] }, { taskId: "ts-twice" });
                const log = join(two.home, "tasks", "ts-twice", "task.log");
                for (let i = 0; i < 300 && !(existsSync(log) && readFileSync(log, "utf8").includes("fence epoch")); i++) await new Promise((r) => setTimeout(r, 100));
                await src.query(`UPDATE ${db}.t SET v = v + 100 WHERE id > 490; DELETE FROM ${db}.t WHERE id = 3; INSERT INTO ${db}.t VALUES (1000, 1)`);
                const stopped = await waitForStatus(one.runner, (s) => s.phase === "failed", 30_000).catch((err: Error) => ({ error: err.message }));
                expect(JSON.stringify(stopped)).toMatch(/another session took this task's stream over at the destination/);
                await waitForSourcePosition(two.runner, src);
                const dst = ots.rows(`${db}_t`).map((r) => `${r.primaryKey.id}=${r.attributes.v}`);
                const [rows] = await src.query<mysql.RowDataPacket[]>(`SELECT id, v FROM ${db}.t ORDER BY id`);
                expect(dst).toEqual(rows.map((r) => `${r.id}=${r.v}`));
            } finally {
                await one.runner.stop().catch(() => undefined);
                await two?.runner.stop().catch(() => undefined);
                removeHome(one.home);
                if (two) removeHome(two.home);
            }
        });
    });
});
