import { z } from "zod";
import { crossFieldIssue, identifier, intInRange, positiveInt } from "./common";

export const migrationTypes = ["schema", "full", "incremental"] as const;
export type MigrationType = (typeof migrationTypes)[number];

/** DML operations selectable per instance, database or table for incremental migration. */
export const dmlOperations = ["insert", "update", "delete"] as const;
/** DDL operations incremental migration can follow (all at MySQL destinations; PostgreSQL takes a subset, see docs/incremental.md). */
export const ddlOperations = [
    "alter-table", "alter-view", "create-function", "create-index", "create-procedure", "create-table",
    "create-view", "drop-index", "drop-table", "rename-table", "truncate-table",
] as const;
export type DmlOperation = (typeof dmlOperations)[number];
export type DdlOperation = (typeof ddlOperations)[number];

const dmlSelection = z.array(z.enum(dmlOperations)).refine(unique, "must not list an operation twice");
const ddlSelection = z.array(z.enum(ddlOperations)).refine(unique, "must not list an operation twice");

function unique(xs: readonly unknown[]): boolean {
    return new Set(xs).size === xs.length;
}

export const columnSelectionSchema = z.union([
    identifier,
    z.strictObject({ name: identifier, renameTo: identifier.optional() }).describe("a column selection"),
]);

export const tableSelectionSchema = z.strictObject({
    name: identifier,
    renameTo: identifier.optional(),
    /** Columns to migrate (all when omitted); an entry may rename its column. */
    columns: z.array(columnSelectionSchema).min(1, "must list at least one column, or be omitted to migrate all").optional(),
    /** A SQL condition (without WHERE) that rows must satisfy to be migrated. */
    where: z.string().min(1).optional(),
    dml: dmlSelection.optional(),
    ddl: ddlSelection.optional(),
    /** AnalyticDB for PostgreSQL: distribution key columns of the destination table. */
    distributionKey: z.array(identifier).min(1).optional(),
    /**
     * PostgreSQL destinations, which have no zero dates ('0000-00-00', '2020-00-15'): what such a
     * value becomes in a DATE/DATETIME/TIMESTAMP column, by column name. Without an entry it is
     * NULL (schema migration makes the column nullable; a key column's row is refused).
     * "minus-infinity" writes -infinity, "epoch" 1970-01-01 00:00:00; the column keeps NOT NULL.
     */
    zeroDates: z.record(identifier, z.enum(["minus-infinity", "epoch"])).optional(),
    /**
     * Tablestore: primary key columns of the destination table, source column names (1-4, the
     * first is the partition key; defaults to the source's primary key, else a NOT NULL unique key).
     */
    tablestorePrimaryKey: z.array(identifier).min(1).max(4, "Tablestore allows at most 4 primary key columns").optional(),
    /**
     * Tablestore: the destination type of a column instead of the default type map (seed 000's
     * "set column data types"), by source column name. Only types that keep every value of the
     * column exactly, or lose what docs/type-mapping-tablestore.md says, are accepted at precheck.
     */
    tablestoreTypes: z.record(identifier, z.enum(["INTEGER", "DOUBLE", "BOOLEAN", "STRING", "BINARY"])).optional(),
}).describe("a table selection");

export const databaseSelectionSchema = z.strictObject({
    database: identifier,
    renameTo: identifier.optional(),
    /** Tables to migrate; all tables (and with schema migration, views and routines) when omitted. */
    tables: z.array(tableSelectionSchema).min(1, "must list at least one table, or be omitted to migrate the whole database").optional(),
    dml: dmlSelection.optional(),
    ddl: ddlSelection.optional(),
}).describe("a database selection");

export const retrySchema = z.strictObject({
        /** How long failed source/destination connections are retried (DTS: 10-1440 min, default 720). */
        connectionMinutes: intInRange(10, 1440).default(720),
        /** How long failed DDL/DML is retried (DTS: 1-1440 min, default 10); must be smaller than connectionMinutes. */
        otherMinutes: intInRange(1, 1440).default(10),
    }).describe("retry")
    .superRefine((r, ctx) => {
        if (r.otherMinutes >= r.connectionMinutes) {
            crossFieldIssue(ctx, ["otherMinutes"], [["connectionMinutes"]],
                `(${r.otherMinutes}) must be smaller than retry.connectionMinutes (${r.connectionMinutes}); lower otherMinutes or raise connectionMinutes`);
        }
    });

