import type { Connection, RowDataPacket } from "mysql2/promise";
import { mysqlFamilyEngines, type MysqlConnectionSpec } from "../../../../sdk/schema/connection";
import type { TaskSpec } from "../../../../sdk/schema/task";
import type { Destination, DestinationConnector } from "../../../engine/destination";
import type { TableMapping } from "../../../engine/model";
import type { DatabaseObjects } from "../../../engine/destination";
import type { PrecheckItem } from "../../../engine/status";
import type { ConnectionFacts } from "../../../engine/facts";
import { MysqlBulkSink } from "./bulk-sink";
import { forgetMysqlStream, MysqlChangeSink } from "./change-sink";
import { mysqlDdlTranslator } from "./ddl-translator";
import { connectMysql } from "../connect";
import { createDatabaseSql, createTableSql, foreignKeySqls, mariadbTypesOf, referenceResolver, renameSchemaInCreate, rewriteDefiner, secondaryIndexSqls } from "./ddl";
import { createEventDisabled } from "./event-status";
import { qualified, quoteIdent } from "../identifiers";
import { introspectMysqlServer } from "../introspect-server";
import { guardTrigger } from "./trigger-guard";
import { markEngineSession } from "./write-modes";

const sourceName = (m: TableMapping) => `${m.source.database}.${m.source.name}`;
const fourByteCharsets = new Set(["utf8mb4"]);

/**
 * MySQL-family destination (seed 001/003): databases created under their (renamed) names,
 * tables with full fidelity; secondary indexes and foreign keys after the load.
 */
export class MysqlDestination implements Destination {
    readonly defaultNameCase = "as-source";
    readonly keepsZeroDates = true;

    readonly ddl = mysqlDdlTranslator;

    private mariadbTypes: Promise<Set<string>> | undefined;

    private constructor(private readonly spec: MysqlConnectionSpec, private readonly conn: Connection) {}

    static async open(spec: MysqlConnectionSpec): Promise<MysqlDestination> {
        const conn = await connectMysql(spec);
        // UTC like the source reader, so TIMESTAMP literal defaults keep their instant.
        await conn.query("SET SESSION foreign_key_checks = 0, SESSION time_zone = '+00:00', SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'");
        await markEngineSession(conn);
        return new MysqlDestination(spec, conn);
    }

    facts(): Promise<ConnectionFacts> {
        return introspectMysqlServer(this.conn, this.spec);
    }

    async precheck(mappings: TableMapping[], task: TaskSpec): Promise<PrecheckItem[]> {
        const items: PrecheckItem[] = [];
        const facts = await this.facts();
        const p = facts.mysql!.privileges;
        const can = (db: string, priv: string) =>
            p.global.includes("ALL PRIVILEGES") || p.global.includes(priv) || (p.databases[db] ?? []).some((x) => x === priv || x === "ALL PRIVILEGES");
        const needed = task.migrationTypes.includes("schema") ? ["CREATE", "INSERT", "ALTER", "INDEX", "DELETE"] : ["INSERT", "DELETE"];
        const lacking = [...new Set(mappings.map((m) => m.targetSchema))].flatMap((db) => needed.filter((x) => !can(db, x)).map((x) => `${x} on ${db}`));
        items.push(lacking.length
            ? {
                id: "destination-privileges", title: "Destination account may create and write the tables", outcome: "failed", object: lacking.join(", "),
                detail: `the account lacks ${lacking.join(", ")}`, fix: "GRANT ALL PRIVILEGES ON each destination database TO the migration account (read and write, as DTS requires)",
            }
            : { id: "destination-privileges", title: "Destination account may create and write the tables", outcome: "passed" });
        if (facts.mysql?.readOnly) {
            items.push({ id: "destination-writable", title: "Destination accepts writes", outcome: "failed", object: "destination", detail: "read_only is ON", fix: "point the destination at the primary, or SET GLOBAL read_only = OFF" });
        }
        // Seed 001: 4-byte characters need utf8mb4 at the destination (server default for schema migration).
        const fourByte = mappings.some((m) => m.columns.some((c) => c.source.charset && fourByteCharsets.has(c.source.charset)));
        if (fourByte && !fourByteCharsets.has((facts.mysql?.characterSetServer ?? "").toLowerCase())) {
            items.push({
                id: "destination-charset", title: "Destination stores 4-byte characters", outcome: "alert", object: "destination",
                detail: `character_set_server is ${facts.mysql?.characterSetServer}; source columns use utf8mb4 (emoji, rare characters)`,
                fix: "set character_set_server = utf8mb4 at the destination (schema migration keeps each column's charset, but new objects take the server default)",
            });
        }
        const tooLong = mappings.flatMap((m) => [m.targetSchema, m.targetTable, ...m.columns.map((c) => c.target)].filter((n) => n.length > 64 || /\s$/.test(n)).map((n) => `${sourceName(m)}: ${n}`));
        items.push(tooLong.length
            ? { id: "destination-names", title: "Destination names follow MySQL rules", outcome: "failed", object: tooLong.join(", "), detail: "names are at most 64 characters and may not end with a space", fix: "map them to valid names with renameTo" }
            : { id: "destination-names", title: "Destination names follow MySQL rules", outcome: "passed" });
        return items;
    }

