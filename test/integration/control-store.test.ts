/**
 * The engine service's control database (issue 10 §2) against the harness's PostgreSQL:
 * idempotent creation by task id, an optimistic generation that refuses an update made
 * against an older one, secrets unreadable in the rows without the master key, release.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Client } from "pg";
import { connectionArgsSchema } from "../../sdk/schema/connection";
import { taskArgsSchema } from "../../sdk/schema/task";
import { ControlStore, GenerationConflictError, TASK_TABLE } from "../../provider/service/control-store";
import { SealedSecretError } from "../../provider/service/sealed-secrets";
import type { EngineTaskSpec } from "../../provider/engine/task-store";

const pg = inject("postgres");

function spec(taskId: string, password = "pw-Control-1"): EngineTaskSpec {
    return {
        taskId,
        task: taskArgsSchema.parse({ source: { connectionId: "s", engine: "mariadb" }, destination: { connectionId: "d", engine: "postgresql" }, migrationTypes: ["full"], objects: [{ database: "shop" }] }),
        source: { ...connectionArgsSchema.parse({ engine: "mariadb", host: "db", user: "u", password }), connectionId: "s" },
        destination: { ...connectionArgsSchema.parse({ engine: "postgresql", host: "pg", user: "u", password: "pw-Control-2", database: "app" }), connectionId: "d" },
    };
}

describe("the control store", () => {
    let db: Client;
    const key = randomBytes(32);
    beforeAll(async () => {
        db = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await db.connect();
        await ControlStore.ensureSchema(db);
    });
    afterAll(async () => {
        await db.query(`DELETE FROM ${TASK_TABLE} WHERE task_id LIKE 'cs-%'`);
        await db.end();
    });

    it("creates a task once (a retried create is idempotent), updates only against the current generation", async () => {
        const store = new ControlStore(db, key);
        const id = `cs-${randomBytes(3).toString("hex")}`;
        expect(await store.put(spec(id))).toBe(1);
        expect(await store.put(spec(id))).toBe(1);
        await expect(store.put(spec(id, "other"))).rejects.toThrow(GenerationConflictError);
        expect(await store.put(spec(id, "pw-2"), 1)).toBe(2);
        // A second `pulumi up` that read generation 1 loses.
        await expect(store.put(spec(id, "pw-3"), 1)).rejects.toThrow(/changed meanwhile \(generation 2/);
        const got = await store.get(id);
        expect(got?.generation).toBe(2);
        expect(got?.spec.source).toMatchObject({ password: "pw-2" });
        expect(await store.release(id)).toBe(true);
        expect((await store.get(id))?.desired).toBe("released");
    });

    it("no secret is readable from the rows without the master key", async () => {
        const store = new ControlStore(db, key);
        const id = `cs-${randomBytes(3).toString("hex")}`;
        await store.put(spec(id));
        const raw = await db.query(`SELECT * FROM ${TASK_TABLE} WHERE task_id = $1`, [id]);
        const text = JSON.stringify(raw.rows);
        expect(text).not.toContain("pw-Control-1");
        expect(text).not.toContain("pw-Control-2");
        await expect(new ControlStore(db, randomBytes(32)).get(id)).rejects.toThrow(SealedSecretError);
    });
});
