import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Queryable } from "./db";

/**
 * Bearer tokens of the engine service (issue 10 §2). A token is 256 random bits, shown once
 * when it is made; the control database keeps only its SHA-256, so its rows let nobody in.
 * Each token has a scope (say, a project or a stack); a scope has at most two live tokens,
 * so one can be rotated while the other still works: making a third revokes the oldest.
 */
export const TOKEN_TABLE = "dts_token";
const PREFIX = "dts_";
const LIVE_PER_SCOPE = 2;
const TOKEN_PATTERN = /^dts_[A-Za-z0-9_-]{43}$/;

/** A new token, not yet registered anywhere. */
export function newToken(): string {
    return PREFIX + randomBytes(32).toString("base64url");
}

export interface TokenGrant {
    /** The token itself: shown once, stored nowhere. */
    token: string;
    id: string;
    scope: string;
}

export interface Caller {
    tokenId: string;
    scope: string;
}

const hash = (token: string) => createHash("sha256").update(token).digest();

export class TokenStore {
    constructor(private readonly db: Queryable) {}

    static async ensureSchema(db: Queryable): Promise<void> {
        await db.query(`CREATE TABLE IF NOT EXISTS ${TOKEN_TABLE} (
            id text PRIMARY KEY, scope text NOT NULL, sha256 bytea NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT clock_timestamp(), revoked_at timestamptz)`);
    }

    /** A new token for the scope; the oldest live one is revoked when the scope would have more than two. */
    async issue(scope: string): Promise<TokenGrant> {
        const token = newToken();
        return { token, ...(await this.add(token, scope)) };
    }

    /**
     * Registers a token made elsewhere (the service's bootstrap token, from a Kubernetes
     * Secret): idempotent, by its digest. Its scope follows the same two-live rule.
     */
    async register(token: string, scope: string): Promise<{ id: string; scope: string }> {
        if (!TOKEN_PATTERN.test(token)) throw new Error(`a token is "dts_" and 43 base64url characters (make one with npx pulumi-dts service token new), not a ${token.length}-character string`);
        return this.add(token, scope);
    }

    /** One statement (the stores share a pool: no transaction spans two of its connections). */
    private async add(token: string, scope: string): Promise<{ id: string; scope: string }> {
        const id = randomBytes(6).toString("hex");
        const r = await this.db.query<{ id: string }>(
            `WITH added AS (
                 INSERT INTO ${TOKEN_TABLE} (id, scope, sha256) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING RETURNING id),
             revoked AS (
                 UPDATE ${TOKEN_TABLE} SET revoked_at = clock_timestamp()
                 WHERE EXISTS (SELECT 1 FROM added) AND scope = $2 AND revoked_at IS NULL AND id NOT IN (
                     SELECT id FROM ${TOKEN_TABLE} WHERE scope = $2 AND revoked_at IS NULL ORDER BY created_at DESC LIMIT ${LIVE_PER_SCOPE - 1}))
             SELECT id FROM added UNION ALL SELECT id FROM ${TOKEN_TABLE} WHERE sha256 = $3 AND NOT EXISTS (SELECT 1 FROM added)`,
            [id, scope, hash(token)]);
        return { id: r.rows[0]?.id ?? id, scope };
    }

    async revoke(id: string): Promise<void> {
        await this.db.query(`UPDATE ${TOKEN_TABLE} SET revoked_at = clock_timestamp() WHERE id = $1 AND revoked_at IS NULL`, [id]);
    }

    /** Who an `Authorization: Bearer …` header names, or null: unknown, revoked or malformed tokens all look the same. */
    async authenticate(header: string | undefined): Promise<Caller | null> {
        const m = /^Bearer (dts_[A-Za-z0-9_-]{43})$/.exec(header ?? "");
        if (!m) return null;
        const digest = hash(m[1]);
        const r = await this.db.query<{ id: string; scope: string; sha256: Buffer }>(
            `SELECT id, scope, sha256 FROM ${TOKEN_TABLE} WHERE sha256 = $1 AND revoked_at IS NULL`, [digest]);
        const row = r.rows[0];
        // The lookup is by the digest; compare it again in constant time rather than trust the index's equality.
        return row && timingSafeEqual(row.sha256, digest) ? { tokenId: row.id, scope: row.scope } : null;
    }
}
