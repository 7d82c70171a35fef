/**
 * Quoting for MySQL/MariaDB identifiers and string literals. Every name that reaches a
 * statement goes through here: table and column names from a source may hold spaces,
 * backticks, quotes and any Unicode character.
 */

/** `name`, with embedded backticks doubled (the only escape inside backtick quotes). */
export function quoteIdent(name: string): string {
    return "`" + name.replace(/`/g, "``") + "`";
}

/** `db`.`table` */
export function qualified(db: string, table: string): string {
    return `${quoteIdent(db)}.${quoteIdent(table)}`;
}

/**
 * A single-quoted string literal. Backslashes are escaped as well as quotes because the
 * server treats `\` as an escape unless sql_mode has NO_BACKSLASH_ESCAPES; statements
 * built here assume that mode is off (the engine's sessions clear it).
 */
export function quoteString(value: string): string {
    return "'" + value.replace(/\\/g, "\\\\").replace(/'/g, "''").replace(/\0/g, "\\0") + "'";
}

/** The name inside a backtick-quoted identifier token, or the token itself when bare. */
export function unquoteIdent(token: string): string {
    if (token.length >= 2 && token.startsWith("`") && token.endsWith("`")) return token.slice(1, -1).replace(/``/g, "`");
    return token;
}

/** Names the server's grammar accepts bare in option positions (charsets, collations, engines). */
const bareWord = /^[A-Za-z0-9_]+$/;

export function isBareWord(value: string): boolean {
    return bareWord.test(value);
}
