/** One timed run of one tool, verified at its destination. */
export interface RunResult {
    tool: string;
    /** Which comparison it belongs to. */
    pair: "mysql-to-postgres" | "mysql-to-mysql";
    /** True for our engine, false for a peer. */
    ours: boolean;
    /** Runs that count toward the issue's targets (the informational variants do not). */
    primary: boolean;
    wallSeconds: number;
    rows: number;
    sourceBytes: number;
    maxRssKb: number | null;
    /**
     * CPU the rest of the machine used during the run, in cores (busy CPU seconds minus the
     * tool's and our servers', over wall seconds); null if not measurable.
     */
    otherLoadCores: number | null;
    /** Empty when the tool exited 0 and the destination matched the source. */
    problems: string[];
    details: string[];
}

export interface Target {
    name: string;
    /** null: not measured (say why in `detail`). */
    met: boolean | null;
    detail: string;
}

const MB = 1024 * 1024;

function pad(cells: string[][]): string {
    const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
    return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
}

const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A run during which something else on the machine used more than a fifth of a core. */
export const CONTENDED_CORES = 0.2;
export const contended = (r: RunResult) => r.otherLoadCores !== null && r.otherLoadCores > CONTENDED_CORES;

export function peerOf(results: RunResult[], r: RunResult): RunResult | undefined {
    return results.find((p) => p.pair === r.pair && !p.ours && p.primary);
}

export function resultsTable(results: RunResult[]): string {
    const rows: string[][] = [["tool", "wall s", "rows/s", "MB/s", "peak RSS MB", "ours/peer wall", "other load", "ok"]];
    for (const r of results) {
        const peer = r.ours ? peerOf(results, r) : undefined;
        rows.push([
            r.tool,
            fmt(r.wallSeconds, 2),
            fmt(r.rows / r.wallSeconds, 0),
            fmt(r.sourceBytes / MB / r.wallSeconds, 1),
            r.maxRssKb === null ? "n/a" : fmt(r.maxRssKb / 1024, 0),
            peer ? `${fmt(r.wallSeconds / peer.wallSeconds, 2)}x` : r.ours ? "n/a" : "-",
            r.otherLoadCores === null ? "n/a" : `${fmt(r.otherLoadCores, 2)} cores${contended(r) ? " !" : ""}`,
            r.problems.length ? "FAILED" : "yes",
        ]);
    }
    return pad(rows);
}

export function targets(results: RunResult[]): Target[] {
    const ratioTarget = (pair: RunResult["pair"], name: string, limit: number, peerName: string): Target => {
        const ours = results.find((r) => r.pair === pair && r.ours && r.primary);
        const peer = results.find((r) => r.pair === pair && !r.ours && r.primary);
        if (!ours || !peer) return { name, met: null, detail: `not measured (${!peer ? `${peerName} not available` : "our run missing"})` };
        if (ours.problems.length || peer.problems.length) return { name, met: null, detail: "not measured (a run failed)" };
        const ratio = ours.wallSeconds / peer.wallSeconds;
        return {
            name, met: ratio <= limit,
            detail: `${fmt(ours.wallSeconds, 2)} s vs ${fmt(peer.wallSeconds, 2)} s = ${fmt(ratio, 2)}x (limit ${limit}x)`,
        };
    };
    const ours = results.filter((r) => r.ours && r.maxRssKb !== null);
    const peak = ours.length ? Math.max(...ours.map((r) => r.maxRssKb!)) / 1024 : null;
    return [
        ratioTarget("mysql-to-postgres", "MySQL->PostgreSQL wall time <= 0.5x pgloader", 0.5, "pgloader"),
        ratioTarget("mysql-to-mysql", "MySQL->MySQL wall time <= 0.85x mydumper+myloader", 0.85, "mydumper/myloader"),
        peak === null
            ? { name: "engine peak RSS < 256 MB", met: null, detail: "not measured" }
            : { name: "engine peak RSS < 256 MB", met: peak < 256, detail: `${fmt(peak, 0)} MB (largest of our runs)` },
    ];
}

export function targetLines(ts: Target[]): string {
    const mark = (t: Target) => (t.met === null ? "not measured" : t.met ? "met" : "NOT met");
    const w = Math.max(...ts.map((t) => t.name.length));
    return ts.map((t) => `  ${t.name.padEnd(w)}  ${mark(t).padEnd(12)}  ${t.detail}`).join("\n");
}
