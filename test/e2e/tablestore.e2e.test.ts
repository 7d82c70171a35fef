/**
 * MySQL → Tablestore end to end, through the real Pulumi CLI running
 * examples/mysql-to-tablestore (schema + full + incremental, waitFor "caught-up") against the
 * harness's MariaDB and a local Tablestore server (test/harness/tablestore-server) started in
 * this process, which the program's engine reaches over HTTP: preview shows the resources, up
 * copies a small table of several types exactly, source inserts, updates and deletes arrive,
 * a changed tablestore.concurrency updates the running task in place (its stream goes on),
 * destroy releases the task (its checkpoint row goes, the migrated rows stay), and neither
 * secret is in the stack's state, the CLI's output or the engine's logs.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import type { RowDataPacket } from "mysql2/promise";
import type { IncrementalOutput } from "../../sdk/task";
import { type CliResult, type PulumiEnv, pulumi, pulumiBin, pulumiEnv, repoRoot, writeProject } from "../harness/pulumi-cli";
import { startTablestoreServer, type TablestoreServer } from "../harness/tablestore-server";

const maria = inject("mariadb");

const TASK_TYPE = "pulumi-nodejs:dynamic/pulumi-dts:MigrationTask";
const CONNECTION_TYPE = "pulumi-nodejs:dynamic/pulumi-dts:DatabaseConnection";
const CHECKPOINT_TABLE = "pulumi_dts_stream_checkpoint";
const INITIAL = 40;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch (err) {
            last = err;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** binlog file:position as a comparable pair. */
function position(file: string, pos: bigint | number): [number, number] {
    return [Number(/\.(\d+)$/.exec(file)?.[1] ?? NaN), Number(pos)];
}
const after = (a: [number, number], b: [number, number]) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

