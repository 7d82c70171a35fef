/**
 * Task leases in a PostgreSQL control database (issue 10 §3): of claimers racing for a task
 * exactly one wins; every new holder gets a higher epoch; a holder that did not renew in
 * time has lost its leases and cannot renew them back; one statement renews many leases; a
 * released lease is free at once. Against the harness's real PostgreSQL.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Client } from "pg";
import { LEASE_TABLE, PgLeaseOwnership } from "../../provider/engine/ownership/pg-leases";

const pg = inject("postgres");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("task leases in PostgreSQL", () => {
    const clients: Client[] = [];
    const connect = async () => {
        const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await c.connect();
        clients.push(c);
        return c;
    };
    const holder = async (ttlSeconds = 10) => new PgLeaseOwnership(await connect(), { holder: `engine-${randomBytes(4).toString("hex")}`, ttlSeconds });
    const task = () => `task-${randomBytes(4).toString("hex")}`;

    beforeAll(async () => {
        const c = await connect();
        await PgLeaseOwnership.ensureSchema(c);
    });
    afterAll(async () => {
        await clients[0]?.query(`DELETE FROM ${LEASE_TABLE} WHERE task_id LIKE 'task-%'`);
        for (const c of clients) await c.end();
    });

    it("of ten claimers racing for one task, exactly one wins", async () => {
        const t = task();
        const engines = await Promise.all(Array.from({ length: 10 }, () => holder()));
        await engines[0].register(t);
        const results = await Promise.all(engines.map((e) => e.claim(t)));
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]!.epoch).toBe(1);
    });

    it("a lease not renewed in time is lost: another holder claims it with a higher epoch, and the first cannot renew it back", async () => {
        const t = task();
        const a = await holder(1);
        const b = await holder(1);
        await a.register(t);
        const first = await a.claim(t);
        expect(first?.epoch).toBe(1);
        expect(await b.claim(t)).toBeNull();
        expect((await a.renew()).map((l) => l.taskId)).toContain(t);
        expect(a.stillHolds(0)).toBe(true);
        await sleep(1300);
        expect(a.stillHolds(0)).toBe(false);
        const second = await b.claim(t);
        expect(second?.epoch).toBe(2);
        expect((await a.renew()).map((l) => l.taskId)).not.toContain(t);
        // Released, the task is free at once; the next holder's epoch is higher still.
        await b.release(second!);
        expect((await a.claim(t))?.epoch).toBe(3);
    });

    it("one statement renews all of a holder's leases (500 tasks)", async () => {
        const e = await holder();
        const tasks = Array.from({ length: 500 }, task);
        for (const t of tasks) await e.register(t);
        for (const t of tasks) expect(await e.claim(t)).not.toBeNull();
        const renewed = await e.renew();
        expect(renewed.filter((l) => tasks.includes(l.taskId))).toHaveLength(500);
    });
});
