import type { TaskSpec } from "../../../sdk/schema/task";
import type { BinlogRowEvent, BinlogTransaction, RowImage } from "../../connectors/mysql/binlog-reader";
import { type BinlogValueConverter, binlogValueConverter } from "../../connectors/mysql/binlog-values";
import type { SourceRow, SourceValue, TableMapping } from "../model";

/**
 * Row changes in the destination's terms. Keyed tables are applied idempotently: an
 * insert or update becomes an upsert of the new image, a delete removes the key, and an
 * update that changes the key removes the old key first. Replaying a change that the
 * destination already holds (the full load's chunks are read after the stream's start
 * position) therefore leaves the row as the source has it. Tables without a usable key
 * get plain inserts and single-row deletes, which cannot be idempotent; the precheck
 * says so.
 */
export type RowChange =
    | { mapping: TableMapping; kind: "upsert"; row: SourceRow }
    | { mapping: TableMapping; kind: "delete"; row: SourceRow }
    /** Keyless tables only. */
    | { mapping: TableMapping; kind: "insert"; row: SourceRow };

export type DmlKind = "insert" | "update" | "delete";

/** How a mapped table's binlog images become rows, and which operations the task selected. */
interface TableStream {
    mapping: TableMapping;
    converters: BinlogValueConverter[];
    keyIndexes: number[] | null;
    dml: Set<DmlKind>;
}

/** The task's operation selection for a table: table, then database, then task level; all when none. */
export function dmlSelection(task: TaskSpec, mapping: TableMapping): Set<DmlKind> {
    const db = task.objects.find((o) => o.database === mapping.source.database);
    const t = db?.tables?.find((x) => x.name === mapping.source.name);
    return new Set(t?.dml ?? db?.dml ?? task.dml ?? ["insert", "update", "delete"]);
}

/** Turns binlog transactions into row changes of the selected tables. */
export class ChangeMapper {
    private readonly tables = new Map<string, TableStream>();

    constructor(mappings: TableMapping[], task: TaskSpec) {
        for (const m of mappings) {
            const keyIndexes = m.key ? m.key.map((k) => m.columns.findIndex((c) => c.source.name === k)) : null;
            this.tables.set(`${m.source.database}\u0000${m.source.name}`, {
                mapping: m,
                converters: m.columns.map((c) => binlogValueConverter(c.source, task.floatPrecision)),
                keyIndexes: keyIndexes && keyIndexes.every((i) => i >= 0) ? keyIndexes : null,
                dml: dmlSelection(task, m),
            });
        }
    }

    /** The zongji schema filter: only selected tables' rows are decoded. */
    include(): Record<string, string[]> {
        const out: Record<string, string[]> = {};
        for (const t of this.tables.values()) (out[t.mapping.source.database] ??= []).push(t.mapping.source.name);
        return out;
    }

    selected(database: string, table: string): TableMapping | undefined {
        return this.tables.get(`${database}\u0000${table}`)?.mapping;
    }

    changes(txs: BinlogTransaction[], out: RowChange[] = []): RowChange[] {
        for (const tx of txs) for (const ev of tx.rows) this.eventChanges(ev, out);
        return out;
    }

    private eventChanges(ev: BinlogRowEvent, out: RowChange[]): void {
        const t = this.tables.get(`${ev.database}\u0000${ev.table}`);
        if (!t || !t.dml.has(ev.kind)) return;
        const m = t.mapping;
        const row = (img: RowImage): SourceRow => m.columns.map((c, i) => t.converters[i](img[c.source.name]));
        for (const r of ev.rows) {
            if (ev.kind === "insert") {
                out.push({ mapping: m, kind: t.keyIndexes ? "upsert" : "insert", row: row(r.after!) });
            } else if (ev.kind === "delete") {
                out.push({ mapping: m, kind: "delete", row: row(r.before!) });
            } else {
                const before = row(r.before!);
                const after = row(r.after!);
                if (!t.keyIndexes) {
                    out.push({ mapping: m, kind: "delete", row: before }, { mapping: m, kind: "insert", row: after });
                } else if (!t.keyIndexes.every((i) => sameValue(before[i], after[i]))) {
                    // The key changed: the old key disappears, the new one appears (seed 002).
                    out.push({ mapping: m, kind: "delete", row: before }, { mapping: m, kind: "upsert", row: after });
                } else {
                    out.push({ mapping: m, kind: "upsert", row: after });
                }
            }
        }
    }
}

export function sameValue(a: SourceValue, b: SourceValue): boolean {
    if (a === null || b === null) return a === b;
    if (typeof a === "string" || typeof b === "string") return a === b;
    return a.equals(b);
}

/** The key of a row as one string, for de-duplicating a run of upserts (last image wins). */
export function keyString(row: SourceRow, keyIndexes: number[]): string {
    let s = "";
    for (const i of keyIndexes) {
        const v = row[i];
        s += (v === null ? "\u0000N" : typeof v === "string" ? `s${v}` : `b${v.toString("hex")}`) + "\u0001";
    }
    return s;
}

export function keyIndexesOf(m: TableMapping): number[] | null {
    if (!m.key) return null;
    const idx = m.key.map((k) => m.columns.findIndex((c) => c.source.name === k));
    return idx.every((i) => i >= 0) ? idx : null;
}
