import type { DdlOperation } from "../../../sdk/schema/task";

/**
 * How the engine sees a logged source statement: which operation it is and what it names.
 * A source connector classifies its own statements into these terms.
 */

/** A table a statement names, with the session's default database filled in. */
export interface NamedTable {
    database: string;
    name: string;
}

/**
 * Statements about objects other than tables that the ddl selection cannot name (seed 001's
 * list has only the operations above): the stream applies them or lists them as skipped.
 */
export type ObjectOperation =
    | "create-trigger" | "drop-trigger"
    | "create-event" | "alter-event" | "drop-event"
    | "drop-view" | "drop-function" | "drop-procedure" | "alter-function" | "alter-procedure"
    | "create-database" | "alter-database" | "drop-database";

/** What a logged statement does, as far as the stream needs to know. */
export interface ClassifiedStatement {
    /** One of seed 001's DDL operations, an ObjectOperation, or "other" (GRANT, ANALYZE, CREATE USER, ...). */
    operation: DdlOperation | ObjectOperation | "other";
    /** Tables the statement changes or names (RENAME: old and new names; CREATE TRIGGER: the table it is on). */
    tables: NamedTable[];
    /**
     * Views, routines, triggers and events the statement names, each in its own database
     * (the qualifier, else the session's); ALTER EVENT … RENAME TO: the old name, then the
     * new. For the *-database operations, one entry whose `database` is the database named
     * (ALTER DATABASE without a name: the session's) and whose `name` is "".
     */
    objects: NamedTable[];
    /** CREATE/DROP TEMPORARY TABLE: session-local, never replicated as a table. */
    temporary: boolean;
    /** CREATE OR REPLACE … (MariaDB's CREATE OR REPLACE TABLE replaces a table that exists). */
    orReplace: boolean;
}

/** DML a session logged as text (STATEMENT format): what it writes, as far as the text says. */
export interface LoggedDml {
    /** Tables the statement writes or may write, aliases resolved, CTE names left out; in order of appearance. */
    tables: NamedTable[];
    /** It may write tables it does not name (a stored function it calls, a logged SELECT/DO, text that could not be read). */
    unnamedWrites: boolean;
    /**
     * The session's default database (when it has one) and every database the statement
     * names, in order of appearance: where the stored functions it calls live, so where
     * `unnamedWrites` most likely lands.
     */
    databases: string[];
}
