import type { Connection, RowDataPacket } from "mysql2/promise";
import type { SourceColumn, SourceForeignKey, SourceIndex, SourceTable } from "../../../engine/model";
import { groupBy, num, numOrNull, text, textOrNull } from "./catalog-values";
import { mariadbStyleDefault, parseEnumMembers } from "../column-types";
import { qualified, quoteIdent } from "../identifiers";
import { parseCreateTableExpressions } from "./show-create-table";
import { IntrospectionError } from "../schema-errors";
import { atLeast, detectDialect, type ServerDialect } from "../server-dialect";

export { databaseCharset, introspectEvents, introspectRoutines, introspectTriggers, introspectViews } from "./introspect-objects";

/**
 * Table introspection from information_schema. Each kind of fact (tables, columns,
 * indexes, checks, foreign keys) is one query for the whole database, grouped in memory:
 * a database of 1,000 tables costs the same handful of round trips as one of 10.
 */

type Row = RowDataPacket;

interface ServerFlavour {
    mariadb: boolean;
    /** MariaDB ≥10.2.7 prints COLUMN_DEFAULT in the format SourceColumn.defaultValue uses. */
    quotedDefaults: boolean;
    dialect: ServerDialect;
}

async function serverFlavour(conn: Connection): Promise<ServerFlavour> {
    const dialect = await detectDialect(conn);
    const mariadb = dialect.flavour === "MariaDB";
    return { mariadb, quotedDefaults: mariadb && atLeast(dialect.version, 10, 2, 7), dialect };
}

/**
 * A MySQL ≥ 8.0.30 table created without a primary key while sql_generate_invisible_primary_key
 * was ON has one: the invisible my_row_id. With show_gipk_in_create_table_and_information_schema
 * OFF, information_schema hides that column and its key, so the table would look keyless (copied
 * in one piece, changes matched by every column). The variable is not among MySQL's restricted
 * session variables, so any account may set it; if a server refuses anyway, tables read as shown.
 */
async function showGeneratedKeys(conn: Connection, dialect: ServerDialect): Promise<void> {
    if (dialect.showGipk === null) return;
    await conn.query(dialect.showGipk).catch(() => undefined);
}

/**
 * Base tables of a database, sorted by name. MariaDB's system-versioned tables count (their
 * current rows migrate; the history does not); views and sequences do not.
 */
export async function listBaseTables(conn: Connection, database: string): Promise<string[]> {
    const [rows] = await conn.query<Row[]>(
        "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY TABLE_NAME",
        [database],
    );
    return rows.map((r) => text(r.name));
}

/** Filter on TABLE_NAME for a subset, or nothing for the whole database. */
function tableFilter(tables: string[] | undefined, column = "TABLE_NAME"): { sql: string; params: unknown[] } {
    return tables === undefined ? { sql: "", params: [] } : { sql: ` AND ${column} IN (?)`, params: [tables] };
}

/**
 * Describes base tables of `database`: all of them, or those named in `tables` (in that
 * order; a name that is not a base table is an error).
 */
