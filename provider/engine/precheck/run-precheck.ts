import type { TaskSpec } from "../../../sdk/schema/task";
import type { Destination, OversizedColumn, ValueLimits } from "../destination";
import type { TableMapping } from "../model";
import type { PrecheckItem, PrecheckReport } from "../status";
import type { Source } from "../source";

async function conflictingTables(dest: Destination, task: TaskSpec, mappings: TableMapping[]): Promise<PrecheckItem[]> {
    const items: PrecheckItem[] = [];
    const seen = new Map<string, TableMapping>();
    for (const m of mappings) {
        const key = `${m.targetSchema}.${m.targetTable}`.toLowerCase();
        const other = seen.get(key);
        if (other) {
            items.push({
                id: "destination-names", title: "Each table has its own destination", outcome: "failed", object: `${m.targetSchema}.${m.targetTable}`,
                detail: `${other.source.database}.${other.source.name} and ${m.source.database}.${m.source.name} would both write to it`,
                fix: "give one of them another renameTo (table or database)",
            });
        }
        seen.set(key, m);
    }
    const withSchema = task.migrationTypes.includes("schema");
    for (const m of mappings) {
        const stored = dest.storedTable?.(m, task) ?? { schema: m.targetSchema, table: m.targetTable };
        const exists = await dest.tableExists(stored.schema, stored.table);
        const object = `${stored.schema}.${stored.table}`;
        if (!withSchema && !exists) {
            items.push({
                id: "destination-tables-exist", title: "Destination tables exist (no schema migration)", outcome: "failed", object,
                detail: "schema migration is not selected, so the destination table must exist before the task starts",
                fix: "create the table at the destination, or add \"schema\" to migrationTypes",
            });
        } else if (withSchema && exists && task.conflictingTables === "precheck-and-report") {
            const rows = await dest.countRows(stored.schema, stored.table);
            items.push({
                id: "conflicting-tables", title: "No conflicting destination tables", outcome: "failed", object,
                detail: `the destination already has ${object} (${rows} rows), the destination of ${m.source.database}.${m.source.name}`,
                fix: "map the table to another name with renameTo, drop or rename the destination table, or set conflictingTables: \"ignore-and-proceed\" (existing rows are kept on key conflicts)",
            });
        }
    }
    if (!items.some((i) => i.id === "conflicting-tables")) {
        items.push({
            id: "conflicting-tables", title: "No conflicting destination tables", outcome: "passed",
            ...(task.conflictingTables === "ignore-and-proceed" ? { detail: "not checked: conflictingTables is ignore-and-proceed" } : {}),
        });
    }
    return items;
}

/** Applies ignorePrecheckAlerts: the alert stays in the report, marked ignored, and no longer blocks. */
function settle(items: PrecheckItem[], task: TaskSpec): PrecheckReport {
    const ignore = task.ignorePrecheckAlerts;
    for (const item of items) {
        if (item.outcome === "alert" && (ignore === "all" || ignore.includes(item.id))) item.ignored = true;
    }
    const passed = items.every((i) => i.outcome === "passed" || (i.outcome === "alert" && i.ignored));
    return { passed, items };
}

export interface PrecheckInputs {
    task: TaskSpec;
    source: Source;
    destination: Destination;
    mappings: TableMapping[];
    /** Selection problems found while resolving objects. */
    selectionProblems: PrecheckItem[];
    /** Row filters the source rejected, by mapping. */
    filterErrors: Map<TableMapping, string>;
    /** NOT NULL temporal columns (`db.table.column`) holding zero dates, where the destination cannot keep them. */
    zeroDateColumns: string[];
    /** Columns holding values over the destination's limits (Destination.valueLimits). */
    oversized: OversizedColumn[];
}

/** Rows whose values the destination cannot hold: they would be refused one by one as dirty data. */
function oversizedValues(columns: OversizedColumn[], limits: ValueLimits | undefined): PrecheckItem[] {
    const title = "Values fit the destination's size limits";
    if (!limits) return [];
    if (columns.length === 0) return [{ id: "value-sizes", title, outcome: "passed", detail: `no value over ${limits.keyBytes} bytes in a key column or ${limits.valueBytes} bytes in another` }];
    return columns.map((c) => ({
        id: "value-sizes", title, outcome: "alert" as const, object: c.column,
        detail: `a value of ${c.bytes} bytes is over the destination's ${c.limit === "key" ? `${limits.keyBytes}-byte limit for key values` : `${limits.valueBytes}-byte limit per value`}: ` +
            "such rows are refused as dirty data (dirtyData: \"skip\" records them, \"block\" stops the task at the first)",
        fix: "shorten those values on the source, leave the column out (objects[].tables[].columns), or accept with ignorePrecheckAlerts: [\"value-sizes\"]",
    }));
}

/** DTS's precheck: every item is passed, alert or failed; failed items and unaccepted alerts block. */
export async function runPrecheck(p: PrecheckInputs): Promise<PrecheckReport> {
    const facts = p.source.facts;
    const items: PrecheckItem[] = [
        { id: "source-connectivity", title: "Source is reachable", outcome: "passed", detail: `${facts.flavour} ${facts.serverVersion}` },
        ...p.selectionProblems,
        ...p.source.precheck({ task: p.task, mappings: p.mappings, filterErrors: p.filterErrors, zeroDateColumns: p.zeroDateColumns }),
    ];
    const destFacts = await p.destination.facts();
    items.push({ id: "destination-connectivity", title: "Destination is reachable", outcome: "passed", detail: `${destFacts.flavour} ${destFacts.serverVersion}` });
    items.push(...(await p.destination.precheck(p.mappings, p.task)));
    items.push(...oversizedValues(p.oversized, p.destination.valueLimits));
    items.push(...(await conflictingTables(p.destination, p.task, p.mappings)));
    return settle(items, p.task);
}

/** One line per blocking item, for error messages (pulumi up) and logs. */
export function describeBlocking(report: PrecheckReport): string {
    return report.items
        .filter((i) => i.outcome === "failed" || (i.outcome === "alert" && !i.ignored))
        .map((i) => `[${i.outcome}] ${i.title}${i.object ? ` (${i.object})` : ""}: ${i.detail ?? ""}${i.fix ? ` Fix: ${i.fix}` : ""}`)
        .join("\n");
}
