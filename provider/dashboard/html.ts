/**
 * Markup from engine text. Everything the page shows comes from the engine's statuses
 * (table names, error messages, SQL statements from the source's binlog), any of which
 * can hold `<`, `&` or quotes: every value goes through esc, and the page's CSP refuses
 * inline scripts besides, so a value that slipped through could not run.
 */
export function esc(value: string | number): string {
    return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function fmtInt(n: number): string {
    return Math.round(n).toLocaleString("en-US");
}

/** Latency as the CLI prints it: seconds, one decimal below a minute. */
export function fmtSeconds(s: number): string {
    if (s < 60) return `${Math.round(s * 10) / 10} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
    return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** Wall-clock time on the machine the dashboard runs on, which is the user's: the engine is local. */
export function fmtClock(ms: number, seconds = false): string {
    const d = new Date(ms);
    const two = (n: number) => String(n).padStart(2, "0");
    return `${two(d.getHours())}:${two(d.getMinutes())}${seconds ? `:${two(d.getSeconds())}` : ""}`;
}

export function fmtTimestamp(iso: string): string {
    const ms = Date.parse(iso);
    if (!Number.isFinite(ms)) return iso;
    const d = new Date(ms);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")} ${fmtClock(ms, true)}`;
}
