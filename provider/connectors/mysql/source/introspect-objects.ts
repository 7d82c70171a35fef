import type { Connection, RowDataPacket } from "mysql2/promise";
import type { SourceEvent, SourceRoutine, SourceTrigger, SourceView } from "../../../engine/model";
import { text } from "./catalog-values";
import { qualified } from "../identifiers";
import { IntrospectionError } from "../schema-errors";

/**
 * Views, routines, triggers and events. The catalog lists them (one query per kind);
 * the exact text comes from SHOW CREATE, one statement per object, since information_schema
 * keeps only bodies and loses clauses (e.g. a routine's parameter list, an event's schedule).
 */

type Row = RowDataPacket;

/** An event (MySQL's scheduled statement), with the session settings it was created under. */

async function showCreate(conn: Connection, what: string, database: string, name: string, column: string): Promise<Row> {
    const [rows] = await conn.query<Row[]>(`SHOW CREATE ${what} ${qualified(database, name)}`);
    const row = rows[0];
    // The server answers with a NULL text when the account may not see the definition.
    if (row === undefined || row[column] === null || row[column] === undefined) {
        throw new IntrospectionError({ database, object: name }, `SHOW CREATE ${what} returned no definition: the account lacks the privilege to read it`);
    }
    return row;
}

/**
 * Views by name. `definition` is the SELECT as information_schema stores it; `createSql` is
 * SHOW CREATE VIEW, whose references are qualified with the database unless the
 * connection's current database is the view's.
 */
export async function introspectViews(conn: Connection, database: string): Promise<SourceView[]> {
    const [rows] = await conn.query<Row[]>(
        "SELECT TABLE_NAME AS name, VIEW_DEFINITION AS definition FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
        [database],
    );
    const out: SourceView[] = [];
    for (const r of rows) {
        const name = text(r.name);
        const created = await showCreate(conn, "VIEW", database, name, "Create View");
        out.push({ database, name, definition: text(r.definition), createSql: text(created["Create View"]) });
    }
    return out;
}

/** Procedures then functions, by name. Bodies' unqualified names resolve against the database current at creation. */
export async function introspectRoutines(conn: Connection, database: string): Promise<SourceRoutine[]> {
    const [rows] = await conn.query<Row[]>(
        "SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS kind FROM information_schema.ROUTINES " +
            "WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY ROUTINE_TYPE DESC, ROUTINE_NAME",
        [database],
    );
    const out: SourceRoutine[] = [];
    for (const r of rows) {
        const name = text(r.name);
        const kind = text(r.kind).toUpperCase() === "FUNCTION" ? "FUNCTION" : "PROCEDURE";
        const column = kind === "FUNCTION" ? "Create Function" : "Create Procedure";
        const created = await showCreate(conn, kind, database, name, column);
        out.push({ database, name, kind, createSql: text(created[column]), sqlMode: text(created.sql_mode) });
    }
    return out;
}

/**
 * Triggers in creation order per table, timing and event. The order matters: SHOW CREATE
 * TRIGGER drops FOLLOWS/PRECEDES (MariaDB prints the statement without it), so the
 * destination gets the source's ACTION_ORDER only by creating them in this order.
 */
export async function introspectTriggers(conn: Connection, database: string): Promise<SourceTrigger[]> {
    const [rows] = await conn.query<Row[]>(
        "SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? " +
            "ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER",
        [database],
    );
    const out: SourceTrigger[] = [];
    for (const r of rows) {
        const name = text(r.name);
        const created = await showCreate(conn, "TRIGGER", database, name, "SQL Original Statement");
        out.push({ database, name, table: text(r.tableName), createSql: text(created["SQL Original Statement"]), sqlMode: text(created.sql_mode) });
    }
    return out;
}

export async function introspectEvents(conn: Connection, database: string): Promise<SourceEvent[]> {
    const [rows] = await conn.query<Row[]>("SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME", [database]);
    const out: SourceEvent[] = [];
    for (const r of rows) {
        const name = text(r.name);
        const created = await showCreate(conn, "EVENT", database, name, "Create Event");
        out.push({ database, name, createSql: text(created["Create Event"]), sqlMode: text(created.sql_mode), timeZone: text(created.time_zone) });
    }
    return out;
}

export async function databaseCharset(conn: Connection, database: string): Promise<{ charset: string; collation: string }> {
    const [rows] = await conn.query<Row[]>(
        "SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
        [database],
    );
    const r = rows[0];
    if (r === undefined) throw new IntrospectionError({ database }, "no such database (or no privilege on it)");
    return { charset: text(r.charset), collation: text(r.collation) };
}
