/**
 * An engine upgraded over a running incremental task: the destination's checkpoint table
 * was created by an earlier engine (without the columns later ones added) and the task's
 * files in the engine home are the previous engine's (no format version). The current
 * engine upgrades the table, reads the position in it, and the stream goes on from exactly
 * there: what the source logged after the position arrives, what it logged before does not.
 *
 * The task first runs as today to create its tables; then, while it is stopped, the source
 * writes "before" rows, the test takes the source's binlog position, writes "after" rows, and
 * puts the old table at the destination with the task's row at that position.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { mariaConnection, postgresConnection, removeHome, resumeTask, startTask, waitForStatus } from "../harness/engine-run";
import { destroyMariaDb, type MariaDbInfo, startMariaDb } from "../harness/mariadb";
import { decodeStreamSchema } from "../../provider/engine/incremental/stream-schema-format";
import { type BinlogPosition, comparePositions } from "../../provider/engine/model";
import type { TaskRunner } from "../../provider/engine/task-runner";

const maria = inject("mariadb");
const pg = inject("postgres");
const source = (database?: string) =>
    mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true, database });

async function sourcePosition(): Promise<BinlogPosition> {
    const c = await source();
    const [rows] = await c.query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
    await c.end();
    return { file: String(rows[0].File), position: Number(rows[0].Position) };
}

/** A destination of this test alone: the checkpoint table is replaced under it, which no other test's stream may see. */
interface Destination {
    kind: "postgres" | "mariadb";
    connection: ReturnType<typeof mariaConnection>;
    query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
    close(): Promise<void>;
}

/**
 * The checkpoint table as earlier engines created it, and the task's row in it. `streamSchema`
 * is the text those engines wrote there: a bare JSON array of mappings (stream schema version 1).
 */
interface OldFormat {
    name: string;
    create: Record<Destination["kind"], string>;
    insert(d: Destination, taskId: string, at: BinlogPosition, streamSchema: string): Promise<void>;
}

const oldFormats: OldFormat[] = [
    {
        // 2bc977c, the first release: position only.
        name: "the first release's table (no stream_schema, no resume columns)",
        create: {
            mariadb: `CREATE TABLE pulumi_dts.stream_checkpoint (
                task_id VARCHAR(64) NOT NULL PRIMARY KEY, binlog_file VARCHAR(255) NOT NULL, binlog_position BIGINT UNSIGNED NOT NULL,
                gtid TEXT NULL, source_time BIGINT NULL, applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB`,
            postgres: `CREATE TABLE pulumi_dts.stream_checkpoint (
                task_id text PRIMARY KEY, binlog_file text NOT NULL, binlog_position bigint NOT NULL,
                gtid text, source_time timestamptz, applied_at timestamptz NOT NULL DEFAULT now())`,
        },
        insert: async (d, taskId, at) => {
            if (d.kind === "mariadb") {
                await d.query("INSERT INTO pulumi_dts.stream_checkpoint (task_id, binlog_file, binlog_position, gtid, source_time) VALUES (?, ?, ?, NULL, ?)",
                    [taskId, at.file, at.position, Date.now()]);
            } else {
                await d.query("INSERT INTO pulumi_dts.stream_checkpoint (task_id, binlog_file, binlog_position, gtid, source_time) VALUES ($1, $2, $3, NULL, now())",
                    [taskId, at.file, at.position]);
            }
        },
    },
    {
        // Before c817afc (MySQL family) and 3d9d818 (PostgreSQL): stream_schema as a bare array, no resume columns.
        name: "the table before resume_file/resume_position (stream_schema as a bare array)",
        create: {
            mariadb: `CREATE TABLE pulumi_dts.stream_checkpoint (
                task_id VARCHAR(64) NOT NULL PRIMARY KEY, binlog_file VARCHAR(255) NOT NULL, binlog_position BIGINT UNSIGNED NOT NULL,
                gtid TEXT NULL, source_time BIGINT NULL, applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), stream_schema LONGTEXT NULL) ENGINE=InnoDB`,
            postgres: `CREATE TABLE pulumi_dts.stream_checkpoint (
                task_id text PRIMARY KEY, binlog_file text NOT NULL, binlog_position bigint NOT NULL,
                gtid text, source_time timestamptz, applied_at timestamptz NOT NULL DEFAULT now(), stream_schema jsonb)`,
        },
        insert: async (d, taskId, at, streamSchema) => {
            if (d.kind === "mariadb") {
                await d.query("INSERT INTO pulumi_dts.stream_checkpoint (task_id, binlog_file, binlog_position, gtid, source_time, stream_schema) VALUES (?, ?, ?, NULL, ?, ?)",
                    [taskId, at.file, at.position, Date.now(), streamSchema]);
            } else {
                await d.query("INSERT INTO pulumi_dts.stream_checkpoint (task_id, binlog_file, binlog_position, gtid, source_time, stream_schema) VALUES ($1, $2, $3, NULL, now(), $4::jsonb)",
                    [taskId, at.file, at.position, streamSchema]);
            }
        },
    },
];