export async function introspectTables(conn: Connection, database: string, tables?: string[]): Promise<SourceTable[]> {
    if (tables !== undefined && tables.length === 0) return [];
    const flavour = await serverFlavour(conn);
    await showGeneratedKeys(conn, flavour.dialect);
    const f = tableFilter(tables);
    const q = async (sql: string) => (await conn.query<Row[]>(sql + f.sql, [database, ...f.params]))[0];

    const tableRows = await q(
        "SELECT TABLE_NAME AS name, TABLE_TYPE AS tableType, ENGINE AS engine, TABLE_COLLATION AS collation, TABLE_COMMENT AS comment, TABLE_ROWS AS rowsEstimate, DATA_LENGTH AS dataLength " +
            "FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')",
    );
    const columnRows = await q(
        "SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, ORDINAL_POSITION AS ordinal, COLUMN_DEFAULT AS defaultValue, IS_NULLABLE AS nullable, " +
            "DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, CHARACTER_MAXIMUM_LENGTH AS maxLength, NUMERIC_PRECISION AS numericPrecision, " +
            "NUMERIC_SCALE AS numericScale, DATETIME_PRECISION AS datetimePrecision, CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation, " +
            "EXTRA AS extra, COLUMN_COMMENT AS comment, GENERATION_EXPRESSION AS generationExpression " +
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?",
    );
    // No ORDER BY: the catalog lists a table's keys in the server's key order, which
    // SHOW CREATE TABLE also follows; recreating them in that order keeps it.
    const indexRows = await q(
        "SELECT TABLE_NAME AS tableName, INDEX_NAME AS name, NON_UNIQUE AS nonUnique, SEQ_IN_INDEX AS seq, COLUMN_NAME AS columnName, " +
            "SUB_PART AS subPart, COLLATION AS collation, INDEX_TYPE AS indexType, INDEX_COMMENT AS comment " +
            "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?",
    );
    const fkColumnRows = await q(
        "SELECT TABLE_NAME AS tableName, CONSTRAINT_NAME AS name, COLUMN_NAME AS columnName, ORDINAL_POSITION AS ordinal, " +
            "REFERENCED_TABLE_SCHEMA AS refDb, REFERENCED_TABLE_NAME AS refTable, REFERENCED_COLUMN_NAME AS refColumn " +
            "FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL",
    );
    const fkRuleRows = await q(
        "SELECT TABLE_NAME AS tableName, CONSTRAINT_NAME AS name, UPDATE_RULE AS onUpdate, DELETE_RULE AS onDelete " +
            "FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?",
    );
    const checkRows = await readChecks(conn, database, tables);
    if (flavour.mariadb) await restoreFourByteText(conn, database, columnRows, checkRows);

    const byName = new Map(tableRows.map((r) => [text(r.name), r]));
    const names = tables ?? [...byName.keys()].sort();
    const columnsOf = groupBy(columnRows, (r) => text(r.tableName));
    const indexesOf = groupBy(indexRows, (r) => text(r.tableName));
    const fksOf = groupBy(fkColumnRows, (r) => text(r.tableName));
    const rules = new Map(fkRuleRows.map((r) => [`${text(r.tableName)}\0${text(r.name)}`, r]));
    const checksOf = groupBy(checkRows, (r) => r.table);

    return names.map((name) => {
        const t = byName.get(name);
        if (t === undefined) throw new IntrospectionError({ database, table: name }, "no such base table");
        const checks = checksOf.get(name) ?? [];
        const columns = (columnsOf.get(name) ?? [])
            .map((r) => column(r, checks, flavour, database, name))
            .sort((a, b) => a.ordinal - b.ordinal);
        if (columns.length === 0) throw new IntrospectionError({ database, table: name }, "no columns visible (missing SELECT privilege?)");
        const jsonChecks = new Set(columns.filter((c) => c.isJson).map((c) => c.name.toLowerCase()));
        const { primary, secondary } = indexes(indexesOf.get(name) ?? []);
        const collation = text(t.collation);
        return {
            database,
            name,
            columns,
            primaryKey: primary ? primary.columns.map((c) => c.name) : null,
            primaryKeyParts: primary?.columns,
            indexes: secondary,
            foreignKeys: foreignKeys(fksOf.get(name) ?? [], rules, database, name),
            checks: checks
                // The automatic check is named after its column (on servers without LEVEL too).
                .filter((c) => !(jsonChecks.has(c.name.toLowerCase()) && isJsonValid(c.clause, c.name)))
                .map((c) => (c.column === undefined ? { name: c.name, clause: c.clause } : { name: c.name, clause: c.clause, column: c.column })),
            engine: text(t.engine),
            ...(text(t.tableType) === "SYSTEM VERSIONED" ? { systemVersioned: true } : {}),
            // Character set names never contain "_", collation names start with theirs.
            charset: collation.split("_")[0],
            collation,
            comment: text(t.comment),
            estimatedRows: num(t.rowsEstimate),
            dataBytes: num(t.dataLength),
        } satisfies SourceTable;
    });
}

