import type { PermanentFailure } from "../../engine/retry";
import type { SourceColumn } from "../../engine/model";

/**
 * How a source value is carried to PostgreSQL. The DDL and the COPY encoder both switch on
 * this, so a column's type and its value conversion cannot drift apart.
 */
export type ValueKind =
    | "integer" | "decimal" | "float" | "bit" | "year"
    | "date" | "datetime" | "timestamp" | "time"
    | "string" | "enum" | "set" | "json" | "binary"
    | "uuid" | "inet";

export type Compatibility = { ok: true } | { ok: false; reason: string; fix: string };

/** A column whose type has no PostgreSQL counterpart; the task must leave it out. */
export class UnsupportedColumnError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(
        readonly column: string,
        readonly dataType: string,
        readonly reason: string,
        readonly fix: string,
    ) {
        super(`column "${column}" (${dataType}) cannot be migrated to PostgreSQL: ${reason}; ${fix}`);
        this.name = "UnsupportedColumnError";
    }
}

export interface PgTypeOptions {
    /**
     * Digits the reader keeps for FLOAT/DOUBLE (it selects ROUND(column, digits), as DTS
     * does). Rounding happens on the source, so it never widens a value: real and double
     * precision hold whatever comes back. Taken here so every type decision sees the task's
     * settings.
     */
    floatPrecision: { float: number; double: number };
}

const spatialTypes = new Set([
    "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
    "multipolygon", "geometrycollection", "geomcollection",
]);

const kinds = new Map<string, ValueKind>(Object.entries({
    tinyint: "integer", smallint: "integer", mediumint: "integer", int: "integer", integer: "integer", bigint: "integer",
    decimal: "decimal", numeric: "decimal",
    float: "float", double: "float", real: "float",
    bit: "bit", year: "year",
    date: "date", datetime: "datetime", timestamp: "timestamp", time: "time",
    char: "string", varchar: "string", tinytext: "string", text: "string", mediumtext: "string", longtext: "string",
    enum: "enum", set: "set", json: "json",
    binary: "binary", varbinary: "binary", tinyblob: "binary", blob: "binary", mediumblob: "binary", longblob: "binary",
    // MariaDB 10.7+/10.10+ types; their text form is what PostgreSQL's uuid/inet read.
    uuid: "uuid", inet4: "inet", inet6: "inet",
} satisfies Record<string, ValueKind>));

/** Where a column's values go; throws UnsupportedColumnError for types that cannot be migrated. */
export function valueKind(col: SourceColumn): ValueKind {
    const compat = checkPostgresCompatibility(col);
    if (!compat.ok) throw new UnsupportedColumnError(col.name, col.dataType, compat.reason, compat.fix);
    // MariaDB's JSON is LONGTEXT with a json_valid() CHECK: the flag, not the type, says JSON.
    return col.isJson ? "json" : (kinds.get(col.dataType) as ValueKind);
}

export function checkPostgresCompatibility(col: SourceColumn): Compatibility {
    const exclude = `leave the column out by listing the table's other columns in \`columns: [...]\``;
    if (spatialTypes.has(col.dataType)) {
        return {
            ok: false,
            reason: `spatial type ${col.dataType.toUpperCase()} cannot be migrated to PostgreSQL/AnalyticDB (GEOMETRY and POINT are not migratable)`,
            fix: exclude,
        };
    }
    if (!col.isJson && !kinds.has(col.dataType)) {
        return { ok: false, reason: `type ${col.columnType} has no PostgreSQL mapping`, fix: exclude };
    }
    return { ok: true };
}

/** The PostgreSQL column type for a source column. */
export function pgType(col: SourceColumn, opts: PgTypeOptions): string {
    void opts; // see PgTypeOptions.floatPrecision
    switch (valueKind(col)) {
        case "integer": return integerType(col);
        case "decimal": {
            const p = col.numericPrecision ?? parseArgs(col.columnType)[0] ?? 10;
            const s = col.numericScale ?? parseArgs(col.columnType)[1] ?? 0;
            return `numeric(${p},${s})`;
        }
        // MySQL FLOAT is IEEE single, DOUBLE (and REAL) IEEE double: the same storage, so
        // every value round-trips exactly.
        case "float": return col.dataType === "float" ? "real" : "double precision";
        case "bit": return `bit(${bitWidth(col)})`;
        case "year": return "smallint";
        case "date": return "date";
        case "datetime": return `timestamp(${fsp(col)}) without time zone`;
        // MySQL TIMESTAMP is an instant stored in UTC and shown in the session zone.
        case "timestamp": return `timestamp(${fsp(col)}) with time zone`;
        // MySQL TIME is a duration (-838:59:59..838:59:59), not a time of day.
        case "time": return `interval(${fsp(col)})`;
        case "string": return stringType(col);
        case "enum": case "set": return "text";
        case "json": return "jsonb";
        case "binary": return "bytea";
        case "uuid": return "uuid";
        case "inet": return "inet";
    }
}

function integerType(col: SourceColumn): string {
    switch (col.dataType) {
        // tinyint(1) (BOOLEAN) stays numeric: MySQL stores any value -128..127 in it.
        case "tinyint": return "smallint";
        case "smallint": return col.unsigned ? "integer" : "smallint";
        case "mediumint": return "integer";
        case "bigint": return col.unsigned ? "numeric(20,0)" : "bigint";
        default: return col.unsigned ? "bigint" : "integer";
    }
}

function stringType(col: SourceColumn): string {
    if (col.dataType !== "char" && col.dataType !== "varchar") return "text";
    // varchar, not char, for CHAR(n): MySQL hands CHAR values back without trailing spaces,
    // and PostgreSQL's char(n) would pad them again and compare differently.
    const n = col.maxLength ?? parseArgs(col.columnType)[0] ?? null;
    // CHAR(0) is legal in MySQL (holds '' or NULL); varchar(0) is not in PostgreSQL.
    return n === null || n === 0 ? "varchar" : `varchar(${n})`;
}

/** BIT(n) width in bits; information_schema reports it as NUMERIC_PRECISION. */
export function bitWidth(col: SourceColumn): number {
    return col.numericPrecision ?? parseArgs(col.columnType)[0] ?? 1;
}

/** Fractional-second digits, 0..6. */
export function fsp(col: SourceColumn): number {
    return col.datetimePrecision ?? parseArgs(col.columnType)[0] ?? 0;
}

function parseArgs(columnType: string): number[] {
    const m = /^[a-z]+\s*\(([\d,\s]+)\)/.exec(columnType);
    return m ? m[1].split(",").map((x) => Number(x.trim())) : [];
}
