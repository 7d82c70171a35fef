import type { TaskSpec } from "../../../sdk/schema/task";
import type { DdlTranslation, DdlTranslator } from "../../engine/ddl-translator";
import { applyCase } from "../../engine/mapping";
import type { SourceColumn, TableMapping } from "../../engine/model";
import { manualRecovery, UntranslatableDdlError } from "../../engine/schema-change/alter";
import { columnKey, columnTargets, isUserRenamed, remapTable, selectsExplicitColumns } from "../../engine/schema-change/mapping-change";
import { tablestoreKey } from "./table-plan";
import { sourceKind, TablestoreColumnTypeError, tablestoreColumnMapping, type TemporalEncoding } from "./type-map";

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
    | { op: "rename-attribute"; table: string; from: string; to: string }
    /** Every row without the column gets `text` (the source's value for its existing rows), converted as the column's values are. */
    | { op: "fill-attribute"; table: string; column: string; text: string; source: SourceColumn; temporal: TemporalEncoding };

export function parseTablestoreOperation(text: string): TablestoreOperation {
    const op = JSON.parse(text) as TablestoreOperation;
    if (!["delete-table", "delete-attribute", "rename-attribute", "fill-attribute"].includes(op.op)) throw new Error(`internal: not a Tablestore operation: ${text}`);
    return op;
}

const render = (op: TablestoreOperation): string => JSON.stringify(op);
const defaultCase = "as-source";

const numericKinds = new Set(["integer", "unsigned-bigint", "decimal", "float", "year"]);
const textTypes = new Set(["char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"]);

/**
 * What the source gives the existing rows of a column it adds, as the value text the
 * column's values arrive in: null for NULL, undefined when it cannot be told exactly here
 * (an expression, a temporal or binary literal whose text the server would normalise,
 * AUTO_INCREMENT or generated values, which the source computes row by row).
 */
function existingRowsText(col: SourceColumn): string | null | undefined {
    if (col.generationExpression !== null || /auto_increment/i.test(col.extra)) return undefined;
    const d = col.defaultValue;
    const kind = sourceKind(col);
    if (d === null || d.toUpperCase() === "NULL") {
        if (col.nullable) return null;
        // NOT NULL without a default: the implicit default (0, or the empty string).
        if (numericKinds.has(kind) && kind !== "year") return col.dataType === "decimal" && col.numericScale ? `0.${"0".repeat(col.numericScale)}` : "0";
        if (textTypes.has(col.dataType) && col.dataType !== "enum") return "";
        return undefined;
    }
    if (/^'(?:[^']|'')*'$/s.test(d) && textTypes.has(col.dataType)) return d.slice(1, -1).replace(/''/g, "'");
    if (/^[-+]?\d+(\.\d+)?$/.test(d) && numericKinds.has(kind) && kind !== "float") return d;
    return undefined;
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
                    const fill = existingRowsText(a.column);
                    if (fill === undefined) {
                        return fail(`column "${a.column.name}" gives the existing rows a value at the source (${a.column.defaultValue ?? "its implicit default"}) that the engine cannot reproduce exactly`,
                            "To recover: write that value into the existing Tablestore rows yourself (or migrate the table again), then leave \"alter-table\" out of the ddl selection for this table and run pulumi up");
                    }
                    const target = applyCase(a.column.name, task.nameCase, defaultCase);
                    if (fill !== null) statements.push(render({ op: "fill-attribute", table, column: target, text: fill, source: a.column, temporal: task.tablestore?.temporal ?? "iso-string" }));
                    targets.set(columnKey(a.column.name), target);
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
