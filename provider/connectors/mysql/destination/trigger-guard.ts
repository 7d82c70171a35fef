import { type SchemaLocation, DdlError } from "../schema-errors";
import { isPunct, isSignificant, isWord, lexSql } from "../sql-lexer";
import { ENGINE_SESSION_VARIABLE } from "./write-modes";

/**
 * Makes a trigger migrated to a MySQL destination skip the engine's own writes. With ROW
 * binlogs the rows a source trigger wrote travel the stream like any other change, so the
 * destination's copy firing on the stream's writes would write them a second time (an
 * audit log doubled). Every engine writer session sets @pulumi_dts_apply (write-modes.ts);
 * the body runs only where it is unset, i.e. for the application, during the migration
 * and after cutover alike, with nothing to change at cutover.
 *
 * The whole body (one statement, or a possibly labelled BEGIN…END with its DECLAREs) goes
 * inside the IF unchanged, so DECLARE stays first in its block and LEAVE finds its label.
 * The header, FOLLOWS/PRECEDES included, is kept as it is. Input is SHOW CREATE TRIGGER
 * text (after rewriteDefiner); only tokens are inspected, so strings and comments that
 * contain FOR EACH ROW are never mistaken for the header.
 */
export function guardTrigger(createSql: string, where: SchemaLocation = {}): string {
    const sig = lexSql(createSql).filter(isSignificant);
    const fail = (why: string): never => {
        throw new DdlError({ ...where, object: where.object ?? createSql.slice(0, 80) }, `cannot guard the trigger against the engine's writes: ${why}`);
    };
    if (!isWord(sig[0], "CREATE")) fail("not a CREATE statement");
    // FOR is reserved: unquoted, it cannot be the trigger's or the table's name.
    let i = sig.findIndex((t, k) => isWord(t, "FOR") && isWord(sig[k + 1], "EACH") && isWord(sig[k + 2], "ROW"));
    if (i < 0) fail("FOR EACH ROW not found");
    i += 3;
    if (isWord(sig[i], "FOLLOWS", "PRECEDES")) {
        i += 2;
        if (isPunct(sig[i], ".")) i += 2;
    }
    let last = sig.length - 1;
    // A trailing ';' would leave an empty statement before END IF, which the server refuses.
    while (last >= i && isPunct(sig[last], ";")) last--;
    if (last < i) fail("trigger body not found");
    const body = sig[i];
    const rest = last < sig.length - 1 ? sig[sig.length - 1].end : sig[last].end;
    return `${createSql.slice(0, body.start)}IF @${ENGINE_SESSION_VARIABLE} IS NULL THEN ${createSql.slice(body.start, sig[last].end)}; END IF${createSql.slice(rest)}`;
}
