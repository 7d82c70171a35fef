import type { DdlTranslation, DdlTranslator } from "../../engine/ddl-translator";
import { applyCase } from "../../engine/mapping";
import type { SourceColumn } from "../../engine/model";
import { UntranslatableDdlError } from "../../engine/schema-change/alter";
import { columnKey, columnTargets, isUserRenamed, remapTable, selectsExplicitColumns } from "../../engine/schema-change/mapping-change";
import { addColumns, type DdlColumn, sourceTypeComment } from "./ddl";
import { baseTableName, logTableName } from "./names";
import { suffixesOf, typeOptionsOf } from "./table-plan";
import { MaxComputeColumnTypeError, maxComputeColumnMapping } from "./type-map";

const defaultCase = "as-source";

/**
 * How `<table>_base` and `<table>_log` follow the source's DDL (seed 004: only ADD COLUMN
 * is synchronized). ADD COLUMN is appended to both tables (MaxCompute adds columns last;
 * the sinks write by name). DROP COLUMN is reported and not applied: the column stays in
 * both tables and new entries have it NULL. Changes that leave the stored data as it is
 * (indexes, keys, defaults, options) are reported too. A change whose data could not be
 * written faithfully afterwards stops the stream with its recovery steps rather than
 * losing values: a column renamed or retyped, a table renamed, partition maintenance that
 * removes rows unlogged.
 */
export const maxcomputeDdlTranslator: DdlTranslator = {
    alterTable(mapping, alteration, task): DdlTranslation {
        const parsed = alteration.parsed;
        const suffixes = suffixesOf(task);
        const base = baseTableName(mapping.targetTable, suffixes);
        const log = logTableName(mapping.targetTable, suffixes);
        const recovery = (what: string) => `To recover: ${what} in MaxCompute yourself (ALTER TABLE ${base} and ${log}), or migrate the table again into new tables; ` +
            "then leave \"alter-table\" out of the ddl selection for this table and run pulumi up";
        const fail = (reason: string, fix: string): never => {
            throw new UntranslatableDdlError(parsed.sql, reason, fix);
        };
        const explicit = selectsExplicitColumns(mapping, task);
        const targets = columnTargets(mapping);
        const added: DdlColumn[] = [];
        const notes: string[] = [];
        let current = mapping;
        const typeOf = (col: SourceColumn) => {
            try {
                return maxComputeColumnMapping(col, typeOptionsOf(task));
            } catch (err) {
                if (err instanceof MaxComputeColumnTypeError) return fail(err.message, recovery(`add the column with a type of your choice`));
                throw err;
            }
        };
        for (const step of alteration.steps) {
            if (step.noop !== undefined) {
                notes.push(`${step.written.text}: nothing to do (${step.noop})`);
                continue;
            }
            const a = step.action;
            switch (a.kind) {
                case "add-column": {
                    if (explicit) {
                        notes.push(`column ${a.column.name} added on the source is not migrated: the task lists the table's columns`);
                        break;
                    }
                    const m = typeOf(a.column);
                    const target = applyCase(a.column.name, task.nameCase, defaultCase);
                    added.push({ name: target, type: m.typeText, comment: sourceTypeComment(m) });
                    if (a.column.defaultValue !== null && a.column.defaultValue.toUpperCase() !== "NULL") {
                        notes.push(`${base}.${target}: the source gives existing rows ${a.column.defaultValue}; in MaxCompute they are NULL (the merge of _base and _log shows them NULL until they change)`);
                    }
                    targets.set(columnKey(a.column.name), target);
                    break;
                }
                case "drop-column": {
                    const target = targets.get(columnKey(a.name));
                    if (target === undefined) break;
                    notes.push(`${step.written.text}: not applied (MaxCompute tables follow ADD COLUMN only): ${base}.${target} and ${log}.${target} stay, new entries have it NULL`);
                    targets.delete(columnKey(a.name));
                    break;
                }
                case "change-column":
                case "rename-column": {
                    const from = a.from;
                    const oldTarget = targets.get(columnKey(from));
                    if (oldTarget === undefined) {
                        notes.push(`column ${from} is not migrated: the change is not applied`);
                        break;
                    }
                    const newName = a.kind === "change-column" ? a.column.name : a.to;
                    const newTarget = isUserRenamed(from, oldTarget, task, defaultCase) ? oldTarget : applyCase(newName, task.nameCase, defaultCase);
                    if (newTarget.toLowerCase() !== oldTarget.toLowerCase()) {
                        fail(`column "${from}" is renamed to "${newName}", and MaxCompute tables follow ADD COLUMN only`, recovery(`add column ${newTarget}`));
                    }
                    if (a.kind === "change-column") {
                        const before = current.source.columns.find((c) => columnKey(c.name) === columnKey(from))!;
                        const was = typeOf(before).typeText;
                        const now = typeOf(a.column).typeText;
                        if (was !== now) fail(`column "${from}" changes from MaxCompute ${was} to ${now}: the tables hold ${was} values`, recovery(`change the column's type`));
                    }
                    targets.delete(columnKey(from));
                    targets.set(columnKey(newName), newTarget);
                    break;
                }
                case "add-index": case "drop-primary-key": case "drop-index": case "rename-index": case "alter-index":
                case "add-foreign-key": case "add-check": case "drop-constraint": case "alter-column-default":
                case "alter-column-visibility": case "table-options": case "convert-charset":
                    notes.push(`${step.written.text}: nothing MaxCompute stores changes (it has no keys, indexes or defaults)`);
                    break;
                case "rename-table":
                    fail("MaxCompute tables follow ADD COLUMN only; a renamed table is not renamed there",
                        "To recover: migrate the table under its new name in another task (or map it with objects[].tables[].renameTo), then leave \"alter-table\" out of the ddl selection and run pulumi up");
                    break;
                case "partition":
                    if (a.dataChange) fail(`${a.operation} removes or moves rows without logging them as row changes`, recovery("remove those rows"));
                    break;
                case "unsupported":
                    fail(a.reason, recovery("make the change"));
            }
            current = { ...remapTable(current, step.table, targets), key: current.key };
        }
        const statements = added.length ? [`${addColumns(base, added)};`, `${addColumns(log, added)};`] : [];
        return { statements, mapping: current, notes };
    },
    renameTable(mapping, to, _task, statement): DdlTranslation {
        throw new UntranslatableDdlError(statement, `MaxCompute tables follow ADD COLUMN only; ${mapping.targetTable} is not renamed to ${to.name}`,
            "To recover: migrate the renamed table in another task, or select the new name in this task's objects and migrate it, then leave \"rename-table\" out of the ddl selection and run pulumi up");
    },
    /** Not applied: the tables keep what was migrated (the stream reports the DROP TABLE as skipped). */
    dropTable: () => [],
};
