import type { ColumnMapping, SourceColumn, SourceIndex, SourceTable, TableMapping } from "../../../engine/model";
import { defaultClause, hasCharset } from "../column-types";
import { columnRefs, renameColumnRefs } from "./expressions";
import { isBareWord, qualified, quoteIdent, quoteString } from "../identifiers";
import { DdlError } from "../schema-errors";
import { atLeast, serverDialect } from "../server-dialect";

export { rewriteDefiner } from "./definer";
export { renameSchemaInCreate } from "./expressions";

/**
 * DDL for a MySQL-family destination, from SourceTable + TableMapping. Tables are created
 * without secondary indexes and foreign keys by default: the engine loads rows first, then
 * runs secondaryIndexSqls, then foreignKeySqls (in that order: an index must exist before a
 * foreign key that uses it, or the server creates its own under the constraint's name).
 *
 * Not reproduced: partitioning, AUTO_INCREMENT start values (the load sets them), ROW_FORMAT
 * and other CREATE_OPTIONS, index parsers (WITH PARSER), MySQL 8 functional index parts,
 * and system versioning. Statements assume sql_mode without NO_BACKSLASH_ESCAPES/ANSI_QUOTES.
 */

export function createDatabaseSql(name: string, charset: string, collation: string): string {
    return `CREATE DATABASE IF NOT EXISTS ${quoteIdent(name)} DEFAULT CHARACTER SET ${word(charset, { database: name })} COLLATE ${word(collation, { database: name })}`;
}

export interface CreateTableOptions {
    /** Create secondary indexes inline (else secondaryIndexSqls, after the load). */
    secondaryIndexes: boolean;
    /**
     * The MariaDB-only column types the destination server has (mariadbTypesOf); a column of
     * another one gets its text form's type (fallbackTypes). Absent: the destination is taken
     * to have every type the source has.
     */
    mariadbTypes?: ReadonlySet<string>;
}

/**
 * MariaDB-only column types and the MariaDB release that introduced each. A destination
 * without one (MySQL, PolarDB, an older MariaDB) stores the value's text instead.
 */
const mariadbOnlyTypes: Record<string, [major: number, minor: number]> = { inet6: [10, 5], uuid: [10, 7], inet4: [10, 10], vector: [11, 7] };

/** The MariaDB-only column types a destination server of this version has. */
export function mariadbTypesOf(flavour: string, serverVersion: string): Set<string> {
    const d = serverDialect(flavour, serverVersion);
    if (d.flavour !== "MariaDB") return new Set();
    return new Set(Object.entries(mariadbOnlyTypes).filter(([, [major, minor]]) => atLeast(d.version, major, minor)).map(([t]) => t));
}

/**
 * What a destination without the type stores: the text the server prints for the value
 * (and the full load and the stream carry), at its longest ('ffff:…:ffff' is 39 characters,
 * '255.255.255.255' 15; a dotted INET6 form is shorter). ASCII with a binary collation:
 * every printed value is canonical, so equal values are equal strings and a text compare
 * (a unique key, a keyless row's match) is exact, as the source type's compare is.
 */
const fallbackTypes: Record<string, string> = {
    uuid: "char(36) CHARACTER SET ascii COLLATE ascii_bin",
    inet6: "varchar(39) CHARACTER SET ascii COLLATE ascii_bin",
    inet4: "varchar(15) CHARACTER SET ascii COLLATE ascii_bin",
};

/** Charsets, collations, engines and FK rules are spliced in bare; refuse anything that is not a plain word. */
function word(value: string, where: { database?: string; table?: string; column?: string }): string {
    if (!isBareWord(value)) throw new DdlError(where, `unexpected option value ${JSON.stringify(value)}`);
    return value;
}

