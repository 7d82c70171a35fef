/**
 * The service's answers to BatchWriteRow and BulkImport, read straight from the protobuf
 * bytes: one outcome per row in request order, and no object for a row that succeeded (a
 * full protobuf decode made three per row). plainbuffer.ts writes the requests.
 */
/** A row's outcome in a write response: true, or the service's error for it. */
export type RowOutcome = true | { code: string; message: string };

/** One table's part of a write response: its rows' outcomes, in request order. */
export interface TableOutcomes {
    tableName: string;
    rows: RowOutcome[];
}

/**
 * BulkImportResponse{table_name = 1, rows = 2} and BatchWriteRowResponse{tables = 1
 * [{table_name = 1, rows = 2}]}, each row {is_ok = 1, error = 2 {code = 1, message = 2},
 * consumed = 3, row = 4}, read without an object per successful row. Other fields are
 * skipped; a required field missing or a truncated message throws.
 */
export function decodeBulkImportResponse(body: Uint8Array): TableOutcomes {
    return new ProtoReader(body).tableOutcomes(0, body.length);
}

export function decodeBatchWriteRowResponse(body: Uint8Array): TableOutcomes[] {
    const r = new ProtoReader(body);
    const tables: TableOutcomes[] = [];
    while (r.pos < body.length) {
        const tag = r.varint();
        if (tag === 0x0a) {
            const len = r.varint();
            const start = r.pos;
            r.need(len);
            tables.push(r.tableOutcomes(start, start + len));
            r.pos = start + len;
        } else {
            r.skip(tag);
        }
    }
    return tables;
}

const utf8 = new TextDecoder("utf-8");

class ProtoReader {
    pos = 0;
    constructor(private readonly buf: Uint8Array) {}

    need(n: number): void {
        if (n < 0 || this.pos + n > this.buf.length) throw new Error("truncated message");
    }

    /** A tag, a length or a bool (below 2^35). */
    varint(): number {
        let n = 0;
        for (let shift = 0; shift < 35; shift += 7) {
            if (this.pos >= this.buf.length) throw new Error("truncated varint");
            const b = this.buf[this.pos++];
            n += (b & 0x7f) * 2 ** shift;
            if ((b & 0x80) === 0) return n;
        }
        throw new Error("varint too long");
    }

    /** Skips the value of a field whose tag was read. */
    skip(tag: number): void {
        switch (tag & 7) {
            case 0:
                // Up to 10 bytes (a negative int32 is sign-extended).
                for (let i = 0; ; i++) {
                    if (i === 10 || this.pos >= this.buf.length) throw new Error("truncated varint");
                    if ((this.buf[this.pos++] & 0x80) === 0) return;
                }
            case 1: this.need(8); this.pos += 8; return;
            case 2: {
                const len = this.varint();
                this.need(len);
                this.pos += len;
                return;
            }
            case 5: this.need(4); this.pos += 4; return;
            default: throw new Error(`unexpected wire type ${tag & 7}`);
        }
    }

    string(): string {
        const len = this.varint();
        this.need(len);
        const s = utf8.decode(this.buf.subarray(this.pos, this.pos + len));
        this.pos += len;
        return s;
    }

    tableOutcomes(start: number, end: number): TableOutcomes {
        this.pos = start;
        let tableName: string | undefined;
        const rows: RowOutcome[] = [];
        while (this.pos < end) {
            const tag = this.varint();
            if (tag === 0x0a) tableName = this.string();
            else if (tag === 0x12) {
                const len = this.varint();
                this.need(len);
                const rowEnd = this.pos + len;
                rows.push(this.rowOutcome(rowEnd));
                this.pos = rowEnd;
            } else {
                this.skip(tag);
            }
        }
        if (this.pos !== end) throw new Error("truncated message");
        if (tableName === undefined) throw new Error("missing required 'table_name'");
        return { tableName, rows };
    }

    private rowOutcome(end: number): RowOutcome {
        let ok: boolean | undefined;
        let error: { code: string; message: string } | undefined;
        while (this.pos < end) {
            const tag = this.varint();
            if (tag === 0x08) ok = this.varint() !== 0;
            else if (tag === 0x12) {
                const len = this.varint();
                this.need(len);
                const errorEnd = this.pos + len;
                let code: string | undefined;
                let message = "";
                while (this.pos < errorEnd) {
                    const t = this.varint();
                    if (t === 0x0a) code = this.string();
                    else if (t === 0x12) message = this.string();
                    else this.skip(t);
                }
                if (code === undefined) throw new Error("missing required 'code'");
                error = { code, message };
            } else {
                this.skip(tag);
            }
        }
        if (this.pos !== end) throw new Error("truncated message");
        if (ok === undefined) throw new Error("missing required 'is_ok'");
        return ok ? true : error ?? { code: "UnknownError", message: "" };
    }
}
