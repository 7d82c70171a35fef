import type { Client } from "pg";
import { postgresFamilyEngines, type PostgresConnectionSpec } from "../../../sdk/schema/connection";
import type { TaskSpec } from "../../../sdk/schema/task";
import type { Destination, DestinationConnector } from "../../engine/destination";
import type { TableMapping } from "../../engine/model";
import type { PrecheckItem } from "../../engine/status";
import type { ConnectionFacts } from "../../engine/facts";
import { PostgresBulkSink } from "./bulk-sink";
import { forgetPostgresStream, PostgresChangeSink } from "./change-sink";
import { postgresDdlTranslator } from "./ddl-translator";
import { connectPostgres } from "./connect";
import { createIndexSqls, createSchemaSql, createTableSql } from "./ddl";
import { exceedsIdentifierLimit, qualified } from "./identifiers";
import { introspectPostgresServer } from "./introspect-server";
import { checkPostgresCompatibility } from "./type-map";

const sourceName = (m: TableMapping) => `${m.source.database}.${m.source.name}`;

/**
 * PostgreSQL (and AnalyticDB for PostgreSQL) as a destination: a MySQL database becomes
 * a schema of the connection's database; tables are created with their primary key,
 * secondary indexes after the load (seed 002).
 */
export class PostgresDestination implements Destination {
    readonly defaultNameCase = "lower";
    readonly keepsZeroDates = false;
    readonly objectsNotMigrated = "views, routines and triggers are not migrated to PostgreSQL (their SQL is MySQL's); only tables are";

    readonly ddl = postgresDdlTranslator;

    private constructor(private readonly spec: PostgresConnectionSpec, private readonly client: Client) {}

    static async open(spec: PostgresConnectionSpec): Promise<PostgresDestination> {
        return new PostgresDestination(spec, await connectPostgres(spec));
    }

    facts(): Promise<ConnectionFacts> {
        return introspectPostgresServer(this.client, this.spec);
    }

    async precheck(mappings: TableMapping[], task: TaskSpec): Promise<PrecheckItem[]> {
        const items: PrecheckItem[] = [];
        const facts = await this.facts();
        if (task.migrationTypes.includes("schema") && !facts.postgres?.canCreateSchema) {
            items.push({
                id: "destination-privileges", title: "Destination account may create schemas and tables", outcome: "failed", object: this.spec.database,
                detail: `the account lacks CREATE on database "${this.spec.database}"`, fix: `GRANT CREATE ON DATABASE "${this.spec.database}" TO the migration account`,
            });
        } else {
            items.push({ id: "destination-privileges", title: "Destination account may create schemas and tables", outcome: "passed" });
        }
        if (facts.postgres && facts.postgres.serverEncoding.toUpperCase() !== "UTF8") {
            items.push({
                id: "destination-charset", title: "Destination stores 4-byte characters", outcome: "failed", object: this.spec.database,
                detail: `server encoding is ${facts.postgres.serverEncoding}; emoji and other 4-byte characters cannot be stored`,
                fix: "migrate into a database created with ENCODING 'UTF8'",
            });
        }
        const unsupported: PrecheckItem[] = [];
        const prefix: PrecheckItem[] = [];
        const names: PrecheckItem[] = [];
        for (const m of mappings) {
            for (const c of m.columns) {
                const r = checkPostgresCompatibility(c.source);
                if (!r.ok) {
                    unsupported.push({
                        id: "destination-types", title: "Column types can be migrated to PostgreSQL", outcome: "failed",
                        object: `${sourceName(m)}.${c.source.name}`, detail: r.reason, fix: r.fix,
                    });
                }
            }
            for (const idx of m.source.indexes) {
                const p = idx.columns.find((c) => c.prefixLength !== null);
                if (p) {
                    prefix.push({
                        id: "prefix-indexes", title: "No prefix indexes", outcome: "alert", object: `${sourceName(m)} index ${idx.name}`,
                        detail: `prefix indexes cannot be migrated (${p.name}(${p.prefixLength})); the index is not created at the destination`,
                        fix: "accept with ignorePrecheckAlerts: [\"prefix-indexes\"], or create a suitable index at the destination afterwards",
                    });
                }
            }
            for (const n of [m.targetSchema, m.targetTable, ...m.columns.map((c) => c.target)]) {
                if (exceedsIdentifierLimit(n)) {
                    names.push({
                        id: "destination-names", title: "Destination names follow PostgreSQL rules", outcome: "failed", object: `${sourceName(m)}: ${n}`,
                        detail: "PostgreSQL names are at most 63 bytes", fix: "map it to a shorter name with renameTo",
                    });
                }
            }
        }
        items.push(...(unsupported.length ? unsupported : [{ id: "destination-types", title: "Column types can be migrated to PostgreSQL", outcome: "passed" as const }]));
        items.push(...(prefix.length ? prefix : [{ id: "prefix-indexes", title: "No prefix indexes", outcome: "passed" as const }]));
        items.push(...(names.length ? names : [{ id: "destination-names", title: "Destination names follow PostgreSQL rules", outcome: "passed" as const }]));
        return items;
    }

    async tableExists(schema: string, table: string): Promise<boolean> {
        const r = await this.client.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2", [schema, table]);
        return (r.rowCount ?? 0) > 0;
    }

    async countRows(schema: string, table: string): Promise<number> {
        const r = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(schema, table)}`);
        return Number(r.rows[0].n);
    }

    async createSchema(schema: string): Promise<void> {
        await this.client.query(createSchemaSql(schema));
    }

    async createTable(mapping: TableMapping, task: TaskSpec): Promise<string[]> {
        const sel = task.objects.find((o) => o.database === mapping.source.database)?.tables?.find((t) => t.name === mapping.source.name);
        const ddl = createTableSql(mapping, {
            floatPrecision: task.floatPrecision,
            distributionKey: sel?.distributionKey ?? null,
            analyticdb: this.spec.engine === "analyticdb-postgresql",
        });
        await this.client.query(createSchemaSql(mapping.targetSchema));
        // IF NOT EXISTS keeps a resumed task (or ignore-and-proceed) from failing on its own tables.
        await this.client.query(ddl.sql.replace(/^CREATE TABLE /, "CREATE TABLE IF NOT EXISTS "));
        return ddl.notes.map((n) => `${sourceName(mapping)}: ${n}`);
    }

    async createIndexes(mapping: TableMapping): Promise<string[]> {
        const ddl = createIndexSqls(mapping);
        for (const sql of ddl.sqls) await this.client.query(sql.replace(/^CREATE (UNIQUE )?INDEX /, "CREATE $1INDEX IF NOT EXISTS "));
        return ddl.notes.map((n) => `${sourceName(mapping)}: ${n}`);
    }

    openSink(): Promise<PostgresBulkSink> {
        return PostgresBulkSink.open(this.spec);
    }

    openChangeSink(): Promise<PostgresChangeSink> {
        return PostgresChangeSink.open(this.spec);
    }

    forgetStream(taskId: string): Promise<void> {
        return forgetPostgresStream(this.client, taskId);
    }

    async close(): Promise<void> {
        await this.client.end().catch(() => undefined);
    }
}

/** This folder's destination, as the connector registry lists it. */
export const destinationConnector: DestinationConnector = {
    engines: postgresFamilyEngines,
    open: (spec) => PostgresDestination.open(spec as PostgresConnectionSpec),
};
