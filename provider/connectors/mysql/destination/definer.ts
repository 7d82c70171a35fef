import { DdlError } from "../schema-errors";
import { isPunct, isSignificant, isWord, lexSql, type Token } from "../sql-lexer";

/**
 * DTS's schema migration rule for MySQL destinations: views, procedures and functions are
 * created with SQL SECURITY INVOKER, and every object's DEFINER becomes the destination
 * account (the one running the DDL). Removing the DEFINER clause does the latter: the
 * server then records CURRENT_USER. Only the statement's header and characteristics are
 * edited; bodies, which may contain the same words in strings or nested DDL, are kept.
 *
 * Input is SHOW CREATE text as MariaDB and MySQL print it. mysqldump's versioned comments
 * (/*!50017 DEFINER=…*\/) are not handled.
 */
export function rewriteDefiner(createSql: string): string {
    const tokens = lexSql(createSql);
    const sig = tokens.filter(isSignificant);
    const fail = (why: string): never => {
        throw new DdlError({ object: createSql.slice(0, 80) }, `cannot rewrite DEFINER/SQL SECURITY: ${why}`);
    };
    let i = 0;
    if (!isWord(sig[i], "CREATE")) fail("not a CREATE statement");
    i++;
    if (isWord(sig[i], "OR") && isWord(sig[i + 1], "REPLACE")) i += 2;

    const edits: Edit[] = [];
    let security: Token | undefined;
    for (;;) {
        const t = sig[i];
        if (t === undefined) fail("object kind not found");
        if (isWord(t, "ALGORITHM") && isPunct(sig[i + 1], "=")) {
            i += 3;
        } else if (isWord(t, "DEFINER") && isPunct(sig[i + 1], "=")) {
            const end = definerEnd(sig, i + 2);
            edits.push({ start: t.start, end: nextSignificantStart(tokens, sig[end - 1]), text: "" });
            i = end;
        } else if (isWord(t, "SQL") && isWord(sig[i + 1], "SECURITY")) {
            security = sig[i + 2];
            i += 3;
        } else if (isWord(t, "AGGREGATE", "NONEDITIONABLE", "EDITIONABLE")) {
            i++;
        } else {
            break;
        }
    }
    const kind = sig[i];
    if (isWord(kind, "VIEW")) {
        edits.push(security ? invoker(security) : { start: kind.start, end: kind.start, text: "SQL SECURITY INVOKER " });
    } else if (isWord(kind, "PROCEDURE", "FUNCTION")) {
        edits.push(routineSecurity(sig, i, fail));
    } else if (!isWord(kind, "TRIGGER", "EVENT")) {
        fail(`unsupported object kind ${kind?.text ?? "(none)"}`);
    }
    return applyEdits(createSql, edits);
}

interface Edit {
    start: number;
    end: number;
    text: string;
}

function applyEdits(text: string, edits: Edit[]): string {
    let out = text;
    for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
    return out;
}

const invoker = (value: Token): Edit => ({ start: value.start, end: value.end, text: "INVOKER" });

/** Start of the token after `t`, so that removing a clause also removes the space after it. */
function nextSignificantStart(tokens: Token[], t: Token): number {
    const idx = tokens.indexOf(t);
    let j = idx + 1;
    while (j < tokens.length && !isSignificant(tokens[j])) j++;
    return j < tokens.length ? tokens[j].start : t.end;
}

/** Index just past the account after DEFINER=: user[@host], CURRENT_USER[()], or a role. */
function definerEnd(sig: Token[], i: number): number {
    if (isWord(sig[i], "CURRENT_USER")) return isPunct(sig[i + 1], "(") && isPunct(sig[i + 2], ")") ? i + 3 : i + 1;
    let j = i + 1;
    // user@host arrives as user, @, host; an unquoted @host may also lex as "@" + word.
    if (isPunct(sig[j], "@")) j += 2;
    return j;
}

const returnTypeModifiers = ["UNSIGNED", "SIGNED", "ZEROFILL", "BINARY", "ASCII", "UNICODE", "BYTE", "PRECISION", "VARYING"];

/**
 * For a routine: finds the characteristics after the parameter list (and RETURNS type),
 * and either turns an existing SQL SECURITY into INVOKER or adds it after the last one,
 * in the one-per-line style the server prints.
 */
function routineSecurity(sig: Token[], kindIdx: number, fail: (why: string) => never): Edit {
    let i = kindIdx + 1;
    if (isWord(sig[i], "IF") && isWord(sig[i + 1], "NOT") && isWord(sig[i + 2], "EXISTS")) i += 3;
    i++; // name
    if (isPunct(sig[i], ".")) i += 2; // db.name
    if (!isPunct(sig[i], "(")) fail("parameter list not found");
    i = pastParens(sig, i, fail);
    let last = sig[i - 1];
    if (isWord(sig[kindIdx], "FUNCTION")) {
        if (!isWord(sig[i], "RETURNS")) fail("RETURNS not found");
        i += 2; // RETURNS type
        if (isPunct(sig[i], "(")) i = pastParens(sig, i, fail);
        for (;;) {
            if (isWord(sig[i], ...returnTypeModifiers)) i++;
            else if (isWord(sig[i], "CHARSET", "COLLATE")) i += 2;
            else if (isWord(sig[i], "CHARACTER") && isWord(sig[i + 1], "SET")) i += 3;
            else break;
        }
        last = sig[i - 1];
    }
    for (;;) {
        const t = sig[i];
        if (isWord(t, "COMMENT")) i += 2;
        else if (isWord(t, "LANGUAGE") && isWord(sig[i + 1], "SQL")) i += 2;
        else if (isWord(t, "DETERMINISTIC")) i += 1;
        else if (isWord(t, "NOT") && isWord(sig[i + 1], "DETERMINISTIC")) i += 2;
        else if (isWord(t, "CONTAINS", "NO") && isWord(sig[i + 1], "SQL")) i += 2;
        else if (isWord(t, "READS", "MODIFIES") && isWord(sig[i + 1], "SQL") && isWord(sig[i + 2], "DATA")) i += 3;
        else if (isWord(t, "SQL") && isWord(sig[i + 1], "SECURITY")) return invoker(sig[i + 2]);
        else break;
        last = sig[i - 1];
    }
    return { start: last.end, end: last.end, text: "\n    SQL SECURITY INVOKER" };
}

/** Index just past the parenthesised group opening at `i`. */
function pastParens(sig: Token[], i: number, fail: (why: string) => never): number {
    let depth = 0;
    for (let j = i; j < sig.length; j++) {
        if (isPunct(sig[j], "(")) depth++;
        else if (isPunct(sig[j], ")") && --depth === 0) return j + 1;
    }
    return fail("unbalanced parentheses");
}
