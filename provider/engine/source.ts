import type { Connection } from "mysql2/promise";
import type { MysqlConnectionSpec } from "../../sdk/schema/connection";
import type { ConnectionFacts } from "../connectors/facts";
import { connectMysql } from "../connectors/mysql/connect";
import { qualified, quoteIdent } from "../connectors/mysql/identifiers";
import { introspectMysqlServer } from "../connectors/mysql/introspect-server";
import { dialectOf, type ServerDialect } from "../connectors/mysql/server-dialect";
import { databaseCharset, introspectEvents, introspectRoutines, introspectTables, introspectTriggers, introspectViews, listBaseTables } from "../connectors/mysql/source/introspect-tables";
import type { DatabaseObjects } from "./destination";
import type { SourceTable, TableMapping } from "./model";

/** The source side of a task: facts, the selected databases' tables, and filter validation. */
export class MysqlSource {
    private constructor(readonly spec: MysqlConnectionSpec, private readonly conn: Connection, readonly facts: ConnectionFacts) {}

    static async open(spec: MysqlConnectionSpec): Promise<MysqlSource> {
        const conn = await connectMysql(spec);
        await conn.query("SET SESSION time_zone = '+00:00'");
        return new MysqlSource(spec, conn, await introspectMysqlServer(conn, spec));
    }

    /** The statements this source's flavour and version understand. */
    get dialect(): ServerDialect {
        return dialectOf(this.facts);
    }

    async databaseExists(db: string): Promise<boolean> {
        const [rows] = await this.conn.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [db]);
        return (rows as unknown[]).length > 0;
    }

    /** Base tables of each existing database, fully introspected (views and routines are not tables). */
    async tables(databases: string[]): Promise<Map<string, SourceTable[]>> {
        const out = new Map<string, SourceTable[]>();
        for (const db of databases) {
            if (!(await this.databaseExists(db))) continue;
            const names = await listBaseTables(this.conn, db);
            out.set(db, names.length ? await introspectTables(this.conn, db, names) : []);
        }
        return out;
    }

    /** Everything but tables in a database, for schema migration of whole-database selections. */
    async objects(source: string, target: string, withEvents: boolean): Promise<DatabaseObjects> {
        return {
            source, target,
            views: await introspectViews(this.conn, source),
            routines: await introspectRoutines(this.conn, source),
            triggers: await introspectTriggers(this.conn, source),
            events: withEvents ? await introspectEvents(this.conn, source) : [],
        };
    }

    charset(db: string): Promise<{ charset: string; collation: string }> {
        return databaseCharset(this.conn, db);
    }

    /** Asks the source to plan each filtered SELECT, so a bad filter fails the precheck, not the load. */
    async filterErrors(mappings: TableMapping[]): Promise<Map<TableMapping, string>> {
        const errors = new Map<TableMapping, string>();
        for (const m of mappings) {
            if (!m.where) continue;
            try {
                await this.conn.query(`SELECT 1 FROM ${qualified(m.source.database, m.source.name)} WHERE (${m.where}) LIMIT 0`);
            } catch (err) {
                errors.set(m, (err as Error).message);
            }
        }
        return errors;
    }

    /**
     * NOT NULL DATE/DATETIME/TIMESTAMP columns that hold a zero or partial-zero date
     * ('0000-00-00', '2020-00-15'), as `table.column`: a destination without such dates
     * writes NULL there, which the column refuses. One indexed-or-scanning LIMIT 1 query per
     * column, at precheck, so the choice is made before the load rather than row by row in it.
     */
    async zeroDatesInNotNullColumns(mappings: TableMapping[], concerns: (m: TableMapping, column: string) => boolean): Promise<string[]> {
        const out: string[] = [];
        for (const m of mappings) {
            for (const c of m.columns) {
                const col = c.source;
                if (!concerns(m, col.name) || col.nullable || col.generationExpression !== null || !["date", "datetime", "timestamp"].includes(col.dataType)) continue;
                const q = quoteIdent(col.name);
                const [rows] = await this.conn.query(
                    `SELECT 1 FROM ${qualified(m.source.database, m.source.name)} WHERE YEAR(${q}) = 0 OR MONTH(${q}) = 0 OR DAYOFMONTH(${q}) = 0 LIMIT 1`);
                if ((rows as unknown[]).length) out.push(`${m.source.database}.${m.source.name}.${col.name}`);
            }
        }
        return out;
    }

    async close(): Promise<void> {
        await this.conn.end().catch(() => undefined);
    }
}