/** Source column name → target name, case-insensitive as MySQL column names are. */
class ColumnNames {
    private readonly map = new Map<string, string>();
    constructor(columns: ColumnMapping[]) {
        for (const c of columns) this.map.set(c.source.name.toLowerCase(), c.target);
    }
    target(source: string): string | undefined {
        return this.map.get(source.toLowerCase());
    }
    /** True when every column `expr` references is mapped. */
    covers(expr: string): boolean {
        return columnRefs(expr).every((c) => this.target(c) !== undefined);
    }
    rename(expr: string): string {
        return renameColumnRefs(expr, (c) => this.target(c));
    }
}

const onUpdate = /\bon update\s+(current_timestamp(\s*\(\s*\d*\s*\))?|now\s*\(\s*\d*\s*\)|localtime(stamp)?(\s*\(\s*\d*\s*\))?)/i;

/** The destination's type for a column: as on the source, or the text form of a MariaDB type the destination lacks. */
function columnType(c: SourceColumn, where: { database: string; table: string; column: string }, mariadbTypes: ReadonlySet<string> | undefined): string {
    if (c.isJson) return "json";
    // The full load reads VECTOR's bytes as text and the stream cannot decode them: no copy would be exact.
    if (c.dataType === "vector") throw new DdlError(where, `type ${c.columnType} is not supported; leave the column out with the table's columns: [...]`);
    if (c.dataType in mariadbOnlyTypes && mariadbTypes !== undefined && !mariadbTypes.has(c.dataType)) return fallbackTypes[c.dataType];
    return c.columnType;
}

function columnDefinition(m: ColumnMapping, names: ColumnNames, table: SourceTable, mariadbTypes: ReadonlySet<string> | undefined): string {
    const c = m.source;
    const where = { database: table.database, table: table.name, column: c.name };
    const parts = [quoteIdent(m.target), columnType(c, where, mariadbTypes)];
    // JSON takes the destination's own charset rules (MariaDB: utf8mb4_bin; MySQL: none).
    if (!c.isJson && hasCharset(c.dataType) && c.charset !== null) {
        parts.push(`CHARACTER SET ${word(c.charset, where)}`);
        if (c.collation !== null) parts.push(`COLLATE ${word(c.collation, where)}`);
    }
    if (c.generationExpression !== null) {
        if (!names.covers(c.generationExpression)) {
            const missing = columnRefs(c.generationExpression).filter((r) => names.target(r) === undefined);
            throw new DdlError(where, `generated from column(s) ${missing.join(", ")}, which are not migrated`);
        }
        const stored = /\b(STORED|PERSISTENT)\b/i.test(c.extra) ? "STORED" : "VIRTUAL";
        parts.push(`GENERATED ALWAYS AS (${names.rename(c.generationExpression)}) ${stored}`);
        if (!c.nullable) parts.push("NOT NULL");
    } else {
        parts.push(c.nullable ? "NULL" : "NOT NULL");
        const autoIncrement = /\bauto_increment\b/i.test(c.extra);
        if (c.defaultValue !== null && !autoIncrement) parts.push(`DEFAULT ${defaultClause(c.defaultValue)}`);
        const upd = onUpdate.exec(c.extra);
        if (upd) parts.push(`ON UPDATE ${upd[1]}`);
        if (autoIncrement) parts.push("AUTO_INCREMENT");
    }
    if (c.invisible) parts.push("INVISIBLE");
    if (c.comment !== "") parts.push(`COMMENT ${quoteString(c.comment)}`);
    for (const chk of table.checks) {
        if (chk.column !== undefined && chk.column.toLowerCase() === c.name.toLowerCase() && names.covers(chk.clause)) {
            parts.push(`CHECK (${names.rename(chk.clause)})`);
        }
    }
    return parts.join(" ");
}

function keyParts(parts: SourceIndex["columns"], names: ColumnNames): string {
    return parts
        .map((p) => `${quoteIdent(names.target(p.name) ?? p.name)}${p.prefixLength !== null ? `(${p.prefixLength})` : ""}${p.descending ? " DESC" : ""}`)
        .join(", ");
}

