import type { TaskSpec } from "../../sdk/schema/task";
import type { TableAlteration } from "./schema-change/alter";
import type { NamedTable } from "./schema-change/statement";
import type { TableMapping } from "./model";

/** Destination statements for one source DDL statement, and the table's mapping after it. */
export interface DdlTranslation {
    statements: string[];
    mapping: TableMapping;
    notes: string[];
}

/**
 * How a destination follows the source's DDL during incremental migration. Each connector
 * implements it in its own dialect; translations that cannot be exact throw
 * UntranslatableDdlError (with the recovery steps), never return something close.
 */
/** A schema object other than a table, as the stream follows its drops. */
export type SchemaObjectKind = "view" | "function" | "procedure" | "trigger" | "event";

/** The stream's current mapping of a source table, or null when the task does not migrate it. */
export type TableLookup = (database: string, table: string) => TableMapping | null;

export interface DdlTranslator {
    /** `tables` resolves the tables a statement refers to (a foreign key's referenced table). */
    alterTable(mapping: TableMapping, alteration: TableAlteration, task: TaskSpec, tables: TableLookup): DdlTranslation;
    renameTable(mapping: TableMapping, to: NamedTable, task: TaskSpec, statement: string): DdlTranslation;
    dropTable(mapping: TableMapping): string[];
    /** Destinations that migrate views, routines, triggers and events: the statement that drops one if it exists. */
    dropObject?(kind: SchemaObjectKind, schema: string, name: string): string;
}
