import type { TaskSpec } from "../../../sdk/schema/task";
import type { TableMapping } from "../../engine/model";
import type { PrecheckItem } from "../../engine/status";
import { columnNameProblem, duplicateColumnProblems, logLayout, metadataConflicts, type NameProblem, type PartitionColumn, tableNameProblems } from "./names";
import { suffixesOf, typeOptionsOf } from "./table-plan";
import { typePrecheck } from "./type-map";

const sourceName = (m: TableMapping) => `${m.source.database}.${m.source.name}`;
const NAMES_TITLE = "Destination names follow MaxCompute rules";
const TYPES_TITLE = "Column types can be migrated to MaxCompute";
const META_TITLE = "The _log tables' additional columns do not clash with source columns";

function problem(p: NameProblem): { object: string; detail: string; fix: string } {
    return { object: p.column ? `${p.table}.${p.column}` : p.table, detail: p.reason, fix: p.fix };
}

/**
 * What MaxCompute checks that SQL destinations do not (seed 004, research maxcompute.md §4):
 * table names with their suffixes and column names it takes, two tables of a project not
 * mapped to one name, a type for every column that keeps its values (or the opt-in that
 * says how not to), and, with incremental migration, additional columns that do not clash.
 */
export function maxcomputePrecheck(mappings: TableMapping[], task: TaskSpec): PrecheckItem[] {
    const names: PrecheckItem[] = [];
    const types: PrecheckItem[] = [];
    const meta: PrecheckItem[] = [];
    const incremental = task.migrationTypes.includes("incremental");
    const rule = task.maxcompute?.additionalColumnRule ?? "new";
    const layout = logLayout(rule, (task.maxcompute?.incrementalPartitions ?? []) as PartitionColumn[]);
    const seen = new Map<string, TableMapping>();
    for (const m of mappings) {
        const source = sourceName(m);
        const other = seen.get(m.targetTable.toLowerCase());
        const problems = [
            ...tableNameProblems(source, m.targetTable, suffixesOf(task), incremental),
            ...m.columns.flatMap((c) => columnNameProblem(source, c.source.name, c.target) ?? []),
            ...duplicateColumnProblems(source, m.columns.map((c) => c.target)),
        ];
        for (const p of problems) names.push({ id: "destination-names", title: NAMES_TITLE, outcome: "failed", ...problem(p) });
        if (other) {
            names.push({
                id: "destination-names", title: NAMES_TITLE, outcome: "failed", object: source,
                detail: `${source} and ${sourceName(other)} both become MaxCompute table ${m.targetTable} (a project has no databases to keep them apart; names are case-insensitive)`,
                fix: "give one of them another name with objects[].tables[].renameTo",
            });
        }
        seen.set(m.targetTable.toLowerCase(), m);
        for (const e of typePrecheck(m.columns.map((c) => c.source), typeOptionsOf(task))) {
            types.push({ id: "destination-types", title: TYPES_TITLE, outcome: "failed", object: `${source}.${e.column}`, detail: `${e.columnType}: ${e.reason}`, fix: e.fix });
        }
        if (incremental) {
            for (const p of metadataConflicts(source, m.columns.map((c) => c.target), layout, rule)) meta.push({ id: "maxcompute-additional-columns", title: META_TITLE, outcome: "failed", ...problem(p) });
        }
    }
    if (!names.length) names.push({ id: "destination-names", title: NAMES_TITLE, outcome: "passed" });
    if (!types.length) types.push({ id: "destination-types", title: TYPES_TITLE, outcome: "passed" });
    if (incremental && !meta.length) meta.push({ id: "maxcompute-additional-columns", title: META_TITLE, outcome: "passed" });
    return [...names, ...types, ...meta];
}