export const throttleSchema = z.strictObject({
    full: z.strictObject({
            /** Queries per second against the source during the full load. */
            sourceQps: positiveInt.optional(),
            /** Rows per second written during the full load. */
            rps: positiveInt.optional(),
            /** Megabytes per second read during the full load. */
            mbps: z.number().positive("must be greater than 0").optional(),
        })
        .optional(),
    incremental: z.strictObject({
            rps: positiveInt.optional(),
            mbps: z.number().positive("must be greater than 0").optional(),
        })
        .optional(),
}).describe("throttle");

export const heartbeatSchema = z.strictObject({
    /**
     * Write a heartbeat row to the source every interval so latency stays accurate on an idle
     * source. `false` is DTS's "delete SQL operations on heartbeat tables": nothing is written
     * to the source, and latency may look high when the source is idle.
     */
    enabled: z.boolean().default(true),
    /** `database.table` of the heartbeat table on the source. */
    table: z.string().regex(/^[^.\s]+\.[^.\s]+$/, "must be database.table").default("dts_heartbeat.heartbeat"),
    intervalSeconds: intInRange(1, 60).default(1),
}).describe("heartbeat");

export const tablestoreWriteSchema = z.strictObject({
        /** update-row: PutRowChange-style row update; overwrite-row: the whole row is replaced. */
        writeMode: z.enum(["update-row", "overwrite-row"]).default("update-row"),
        /** bulk-import: BulkImportRequest (higher throughput); batch-write-row: BatchWriteRowRequest. */
        batchMode: z.enum(["bulk-import", "batch-write-row"]).default("bulk-import"),
        queueSize: intInRange(1, 65536).default(1024),
        threadCount: intInRange(1, 64).default(8),
        concurrency: intInRange(1, 256).default(64),
        /** Concurrent buckets for ordered incremental writes; must not exceed concurrency. */
        bucketCount: intInRange(1, 256).default(8),
        /**
         * How DATE, DATETIME, TIMESTAMP and TIME are written: "iso-string" (STRING, ISO 8601 text;
         * every value kept, zero dates included) or "epoch-micros" (INTEGER, microseconds since
         * 1970-01-01 UTC; zero dates are refused as dirty data).
         */
        temporal: z.enum(["iso-string", "epoch-micros"]).default("iso-string"),
    }).describe("tablestore")
    .superRefine((t, ctx) => {
        if (t.bucketCount > t.concurrency) {
            crossFieldIssue(ctx, ["bucketCount"], [["concurrency"]],
                `(${t.bucketCount}) must be less than or equal to tablestore.concurrency (${t.concurrency})`);
        }
    });

export const maxcomputeSchema = z.strictObject({
    /** Naming rule of the additional columns in _log tables (DTS "New Rule" / "Previous Rule"). */
    additionalColumnRule: z.enum(["new", "previous"]).default("new"),
    /** Partition columns of the incremental (_log) tables. */
    incrementalPartitions: z
        .array(z.enum(["modifytime_year", "modifytime_month", "modifytime_day", "modifytime_hour", "modifytime_minute"]))
        .min(1)
        .default(["modifytime_year", "modifytime_month", "modifytime_day", "modifytime_hour"]),
    /** Suffix of full-baseline tables. */
    baseSuffix: z.string().default("_base"),
    /** Suffix of incremental tables. */
    logSuffix: z.string().default("_log"),
    /**
     * How columns whose values MaxCompute cannot all hold exactly are migrated
     * (docs/type-mapping-maxcompute.md). Every default keeps values exactly or refuses at
     * the precheck; the lossy choices are opt-in.
     */
    types: z.strictObject({
        /** Signed BIGINT: BIGINT (the one value -2^63 is dirty data), DECIMAL(19,0) or STRING. */
        bigint: z.enum(["bigint", "decimal", "string"]).optional(),
        /** BIGINT UNSIGNED: DECIMAL(20,0), STRING, or BIGINT (values over 2^63-1 are dirty data). */
        unsignedBigint: z.enum(["decimal", "string", "bigint"]).optional(),
        /** DECIMAL over (38,18): refused at the precheck, STRING (exact text), or DECIMAL rounded to (38,18) (lossy). */
        wideDecimal: z.enum(["refuse", "string", "round"]).optional(),
        /** DATETIME(4-6): TIMESTAMP (exact), STRING, or DATETIME with the microseconds cut to milliseconds (lossy). */
        datetimeMicros: z.enum(["timestamp", "string", "datetime"]).optional(),
        /** Zero dates: dirty data, or NULL (lossy). */
        zeroDates: z.enum(["refuse", "null"]).optional(),
        /** TIME: its text, or signed microseconds in a BIGINT. */
        time: z.enum(["string", "bigint"]).optional(),
        /** BIT(n): an unsigned BIGINT (BIT(64) refused unless chosen), its decimal text, its bytes, or BOOLEAN for BIT(1). */
        bit: z.enum(["bigint", "string", "binary", "boolean"]).optional(),
    }).optional(),
}).describe("maxcompute");

