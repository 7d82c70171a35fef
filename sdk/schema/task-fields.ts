/**
 * What a change of each MigrationTask field does to a task that exists: one table, read by
 * the provider's diff (so `pulumi preview --diff` says update or replace, and why) and by
 * the engine's update (so the running task does what the preview said). A field missing
 * here is a failing unit test (test/unit/schema-fields.test.ts), not a silent default.
 */
import { isDeepStrictEqual } from "node:util";
import { valueAtPath } from "./common";

/**
 * - `live`: the running task uses the new value at once, without stopping.
 * - `restart`: the task stops and runs again from its checkpoint, re-running the phases the
 *   change affects (nothing already migrated is migrated again unless the change says so).
 * - `replace`: another task altogether; Pulumi replaces the resource.
 */
export type FieldBehaviour = "live" | "restart" | "replace";

export interface FieldPolicy {
    behaviour: FieldBehaviour;
    /** What the change does, as `pulumi preview --diff` and the task log tell it. */
    effect: string;
}

const live = (effect: string): FieldPolicy => ({ behaviour: "live", effect });
const restart = (effect: string): FieldPolicy => ({ behaviour: "restart", effect });
const replace = (effect: string): FieldPolicy => ({ behaviour: "replace", effect });

const remapped = "the task stops, prechecks and migrates (as migrationTypes says) each table the change adds or maps differently, then streams on from its checkpoint; a table's earlier destination table keeps its data";
const readByUp = "read by pulumi up only (how it waits); the running task is not touched";

/**
 * Policies by field path (`[]` for every element of an array). The most specific path that
 * covers a changed field decides: `objects[].tables[].dml` is live although `objects` restarts.
 */
export const taskFieldPolicies: Readonly<Record<string, FieldPolicy>> = {
    "source": restart("the task reconnects to the source with the new connection settings"),
    "source.connectionId": replace("another source is another migration: the task is released (its destination tables keep their data) and a new one created, which must not find its tables at the destination already"),
    "source.engine": replace("another source engine is another migration"),
    "destination": restart("the task reconnects to the destination with the new connection settings"),
    "destination.connectionId": replace("another destination is another migration: the task is released (the old destination keeps its data) and a new one migrates into the new destination"),
    "destination.engine": replace("another destination engine is another migration"),
    "migrationTypes": restart("the task keeps its tables and progress: without \"incremental\" its stream stops and the task completes; " +
        "with \"incremental\" added, the stream starts at the full load's binlog position (adding \"schema\" or \"full\" to an existing task is refused)"),
    "objects": restart(remapped),
    "objects[].dml": live("changes of these operations are applied, or passed over, from the next change on"),
    "objects[].ddl": live("statements of these operations are applied, or passed over, from the next statement on"),
    "objects[].tables[].dml": live("changes of these operations are applied, or passed over, from the next change on"),
    "objects[].tables[].ddl": live("statements of these operations are applied, or passed over, from the next statement on"),
    "dml": live("changes of these operations are applied, or passed over, from the next change on"),
    "ddl": live("statements of these operations are applied, or passed over, from the next statement on"),
    "conflictingTables": live("applies to tables prechecked and copied from now on"),
    "dirtyData": live("applies to rows refused from now on"),
    "nameCase": restart(remapped),
    "migrateEvents": restart("the step that migrates views, routines, triggers and events runs again (objects it created before are kept)"),
    "triggers": restart("the step that migrates views, routines, triggers and events runs again (triggers it created before are kept)"),
    "unsupportedNewTables": live("applies to tables the source creates from now on"),
    "onlineDdl": restart("the stream restarts from its checkpoint"),
    "retry": live("the retry windows apply from the next failure on"),
    "throttle": live("the new rates apply from the next batch on"),
    "heartbeat": restart("the stream restarts from its checkpoint with the new heartbeat settings"),
    "tablestore": restart("the task restarts from its checkpoint with the new write settings"),
    "tablestore.concurrency": live("requests in flight from the next write on"),
    "tablestore.bucketCount": live("incremental writes are spread over the new number of ordered buckets from the next batch on"),
    "tablestore.queueSize": live("rows are gathered up to the new size before a write from the next write on"),
    "tablestore.writeMode": live("changes are written as the new mode says from the next batch on (rows already written keep their columns)"),
    "tablestore.batchMode": live("requests of the new kind from the next write on"),
    "tablestore.threadCount": restart("the full load restarts from its checkpoint with the new number of chunk writers"),
    "tablestore.temporal": replace("another encoding of dates and times is another migration: rows already written would keep the old one"),
    "objects[].tables[].tablestorePrimaryKey": replace("another primary key is another Tablestore table: the task is released and a new one migrates into tables that must not exist yet"),
    "objects[].tables[].tablestoreTypes": replace("another column type is another Tablestore table: the task is released and a new one migrates into tables that must not exist yet"),
    "maxcompute": restart("the task restarts from its checkpoint with the new settings"),
    "maxcompute.baseSuffix": replace("other table names are other tables: the task is released and a new one migrates into tables that must not exist yet"),
    "maxcompute.logSuffix": replace("other table names are other tables: the task is released and a new one migrates into tables that must not exist yet"),
    "maxcompute.additionalColumnRule": replace("other additional columns are another _log table: the task is released and a new one migrates into tables that must not exist yet"),
    "maxcompute.incrementalPartitions": replace("other partition columns are another _log table: the task is released and a new one migrates into tables that must not exist yet"),
    "maxcompute.types": replace("other column types are other tables: the task is released and a new one migrates into tables that must not exist yet"),
    "floatPrecision": live("applies to rows read from now on (rows already migrated keep their digits)"),
    "alerting": live("alerts follow the new settings from now on"),
    "verification": restart("the verification runs again with the new settings"),
    "ignorePrecheckAlerts": restart("the precheck runs again if it had failed; a task past its precheck goes on"),
    "waitFor": live(readByUp),
    "waitTimeoutMinutes": live(readByUp),
    "caughtUpLatencySeconds": live(readByUp),
};

