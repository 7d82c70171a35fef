/**
 * Many replicas, one owner per task (issue 10 §3), with real `engine serve` processes, the
 * harness's MariaDB as source and PostgreSQL as destination and control database, under a
 * write load on every task:
 *   - one replica with every task, then two more: the tasks spread evenly;
 *   - kill -9 of the replica holding the most tasks: the others take its tasks and commit;
 *   - SIGSTOP of a replica past the TTL, then SIGCONT: the old owner stops its tasks, and
 *     the destination fence refuses anything it still tried to write;
 *   - a rolling restart (a new replica, then SIGTERM of an old one, three times);
 * and at the end every copy equals its source, row by row: no gap, no duplicate.
 * Times are printed, not asserted (they depend on the machine); `npm run bench` measures them.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import type { RowDataPacket } from "mysql2/promise";
import { RemoteEngineClient, type RemoteTask } from "../../provider/engine/control/remote-client";
import { comparePositions } from "../../provider/engine/model";
import { taskArgsSchema } from "../../sdk/schema/task";
import type { EngineTaskSpec } from "../../provider/engine/task-store";
import { mariaConnection, postgresConnection } from "../harness/engine-run";
import { type ControlDatabase, createControlDatabase, type ReplicaProcess, startReplica, stopReplica } from "../harness/engine-service";
import { compareDatabase } from "../harness/compare";
import { dropSchemas } from "../harness/postgres";
import { createSource, writeLoad } from "../harness/write-load";
import { startProxy } from "../harness/tcp-proxy";
import { until } from "../harness/until";

const maria = inject("mariadb");
const pg = inject("postgres");
const TASKS = 6;
const TTL = 6;
const ROWS = 2_000;
const dbs = Array.from({ length: TASKS }, (_, i) => `svc_rep_${i}`);
const taskIds = dbs.map((d) => d.replace(/_/g, "-"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spec(i: number): EngineTaskSpec {
    const source = mariaConnection(maria);
    const destination = postgresConnection(pg);
    return {
        taskId: taskIds[i],
        task: taskArgsSchema.parse({
            migrationTypes: ["schema", "full", "incremental"], objects: [{ database: dbs[i] }], heartbeat: { enabled: false },
            source: { connectionId: "src", engine: source.engine }, destination: { connectionId: "dst", engine: destination.engine },
        }),
        source, destination,
    };
}


describe("engine service replicas", () => {
    let control: ControlDatabase;
    const replicas: ReplicaProcess[] = [];
    let client: RemoteEngineClient;
    let src: mysql.Connection;
    let loads: { stop(): Promise<number> }[] = [];

    const list = async () => new Map((await client.list()).map((t) => [t.taskId, t]));
    const byHolder = (tasks: Map<string, RemoteTask>) => {
        const out = new Map<string, string[]>();
        for (const t of tasks.values()) if (t.owner.holder) out.set(t.owner.holder, [...(out.get(t.owner.holder) ?? []), t.taskId]);
        return out;
    };
    const holderOf = (r: ReplicaProcess) => /service (\S+): serving/.exec(r.output())?.[1];
    const start = async () => {
        const r = await startReplica(control, { ttlSeconds: TTL });
        replicas.push(r);
        return r;
    };
    const live = () => replicas.filter((r) => r.proc.exitCode === null && r.proc.signalCode === null);

    beforeAll(async () => {
        src = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });
        for (const d of dbs) await createSource(maria, d, ROWS);
        await dropSchemas(pg, dbs);
        control = await createControlDatabase(pg);
    }, 120_000);
    afterAll(async () => {
        for (const l of loads) await l.stop().catch(() => undefined);
        for (const r of replicas) {
            if (r.proc.signalCode === "SIGSTOP") r.proc.kill("SIGCONT");
            await stopReplica(r, "SIGKILL");
        }
        await control?.drop();
        await src?.end();
    });

    it("spread, kill -9, SIGSTOP, rolling restart: one owner at a time, and every copy equals its source", async () => {
        const first = await start();
        client = new RemoteEngineClient({ endpoint: first.url, token: control.token });
        for (let i = 0; i < TASKS; i++) await client.put(spec(i));
        await until("every task streaming on the one replica", async () => {
            const tasks = await list();
            return [...tasks.values()].every((t) => t.status?.phase === "running" && t.owner.holder === holderOf(first));
        }, { timeoutMs: 180_000 });

        // Scale 1 → 3: each replica's share is ceil(6 / 3) = 2.
        const t0 = Date.now();
        await start();
        await start();
        await until("the tasks spread 2/2/2", async () => {
            const counts = [...byHolder(await list()).values()].map((x) => x.length).sort();
            return counts.length === 3 && counts.every((n) => n === 2);
        });
        console.log(`scale 1 → 3 replicas: tasks spread 2/2/2 in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

        loads = dbs.map((d) => writeLoad(maria, d, ROWS));
        await sleep(2000);

        // kill -9 of a replica: its tasks move to the others, which commit from where it stopped.
        {
            const tasks = await list();
            const [victimHolder, victimTasks] = [...byHolder(tasks).entries()].sort((a, b) => b[1].length - a[1].length)[0];
            const victim = live().find((r) => holderOf(r) === victimHolder)!;
            client = new RemoteEngineClient({ endpoint: live().find((r) => r !== victim)!.url, token: control.token });
            const before = new Map(victimTasks.map((id) => [id, tasks.get(id)!]));
            const killedAt = Date.now();
            await stopReplica(victim, "SIGKILL");
            const taken = new Map<string, number>();
            await until("the killed replica's tasks taken over and committing", async () => {
                const now = await list();
                for (const id of victimTasks) {
                    if (taken.has(id)) continue;
                    const t = now.get(id)!;
                    const was = before.get(id)!;
                    const moved = t.owner.holder !== null && t.owner.holder !== victimHolder && t.owner.epoch > was.owner.epoch;
                    const committed = t.status?.incremental?.position && was.status?.incremental?.position &&
                        comparePositions(t.status.incremental.position, was.status.incremental.position) > 0 &&
                        Date.parse(t.status.updatedAt) > killedAt;
                    if (moved && committed) taken.set(id, Date.now() - killedAt);
                }
                return taken.size === victimTasks.length;
            }, { timeoutMs: 60_000 });
            console.log(`kill -9 → first commit by the new owner: ${[...taken.values()].map((ms) => `${(ms / 1000).toFixed(1)} s`).join(", ")} (lease TTL ${TTL} s)`);
            await start();
        }

        // SIGSTOP past the TTL: the others take its tasks; resumed, it stops them and writes nothing.
        {
            const tasks = await list();
            const [stoppedHolder, stoppedTasks] = [...byHolder(tasks).entries()].find(([, ids]) => ids.length > 0)!;
            const paused = live().find((r) => holderOf(r) === stoppedHolder)!;
            // Ask another replica: the paused one answers nothing.
            client = new RemoteEngineClient({ endpoint: live().find((r) => r !== paused)!.url, token: control.token });
            paused.proc.kill("SIGSTOP");
            await until("the paused replica's tasks taken over", async () => {
                const now = await list();
                return stoppedTasks.every((id) => { const h = now.get(id)!.owner.holder; return h !== null && h !== stoppedHolder; });
            }, { timeoutMs: 60_000 });
            paused.proc.kill("SIGCONT");
            await until("the resumed replica stopping its tasks", async () => stoppedTasks.every((id) => paused.output().includes(`stops ${id}`)),
                { timeoutMs: 30_000, context: () => `its output:\n${paused.output().slice(-4000)}` });
            console.log(`SIGSTOP: the resumed replica stopped ${stoppedTasks.join(", ")}; ${/fenced|another session took/.test(paused.output()) ? "its destination fence refused a write" : "it wrote nothing"}`);
        }

        // Rolling restart: a new replica, then SIGTERM of an old one (it hands its tasks off at once).
        {
            const gaps = new Map<string, number>();
            let watching = true;
            const watch = (async () => {
                const downSince = new Map<string, number>();
                while (watching) {
                    const now = await list().catch(() => undefined);
                    if (now) {
                        for (const [id, t] of now) {
                            if (!t.owner.holder) downSince.set(id, downSince.get(id) ?? Date.now());
                            else if (downSince.has(id)) {
                                gaps.set(id, Math.max(gaps.get(id) ?? 0, Date.now() - downSince.get(id)!));
                                downSince.delete(id);
                            }
                        }
                    }
                    await sleep(100);
                }
            })();
            const old = live();
            for (const r of old) {
                const next = await start();
                client = new RemoteEngineClient({ endpoint: next.url, token: control.token });
                await stopReplica(r, "SIGTERM");
                await sleep(1500);
            }
            await sleep(2000);
            watching = false;
            await watch;
            console.log(`rolling restart of ${old.length} replicas: longest time a task had no owner ${Math.max(0, ...gaps.values()) / 1000} s`);
        }

        for (const l of loads) await l.stop();
        loads = [];
        const [[master]] = await src.query<RowDataPacket[]>("SHOW MASTER STATUS");
        const end = { file: String(master.File), position: Number(master.Position) };
        await until("every task caught up with the source", async () => {
            const now = await list();
            return [...now.values()].every((t) => t.status?.phase === "running" && t.status.incremental?.position && comparePositions(t.status.incremental.position, end) >= 0);
        }, { timeoutMs: 120_000 });
        await sleep(1500);
        for (const d of dbs) {
            const diffs = await compareDatabase({ host: maria.host, port: maria.port, user: maria.user, password: maria.password },
                d, { kind: "postgres", conn: { host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database }, schema: d });
            expect(diffs.flatMap((x) => x.mismatches).slice(0, 5), d).toEqual([]);
        }
    }, 600_000);

    it("a replica cut off from the control database (a paused proxy) stops its tasks within the TTL; the others take them", async () => {
        const proxy = await startProxy({ host: pg.host, port: pg.port });
        try {
            const url = new URL(control.url);
            url.port = String(proxy.port);
            const cut = await startReplica(control, { ttlSeconds: TTL, env: { PULUMI_DTS_CONTROL_URL: url.toString() } });
            replicas.push(cut);
            client = new RemoteEngineClient({ endpoint: live().find((r) => r !== cut)!.url, token: control.token });
            const mine = await until("the new replica holding tasks", async () => {
                const ids = byHolder(await list()).get(holderOf(cut)!);
                return ids && ids.length > 0 && ids.every((id) => cut.output().includes(`took ${id}`)) ? ids : undefined;
            }, { timeoutMs: 60_000, context: () => `its output:\n${cut.output().slice(-3000)}` });
            const cutAt = Date.now();
            proxy.pause();
            await until("the cut-off replica stopping its tasks", async () => /could not renew its leases within the TTL: stopping/.test(cut.output()), { timeoutMs: (TTL + 10) * 1000 });
            const stoppedAfter = Date.now() - cutAt;
            expect((await fetch(`${cut.url}/readyz`)).status).toBe(503);
            await until("its tasks taken by the others", async () => {
                const now = await list();
                return mine.every((id) => { const h = now.get(id)!.owner.holder; return h !== null && h !== holderOf(cut); });
            }, { timeoutMs: 60_000 });
            console.log(`control database cut off: the replica stopped ${mine.length} task(s) ${(stoppedAfter / 1000).toFixed(1)} s after the cut (lease TTL ${TTL} s)`);
            proxy.resume();
            await until("the replica ready again once it reaches the database", async () => (await fetch(`${cut.url}/readyz`)).status === 200, { timeoutMs: 30_000 });
            await stopReplica(cut);
        } finally {
            await proxy.close();
        }
    }, 180_000);
});
