import type { ConnectionFacts } from "./facts";
import type { TaskSpec } from "../../sdk/schema/task";
import type { ConnectionSpec, Engine } from "../../sdk/schema/connection";
import type { DefaultNameCase } from "./mapping";
import type { SourceEvent, SourceRoutine, SourceTrigger, SourceView, TableMapping } from "./model";

/** Views, routines, triggers and events of one whole-database selection. */
export interface DatabaseObjects {
    source: string;
    target: string;
    views: SourceView[];
    routines: SourceRoutine[];
    triggers: SourceTrigger[];
    events: SourceEvent[];
}
import type { BulkSink } from "./sink";
import type { ChangeSink } from "./change-sink";
import type { DdlTranslator } from "./ddl-translator";
import type { PrecheckItem } from "./status";

/**
 * What the engine needs from a destination database: its facts, schema objects, and bulk
 * writers. Each connector folder implements it; the engine never speaks a dialect itself.
 */
export interface Destination {
    /** What nameCase "dts-default" does with names at this destination. */
    readonly defaultNameCase: DefaultNameCase;
    /** The destination stores MySQL's zero dates ('0000-00-00') as they are; else they become NULL. */
    readonly keepsZeroDates: boolean;
    facts(): Promise<ConnectionFacts>;
    /** Destination-specific precheck items for these mappings (types, naming, charset...). */
    precheck(mappings: TableMapping[], task: TaskSpec): Promise<PrecheckItem[]>;
    tableExists(schema: string, table: string): Promise<boolean>;
    /** Rows in a destination table (for conflict prechecks and verification). */
    countRows(schema: string, table: string): Promise<number>;
    /** Creates a database/schema (if missing): a selected database with no tables still exists at the destination. */
    createSchema(schema: string, sourceDatabaseCharset: { charset: string; collation: string }): Promise<void>;
    /** Creates the database/schema and the table with its primary key (secondary indexes come after the load). */
    createTable(mapping: TableMapping, task: TaskSpec, sourceDatabaseCharset: { charset: string; collation: string }): Promise<string[]>;
    /** Secondary indexes and foreign keys, after the load; returns notes about what was skipped. */
    createIndexes(mapping: TableMapping, all: TableMapping[], task: TaskSpec): Promise<string[]>;
    /** Views, routines, triggers, events of whole-database selections, where the destination can hold them. */
    migrateObjects?(objects: DatabaseObjects[], task: TaskSpec): Promise<string[]>;
    /** Where migrateObjects is absent: why such objects are not migrated, for the task's notes. */
    readonly objectsNotMigrated?: string;
    /** A bulk writer; `task` is the task as it is now (live settings change under a running load). */
    openSink(task: () => TaskSpec): Promise<BulkSink>;
    /** The applier of incremental changes (one per running stream). */
    openChangeSink(task: () => TaskSpec): Promise<ChangeSink>;
    /**
     * The columns by which the destination finds a table's rows, when the task may choose
     * them (Tablestore's tablestorePrimaryKey); absent: the key the engine chose (mapping.key).
     */
    keyFor?(mapping: TableMapping, task: TaskSpec): string[] | null;
    /**
     * Bytes one value may take at this destination, in a key column and in any other
     * (Tablestore: 1 KB and 2 MB); absent: no limit below the source's own. The precheck asks
     * the source for rows over them, whose values would be refused as dirty data.
     */
    readonly valueLimits?: ValueLimits;
    /** How the task's status names a mapped table here; absent: `schema.table`. */
    targetName?(mapping: TableMapping): string;
    /**
     * The table a mapping writes to, where the destination names it otherwise than the
     * mapping's target (MaxCompute's `<table>_base`): what tableExists and countRows are asked about.
     */
    storedTable?(mapping: TableMapping, task: TaskSpec): { schema: string; table: string };
    /** Chunks the full load writes at once, when the task sets it for this destination (tablestore.threadCount). */
    loadWorkers?(task: TaskSpec): number;
    /** How this destination follows the source's DDL during incremental migration. */
    readonly ddl: DdlTranslator;
    /** Removes a released task's stream checkpoint from the destination. */
    forgetStream(taskId: string): Promise<void>;
    close(): Promise<void>;
}

export interface ValueLimits {
    keyBytes: number;
    valueBytes: number;
}

/** Source columns with values over a destination's limit: `db.table.column`, the largest value's bytes, and which limit. */
export interface OversizedColumn {
    column: string;
    bytes: number;
    limit: "key" | "value";
}

/** What a connector folder exports for its destination: the engines it serves and how to open one. */
export interface DestinationConnector {
    readonly engines: readonly Engine[];
    open(spec: ConnectionSpec): Promise<Destination>;
}