/** The task's files as the previous engine wrote them: the bare payload, no format version. */
function writePreviousEngineFiles(taskDir: string): void {
    for (const file of ["spec.json", "status.json", "checkpoint.json"]) {
        const { version, ...payload } = JSON.parse(readFileSync(join(taskDir, file), "utf8")) as Record<string, unknown>;
        expect(version).toBe(1);
        writeFileSync(join(taskDir, file), JSON.stringify(payload, null, 1), { mode: 0o600 });
    }
}

describe("a stream checkpoint from an earlier engine at the destination", () => {
    const runners: TaskRunner[] = [];
    const homes: string[] = [];
    const dbs: string[] = [];
    const pgDatabase = `oldcp_${process.pid}`;
    let mariaDest: MariaDbInfo;
    const destinations: Destination[] = [];

    beforeAll(async () => {
        mariaDest = await startMariaDb();
        const m = await mysql.createConnection({ host: mariaDest.host, port: mariaDest.port, user: mariaDest.user, password: mariaDest.password });
        destinations.push({
            kind: "mariadb",
            connection: mariaConnection(mariaDest),
            query: async (sql, params) => (await m.query<mysql.RowDataPacket[]>(sql, params))[0] as Record<string, unknown>[],
            close: () => m.end(),
        });
        const admin = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${pgDatabase}`);
        await admin.query(`CREATE DATABASE ${pgDatabase}`);
        await admin.end();
        const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pgDatabase });
        await p.connect();
        destinations.push({
            kind: "postgres",
            connection: postgresConnection(pg, pgDatabase),
            query: async (sql, params) => (await p.query(sql, params)).rows,
            close: () => p.end(),
        });
    }, 300_000);

    afterAll(async () => {
        for (const r of runners) await r.stop();
        for (const d of destinations) await d.close().catch(() => undefined);
        const c = await source();
        for (const db of dbs) await c.query(`DROP DATABASE IF EXISTS ${db}`);
        await c.end();
        const admin = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
        await admin.end();
        if (mariaDest) await destroyMariaDb(mariaDest);
        homes.forEach(removeHome);
    });

    for (const kind of ["mariadb", "postgres"] as const) {
        for (const [i, format] of oldFormats.entries()) {
            it(`MariaDB -> ${kind}, ${format.name}: upgraded, and the stream continues from its position`, async () => {
                const dest = destinations.find((d) => d.kind === kind)!;
                const db = `oldcp_${kind.slice(0, 2)}${i}_${process.pid}`;
                dbs.push(db);
                const s = await source();
                await s.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
                    CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL) ENGINE=InnoDB;
                    INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three');`);

                // A table left in an old format by the previous case is not this case's starting point.
                await dest.query("DROP TABLE IF EXISTS pulumi_dts.stream_checkpoint");
                // The task as this engine runs it, up to a running stream; then it stops.
                const { runner, home, store } = startTask(mariaConnection(maria), dest.connection, {
                    migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db }],
                });
                runners.push(runner);
                homes.push(home);
                await waitForStatus(runner, (x) => x.phase === "running" && x.incremental?.position !== undefined);
                await runner.stop();
                const [row] = await dest.query(kind === "mariadb"
                    ? "SELECT stream_schema FROM pulumi_dts.stream_checkpoint WHERE task_id = ?"
                    : "SELECT stream_schema::text AS stream_schema FROM pulumi_dts.stream_checkpoint WHERE task_id = $1", [runner.taskId]);
                const bareMappings = JSON.stringify((JSON.parse(String(row.stream_schema)) as { tables: unknown[] }).tables);

                // Logged before the old checkpoint's position: already applied, as far as that checkpoint says.
                await s.query("INSERT INTO items VALUES (100, 'before'); UPDATE items SET v = 'changed before' WHERE id = 1");
                const at = await sourcePosition();
                await s.query("INSERT INTO items VALUES (200, 'after'); UPDATE items SET v = 'changed after' WHERE id = 2; DELETE FROM items WHERE id = 3");
                const end = await sourcePosition();
                await s.end();

                await dest.query("DROP TABLE pulumi_dts.stream_checkpoint");
                await dest.query(format.create[kind]);
                await format.insert(dest, runner.taskId, at, bareMappings);
                writePreviousEngineFiles(store.dir);

                const resumed = resumeTask(home, runner.taskId);
                runners.push(resumed);
                try {
                    const status = await waitForStatus(resumed, (x) => x.phase === "running" && x.incremental?.position !== undefined &&
                        comparePositions(x.incremental.position, end) >= 0, 60_000);
                    expect(status.error).toBeUndefined();
                    expect(readFileSync(join(store.dir, "task.log"), "utf8")).toContain(`incremental: reading the binlog from ${at.file}:${at.position}`);

                    const rows = await dest.query(`SELECT id, v FROM ${db}.items ORDER BY id`);
                    expect(rows.map((r) => [Number(r.id), r.v])).toEqual([[1, "one"], [2, "changed after"], [200, "after"]]);

                    // The table has the current columns, and the task's row has moved past the old position.
                    const columns = await dest.query(kind === "mariadb"
                        ? "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'pulumi_dts' AND TABLE_NAME = 'stream_checkpoint'"
                        : "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'pulumi_dts' AND table_name = 'stream_checkpoint'");
                    expect(columns.map((c) => String(c.name).toLowerCase())).toEqual(expect.arrayContaining(["stream_schema", "resume_file", "resume_position"]));
                    const [after] = await dest.query(kind === "mariadb"
                        ? "SELECT binlog_file, binlog_position, stream_schema FROM pulumi_dts.stream_checkpoint WHERE task_id = ?"
                        : "SELECT binlog_file, binlog_position::text AS binlog_position, stream_schema::text AS stream_schema FROM pulumi_dts.stream_checkpoint WHERE task_id = $1", [runner.taskId]);
                    expect(comparePositions({ file: String(after.binlog_file), position: Number(after.binlog_position) }, at)).toBeGreaterThan(0);
                    // Written by the stream when the old row had none; a bare array left as it was still reads.
                    expect(decodeStreamSchema(runner.taskId, String(after.stream_schema)).map((m) => m.targetTable)).toEqual(["items"]);

                    // Status and checkpoint are in the current format once the resumed task wrote them (the spec is rewritten by an update).
                    await resumed.stop();
                    for (const file of ["status.json", "checkpoint.json"]) {
                        expect(JSON.parse(readFileSync(join(store.dir, file), "utf8"))).toMatchObject({ version: 1 });
                    }
                } finally {
                    // A failed check must not leave the stream running into the next case, which replaces the table under it.
                    await resumed.stop();
                }
            }, 180_000);
        }
    }
});
