import type { PermanentFailure } from "../../engine/retry";
import type { SourceIndex, TableMapping } from "../../engine/model";
import { translateDefault } from "./defaults";
import { derivedName, exceedsIdentifierLimit, maxIdentifierBytes, qualified, quoteIdent, quoteLiteral, truncatedIdentifier } from "./identifiers";
import { pgType, valueKind } from "./type-map";

/** A table whose destination DDL cannot be built as configured; names the table and the fix. */
export class TableDdlError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(
        /** `database.table` on the source. */
        readonly table: string,
        readonly reason: string,
    ) {
        super(`table ${table}: ${reason}`);
        this.name = "TableDdlError";
    }
}

export interface CreateTableOptions {
    floatPrecision: { float: number; double: number };
    /** AnalyticDB distribution key: destination column names (source names are accepted too). */
    distributionKey?: string[] | null;
    /** AnalyticDB for PostgreSQL (Greenplum): adds DISTRIBUTED BY and enforces its key rules. */
    analyticdb: boolean;
}

export interface TableDdl {
    sql: string;
    /** What the destination does differently from the source, for the task's report. */
    notes: string[];
}

export interface IndexDdl {
    sqls: string[];
    notes: string[];
}

/** PostgreSQL reserves schema names starting with pg_; a MySQL database may well be called that. */
export class SchemaNameError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly schema: string) {
        super(`schema name "${schema}" is reserved in PostgreSQL (names starting with pg_ are system schemas); rename the database with renameTo`);
        this.name = "SchemaNameError";
    }
}

export function createSchemaSql(schema: string): string {
    if (/^pg_/i.test(schema)) throw new SchemaNameError(schema);
    return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`;
}

const sourceName = (m: TableMapping) => `${m.source.database}.${m.source.name}`;

export function createTableSql(mapping: TableMapping, opts: CreateTableOptions): TableDdl {
    const table = sourceName(mapping);
    const notes: string[] = [];
    const lines: string[] = [];
    checkNameLengths(mapping, notes);
    const primaryKey = primaryKeyTargets(mapping);

    for (const { source: col, target, zeroDate } of mapping.columns) {
        const kind = valueKind(col);
        let line = `${quoteIdent(target)} ${pgType(col, opts)}`;
        if (!col.nullable) {
            // With a zero-date choice no value is NULL, so the column keeps NOT NULL.
            if ((kind === "date" || kind === "datetime" || kind === "timestamp") && !zeroDate) {
                // Zero dates arrive as NULL (DTS behaviour), so NOT NULL would reject them.
                notes.push(`column "${target}" is nullable in PostgreSQL: MySQL zero dates in it are written as NULL`);
            } else {
                line += " NOT NULL";
            }
        }
        const def = translateDefault(col, kind);
        if ("omitted" in def) notes.push(def.omitted);
        else if (def.sql !== null) line += ` DEFAULT ${def.sql}`;
        lines.push(line);

        if (kind === "enum" && col.enumValues) {
            // Non-strict MySQL stores an invalid ENUM value as '' (index 0), so '' is always allowed.
            const allowed = col.enumValues.includes("") ? col.enumValues : ["", ...col.enumValues];
            const name = derivedName([mapping.targetTable, target], "check");
            lines.push(`CONSTRAINT ${quoteIdent(name)} CHECK (${quoteIdent(target)} IN (${allowed.map(quoteLiteral).join(", ")}))`);
        }
        if (/auto_increment/i.test(col.extra)) {
            notes.push(`column "${target}" is AUTO_INCREMENT in the source: values are copied, no sequence is created`);
        }
        if (/on update/i.test(col.extra)) notes.push(`column "${target}": ON UPDATE ${col.extra.replace(/.*on update\s*/i, "")} is not reproduced`);
        if (col.generationExpression !== null) notes.push(`column "${target}" is generated in the source: its values are copied into a plain column`);
    }
    if (primaryKey) lines.push(`PRIMARY KEY (${primaryKey.map(quoteIdent).join(", ")})`);

    for (const c of mapping.source.checks) {
        if (!/^json_valid\(`[^`]+`\)$/i.test(c.clause.trim())) notes.push(`CHECK constraint ${c.name} (${c.clause}) is not migrated`);
    }
    for (const fk of mapping.source.foreignKeys) notes.push(`foreign key ${fk.name} is not migrated`);

    let sql = `CREATE TABLE ${qualified(mapping.targetSchema, mapping.targetTable)} (\n    ${lines.join(",\n    ")}\n)`;
    if (opts.analyticdb) {
        const key = distributionKey(mapping, primaryKey, opts.distributionKey ?? null);
        sql += key.length > 0 ? ` DISTRIBUTED BY (${key.map(quoteIdent).join(", ")})` : " DISTRIBUTED RANDOMLY";
    } else if (opts.distributionKey && opts.distributionKey.length > 0) {
        notes.push("distributionKey applies to AnalyticDB for PostgreSQL only and was ignored");
    }
    return { sql, notes };
}

/**
 * CREATE [UNIQUE] INDEX for the secondary indexes that can exist in PostgreSQL: all their
 * columns migrated, no prefix lengths (PostgreSQL has no prefix indexes), not FULLTEXT or
 * SPATIAL. Names are the target table's, then the source index's, with a hash that keeps
 * them unique in the schema.
 */
