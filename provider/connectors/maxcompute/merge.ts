import { logColumnNames, type LogColumns } from "./log-rows";

/**
 * The merge of a table's `_base` (the full load) and `_log` (every change since the
 * stream's start, log-rows.ts) into the table's current state, by primary key, as the
 * seed's DTS documentation does it:
 *
 * - `_base` rows count as entries with record_id 0 and after_flag Y (every log record_id
 *   is ≥ 2^43, so any log entry for a key is newer than its base row);
 * - per key, the latest entry wins: the largest record_id, and among the two rows of one
 *   UPDATE (same record_id) the after image (after_flag 'Y' > 'N');
 * - the key is in the result when that entry has after_flag Y.
 *
 * Why this is the source's state: the log holds every change after the stream's start in
 * source order, and the base a snapshot of each row taken after that start. A key with no
 * log entry has not changed since the start: its base row is current. A key with log
 * entries is as its last change left it: an INSERT or the after image of an UPDATE
 * (after_flag Y, the row's values), a DELETE (after_flag N: gone). An UPDATE that changes
 * the key writes the before image under the old key and the after image under the new one,
 * both with the same record_id: the old key's last entry is then that before image
 * (after_flag N), so the old key disappears; the new key's is the after image. A DELETE
 * followed by a re-insert of the key: the insert has the larger record_id and wins. The
 * base row of a key that the log also holds loses to the log whatever the base read (it
 * may have been read before or after those changes): the log's last entry is the current
 * state either way.
 *
 * mergeRows is the same rule in JavaScript, for tests that compare the merge of the
 * downloaded tables with the source: group by key, keep the maximum of (record_id,
 * after_flag) per key, drop it unless after_flag is Y. ROW_NUMBER() … = 1 over ORDER BY
 * record_id DESC, after_flag DESC selects exactly that maximum (the pair is unique per key:
 * one record_id holds at most one before and one after image per key, and only base rows
 * share record_id 0, one per key), so the two agree row for row.
 */

export interface MergeSpec {
    /** The `_base` and `_log` table names (`project.table` allowed). */
    base: string;
    log: string;
    /** Primary key columns (destination names); must be among `columns`. */
    key: string[];
    /** The data columns (destination names), in table order. */
    columns: string[];
    logColumns: LogColumns;
    /** Write the result with INSERT OVERWRITE into this table; absent: a SELECT. */
    into?: string;
    /** Merge only log entries up to this record_id (the state as of that change). */
    upToRecordId?: bigint;
    /** Prefix `set odps.sql.allow.fullscan=true;` (a partitioned `_log` needs it to be read whole). Default true. */
    fullScan?: boolean;
}

const ident = (name: string) => `\`${name.replace(/`/g, "``")}\``;
const tableName = (name: string) => name.split(".").map(ident).join(".");

/** A name for a helper column that no data column has. */
function freshName(base: string, taken: string[]): string {
    const lower = new Set(taken.map((t) => t.toLowerCase()));
    let name = base;
    while (lower.has(name.toLowerCase())) name = `_${name}`;
    return name;
}

function checkSpec(s: Pick<MergeSpec, "key" | "columns">): void {
    if (s.key.length === 0) throw new Error("the merge of _base and _log needs a primary key: a table without one cannot be merged");
    const cols = new Set(s.columns.map((c) => c.toLowerCase()));
    for (const k of s.key) if (!cols.has(k.toLowerCase())) throw new Error(`merge key column ${k} is not a data column`);
}

