import type { TaskSpec } from "../../../sdk/schema/task";
import { applyCase } from "../../engine/mapping";
import type { SourceColumn, SourceIndex, TableMapping } from "../../engine/model";
import { type AlterAction, manualRecovery, type TableAlteration, UntranslatableDdlError } from "../../engine/schema-change/alter";
import { columnKey, columnTargets, findColumn, isUserRenamed, remapTable, renameTarget, selectsExplicitColumns, type TableResolver } from "../../engine/schema-change/mapping-change";
import type { NamedTable } from "../../engine/schema-change/statement";
import { createIndexSqls, createSchemaSql } from "./ddl";
import { translateDefault, unescapeMysqlLiteral } from "./defaults";
import { derivedName, qualified, quoteIdent, quoteLiteral } from "./identifiers";
import { bitWidth, checkPostgresCompatibility, pgType, type ValueKind, valueKind } from "./type-map";

export { UntranslatableDdlError } from "../../engine/schema-change/alter";
export type { TableResolver } from "../../engine/schema-change/mapping-change";

/**
 * Source DDL (parsed by mysql/alter-parser.ts) as PostgreSQL statements for a mapped table,
 * with the TableMapping as it is after the change. Seed 002's subset: ALTER TABLE (add, drop
 * and rename columns, type changes PostgreSQL can follow, defaults, NOT NULL, keys and
 * indexes where PostgreSQL has them), RENAME, TRUNCATE and DROP TABLE. Column types and
 * defaults go through the schema migration's type map (type-map.ts, defaults.ts), index
 * names through its naming (createIndexSqls), so a table changed here looks as if schema
 * migration had created it that way.
 *
 * What is left out, as schema migration leaves it out, is described in `notes`: columns the
 * mapping does not select, FULLTEXT/SPATIAL/prefix indexes, foreign keys, CHECK constraints,
 * partitioning, table options, column positions (PostgreSQL appends). What would make the
 * destination's data differ is refused with UntranslatableDdlError, whose message says how
 * to recover: type changes whose values PostgreSQL would convert differently (seed 002's
 * recovery), columns the source fills for existing rows in a way PostgreSQL cannot
 * (AUTO_INCREMENT, generated, expression defaults), partition operations that remove rows
 * without logging them, and `unsupported` clauses.
 *
 * The statements are meant to run in one transaction (PostgreSQL DDL is transactional),
 * with the stream's checkpoint.
 */

export interface PgTranslateOptions {
    /** Where a table renamed on the source goes; default: defaultTableTarget (same schema, new name through the name-case policy). */
    resolveTable?: TableResolver;
    /** AnalyticDB for PostgreSQL; default: the task's destination engine says so. */
    analyticdb?: boolean;
}

export interface PgDdlTranslation {
    statements: string[];
    mapping: TableMapping;
    /** What the destination does differently from the source, for the task's log. */
    notes: string[];
}

const defaultCase = "lower";
const dateKinds = new Set<ValueKind>(["date", "datetime", "timestamp"]);

/** Zero dates arrive as NULL (DTS behaviour), so date columns are never NOT NULL in PostgreSQL (as createTableSql). */
function notNullIn(col: SourceColumn, kind: ValueKind): boolean {
    return !col.nullable && !dateKinds.has(kind);
}

/** The allowed values of an ENUM column's CHECK constraint, as createTableSql writes them; null for other columns. */
function enumAllowed(col: SourceColumn, kind: ValueKind): string[] | null {
    if (kind !== "enum" || !col.enumValues) return null;
    return col.enumValues.includes("") ? col.enumValues : ["", ...col.enumValues];
}

function enumCheckName(targetTable: string, targetColumn: string): string {
    return derivedName([targetTable, targetColumn], "check");
}

function enumCheckSql(targetTable: string, targetColumn: string, allowed: string[]): string {
    return `CONSTRAINT ${quoteIdent(enumCheckName(targetTable, targetColumn))} CHECK (${quoteIdent(targetColumn)} IN (${allowed.map(quoteLiteral).join(", ")}))`;
}

