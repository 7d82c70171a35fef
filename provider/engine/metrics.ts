import type { TaskStatus } from "./status";

/**
 * Task metrics in Prometheus' text exposition format, one series per task and phase: what
 * the local engine writes to metrics.prom and the service answers on /metrics.
 */
export function renderMetrics(all: readonly TaskStatus[]): string {
    const lines: string[] = [];
    const metric = (name: string, help: string, type: "gauge" | "counter", values: [TaskStatus, number | undefined][]) => {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
        for (const [s, v] of values) if (v !== undefined && Number.isFinite(v)) lines.push(`${name}{task="${s.taskId}",phase="${s.phase}"} ${v}`);
    };
    metric("pulumi_dts_rows_copied_total", "Rows copied by the full load.", "counter", all.map((s) => [s, s.rowsCopied]));
    metric("pulumi_dts_dirty_rows_total", "Rows refused by the destination and skipped (dirtyData skip).", "counter", all.map((s) => [s, s.dirtyRows]));
    metric("pulumi_dts_latency_seconds", "How far the destination is behind the source (incremental).", "gauge", all.map((s) => [s, s.incremental?.latencySeconds]));
    metric("pulumi_dts_heartbeat_lag_seconds", "Age of the last applied source heartbeat when it was applied.", "gauge",
        all.map((s) => [s, s.incremental?.heartbeatLagMs === undefined ? undefined : s.incremental.heartbeatLagMs / 1000]));
    metric("pulumi_dts_changes_applied_total", "Row changes applied by the incremental stream.", "counter", all.map((s) => [s, s.incremental?.changesApplied]));
    metric("pulumi_dts_caught_up", "1 when every transaction the source has logged is applied.", "gauge",
        all.map((s) => [s, s.incremental ? (s.incremental.caughtUp ? 1 : 0) : undefined]));
    metric("pulumi_dts_failed", "1 when the task has failed.", "gauge", all.map((s) => [s, s.phase === "failed" ? 1 : 0]));
    return lines.join("\n") + "\n";
}
