/**
 * Settings changed on a running incremental task behave as the field table says
 * (sdk/schema/task-fields.ts): `dml` and `throttle` are live (the running stream follows
 * them at once, no restart), a table's renameTo restarts the task, which loads the table
 * again under its new name and streams into it from then on.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { dropSchemas } from "../harness/postgres";
import { mariaConnection, postgresConnection, removeHome, startTask, waitForStatus } from "../harness/engine-run";
import { taskArgsSchema, type TaskArgsInput } from "../../sdk/schema/task";
import type { EngineTaskSpec } from "../../provider/engine/task-store";
import type { TaskRunner } from "../../provider/engine/task-runner";

const maria = inject("mariadb");
const pg = inject("postgres");

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await probe();
        if (ok(v)) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(v)}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

describe("settings changed on a running task", () => {
    const db = `live_${process.pid}`;
    const cleanups: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
        for (const c of cleanups.reverse()) await c();
        await dropSchemas(pg, [db]);
    });

    it("dml and throttle apply to the running stream at once; a rename restarts and reloads the table", async () => {
        const src = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        cleanups.push(async () => {
            await src.query(`DROP DATABASE IF EXISTS ${db}`);
            await src.end();
        });
        await src.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db};
            CREATE TABLE ${db}.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
            CREATE TABLE ${db}.u (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
            INSERT INTO ${db}.t VALUES (1,'a'),(2,'b'),(3,'c');
            INSERT INTO ${db}.u VALUES (1,'x');`);
        const dst = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await dst.connect();
        cleanups.push(() => dst.end());
        const ids = async (table: string) => (await dst.query(`SELECT id FROM ${db}.${table} ORDER BY id`)).rows.map((r) => Number(r.id));

        const args: Omit<TaskArgsInput, "source" | "destination"> = {
            migrationTypes: ["schema", "full", "incremental"],
            objects: [{ database: db, tables: [{ name: "t" }, { name: "u" }] }],
        };
        const { runner, home, spec } = startTask(mariaConnection(maria), postgresConnection(pg), args);
        cleanups.push(async () => {
            await runner.stop();
            await runner.forgetStream();
            removeHome(home);
        });
        await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
        const reconfigure = (change: Partial<Omit<TaskArgsInput, "source" | "destination">>): Promise<void> =>
            runner.update(respec(spec, { ...args, ...change }));

        // dml (live): deletes stop reaching the destination, without a restart.
        await reconfigure({ dml: ["insert", "update"] });
        expect(runner.status.phase).toBe("running");
        await src.query(`DELETE FROM ${db}.t WHERE id = 1; INSERT INTO ${db}.t VALUES (10, 'k')`);
        expect(await until("the insert after the dml change", () => ids("t"), (x) => x.includes(10))).toEqual([1, 2, 3, 10]);
        // And start again once deletes are selected again.
        await reconfigure({ dml: ["insert", "update", "delete"] });
        await src.query(`DELETE FROM ${db}.t WHERE id = 2; INSERT INTO ${db}.t VALUES (11, 'l')`);
        expect(await until("the delete after the second change", () => ids("t"), (x) => x.includes(11))).toEqual([1, 3, 10, 11]);

        // throttle (live): at 1 row/s, 300 rows take at least five minutes; lifting the
        // throttle while the stream waits lets them through well within the wait below.
        await reconfigure({ throttle: { incremental: { rps: 1 } } });
        const values = Array.from({ length: 300 }, (_, i) => `(${1000 + i}, 'r')`).join(",");
        await src.query(`INSERT INTO ${db}.t VALUES ${values}`);
        await new Promise((r) => setTimeout(r, 3000));
        expect((await ids("t")).filter((id) => id >= 1000).length).toBeLessThan(300);
        await reconfigure({ throttle: {} });
        await until("the throttled rows once the throttle is lifted", () => ids("t"), (x) => x.filter((id) => id >= 1000).length === 300, 120_000);

        // renameTo (restart): u is loaded again as u2, and the stream writes there from now on.
        await reconfigure({ objects: [{ database: db, tables: [{ name: "t" }, { name: "u", renameTo: "u2" }] }] });
        await waitForStatus(runner, (s) => s.phase === "running" && s.tables.some((t) => t.target === `${db}.u2` && t.state === "done"));
        await src.query(`INSERT INTO ${db}.u VALUES (2, 'y')`);
        expect(await until("the row written after the rename", () => ids("u2"), (x) => x.includes(2))).toEqual([1, 2]);
        // The earlier destination table keeps its data and gets no more writes.
        expect(await ids("u")).toEqual([1]);
        expect(runner.status.tables.map((t) => t.target).sort()).toEqual([`${db}.t`, `${db}.u2`]);
    });
});

describe("migrationTypes changed on an existing task", () => {
    const db = `mtypes_${process.pid}`;
    const cleanups: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
        for (const c of cleanups.reverse()) await c();
        await dropSchemas(pg, [db]);
    });

    it("without incremental the stream is released and the task completes; with it again the stream replays from the load's position", async () => {
        const src = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        cleanups.push(async () => {
            await src.query(`DROP DATABASE IF EXISTS ${db}`);
            await src.end();
        });
        await src.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; CREATE TABLE ${db}.t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO ${db}.t VALUES (1,'a'),(2,'b');`);
        const dst = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await dst.connect();
        cleanups.push(() => dst.end());
        const rows = async () => (await dst.query(`SELECT id, v FROM ${db}.t ORDER BY id`)).rows.map((r) => `${r.id}:${r.v}`);
        const streams = async () => Number((await dst.query("SELECT count(*) AS n FROM pulumi_dts.stream_checkpoint WHERE task_id = $1", [runner.taskId])).rows[0].n);

        const args: Omit<TaskArgsInput, "source" | "destination"> = { migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db }] };
        const { runner, home, spec } = startTask(mariaConnection(maria), postgresConnection(pg), args);
        cleanups.push(async () => { await runner.stop(); await runner.forgetStream(); removeHome(home); });
        await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
        expect(await streams()).toBe(1);

        await runner.update(respec(spec, { ...args, migrationTypes: ["schema", "full"] }));
        const done = await waitForStatus(runner, (s) => s.phase === "completed");
        expect(done.incremental).toBeUndefined();
        expect(await streams()).toBe(0);
        await src.query(`INSERT INTO ${db}.t VALUES (3, 'while off'); UPDATE ${db}.t SET v = 'changed off' WHERE id = 1`);
        await new Promise((r) => setTimeout(r, 1000));
        expect(await rows()).toEqual(["1:a", "2:b"]);

        await runner.update(respec(spec, args));
        await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
        expect(await rows()).toEqual(["1:changed off", "2:b", "3:while off"]);
        // Adding a phase that would migrate into the task's own tables is refused, and the task goes on.
        await runner.update(respec(spec, { ...args, migrationTypes: ["incremental"] }));
        await expect(runner.update(respec(spec, args))).rejects.toThrow(/adding schema and full to an existing task would migrate into the tables it already holds/);
        await waitForStatus(runner, (s) => s.phase === "running");
    });
});

function respec(spec: EngineTaskSpec, args: Omit<TaskArgsInput, "source" | "destination">): EngineTaskSpec {
    return {
        ...spec,
        task: taskArgsSchema.parse({ ...args, source: { connectionId: "src", engine: spec.source.engine }, destination: { connectionId: "dst", engine: spec.destination.engine } }),
    };
}