/** The name createIndexSqls gives a source index in PostgreSQL. */
export function pgIndexName(targetTable: string, index: Pick<SourceIndex, "name" | "unique">): string {
    return derivedName([targetTable, index.name], index.unique ? "key" : "idx");
}

/** Whether schema migration creates this index in PostgreSQL for the mapping. */
function indexMigrated(mapping: TableMapping, index: SourceIndex): boolean {
    return createIndexSqls({ ...mapping, source: { ...mapping.source, indexes: [index] } }).sqls.length > 0;
}

/** Whether the PostgreSQL table has a primary key: createTableSql adds it when the mapping's key is the source's primary key. */
function hasPgPrimaryKey(mapping: TableMapping): boolean {
    const pk = mapping.source.primaryKey;
    return pk !== null && mapping.key !== null && pk.length === mapping.key.length && pk.every((c, i) => c === mapping.key![i]);
}

function sameList(a: string[] | null, b: string[] | null): boolean {
    if (a === null || b === null) return a === b;
    return a.length === b.length && a.every((x, i) => x === b[i]);
}

const dollarQuote = (body: string): string => {
    let tag = "$dts$";
    for (let n = 1; body.includes(tag); n++) tag = `$dts${n}$`;
    return `${tag}${body}${tag}`;
};

/** Drops the table's primary key constraint whatever its name (PostgreSQL named it after the table as it was then). */
function dropPrimaryKeySql(schema: string, table: string): string {
    const rel = qualified(schema, table);
    const body =
        `DECLARE n name; BEGIN SELECT conname INTO n FROM pg_constraint WHERE conrelid = ${quoteLiteral(rel)}::regclass AND contype = 'p'; ` +
        `IF n IS NOT NULL THEN EXECUTE format(${quoteLiteral(`ALTER TABLE ${rel.replace(/%/g, "%%")} DROP CONSTRAINT %I`)}, n); END IF; END`;
    return `DO ${dollarQuote(body)}`;
}

export function dropTableForPostgres(mapping: TableMapping): string {
    return `DROP TABLE IF EXISTS ${qualified(mapping.targetSchema, mapping.targetTable)}`;
}

export function truncateForPostgres(mapping: TableMapping): string {
    return `TRUNCATE TABLE ${qualified(mapping.targetSchema, mapping.targetTable)}`;
}

/**
 * Seed 002's recovery when a column type change cannot be followed, with this table's names.
 */
export function typeChangeRecovery(mapping: TableMapping, column: string): string {
    const t = qualified(mapping.targetSchema, mapping.targetTable);
    const n = qualified(mapping.targetSchema, `${mapping.targetTable}_new`);
    return (
        `To recover: 1. the table with the changed column type is ${t} (source ${mapping.source.database}.${mapping.source.name}); ` +
        `2. create a new table with the updated schema in the destination, e.g. ${n}; ` +
        `3. copy the data from ${t} into ${n} with INSERT INTO ${n} SELECT … FROM ${t}, converting column ${quoteIdent(column)} as the source did; ` +
        `4. rename or delete the original ${t}, then rename ${n} to ${quoteIdent(mapping.targetTable)}; ` +
        `5. restart the migration task: it resumes at this statement, so leave "alter-table" out of the table's ddl selection ` +
        `(ddl: [...] at table, database or task level) and run pulumi up; the task's status lists the statement as skipped`
    );
}

/**
 * RENAME TABLE (or ALTER TABLE … RENAME TO) of a mapped table: moves it to the new
 * schema when its database changes, renames it, and renames the indexes and ENUM checks
 * named after it, so later DDL finds them under the names schema migration would give.
 */
