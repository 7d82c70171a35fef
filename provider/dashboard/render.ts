import { formatPosition } from "../engine/model";
import type { HistoryResult } from "../engine/metrics-history";
import type { PrecheckItem, TableProgress, TaskStatus } from "../engine/status";
import { renderLineChart } from "./charts";
import type { EngineSnapshot, TaskHistoryView, TaskView } from "./engine-snapshot";
import { esc, fmtClock, fmtInt, fmtSeconds, fmtTimestamp } from "./html";

/**
 * The page's content, rendered on the server from an engine snapshot: the page's script
 * only fetches it again every few seconds. data-* attributes carry the raw values next to
 * their formatted text, for tests and for anyone scripting against the page.
 */

/** The charts span at least this much, so a task a few minutes old is not stretched over the width. */
const MIN_CHART_SPAN_MS = 5 * 60_000;

function fact(label: string, value: string, attr?: string): string {
    return `<div class="fact"${attr ? ` ${attr}` : ""}><dt>${esc(label)}</dt><dd>${value}</dd></div>`;
}

function tableRow(t: TableProgress): string {
    const est = Math.max(t.rowsEstimated, t.rowsCopied);
    const progress = t.state === "done" ? 1 : t.chunksTotal > 1 ? t.chunksDone / t.chunksTotal : est > 0 ? t.rowsCopied / est : 0;
    const pct = Math.round(Math.min(1, progress) * 100);
    return `<tr data-table="${esc(t.source)}" data-state="${esc(t.state)}" data-rows-copied="${t.rowsCopied}" data-rows-estimated="${t.rowsEstimated}" data-chunks-done="${t.chunksDone}" data-chunks-total="${t.chunksTotal}">` +
        `<td class="name">${esc(t.source)}</td><td class="name">${esc(t.target)}</td>` +
        `<td><span class="state state-${esc(t.state)}">${esc(t.state)}</span></td>` +
        `<td class="num rows-copied">${fmtInt(t.rowsCopied)}</td><td class="num">${fmtInt(t.rowsEstimated)}</td>` +
        `<td class="progress"><progress max="100" value="${pct}">${pct}%</progress> <span class="pct">${pct}%</span></td>` +
        `<td class="num">${fmtInt(t.chunksDone)} / ${fmtInt(t.chunksTotal)}</td>` +
        `</tr>` + (t.error ? `<tr class="table-error"><td colspan="7">${esc(t.error)}</td></tr>` : "");
}

function tablesSection(s: TaskStatus): string {
    if (!s.tables.length) return `<p class="muted">No tables yet (the precheck and the schema come first).</p>`;
    return `<table class="tables"><thead><tr><th>Source</th><th>Destination</th><th>State</th><th class="num">Rows copied</th>` +
        `<th class="num">Estimated</th><th>Progress</th><th class="num">Chunks</th></tr></thead><tbody>${s.tables.map(tableRow).join("")}</tbody></table>`;
}

/** Axis labels: grouped thousands, or three significant digits below (0.25 s, not 0.3). */
const tick = (v: number) => (v >= 1000 ? fmtInt(v) : String(Number(v.toPrecision(3))));

function chartsSection(h: TaskHistoryView, now: number): string {
    if (!h.ok) return `<p class="notice">${esc(h.why)}</p>`;
    const hist: HistoryResult = h.history;
    const from = Math.max(now - hist.keptSeconds * 1000, Math.min(hist.samples[0]?.t ?? now, now - MIN_CHART_SPAN_MS));
    const gapMs = hist.intervalSeconds * 1000 * 2.5;
    const empty = `no samples yet (the engine takes one every ${hist.intervalSeconds} s)`;
    const chart = (id: string, title: string, key: string, format: (v: number) => string, value: (p: HistoryResult["samples"][number]) => number | null) =>
        renderLineChart({ id, title, format, from, to: now, gapMs, empty, series: [{ name: key, key, points: hist.samples.map((p) => ({ t: p.t, v: value(p) })) }] });
    // Three charts, not one of changes and rows: a full load's rows/s would flatten the stream's changes/s to a line at zero.
    const charts = [
        chart("latency", "Latency (s)", "latency", tick, (p) => p.latencySeconds),
        chart("changes", "Stream: changes/s", "changes", tick, (p) => p.changesPerSecond),
        chart("rows", "Full load: rows/s", "rows", tick, (p) => p.rowsPerSecond),
    ];
    const span = `last ${fmtSeconds((now - from) / 1000)}, one sample every ${hist.intervalSeconds} s, kept ${hist.keptSeconds / 3600} h`;
    return `<div class="charts" data-samples="${hist.samples.length}">${charts.join("")}</div><p class="muted small">${esc(span)}</p>`;
}

