import type { Connection, RowDataPacket } from "mysql2/promise";
import type { MysqlConnectionSpec } from "../../../../sdk/schema/connection";
import type { TaskSpec } from "../../../../sdk/schema/task";
import type { DatabaseObjects, OversizedColumn, ValueLimits } from "../../../engine/destination";
import type { SourceRow, SourceTable, TableMapping } from "../../../engine/model";
import type { KeyRange } from "../../../engine/sink";
import type { Source, SourceConnector, SourcePrecheckInputs, SourceSnapshot, SnapshotOptions } from "../../../engine/source";
import type { PrecheckItem } from "../../../engine/status";
import type { ChunkCheckpoint } from "../../../engine/task-store";
import type { ConnectionFacts } from "../../../engine/facts";
import { mysqlFamilyEngines } from "../../../../sdk/schema/connection";
import { connectMysql } from "../connect";
import { qualified, quoteIdent } from "../identifiers";
import { introspectMysqlServer } from "../introspect-server";
import { dialectOf, type ServerDialect } from "../server-dialect";
import { MysqlChangeSource } from "./change-source";
import { planChunks } from "./chunk-plan";
import { chunkQuery, readChunk } from "./chunk-reader";
import { heartbeatBarrier, removeHeartbeat } from "./heartbeat";
import { databaseCharset, introspectEvents, introspectRoutines, introspectTables, introspectTriggers, introspectViews, listBaseTables } from "./introspect-tables";
import {
    binlogSettings, invisibleColumns, primaryKeys, sourcePrivileges, streamableColumns, systemVersionedTables, tableLimit, whereFilters, zeroDatesNotNull,
} from "./precheck-items";
import { closeSnapshot, openSnapshot, type Snapshot } from "./snapshot";

/** A consistent snapshot of a MySQL-family server, on its own connection. */
class MysqlSnapshot implements SourceSnapshot {
    constructor(readonly snap: Snapshot) {}

    get position() {
        return this.snap.position;
    }

    get method(): string {
        return this.snap.method;
    }

    /** MariaDB's binlog snapshot reads exactly at its position; MySQL's barrier proves only that nothing before it is missing. */
    get exact(): boolean {
        return this.snap.method === "mariadb-binlog-snapshot";
    }

    get risk(): string | undefined {
        return this.snap.risk;
    }

    planChunks(m: TableMapping): Promise<ChunkCheckpoint[]> {
        return planChunks(this.snap.conn, m);
    }

    close(): Promise<void> {
        return closeSnapshot(this.snap);
    }
}

/** A MySQL-family server as a task's source: facts, the selected databases' tables, snapshots, chunks and its binlog. */
export class MysqlSource implements Source {
    readonly changes: MysqlChangeSource;

    private constructor(readonly spec: MysqlConnectionSpec, private readonly conn: Connection, readonly facts: ConnectionFacts) {
        this.changes = new MysqlChangeSource(spec);
    }

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

    async oversizedValues(mappings: TableMapping[], limits: ValueLimits, keyColumns: (m: TableMapping) => string[]): Promise<OversizedColumn[]> {
        const out: OversizedColumn[] = [];
        for (const m of mappings) {
            const key = new Set(keyColumns(m));
            for (const c of m.columns) {
                const col = c.source;
                const limit = key.has(col.name) ? "key" : "value";
                const bytes = limit === "key" ? limits.keyBytes : limits.valueBytes;
                // Characters for string types (up to 4 bytes each), bytes for binary ones; other types are short.
                if (col.maxLength === null || col.maxLength * (col.charset ? 4 : 1) <= bytes || col.generationExpression !== null) continue;
                const q = quoteIdent(col.name);
                const [rows] = await this.conn.query<RowDataPacket[]>(
                    `SELECT LENGTH(${q}) AS n FROM ${qualified(m.source.database, m.source.name)} WHERE LENGTH(${q}) > ? LIMIT 1`, [bytes]);
                if (rows.length) out.push({ column: `${m.source.database}.${m.source.name}.${col.name}`, bytes: Number(rows[0].n), limit });
            }
        }
        return out;
    }

    precheck(p: SourcePrecheckInputs): PrecheckItem[] {
        const databases = [...new Set(p.mappings.map((m) => m.source.database))];
        return [
            ...sourcePrivileges(this.facts, p.task, databases),
            ...binlogSettings(this.facts, p.task),
            ...primaryKeys(p.mappings, p.task, this.facts),
            ...invisibleColumns(p.mappings),
            ...tableLimit(p.task, p.mappings),
            ...whereFilters(p.mappings, p.filterErrors),
            ...streamableColumns(p.task, p.mappings),
            ...systemVersionedTables(p.task, p.mappings),
            ...zeroDatesNotNull(p.zeroDateColumns),
        ];
    }

    changeCaptureProblems(task: TaskSpec, mappings: TableMapping[]): PrecheckItem[] {
        return streamableColumns(task, mappings);
    }

    /**
     * On MySQL the position is proven by a barrier commit to the task's heartbeat row
     * (snapshot-position.ts); MariaDB's snapshot has its position of its own.
     */
    async openSnapshot(options: SnapshotOptions): Promise<SourceSnapshot> {
        const barrier = options.task ? heartbeatBarrier(options.task.spec.heartbeat, options.task.taskId) : undefined;
        return new MysqlSnapshot(await openSnapshot(this.spec, this.facts.flavour, { serverVersion: this.facts.serverVersion, ...(barrier ? { barrier } : {}) }));
    }

    readChunk(m: TableMapping, range: KeyRange | null, task: TaskSpec, throttle: (rows: SourceRow[]) => Promise<void>, within?: SourceSnapshot): AsyncIterable<SourceRow[]> {
        const shared = within instanceof MysqlSnapshot ? within.snap.conn : undefined;
        return readChunk(this.spec, this.facts.flavour, m, chunkQuery(m, range, task.floatPrecision), throttle, shared);
    }

    async forgetTask(task: TaskSpec, taskId: string): Promise<void> {
        const hb = task.heartbeat;
        if (!hb.enabled) return;
        const [db, table] = hb.table.split(".");
        await removeHeartbeat(this.conn, db, table, taskId);
    }

    async close(): Promise<void> {
        await this.conn.end().catch(() => undefined);
    }
}

export const sourceConnector: SourceConnector = {
    engines: mysqlFamilyEngines,
    open: (spec) => MysqlSource.open(spec as MysqlConnectionSpec),
};
