import { decodeStringLiteral, isPunct, isSignificant, isWord, lexSql, type Token } from "../sql-lexer";

/**
 * What a query event inside the binlog means for the transaction around it. MySQL and
 * MariaDB log transaction control as query events: BEGIN, COMMIT of a group without XID,
 * ROLLBACK of a group that touched non-transactional tables, SAVEPOINT and ROLLBACK TO
 * inside such groups, and the XA statements of two-phase transactions. Everything else is
 * a statement in its own right (DDL, or DML of a STATEMENT-logged session).
 */
export type TransactionControl =
    | { kind: "begin" }
    | { kind: "commit" }
    | { kind: "rollback" }
    | { kind: "savepoint"; name: string }
    | { kind: "rollback-to"; name: string }
    | { kind: "release"; name: string }
    | { kind: "xa-start"; xid: string }
    | { kind: "xa-end" }
    | { kind: "xa-commit"; xid: string; onePhase: boolean }
    | { kind: "xa-rollback"; xid: string };

/**
 * An XA transaction's id as one comparable string: gtrid and bqual as hex, then the
 * format id (1 when the statement leaves it out, as the server does).
 */
export function xidKey(gtrid: Buffer, bqual: Buffer, formatId: number): string {
    return `${gtrid.toString("hex")}:${bqual.toString("hex")}:${formatId}`;
}

/** A savepoint name as the server compares them: case-insensitively. */
function savepointName(t: Token | undefined): string | null {
    if (!t) return null;
    if (t.kind === "ident") return t.text.slice(1, -1).replace(/``/g, "`").toLowerCase();
    if (t.kind === "word") return t.text.toLowerCase();
    return null;
}

/** One xid part at `i`: 'text', X'hex' (a word X then a string), 0xhex, or a bare number (the format id). */
function xidPart(sig: Token[], i: number): { value: Buffer | number; next: number } | null {
    const t = sig[i];
    if (!t) return null;
    if (isWord(t, "X") && sig[i + 1]?.kind === "string") {
        const hex = sig[i + 1].text.slice(1, -1);
        return /^[0-9a-fA-F]*$/.test(hex) ? { value: Buffer.from(hex, "hex"), next: i + 2 } : null;
    }
    const hex = /^0x([0-9a-fA-F]*)$/.exec(t.text);
    if (t.kind === "word" && hex) return { value: Buffer.from(hex[1], "hex"), next: i + 1 };
    if (t.kind === "string") return { value: Buffer.from(decodeStringLiteral(t.text), "utf8"), next: i + 1 };
    if (t.kind === "number" && /^\d+$/.test(t.text)) return { value: Number(t.text), next: i + 1 };
    return null;
}

/** Reads `gtrid [, bqual [, formatID]]` from the tokens after XA COMMIT/ROLLBACK/START. */
function xidAt(sig: Token[], i: number): { xid: string; next: number } | null {
    const parts: (Buffer | number)[] = [];
    for (;;) {
        const p = xidPart(sig, i);
        if (p === null) break;
        parts.push(p.value);
        i = p.next;
        if (!isPunct(sig[i], ",")) break;
        i++;
    }
    const [g, b, f] = parts;
    if (!Buffer.isBuffer(g)) return null;
    const bqual = Buffer.isBuffer(b) ? b : Buffer.alloc(0);
    const format = typeof f === "number" ? f : typeof b === "number" ? b : 1;
    return { xid: xidKey(g, bqual, format), next: i };
}

/** The transaction-control meaning of a logged query, or null for any other statement. */
export function transactionControl(sql: string): TransactionControl | null {
    // Cheap exit for the common case: DDL and STATEMENT-format DML.
    if (!/^\s*(BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|XA)\b/i.test(sql)) return null;
    const sig = lexSql(sql).filter(isSignificant);
    const [a, b] = sig;
    if (isWord(a, "BEGIN") && sig.length <= 2) return { kind: "begin" };
    if (isWord(a, "START") && isWord(b, "TRANSACTION")) return { kind: "begin" };
    if (isWord(a, "COMMIT")) return { kind: "commit" };
    if (isWord(a, "SAVEPOINT")) {
        const name = savepointName(b);
        return name === null ? null : { kind: "savepoint", name };
    }
    if (isWord(a, "RELEASE") && isWord(b, "SAVEPOINT")) {
        const name = savepointName(sig[2]);
        return name === null ? null : { kind: "release", name };
    }
    if (isWord(a, "ROLLBACK")) {
        let i = 1;
        if (isWord(sig[i], "WORK")) i++;
        if (!isWord(sig[i], "TO")) return { kind: "rollback" };
        i++;
        if (isWord(sig[i], "SAVEPOINT")) i++;
        const name = savepointName(sig[i]);
        return name === null ? null : { kind: "rollback-to", name };
    }
    if (isWord(a, "XA")) {
        if (isWord(b, "START", "BEGIN")) {
            const x = xidAt(sig, 2);
            return x ? { kind: "xa-start", xid: x.xid } : null;
        }
        if (isWord(b, "END")) return { kind: "xa-end" };
        if (isWord(b, "COMMIT")) {
            const x = xidAt(sig, 2);
            if (!x) return null;
            return { kind: "xa-commit", xid: x.xid, onePhase: isWord(sig[x.next], "ONE") };
        }
        if (isWord(b, "ROLLBACK")) {
            const x = xidAt(sig, 2);
            return x ? { kind: "xa-rollback", xid: x.xid } : null;
        }
    }
    return null;
}
