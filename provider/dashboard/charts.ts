import { esc, fmtClock } from "./html";

/**
 * Line charts as inline SVG, drawn on the server: the page loads no script library, no
 * CDN and no font, so it works offline, and the markup is testable as text.
 */

export interface ChartPoint {
    t: number;
    /** null: no value then (no stream during a full load); the line breaks there. */
    v: number | null;
}

export interface ChartSeries {
    /** Legend text. */
    name: string;
    /** Names the series in the markup (data-series) and picks its colour in the stylesheet. */
    key: string;
    points: ChartPoint[];
}

export interface LineChart {
    /** Names the chart in the markup (data-chart). */
    id: string;
    title: string;
    /** Formats a value for the y axis. */
    format: (v: number) => string;
    series: ChartSeries[];
    from: number;
    to: number;
    /** Consecutive points further apart than this are not joined (the engine was down). */
    gapMs: number;
    /** Shown instead of lines when there is no point. */
    empty: string;
}

const W = 380;
const H = 190;
const PAD = { left: 52, right: 12, top: 30, bottom: 24 };

/** 1, 2 or 5 times a power of ten, at least `v`: round tick labels. */
export function niceCeil(v: number): number {
    if (!(v > 0)) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
}

/** Runs of consecutive points with values, split where a value is missing or the engine was away. */
export function segments(points: readonly ChartPoint[], gapMs: number): { t: number; v: number }[][] {
    const out: { t: number; v: number }[][] = [];
    let run: { t: number; v: number }[] = [];
    let last: number | undefined;
    for (const p of points) {
        if (p.v === null || (last !== undefined && p.t - last > gapMs)) {
            if (run.length) out.push(run);
            run = [];
        }
        if (p.v !== null) run.push({ t: p.t, v: p.v });
        last = p.t;
    }
    if (run.length) out.push(run);
    return out;
}

function timeTicks(from: number, to: number): number[] {
    const span = to - from;
    const steps = [60_000, 5 * 60_000, 10 * 60_000, 15 * 60_000, 30 * 60_000, 3_600_000, 2 * 3_600_000];
    const step = steps.find((s) => span / s <= 6) ?? 3_600_000 * Math.ceil(span / 6 / 3_600_000);
    const ticks: number[] = [];
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
    return ticks;
}

export function renderLineChart(c: LineChart): string {
    const plotW = W - PAD.left - PAD.right;
    const plotH = H - PAD.top - PAD.bottom;
    const all = c.series.flatMap((s) => s.points.filter((p) => p.v !== null && p.t >= c.from).map((p) => p.v as number));
    const yMax = niceCeil(Math.max(0, ...all));
    const x = (t: number) => PAD.left + ((t - c.from) / Math.max(1, c.to - c.from)) * plotW;
    const y = (v: number) => PAD.top + plotH - (Math.min(v, yMax) / yMax) * plotH;
    const n = (v: number) => v.toFixed(1);
    const parts: string[] = [];
    parts.push(`<title>${esc(c.title)}</title>`);
    parts.push(`<text class="chart-title" x="${PAD.left}" y="16">${esc(c.title)}</text>`);
    for (let i = 0; i <= 4; i++) {
        const v = (yMax * i) / 4;
        parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${n(y(v))}" y2="${n(y(v))}"/>`);
        parts.push(`<text class="tick" x="${PAD.left - 6}" y="${n(y(v) + 4)}" text-anchor="end">${esc(c.format(v))}</text>`);
    }
    for (const t of timeTicks(c.from, c.to)) {
        parts.push(`<line class="grid" x1="${n(x(t))}" x2="${n(x(t))}" y1="${PAD.top}" y2="${PAD.top + plotH}"/>`);
        parts.push(`<text class="tick" x="${n(x(t))}" y="${H - 6}" text-anchor="middle">${fmtClock(t)}</text>`);
    }
    parts.push(`<rect class="frame" x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}"/>`);
    let legendX = W - PAD.right;
    // A lone series is named by the title.
    for (const s of c.series.length > 1 ? [...c.series].reverse() : []) {
        const label = esc(s.name);
        legendX -= 14 + s.name.length * 6.5;
        parts.push(`<g class="legend series-${esc(s.key)}"><rect x="${n(legendX)}" y="8" width="10" height="10"/><text x="${n(legendX + 14)}" y="17">${label}</text></g>`);
    }
    let drawn = 0;
    for (const s of c.series) {
        const shown = s.points.filter((p) => p.t >= c.from);
        const runs = segments(shown, c.gapMs);
        const count = runs.reduce((k, r) => k + r.length, 0);
        drawn += count;
        const lines = runs.map((r) => `<polyline points="${r.map((p) => `${n(x(p.t))},${n(y(p.v))}`).join(" ")}"/>`);
        // Markers make a short history (or a lone point between gaps) visible; a long one is a line.
        const marked = count <= 60 ? runs.flat() : runs.map((r) => r[r.length - 1]);
        const dots = marked.map((p) => `<circle cx="${n(x(p.t))}" cy="${n(y(p.v))}" r="2.5"/>`);
        parts.push(`<g class="series series-${esc(s.key)}" data-series="${esc(s.key)}" data-points="${count}">${lines.join("")}${dots.join("")}</g>`);
    }
    if (drawn === 0) parts.push(`<text class="empty" x="${PAD.left + plotW / 2}" y="${PAD.top + plotH / 2}" text-anchor="middle">${esc(c.empty)}</text>`);
    return `<svg class="chart" data-chart="${esc(c.id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(c.title)}" xmlns="http://www.w3.org/2000/svg">${parts.join("")}</svg>`;
}
