/**
 * Reading information_schema and SHOW output through mysql2 regardless of connection
 * options: with bigNumberStrings, BIGINT UNSIGNED columns (TABLE_ROWS, ORDINAL_POSITION
 * on MariaDB) arrive as strings; binary-collated columns arrive as Buffers.
 */

export function text(v: unknown): string {
    if (v === null || v === undefined) return "";
    if (Buffer.isBuffer(v)) return v.toString("utf8");
    return String(v);
}

export function textOrNull(v: unknown): string | null {
    return v === null || v === undefined ? null : text(v);
}

export function numOrNull(v: unknown): number | null {
    if (v === null || v === undefined || v === "") return null;
    const n = Number(text(v));
    return Number.isFinite(n) ? n : null;
}

export function num(v: unknown): number {
    return numOrNull(v) ?? 0;
}

/** Groups rows by a key, keeping first-seen order of keys and rows (catalog order matters for keys). */
export function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
    const out = new Map<string, T[]>();
    for (const r of rows) {
        const k = key(r);
        const list = out.get(k);
        if (list) list.push(r);
        else out.set(k, [r]);
    }
    return out;
}
