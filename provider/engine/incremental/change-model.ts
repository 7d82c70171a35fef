import type { BinlogPosition, SourceRow, SourceValue, TableMapping } from "../model";

/**
 * The engine's row changes, in two shapes. A source produces SourceChanges: every fact a
 * destination may need. A destination says which shape it takes (ChangeShape):
 * - `log` destinations (a change table: MaxCompute's `_log`) take every SourceChange in
 *   source order, with both images;
 * - `state` destinations (SQL tables, Tablestore) keep only the rows' current state: they
 *   take StateChanges, which the engine derives per key and merges by net effect.
 */
export type ChangeShape = "state" | "log";

export type ChangeOperation = "insert" | "update" | "delete";

/** One row change as the source made it. Images hold the mapped columns, in mapping order. */
export interface SourceChange {
    mapping: TableMapping;
    op: ChangeOperation;
    /** The row before the change: update and delete. */
    before: SourceRow | null;
    /** The row after the change: insert and update. */
    after: SourceRow | null;
    /** Tables with a row filter: every source column of the new image, which the filter reads. */
    image?: SourceRow;
    /** End of the source transaction that made the change (where a resumed stream goes on). */
    position: BinlogPosition;
    /** Commit time of that transaction, ms since the epoch. */
    commitTime: number;
}

/**
 * A change to a destination that holds the rows' current state. Keyed tables are written
 * idempotently: an insert or update becomes an upsert of the new image, a delete removes
 * the key, and an update that changes the key removes the old key first. Replaying a
 * change the destination already holds (the full load's chunks are read after the
 * stream's start position) therefore leaves the row as the source has it. Tables without
 * a usable key get plain inserts and single-row deletes, which cannot be idempotent; the
 * precheck says so.
 */
export type StateChange =
    | { mapping: TableMapping; kind: "upsert"; row: SourceRow; image?: SourceRow }
    | { mapping: TableMapping; kind: "delete"; row: SourceRow }
    /** Keyless tables only. */
    | { mapping: TableMapping; kind: "insert"; row: SourceRow; image?: SourceRow };

