import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type EngineHome, engineHome, ensureHome } from "../../provider/engine/home";
import {
    decodeHistory, encodeHistory, HISTORY_FILE, HISTORY_INTERVAL_MS, HISTORY_KEPT_MS, type HistorySample, MetricsHistory, TaskHistory,
} from "../../provider/engine/metrics-history";
import { emptyIncrementalStatus, type TaskStatus } from "../../provider/engine/status";

const T0 = Date.parse("2025-01-01T00:00:00Z");

function status(taskId: string, over: Partial<TaskStatus> = {}): TaskStatus {
    return {
        taskId, phase: "running", tables: [], rowsCopied: 0, rowsPerSecond: 0, dirtyRows: 0, dirtySample: [], notes: [],
        startedAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(), ...over,
    };
}

function streaming(taskId: string, changesApplied: number, latencySeconds: number, changesPerSecond = 0): TaskStatus {
    return status(taskId, { incremental: { ...emptyIncrementalStatus(), changesApplied, latencySeconds, changesPerSecond } });
}

describe("a task's history", () => {
    it("samples once per interval: rates from the counters over the interval, the worst latency seen in it", () => {
        const h = new TaskHistory([], 10_000, HISTORY_KEPT_MS);
        // The first reading makes a sample from the status's own rates.
        expect(h.observe(streaming("a", 100, 0, 7), T0)).toEqual({ t: T0, latencySeconds: 0, changesPerSecond: 7, rowsPerSecond: 0 });
        for (let s = 1; s < 10; s++) expect(h.observe(streaming("a", 100 + s * 50, s === 4 ? 3.5 : 0.2), T0 + s * 1000)).toBeUndefined();
        expect(h.observe(streaming("a", 600, 0.1), T0 + 10_000)).toEqual({ t: T0 + 10_000, latencySeconds: 3.5, changesPerSecond: 50, rowsPerSecond: 0 });
        expect(h.samples).toHaveLength(2);
    });

    it("has no latency during a full load, and its rows per second from rows copied", () => {
        const h = new TaskHistory([], 10_000, HISTORY_KEPT_MS);
        h.observe(status("a", { phase: "migrating-full", rowsCopied: 0, rowsPerSecond: 0 }), T0);
        const s = h.observe(status("a", { phase: "migrating-full", rowsCopied: 200_000, rowsPerSecond: 19_000 }), T0 + 10_000);
        expect(s).toEqual({ t: T0 + 10_000, latencySeconds: null, changesPerSecond: 0, rowsPerSecond: 20_000 });
    });

    it("takes the status's own rate when a counter went back (a table loaded again)", () => {
        const h = new TaskHistory([], 10_000, HISTORY_KEPT_MS);
        h.observe(status("a", { rowsCopied: 5000 }), T0);
        expect(h.observe(status("a", { rowsCopied: 100, rowsPerSecond: 42 }), T0 + 10_000)?.rowsPerSecond).toBe(42);
    });

    it("keeps six hours and no more", () => {
        const h = new TaskHistory([], HISTORY_INTERVAL_MS, HISTORY_KEPT_MS);
        const hours = 8;
        for (let t = T0; t <= T0 + hours * 3_600_000; t += 1000) h.observe(streaming("a", 0, 0), t);
        const end = T0 + hours * 3_600_000;
        expect(h.samples[0].t).toBeGreaterThanOrEqual(end - HISTORY_KEPT_MS);
        expect(h.samples[0].t).toBeLessThan(end - HISTORY_KEPT_MS + HISTORY_INTERVAL_MS);
        expect(h.samples.length).toBe(HISTORY_KEPT_MS / HISTORY_INTERVAL_MS + 1);
    });
});

describe("history.json", () => {
    const samples: HistorySample[] = [
        { t: T0, latencySeconds: null, changesPerSecond: 0, rowsPerSecond: 1200 },
        { t: T0 + 10_000, latencySeconds: 0.4, changesPerSecond: 35, rowsPerSecond: 0 },
    ];

    it("is versioned and reads back what it wrote", () => {
        const text = encodeHistory("a", samples);
        expect(JSON.parse(text)).toMatchObject({ version: 1, taskId: "a" });
        expect(decodeHistory(text, "a")).toEqual({ ok: true, samples });
    });

    it("refuses, saying where, a newer version, a damaged file, a file without a version, another task's file", () => {
        const newer = decodeHistory(JSON.stringify({ version: 2, taskId: "a", samples: [] }), "a");
        expect(newer).toMatchObject({ ok: false, problem: { kind: "newer-version", version: 2 } });
        expect(decodeHistory(encodeHistory("a", samples).slice(0, 30), "a")).toMatchObject({ ok: false, problem: { kind: "not-json" } });
        expect(decodeHistory(JSON.stringify({ taskId: "a", samples: [] }), "a")).toMatchObject({ ok: false, problem: { kind: "invalid", path: ["version"] } });
        const bad = decodeHistory(JSON.stringify({ version: 1, taskId: "a", samples: [[T0, "fast", 0, 0]] }), "a");
        expect(bad).toMatchObject({ ok: false, problem: { kind: "invalid", path: ["samples", 0, 1] } });
        expect(decodeHistory(encodeHistory("b", samples), "a")).toMatchObject({ ok: false, problem: { kind: "invalid", path: ["taskId"] } });
    });
});

describe("the engine's history", () => {
    let dir: string;
    let home: EngineHome;
    let warnings: string[];

    beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), "dts-history-"));
        home = engineHome(dir);
        ensureHome(home);
        warnings = [];
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const taskDir = (id: string) => join(home.tasksDir, id);
    const history = () => new MetricsHistory(home, { intervalMs: 10_000, warn: (l) => warnings.push(l) });

    it("survives a restart: a new engine reads the file the previous one wrote (owner-only)", () => {
        mkdirSync(taskDir("a"));
        const before = history();
        for (let s = 0; s <= 30; s++) before.observe(streaming("a", s * 10, 0), T0 + s * 1000);
        const written = before.result("a", T0 + 30_000).samples;
        expect(written).toHaveLength(4);
        expect(statSync(join(taskDir("a"), HISTORY_FILE)).mode & 0o777).toBe(0o600);

        const after = history();
        expect(after.result("a", T0 + 31_000).samples).toEqual(written);
        after.observe(streaming("a", 400, 0), T0 + 60_000);
        expect(after.result("a", T0 + 60_000).samples.map((s) => s.t)).toEqual([...written.map((s) => s.t), T0 + 60_000]);
        expect(warnings).toEqual([]);
    });

    it("starts afresh on a file it cannot read, and says so", () => {
        mkdirSync(taskDir("a"));
        writeFileSync(join(taskDir("a"), HISTORY_FILE), "{\"version\": 1, \"taskId\": \"a\", \"samples\": [[");
        const h = history();
        expect(h.result("a", T0).samples).toEqual([]);
        expect(warnings).toEqual([expect.stringMatching(/task a: history\.json .* cannot be read: not valid JSON.*; its charts start afresh/)]);
        h.observe(streaming("a", 0, 0), T0);
        expect(decodeHistory(readFileSync(join(taskDir("a"), HISTORY_FILE), "utf8"), "a")).toMatchObject({ ok: true, samples: [{ t: T0 }] });
    });

    it("does not bring back the directory of a released task", () => {
        const h = history();
        h.observe(streaming("gone", 0, 0), T0);
        expect(existsSync(taskDir("gone"))).toBe(false);
        h.forget("gone");
        expect(h.result("gone", T0).samples).toEqual([]);
    });
});
