import { esc } from "./html";

/**
 * The page's shell, stylesheet and script, served from the dashboard itself (no CDN, no
 * web font, nothing fetched from elsewhere: the page works offline). The script and the
 * styles are files of their own, not inline, so the CSP can refuse every inline script.
 */

export const REFRESH_MS = 5000;

export function renderPage(content: string): string {
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>pulumi-dts dashboard</title>
<link rel="stylesheet" href="/app.css"><script src="/app.js" defer></script></head>
<body data-refresh-ms="${REFRESH_MS}">
<header class="top"><h1>pulumi-dts <span class="muted">engine dashboard</span></h1><span id="refresh-state" class="muted small">read-only · refreshes every ${REFRESH_MS / 1000} s</span></header>
<main id="main">${content}</main>
<footer class="muted small">Read-only view of the local engine's tasks. Stop the dashboard with Ctrl-C where it runs.</footer>
</body></html>
`;
}

export function renderRefusal(title: string, text: string): string {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><link rel="stylesheet" href="/app.css"></head>` +
        `<body><main id="main"><h1>${esc(title)}</h1><p>${esc(text)}</p></main></body></html>\n`;
}

/**
 * Fetches the content again and swaps it in, keeping which sections the reader opened or
 * closed; a 401 (the dashboard restarted: its sessions are gone) stops the refreshes.
 */
export const PAGE_SCRIPT = `"use strict";
(function () {
    var main = document.getElementById("main");
    var state = document.getElementById("refresh-state");
    var every = Number(document.body.getAttribute("data-refresh-ms")) || 5000;
    function keys(selector) {
        var out = {};
        main.querySelectorAll(selector).forEach(function (d) { out[d.getAttribute("data-key")] = true; });
        return out;
    }
    function show(text, stale) {
        state.textContent = text;
        state.className = stale ? "stale small" : "muted small";
    }
    function refresh() {
        fetch("/fragment", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
            if (r.status === 401) {
                show("signed out (the dashboard was restarted?): open the link it prints", true);
                return;
            }
            if (!r.ok) throw new Error("HTTP " + r.status);
            return r.text().then(function (html) {
                var open = keys("details[open]");
                var closed = keys("details:not([open])");
                main.innerHTML = html;
                main.querySelectorAll("details").forEach(function (d) {
                    var k = d.getAttribute("data-key");
                    if (open[k]) d.open = true;
                    else if (closed[k]) d.open = false;
                });
                show("read-only · updated " + new Date().toLocaleTimeString(), false);
                setTimeout(refresh, every);
            });
        }).catch(function () {
            show("the dashboard does not answer (stopped?); trying again", true);
            setTimeout(refresh, every);
        });
    }
    setTimeout(refresh, every);
})();
`;

export const PAGE_STYLE = `
:root { color-scheme: light; --fg: #1d2430; --muted: #667085; --line: #d9dee7; --bg: #f6f7f9; --card: #fff;
  --ok: #1f7a3e; --warn: #9a6700; --bad: #b42318; --run: #175cd3; --latency: #b42318; --changes: #175cd3; --rows: #1f7a3e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; align-items: baseline; justify-content: space-between; padding: 12px 24px; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 17px; margin: 0 10px 0 0; }
main { padding: 16px 24px; max-width: 1280px; }
footer { padding: 8px 24px 24px; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.stale { color: var(--bad); font-size: 12px; }
.engine { padding: 10px 14px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; margin-bottom: 14px; }
.engine-down, .engine-error { border-color: var(--bad); }
.tasks-nav { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 14px; }
.tasks-nav a { text-decoration: none; color: var(--fg); background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
section.task { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 18px; }
section.task > header { display: flex; align-items: baseline; flex-wrap: wrap; gap: 8px; margin-bottom: 10px; }
.phase, .state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #eef1f6; }
.phase-running, .phase-migrating-full, .phase-migrating-schema, .phase-prechecking, .state-copying, .state-schema, .state-indexing { color: var(--run); background: #e8f0fe; }
.phase-completed, .state-done, .state-passed { color: var(--ok); background: #e7f6ec; }
.phase-failed, .phase-precheck-failed, .state-failed { color: var(--bad); background: #fdecea; }
.state-alert { color: var(--warn); background: #fff4d6; }
dl.facts { display: flex; flex-wrap: wrap; gap: 8px 22px; margin: 0 0 12px; }
.fact dt { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.fact dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.name { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; word-break: break-all; }
tr.table-error td { color: var(--bad); }
progress { width: 120px; height: 10px; vertical-align: middle; }
.pct { font-size: 12px; color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 6px; }
svg.chart { background: #fbfcfd; border: 1px solid var(--line); border-radius: 6px; max-width: 100%; height: auto; }
svg.chart .chart-title { font-size: 13px; font-weight: 600; fill: var(--fg); }
svg.chart .tick { font-size: 10px; fill: var(--muted); }
svg.chart .grid { stroke: #e6e9ef; stroke-width: 1; }
svg.chart .frame { fill: none; stroke: var(--line); }
svg.chart .empty { font-size: 12px; fill: var(--muted); }
svg.chart .legend text { font-size: 11px; fill: var(--fg); }
svg.chart .series polyline { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
.series-latency polyline { stroke: var(--latency); } .series-latency circle, .legend.series-latency rect { fill: var(--latency); }
.series-changes polyline { stroke: var(--changes); } .series-changes circle, .legend.series-changes rect { fill: var(--changes); }
.series-rows polyline { stroke: var(--rows); } .series-rows circle, .legend.series-rows rect { fill: var(--rows); }
details { margin: 8px 0; border-top: 1px solid var(--line); padding-top: 6px; }
summary { cursor: pointer; font-weight: 600; }
ul.lines { margin: 6px 0; padding-left: 20px; }
ul.lines li { margin: 2px 0; word-break: break-word; }
.error { color: var(--bad); background: #fdecea; border-radius: 6px; padding: 8px 10px; margin: 6px 0 10px; word-break: break-word; }
.warning { color: var(--warn); background: #fff4d6; border-radius: 6px; padding: 8px 10px; margin: 6px 0 10px; word-break: break-word; }
.notice { color: var(--muted); background: #eef1f6; border-radius: 6px; padding: 8px 10px; }
.fix { color: var(--muted); margin-top: 2px; }
`;