const rank: Record<FieldBehaviour, number> = { live: 0, restart: 1, replace: 2 };

/** `objects[2].tables[0].dml` → `objects[].tables[].dml`. */
export function fieldPattern(path: string): string {
    return path.replace(/\[\d+\]/g, "[]");
}

/** The policy of a field path, or undefined when the table does not cover it. */
export function fieldPolicy(path: string): (FieldPolicy & { field: string }) | undefined {
    let p = fieldPattern(path);
    for (;;) {
        const policy = taskFieldPolicies[p];
        if (policy) return { ...policy, field: p };
        const cut = Math.max(p.lastIndexOf("."), p.endsWith("[]") ? p.length - 2 : -1);
        if (cut <= 0) return undefined;
        p = p.slice(0, cut);
    }
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The paths where `next` differs from `prev`, down to the leaves: objects by key, arrays of
 * objects element by element (an element added or removed counts at the array itself, which
 * the nearest policy then covers), arrays of values as one value.
 */
export function changedFields(prev: unknown, next: unknown, path = ""): string[] {
    if (isDeepStrictEqual(prev, next)) return [];
    if (isRecord(prev) && isRecord(next)) {
        const keys = new Set([...Object.keys(prev), ...Object.keys(next)]);
        return [...keys].flatMap((k) => changedFields(prev[k], next[k], path ? `${path}.${k}` : k));
    }
    if (Array.isArray(prev) && Array.isArray(next) && prev.length === next.length && prev.some(isRecord)) {
        return prev.flatMap((v, i) => changedFields(v, next[i], `${path}[${i}]`));
    }
    return [path];
}

export interface FieldChange extends FieldPolicy {
    /** The changed field, e.g. `objects[0].tables[1].renameTo`. */
    path: string;
    /** The table entry that decided (`objects[].tables[].renameTo` falls under `objects`). */
    field: string;
}

/**
 * Every changed field with its policy; a field the table does not cover restarts the task
 * (the safe choice). A value that is `unknown` (Pulumi's placeholder during preview, e.g. a
 * connection being replaced) takes the strongest policy of any field under it, since it may
 * turn out to change any of them.
 */
export function classifyChanges(prev: unknown, next: unknown, options: { ignore?: readonly string[]; unknown?: unknown } = {}): FieldChange[] {
    const { ignore = [], unknown } = options;
    return changedFields(prev, next)
        .filter((p) => !ignore.includes(p.split(/[.[]/)[0]))
        .map((path) => {
            const policy = fieldPolicy(path);
            const own: FieldChange = policy
                ? { path, ...policy }
                : { path, field: fieldPattern(path), behaviour: "restart", effect: "the task restarts from its checkpoint" };
            if (unknown === undefined || valueAtPath(next, path.match(/[^.[\]]+/g) ?? []) !== unknown) return own;
            const pattern = fieldPattern(path);
            const below = Object.entries(taskFieldPolicies)
                .filter(([f]) => f.startsWith(pattern + ".") || f.startsWith(pattern + "["))
                .sort(([, a], [, b]) => rank[b.behaviour] - rank[a.behaviour])[0];
            return below && rank[below[1].behaviour] > rank[own.behaviour]
                ? { path, field: below[0], behaviour: below[1].behaviour, effect: `${below[1].effect} (${path} is not known until it is created or updated, so it may change)` }
                : own;
        });
}

/** The strongest behaviour among changes: one replace replaces, one restart restarts. */
export function strongest(changes: readonly FieldChange[]): FieldBehaviour | undefined {
    let out: FieldBehaviour | undefined;
    for (const c of changes) if (out === undefined || rank[c.behaviour] > rank[out]) out = c.behaviour;
    return out;
}