export function keyIndexesOf(m: TableMapping): number[] | null {
    if (!m.key) return null;
    const idx = m.key.map((k) => m.columns.findIndex((c) => c.source.name === k));
    return idx.every((i) => i >= 0) ? idx : null;
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

/** The row a change concerns, for errors and the dirty-data log: the new image, else the old. */
export function changedRow(c: SourceChange): SourceRow {
    return (c.after ?? c.before)!;
}

/** What state destinations write for source changes, in source order (see StateChange). */
export function stateChanges(changes: SourceChange[], out: StateChange[] = []): StateChange[] {
    const keys = new Map<TableMapping, number[] | null>();
    for (const c of changes) {
        const m = c.mapping;
        let idx = keys.get(m);
        if (idx === undefined) keys.set(m, (idx = keyIndexesOf(m)));
        if (c.op === "insert") {
            out.push({ mapping: m, kind: idx ? "upsert" : "insert", row: c.after!, image: c.image });
        } else if (c.op === "delete") {
            out.push({ mapping: m, kind: "delete", row: c.before! });
        } else if (!idx) {
            out.push({ mapping: m, kind: "delete", row: c.before! }, { mapping: m, kind: "insert", row: c.after!, image: c.image });
        } else if (!idx.every((i) => sameValue(c.before![i], c.after![i]))) {
            // The key changed: the old key disappears, the new one appears (seed 002).
            out.push({ mapping: m, kind: "delete", row: c.before! }, { mapping: m, kind: "upsert", row: c.after!, image: c.image });
        } else {
            out.push({ mapping: m, kind: "upsert", row: c.after!, image: c.image });
        }
    }
    return out;
}

/** Consecutive changes of one kind to one table: what a sink writes with one set-based statement. */
export function runsOf(changes: StateChange[]): StateChange[][] {
    const runs: StateChange[][] = [];
    let start = 0;
    for (let i = 1; i <= changes.length; i++) {
        if (i === changes.length || changes[i].mapping !== changes[start].mapping || changes[i].kind !== changes[start].kind) {
            runs.push(changes.slice(start, i));
            start = i;
        }
    }
    return runs;
}

/** Evaluates a table's row filter on full row images (the source server does it). */
export type FilterEvaluator = (mapping: TableMapping, images: SourceRow[]) => Promise<boolean[]>;

/**
 * Applies the tables' row filters (the task's `where`) to state changes. Only the new
 * image is judged: a row that satisfies the filter is upserted (it may just have entered
 * the filter); a keyed row that does not is deleted by key at the destination (it may just
 * have left it; deleting an absent key is harmless); a keyless row that does not is not
 * inserted. Deletes pass unchanged, as deleting a row that was never copied changes
 * nothing. The destination thus holds exactly the source rows the filter selects, as
 * after a full load.
 */
export async function applyRowFilters(changes: StateChange[], evaluate: FilterEvaluator): Promise<StateChange[]> {
    const verdicts = await judge(changes, (c) => (c.kind !== "delete" ? c.image : undefined), evaluate);
    if (!verdicts) return changes;
    const out: StateChange[] = [];
    changes.forEach((c, i) => {
        if (verdicts.get(i) !== false) out.push(c);
        else if (c.kind === "upsert") out.push({ mapping: c.mapping, kind: "delete", row: c.row });
    });
    return out;
}

/**
 * Row filters for log destinations: a change is logged when its new image satisfies the
 * filter; deletes are logged as they come (the log says what happened at the source, and
 * a reader of it keeps or drops the deleted key as its rows say).
 */
export async function filterLog(changes: SourceChange[], evaluate: FilterEvaluator): Promise<SourceChange[]> {
    const verdicts = await judge(changes, (c) => (c.op !== "delete" ? c.image : undefined), evaluate);
    return verdicts ? changes.filter((_, i) => verdicts.get(i) !== false) : changes;
}

/** The filter's verdict per change index, for changes that carry an image; null when none does. */
async function judge<C extends { mapping: TableMapping }>(changes: C[], imageOf: (c: C) => SourceRow | undefined, evaluate: FilterEvaluator): Promise<Map<number, boolean> | null> {
    const pending = new Map<TableMapping, number[]>();
    changes.forEach((c, i) => {
        if (!imageOf(c)) return;
        const list = pending.get(c.mapping) ?? [];
        list.push(i);
        pending.set(c.mapping, list);
    });
    if (pending.size === 0) return null;
    const verdicts = new Map<number, boolean>();
    for (const [m, idx] of pending) {
        const ok = await evaluate(m, idx.map((i) => imageOf(changes[i])!));
        idx.forEach((ci, j) => verdicts.set(ci, ok[j]));
    }
    return verdicts;
}

/**
 * The net effect of a batch of state changes that is applied atomically: for each keyed
 * row only its last change matters (an upsert of the final image, or a delete), so the
 * batch becomes one delete set and one upsert set per table, i.e. two set-based statements
 * per table instead of one per run of same-kind changes. Deletes go first, so a key that
 * moved to another row is free again before the upserts. Keyless tables keep their
 * changes in order. A batch whose net form the destination refuses (a unique value that
 * moved between rows through an intermediate step, a foreign key) is applied again in
 * source order.
 */
export function netEffect(changes: StateChange[]): StateChange[] {
    const last = new Map<TableMapping, Map<string, StateChange>>();
    const keys = new Map<TableMapping, number[] | null>();
    const ordered: StateChange[] = [];
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
    const out: StateChange[] = [];
    for (const m of last.values()) for (const c of m.values()) if (c.kind === "delete") out.push(c);
    for (const m of last.values()) for (const c of m.values()) if (c.kind !== "delete") out.push(c);
    out.push(...ordered);
    return out;
}
