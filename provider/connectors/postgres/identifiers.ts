import { createHash } from "node:crypto";

/**
 * PostgreSQL keeps NAMEDATALEN-1 bytes of an identifier and silently drops the rest, so
 * two long names that share a prefix become the same object.
 */
export const maxIdentifierBytes = 63;

/**
 * Always quotes: MySQL names are case-sensitive on the way in (or lower-cased by the
 * capitalisation policy before they get here), may be reserved words in PostgreSQL, and
 * may start with digits. Quoting keeps each name exactly as the mapping decided.
 */
export function quoteIdent(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, table: string): string {
    return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** Quotes a string as a standard-conforming SQL literal (standard_conforming_strings is on since 9.1). */
export function quoteLiteral(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
}

/** Whether PostgreSQL would truncate the name. */
export function exceedsIdentifierLimit(name: string): boolean {
    return Buffer.byteLength(name, "utf8") > maxIdentifierBytes;
}

/**
 * A name for a schema-scoped object derived from its parts, always ending in a short hash
 * of the parts. Index names share one namespace per schema, and "a_b" + "c" reads the same
 * as "a" + "b_c": the hash of the unjoined parts keeps derived names apart, and keeps them
 * stable between runs so later DDL can find them again. Cut on a character boundary to
 * fit 63 bytes.
 */
export function derivedName(parts: readonly string[], suffix: string): string {
    const hash = createHash("sha1").update(JSON.stringify(parts)).digest("hex").slice(0, 8);
    const tail = `_${suffix}_${hash}`;
    return truncateBytes(parts.join("_"), maxIdentifierBytes - Buffer.byteLength(tail, "utf8")) + tail;
}

/** The name PostgreSQL actually keeps: cut to 63 bytes on a character boundary, as it does. */
export function truncatedIdentifier(name: string): string {
    return truncateBytes(name, maxIdentifierBytes);
}

function truncateBytes(s: string, maxBytes: number): string {
    if (Buffer.byteLength(s, "utf8") <= maxBytes) return s;
    let out = "";
    let bytes = 0;
    for (const ch of s) {
        const n = Buffer.byteLength(ch, "utf8");
        if (bytes + n > maxBytes) break;
        out += ch;
        bytes += n;
    }
    return out;
}
