import type { ConnectionSpec, Engine } from "../../sdk/schema/connection";
import type { TaskSpec } from "../../sdk/schema/task";
import type { ConnectionFacts } from "./facts";
import type { ChangeSource } from "./change-source";
import type { DatabaseObjects, OversizedColumn, ValueLimits } from "./destination";
import type { BinlogPosition, SourceRow, SourceTable, TableMapping } from "./model";
import type { KeyRange } from "./sink";
import type { PrecheckItem } from "./status";
import type { ChunkCheckpoint } from "./task-store";

/**
 * What the engine needs from a source database: its facts and tables, consistent
 * snapshots to read chunks in, and its change log (ChangeSource). A connector folder
 * implements it; the engine never speaks the source's dialect itself.
 */
export interface Source {
    readonly facts: ConnectionFacts;
    /** Base tables of each existing database, fully introspected (views and routines are not tables). */
    tables(databases: string[]): Promise<Map<string, SourceTable[]>>;
    /** Everything but tables in a database, for schema migration of whole-database selections. */
    objects(source: string, target: string, withEvents: boolean): Promise<DatabaseObjects>;
    charset(database: string): Promise<{ charset: string; collation: string }>;
    /** Row filters the source refuses, by mapping, so a bad filter fails the precheck rather than the load. */
    filterErrors(mappings: TableMapping[]): Promise<Map<TableMapping, string>>;
    /**
     * NOT NULL date columns that hold zero dates, as `db.table.column`, among the columns
     * `concerns` names: a destination without such dates would write NULL there.
     */
    zeroDatesInNotNullColumns(mappings: TableMapping[], concerns: (m: TableMapping, column: string) => boolean): Promise<string[]>;
    /**
     * String and binary columns holding a value longer than the destination's limit for it
     * (`keyColumns` say which columns form the destination's key): one bounded query per
     * column whose declared length could exceed it, at precheck.
     */
    oversizedValues(mappings: TableMapping[], limits: ValueLimits, keyColumns: (m: TableMapping) => string[]): Promise<OversizedColumn[]>;
    /** The source's precheck items for these mappings (privileges, change-log settings, keys, filters, types). */
    precheck(inputs: SourcePrecheckInputs): PrecheckItem[];
    /** Why the change log cannot carry these tables' rows (failed items), for tables the stream adds. */
    changeCaptureProblems(task: TaskSpec, mappings: TableMapping[]): PrecheckItem[];
    /** A consistent snapshot with its position in the change log. */
    openSnapshot(options: SnapshotOptions): Promise<SourceSnapshot>;
    /**
     * A chunk's rows, read in a snapshot of their own or in `within` (the task's, at its exact
     * position), with throttling applied per batch. The iterable may carry connector-specific
     * faster ways of reading for a destination of the same kind (see RAW_ROWS).
     */
    readChunk(mapping: TableMapping, range: KeyRange | null, task: TaskSpec, throttle: (rows: SourceRow[]) => Promise<void>, within?: SourceSnapshot): AsyncIterable<SourceRow[]>;
    /** The change log, as the incremental stream reads it. */
    readonly changes: ChangeSource;
    /** Removes what a released task left at the source (its heartbeat row). */
    forgetTask(task: TaskSpec, taskId: string): Promise<void>;
    close(): Promise<void>;
}

export interface SourcePrecheckInputs {
    task: TaskSpec;
    mappings: TableMapping[];
    /** Row filters the source refused (filterErrors). */
    filterErrors: Map<TableMapping, string>;
    /** NOT NULL columns holding zero dates the destination cannot keep (zeroDatesInNotNullColumns). */
    zeroDateColumns: string[];
}

export interface SnapshotOptions {
    /** The task whose position this is: a source may commit a barrier to its heartbeat row to make the position exact. */
    task?: { spec: TaskSpec; taskId: string };
}

/** A consistent snapshot: reads in it see the source as of `position`. */
export interface SourceSnapshot {
    /** Where in the change log the snapshot stands; `file` "" when the source keeps no log. */
    readonly position: BinlogPosition;
    /** How the position was established, for the task's log. */
    readonly method: string;
    /** Reads in this snapshot are exactly at `position` (no transaction after it, none before it missing). */
    readonly exact: boolean;
    /** Set when the position may miss a transaction: a note for the task. */
    readonly risk?: string;
    /** The table split into chunks to read (key ranges), planned in this snapshot. */
    planChunks(mapping: TableMapping): Promise<ChunkCheckpoint[]>;
    close(): Promise<void>;
}

/** What a connector folder exports for its source: the engines it serves and how to open one. */
export interface SourceConnector {
    readonly engines: readonly Engine[];
    open(spec: ConnectionSpec): Promise<Source>;
}
