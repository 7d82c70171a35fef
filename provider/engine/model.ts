/**
 * The engine's domain types: what a source table looks like, where it goes, and where
 * in the source's history a snapshot stands. Connectors produce and consume these.
 */

/** A column as MySQL's information_schema describes it. */
export interface SourceColumn {
    name: string;
    /** 1-based position in the table. */
    ordinal: number;
    /** Base type, lower case: "int", "decimal", "varchar", "datetime", "enum", "json", "geometry", ... */
    dataType: string;
    /** Full type as declared, lower case: "decimal(65,30)", "int(10) unsigned", "enum('a','b')". */
    columnType: string;
    nullable: boolean;
    /**
     * Default as information_schema reports it. MariaDB ≥10.2.7 quotes string literals
     * ('abc'), writes NULL as the text NULL, and expressions bare (current_timestamp()).
     */
    defaultValue: string | null;
    /** information_schema EXTRA: "auto_increment", "on update current_timestamp()", "VIRTUAL GENERATED", ... */
    extra: string;
    /** Generation expression of a generated column, else null. */
    generationExpression: string | null;
    unsigned: boolean;
    /** Characters for string types, bytes for binary types; null otherwise. */
    maxLength: number | null;
    /** DECIMAL precision / BIT width / integer display width where relevant. */
    numericPrecision: number | null;
    numericScale: number | null;
    /** Fractional-second digits of TIME/DATETIME/TIMESTAMP. */
    datetimePrecision: number | null;
    charset: string | null;
    collation: string | null;
    /** ENUM/SET members, in declaration order. */
    enumValues: string[] | null;
    comment: string;
    /** MySQL ≥ 8.0.23 INVISIBLE columns: not returned by SELECT *. */
    invisible: boolean;
    /** MariaDB stores JSON as LONGTEXT with a json_valid() CHECK; true for both spellings. */
    isJson: boolean;
}

export interface SourceIndex {
    name: string;
    unique: boolean;
    /** Columns with their prefix length (null = whole column). */
    columns: { name: string; prefixLength: number | null; descending: boolean }[];
    /** BTREE, HASH, FULLTEXT, SPATIAL. */
    kind: string;
    /** Index COMMENT, when it has one. */
    comment?: string;
}

export interface SourceForeignKey {
    name: string;
    columns: string[];
    referencedDatabase: string;
    referencedTable: string;
    referencedColumns: string[];
    onUpdate: string;
    onDelete: string;
}

export interface SourceTable {
    database: string;
    name: string;
    columns: SourceColumn[];
    /** PRIMARY KEY columns, or null. */
    primaryKey: string[] | null;
    /** The primary key's parts with prefix lengths and direction (PRIMARY KEY (url(100))); absent = whole columns, ascending. */
    primaryKeyParts?: SourceIndex["columns"];
    /** Secondary indexes (unique and not), without the primary key. */
    indexes: SourceIndex[];
    foreignKeys: SourceForeignKey[];
    /**
     * CHECK constraints (name, clause). `column` is set for a MariaDB column-level
     * constraint (declared with the column and named after it). MariaDB's automatic
     * json_valid() checks are not listed: SourceColumn.isJson stands for them.
     */
    checks: { name: string; clause: string; column?: string }[];
    engine: string;
    /**
     * MariaDB WITH SYSTEM VERSIONING: the binlog logs each change with an insert of the
     * history row, and a DELETE as an UPDATE of the row's end time.
     */
    systemVersioned?: boolean;
    charset: string;
    collation: string;
    comment: string;
    /** information_schema estimates; used for chunking and progress only. */
    estimatedRows: number;
    dataBytes: number;
}

export interface SourceView {
    database: string;
    name: string;
    definition: string;
    /** SHOW CREATE VIEW text (with DEFINER and SQL SECURITY as on the source). */
    createSql?: string;
}

export interface SourceRoutine {
    database: string;
    name: string;
    kind: "PROCEDURE" | "FUNCTION";
    /** SHOW CREATE text. */
    createSql: string;
    /** sql_mode the routine was created under; its body is parsed with it. */
    sqlMode?: string;
}

export interface SourceTrigger {
    database: string;
    name: string;
    table: string;
    createSql: string;
    /** sql_mode the trigger was created under; its body is parsed with it. */
    sqlMode?: string;
}

export interface SourceEvent {
    database: string;
    name: string;
    /** SHOW CREATE EVENT text. */
    createSql: string;
    sqlMode: string;
    /** Time zone the schedule is interpreted in (SYSTEM or an offset/name). */
    timeZone: string;
}

/** Where a source column lands. */
export interface ColumnMapping {
    source: SourceColumn;
    target: string;
    /** What a zero date becomes at a destination without them (objects[].tables[].zeroDates); absent: NULL. */
    zeroDate?: ZeroDateChoice;
}

export type ZeroDateChoice = "minus-infinity" | "epoch";

/**
 * One selected table and everything about where it goes: names after renames and the
 * capitalisation policy, the columns kept, the row filter, and the key used to split,
 * resume and (later) apply changes.
 */
export interface TableMapping {
    source: SourceTable;
    /** Destination database (MySQL) or schema (PostgreSQL). */
    targetSchema: string;
    targetTable: string;
    columns: ColumnMapping[];
    where: string | null;
    /** Primary key, else the first unique key with only NOT NULL columns, else null. */
    key: string[] | null;
}

/** A point in the source's binary log. */
export interface BinlogPosition {
    file: string;
    position: number;
    /** GTID set (MySQL) or gtid_binlog_pos (MariaDB) at this point, when known. */
    gtid?: string;
}

/** Renders a position for messages and outputs. */
export function formatPosition(p: BinlogPosition): string {
    return `${p.file}:${p.position}${p.gtid ? ` (gtid ${p.gtid})` : ""}`;
}

/** A row as read from the source: one value per mapped column, in mapping order. */
export type SourceValue = string | Buffer | null;
export type SourceRow = SourceValue[];

/** Orders binlog positions: file sequence number, then offset. */
export function comparePositions(a: BinlogPosition, b: BinlogPosition): number {
    const seq = (f: string) => Number(/(\d+)$/.exec(f)?.[1] ?? 0);
    return seq(a.file) - seq(b.file) || a.position - b.position;
}
