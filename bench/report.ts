/** One timed run of one tool, verified at its destination. */
export interface RunResult {
    tool: string;
    /** Which comparison it belongs to (Tablestore has no peer: its runs are compared by engine CPU). */
    pair: "mysql-to-postgres" | "mysql-to-mysql" | "mysql-to-tablestore" | "mysql-to-maxcompute";
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
    /** Ours: CPU seconds of the engine process inside runTask (all its threads); null for peers or when unknown. */
    engineCpuSeconds?: number | null;
    /** Tablestore runs: CPU seconds of the local Tablestore server process during the run (for information). */
    fixtureCpuSeconds?: number | null;
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
    const cpu = tablestoreCpuComparison(results).find((c) => c.mode === "BulkImport");
    const cpuName = "MySQL->Tablestore engine CPU/row <= MySQL->PostgreSQL";
    const cpuTarget: Target = !cpu
        ? { name: cpuName, met: null, detail: "not measured (a Tablestore or PostgreSQL run missing)" }
        : cpu.failed
            ? { name: cpuName, met: null, detail: "not measured (a run failed)" }
            : { name: cpuName, met: cpu.ratio <= 1, detail: `${fmt(cpu.tablestore, 2)} s vs ${fmt(cpu.postgres, 2)} s per 100,000 rows = ${fmt(cpu.ratio, 2)}x (BulkImport; limit 1x)` };
    const peak = ours.length ? Math.max(...ours.map((r) => r.maxRssKb!)) / 1024 : null;
    const peakRun = ours.find((r) => r.maxRssKb! / 1024 === peak);
    return [
        ratioTarget("mysql-to-postgres", "MySQL->PostgreSQL wall time <= 0.5x pgloader", 0.5, "pgloader"),
        ratioTarget("mysql-to-mysql", "MySQL->MySQL wall time <= 0.85x mydumper+myloader", 0.85, "mydumper/myloader"),
        peak === null
            ? { name: "engine peak RSS < 256 MB", met: null, detail: "not measured" }
            : { name: "engine peak RSS < 256 MB", met: peak < 256, detail: `${fmt(peak, 0)} MB (largest of our runs: ${peakRun?.tool ?? "?"})` },
        ...(results.some((r) => r.pair === "mysql-to-tablestore") ? [cpuTarget] : []),
    ];
}

export function targetLines(ts: Target[]): string {
    const mark = (t: Target) => (t.met === null ? "not measured" : t.met ? "met" : "NOT met");
    const w = Math.max(...ts.map((t) => t.name.length));
    return ts.map((t) => `  ${t.name.padEnd(w)}  ${mark(t).padEnd(12)}  ${t.detail}`).join("\n");
}

/* ---------- MySQL -> Tablestore: no peer, so the engine's CPU per row against MySQL -> PostgreSQL ---------- */

export const cpuPer100k = (r: RunResult) => (r.engineCpuSeconds ?? NaN) / r.rows * 100_000;

export interface CpuComparison {
    mode: string;
    /** Engine CPU seconds per 100,000 rows. */
    tablestore: number;
    postgres: number;
    ratio: number;
    failed: boolean;
}

/** Each primary Tablestore run against our primary MySQL -> PostgreSQL run of the same session. */
export function tablestoreCpuComparison(results: RunResult[]): CpuComparison[] {
    const pg = results.find((r) => r.pair === "mysql-to-postgres" && r.ours && r.primary);
    if (!pg || pg.engineCpuSeconds == null) return [];
    return results.filter((r) => r.pair === "mysql-to-tablestore" && r.primary && r.engineCpuSeconds != null).map((r) => ({
        mode: /BatchWriteRow/.test(r.tool) ? "BatchWriteRow" : "BulkImport",
        tablestore: cpuPer100k(r),
        postgres: cpuPer100k(pg),
        ratio: cpuPer100k(r) / cpuPer100k(pg),
        failed: r.problems.length > 0 || pg.problems.length > 0,
    }));
}

/** The MaxCompute full load against our MySQL -> PostgreSQL of the same session (issue 11 §5). */
export function maxcomputeLines(results: RunResult[]): string[] {
    const out: string[] = [];
    const pg = results.find((r) => r.pair === "mysql-to-postgres" && r.ours && r.primary);
    const per = (s: number | null | undefined, r: RunResult) => (s == null ? "n/a" : `${fmt(s, 2)} s = ${fmt(s / r.rows * 100_000, 3)} s per 100,000 rows`);
    for (const r of results.filter((x) => x.pair === "mysql-to-maxcompute")) {
        out.push(`  full load Tunnel upload ${r.rows.toLocaleString("en-US")} rows in ${fmt(r.wallSeconds, 2)} s = ${fmt(r.rows / r.wallSeconds, 0)} rows/s; ` +
            `engine CPU ${per(r.engineCpuSeconds, r)}; local server CPU ${per(r.fixtureCpuSeconds, r)} (information)${r.problems.length ? "  FAILED" : ""}`);
        if (pg && pg.engineCpuSeconds != null && r.engineCpuSeconds != null) {
            const ratio = cpuPer100k(r) / cpuPer100k(pg);
            out.push(`  engine CPU per 100,000 rows, MaxCompute vs PostgreSQL: ${fmt(cpuPer100k(r), 3)} s vs ${fmt(cpuPer100k(pg), 3)} s = ${fmt(ratio, 2)}x ` +
                `(target <= 1x: ${r.problems.length ? "not measured, the run failed" : ratio <= 1 ? "met" : "NOT met"})`);
        }
    }
    return out;
}

export function tablestoreLines(results: RunResult[]): string[] {
    const out: string[] = [];
    const pg = results.find((r) => r.pair === "mysql-to-postgres" && r.ours && r.primary);
    const per = (s: number | null | undefined, r: RunResult) => (s == null ? "n/a" : `${fmt(s, 2)} s = ${fmt(s / r.rows * 100_000, 3)} s per 100,000 rows`);
    for (const r of results.filter((x) => x.pair === "mysql-to-tablestore")) {
        out.push(`  full load ${r.tool.replace(/^ours \(MySQL->Tablestore, (.*)\)/, "$1").padEnd(14)} ${r.rows.toLocaleString("en-US")} rows in ${fmt(r.wallSeconds, 2)} s = ` +
            `${fmt(r.rows / r.wallSeconds, 0)} rows/s; engine CPU ${per(r.engineCpuSeconds, r)}; local server CPU ${per(r.fixtureCpuSeconds, r)} (information)` +
            `${r.problems.length ? "  FAILED" : ""}`);
    }
    if (pg) {
        out.push(`  full load MySQL->PostgreSQL ${pg.rows.toLocaleString("en-US")} rows in ${fmt(pg.wallSeconds, 2)} s = ${fmt(pg.rows / pg.wallSeconds, 0)} rows/s; ` +
            `engine CPU ${per(pg.engineCpuSeconds, pg)} (same session, for the comparison)`);
    }
    for (const c of tablestoreCpuComparison(results)) {
        out.push(`  engine CPU per 100,000 rows, Tablestore ${c.mode.padEnd(13)} vs PostgreSQL: ${fmt(c.tablestore, 3)} s vs ${fmt(c.postgres, 3)} s = ${fmt(c.ratio, 2)}x` +
            (c.mode === "BulkImport" ? ` (target <= 1x: ${c.failed ? "not measured, a run failed" : c.ratio <= 1 ? "met" : "NOT met"})` : " (information)"));
    }
    return out;
}
