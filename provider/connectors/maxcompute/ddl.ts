import { type LogLayout, MAX_COMMENT_BYTES } from "./names";
import type { MaxComputeColumnMapping } from "./type-map";

/**
 * The DDL the connector emits (research/maxcompute.md §6), as statements without the
 * trailing ';'. Identifiers are backquoted; names are checked by names.ts before any DDL is
 * built. Run them with runSql (sql.ts), which adds the odps2 type-system hint.
 */

/** A destination column: its name, its type as DDL writes it, and its comment. */
export interface DdlColumn {
    name: string;
    type: string;
    comment?: string;
}

export function quoteIdent(name: string): string {
    if (name.includes("`")) throw new Error(`identifier ${JSON.stringify(name)} contains a backquote`);
    return `\`${name}\``;
}

/**
 * A string literal holding `text`. The quote, the backslash and '%' are written as %27, %5C
 * and %25 and control characters as %XX, so the literal is the same under MaxCompute's
 * backslash escapes and the doubled-quote reading (and the text is recoverable with
 * decodeURIComponent); cut to `maxBytes` UTF-8 bytes at a character boundary.
 */
export function commentLiteral(text: string, maxBytes = MAX_COMMENT_BYTES): string {
    let out = "";
    let bytes = 0;
    for (const ch of text) {
        const c = ch.codePointAt(0)!;
        const piece = ch === "'" || ch === "\\" || ch === "%" || c < 0x20 || c === 0x7f ? `%${c.toString(16).toUpperCase().padStart(2, "0")}` : ch;
        const n = Buffer.byteLength(piece, "utf8");
        if (bytes + n > maxBytes) break;
        out += piece;
        bytes += n;
    }
    return `'${out}'`;
}

/** The comment of a data column: the source type, so that a reader of the table sees it. */
export function sourceTypeComment(m: MaxComputeColumnMapping): string {
    return `mysql ${m.source.columnType}${m.source.unsigned && !/unsigned/.test(m.source.columnType) ? " unsigned" : ""}`;
}

/** Data columns of `_base` and `_log` from the mappings, with the destination names. */
export function dataColumns(mappings: readonly { target: string; mapping: MaxComputeColumnMapping }[]): DdlColumn[] {
    return mappings.map(({ target, mapping }) => ({ name: target, type: mapping.typeText, comment: sourceTypeComment(mapping) }));
}

function columnList(cols: readonly DdlColumn[]): string {
    if (cols.length === 0) throw new Error("a MaxCompute table needs at least one column");
    return cols.map((c) => `${quoteIdent(c.name)} ${c.type}${c.comment !== undefined ? ` COMMENT ${commentLiteral(c.comment)}` : ""}`).join(", ");
}

/** CREATE TABLE IF NOT EXISTS `<t>_base` (data columns). */
export function createBaseTable(table: string, columns: readonly DdlColumn[]): string {
    return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table)} (${columnList(columns)})`;
}

/** The metadata columns of a `_log` table as DDL columns. */
export function metadataColumns(layout: LogLayout): DdlColumn[] {
    return layout.metadata.map((c) => ({ name: c.name, type: c.type, comment: `dts ${c.base}` }));
}

/** CREATE TABLE IF NOT EXISTS `<t>_log` (data columns, metadata columns) [PARTITIONED BY (…)]. */
export function createLogTable(table: string, data: readonly DdlColumn[], layout: LogLayout): string {
    const cols = columnList([...data, ...metadataColumns(layout)]);
    const parts = layout.partitions.length === 0 ? "" : ` PARTITIONED BY (${columnList(layout.partitions.map((p) => ({ name: p.name, type: p.type })))})`;
    return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table)} (${cols})${parts}`;
}

/**
 * ALTER TABLE `<t>` ADD COLUMNS (…): the source's ADD COLUMN, for `_base` and `_log` alike.
 * MaxCompute appends the columns after the existing ones, so in `_log` a new data column comes
 * after the metadata columns; the writer orders its values by the table's schema.
 */
export function addColumns(table: string, columns: readonly DdlColumn[]): string {
    return `ALTER TABLE ${quoteIdent(table)} ADD COLUMNS (${columnList(columns)})`;
}

/** ALTER TABLE `<t>` ADD IF NOT EXISTS PARTITION (k='v', …); values are the digits partitionValues gives. */
export function addPartition(table: string, spec: readonly (readonly [string, string])[]): string {
    if (spec.length === 0) throw new Error("a partition spec needs at least one column");
    const kv = spec.map(([k, v]) => {
        if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(k)) throw new Error(`partition column ${JSON.stringify(k)} is not a plain name`);
        if (/['\\]/.test(v)) throw new Error(`partition value ${JSON.stringify(v)} holds a quote or backslash`);
        return `${k}='${v}'`;
    });
    return `ALTER TABLE ${quoteIdent(table)} ADD IF NOT EXISTS PARTITION (${kv.join(", ")})`;
}

export function dropTable(table: string): string {
    return `DROP TABLE IF EXISTS ${quoteIdent(table)}`;
}
