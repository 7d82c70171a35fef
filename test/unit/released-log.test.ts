import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectionArgsSchema } from "../../sdk/schema/connection";
import { taskArgsSchema } from "../../sdk/schema/task";
import { type EngineHome, engineHome, ensureHome } from "../../provider/engine/home";
import { RELEASED_LOG_DAYS, RELEASED_LOGS_KEPT, TaskStore, unknownTaskMessage } from "../../provider/engine/task-store";

const password = "pw-Released-77";

function store(home: EngineHome, taskId: string): TaskStore {
    const s = new TaskStore(home, taskId);
    const conn = { ...connectionArgsSchema.parse({ engine: "mariadb", host: "127.0.0.1", port: 3306, user: "u", password }), connectionId: "c" };
    s.writeSpec({
        taskId,
        task: taskArgsSchema.parse({ source: { connectionId: "c", engine: "mariadb" }, destination: { connectionId: "c", engine: "mariadb" }, migrationTypes: ["full"], objects: [{ database: "d" }] }),
        source: conn,
        destination: conn,
    });
    return s;
}

describe("released task logs", () => {
    let dir: string;
    let home: EngineHome;

    beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), "dts-released-"));
        home = engineHome(dir);
        ensureHome(home);
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("keeps only the log, redacted with the spec's secrets, and findLog reads it as released", () => {
        const s = store(home, "t1");
        s.log("failed: the migration failed");
        s.log(`a line some code wrote unredacted: password=${password}`);
        s.appendDirty({ table: "d.t", key: "1", error: "refused" });
        const kept = s.removeKeepingLog();
        expect(kept).toBe(join(home.releasedDir, "t1.log"));
        expect(existsSync(s.dir)).toBe(false);
        expect(readdirSync(home.releasedDir)).toEqual(["t1.log"]);
        const text = readFileSync(kept!, "utf8");
        expect(text).not.toContain(password);
        expect(text).toContain("password=[secret]");

        const log = TaskStore.findLog(home, "t1", 1)!;
        expect(log.state).toBe("released");
        expect(log.lines).toHaveLength(1);
        expect(log.lines[0]).toContain("password=[secret]");
        expect(Date.parse(log.releasedAt!)).toBeGreaterThan(Date.now() - 60_000);
        expect(TaskStore.findLog(home, "t2")).toBeUndefined();
    });

    it("a task back under a released id is read live, not from the kept log", () => {
        store(home, "t1").removeKeepingLog();
        const s = store(home, "t1");
        s.log("again");
        expect(TaskStore.findLog(home, "t1")).toMatchObject({ state: "live", lines: [expect.stringContaining("again")] });
    });

    it("a task without a log is removed without a kept one", () => {
        const s = store(home, "quiet");
        expect(s.removeKeepingLog()).toBeUndefined();
        expect(existsSync(s.dir)).toBe(false);
        expect(TaskStore.released(home)).toEqual([]);
    });

    it(`prunes kept logs older than ${RELEASED_LOG_DAYS} days and beyond the newest ${RELEASED_LOGS_KEPT}`, () => {
        store(home, "anchor").log("x");
        const old = Date.now() / 1000 - (RELEASED_LOG_DAYS + 1) * 86_400;
        const recent = Date.now() / 1000 - 3600;
        mkdirSync(home.releasedDir);
        writeFileSync(join(home.releasedDir, "stale.log"), "x\n");
        utimesSync(join(home.releasedDir, "stale.log"), old, old);
        for (let i = 0; i < RELEASED_LOGS_KEPT + 5; i++) {
            const p = join(home.releasedDir, `r${i}.log`);
            writeFileSync(p, "x\n");
            utimesSync(p, recent - i, recent - i);
        }
        new TaskStore(home, "anchor").removeKeepingLog();
        const left = TaskStore.released(home);
        expect(left).toHaveLength(RELEASED_LOGS_KEPT);
        expect(left[0]).toBe("anchor");
        expect(left).not.toContain("stale");
        expect(left).not.toContain(`r${RELEASED_LOGS_KEPT + 4}`);
        expect(unknownTaskMessage(home, "zz")).toMatch(/^no task zz in the engine home .*; known tasks: none; released tasks with kept logs: anchor, /);
    });
});
