/**
 * The SQL the fixture's instance endpoint runs: only the DDL the connector emits (research
 * maxcompute.md §6): CREATE TABLE [IF NOT EXISTS] … [PARTITIONED BY (…)], ALTER TABLE … ADD
 * COLUMNS [IF NOT EXISTS] (…), ALTER TABLE … ADD [IF NOT EXISTS] | DROP [IF EXISTS] PARTITION (k='v', …),
 * DROP TABLE [IF EXISTS]. Anything else fails the instance, as an unknown statement would.
 */
export interface ColumnDef {
    name: string;
    /** The type as written, upper-cased: BIGINT, DECIMAL(38,18), VARCHAR(10), … */
    type: string;
    comment?: string;
}

export type Statement =
    | { kind: "create"; table: string; ifNotExists: boolean; columns: ColumnDef[]; partitionKeys: ColumnDef[] }
    | { kind: "add-columns"; table: string; ifNotExists: boolean; columns: ColumnDef[] }
    | { kind: "add-partition"; table: string; ifNotExists: boolean; spec: [string, string][] }
    | { kind: "drop-partition"; table: string; ifExists: boolean; spec: [string, string][] }
    | { kind: "drop"; table: string; ifExists: boolean };

export class DdlError extends Error {}

const ident = String.raw`(?:\x60([^\x60]+)\x60|([A-Za-z][A-Za-z0-9_]*))`;
const name = (m: RegExpExecArray, i: number) => m[i] ?? m[i + 1];

/** Splits "a BIGINT, b DECIMAL(38,18) COMMENT 'x, y'" at top-level commas. */
function splitTop(text: string): string[] {
    const out: string[] = [];
    let depth = 0;
    let quote = false;
    let cur = "";
    for (const ch of text) {
        if (ch === "'" ) quote = !quote;
        if (!quote && ch === "(") depth++;
        if (!quote && ch === ")") depth--;
        if (!quote && depth === 0 && ch === ",") {
            out.push(cur.trim());
            cur = "";
        } else cur += ch;
    }
    if (cur.trim()) out.push(cur.trim());
    return out;
}

function columns(text: string): ColumnDef[] {
    return splitTop(text).map((def) => {
        const m = new RegExp(`^${ident}\\s+([A-Za-z]+(?:\\s*\\([^)]*\\))?)(?:\\s+COMMENT\\s+'((?:[^']|'')*)')?$`, "is").exec(def);
        if (!m) throw new DdlError(`cannot parse column definition: ${def}`);
        return { name: name(m, 1), type: m[3].replace(/\s+/g, "").toUpperCase(), ...(m[4] !== undefined ? { comment: m[4].replace(/''/g, "'") } : {}) };
    });
}

/** Returns the parenthesised text after `from` (balanced), and where it ends. */
function parenthesised(sql: string, from: number): { inner: string; end: number } {
    const start = sql.indexOf("(", from);
    if (start < 0) throw new DdlError(`expected ( in: ${sql}`);
    let depth = 0;
    let quote = false;
    for (let i = start; i < sql.length; i++) {
        const ch = sql[i];
        if (ch === "'") quote = !quote;
        if (quote) continue;
        if (ch === "(") depth++;
        if (ch === ")" && --depth === 0) return { inner: sql.slice(start + 1, i), end: i + 1 };
    }
    throw new DdlError(`unbalanced parentheses in: ${sql}`);
}

export function parseStatements(sqlText: string): Statement[] {
    return sqlText.split(/;\s*(?=(?:[^']*'[^']*')*[^']*$)/).map((s) => s.trim()).filter(Boolean).map(parseStatement);
}

export function parseStatement(sql: string): Statement {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^CREATE\\s+TABLE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?${ident}\\s*`, "i").exec(sql))) {
        const cols = parenthesised(sql, m[0].length - 1);
        const rest = sql.slice(cols.end).trim();
        let partitionKeys: ColumnDef[] = [];
        const p = /^PARTITIONED\s+BY\s*/i.exec(rest);
        if (p) partitionKeys = columns(parenthesised(rest, p[0].length - 1).inner);
        else if (rest && !/^(LIFECYCLE\s+\d+)?$/i.test(rest)) throw new DdlError(`unsupported CREATE TABLE clause: ${rest}`);
        return { kind: "create", table: name(m, 2), ifNotExists: !!m[1], columns: columns(cols.inner), partitionKeys };
    }
    if ((m = new RegExp(`^ALTER\\s+TABLE\\s+${ident}\\s+ADD\\s+COLUMNS\\s+(IF\\s+NOT\\s+EXISTS\\s+)?`, "i").exec(sql))) {
        return { kind: "add-columns", table: name(m, 1), ifNotExists: !!m[3], columns: columns(parenthesised(sql, m[0].length - 1).inner) };
    }
    if ((m = new RegExp(`^ALTER\\s+TABLE\\s+${ident}\\s+(ADD|DROP)\\s+(IF\\s+(?:NOT\\s+)?EXISTS\\s+)?PARTITION\\s*`, "i").exec(sql))) {
        const spec = splitTop(parenthesised(sql, m[0].length - 1).inner).map((kv) => {
            const x = /^([A-Za-z][A-Za-z0-9_]*)\s*=\s*'((?:[^']|'')*)'$/.exec(kv);
            if (!x) throw new DdlError(`cannot parse partition spec: ${kv}`);
            return [x[1], x[2].replace(/''/g, "'")] as [string, string];
        });
        return m[3].toUpperCase() === "ADD"
            ? { kind: "add-partition", table: name(m, 1), ifNotExists: !!m[4], spec }
            : { kind: "drop-partition", table: name(m, 1), ifExists: !!m[4], spec };
    }
    if ((m = new RegExp(`^DROP\\s+TABLE\\s+(IF\\s+EXISTS\\s+)?${ident}$`, "i").exec(sql))) {
        return { kind: "drop", table: name(m, 2), ifExists: !!m[1] };
    }
    throw new DdlError(`the fixture runs only the DDL the connector emits; not: ${sql.slice(0, 200)}`);
}
