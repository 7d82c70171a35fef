import type { SourceColumn, SourceIndex, SourceTable, TableMapping } from "../../provider/engine/model";

/** A column as information_schema would describe it; `columnType` drives the rest. */
export function col(name: string, columnType: string, extra: Partial<SourceColumn> = {}): SourceColumn {
    const dataType = /^[a-z][a-z0-9]*/.exec(columnType)?.[0] ?? columnType;
    const args = /\(([^)]*)\)/.exec(columnType)?.[1].split(",").map((x) => x.trim()) ?? [];
    const num = (i: number) => (args[i] !== undefined && /^\d+$/.test(args[i]) ? Number(args[i]) : null);
    const temporal = ["datetime", "timestamp", "time"].includes(dataType);
    const stringy = ["char", "varchar", "binary", "varbinary"].includes(dataType);
    return {
        name, ordinal: 1, dataType, columnType, nullable: true, defaultValue: null, extra: "", generationExpression: null,
        unsigned: columnType.includes("unsigned"),
        maxLength: stringy ? num(0) : null,
        numericPrecision: dataType === "decimal" || dataType === "bit" ? num(0) : null,
        numericScale: dataType === "decimal" ? num(1) ?? 0 : null,
        datetimePrecision: temporal ? num(0) ?? 0 : null,
        charset: null, collation: null,
        enumValues: dataType === "enum" || dataType === "set" ? args.map((a) => a.slice(1, -1)) : null,
        comment: "", invisible: false, isJson: dataType === "json",
        ...extra,
    };
}

export function index(name: string, columns: (string | [string, number])[], extra: Partial<SourceIndex> = {}): SourceIndex {
    return {
        name, unique: false, kind: "BTREE",
        columns: columns.map((c) => (typeof c === "string" ? { name: c, prefixLength: null, descending: false } : { name: c[0], prefixLength: c[1], descending: false })),
        ...extra,
    };
}

/** A mapping that keeps every column under its own name unless `renames` says otherwise. */
export function mapping(columns: SourceColumn[], table: Partial<SourceTable> = {}, renames: Record<string, string> = {}): TableMapping {
    const source: SourceTable = {
        database: "shop", name: "orders", columns, primaryKey: null, indexes: [], foreignKeys: [], checks: [],
        engine: "InnoDB", charset: "utf8mb4", collation: "utf8mb4_general_ci", comment: "", estimatedRows: 0, dataBytes: 0,
        ...table,
    };
    return {
        source, targetSchema: "shop", targetTable: "orders",
        columns: columns.map((c) => ({ source: c, target: renames[c.name] ?? c.name })),
        where: null,
        key: source.primaryKey ?? source.indexes.find((i) => i.unique)?.columns.map((c) => c.name) ?? null,
    };
}