    async tableExists(schema: string, table: string): Promise<boolean> {
        const [rows] = await this.conn.query<RowDataPacket[]>("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", [schema, table]);
        return rows.length > 0;
    }

    async countRows(schema: string, table: string): Promise<number> {
        const [rows] = await this.conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${qualified(schema, table)}`);
        return Number(rows[0].n);
    }

    async createSchema(schema: string, dbCharset: { charset: string; collation: string }): Promise<void> {
        await this.conn.query(createDatabaseSql(schema, dbCharset.charset, dbCharset.collation));
    }

    async createTable(mapping: TableMapping, _task: TaskSpec, dbCharset: { charset: string; collation: string }): Promise<string[]> {
        await this.conn.query(createDatabaseSql(mapping.targetSchema, dbCharset.charset, dbCharset.collation));
        // The server's version decides which MariaDB-only types (UUID, INET6, …) it can hold.
        this.mariadbTypes ??= this.conn.query<RowDataPacket[]>("SELECT VERSION() AS v").then(([rows]) => mariadbTypesOf(this.spec.engine, String(rows[0].v)));
        const sql = createTableSql(mapping, { secondaryIndexes: false, mariadbTypes: await this.mariadbTypes });
        await this.conn.query(sql.replace(/^CREATE TABLE /, "CREATE TABLE IF NOT EXISTS "));
        return [];
    }

    async createIndexes(mapping: TableMapping, all: TableMapping[]): Promise<string[]> {
        const notes: string[] = [];
        for (const sql of secondaryIndexSqls(mapping)) {
            try {
                await this.conn.query(sql);
            } catch (err) {
                // A resumed task may have created it already.
                if ((err as { errno?: number }).errno !== 1061) throw err;
            }
        }
        const bySource = new Map(all.map((m) => [`${m.source.database}.${m.source.name}`, m]));
        const fks = foreignKeySqls(mapping, referenceResolver((db, table) => bySource.get(`${db}.${table}`) ?? null));
        for (const sql of fks.sqls) {
            try {
                await this.conn.query(sql);
            } catch (err) {
                const errno = (err as { errno?: number }).errno;
                // 1826: duplicate foreign key name (already created by an earlier run).
                if (errno !== 1826 && errno !== 1061) throw err;
            }
        }
        return [...notes, ...fks.notes.map((n) => `${sourceName(mapping)}: ${n}`)];
    }

    /**
     * Views, procedures and functions, triggers (after the data, so they do not fire on
     * loaded rows) and, when asked, events. DEFINER becomes the destination account with
     * SQL SECURITY INVOKER (seed 001). Triggers are guarded so they skip the engine's writes
     * (trigger-guard.ts) and events are created DISABLED (event-status.ts); the notes list
     * the events to enable at cutover. A statement the destination refuses does not stop the
     * task, as in DTS, but is reported in the task's notes with the server's reason.
     */
    async migrateObjects(objects: DatabaseObjects[], task: TaskSpec): Promise<string[]> {
        const notes: string[] = [];
        const conn = await connectMysql(this.spec);
        try {
            await conn.query("SET SESSION time_zone = '+00:00'");
            for (const db of objects) {
                await conn.query(`USE ${quoteIdent(db.target)}`);
                const text = (sql: string) => rewriteDefiner(db.source === db.target ? sql : renameSchemaInCreate(sql, db.source, db.target));
                const run = async (kind: string, name: string, sql: string, sqlMode?: string, finish: (sql: string) => string = (x) => x) => {
                    if (sqlMode !== undefined) await conn.query("SET SESSION sql_mode = ?", [sqlMode]);
                    await conn.query(finish(text(sql)));
                };
                // Views may select from views: create what can be created until nothing more can.
                let pending = db.views.map((v) => ({ v, err: "" }));
                while (pending.length) {
                    const next: typeof pending = [];
                    for (const p of pending) {
                        try {
                            await conn.query(`DROP VIEW IF EXISTS ${quoteIdent(p.v.name)}`);
                            await run("view", p.v.name, p.v.createSql ?? `CREATE VIEW ${quoteIdent(p.v.name)} AS ${p.v.definition}`);
                        } catch (err) {
                            next.push({ v: p.v, err: (err as Error).message });
                        }
                    }
                    if (next.length === pending.length) {
                        for (const p of next) notes.push(`${db.source}: view ${p.v.name} was not created: ${p.err}`);
                        break;
                    }
                    pending = next;
                }
                // Events the source runs: created disabled here, to be enabled at cutover.
                const toEnable = new Set<string>();
                const items: { kind: string; name: string; sql: string; sqlMode?: string; timeZone?: string; drop: string; finish?: (sql: string) => string }[] = [
                    ...db.routines.map((r) => ({ kind: r.kind.toLowerCase(), name: r.name, sql: r.createSql, sqlMode: r.sqlMode, drop: `DROP ${r.kind} IF EXISTS ${quoteIdent(r.name)}` })),
                    ...(task.triggers === "after-full" ? db.triggers.map((t) => ({
                        kind: "trigger", name: t.name, sql: t.createSql, sqlMode: t.sqlMode, drop: `DROP TRIGGER IF EXISTS ${quoteIdent(t.name)}`,
                        finish: (sql: string) => guardTrigger(sql, { database: db.target, table: t.table, object: t.name }),
                    })) : []),
                    ...db.events.map((e) => ({
                        kind: "event", name: e.name, sql: e.createSql, sqlMode: e.sqlMode, timeZone: e.timeZone, drop: `DROP EVENT IF EXISTS ${quoteIdent(e.name)}`,
                        finish: (sql: string) => {
                            const d = createEventDisabled(sql, { database: db.target, object: e.name });
                            if (d.enabledAtSource) toEnable.add(e.name);
                            return d.sql;
                        },
                    })),
                ];
                if (task.triggers === "skip" && db.triggers.length) notes.push(`${db.source}: ${db.triggers.length} trigger(s) not migrated (triggers: "skip")`);
                for (const it of items) {
                    try {
                        await conn.query(it.drop);
                        // An event's schedule is read in the time zone it was created under.
                        await conn.query("SET SESSION time_zone = ?", [it.timeZone && it.timeZone !== "SYSTEM" ? it.timeZone : "+00:00"]);
                        await run(it.kind, it.name, it.sql, it.sqlMode, it.finish);
                    } catch (err) {
                        if (it.kind === "event") toEnable.delete(it.name);
                        notes.push(`${db.source}: ${it.kind} ${it.name} was not created: ${(err as Error).message}`);
                    }
                }
                if (toEnable.size) {
                    const names = [...toEnable];
                    notes.push(`${db.source}: event(s) ${names.join(", ")} created DISABLED at the destination so they do not run during the migration; ` +
                        `at cutover enable them: ${names.map((n) => `ALTER EVENT ${qualified(db.target, n)} ENABLE`).join("; ")}`);
                }
            }
        } finally {
            await conn.end().catch(() => undefined);
        }
        return notes;
    }

    openSink(): Promise<MysqlBulkSink> {
        return MysqlBulkSink.open(this.spec);
    }

    openChangeSink(): Promise<MysqlChangeSink> {
        return MysqlChangeSink.open(this.spec);
    }

    forgetStream(taskId: string): Promise<void> {
        return forgetMysqlStream(this.conn, taskId);
    }

    async close(): Promise<void> {
        await this.conn.end().catch(() => undefined);
    }
}


/** This folder's destination, as the connector registry lists it. */
export const destinationConnector: DestinationConnector = {
    engines: mysqlFamilyEngines,
    open: (spec) => MysqlDestination.open(spec as MysqlConnectionSpec),
};