export const floatPrecisionSchema = z.strictObject({
    /** Digits kept for FLOAT columns (DTS reads ROUND(column, precision)); default 38. */
    float: intInRange(1, 38).default(38),
    /** Digits kept for DOUBLE columns; default 308. */
    double: intInRange(1, 308).default(308),
}).describe("floatPrecision");

export const alertingSchema = z.strictObject({
    onFailure: z.boolean().default(true),
    /** Alert when latency exceeds this many seconds (incremental only). */
    latencySeconds: positiveInt.optional(),
    /** HTTP(S) endpoint that receives a JSON alert. */
    webhookUrl: z.string().regex(/^https?:\/\//, "must be an http:// or https:// URL").optional(),
    /** Shell command run with the alert as JSON on stdin. */
    command: z.string().min(1).optional(),
}).describe("alerting");

export const verificationSchema = z.strictObject({
    /** none: no verification; checksum: per-table checksums; rows: row by row comparison. */
    mode: z.enum(["none", "checksum", "rows"]).default("none"),
    /** Verify a sample of this percentage of rows (row mode), 1-100. */
    samplePercent: intInRange(1, 100).default(100),
    /** Re-verify incremental data every N minutes (0 turns it off). */
    incrementalIntervalMinutes: intInRange(0, 1440).default(0),
}).describe("verification");

/** A DatabaseConnection as the task receives it: its id and the validated spec. */
export const connectionRefSchema = z.object({
    connectionId: z.string().min(1),
    engine: z.string(),
}).passthrough();

export const taskArgsSchema = z.strictObject({
        source: connectionRefSchema,
        destination: connectionRefSchema,
        migrationTypes: z
            .array(z.enum(migrationTypes))
            .min(1, "must list at least one of \"schema\", \"full\", \"incremental\"")
            .refine(unique, "must not list a migration type twice"),
        objects: z.array(databaseSelectionSchema).min(1, "must select at least one database"),
        /** Instance-level operation selection for incremental migration (all when omitted). */
        dml: dmlSelection.optional(),
        ddl: ddlSelection.optional(),
        conflictingTables: z.enum(["precheck-and-report", "ignore-and-proceed"]).default("precheck-and-report"),
        dirtyData: z.enum(["skip", "block"]).default("block"),
        /** Capitalisation of destination names: DTS default keeps source case for MySQL, lower case for PostgreSQL. */
        nameCase: z.enum(["dts-default", "source", "lower", "upper"]).default("dts-default"),
        /** Migrate events (MySQL destinations, schema migration). */
        migrateEvents: z.boolean().default(false),
        /** Triggers: created after the full load ("after-full"), or not migrated ("skip"). */
        triggers: z.enum(["after-full", "skip"]).default("after-full"),
        /**
         * A table the source creates during incremental migration that the destination cannot
         * hold (say, a spatial column at PostgreSQL): "skip" leaves it out, its rows and later
         * DDL with it, and lists it in the status (skippedStatements and notes); "stop" stops
         * the task at its CREATE TABLE, naming the reason.
         */
        unsupportedNewTables: z.enum(["skip", "stop"]).default("skip"),
        /** How temporary tables of online-DDL tools are handled. */
        onlineDdl: z.enum(["copy-temp-tables", "gh-ost", "dms", "none"]).default("none"),
        retry: retrySchema.default({ connectionMinutes: 720, otherMinutes: 10 }),
        throttle: throttleSchema.default({}),
        heartbeat: heartbeatSchema.default({ enabled: true, table: "dts_heartbeat.heartbeat", intervalSeconds: 1 }),
        tablestore: tablestoreWriteSchema.optional(),
        maxcompute: maxcomputeSchema.optional(),
        floatPrecision: floatPrecisionSchema.default({ float: 38, double: 308 }),
        alerting: alertingSchema.optional(),
        verification: verificationSchema.default({ mode: "none", samplePercent: 100, incrementalIntervalMinutes: 0 }),
        /** Precheck alerts to accept (item ids, or "all"); failed items always block. */
        ignorePrecheckAlerts: z.union([z.literal("all"), z.array(z.string().min(1))]).default([]),
        /** What `pulumi up` waits for before it returns. */
        waitFor: z.enum(["started", "full-completed", "caught-up"]).optional(),
        /**
         * How long `pulumi up` waits for waitFor before giving up (the task is then stopped and
         * released, so nothing runs that Pulumi does not know about). Pulumi's customTimeouts do
         * not reach dynamic providers, hence this field.
         */
        waitTimeoutMinutes: intInRange(1, 10080).default(180),
        /** caught-up: latency (seconds) below which the task counts as caught up. */
        caughtUpLatencySeconds: positiveInt.default(5),
    }).describe("a MigrationTask")
    .superRefine((t, ctx) => {
        const types = new Set(t.migrationTypes);
        if (t.throttle.full && !types.has("full")) {
            crossFieldIssue(ctx, ["throttle", "full"], [["migrationTypes"]], "applies only when migrationTypes includes \"full\"; remove it or add \"full\"");
        }
        if (t.throttle.incremental && !types.has("incremental")) {
            crossFieldIssue(ctx, ["throttle", "incremental"], [["migrationTypes"]], "applies only when migrationTypes includes \"incremental\"; remove it or add \"incremental\"");
        }
        if (t.waitFor === "caught-up" && !types.has("incremental")) {
            crossFieldIssue(ctx, ["waitFor"], [["migrationTypes"]], "\"caught-up\" needs \"incremental\" in migrationTypes; use \"full-completed\"");
        }
        if (t.waitFor === "full-completed" && !types.has("full")) {
            crossFieldIssue(ctx, ["waitFor"], [["migrationTypes"]], "\"full-completed\" needs \"full\" in migrationTypes; use \"started\"");
        }
        const dbSeen = new Map<string, number>();
        // Targets compare case-insensitively: MySQL on case-insensitive file systems and PostgreSQL's
        // default lower-casing (nameCase) fold them, and two sources merged into one target would
        // write each other's tables.
        const targetSeen = new Map<string, number>();
        t.objects.forEach((db, i) => {
            const target = db.renameTo ?? db.database;
            if (dbSeen.has(db.database)) {
                crossFieldIssue(ctx, ["objects", i, "database"], [], `"${db.database}" is already selected at objects[${dbSeen.get(db.database)}]; merge the two entries`);
            } else if (targetSeen.has(target.toLowerCase())) {
                const j = targetSeen.get(target.toLowerCase())!;
                crossFieldIssue(ctx, ["objects", i, db.renameTo !== undefined ? "renameTo" : "database"], [],
                    `would write to database "${target}", which objects[${j}] (${t.objects[j].database}) already writes to; give one of them another renameTo`);
            }
            dbSeen.set(db.database, i);
            if (!targetSeen.has(target.toLowerCase())) targetSeen.set(target.toLowerCase(), i);
            const tableTargets = new Map<string, string>();
            db.tables?.forEach((tbl, j) => {
                const dest = tbl.renameTo ?? tbl.name;
                const clash = tableTargets.get(dest.toLowerCase());
                if (clash !== undefined) {
                    crossFieldIssue(ctx, ["objects", i, "tables", j], [],
                        `would write to ${target}.${dest}, which ${clash} already writes to; give one of them another renameTo`);
                }
                tableTargets.set(dest.toLowerCase(), `table "${tbl.name}"`);
                const colTargets = new Set<string>();
                tbl.columns?.forEach((c, k) => {
                    const name = typeof c === "string" ? c : c.renameTo ?? c.name;
                    if (colTargets.has(name.toLowerCase())) {
                        crossFieldIssue(ctx, ["objects", i, "tables", j, "columns", k], [],
                            `destination column "${name}" appears twice (MySQL column names are case-insensitive); rename one`);
                    }
                    colTargets.add(name.toLowerCase());
                });
            });
        });
        const tableCount = t.objects.reduce((n, db) => n + (db.tables?.length ?? 0), 0);
        const mapped = t.objects.some((db) => db.tables?.some((tbl) => tbl.renameTo || tbl.columns || tbl.where));
        if (mapped && tableCount > 1000) {
            crossFieldIssue(ctx, ["objects"], [],
                `selects ${tableCount} tables with mapping; one task handles at most 1,000 such tables: split them across tasks or select whole databases`);
        }
    });

export type TaskArgsInput = z.input<typeof taskArgsSchema>;
export type TaskSpec = z.output<typeof taskArgsSchema>;
export type TableSelection = z.output<typeof tableSelectionSchema>;
export type DatabaseSelection = z.output<typeof databaseSelectionSchema>;