/** "UNIQUE ", "FULLTEXT ", "SPATIAL " or "" before KEY/INDEX. */
function indexPrefix(idx: SourceIndex): string {
    if (idx.kind === "FULLTEXT") return "FULLTEXT ";
    if (idx.kind === "SPATIAL") return "SPATIAL ";
    return idx.unique ? "UNIQUE " : "";
}

/**
 * USING only where it differs from the engine's default: HASH is the default of MEMORY
 * and an explicit choice elsewhere (MariaDB's long UNIQUE keys); BTREE is the default of
 * everything but MEMORY.
 */
function indexUsing(idx: SourceIndex, engine: string): string {
    const memory = /^(memory|heap)$/i.test(engine);
    if (idx.kind === "HASH" && !memory) return " USING HASH";
    if (idx.kind === "BTREE" && memory) return " USING BTREE";
    return "";
}

function indexTail(idx: SourceIndex, engine: string): string {
    return indexUsing(idx, engine) + (idx.comment ? ` COMMENT ${quoteString(idx.comment)}` : "");
}

/**
 * Which secondary indexes can exist (all their columns migrated) and which must be
 * created with the table. InnoDB requires the AUTO_INCREMENT column to lead some index,
 * so when the primary key does not start with it, the first index that does is inline,
 * and so are the indexes before it: the server keeps keys in creation order, and
 * SHOW CREATE TABLE should read as on the source.
 */
function indexPlan(mapping: TableMapping, names: ColumnNames): { mappable: SourceIndex[]; required: Set<SourceIndex> } {
    const t = mapping.source;
    const mappable = t.indexes.filter((i) => i.columns.every((c) => names.target(c.name) !== undefined));
    const none = { mappable, required: new Set<SourceIndex>() };
    const auto = mapping.columns.find((c) => /\bauto_increment\b/i.test(c.source.extra));
    if (auto === undefined) return none;
    const lead = auto.source.name.toLowerCase();
    const pkFirst = (t.primaryKeyParts?.[0]?.name ?? t.primaryKey?.[0])?.toLowerCase();
    if (pkFirst === lead) return none;
    const at = mappable.findIndex((i) => i.columns[0]?.name.toLowerCase() === lead);
    return at < 0 ? none : { mappable, required: new Set(mappable.slice(0, at + 1)) };
}

export function createTableSql(mapping: TableMapping, opts: CreateTableOptions): string {
    const t = mapping.source;
    const where = { database: t.database, table: t.name };
    if (mapping.columns.length === 0) throw new DdlError(where, "no columns are migrated");
    const names = new ColumnNames(mapping.columns);
    const lines = mapping.columns.map((m) => columnDefinition(m, names, t, opts.mariadbTypes));

    const pk = t.primaryKeyParts ?? t.primaryKey?.map((name) => ({ name, prefixLength: null, descending: false })) ?? null;
    if (pk !== null) {
        const missing = pk.filter((p) => names.target(p.name) === undefined).map((p) => p.name);
        if (missing.length > 0) throw new DdlError({ ...where, column: missing[0] }, "primary key column is not migrated; migrate it or the destination has no key");
        lines.push(`PRIMARY KEY (${keyParts(pk, names)})`);
    }
    const plan = indexPlan(mapping, names);
    for (const idx of plan.mappable) {
        if (opts.secondaryIndexes || plan.required.has(idx)) lines.push(`${indexPrefix(idx)}KEY ${quoteIdent(idx.name)} (${keyParts(idx.columns, names)})${indexTail(idx, t.engine)}`);
    }
    // A constraint on a column that is not migrated has nothing to constrain; it is left out.
    for (const chk of t.checks) {
        if (chk.column === undefined && names.covers(chk.clause)) lines.push(`CONSTRAINT ${quoteIdent(chk.name)} CHECK (${names.rename(chk.clause)})`);
    }

    const options: string[] = [];
    if (t.engine !== "") options.push(`ENGINE=${word(t.engine, where)}`);
    if (t.charset !== "") options.push(`DEFAULT CHARSET=${word(t.charset, where)}`);
    if (t.collation !== "") options.push(`COLLATE=${word(t.collation, where)}`);
    if (t.comment !== "") options.push(`COMMENT=${quoteString(t.comment)}`);
    return `CREATE TABLE ${qualified(mapping.targetSchema, mapping.targetTable)} (\n  ${lines.join(",\n  ")}\n)${options.length ? " " + options.join(" ") : ""}`;
}