describe("MySQL → Tablestore through the real Pulumi CLI (examples/mysql-to-tablestore)", () => {
    let pe: PulumiEnv | undefined;
    let ots: TablestoreServer;
    let destroyed = false;
    const dir = join(repoRoot, ".pulumi-test", `tablestore-${process.pid}`);
    // Our own source database and account in the shared MariaDB, secrets of our own.
    const db = `ts_e2e_${process.pid}`;
    const srcUser = `dts_ts_${process.pid}`;
    const srcPassword = `ts-Maria-${randomBytes(8).toString("hex")}`;
    const ak = { id: `e2e-ak-${process.pid}`, secret: `ts-AkSecret-${randomBytes(8).toString("hex")}` };
    const instance = "dtse2e";
    /** Every Pulumi CLI output of the run, checked for the secrets at the end. */
    const cliOutput: string[] = [];

    const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
    const cli = async (...args: string[]): Promise<CliResult> => {
        const r = await pulumi(args, { cwd: dir, env: pe!.env });
        cliOutput.push(out(r));
        return r;
    };
    const dtsCli = (...args: string[]) =>
        execFileSync(process.execPath, [join(repoRoot, "dist", "provider", "cli", "main.js"), ...args], { env: pe!.env }).toString();
    const outputs = async () => {
        const r = await cli("stack", "output", "--json");
        expect(r.code, out(r)).toBe(0);
        return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const exportState = async () => {
        const r = await cli("stack", "export");
        expect(r.code, out(r)).toBe(0);
        return r.stdout;
    };
    const taskState = async () => {
        const res = (JSON.parse(await exportState()).deployment.resources as { type: string; id: string; outputs: Record<string, unknown> }[])
            .find((x) => x.type === TASK_TYPE);
        expect(res, "MigrationTask in state").toBeDefined();
        return res!;
    };

    const onSource = async (sql: string, params: unknown[] = []) => {
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, database: db, multipleStatements: true });
        try {
            return (await c.query<RowDataPacket[]>(sql, params))[0];
        } finally {
            await c.end();
        }
    };

    /**
     * The source rows as docs/type-mapping-tablestore.md says they are written: INT and
     * TINYINT(1) INTEGER, DECIMAL and BIGINT UNSIGNED exact text, DATETIME(3) ISO text with
     * its 3 digits, DOUBLE DOUBLE, VARBINARY BINARY, text STRING, NULL an absent column.
     */
    const expected = async () => {
        const rows = await onSource(`SELECT id, name, CAST(price AS CHAR) AS price, CAST(qty AS CHAR) AS qty,
            DATE_FORMAT(seen, '%Y-%m-%dT%H:%i:%s.%f') AS seen, note, flag, data, ratio FROM items ORDER BY id`);
        return rows.map((r) => {
            const row: Record<string, unknown> = { id: BigInt(r.id) };
            for (const [k, v] of Object.entries(r)) {
                if (k === "id" || v === null) continue;
                row[k] = k === "flag" ? BigInt(v as number) : k === "seen" ? String(v).slice(0, -3) : v;
            }
            return row;
        });
    };
    const actual = () => ots.rows("items").map((r) => ({ ...r.primaryKey, ...r.attributes }));
    const checkpoint = (taskId: string) => ots.rows(CHECKPOINT_TABLE).find((r) => r.primaryKey.task_id === taskId);
    const checkpointPosition = (taskId: string) => {
        const cp = checkpoint(taskId);
        expect(cp, `checkpoint row of ${taskId}`).toBeDefined();
        return position(String(cp!.attributes.binlog_file), cp!.attributes.binlog_position as bigint);
    };
    /** Waits until Tablestore holds exactly the source's rows. */
    const inStep = async (what: string) => {
        let want: Record<string, unknown>[] = [];
        await until(what, async () => {
            want = await expected();
            expect(actual()).toEqual(want);
            return true;
        }).catch((err) => {
            // The comparison's own message says which rows differ.
            expect(actual(), (err as Error).message).toEqual(want);
        });
        return want;
    };

    beforeAll(async () => {
        ots = await startTablestoreServer({ instanceName: instance, accessKeys: [ak] });
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(10,2), qty BIGINT UNSIGNED,
                seen DATETIME(3), note TEXT, flag TINYINT(1), data VARBINARY(16), ratio DOUBLE) DEFAULT CHARSET utf8mb4;
            INSERT INTO items SELECT seq, CONCAT('item ', seq, IF(seq % 10 = 0, ' 🛒', '')), IF(seq % 7 = 0, NULL, seq * 1.25),
                18446744073709551615 - seq, '2024-05-01 10:00:00.123' + INTERVAL seq MINUTE, IF(seq % 3 = 0, NULL, REPEAT('n', seq)),
                seq % 2, UNHEX(CONCAT('00FF', LPAD(HEX(seq), 4, '0'))), seq / 8 FROM seq_1_to_${INITIAL};`);
        await c.query(`DROP USER IF EXISTS '${srcUser}'@'%'`);
        await c.query(`CREATE USER '${srcUser}'@'%' IDENTIFIED BY '${srcPassword}'`);
        await c.query(`GRANT SELECT, SHOW VIEW, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '${srcUser}'@'%'`);
        await c.end();

        pe = pulumiEnv(pulumiBin());
        writeProject(dir, "dts-e2e-tablestore", readFileSync(join(repoRoot, "examples", "mysql-to-tablestore", "index.ts"), "utf8"));
        expect((await cli("stack", "init", "e2e")).code).toBe(0);
        const r = await cli("config", "set-all",
            "--plaintext", `sourcePort=${maria.port}`, "--plaintext", `sourceUser=${srcUser}`, "--plaintext", `database=${db}`,
            "--plaintext", `endpoint=${ots.endpoint}`, "--plaintext", `instanceName=${instance}`, "--plaintext", `accessKeyId=${ak.id}`,
            "--plaintext", "concurrency=16", "--plaintext", "bucketCount=4",
            "--secret", `sourcePassword=${srcPassword}`, "--secret", `accessKeySecret=${ak.secret}`);
        expect(r.code, out(r)).toBe(0);
    });

    afterAll(async () => {
        if (pe) {
            if (!destroyed) await cli("destroy", "--yes", "--skip-preview");
            try {
                dtsCli("engine", "stop");
            } catch {
                /* not running */
            }
        }
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await c.query(`DROP DATABASE IF EXISTS ${db}; DROP USER IF EXISTS '${srcUser}'@'%'`);
        await c.end();
        await ots?.close();
        rmSync(dir, { recursive: true, force: true });
        if (pe) rmSync(pe.home, { recursive: true, force: true });
    });

    it("pulumi preview shows both connections and the task to create", async () => {
        const r = await cli("preview");
        expect(r.code, out(r)).toBe(0);
        expect(out(r)).toMatch(new RegExp(`\\+\\s+${CONNECTION_TYPE} source create`));
        expect(out(r)).toMatch(new RegExp(`\\+\\s+${CONNECTION_TYPE} destination create`));
        expect(out(r)).toMatch(new RegExp(`\\+\\s+${TASK_TYPE} shop create`));
        expect(ots.tables(), "preview creates nothing in Tablestore").toEqual([]);
    });

    it("pulumi up migrates schema and rows, returns caught up with the stream running; Tablestore holds the source's rows exactly", async () => {
        const r = await cli("up", "--yes", "--skip-preview");
        expect(r.code, out(r)).toBe(0);
        const o = await outputs();
        expect(o.status).toBe("running");
        expect(o.rowsCopied).toBe(INITIAL);
        expect(String(o.destinationEndpoint).startsWith(ots.endpoint), String(o.destinationEndpoint)).toBe(true);
        expect(o.tablesMigrated).toEqual([`${db}.items -> items: done, ${INITIAL} rows`]);
        const inc = o.incremental as IncrementalOutput;
        expect(inc).toMatchObject({ caughtUp: true, skippedStatements: [] });
        expect(inc.position).toMatch(/^mysql-bin\.\d+:\d+/);
        expect(ots.tables()).toEqual(["items", CHECKPOINT_TABLE].sort());
        expect(ots.describe("items")?.primaryKey).toEqual([{ name: "id", type: "INTEGER", autoIncrement: false }]);
        const want = await expected();
        expect(want).toHaveLength(INITIAL);
        // A spot check of the type map, then every row.
        expect(want.find((x) => x.id === 10n)).toEqual({
            id: 10n, name: "item 10 🛒", price: "12.50", qty: "18446744073709551605", seen: "2024-05-01T10:10:00.123",
            note: "nnnnnnnnnn", flag: 0n, data: Buffer.from("00ff000a", "hex"), ratio: 1.25,
        });
        expect(actual()).toEqual(want);
        const { id: taskId } = await taskState();
        expect(checkpoint(taskId), "the stream's checkpoint row").toBeDefined();
    });

    it("inserts, updates and deletes on the source arrive in Tablestore", async () => {
        await onSource(`INSERT INTO items SELECT seq, CONCAT('late ', seq), 0.01, seq, NOW(3), 'late', 1, NULL, -0.5 FROM seq_101_to_105`);
        await onSource("UPDATE items SET name = 'changed', note = NULL, price = 99.99, ratio = 2.5 WHERE id = 1");
        await onSource("UPDATE items SET qty = 0, data = X'', seen = '1999-12-31 23:59:59.999' WHERE id = 2");
        await onSource("DELETE FROM items WHERE id IN (3, 4)");
        const want = await inStep("the source's changes in Tablestore");
        expect(want).toHaveLength(INITIAL + 5 - 2);
        const one = actual().find((x) => x.id === 1n)!;
        expect(one).toMatchObject({ name: "changed", price: "99.99", ratio: 2.5 });
        expect(one).not.toHaveProperty("note"); // set to NULL: the column is deleted (update-row)
    }, 60_000);

    it("a changed tablestore.concurrency updates the running task in place: preview says update, the stream goes on", async () => {
        const before = await outputs();
        const { id: taskId } = await taskState();
        const positionBefore = checkpointPosition(taskId);
        const logBefore = dtsCli("logs", taskId, "100000");

        expect((await cli("config", "set", "concurrency", "32")).code).toBe(0);
        const preview = await cli("preview");
        expect(preview.code, out(preview)).toBe(0);
        expect(out(preview)).toMatch(new RegExp(`~\\s+${TASK_TYPE} shop update \\[diff: ~tablestore\\]`));
        expect(out(preview)).toMatch(/\[pulumi-dts\] tablestore\.concurrency: applied live: /);
        expect(out(preview)).not.toMatch(/replace/);
        const up = await cli("up", "--yes", "--skip-preview");
        expect(up.code, out(up)).toBe(0);
        expect(out(up)).toMatch(new RegExp(`~\\s+${TASK_TYPE} shop updat`));
        expect(out(up)).not.toMatch(/replac/);

        const state = await taskState();
        expect(state.id).toBe(taskId); // the same task, not a new one
        expect((state.outputs.tablestore as { concurrency?: number }).concurrency).toBe(32);
        const spec = JSON.parse(readFileSync(join(pe!.env.PULUMI_DTS_HOME!, "tasks", taskId, "spec.json"), "utf8"));
        expect(spec.task.tablestore.concurrency).toBe(32);
        const o = await outputs();
        expect(o.status).toBe("running");
        expect(o.rowsCopied).toBe(before.rowsCopied);
        expect(o.snapshotPosition).toBe(before.snapshotPosition);
        // Applied to the running task: no new run, no phase run again, nothing copied again.
        const logAfter = dtsCli("logs", taskId, "100000");
        expect(logAfter.startsWith(logBefore.trimEnd()), "the log goes on from where it was").toBe(true);
        const added = logAfter.slice(logBefore.trimEnd().length);
        expect(added).toMatch(/update: tablestore\.concurrency \(live\)/);
        expect(added).not.toMatch(/ run: |phase (prechecking|migrating-schema|migrating-full)| copy \S+ chunk /);

        // The stream goes on from its position.
        await onSource(`INSERT INTO items SELECT seq, CONCAT('after update ', seq), 1, 1, NOW(3), NULL, 0, X'01', 1 FROM seq_201_to_210`);
        await onSource("UPDATE items SET name = 'changed again' WHERE id = 1");
        await inStep("rows written after the update in Tablestore");
        await until("the stream's checkpoint past its position before the update", () => (after(checkpointPosition(taskId), positionBefore) ? true : undefined));
        expect(dtsCli("status", taskId)).toMatch(/running/);
    }, 90_000);

    it("neither the MariaDB password nor the AccessKey secret is in the stack's state, the CLI's output or the engine's logs", async () => {
        const { id: taskId } = await taskState();
        const secrets = { "MariaDB password": srcPassword, "AccessKey secret": ak.secret };
        const exported = await exportState();
        // The state holds them as Pulumi secrets (ciphertext), in the connections and in the task's copy of them.
        const resources = JSON.parse(exported).deployment.resources as { type: string; urn: string; outputs: Record<string, Record<string, unknown>> }[];
        const secretValue = expect.objectContaining({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: expect.any(String) });
        expect(resources.find((x) => x.type === CONNECTION_TYPE && x.urn.endsWith("::destination"))?.outputs.accessKeySecret).toEqual(secretValue);
        expect(resources.find((x) => x.type === CONNECTION_TYPE && x.urn.endsWith("::source"))?.outputs.password).toEqual(secretValue);
        const stateFiles = readdirSync(join(pe!.home, "state"), { recursive: true, withFileTypes: true })
            .filter((f) => f.isFile())
            .map((f) => ({ name: join(f.parentPath, f.name), text: readFileSync(join(f.parentPath, f.name)).toString("latin1") }));
        const engineFiles = readdirSync(pe!.env.PULUMI_DTS_HOME!, { recursive: true, withFileTypes: true })
            // The task's spec holds the connections' secrets by design (owner-only), and is all that does.
            .filter((f) => f.isFile() && f.name !== "spec.json")
            .map((f) => ({ name: join(f.parentPath, f.name), text: readFileSync(join(f.parentPath, f.name)).toString("latin1") }));
        expect(engineFiles.map((f) => f.name)).toContain(join(pe!.env.PULUMI_DTS_HOME!, "engine.log"));
        const taskLog = dtsCli("logs", taskId, "100000");
        expect(taskLog).toMatch(/phase running/);
        for (const [what, secret] of Object.entries(secrets)) {
            expect(exported, `${what} in pulumi stack export`).not.toContain(secret);
            for (const f of stateFiles) expect(f.text, `${what} in the state backend's ${f.name}`).not.toContain(secret);
            cliOutput.forEach((o, i) => expect(o, `${what} in Pulumi CLI output #${i}`).not.toContain(secret));
            expect(taskLog, `${what} in the task's log`).not.toContain(secret);
            for (const f of engineFiles) expect(f.text, `${what} in engine file ${f.name}`).not.toContain(secret);
        }
    });

    it("pulumi destroy releases the task: its checkpoint row goes, the migrated table keeps its rows, no more changes arrive", async () => {
        const { id: taskId } = await taskState();
        expect(checkpoint(taskId)).toBeDefined();
        const kept = actual();
        const r = await cli("destroy", "--yes", "--skip-preview");
        expect(r.code, out(r)).toBe(0);
        destroyed = true;
        expect(out(r)).toMatch(new RegExp(`-\\s+${TASK_TYPE} shop delet`));
        expect(dtsCli("status")).toMatch(/0 task\(s\)/);
        expect(checkpoint(taskId), "checkpoint row after destroy").toBeUndefined();
        expect(ots.tables()).toContain("items");
        expect(actual()).toEqual(kept);

        await onSource(`INSERT INTO items SELECT seq, 'after destroy', 1, 1, NOW(3), NULL, 0, NULL, 1 FROM seq_301_to_305`);
        await onSource("UPDATE items SET name = 'after destroy' WHERE id = 5");
        await new Promise((res) => setTimeout(res, 3000));
        expect(actual()).toEqual(kept);
        // The CLI output of destroy is checked too.
        for (const o of cliOutput.slice(-1)) {
            expect(o).not.toContain(srcPassword);
            expect(o).not.toContain(ak.secret);
        }
    }, 60_000);
});