export function createIndexSqls(mapping: TableMapping): IndexDdl {
    const sqls: string[] = [];
    const notes: string[] = [];
    const targets = targetsBySource(mapping);
    for (const idx of mapping.source.indexes) {
        const skip = whyNotMigratable(idx, targets);
        if (skip) {
            notes.push(`index ${idx.name} is not migrated: ${skip}`);
            continue;
        }
        const cols = idx.columns.map((c) => `${quoteIdent(targets.get(c.name) as string)}${c.descending ? " DESC" : ""}`);
        const name = derivedName([mapping.targetTable, idx.name], idx.unique ? "key" : "idx");
        sqls.push(`CREATE ${idx.unique ? "UNIQUE " : ""}INDEX ${quoteIdent(name)} ON ${qualified(mapping.targetSchema, mapping.targetTable)} (${cols.join(", ")})`);
    }
    return { sqls, notes };
}

function whyNotMigratable(idx: SourceIndex, targets: Map<string, string>): string | null {
    const kind = idx.kind.toUpperCase();
    if (kind === "FULLTEXT" || kind === "SPATIAL") return `${kind} indexes have no PostgreSQL equivalent`;
    const prefixed = idx.columns.find((c) => c.prefixLength !== null);
    if (prefixed) return `prefix indexes cannot be migrated (${prefixed.name}(${prefixed.prefixLength}))`;
    const missing = idx.columns.find((c) => !targets.has(c.name));
    if (missing) return `column ${missing.name} is not migrated`;
    return null;
}

function targetsBySource(mapping: TableMapping): Map<string, string> {
    return new Map(mapping.columns.map((c) => [c.source.name, c.target]));
}

/** The primary key in target names, when the mapping's key is the source's primary key. */
function primaryKeyTargets(mapping: TableMapping): string[] | null {
    const pk = mapping.source.primaryKey;
    if (!pk || !mapping.key || !sameColumns(pk, mapping.key)) return null;
    const targets = targetsBySource(mapping);
    return pk.map((name) => {
        const t = targets.get(name);
        if (t === undefined) {
            throw new TableDdlError(sourceName(mapping), `primary key column ${name} is not among the migrated columns; add it to \`columns\``);
        }
        return t;
    });
}

function sameColumns(a: string[], b: string[]): boolean {
    return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Greenplum hashes rows to segments by the distribution key and can only enforce a primary
 * or unique key that contains it (seed 002: the key must be a subset of the primary key, and
 * every unique key must include all its columns). Without an explicit key: the primary-key
 * columns that every unique key also contains; with no primary key, the columns common to
 * all unique keys; with no keys at all, random distribution.
 */
function distributionKey(mapping: TableMapping, primaryKey: string[] | null, requested: string[] | null): string[] {
    const table = sourceName(mapping);
    const targets = targetsBySource(mapping);
    const uniques = mapping.source.indexes
        .filter((i) => i.unique && whyNotMigratable(i, targets) === null)
        .map((i) => ({ name: i.name, columns: i.columns.map((c) => targets.get(c.name) as string) }));

    if (requested && requested.length > 0) {
        const key = requested.map((name) => resolveColumn(mapping, name));
        const dup = key.find((k, i) => key.indexOf(k) !== i);
        if (dup) throw new TableDdlError(table, `distribution key lists column "${dup}" twice`);
        if (primaryKey) {
            const outside = key.filter((k) => !primaryKey.includes(k));
            if (outside.length > 0) {
                throw new TableDdlError(table,
                    `distribution key (${key.join(", ")}) must be a subset of the primary key (${primaryKey.join(", ")}); ` +
                    `${outside.map((c) => `"${c}"`).join(", ")} ${outside.length === 1 ? "is" : "are"} not in it`);
            }
        }
        for (const u of uniques) {
            const missing = key.filter((k) => !u.columns.includes(k));
            if (missing.length > 0) {
                throw new TableDdlError(table,
                    `unique key ${u.name} (${u.columns.join(", ")}) must include every distribution key column; ` +
                    `it lacks ${missing.map((c) => `"${c}"`).join(", ")}: choose a distribution key inside all unique keys`);
            }
        }
        return key;
    }
    const base = primaryKey ?? uniques[0]?.columns ?? [];
    const key = base.filter((c) => uniques.every((u) => u.columns.includes(c)));
    if (base.length > 0 && key.length === 0) {
        throw new TableDdlError(table,
            `no column is shared by the ${primaryKey ? "primary key and all unique keys" : "unique keys"} ` +
            `(${uniques.map((u) => `${u.name}: ${u.columns.join(", ")}`).join("; ")}), so AnalyticDB cannot distribute the table ` +
            "and enforce them all; leave a unique key's columns out of the migration, or migrate to PostgreSQL");
    }
    return key;
}

function resolveColumn(mapping: TableMapping, name: string): string {
    const byTarget = mapping.columns.find((c) => c.target === name);
    if (byTarget) return byTarget.target;
    const bySource = mapping.columns.find((c) => c.source.name === name);
    if (bySource) return bySource.target;
    throw new TableDdlError(sourceName(mapping),
        `distribution key column "${name}" is not a migrated column (columns: ${mapping.columns.map((c) => c.target).join(", ")})`);
}

/** PostgreSQL cuts names at 63 bytes; two columns that agree up to there would collide. */
function checkNameLengths(mapping: TableMapping, notes: string[]): void {
    if (exceedsIdentifierLimit(mapping.targetTable)) {
        notes.push(`table name "${mapping.targetTable}" is longer than ${maxIdentifierBytes} bytes; PostgreSQL truncates it`);
    }
    const seen = new Map<string, string>();
    for (const { target } of mapping.columns) {
        const cut = truncatedIdentifier(target);
        const other = seen.get(cut);
        if (other !== undefined) {
            throw new TableDdlError(sourceName(mapping),
                `columns "${other}" and "${target}" are the same name once PostgreSQL truncates it to ${maxIdentifierBytes} bytes; rename one`);
        }
        seen.set(cut, target);
        if (cut !== target) notes.push(`column name "${target}" is longer than ${maxIdentifierBytes} bytes; PostgreSQL truncates it`);
    }
}