/**
 * MariaDB's information_schema stores expression texts in utf8mb3 and prints each 4-byte
 * character as "?"; a generated column or CHECK rebuilt from that text would compute or
 * test something else. For the (rare) tables whose texts contain "?", the texts are taken
 * from SHOW CREATE TABLE instead, which prints expressions intact. (Not recoverable
 * anywhere: 4-byte characters in ENUM/SET members, literal defaults and comments, which
 * SHOW CREATE TABLE prints as "?" as well.)
 */
async function restoreFourByteText(conn: Connection, database: string, columnRows: Row[], checks: CheckRow[]): Promise<void> {
    const suspicious = new Set<string>();
    for (const r of columnRows) {
        if (text(r.generationExpression).includes("?") || text(r.defaultValue).includes("?")) suspicious.add(text(r.tableName));
    }
    for (const c of checks) if (c.clause.includes("?")) suspicious.add(c.table);
    for (const table of suspicious) {
        const [rows] = await conn.query<Row[]>(`SHOW CREATE TABLE ${qualified(database, table)}`);
        const parsed = parseCreateTableExpressions(text(rows[0]?.["Create Table"]));
        for (const r of columnRows) {
            if (text(r.tableName) !== table) continue;
            const found = parsed.columns.get(text(r.name).toLowerCase());
            if (found?.generation !== undefined && textOrNull(r.generationExpression) !== null) r.generationExpression = found.generation;
            if (found?.default !== undefined && textOrNull(r.defaultValue) !== null) r.defaultValue = found.default;
        }
        for (const c of checks) {
            if (c.table !== table) continue;
            const found = c.column !== undefined ? parsed.columns.get(c.column.toLowerCase())?.check : parsed.checks.get(c.name);
            if (found !== undefined) c.clause = found;
        }
    }
}

interface CheckRow {
    table: string;
    name: string;
    clause: string;
    /** Set for a MariaDB column-level constraint: declared with (and named after) that column. */
    column?: string;
}

/**
 * CHECK constraints. MariaDB's CHECK_CONSTRAINTS has TABLE_NAME (and LEVEL from 10.5.10);
 * MySQL's has neither, its names are unique per schema and TABLE_CONSTRAINTS names the
 * table. Servers without CHECK support (MySQL 5.7) have no such table: no checks.
 */
async function readChecks(conn: Connection, database: string, tables: string[] | undefined): Promise<CheckRow[]> {
    let rows: Row[];
    try {
        [rows] = await conn.query<Row[]>("SELECT * FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?", [database]);
    } catch (err) {
        if ((err as { errno?: number }).errno === 1109) return [];
        throw err;
    }
    if (rows.length === 0) return [];
    const wanted = tables === undefined ? null : new Set(tables);
    if ("TABLE_NAME" in rows[0]) {
        return rows
            .filter((r) => wanted === null || wanted.has(text(r.TABLE_NAME)))
            .map((r) => {
                const c: CheckRow = { table: text(r.TABLE_NAME), name: text(r.CONSTRAINT_NAME), clause: text(r.CHECK_CLAUSE) };
                if (text(r.LEVEL).toLowerCase() === "column") c.column = c.name;
                return c;
            });
    }
    const [owners] = await conn.query<Row[]>(
        "SELECT TABLE_NAME AS tableName, CONSTRAINT_NAME AS name FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND CONSTRAINT_TYPE = 'CHECK'",
        [database],
    );
    const ownerOf = new Map(owners.map((o) => [text(o.name), text(o.tableName)]));
    return rows
        .map((r) => ({ table: ownerOf.get(text(r.CONSTRAINT_NAME)) ?? "", name: text(r.CONSTRAINT_NAME), clause: text(r.CHECK_CLAUSE) }))
        .filter((c) => c.table !== "" && (wanted === null || wanted.has(c.table)));
}

/** MariaDB's automatic constraint of a JSON column: CHECK (json_valid(`col`)). */
function isJsonValid(clause: string, column: string): boolean {
    return clause.replace(/\s+/g, "").toLowerCase() === `json_valid(${quoteIdent(column)})`.toLowerCase();
}

const generatedExtra = /\b(VIRTUAL|STORED|PERSISTENT)\s+GENERATED\b/i;

