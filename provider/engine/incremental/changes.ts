import type { TaskSpec } from "../../../sdk/schema/task";
import type { BinlogRowEvent, BinlogTransaction, RowImage } from "../../connectors/mysql/source/binlog-reader";
import { type BinlogValueConverter, binlogValueConverter, UndecodableValueError } from "../../connectors/mysql/source/binlog-values";
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
    | { mapping: TableMapping; kind: "upsert"; row: SourceRow; image?: SourceRow }
    | { mapping: TableMapping; kind: "delete"; row: SourceRow }
    /** Keyless tables only. */
    | { mapping: TableMapping; kind: "insert"; row: SourceRow; image?: SourceRow };

export type DmlKind = "insert" | "update" | "delete";

/** How a mapped table's binlog images become rows, and which operations the task selected. */
interface TableStream {
    mapping: TableMapping;
    converters: BinlogValueConverter[];
    /** Tables with a row filter: converters for every source column, so the filter can read any of them. */
    imageConverters: BinlogValueConverter[] | null;
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
    /** The task the table streams were built for: a reconfigured task rebuilds them (dml, floatPrecision are live fields). */
    private builtFor: TaskSpec;

    /**
     * @param onRejected called for a row image with a value that cannot be represented
     * exactly (dirty data: throws under the "block" policy); `keyRow` holds the key columns.
     */
    constructor(mappings: TableMapping[], private readonly taskNow: () => TaskSpec, private readonly onRejected?: (mapping: TableMapping, keyRow: SourceRow, reason: string) => void) {
        this.builtFor = taskNow();
        for (const m of mappings) this.set(m);
    }

    /** The task as it is now; when it was reconfigured, every table stream is rebuilt first. */
    private current(): TaskSpec {
        const now = this.taskNow();
        if (now !== this.builtFor) {
            this.builtFor = now;
            for (const t of [...this.tables.values()]) this.set(t.mapping);
        }
        return now;
    }

    /** Adds or replaces a table's mapping (after DDL changed it, or when a resumed stream restores one). */
    set(m: TableMapping): void {
        const task = this.current();
        const keyIndexes = m.key ? m.key.map((k) => m.columns.findIndex((c) => c.source.name === k)) : null;
        this.tables.set(`${m.source.database}\u0000${m.source.name}`, {
            mapping: m,
            converters: m.columns.map((c) => binlogValueConverter(c.source, task.floatPrecision)),
            imageConverters: m.where ? m.source.columns.map((c) => binlogValueConverter(c, { float: 38, double: 308 })) : null,
            keyIndexes: keyIndexes && keyIndexes.every((i) => i >= 0) ? keyIndexes : null,
            dml: dmlSelection(task, m),
        });
    }

    /** Every table the stream follows. */
    all(): TableMapping[] {
        return [...this.tables.values()].map((t) => t.mapping);
    }

    /** Stops following a table (DROP TABLE, or renamed away). */
    remove(database: string, table: string): void {
        this.tables.delete(`${database}\u0000${table}`);
    }

    /** The zongji schema filter: only selected tables' rows are decoded. */
    include(): Record<string, string[] | true> {
        const out: Record<string, string[] | true> = {};
        for (const t of this.tables.values()) {
            const db = t.mapping.source.database;
            const list = out[db];
            if (list !== true) out[db] = [...(list ?? []), t.mapping.source.name];
        }
        // Whole databases: tables created later are decoded from their first row on, before
        // the stream reaches their CREATE TABLE (the reader runs ahead of the applier).
        for (const o of this.current().objects) if (!o.tables) out[o.database] = true;
        return out;
    }

    selected(database: string, table: string): TableMapping | undefined {
        return this.tables.get(`${database}\u0000${table}`)?.mapping;
    }

    changes(txs: BinlogTransaction[], out: RowChange[] = []): RowChange[] {
        this.current();
        for (const tx of txs) for (const ev of tx.rows) this.eventChanges(ev, out);
        return out;
    }

    private eventChanges(ev: BinlogRowEvent, out: RowChange[]): void {
        const t = this.tables.get(`${ev.database}\u0000${ev.table}`);
        if (!t || !t.dml.has(ev.kind)) return;
        const m = t.mapping;
        const row = (img: RowImage): SourceRow => m.columns.map((c, i) => t.converters[i](img[c.source.name]));
        const image = (img: RowImage): SourceRow | undefined => t.imageConverters?.map((f, i) => f(img[m.source.columns[i].name]));
        for (const r of ev.rows) {
            try {
                this.rowChanges(t, ev.kind, r, row, image, out);
            } catch (err) {
                if (!(err instanceof UndecodableValueError) || !this.onRejected) throw err;
                const img = r.after ?? r.before!;
                const keyRow = m.columns.map((c, i) => {
                    if (!t.keyIndexes?.includes(i)) return null;
                    try { return t.converters[i](img[c.source.name]); } catch { return null; }
                });
                this.onRejected(m, keyRow, err.message);
            }
        }
    }

