import type { TaskSpec } from "../../../sdk/schema/task";
import type { TableMapping } from "../../engine/model";
import type { PrecheckItem } from "../../engine/status";
import { CHECKPOINT_TABLE } from "./checkpoint-store";
import type { TablestoreClient } from "./client";
import { planTable, tablestoreKey } from "./table-plan";
import { TablestoreColumnTypeError, tablestoreNameProblem } from "./type-map";

/** Tables per instance, secondary indexes and time-series tables included (the service's quota). */
export const TABLES_PER_INSTANCE = 64;
const MAX_KEY_COLUMNS = 4;
const QUOTA_TITLE = "The instance holds at most 64 tables";

const sourceName = (m: TableMapping) => `${m.source.database}.${m.source.name}`;

function group(items: PrecheckItem[], passed: PrecheckItem): PrecheckItem[] {
    return items.length ? items : [passed];
}

/**
 * What Tablestore checks that SQL destinations do not (seed 000 and the service's limits,
 * research/tablestore.md §4): names it takes, the instance's table quota, a primary key of
 * 1 to 4 columns for every table, and a type for every column. Values over 1 KB in a key or
 * 2 MB elsewhere are looked for in the source's rows (the engine's value-sizes item).
 */
export async function tablestorePrecheck(client: TablestoreClient, mappings: TableMapping[], task: TaskSpec): Promise<PrecheckItem[]> {
    const names: PrecheckItem[] = [];
    const keys: PrecheckItem[] = [];
    const types: PrecheckItem[] = [];
    const seen = new Map<string, TableMapping>();
    const rename = "map it to a name Tablestore takes: objects[].tables[].renameTo for a table, objects[].tables[].columns[].renameTo for a column";
    for (const m of mappings) {
        const problem = tablestoreNameProblem(m.targetTable, "table");
        if (problem) names.push({ id: "destination-names", title: "Destination names follow Tablestore rules", outcome: "failed", object: sourceName(m), detail: `table name ${problem}`, fix: rename });
        const other = seen.get(m.targetTable);
        if (other) {
            names.push({
                id: "destination-names", title: "Destination names follow Tablestore rules", outcome: "failed", object: sourceName(m),
                detail: `${sourceName(m)} and ${sourceName(other)} both become Tablestore table ${m.targetTable} (an instance has no databases to keep them apart)`,
                fix: "give one of them another name with objects[].tables[].renameTo",
            });
        }
        seen.set(m.targetTable, m);
        const key = tablestoreKey(m, task);
        const keySet = new Set(key ?? []);
        for (const c of m.columns) {
            const p = tablestoreNameProblem(c.target, keySet.has(c.source.name) ? "primary-key" : "attribute");
            if (p) names.push({ id: "destination-names", title: "Destination names follow Tablestore rules", outcome: "failed", object: `${sourceName(m)}.${c.source.name}`, detail: `column name ${p}`, fix: rename });
        }
        if (!key || key.length === 0) {
            keys.push({
                id: "tablestore-primary-key", title: "Every table has a Tablestore primary key of 1 to 4 columns", outcome: "failed", object: sourceName(m),
                detail: "the table has no primary key and no NOT NULL unique key, and the task names none: a Tablestore table needs one",
                fix: "name its key columns in objects[].tables[].tablestorePrimaryKey (columns whose values are unique and never NULL), or add a primary key on the source",
            });
            continue;
        }
        if (key.length > MAX_KEY_COLUMNS) {
            keys.push({
                id: "tablestore-primary-key", title: "Every table has a Tablestore primary key of 1 to 4 columns", outcome: "failed", object: sourceName(m),
                detail: `the key has ${key.length} columns (${key.join(", ")}); Tablestore allows at most ${MAX_KEY_COLUMNS}`,
                fix: "name at most 4 columns that identify a row in objects[].tables[].tablestorePrimaryKey",
            });
            continue;
        }
        const missing = key.filter((k) => !m.columns.some((c) => c.source.name === k));
        if (missing.length) {
            keys.push({
                id: "tablestore-primary-key", title: "Every table has a Tablestore primary key of 1 to 4 columns", outcome: "failed", object: sourceName(m),
                detail: `tablestorePrimaryKey names ${missing.join(", ")}, which the table does not migrate`, fix: "name migrated columns of the table",
            });
            continue;
        }
        const unique = [m.source.primaryKey ?? [], ...m.source.indexes.filter((i) => i.unique).map((i) => i.columns.map((c) => c.name))]
            .some((u) => u.length > 0 && u.every((c) => keySet.has(c)));
        const nullable = key.filter((k) => m.source.columns.find((c) => c.name === k)?.nullable);
        if (!unique || nullable.length) {
            keys.push({
                id: "tablestore-primary-key", title: "Every table has a Tablestore primary key of 1 to 4 columns", outcome: "alert", object: sourceName(m),
                detail: [
                    !unique ? `no unique key of the source lies within (${key.join(", ")}): source rows with equal values become one Tablestore row, the last written` : "",
                    nullable.length ? `${nullable.join(", ")} may be NULL at the source: such rows are refused (dirty data), Tablestore keys have no NULL` : "",
                ].filter(Boolean).join("; "),
                fix: "choose columns that identify a row and are NOT NULL, or accept with ignorePrecheckAlerts: [\"tablestore-primary-key\"]",
            });
        }
        try {
            // Values over Tablestore's 1 KB / 2 MB are found in the source's rows (Destination.valueLimits, the value-sizes item).
            planTable(m, task);
        } catch (err) {
            if (!(err instanceof TablestoreColumnTypeError)) throw err;
            types.push({
                id: "destination-types", title: "Column types can be migrated to Tablestore", outcome: "failed", object: `${sourceName(m)}.${err.column}`,
                detail: `${err.columnType}: ${err.reason}`, fix: err.fix,
            });
        }
    }
    const existing = new Set(await client.listTables());
    const added = [...seen.keys()].filter((t) => !existing.has(t));
    const needsCheckpoint = task.migrationTypes.includes("incremental") && !existing.has(CHECKPOINT_TABLE);
    const total = existing.size + added.length + (needsCheckpoint ? 1 : 0);
    const quota: PrecheckItem = total > TABLES_PER_INSTANCE
        ? {
            id: "tablestore-table-quota", title: QUOTA_TITLE, outcome: "failed", object: "destination",
            detail: `the instance has ${existing.size} tables and the task adds ${added.length}${needsCheckpoint ? ` plus its checkpoint table ${CHECKPOINT_TABLE}` : ""}: ${total} in all`,
            fix: "migrate fewer tables in this task (or into another instance), or drop tables the instance no longer needs",
        }
        : { id: "tablestore-table-quota", title: QUOTA_TITLE, outcome: "passed", detail: `${total} of ${TABLES_PER_INSTANCE} after the migration` };
    return [
        ...group(names, { id: "destination-names", title: "Destination names follow Tablestore rules", outcome: "passed" }),
        ...group(keys, { id: "tablestore-primary-key", title: "Every table has a Tablestore primary key of 1 to 4 columns", outcome: "passed" }),
        ...group(types, { id: "destination-types", title: "Column types can be migrated to Tablestore", outcome: "passed" }),
        quota,
    ];
}
