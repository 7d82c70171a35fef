/**
 * While a task retries, its status says what failed and when the retry window ends; a
 * failure no retry can fix (refused credentials) fails the task at once, in the runner as in
 * the stream, since both use one classification (provider/engine/retry.ts).
 */
import { createServer } from "node:net";
import { afterAll, describe, expect, inject, it } from "vitest";
import { connectionArgsSchema } from "../../sdk/schema/connection";
import { mariaConnection, removeHome, startTask, waitForStatus } from "../harness/engine-run";
import type { TaskRunner } from "../../provider/engine/task-runner";

const maria = inject("mariadb");
const pg = inject("postgres");

async function closedPort(): Promise<number> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    return port;
}

describe("retrying, as the status shows it", () => {
    const runners: { runner: TaskRunner; home: string }[] = [];
    afterAll(async () => {
        for (const { runner, home } of runners) {
            await runner.stop();
            removeHome(home);
        }
    });

    it("an unreachable destination: retrying with the error and the end of the connection window; progress clears it", async () => {
        const port = await closedPort();
        const dest = { ...connectionArgsSchema.parse({ engine: "postgresql", host: "127.0.0.1", port, user: pg.user, password: "s3cret-pw", database: pg.database }), connectionId: "dst" };
        const run = startTask(mariaConnection(maria), dest, {
            migrationTypes: ["schema"], objects: [{ database: "mysql", tables: [{ name: "db" }] }], retry: { connectionMinutes: 15, otherMinutes: 3 },
        });
        runners.push(run);
        const s = await waitForStatus(run.runner, (x) => x.retrying !== undefined, 30_000);
        expect(s.phase).toBe("prechecking");
        expect(s.retrying!.kind).toBe("connection");
        expect(s.retrying!.error).toMatch(/^connect to destination: /);
        expect(s.retrying!.error).not.toContain("s3cret-pw");
        expect(Date.parse(s.retrying!.windowEndsAt) - Date.parse(s.retrying!.since)).toBe(15 * 60_000);
        expect(run.store.readStatus()?.retrying?.kind).toBe("connection");
    });

    it("refused credentials fail the task at once, never retried", async () => {
        const dest = { ...connectionArgsSchema.parse({ engine: "postgresql", host: pg.host, port: pg.port, user: pg.user, password: "wrong-password", database: pg.database }), connectionId: "dst" };
        const run = startTask(mariaConnection(maria), dest, { migrationTypes: ["schema"], objects: [{ database: "mysql", tables: [{ name: "db" }] }] });
        runners.push(run);
        const deadline = Date.now() + 30_000;
        while (run.runner.status.phase !== "failed" && Date.now() < deadline) {
            expect(run.runner.status.retrying).toBeUndefined();
            await new Promise((r) => setTimeout(r, 20));
        }
        expect(run.runner.status.phase).toBe("failed");
        expect(run.runner.status.error).toMatch(/password|auth/i);
    });
});
