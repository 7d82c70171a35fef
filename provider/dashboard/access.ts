import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * Who may read the dashboard. A TCP port on 127.0.0.1 is open to every user of the
 * machine, unlike the engine's owner-only socket, so the dashboard asks for the same
 * proof as that socket: the per-home control token, which only the home's owner can read.
 *
 * - Scripts send it as `Authorization: Bearer <token>`.
 * - A browser gets a one-time login link from the dashboard process (which read the
 *   token), exchanged for a session cookie (HttpOnly, SameSite=Strict). The link is used
 *   up on first use and expires, so the URL left in the browser's history and in the
 *   terminal grants nothing, and the control token itself, which would also let its holder
 *   submit and release tasks, never reaches the browser.
 */

/** A login link is good this long, once. */
export const LOGIN_LINK_TTL_MS = 10 * 60_000;

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Digests first: equal lengths for timingSafeEqual, and no timing that tells how much of a guess was right. */
function sameSecret(expected: string, given: string): boolean {
    return timingSafeEqual(digest(expected), digest(given));
}

/** Codes and sessions are kept by digest: a lookup's timing tells nothing of the secret. */
const key = (secret: string) => digest(secret).toString("hex");

function cookies(header: string | undefined): Map<string, string> {
    const out = new Map<string, string>();
    for (const part of (header ?? "").split(";")) {
        const eq = part.indexOf("=");
        if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    return out;
}

export class DashboardAccess {
    private readonly codes = new Map<string, number>();
    private readonly sessions = new Set<string>();
    /** Cookies are per host, not per port: two dashboards on 127.0.0.1 (two homes) must not overwrite each other's. */
    readonly cookieName: string;

    constructor(private readonly controlToken: string, port: number, private readonly now: () => number = Date.now) {
        this.cookieName = `pulumi_dts_dashboard_${port}`;
    }

    /** A code for one login, valid LOGIN_LINK_TTL_MS. */
    issueLoginCode(): string {
        const code = randomBytes(24).toString("base64url");
        const t = this.now();
        for (const [k, expires] of this.codes) if (expires <= t) this.codes.delete(k);
        this.codes.set(key(code), t + LOGIN_LINK_TTL_MS);
        return code;
    }

    /** Uses up a login code; returns the new session's Set-Cookie value, or undefined for a code that is unknown, used or expired. */
    redeem(code: string | null): string | undefined {
        if (!code) return undefined;
        const k = key(code);
        const expires = this.codes.get(k);
        this.codes.delete(k);
        if (expires === undefined || expires <= this.now()) return undefined;
        const session = randomBytes(32).toString("base64url");
        this.sessions.add(key(session));
        // No Max-Age: the session ends with the browser, and with this process (sessions are in memory).
        return `${this.cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`;
    }

    /** A bearer of the control token (scripts). */
    holdsToken(headers: IncomingHttpHeaders): boolean {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "");
        return m !== null && sameSecret(this.controlToken, m[1]);
    }

    authorized(headers: IncomingHttpHeaders): boolean {
        if (this.holdsToken(headers)) return true;
        const session = cookies(headers.cookie).get(this.cookieName);
        return session !== undefined && this.sessions.has(key(session));
    }
}