    private rowChanges(
        t: TableStream, kind: BinlogRowEvent["kind"], r: BinlogRowEvent["rows"][number],
        row: (img: RowImage) => SourceRow, image: (img: RowImage) => SourceRow | undefined, out: RowChange[],
    ): void {
        const m = t.mapping;
        if (kind === "insert") {
            out.push({ mapping: m, kind: t.keyIndexes ? "upsert" : "insert", row: row(r.after!), image: image(r.after!) });
            return;
        }
        if (kind === "delete") {
            out.push({ mapping: m, kind: "delete", row: row(r.before!) });
            return;
        }
        const before = row(r.before!);
        const after = row(r.after!);
        const img = image(r.after!);
        if (!t.keyIndexes) {
            out.push({ mapping: m, kind: "delete", row: before }, { mapping: m, kind: "insert", row: after, image: img });
        } else if (!t.keyIndexes.every((i) => sameValue(before[i], after[i]))) {
            // The key changed: the old key disappears, the new one appears (seed 002).
            out.push({ mapping: m, kind: "delete", row: before }, { mapping: m, kind: "upsert", row: after, image: img });
        } else {
            out.push({ mapping: m, kind: "upsert", row: after, image: img });
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

/** Consecutive changes of one kind to one table: what a sink writes with one set-based statement. */
export function runsOf(changes: RowChange[]): RowChange[][] {
    const runs: RowChange[][] = [];
    let start = 0;
    for (let i = 1; i <= changes.length; i++) {
        if (i === changes.length || changes[i].mapping !== changes[start].mapping || changes[i].kind !== changes[start].kind) {
            runs.push(changes.slice(start, i));
            start = i;
        }
    }
    return runs;
}

export function keyIndexesOf(m: TableMapping): number[] | null {
    if (!m.key) return null;
    const idx = m.key.map((k) => m.columns.findIndex((c) => c.source.name === k));
    return idx.every((i) => i >= 0) ? idx : null;
}

/** Evaluates a table's row filter on full row images (the source server does it: filter-eval.ts). */
export type FilterEvaluator = (mapping: TableMapping, images: SourceRow[]) => Promise<boolean[]>;

/**
 * Applies the tables' row filters (the task's `where`) to the stream. Only the new image
 * is judged: a row that satisfies the filter is upserted (it may just have entered the
 * filter); a keyed row that does not is deleted by key at the destination (it may just
 * have left it; deleting an absent key is harmless); a keyless row that does not is not
 * inserted. Deletes pass unchanged, as deleting a row that was never copied changes
 * nothing. The destination thus holds exactly the source rows the filter selects, as
 * after a full load.
 */
export async function applyRowFilters(changes: RowChange[], evaluate: FilterEvaluator): Promise<RowChange[]> {
    const pending = new Map<TableMapping, number[]>();
    changes.forEach((c, i) => {
        if (c.kind !== "delete" && c.image) {
            const list = pending.get(c.mapping) ?? [];
            list.push(i);
            pending.set(c.mapping, list);
        }
    });
    if (pending.size === 0) return changes;
    const drop = new Set<number>();
    for (const [m, idx] of pending) {
        const ok = await evaluate(m, idx.map((i) => changes[i].kind === "delete" ? [] : (changes[i] as { image: SourceRow }).image));
        idx.forEach((ci, j) => {
            if (ok[j]) return;
            const c = changes[ci];
            if (c.kind === "upsert") changes[ci] = { mapping: c.mapping, kind: "delete", row: c.row };
            else drop.add(ci);
        });
    }
    return drop.size ? changes.filter((_, i) => !drop.has(i)) : changes;
}

/**
 * The net effect of a batch of changes that is applied atomically: for each keyed row only
 * its last change matters (an upsert of the final image, or a delete), so the batch becomes
 * one delete set and one upsert set per table, i.e. two set-based statements per table
 * instead of one per run of same-kind changes. Deletes go first, so a key that moved to
 * another row is free again before the upserts. Keyless tables keep their changes in order.
 * A batch whose net form the destination refuses (a unique value that moved between rows
 * through an intermediate step, a foreign key) is applied again in source order.
 */
export function netEffect(changes: RowChange[]): RowChange[] {
    const last = new Map<TableMapping, Map<string, RowChange>>();
    const keys = new Map<TableMapping, number[] | null>();
    const ordered: RowChange[] = [];
    for (const c of changes) {
        let idx = keys.get(c.mapping);
        if (idx === undefined) {
            idx = c.mapping.key ? keyIndexesOf(c.mapping) : null;
            keys.set(c.mapping, idx);
        }
        if (!idx || c.kind === "insert") {
            ordered.push(c);
            continue;
        }
        let m = last.get(c.mapping);
        if (!m) last.set(c.mapping, (m = new Map()));
        const k = keyString(c.row, idx);
        m.delete(k);
        m.set(k, c);
    }
    const out: RowChange[] = [];
    for (const m of last.values()) for (const c of m.values()) if (c.kind === "delete") out.push(c);
    for (const m of last.values()) for (const c of m.values()) if (c.kind !== "delete") out.push(c);
    out.push(...ordered);
    return out;
}
