import { describe, expect, it } from "vitest";
import { niceCeil, renderLineChart, segments } from "../../provider/dashboard/charts";
import type { EngineSnapshot } from "../../provider/dashboard/engine-snapshot";
import { renderContent } from "../../provider/dashboard/render";
import { emptyIncrementalStatus, type TaskStatus } from "../../provider/engine/status";

const NOW = Date.parse("2025-03-01T12:00:00Z");

describe("charts", () => {
    it("round the y axis up to 1, 2 or 5 times a power of ten", () => {
        expect([0, 0.3, 1, 7, 12, 480, 20_001].map(niceCeil)).toEqual([1, 0.5, 1, 10, 20, 500, 50_000]);
    });

    it("break the line where a value is missing or the engine was away", () => {
        const pts = [{ t: 0, v: 1 }, { t: 10, v: 2 }, { t: 20, v: null }, { t: 30, v: 3 }, { t: 100, v: 4 }, { t: 110, v: 5 }];
        expect(segments(pts, 25).map((r) => r.map((p) => p.v))).toEqual([[1, 2], [3], [4, 5]]);
    });

    it("draw one point per sample in the window, and say so when there is none", () => {
        const points = Array.from({ length: 12 }, (_, i) => ({ t: NOW - (11 - i) * 10_000, v: i % 4 }));
        const svg = renderLineChart({ id: "latency", title: "Latency (s)", format: String, from: NOW - 60_000, to: NOW, gapMs: 25_000, empty: "none yet", series: [{ name: "latency", key: "latency", points }] });
        expect(svg).toMatch(/^<svg class="chart" data-chart="latency"/);
        expect(svg).toContain('data-points="7"');
        expect(/<polyline points="([^"]+)"/.exec(svg)![1].split(" ")).toHaveLength(7);
        expect(svg).not.toContain("none yet");
        const empty = renderLineChart({ id: "x", title: "X", format: String, from: NOW - 60_000, to: NOW, gapMs: 1, empty: "none yet", series: [{ name: "x", key: "x", points: [] }] });
        expect(empty).toContain('data-points="0"');
        expect(empty).toContain(">none yet</text>");
    });
});

function task(over: Partial<TaskStatus>): TaskStatus {
    return {
        taskId: "t1", phase: "running", tables: [], rowsCopied: 0, rowsPerSecond: 0, dirtyRows: 0, dirtySample: [], notes: [],
        startedAt: new Date(NOW - 3_600_000).toISOString(), updatedAt: new Date(NOW).toISOString(), ...over,
    };
}

function snapshot(status: TaskStatus): EngineSnapshot {
    return {
        state: "running", at: NOW, home: "/home/u/.pulumi-dts", engine: { pid: 42, version: "0.1.0", tasks: 1 }, unreadable: [],
        tasks: [{
            status,
            history: { ok: true, history: { taskId: status.taskId, intervalSeconds: 10, keptSeconds: 21_600, samples: [
                { t: NOW - 20_000, latencySeconds: null, changesPerSecond: 0, rowsPerSecond: 900 },
                { t: NOW - 10_000, latencySeconds: 1.5, changesPerSecond: 40, rowsPerSecond: 0 },
                { t: NOW, latencySeconds: 0.2, changesPerSecond: 35, rowsPerSecond: 0 },
            ] } },
        }],
    };
}

describe("the page's content", () => {
    it("shows tables, charts, precheck, dirty data, notes and errors, every engine text escaped", () => {
        const hostile = `<script>alert("x")</script>`;
        const html = renderContent(snapshot(task({
            tables: [{ source: `shop.${hostile}`, target: "shop.o", state: "copying", rowsCopied: 1500, rowsEstimated: 3000, chunksDone: 1, chunksTotal: 4 }],
            precheck: { passed: false, items: [
                { id: "a", title: "binlog format", outcome: "failed", object: "source", detail: `binlog_format is 'STATEMENT' & more`, fix: "SET GLOBAL binlog_format = ROW" },
                { id: "b", title: "privileges", outcome: "passed" },
            ] },
            incremental: { ...emptyIncrementalStatus(), latencySeconds: 1.5, changesApplied: 1234, changesPerSecond: 35 },
            dirtyRows: 3, dirtySample: [{ table: "shop.o", key: "id=7", error: `value too long for "note"` }],
            notes: [`note with ${hostile}`], error: `failed: ${hostile}`,
        })));
        expect(html).not.toContain("<script>");
        expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
        expect(html).toContain('data-rows-copied="1500"');
        expect(html).toContain('<progress max="100" value="25">');
        expect(html).toMatch(/<details data-key="t1:precheck" open><summary>Precheck: failed \(2 checks, 1 not passed\)/);
        expect(html).toContain("binlog_format is &#39;STATEMENT&#39; &amp; more");
        expect(html).toContain("Dirty data: 3 rows skipped");
        expect(html).toContain('data-changes-applied="1234"');
        for (const chart of ["latency", "changes", "rows"]) expect(html).toContain(`data-chart="${chart}"`);
        // The full-load sample has no latency: two latency points, three of the others.
        expect(html).toContain('data-series="latency" data-points="2"');
        expect(html).toContain('data-series="rows" data-points="3"');
    });

    it("says when the engine is down, and when it predates the history method", () => {
        expect(renderContent({ state: "down", at: NOW, home: "/h" })).toContain('data-engine="down"');
        const snap = snapshot(task({}));
        if (snap.state !== "running") throw new Error("unreachable");
        snap.tasks[0].history = { ok: false, why: "the running engine predates the history method: restart it" };
        expect(renderContent(snap)).toContain('<p class="notice">the running engine predates the history method: restart it</p>');
    });
});
