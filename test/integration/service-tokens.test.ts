/**
 * Bearer tokens of the engine service (issue 10 §2) against the harness's PostgreSQL:
 * only hashes are stored, a scope keeps two live tokens for rotation, revoked and wrong
 * tokens are refused alike.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Client } from "pg";
import { TOKEN_TABLE, TokenStore } from "../../provider/service/tokens";

const pg = inject("postgres");

describe("service tokens", () => {
    let db: Client;
    beforeAll(async () => {
        db = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
        await db.connect();
        await TokenStore.ensureSchema(db);
    });
    afterAll(async () => {
        await db.query(`DELETE FROM ${TOKEN_TABLE} WHERE scope LIKE 'test-%'`);
        await db.end();
    });

    it("a token lets its holder in; the rows hold only its hash; a wrong or malformed one is refused", async () => {
        const tokens = new TokenStore(db);
        const scope = `test-${randomBytes(3).toString("hex")}`;
        const grant = await tokens.issue(scope);
        expect(await tokens.authenticate(`Bearer ${grant.token}`)).toEqual({ tokenId: grant.id, scope });
        const rows = await db.query(`SELECT * FROM ${TOKEN_TABLE} WHERE scope = $1`, [scope]);
        expect(JSON.stringify(rows.rows)).not.toContain(grant.token.slice(4));
        expect(await tokens.authenticate(`Bearer ${grant.token.slice(0, -1)}A`)).toBeNull();
        expect(await tokens.authenticate(grant.token)).toBeNull();
        expect(await tokens.authenticate(undefined)).toBeNull();
    });

    it("two live tokens per scope for rotation: a third revokes the oldest; a revoked token is refused", async () => {
        const tokens = new TokenStore(db);
        const scope = `test-${randomBytes(3).toString("hex")}`;
        const a = await tokens.issue(scope);
        const b = await tokens.issue(scope);
        expect(await tokens.authenticate(`Bearer ${a.token}`)).not.toBeNull();
        expect(await tokens.authenticate(`Bearer ${b.token}`)).not.toBeNull();
        const c = await tokens.issue(scope);
        expect(await tokens.authenticate(`Bearer ${a.token}`)).toBeNull();
        expect(await tokens.authenticate(`Bearer ${b.token}`)).not.toBeNull();
        await tokens.revoke(b.id);
        expect(await tokens.authenticate(`Bearer ${b.token}`)).toBeNull();
        expect(await tokens.authenticate(`Bearer ${c.token}`)).toEqual({ tokenId: c.id, scope });
    });
});