function precheckItem(i: PrecheckItem): string {
    return `<tr class="outcome-${esc(i.outcome)}"><td><span class="state state-${esc(i.outcome)}">${esc(i.outcome)}${i.ignored ? " (ignored)" : ""}</span></td>` +
        `<td>${esc(i.title)}</td><td class="name">${esc(i.object ?? "")}</td><td>${esc(i.detail ?? "")}${i.fix ? `<div class="fix">Fix: ${esc(i.fix)}</div>` : ""}</td></tr>`;
}

function details(key: string, summary: string, body: string, open: boolean): string {
    return `<details data-key="${esc(key)}"${open ? " open" : ""}><summary>${summary}</summary>${body}</details>`;
}

function precheckSection(s: TaskStatus): string {
    const p = s.precheck;
    if (!p) return "";
    const problems = p.items.filter((i) => i.outcome !== "passed");
    const summary = `Precheck: ${p.passed ? "passed" : "failed"} (${p.items.length} checks${problems.length ? `, ${problems.length} not passed` : ""})`;
    // Problems first: they are what a reader opens the report for.
    const items = [...problems, ...p.items.filter((i) => i.outcome === "passed")];
    const body = `<table class="precheck"><thead><tr><th>Outcome</th><th>Check</th><th>Object</th><th>Detail</th></tr></thead><tbody>${items.map(precheckItem).join("")}</tbody></table>`;
    return details(`${s.taskId}:precheck`, esc(summary), body, !p.passed);
}

function dirtySection(s: TaskStatus): string {
    if (!s.dirtyRows && !s.dirtySample.length) return "";
    const rows = s.dirtySample.map((d) => `<tr><td class="name">${esc(d.table)}</td><td class="name">${esc(d.key)}</td><td>${esc(d.error)}</td></tr>`).join("");
    const body = `<p class="muted">The first ${s.dirtySample.length} of ${fmtInt(s.dirtyRows)} rows refused by the destination and skipped; all of them are in the task's dirty.jsonl.</p>` +
        `<table class="dirty"><thead><tr><th>Table</th><th>Key</th><th>Error</th></tr></thead><tbody>${rows}</tbody></table>`;
    return details(`${s.taskId}:dirty`, `Dirty data: ${fmtInt(s.dirtyRows)} rows skipped`, body, true);
}

function listSection(key: string, title: string, lines: string[], open: boolean): string {
    if (!lines.length) return "";
    return details(key, `${esc(title)} (${lines.length})`, `<ul class="lines">${lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>`, open);
}

function problems(s: TaskStatus, now: number): string {
    let out = "";
    if (s.error) out += `<div class="error" data-error><strong>Error:</strong> ${esc(s.error)}</div>`;
    if (s.retrying) {
        const left = Math.max(0, Math.round((Date.parse(s.retrying.windowEndsAt) - now) / 60_000));
        out += `<div class="warning" data-retrying><strong>Retrying</strong> (${esc(s.retrying.kind)} failure since ${esc(fmtTimestamp(s.retrying.since))}, attempt ${s.retrying.attempts}, ` +
            `${left} min left in the window): ${esc(s.retrying.error)}</div>`;
    }
    if (s.incremental?.heartbeatError) out += `<div class="warning"><strong>Heartbeat:</strong> ${esc(s.incremental.heartbeatError)}</div>`;
    return out;
}