export function renameTableForPostgres(
    mapping: TableMapping,
    to: NamedTable,
    task: Pick<TaskSpec, "objects" | "nameCase">,
    options: Pick<PgTranslateOptions, "resolveTable"> = {},
    statement = `RENAME TABLE ${mapping.source.database}.${mapping.source.name} TO ${to.database}.${to.name}`,
): PgDdlTranslation {
    const target = renameTarget(mapping, to, task, defaultCase, options.resolveTable, statement);
    const statements: string[] = [];
    const notes: string[] = [];
    let schema = mapping.targetSchema;
    if (target.schema !== schema) {
        statements.push(createSchemaSql(target.schema));
        statements.push(`ALTER TABLE ${qualified(schema, mapping.targetTable)} SET SCHEMA ${quoteIdent(target.schema)}`);
        schema = target.schema;
    }
    if (target.table !== mapping.targetTable) {
        statements.push(`ALTER TABLE ${qualified(schema, mapping.targetTable)} RENAME TO ${quoteIdent(target.table)}`);
        for (const idx of mapping.source.indexes) {
            if (!indexMigrated(mapping, idx)) continue;
            const from = pgIndexName(mapping.targetTable, idx);
            const into = pgIndexName(target.table, idx);
            if (from !== into) statements.push(`ALTER INDEX IF EXISTS ${qualified(schema, from)} RENAME TO ${quoteIdent(into)}`);
        }
        for (const c of mapping.columns) {
            if (enumAllowed(c.source, valueKind(c.source)) === null) continue;
            const from = enumCheckName(mapping.targetTable, c.target);
            const into = enumCheckName(target.table, c.target);
            if (from !== into) statements.push(`ALTER TABLE ${qualified(schema, target.table)} RENAME CONSTRAINT ${quoteIdent(from)} TO ${quoteIdent(into)}`);
        }
    }
    return {
        statements,
        notes,
        mapping: { ...mapping, source: { ...mapping.source, database: to.database, name: to.name }, targetSchema: target.schema, targetTable: target.table },
    };
}

/** A MariaDB-format default of a BINARY/VARBINARY/BLOB column as bytes: 'abc', x'0a', 0x0a. Null when it is not a byte literal. */
function binaryDefaultBytes(raw: string): Buffer | null {
    if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'")) return Buffer.from(unescapeMysqlLiteral(raw.slice(1, -1)), "utf8");
    const hex = /^x'([0-9a-f]*)'$/i.exec(raw) ?? /^0x([0-9a-f]+)$/i.exec(raw);
    if (hex && hex[1].length % 2 === 0) return Buffer.from(hex[1], "hex");
    return null;
}

const byteaLiteral = (b: Buffer): string => `'\\x${b.toString("hex")}'::bytea`;

/** What MySQL stores in existing rows of a NOT NULL column added without a default (its implicit default). */
function implicitDefault(col: SourceColumn, kind: ValueKind): string | null | undefined {
    switch (kind) {
        case "integer": case "decimal": case "float": case "year": return "0";
        case "bit": return `B'${"0".repeat(bitWidth(col))}'`;
        case "string": case "set": return "''";
        case "enum": return quoteLiteral(col.enumValues?.[0] ?? "");
        case "binary": return byteaLiteral(Buffer.alloc(col.dataType === "binary" ? col.maxLength ?? 0 : 0));
        case "time": return "'00:00:00'";
        case "uuid": return "'00000000-0000-0000-0000-000000000000'";
        case "inet": return col.dataType === "inet4" ? "'0.0.0.0'" : "'::'";
        // Zero dates, which arrive as NULL.
        case "date": case "datetime": case "timestamp": return null;
        case "json": return undefined;
    }
}

type Fill = { sql: string | null; note?: string } | { reason: string };

/**
 * The value the source gives the existing rows of a column added by ALTER TABLE, as
 * PostgreSQL SQL (null: NULL); a reason when PostgreSQL cannot give them the same.
 */
