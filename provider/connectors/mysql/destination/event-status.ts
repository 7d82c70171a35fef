import { type SchemaLocation, DdlError } from "../schema-errors";
import { isSignificant, isWord, lexSql, type Token } from "../sql-lexer";

export interface DisabledEvent {
    /** The CREATE EVENT statement with DISABLE as its status. */
    sql: string;
    /** The source ran it (ENABLE, or no status, which means ENABLE): the user enables it at cutover. */
    enabledAtSource: boolean;
}

/**
 * A migrated event must not run at the destination during the migration: its writes would
 * land beside the stream's copy of the source event's writes (and the destination is not
 * the application's database yet). So every event is created DISABLED; enabling it is the
 * cutover's step (ALTER EVENT … ENABLE), as the task's notes say.
 *
 * The grammar fixes where the status sits: ON SCHEDULE …, [ON COMPLETION …], [status],
 * [COMMENT 'text'], DO body. So the status is found counting back from DO, never by
 * looking for ENABLE in the text, which the body or the comment may contain.
 * DISABLE ON SLAVE / ON REPLICA (the event runs on the source's primary) is kept: such an
 * event does not run here either.
 */
export function createEventDisabled(createSql: string, where: SchemaLocation = {}): DisabledEvent {
    const sig = lexSql(createSql).filter(isSignificant);
    const fail = (why: string): never => {
        throw new DdlError({ ...where, object: where.object ?? createSql.slice(0, 80) }, `cannot create the event disabled: ${why}`);
    };
    if (!isWord(sig[0], "CREATE")) fail("not a CREATE statement");
    const schedule = sig.findIndex((t, k) => isWord(t, "ON") && isWord(sig[k + 1], "SCHEDULE"));
    if (schedule < 0) fail("ON SCHEDULE not found");
    // DO is reserved: in the schedule's expressions it can only appear quoted.
    const body = sig.findIndex((t, k) => k > schedule && isWord(t, "DO"));
    if (body < 0) fail("DO not found");
    let p = body;
    if (isWord(sig[p - 2], "COMMENT") && sig[p - 1]?.kind === "string") p -= 2;
    const before = (k: number): Token | undefined => sig[p - k];
    if (isWord(before(1), "ENABLE")) {
        const t = before(1)!;
        return { sql: replace(createSql, t.start, t.end, "DISABLE"), enabledAtSource: true };
    }
    if (isWord(before(1), "DISABLE")) return { sql: createSql, enabledAtSource: false };
    if (isWord(before(3), "DISABLE") && isWord(before(2), "ON") && isWord(before(1), "SLAVE", "REPLICA")) return { sql: createSql, enabledAtSource: false };
    const at = sig[p].start;
    return { sql: replace(createSql, at, at, "DISABLE "), enabledAtSource: true };
}

function replace(text: string, start: number, end: number, by: string): string {
    return text.slice(0, start) + by + text.slice(end);
}
