/**
 * The engine service's benchmark (issue 10 §3): takeover time after kill -9 and the
 * control database's load, with real `engine serve` replicas (test/harness/engine-service).
 *
 *   takeover: 3 replicas, BENCH_SERVICE_TASKS (30) streaming tasks under a write load,
 *             BENCH_SERVICE_KILLS (20) times kill -9 of the replica holding the most tasks;
 *             per task, kill -> lease claimed by another replica, and kill -> first commit by
 *             the new owner (its status shows the stream past where it was at the kill);
 *             then every copy compared with its source row by row.
 *   load:     BENCH_SERVICE_IDLE (300) tasks at rest (full loads completed, still leased) on 3
 *             replicas: transactions per second committed in the control database.
 */
import type { RowDataPacket } from "mysql2/promise";
import { RemoteEngineClient, type RemoteTask } from "../provider/engine/control/remote-client";
import { comparePositions } from "../provider/engine/model";
import type { EngineTaskSpec } from "../provider/engine/task-store";
import { taskArgsSchema } from "../sdk/schema/task";
import { compareDatabase } from "../test/harness/compare";
import { mariaConnection, postgresConnection } from "../test/harness/engine-run";
import { type ControlDatabase, createControlDatabase, type ReplicaProcess, startReplica, stopReplica } from "../test/harness/engine-service";
import type { MariaDbInfo } from "../test/harness/mariadb";
import type { PostgresInfo } from "../test/harness/postgres";
import { createSource } from "../test/harness/write-load";
import { mysqlAdmin, pgAdmin } from "./dataset";
import { until as untilOrThrow } from "../test/harness/until";

/** The bench polls through restarts: a probe that throws (a replica just killed) is "not yet". */
const until = <T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs: number) => untilOrThrow(what, f, { timeoutMs, intervalMs: 100, tolerateErrors: true });

