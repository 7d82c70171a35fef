import type { SourceColumn, SourceForeignKey, SourceIndex, SourceTable } from "../model";
import type { NamedTable } from "./statement";

/**
 * The engine's vocabulary for a change to a table's structure: what the source's ALTER TABLE
 * (and CREATE/DROP INDEX) does as a list of actions, each with the source table it leaves,
 * and the errors for statements that cannot be read or followed. A source connector parses
 * its DDL into it; each destination renders it in its own dialect (DdlTranslator).
 */

/** Where ADD/CHANGE/MODIFY puts the column: FIRST, AFTER a column, or unchanged/last (null). */
export type ColumnPosition = { first: true } | { after: string } | null;

interface ClauseBase {
    /** The clause as written (one ALTER TABLE specification, without the separating comma). */
    text: string;
}

export type AlterAction =
    | (ClauseBase & {
          kind: "add-column";
          column: SourceColumn;
          /** The definition after the name, without inline PRIMARY KEY/UNIQUE/KEY and REFERENCES (they become their own actions). */
          definition: string;
          /** Offsets in `definition` of expressions that may name columns (generation, DEFAULT, CHECK). */
          expressions: [number, number][];
          position: ColumnPosition;
          ifNotExists: boolean;
          /** VARCHAR(…) BINARY: the collation is the charset's _bin one (known once the charset is). */
          binaryCollation: boolean;
          /** Column-level CHECK (…) clause (kept in `definition` too). */
          check: string | null;
      })
    | (ClauseBase & { kind: "drop-column"; name: string; ifExists: boolean })
    | (ClauseBase & {
          kind: "change-column";
          /** The column changed (its name before the change). */
          from: string;
          /** The complete new definition (MySQL replaces the whole column). */
          column: SourceColumn;
          definition: string;
          expressions: [number, number][];
          position: ColumnPosition;
          ifExists: boolean;
          /** MODIFY (no rename) rather than CHANGE. */
          modify: boolean;
          binaryCollation: boolean;
          check: string | null;
      })
    | (ClauseBase & { kind: "rename-column"; from: string; to: string })
    /** `default`: the expression as written (DEFAULT 'x', (now())…); null for DROP DEFAULT. */
    | (ClauseBase & { kind: "alter-column-default"; name: string; default: string | null })
    | (ClauseBase & { kind: "alter-column-visibility"; name: string; invisible: boolean })
    | (ClauseBase & {
          kind: "add-index";
          /** name "" until applyAlterAction gives it the name the server would (first column, _2, _3…). */
          index: SourceIndex;
          primary: boolean;
          /** ADD CONSTRAINT symbol …; for UNIQUE the index takes this name when it has none. */
          constraintName: string | null;
          ifNotExists: boolean;
          /** Index options other than USING, as written (COMMENT '…', KEY_BLOCK_SIZE=8, INVISIBLE…). */
          options: string;
      })
    | (ClauseBase & { kind: "drop-index"; name: string; ifExists: boolean })
    | (ClauseBase & { kind: "drop-primary-key" })
    | (ClauseBase & { kind: "rename-index"; from: string; to: string })
    /** ALTER INDEX … VISIBLE/INVISIBLE/IGNORED, ALTER CHECK … [NOT] ENFORCED: no data or name change. */
    | (ClauseBase & { kind: "alter-index"; name: string })
    /** foreignKey.name "" until applyAlterAction names it as the server would (<table>_ibfk_<n>). */
    | (ClauseBase & { kind: "add-foreign-key"; foreignKey: SourceForeignKey; ifNotExists: boolean })
    | (ClauseBase & { kind: "add-check"; name: string | null; clause: string })
    | (ClauseBase & { kind: "drop-constraint"; name: string; constraint: "foreign-key" | "check" | "any"; ifExists: boolean })
    | (ClauseBase & { kind: "rename-table"; to: NamedTable })
    /**
     * Table options and clauses that change no column, row or name: ENGINE, [DEFAULT] CHARSET,
     * COLLATE, COMMENT, AUTO_INCREMENT, ROW_FORMAT, ALGORITHM, LOCK, FORCE, ENABLE/DISABLE KEYS,
     * ORDER BY … Names upper case, values as written.
     */
    | (ClauseBase & { kind: "table-options"; options: { name: string; value: string }[] })
    | (ClauseBase & { kind: "convert-charset"; charset: string; collation: string | null })
    /**
     * Partition maintenance. `dataChange`: the clause removes or moves rows without logging
     * them as row changes (DROP/TRUNCATE/EXCHANGE/DISCARD/IMPORT/CONVERT PARTITION).
     */
    | (ClauseBase & { kind: "partition"; operation: string; dataChange: boolean })
    | (ClauseBase & { kind: "unsupported"; reason: string });

export type AlterActionKind = AlterAction["kind"];

export interface ParsedAlter {
    table: NamedTable;
    actions: AlterAction[];
    /** ALTER IGNORE TABLE: duplicate rows are dropped silently when a unique key is added. */
    ignore: boolean;
    /** MariaDB ALTER TABLE IF EXISTS. */
    ifExists: boolean;
    /** The statement as received. */
    sql: string;
}

/** One action as the source applied it to its table. */
export interface AlterStep {
    /** The action as written. */
    written: AlterAction;
    /** The action with what the source decides filled in (index and foreign key names, the column as placed). */
    action: AlterAction;
    /** The source table after this step. */
    table: SourceTable;
    /** Set when the action changes nothing on the source (IF [NOT] EXISTS that did not apply): why. */
    noop?: string;
}

/**
 * A parsed ALTER of one table as the source applies it, from the table the stream knew:
 * the steps in the source's order of application, so a destination follows the source's
 * model without knowing its rules.
 */
export interface TableAlteration {
    parsed: ParsedAlter;
    steps: AlterStep[];
    /** Whether a source expression (a row filter) names the column, read in the source's dialect. */
    mentions(expression: string, column: string): boolean;
}

/** A statement that is not what the parser was asked to read (not an ALTER TABLE, …). */
export class DdlParseError extends Error {
    constructor(readonly statement: string, readonly reason: string) {
        super(`cannot parse DDL statement (${reason}): ${statement.slice(0, 300)}`);
        this.name = "DdlParseError";
    }
}

/**
 * A source DDL statement the destination cannot follow. `fix` says how to recover; the
 * message holds statement, reason and fix, so it can be shown as it is.
 */
export class UntranslatableDdlError extends Error {
    constructor(
        readonly statement: string,
        readonly reason: string,
        readonly fix: string,
    ) {
        super(`cannot apply to the destination: ${statement.slice(0, 500)}: ${reason}. ${fix}`);
        this.name = "UntranslatableDdlError";
    }
}

/** The recovery for a statement the engine cannot translate: do it by hand, then skip it. */
export function manualRecovery(operation = "alter-table"): string {
    return (
        `To recover: apply the equivalent change to the destination table yourself, then leave "${operation}" out of the ` +
        `task's ddl selection for this table (ddl: [...] at table, database or task level) and run pulumi up; the stream ` +
        `then passes over the statement and the task's status lists it as skipped`
    );
}