function facts(s: TaskStatus): string {
    const inc = s.incremental;
    const out = [
        fact("Rows copied", fmtInt(s.rowsCopied), `data-rows-copied="${s.rowsCopied}"`),
        fact("Rows/s", fmtInt(s.rowsPerSecond)),
    ];
    if (s.snapshotPosition) out.push(fact("Snapshot", esc(formatPosition(s.snapshotPosition))));
    if (inc) {
        out.push(
            fact("Stream", inc.caughtUp ? "caught up" : "catching up", `data-caught-up="${inc.caughtUp}"`),
            fact("Latency", esc(fmtSeconds(inc.latencySeconds)) + (inc.heartbeatLagMs !== undefined ? ` <span class="muted">(heartbeat ${fmtInt(inc.heartbeatLagMs)} ms)</span>` : ""),
                `data-latency-seconds="${inc.latencySeconds}"`),
            fact("Changes applied", fmtInt(inc.changesApplied), `data-changes-applied="${inc.changesApplied}"`),
            fact("Changes/s", fmtInt(inc.changesPerSecond)),
            fact("Transactions", fmtInt(inc.transactionsApplied)),
        );
        if (inc.position) out.push(fact("Applied up to", esc(formatPosition(inc.position))));
        if (inc.sourcePosition) out.push(fact("Source at", esc(formatPosition(inc.sourcePosition))));
    }
    if (s.dirtyRows) out.push(fact("Dirty rows", fmtInt(s.dirtyRows)));
    return `<dl class="facts">${out.join("")}</dl>`;
}

export function renderTask(v: TaskView, now: number): string {
    const s = v.status;
    const times = `started ${fmtTimestamp(s.startedAt)} · updated ${fmtTimestamp(s.updatedAt)}${s.finishedAt ? ` · finished ${fmtTimestamp(s.finishedAt)}` : ""}`;
    return `<section class="task" id="task-${esc(s.taskId)}" data-task-id="${esc(s.taskId)}" data-phase="${esc(s.phase)}">` +
        `<header><h2 class="task-id">${esc(s.taskId)}</h2><span class="phase phase-${esc(s.phase)}">${esc(s.phase)}</span><span class="muted small">${esc(times)}</span></header>` +
        problems(s, now) + facts(s) + tablesSection(s) + chartsSection(v.history, now) +
        precheckSection(s) + dirtySection(s) +
        listSection(`${s.taskId}:notes`, "Notes", s.notes, true) +
        listSection(`${s.taskId}:skipped`, "Statements passed over by the stream", s.incremental?.skippedStatements ?? [], false) +
        `</section>`;
}

/** The content of <main>: what the page's script fetches again and swaps in. */
export function renderContent(snap: EngineSnapshot): string {
    const stamp = `<span class="muted small" data-generated-at="${snap.at}">as of ${fmtClock(snap.at, true)}</span>`;
    if (snap.state === "down") {
        return `<div class="engine engine-down" data-engine="down"><strong>Engine not running</strong> (home ${esc(snap.home)}). ` +
            `The dashboard does not start it; it shows the tasks once it runs (npx pulumi-dts engine start). ${stamp}</div>`;
    }
    if (snap.state === "error") {
        return `<div class="engine engine-error" data-engine="error"><strong>The engine cannot be read:</strong> ${esc(snap.error)} ${stamp}</div>`;
    }
    const count = `${snap.tasks.length} task${snap.tasks.length === 1 ? "" : "s"}`;
    const head = snap.state === "service"
        ? `<div class="engine" data-engine="service"><strong>Engine service</strong> ${esc(snap.endpoint)} · ${count} ${stamp}</div>`
        : `<div class="engine" data-engine="running" data-engine-pid="${snap.engine.pid}"><strong>Engine ${esc(snap.engine.version)}</strong> pid ${snap.engine.pid}` +
            `${snap.engine.supervisor !== undefined ? ` (supervisor ${snap.engine.supervisor})` : ""} · home ${esc(snap.home)} · ${count} ${stamp}</div>`;
    const nav = snap.tasks.length > 1
        ? `<nav class="tasks-nav">${snap.tasks.map((t) => `<a href="#task-${esc(t.status.taskId)}">${esc(t.status.taskId)} <span class="phase phase-${esc(t.status.phase)}">${esc(t.status.phase)}</span></a>`).join("")}</nav>`
        : "";
    const unreadable = snap.unreadable.map((u) => `<div class="error">Status not shown: ${esc(u)}</div>`).join("");
    const tasks = snap.tasks.length
        ? snap.tasks.map((t) => ("owner" in t ? `<p class="muted small" data-owner="${esc(t.owner ?? "")}">run by ${t.owner ? `replica ${esc(t.owner)}` : "no replica at the moment"}</p>` : "") + renderTask(t, snap.at)).join("")
        : `<p class="muted">The engine has no tasks.</p>`;
    return head + nav + unreadable + tasks;
}
