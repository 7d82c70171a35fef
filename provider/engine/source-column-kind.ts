import type { SourceColumn } from "./model";

/**
 * What a MySQL-family source column holds, as every non-SQL destination's type map reads
 * it (Tablestore, MaxCompute): one classification, so the two maps disagree only where
 * their destinations do. Undefined for a type none of them knows.
 */
export type SourceColumnKind =
    | "integer" | "unsigned-bigint" | "decimal" | "float" | "double" | "bit" | "year"
    | "date" | "datetime" | "timestamp" | "time"
    /** CHAR, VARCHAR, TEXT types, ENUM, SET, MariaDB's UUID/INET4/INET6, as their text. */
    | "text" | "json" | "binary"
    /** MySQL's internal geometry value: 4-byte little-endian SRID, then WKB. */
    | "spatial";

const spatialTypes = new Set([
    "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
    "multipolygon", "geometrycollection", "geomcollection",
]);

const kinds = new Map<string, SourceColumnKind>(Object.entries({
    tinyint: "integer", smallint: "integer", mediumint: "integer", int: "integer", integer: "integer", bigint: "integer",
    decimal: "decimal", numeric: "decimal",
    float: "float", double: "double", real: "double",
    bit: "bit", year: "year",
    date: "date", datetime: "datetime", timestamp: "timestamp", time: "time",
    char: "text", varchar: "text", tinytext: "text", text: "text", mediumtext: "text", longtext: "text",
    enum: "text", set: "text", uuid: "text", inet4: "text", inet6: "text",
    json: "json",
    binary: "binary", varbinary: "binary", tinyblob: "binary", blob: "binary", mediumblob: "binary", longblob: "binary",
} satisfies Record<string, SourceColumnKind>));

export function sourceColumnKind(col: SourceColumn): SourceColumnKind | undefined {
    // MariaDB's JSON is LONGTEXT with a json_valid() CHECK: the flag, not the type, says JSON.
    if (col.isJson) return "json";
    if (spatialTypes.has(col.dataType)) return "spatial";
    const kind = kinds.get(col.dataType);
    return kind === "integer" && col.dataType === "bigint" && col.unsigned ? "unsigned-bigint" : kind;
}

/** A value as an error message shows it: bytes in hex, text quoted, both cut short. */
export function describeValue(v: string | Buffer): string {
    if (Buffer.isBuffer(v)) return `0x${v.subarray(0, 32).toString("hex")}${v.length > 32 ? `… (${v.length} bytes)` : ""}`;
    return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v) + (v.length > 80 ? ` (${v.length} characters)` : "");
}