/** The MaxCompute SQL (odps2) that merges `_base` and `_log` into the table's current state. */
export function mergeSql(s: MergeSpec): string {
    checkSpec(s);
    const lc = s.logColumns;
    const rn = freshName("dts_merge_row_number", [...s.columns, lc.recordId, lc.afterFlag]);
    const data = s.columns.map(ident).join(", ");
    const rid = ident(lc.recordId);
    const after = ident(lc.afterFlag);
    const where = s.upToRecordId === undefined ? "" : `\n        WHERE ${rid} <= ${s.upToRecordId.toString()}`;
    const lines = [
        ...(s.fullScan === false ? [] : ["set odps.sql.allow.fullscan=true;"]),
        ...(s.into ? [`INSERT OVERWRITE TABLE ${tableName(s.into)}`] : []),
        `SELECT ${data}`,
        `FROM (`,
        `    SELECT ROW_NUMBER() OVER (PARTITION BY ${s.key.map(ident).join(", ")} ORDER BY ${rid} DESC, ${after} DESC) AS ${ident(rn)},`,
        `           ${after}, ${data}`,
        `    FROM (`,
        `        SELECT ${rid}, ${after}, ${data}`,
        `        FROM ${tableName(s.log)}${where}`,
        `        UNION ALL`,
        `        SELECT CAST(0 AS BIGINT) AS ${rid}, 'Y' AS ${after}, ${data}`,
        `        FROM ${tableName(s.base)}`,
        `    ) dts_entries`,
        `) dts_latest`,
        `WHERE ${ident(rn)} = 1 AND ${after} = 'Y';`,
    ];
    return lines.join("\n") + "\n";
}

export interface MergeRowsSpec {
    /** Primary key columns; must be among `columns`. */
    key: string[];
    /** Data columns, in order: base rows hold exactly these. */
    columns: string[];
    logColumns: LogColumns;
    /** Column names of the log rows, in order; default: data columns then metadata (logColumnNames). */
    logSchema?: string[];
    upToRecordId?: bigint;
}

/**
 * The merge in JavaScript: base rows (data columns) and log rows (logSchema) in, the
 * merged rows (data columns) out: base order for keys the log never touched, then keys in
 * the order of their winning log entry. Values are compared by kind and content (strings,
 * numbers, bigints, Buffers, Dates).
 */
export function mergeRows(baseRows: readonly unknown[][], logRows: readonly unknown[][], s: MergeRowsSpec): unknown[][] {
    checkSpec(s);
    const lc = s.logColumns;
    const schema = (s.logSchema ?? logColumnNames(s.columns, lc)).map((c) => c.toLowerCase());
    const at = (name: string, where: string[]) => {
        const i = where.indexOf(name.toLowerCase());
        if (i < 0) throw new Error(`column ${name} is not in the ${where === schema ? "log" : "base"} rows`);
        return i;
    };
    const baseCols = s.columns.map((c) => c.toLowerCase());
    const baseKey = s.key.map((k) => at(k, baseCols));
    const logKey = s.key.map((k) => at(k, schema));
    const logData = s.columns.map((c) => at(c, schema));
    const ridAt = at(lc.recordId, schema);
    const afterAt = at(lc.afterFlag, schema);

    interface Entry { rid: bigint; after: string; row: unknown[] }
    const latest = new Map<string, Entry>();
    const consider = (k: string, e: Entry) => {
        const cur = latest.get(k);
        if (!cur || e.rid > cur.rid || (e.rid === cur.rid && e.after > cur.after)) {
            // Re-inserted so that Map order follows the winning entry.
            latest.delete(k);
            latest.set(k, e);
        }
    };
    for (const r of baseRows) consider(keyOf(r, baseKey), { rid: 0n, after: "Y", row: r });
    for (const r of logRows) {
        const rid = toBigInt(r[ridAt]);
        if (s.upToRecordId !== undefined && rid > s.upToRecordId) continue;
        consider(keyOf(r, logKey), { rid, after: String(r[afterAt]), row: logData.map((i) => r[i]) });
    }
    const out: unknown[][] = [];
    for (const e of latest.values()) if (e.after === "Y") out.push(e.row);
    return out;
}

function toBigInt(v: unknown): bigint {
    if (typeof v === "bigint") return v;
    if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
    if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
    throw new Error(`record_id ${String(v)} is not an integer`);
}

function keyOf(row: unknown[], idx: number[]): string {
    let s = "";
    for (const i of idx) s += valueKey(row[i]) + "\u0001";
    return s;
}

function valueKey(v: unknown): string {
    if (v === null || v === undefined) return "\u0000N";
    if (Buffer.isBuffer(v)) return `b${v.toString("hex")}`;
    if (v instanceof Date) return `d${v.getTime()}`;
    if (typeof v === "bigint" || typeof v === "number") return `n${String(v)}`;
    return `s${String(v)}`;
}