export interface ServiceBenchResult {
    ttlSeconds: number;
    tasks: number;
    kills: number;
    claimMs: number[];
    commitMs: number[];
    copiesEqual: number;
    idleTasks: number;
    idleReplicas: number;
    statementsPerSecond: number;
    problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


function percentile(xs: number[], p: number): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

function taskSpec(src: MariaDbInfo, pg: PostgresInfo, taskId: string, task: Record<string, unknown>): EngineTaskSpec {
    const source = mariaConnection(src);
    const destination = postgresConnection(pg);
    return {
        taskId,
        task: taskArgsSchema.parse({ heartbeat: { enabled: false }, ...task, source: { connectionId: "src", engine: source.engine }, destination: { connectionId: "dst", engine: destination.engine } }),
        source, destination,
    };
}

class Cluster {
    readonly replicas: ReplicaProcess[] = [];
    constructor(readonly control: ControlDatabase, private readonly o: { ttlSeconds: number; capacity: number }) {}
    async start(): Promise<ReplicaProcess> {
        const r = await startReplica(this.control, { ttlSeconds: this.o.ttlSeconds, capacity: this.o.capacity });
        this.replicas.push(r);
        return r;
    }
    live(): ReplicaProcess[] {
        return this.replicas.filter((r) => r.proc.exitCode === null && r.proc.signalCode === null);
    }
    holder(r: ReplicaProcess): string | undefined {
        return /service (\S+): serving/.exec(r.output())?.[1];
    }
    client(except?: ReplicaProcess): RemoteEngineClient {
        return new RemoteEngineClient({ endpoint: this.live().find((r) => r !== except)!.url, token: this.control.token });
    }
    async tasks(except?: ReplicaProcess): Promise<Map<string, RemoteTask>> {
        return new Map((await this.client(except).list()).map((t) => [t.taskId, t]));
    }
    async stop(): Promise<void> {
        for (const r of this.replicas) await stopReplica(r, "SIGKILL");
        await this.control.drop();
    }
}

/** A light write load spread over every task's database: one small transaction every few ms. */
function spreadLoad(m: MariaDbInfo, dbs: string[]): { stop(): Promise<number> } {
    let stopping = false;
    let n = 0;
    const done = (async () => {
        const c = await mysqlAdmin(m);
        let next = 10_000_000;
        while (!stopping) {
            const db = dbs[Math.floor(Math.random() * dbs.length)];
            try {
                await c.query("START TRANSACTION");
                await c.query(`INSERT INTO ${db}.accounts VALUES (?, 'load', 1.00, NOW(6), 'a', JSON_ARRAY(?), NULL)`, [next++, next]);
                await c.query(`UPDATE ${db}.accounts SET balance = balance + 1 WHERE id = ?`, [1 + Math.floor(Math.random() * 500)]);
                await c.query("COMMIT");
                n++;
            } catch {
                await c.query("ROLLBACK").catch(() => undefined);
            }
            await sleep(15);
        }
        await c.end();
    })();
    return { stop: async () => { stopping = true; await done; return n; } };
}

export async function runServiceBench(src: MariaDbInfo, pg: PostgresInfo, log: (line: string) => void): Promise<ServiceBenchResult> {
    const ttlSeconds = 10;
    const tasks = Number(process.env.BENCH_SERVICE_TASKS ?? 30);
    const kills = Number(process.env.BENCH_SERVICE_KILLS ?? 20);
    const idleTasks = Number(process.env.BENCH_SERVICE_IDLE ?? 300);
    const result: ServiceBenchResult = { ttlSeconds, tasks, kills, claimMs: [], commitMs: [], copiesEqual: 0, idleTasks, idleReplicas: 3, statementsPerSecond: NaN, problems: [] };
    const dbs = Array.from({ length: tasks }, (_, i) => `svc_bench_${i}`);

    // ---- takeover ----
    log(`service: ${tasks} source databases, 3 replicas, ${tasks} streaming tasks`);
    for (const d of dbs) await createSource(src, d, 500);
    const admin = await pgAdmin(pg);
    for (const d of dbs) await admin.query(`DROP SCHEMA IF EXISTS ${d} CASCADE`);
    const cluster = new Cluster(await createControlDatabase(pg), { ttlSeconds, capacity: 50 });
    let load: { stop(): Promise<number> } | undefined;
    try {
        for (let i = 0; i < 3; i++) await cluster.start();
        const client = cluster.client();
        for (const [i, d] of dbs.entries()) await client.put(taskSpec(src, pg, `svc-bench-${i}`, { migrationTypes: ["schema", "full", "incremental"], objects: [{ database: d }] }));
        await until("every task streaming", async () => [...(await cluster.tasks()).values()].every((t) => t.status?.phase === "running" && t.owner.holder), 600_000);
        load = spreadLoad(src, dbs);
        await sleep(3000);
        for (let k = 0; k < kills; k++) {
            const before = await cluster.tasks();
            const counts = new Map<string, string[]>();
            for (const t of before.values()) if (t.owner.holder) counts.set(t.owner.holder, [...(counts.get(t.owner.holder) ?? []), t.taskId]);
            const [victimHolder, victimTasks] = [...counts.entries()].sort((a, b) => b[1].length - a[1].length)[0];
            const victim = cluster.live().find((r) => cluster.holder(r) === victimHolder)!;
            const killedAt = Date.now();
            await stopReplica(victim, "SIGKILL");
            const claimed = new Map<string, number>();
            const committed = new Map<string, number>();
            await until(`kill ${k + 1}: takeover`, async () => {
                const now = await cluster.tasks(victim);
                for (const id of victimTasks) {
                    const t = now.get(id)!;
                    const was = before.get(id)!;
                    if (!claimed.has(id) && t.owner.holder && t.owner.holder !== victimHolder && t.owner.epoch > was.owner.epoch) claimed.set(id, Date.now() - killedAt);
                    const p = t.status?.incremental?.position;
                    const q = was.status?.incremental?.position;
                    if (!committed.has(id) && claimed.has(id) && p && q && comparePositions(p, q) > 0 && Date.parse(t.status!.updatedAt) > killedAt) committed.set(id, Date.now() - killedAt);
                }
                return committed.size === victimTasks.length;
            }, 120_000);
            result.claimMs.push(...claimed.values());
            result.commitMs.push(...committed.values());
            log(`service: kill ${k + 1}/${kills} of a replica with ${victimTasks.length} tasks: first commit by the new owners after ` +
                `${(Math.max(...committed.values()) / 1000).toFixed(1)} s (claims ${(Math.min(...claimed.values()) / 1000).toFixed(1)}-${(Math.max(...claimed.values()) / 1000).toFixed(1)} s)`);
            await cluster.start();
            // Let the newcomer take its share before the next kill.
            await until("rebalanced", async () => {
                const c = new Map<string, number>();
                for (const t of (await cluster.tasks()).values()) if (t.owner.holder) c.set(t.owner.holder, (c.get(t.owner.holder) ?? 0) + 1);
                return c.size === 3 && Math.max(...c.values()) - Math.min(...c.values()) <= 1;
            }, 60_000).catch(() => log("service: not rebalanced within 60 s; going on"));
        }
        await load.stop();
        load = undefined;
        const [[master]] = await (await mysqlAdmin(src)).query<RowDataPacket[]>("SHOW MASTER STATUS");
        const end = { file: String(master.File), position: Number(master.Position) };
        await until("every task caught up", async () => [...(await cluster.tasks()).values()].every((t) =>
            t.status?.incremental?.position && comparePositions(t.status.incremental.position, end) >= 0), 300_000);
        await sleep(1500);
        for (const d of dbs) {
            const diffs = await compareDatabase({ host: src.host, port: src.port, user: src.user, password: src.password }, d,
                { kind: "postgres", conn: { host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database }, schema: d });
            const bad = diffs.flatMap((x) => x.mismatches);
            if (bad.length) result.problems.push(`${d}: ${bad.length} mismatches, first ${JSON.stringify(bad[0])}`);
            else result.copiesEqual++;
        }
    } catch (err) {
        result.problems.push(`takeover: ${(err as Error).message}`);
    } finally {
        await load?.stop();
        await cluster.stop();
        for (const d of dbs) await admin.query(`DROP SCHEMA IF EXISTS ${d} CASCADE`).catch(() => undefined);
    }

    // ---- control-store load at rest ----
    log(`service: ${idleTasks} tasks at rest on 3 replicas`);
    const idle = new Cluster(await createControlDatabase(pg), { ttlSeconds, capacity: Math.ceil(idleTasks / 3) + 10 });
    try {
        const m = await mysqlAdmin(src);
        await m.query("DROP DATABASE IF EXISTS svc_idle");
        await m.query("CREATE DATABASE svc_idle");
        await m.query("CREATE TABLE svc_idle.t (id INT PRIMARY KEY, v INT)");
        await m.query("USE svc_idle");
        await m.query("INSERT INTO svc_idle.t SELECT seq, seq FROM seq_1_to_10");
        await m.end();
        await admin.query("DROP SCHEMA IF EXISTS svc_idle CASCADE");
        for (let i = 0; i < 3; i++) await idle.start();
        const client = idle.client();
        // In batches: every task opens source and destination connections while it loads.
        for (let i = 0; i < idleTasks; i += 30) {
            const batch = Array.from({ length: Math.min(30, idleTasks - i) }, (_, j) => i + j);
            for (const n of batch) {
                await client.put(taskSpec(src, pg, `svc-idle-${n}`, { migrationTypes: ["schema", "full"], objects: [{ database: "svc_idle", tables: [{ name: "t", renameTo: `t_${n}` }] }] }));
            }
            await until("the batch completed", async () => {
                const now = await idle.tasks();
                return batch.every((n) => now.get(`svc-idle-${n}`)?.status?.phase === "completed");
            }, 300_000);
        }
        await sleep(5000);
        const xacts = async () => Number((await admin.query(`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1`, [idle.control.name])).rows[0].n);
        const seconds = 30;
        const a = await xacts();
        await sleep(seconds * 1000);
        const b = await xacts();
        result.statementsPerSecond = (b - a) / seconds;
    } catch (err) {
        result.problems.push(`load: ${(err as Error).message}`);
    } finally {
        await idle.stop();
        await admin.query("DROP SCHEMA IF EXISTS svc_idle CASCADE").catch(() => undefined);
        await admin.end();
    }
    return result;
}

export function serviceLines(r: ServiceBenchResult): string[] {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const target = (r.ttlSeconds + 5) * 1000;
    const max = Math.max(...r.commitMs);
    return [
        `takeover:    3 replicas, ${r.tasks} streaming tasks under a write load (~50 transactions/s over all tasks), lease TTL ${r.ttlSeconds} s,`,
        `             ${r.kills} x kill -9 of the replica holding the most tasks (${r.commitMs.length} task takeovers)`,
        `  kill -> lease claimed by another replica:   p50 ${s(percentile(r.claimMs, 50))}, max ${s(Math.max(...r.claimMs))}`,
        `  kill -> first commit by the new owner:      p50 ${s(percentile(r.commitMs, 50))}, max ${s(max)}   target <= TTL + 5 s = ${s(target)}: ${max <= target ? "met" : "MISSED"}`,
        `  copies equal to their sources, row by row:  ${r.copiesEqual}/${r.tasks}`,
        `control store: ${r.idleTasks} tasks at rest (full loads completed, still leased) on ${r.idleReplicas} replicas: ` +
            `${r.statementsPerSecond.toFixed(1)} transactions/s in the control database (${(r.statementsPerSecond / r.idleReplicas).toFixed(1)} per replica)`,
        ...r.problems.map((p) => `  FAILED: ${p}`),
    ];
}