/**
 * One ALTER TABLE per secondary index not created with the table, in the source's key
 * order. Indexes on columns that are not migrated are left out. One statement each so a
 * failure names its index, and because InnoDB builds only one FULLTEXT index per ALTER
 * in place.
 */
export function secondaryIndexSqls(mapping: TableMapping): string[] {
    const names = new ColumnNames(mapping.columns);
    const plan = indexPlan(mapping, names);
    const table = qualified(mapping.targetSchema, mapping.targetTable);
    return plan.mappable
        .filter((idx) => !plan.required.has(idx))
        .map((idx) => `ALTER TABLE ${table} ADD ${indexPrefix(idx)}INDEX ${quoteIdent(idx.name)} (${keyParts(idx.columns, names)})${indexTail(idx, mapping.source.engine)}`);
}

/** Where a referenced source table lands, or null when it is not migrated. */
export type ReferenceResolver = (db: string, table: string) => { schema: string; table: string; columnName: (c: string) => string } | null;

/**
 * A ReferenceResolver over the migration's table mappings (the load's, or the stream's
 * current ones), so the full load and the stream name a referenced table alike.
 */
export function referenceResolver(lookup: (db: string, table: string) => TableMapping | null): ReferenceResolver {
    return (db, table) => {
        const t = lookup(db, table);
        if (t === null) return null;
        // Case-insensitive: REFERENCES p (ID) names column `id` as far as the server is concerned.
        const names = new ColumnNames(t.columns);
        return { schema: t.targetSchema, table: t.targetTable, columnName: (c) => names.target(c) ?? c };
    };
}

const fkRules = new Set(["RESTRICT", "CASCADE", "SET NULL", "NO ACTION", "SET DEFAULT"]);

/**
 * ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY for each foreign key whose columns and
 * referenced table are migrated. The others are described in `notes` (DTS migrates
 * foreign keys with the schema; one that points outside the migration cannot be created).
 */
export function foreignKeySqls(mapping: TableMapping, resolve: ReferenceResolver): { sqls: string[]; notes: string[] } {
    const t = mapping.source;
    const names = new ColumnNames(mapping.columns);
    const table = qualified(mapping.targetSchema, mapping.targetTable);
    const sqls: string[] = [];
    const notes: string[] = [];
    for (const fk of t.foreignKeys) {
        const label = `foreign key ${quoteIdent(fk.name)} of ${qualified(t.database, t.name)}`;
        const unmapped = fk.columns.filter((c) => names.target(c) === undefined);
        if (unmapped.length > 0) {
            notes.push(`${label} not created: column(s) ${unmapped.join(", ")} are not migrated`);
            continue;
        }
        const ref = resolve(fk.referencedDatabase, fk.referencedTable);
        if (ref === null) {
            notes.push(`${label} not created: it references ${qualified(fk.referencedDatabase, fk.referencedTable)}, which is not migrated`);
            continue;
        }
        const rule = (r: string) => {
            const up = r.toUpperCase();
            if (!fkRules.has(up)) throw new DdlError({ database: t.database, table: t.name }, `${label} has unknown rule ${JSON.stringify(r)}`);
            return up;
        };
        sqls.push(
            `ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(fk.name)} FOREIGN KEY (${fk.columns.map((c) => quoteIdent(names.target(c) ?? c)).join(", ")}) ` +
                `REFERENCES ${qualified(ref.schema, ref.table)} (${fk.referencedColumns.map((c) => quoteIdent(ref.columnName(c))).join(", ")}) ` +
                `ON DELETE ${rule(fk.onDelete)} ON UPDATE ${rule(fk.onUpdate)}`,
        );
    }
    return { sqls, notes };
}
