import type { TaskSpec } from "../../../sdk/schema/task";
import type { DdlTranslation, DdlTranslator } from "../../engine/ddl-translator";
import { applyCase } from "../../engine/mapping";
import type { SourceColumn, TableMapping } from "../../engine/model";
import { manualRecovery, UntranslatableDdlError } from "../../engine/schema-change/alter";
import { columnKey, columnTargets, isUserRenamed, remapTable, selectsExplicitColumns } from "../../engine/schema-change/mapping-change";
import { tablestoreKey } from "./table-plan";
import { TablestoreColumnTypeError, tablestoreColumnMapping } from "./type-map";

/**
 * How a Tablestore table follows the source's DDL. Tablestore stores attributes per row
 * with no table schema for them, so most column changes need no statement at all, only a
 * new mapping; what changes stored values is rendered as operations on every row that
 * the change sink runs (TablestoreOperation, as JSON text in DdlTranslation.statements):
 * - ADD COLUMN of a column whose existing rows are NULL at the source: nothing to write
 *   (a NULL is an absent column);
 * - DROP COLUMN: the attribute is deleted from every row;
 * - a column renamed: every row's value moves to the new name;
 * - DROP TABLE: the table is deleted.
 * What cannot be followed exactly stops the stream with its recovery steps: a new column
 * whose existing rows get a value, a type change that changes the stored type, a change of
 * the key, RENAME TABLE (Tablestore cannot rename a table), partition maintenance.
 */

export type TablestoreOperation =
    | { op: "delete-table"; table: string }
    | { op: "delete-attribute"; table: string; column: string }
    | { op: "rename-attribute"; table: string; from: string; to: string };

export function parseTablestoreOperation(text: string): TablestoreOperation {
    const op = JSON.parse(text) as TablestoreOperation;
    if (op.op !== "delete-table" && op.op !== "delete-attribute" && op.op !== "rename-attribute") throw new Error(`internal: not a Tablestore operation: ${text}`);
    return op;
}

const render = (op: TablestoreOperation): string => JSON.stringify(op);
const defaultCase = "as-source";

function isNullByDefault(col: SourceColumn): boolean {
    return col.nullable && (col.defaultValue === null || col.defaultValue.toUpperCase() === "NULL") && col.generationExpression === null && !/auto_increment/i.test(col.extra);
}

function storedType(col: SourceColumn, task: TaskSpec, primaryKey: boolean): string {
    return tablestoreColumnMapping(col, { temporal: task.tablestore?.temporal ?? "iso-string", primaryKey }).type;
}

export const tablestoreDdlTranslator: DdlTranslator = {
    alterTable(mapping, alteration, task): DdlTranslation {
        const parsed = alteration.parsed;
        const fail = (reason: string, fix = manualRecovery()): never => {
            throw new UntranslatableDdlError(parsed.sql, reason, fix);
        };
        const explicit = selectsExplicitColumns(mapping, task);
        const targets = columnTargets(mapping);
        const key = new Set((tablestoreKey(mapping, task) ?? []).map(columnKey));
        const table = mapping.targetTable;
        const statements: string[] = [];
        const notes: string[] = [];
        let current = mapping;
        for (const step of alteration.steps) {
            if (step.noop !== undefined) {
                notes.push(`${step.written.text}: nothing to do (${step.noop})`);
                continue;
            }
            const a = step.action;
            const mapType = (col: SourceColumn) => {
                try {
                    return storedType(col, task, key.has(columnKey(col.name)));
                } catch (err) {
                    if (err instanceof TablestoreColumnTypeError) return fail(err.message);
                    throw err;
                }
            };
            switch (a.kind) {
                case "add-column": {
                    if (explicit) {
                        notes.push(`column ${a.column.name} added on the source is not migrated: the task lists the table's columns`);
                        break;
                    }
                    mapType(a.column);
                    if (!isNullByDefault(a.column)) {
                        fail(`column "${a.column.name}" gives the existing rows a value at the source (${a.column.defaultValue ?? "its implicit default"}), which the Tablestore rows do not have`,
                            "To recover: write that value into the existing Tablestore rows yourself (or migrate the table again), then leave \"alter-table\" out of the ddl selection for this table and run pulumi up");
                    }
                    targets.set(columnKey(a.column.name), applyCase(a.column.name, task.nameCase, defaultCase));
                    break;
                }
                case "drop-column": {
                    const target = targets.get(columnKey(a.name));
                    if (target === undefined) break;
                    if (key.has(columnKey(a.name))) fail(`column "${a.name}" is part of the Tablestore table's primary key`);
                    statements.push(render({ op: "delete-attribute", table, column: target }));
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
                    if (key.has(columnKey(from))) {
                        const before = current.source.columns.find((c) => columnKey(c.name) === columnKey(from))!;
                        const after = step.table.columns.find((c) => columnKey(c.name) === columnKey(newName))!;
                        if (columnKey(from) !== columnKey(newName) || mapType(before) !== mapType(after)) fail(`column "${from}" is part of the Tablestore table's primary key`);
                    }
                    if (a.kind === "change-column") {
                        const before = current.source.columns.find((c) => columnKey(c.name) === columnKey(from))!;
                        if (mapType(before) !== mapType(a.column)) {
                            fail(`column "${from}" changes from Tablestore ${mapType(before)} to ${mapType(a.column)}: the existing rows hold ${mapType(before)} values`);
                        }
                    }
                    const newTarget = isUserRenamed(from, oldTarget, task, defaultCase) ? oldTarget : applyCase(newName, task.nameCase, defaultCase);
                    if (newTarget !== oldTarget) statements.push(render({ op: "rename-attribute", table, from: oldTarget, to: newTarget }));
                    targets.delete(columnKey(from));
                    targets.set(columnKey(newName), newTarget);
                    break;
                }
                case "add-index":
                    notes.push(a.primary ? `${a.text}: the Tablestore table keeps the primary key it was created with` : `${a.text}: Tablestore tables get no secondary indexes from the source`);
                    break;
                case "drop-primary-key":
                    notes.push(`${a.text}: the Tablestore table keeps the primary key it was created with`);
                    break;
                case "drop-index": case "rename-index": case "alter-index": case "add-foreign-key": case "add-check": case "drop-constraint":
                case "alter-column-default": case "alter-column-visibility": case "table-options": case "convert-charset":
                    // Nothing Tablestore stores: the rows and their values are unchanged.
                    break;
                case "rename-table":
                    fail("Tablestore cannot rename a table",
                        "To recover: migrate the table under its new name in another task (or rename it in objects[].tables[].renameTo), then leave \"alter-table\" out of the ddl selection and run pulumi up");
                    break;
                case "partition":
                    if (a.dataChange) fail(`${a.operation} removes or moves rows without logging them as row changes`);
                    break;
                case "unsupported":
                    fail(a.reason);
            }
            current = { ...remapTable(current, step.table, targets), key: current.key };
        }
        return { statements, mapping: current, notes };
    },
    renameTable(mapping, to, _task, statement): DdlTranslation {
        throw new UntranslatableDdlError(statement, `Tablestore cannot rename table ${mapping.targetTable} (to ${to.name})`,
            "To recover: migrate the renamed table in another task, or select the new name in this task's objects and migrate it, then leave \"rename-table\" out of the ddl selection and run pulumi up");
    },
    dropTable: (m) => [render({ op: "delete-table", table: m.targetTable })],
};