function existingRowsValue(col: SourceColumn, kind: ValueKind): Fill {
    const raw = col.defaultValue;
    if (raw === null || raw === "NULL") {
        if (col.nullable) return { sql: null };
        const v = implicitDefault(col, kind);
        return v === undefined ? { reason: `the source fills the existing rows of NOT NULL ${col.columnType} column "${col.name}" with its implicit default, which has no sure PostgreSQL value` } : { sql: v };
    }
    if (kind === "binary") {
        const b = binaryDefaultBytes(raw);
        if (b === null) return { reason: `default ${raw} of column "${col.name}" is not a byte literal` };
        const n = col.dataType === "binary" ? col.maxLength ?? b.length : b.length;
        return { sql: byteaLiteral(b.length < n ? Buffer.concat([b, Buffer.alloc(n - b.length)]) : b) };
    }
    const def = translateDefault(col, kind);
    if ("sql" in def) {
        if (def.sql === "CURRENT_TIMESTAMP" || def.sql === "CURRENT_DATE") {
            return { sql: def.sql, note: `existing rows get ${def.sql} of the moment PostgreSQL applies the change, not of the source's ALTER TABLE` };
        }
        return { sql: def.sql };
    }
    if (/^'?(0000|\d{4}-00|\d{4}-\d\d-00)/.test(raw) && dateKinds.has(kind)) return { sql: null };
    return { reason: `the source gives the existing rows column "${col.name}"'s default ${raw}, which PostgreSQL cannot reproduce (${def.omitted.replace(/^.*omitted: /, "")})` };
}

/** The default PostgreSQL keeps for a column (as createTableSql sets it), or null. */
function persistedDefault(col: SourceColumn, kind: ValueKind, notes: string[]): string | null {
    const def = translateDefault(col, kind);
    if ("omitted" in def) {
        notes.push(def.omitted);
        return null;
    }
    return def.sql;
}

/** Whether two generation expressions are the same text, ignoring spaces, quoting and case. */
function sameExpression(a: string | null, b: string | null): boolean {
    const norm = (s: string | null) => (s === null ? null : s.replace(/[`\s]/g, "").toLowerCase());
    return norm(a) === norm(b);
}

type Conversion = { using: string } | { reason: string };

/**
 * How PostgreSQL converts the values of a column whose type changes, so that they equal
 * what MySQL converted them to; or why it cannot. Conservative: only conversions whose
 * results are the same in both databases for every value MySQL accepts.
 */
function conversion(old: SourceColumn, col: SourceColumn, from: ValueKind, to: ValueKind, newType: string, ref: string): Conversion {
    const cast: Conversion = { using: `${ref}::${newType}` };
    const no = (why: string): Conversion => ({ reason: `the type change of column "${col.name}" from ${old.columnType} to ${col.columnType} cannot be followed: ${why}` });
    if (from === to) {
        // bit(n)::bit(m) pads and cuts on the right; MySQL keeps the number.
        if (from === "bit") return { using: `${ref}::bigint::${newType}` };
        if (from === "binary" && col.dataType === "binary" && !(old.dataType === "binary" && old.maxLength === col.maxLength)) {
            return no("MySQL pads the existing values of BINARY(n) with zero bytes, which PostgreSQL's bytea does not");
        }
        // MySQL returns CHAR values without trailing spaces.
        if (from === "string" && col.dataType === "char" && old.dataType !== "char") return { using: `rtrim(${ref}, ' ')::${newType}` };
        return cast;
    }
    const numeric = (k: ValueKind) => k === "integer" || k === "decimal" || k === "float";
    if ((from === "integer" || from === "decimal" || from === "float" || from === "year") && numeric(to)) return cast;
    if ((from === "integer" || from === "decimal") && to === "string") return cast;
    if (from === "bit" && numeric(to)) return { using: `${ref}::bigint::${newType}` };
    if (from === "integer" && to === "bit") return { using: `${ref}::bigint::${newType}` };
    if ((from === "enum" || from === "set") && (to === "string" || to === "enum" || to === "set")) return cast;
    if (from === "string" && (to === "enum" || to === "set")) return cast;
    if (from === "string" && to === "json") return cast;
    if ((from === "date" && to === "datetime") || (from === "datetime" && to === "date")) return cast;
    if (from === "uuid" && to === "string") return cast;

    if ((from === "datetime" || from === "date") && to === "timestamp") return no("MySQL reads DATETIME values as TIMESTAMP in the source session's time zone, which the destination does not know");
    if (from === "timestamp" && (to === "datetime" || to === "date")) return no("MySQL converts TIMESTAMP values in the source session's time zone, which the destination does not know");
    if (from === "binary" || to === "binary") return no("MySQL converts between bytes and other types through the column's charset or bit patterns");
    if (from === "json") return no("PostgreSQL's jsonb holds the JSON normalized, not the text MySQL returns from the new type");
    if (from === "string") return no(`MySQL converts text to ${to} leniently (leading digits, zero dates), PostgreSQL's cast is strict or different`);
    if (to === "string") return no(`PostgreSQL writes ${from} values as text differently from MySQL`);
    if (from === "enum" || from === "set" || to === "enum" || to === "set") return no("MySQL converts between ENUM/SET and numbers by member index");
    if (to === "year") return no("MySQL maps numbers to YEAR values (70 → 1970, 1 → 2001)");
    return no(`there is no conversion from ${from} to ${to} that gives what MySQL gives`);
}

/**
 * ALTER TABLE of a mapped table in PostgreSQL. Actions are applied in order (MySQL's RENAME
 * TO last, as the server applies it); each updates the mapping: new source columns are
 * placed and numbered, renamed columns renamed in keys, the key chosen again.
 *
 * Column selection: a column the mapping does not migrate is ignored by DROP, CHANGE,
 * MODIFY, RENAME COLUMN and ALTER COLUMN (only the source model changes). ADD COLUMN on a
 * table whose mapping lists its columns explicitly is ignored too: the new column is not
 * among the selected ones (selectsExplicitColumns); it is migrated when the task migrates
 * all columns. A column the task renamed (renameTo) keeps its destination name when the
 * source renames it; other columns follow the source's new name through the name-case policy.
 */
export function alterForPostgres(mapping: TableMapping, alteration: TableAlteration, task: TaskSpec, options: PgTranslateOptions = {}): PgDdlTranslation {
    const parsed = alteration.parsed;
    const opts = { floatPrecision: task.floatPrecision };
    const analyticdb = options.analyticdb ?? task.destination.engine === "analyticdb-postgresql";
    const explicit = selectsExplicitColumns(mapping, task);
    const statements: string[] = [];
    const notes: string[] = [];
    const targets = columnTargets(mapping);
    let current = mapping;
    const fail = (reason: string, fix = manualRecovery()): never => {
        throw new UntranslatableDdlError(parsed.sql, reason, fix);
    };
    const table = () => qualified(current.targetSchema, current.targetTable);
    const alter = (clause: string) => statements.push(`ALTER TABLE ${table()} ${clause}`);
    const compatible = (col: SourceColumn) => {
        const c = checkPostgresCompatibility(col);
        if (!c.ok) {
            fail(`column "${col.name}": ${c.reason}`,
                `To recover: list the table's other columns in the task (objects[].tables[].columns), so that columns added later are not migrated, ` +
                `or change the column on the source; then leave "alter-table" out of the ddl selection for this statement and run pulumi up`);
        }
    };
    const distributionKey = (): Set<string> => {
        const sel = task.objects.find((o) => o.database === mapping.source.database)?.tables?.find((t) => t.name === mapping.source.name);
        const names = sel?.distributionKey ?? mapping.source.primaryKey ?? [];
        return new Set(names.map((n) => columnKey(current.columns.find((c) => c.target === n)?.source.name ?? n)));
    };
    const filterNote = (name: string, what: string) => {
        if (current.where !== null && alteration.mentions(current.where, name)) {
            notes.push(`the table's row filter (where) names column ${name}, which was ${what}; update objects[].tables[].where`);
        }
    };

    // Steps come in the order the source applies them (MySQL: RENAME TO after the other changes).
    for (const applied of alteration.steps) {
        const before = current;
        if (applied.noop !== undefined) {
            notes.push(`${applied.written.text}: nothing to do (${applied.noop})`);
            continue;
        }
        const a: AlterAction = applied.action;
        switch (a.kind) {
            case "add-column": {
                const col = a.column;
                if (explicit) {
                    notes.push(`column ${col.name} added on the source is not migrated: the task lists the table's columns`);
                    break;
                }
                compatible(col);
                if (/\bauto_increment\b/i.test(col.extra)) fail(`column "${col.name}" is AUTO_INCREMENT: the source numbers the existing rows, which PostgreSQL cannot reproduce`);
                if (col.generationExpression !== null) fail(`column "${col.name}" is generated: the source computes it for the existing rows, which PostgreSQL cannot reproduce`);
                const target = applyCase(col.name, task.nameCase, defaultCase);
                const kind = valueKind(col);
                const fill = existingRowsValue(col, kind);
                if ("reason" in fill) return fail(fill.reason);
                if (fill.note) notes.push(`column "${target}": ${fill.note}`);
                const keep = persistedDefault(col, kind, notes);
                let clause = `ADD COLUMN ${quoteIdent(target)} ${pgType(col, opts)}`;
                if (notNullIn(col, kind)) clause += " NOT NULL";
                const initial = fill.sql ?? keep;
                if (initial !== null) clause += ` DEFAULT ${initial}`;
                alter(clause);
                if (initial !== keep) alter(`ALTER COLUMN ${quoteIdent(target)} ${keep === null ? "DROP DEFAULT" : `SET DEFAULT ${keep}`}`);
                const allowed = enumAllowed(col, kind);
                if (allowed) alter(`ADD ${enumCheckSql(current.targetTable, target, allowed)}`);
                if (a.position !== null) notes.push(`column "${target}" is added at the end of the PostgreSQL table (PostgreSQL cannot place columns)`);
                if (/on update/i.test(col.extra)) notes.push(`column "${target}": ON UPDATE ${col.extra.replace(/.*on update\s*/i, "")} is not reproduced`);
                targets.set(columnKey(col.name), target);
                break;
            }
            case "drop-column": {
                const target = targets.get(columnKey(a.name));
                filterNote(a.name, "dropped");
                if (target === undefined) {
                    notes.push(`column ${a.name} is not migrated: nothing to drop`);
                    break;
                }
                const old = findColumn(before.source, a.name)!;
                if (before.source.indexes.some((x) => x.columns.length > 1 && x.columns.some((p) => columnKey(p.name) === columnKey(old.name)) && indexMigrated(before, x))) {
                    notes.push(`PostgreSQL drops the indexes that contain column "${target}"; MySQL keeps them without it`);
                }
                alter(`DROP COLUMN IF EXISTS ${quoteIdent(target)}`);
                targets.delete(columnKey(a.name));
                break;
            }
            case "change-column": {
                const old = findColumn(before.source, a.from)!;
                const col = a.column;
                const oldTarget = targets.get(columnKey(old.name));
                if (old.name !== col.name) filterNote(old.name, `renamed to ${col.name}`);
                if (oldTarget === undefined) {
                    notes.push(`column ${old.name} is not migrated: the change is not applied`);
                    break;
                }
                const newTarget = isUserRenamed(old.name, oldTarget, task, defaultCase) ? oldTarget : applyCase(col.name, task.nameCase, defaultCase);
                compatible(col);
                if (col.generationExpression !== null && !sameExpression(old.generationExpression, col.generationExpression)) {
                    fail(`column "${col.name}" becomes generated (or its expression changes): the source recomputes every row, which PostgreSQL cannot reproduce`);
                }
                const oldKind = valueKind(old);
                const newKind = valueKind(col);
                const oldType = pgType(old, opts);
                const newType = pgType(col, opts);
                const ref = quoteIdent(newTarget);
                let conv: Conversion | null = null;
                // CHAR values lose their trailing spaces in MySQL even when PostgreSQL's type stays varchar(n).
                const toChar = newKind === "string" && oldKind === "string" && col.dataType === "char" && old.dataType !== "char";
                if (oldType !== newType || toChar) {
                    conv = conversion(old, col, oldKind, newKind, newType, ref);
                    if ("reason" in conv) return fail(conv.reason, typeChangeRecovery(before, oldTarget));
                    if (analyticdb && distributionKey().has(columnKey(old.name))) {
                        fail(`column "${oldTarget}" is in the table's distribution key, whose type AnalyticDB for PostgreSQL cannot change`, typeChangeRecovery(before, oldTarget));
                    }
                }
                const oldAllowed = enumAllowed(old, oldKind);
                const newAllowed = enumAllowed(col, newKind);
                const keepCheck = oldAllowed !== null && sameList(oldAllowed, newAllowed) && conv === null;
                if (newTarget !== oldTarget) alter(`RENAME COLUMN ${quoteIdent(oldTarget)} TO ${ref}`);
                const tableName = current.targetTable;
                if (keepCheck && newTarget !== oldTarget) {
                    alter(`RENAME CONSTRAINT ${quoteIdent(enumCheckName(tableName, oldTarget))} TO ${quoteIdent(enumCheckName(tableName, newTarget))}`);
                } else if (oldAllowed !== null && !keepCheck) {
                    alter(`DROP CONSTRAINT IF EXISTS ${quoteIdent(enumCheckName(tableName, oldTarget))}`);
                }
                let oldDefault = (() => {
                    const d = translateDefault(old, oldKind);
                    return "sql" in d ? d.sql : null;
                })();
                const newDefault = persistedDefault(col, newKind, notes);
                if (conv !== null && "using" in conv) {
                    // A default of the old type may not cast to the new one: it goes first and comes back after.
                    if (oldDefault !== null) {
                        alter(`ALTER COLUMN ${ref} DROP DEFAULT`);
                        oldDefault = null;
                    }
                    alter(`ALTER COLUMN ${ref} TYPE ${newType} USING ${conv.using}`);
                }
                const wasNotNull = notNullIn(old, oldKind);
                const isNotNull = notNullIn(col, newKind);
                if (wasNotNull !== isNotNull) alter(`ALTER COLUMN ${ref} ${isNotNull ? "SET" : "DROP"} NOT NULL`);
                if (newDefault !== oldDefault) alter(`ALTER COLUMN ${ref} ${newDefault === null ? "DROP DEFAULT" : `SET DEFAULT ${newDefault}`}`);
                if (newAllowed !== null && !keepCheck) alter(`ADD ${enumCheckSql(tableName, newTarget, newAllowed)}`);
                if (a.position !== null) notes.push(`column "${newTarget}" keeps its place in PostgreSQL (PostgreSQL cannot move columns)`);
                if (/\bauto_increment\b/i.test(col.extra) && !/\bauto_increment\b/i.test(old.extra)) {
                    notes.push(`column "${newTarget}" is AUTO_INCREMENT in the source: values are copied, no sequence is created`);
                }
                if (/on update/i.test(col.extra) && !/on update/i.test(old.extra)) notes.push(`column "${newTarget}": ON UPDATE ${col.extra.replace(/.*on update\s*/i, "")} is not reproduced`);
                targets.delete(columnKey(old.name));
                targets.set(columnKey(col.name), newTarget);
                break;
            }
            case "rename-column": {
                const oldTarget = targets.get(columnKey(a.from));
                filterNote(a.from, `renamed to ${a.to}`);
                if (oldTarget === undefined) {
                    notes.push(`column ${a.from} is not migrated: nothing to rename`);
                    break;
                }
                const newTarget = isUserRenamed(a.from, oldTarget, task, defaultCase) ? oldTarget : applyCase(a.to, task.nameCase, defaultCase);
                if (newTarget !== oldTarget) {
                    alter(`RENAME COLUMN ${quoteIdent(oldTarget)} TO ${quoteIdent(newTarget)}`);
                    const col = findColumn(before.source, a.from)!;
                    if (enumAllowed(col, valueKind(col)) !== null) {
                        alter(`RENAME CONSTRAINT ${quoteIdent(enumCheckName(current.targetTable, oldTarget))} TO ${quoteIdent(enumCheckName(current.targetTable, newTarget))}`);
                    }
                }
                targets.delete(columnKey(a.from));
                targets.set(columnKey(a.to), newTarget);
                break;
            }
            case "alter-column-default": {
                const target = targets.get(columnKey(a.name));
                if (target === undefined) break;
                const col = findColumn(applied.table, a.name)!;
                const def = persistedDefault(col, valueKind(col), notes);
                alter(`ALTER COLUMN ${quoteIdent(target)} ${def === null ? "DROP DEFAULT" : `SET DEFAULT ${def}`}`);
                break;
            }
            case "add-index": {
                if (parsed.ignore && a.index.unique) {
                    fail("ALTER IGNORE TABLE with a unique key deletes duplicate rows on the source without logging them as row changes");
                }
                const after = remapTable(before, applied.table, targets);
                if (a.primary) {
                    const pk = applied.table.primaryKey!;
                    if (hasPgPrimaryKey(after)) {
                        const prefixed = a.index.columns.filter((p) => p.prefixLength !== null);
                        if (prefixed.length) notes.push(`primary key: PostgreSQL keys whole columns (${prefixed.map((p) => `${p.name}(${p.prefixLength})`).join(", ")} in the source)`);
                        alter(`ADD PRIMARY KEY (${pk.map((c) => quoteIdent(targets.get(columnKey(c))!)).join(", ")})`);
                    } else {
                        notes.push(`primary key (${pk.join(", ")}) is not created: not all its columns are migrated`);
                    }
                    break;
                }
                const ddl = createIndexSqls({ ...after, source: { ...after.source, indexes: [a.index] } });
                statements.push(...ddl.sqls);
                notes.push(...ddl.notes);
                break;
            }
            case "drop-index": {
                const idx = before.source.indexes.find((x) => x.name === a.name)!;
                if (indexMigrated(before, idx)) statements.push(`DROP INDEX IF EXISTS ${qualified(current.targetSchema, pgIndexName(current.targetTable, idx))}`);
                break;
            }
            case "drop-primary-key":
                if (hasPgPrimaryKey(before)) statements.push(dropPrimaryKeySql(current.targetSchema, current.targetTable));
                break;
            case "rename-index": {
                const idx = before.source.indexes.find((x) => x.name === a.from)!;
                const from = pgIndexName(current.targetTable, idx);
                const into = pgIndexName(current.targetTable, { ...idx, name: a.to });
                if (indexMigrated(before, idx) && from !== into) statements.push(`ALTER INDEX IF EXISTS ${qualified(current.targetSchema, from)} RENAME TO ${quoteIdent(into)}`);
                break;
            }
            case "drop-constraint": {
                // MySQL 8's DROP CONSTRAINT also drops unique keys; foreign keys and checks are not in PostgreSQL.
                const idx = before.source.indexes.find((x) => x.name.toLowerCase() === a.name.toLowerCase());
                if (a.constraint === "any" && idx && indexMigrated(before, idx)) {
                    statements.push(`DROP INDEX IF EXISTS ${qualified(current.targetSchema, pgIndexName(current.targetTable, idx))}`);
                } else if (a.constraint === "any" && a.name.toUpperCase() === "PRIMARY" && hasPgPrimaryKey(before)) {
                    statements.push(dropPrimaryKeySql(current.targetSchema, current.targetTable));
                }
                break;
            }
            case "add-foreign-key":
                notes.push(`foreign key ${a.foreignKey.name} is not migrated`);
                break;
            case "add-check":
                notes.push(`CHECK constraint ${a.name} (${a.clause}) is not migrated`);
                break;
            case "rename-table": {
                const r = renameTableForPostgres(remapTable(before, before.source, targets), a.to, task, options, parsed.sql);
                statements.push(...r.statements);
                notes.push(...r.notes);
                current = { ...r.mapping, source: applied.table };
                continue;
            }
            case "convert-charset":
                notes.push(`${a.text}: character sets need no change in PostgreSQL`);
                break;
            case "partition":
                if (a.dataChange) fail(`${a.operation} removes or moves the partition's rows on the source without logging them as row changes`);
                notes.push(`${a.text}: partitioning is not reproduced in PostgreSQL`);
                break;
            case "unsupported":
                fail(`${a.reason}: ${a.text}`);
                break;
            case "alter-column-visibility":
            case "alter-index":
            case "table-options":
                break;
        }
        current = remapTable(current, applied.table, targets);
    }
    return { statements, mapping: current, notes };
}