function column(r: Row, checks: CheckRow[], flavour: ServerFlavour, database: string, table: string): SourceColumn {
    const name = text(r.name);
    const dataType = text(r.dataType).toLowerCase();
    const columnType = text(r.columnType);
    const extra = text(r.extra);
    const nullable = text(r.nullable).toUpperCase() === "YES";
    const generated = generatedExtra.test(extra);
    const genExpr = textOrNull(r.generationExpression);
    let enumValues: string[] | null = null;
    if (dataType === "enum" || dataType === "set") {
        enumValues = parseEnumMembers(columnType);
        if (enumValues === null) throw new IntrospectionError({ database, table, column: name }, `cannot read the members of ${columnType}`);
    }
    const rawDefault = textOrNull(r.defaultValue);
    const defaultValue = generated
        ? null
        : flavour.quotedDefaults
          ? rawDefault
          : mariadbStyleDefault(rawDefault, { dataType, extra, nullable, generated });
    // MariaDB's JSON is LONGTEXT plus an automatic column-level json_valid() check, whose
    // name is the column's; MySQL has a real JSON type.
    const isJson =
        dataType === "json" ||
        (flavour.mariadb && dataType === "longtext" && checks.some((c) => c.name.toLowerCase() === name.toLowerCase() && isJsonValid(c.clause, name)));
    return {
        name,
        ordinal: num(r.ordinal),
        dataType,
        columnType,
        nullable,
        defaultValue,
        extra,
        generationExpression: generated && genExpr !== null && genExpr !== "" ? genExpr : null,
        unsigned: /\bunsigned\b/i.test(columnType),
        maxLength: numOrNull(r.maxLength),
        numericPrecision: numOrNull(r.numericPrecision),
        numericScale: numOrNull(r.numericScale),
        datetimePrecision: numOrNull(r.datetimePrecision),
        charset: textOrNull(r.charset),
        collation: textOrNull(r.collation),
        enumValues,
        comment: text(r.comment),
        // EXTRA's word on every server that has them (a GIPK reads "auto_increment INVISIBLE"), so no version test.
        invisible: /\bINVISIBLE\b/i.test(extra),
        isJson,
    };
}

function indexes(rows: Row[]): { primary: SourceIndex | null; secondary: SourceIndex[] } {
    let primary: SourceIndex | null = null;
    const secondary: SourceIndex[] = [];
    for (const [name, parts] of groupBy(rows, (r) => text(r.name))) {
        // MySQL 8 functional key parts have no column; SourceIndex cannot express them.
        if (parts.some((p) => p.columnName === null)) continue;
        const first = parts[0];
        const kind = text(first.indexType).toUpperCase();
        const idx: SourceIndex = {
            name,
            unique: num(first.nonUnique) === 0,
            columns: [...parts]
                .sort((a, b) => num(a.seq) - num(b.seq))
                .map((p) => ({
                    name: text(p.columnName),
                    // Spatial keys report SUB_PART 32 (the MBR's bytes), which is not a prefix one may declare.
                    prefixLength: kind === "SPATIAL" ? null : numOrNull(p.subPart),
                    descending: text(p.collation).toUpperCase() === "D",
                })),
            kind,
        };
        const comment = text(first.comment);
        if (comment !== "") idx.comment = comment;
        if (name === "PRIMARY") primary = idx;
        else secondary.push(idx);
    }
    return { primary, secondary };
}

function foreignKeys(rows: Row[], rules: Map<string, Row>, database: string, table: string): SourceForeignKey[] {
    const out: SourceForeignKey[] = [];
    for (const [name, parts] of groupBy(rows, (r) => text(r.name))) {
        const sorted = [...parts].sort((a, b) => num(a.ordinal) - num(b.ordinal));
        const rule = rules.get(`${table}\0${name}`);
        if (rule === undefined) throw new IntrospectionError({ database, table }, `foreign key "${name}" has no REFERENTIAL_CONSTRAINTS row`);
        out.push({
            name,
            columns: sorted.map((p) => text(p.columnName)),
            referencedDatabase: text(sorted[0].refDb),
            referencedTable: text(sorted[0].refTable),
            referencedColumns: sorted.map((p) => text(p.refColumn)),
            onUpdate: text(rule.onUpdate).toUpperCase(),
            onDelete: text(rule.onDelete).toUpperCase(),
        });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
