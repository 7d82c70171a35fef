import type { SourceColumn, SourceRow } from "../../../engine/model";
import { LOAD_TEXT_WASM } from "./load-text-wasm";
import type { RawRowBatch, RowPacketHandler } from "../row-packets";

/**
 * LOAD DATA text straight from the source's row packets, without decoding values to JS
 * strings and encoding them again. A text-protocol row is its values one after another,
 * each a length-coded string (0xfb alone for NULL), already in the connection charset
 * (utf8mb4), which is the charset the LOAD DATA statement reads. So each value's bytes
 * are copied with LOAD DATA's escapes (\\ \t \n \r \0), NULL becomes \N, binary columns
 * become hex (the statement UNHEXes them), values are separated by tabs and rows end
 * with a newline: byte for byte what the decoding path (bulk-sink.ts loadFieldFor)
 * writes, including a signed FLOAT's '-0' written as -1e-60.
 *
 * Rows holding an ENUM error value (see bulk-sink.ts errorValueColumns) are not written:
 * they are decoded as the row reader would and set aside for the sink's lenient INSERTs.
 */

/** What a column of the packet becomes in the text. */
const enum Kind {
    /** Read but not written (generated columns). */
    Skip,
    Text,
    Binary,
    /** FLOAT (signed): '-0' is written as -1e-60. */
    SignedFloat,
    /** ENUM whose '' can only be the error value: an empty value sets the row aside. */
    EnumError,
}

export interface LoadColumn {
    source: SourceColumn;
    /** Written to the destination (false: generated column, only read). */
    written: boolean;
    binary: boolean;
    /** '' is the ENUM error value (bulk-sink.ts errorValueColumns). */
    enumError: boolean;
}

export interface LoadTextBatch extends RawRowBatch {
    /** LOAD DATA text of the rows written (tab-separated, escaped, newline-terminated). */
    data: Buffer;
    /** Rows in `data`. */
    loaded: number;
    /** Rows set aside (ENUM error values), decoded as SourceRows. */
    setAside: SourceRow[];
}

/** Escape table: 0 = copy the byte, else the letter written after a backslash. */
const ESCAPE = new Uint8Array(256);
ESCAPE[0x5c] = 0x5c; // \\ -> \\\\
ESCAPE[0x09] = 0x74; // \t -> \\t
ESCAPE[0x0a] = 0x6e; // \n -> \\n
ESCAPE[0x0d] = 0x72; // \r -> \\r
ESCAPE[0x00] = 0x30; // \0 -> \\0
const HEX = Buffer.from("0123456789abcdef", "latin1");
const NEG_ZERO_FLOAT = Buffer.from("-1e-60", "latin1");

/** Bytes of text gathered before a batch is handed on (one LOAD DATA packet). */
export const LOAD_BATCH_BYTES = 256 * 1024;
/** Rows in a batch at most, as the row reader's batches (throttling and progress granularity). */
export const LOAD_BATCH_ROWS = 2000;

export class LoadTextEncoder implements RowPacketHandler<LoadTextBatch> {
    private readonly kinds: Uint8Array;
    /** 1 where a tab precedes the column's value (written columns after the first written one). */
    private readonly tabBefore: Uint8Array;
    private readonly binary: boolean[];
    private out: Buffer;
    private pos = 0;
    private rows = 0;
    private loaded = 0;
    private valueBytes = 0;
    private setAside: SourceRow[] = [];

    /** The same loop in WebAssembly (load-text.c), when the runtime has it; null: the JS loop below. */
    private readonly wasm: WasmEncoder | null;

    constructor(columns: LoadColumn[], private readonly batchBytes = LOAD_BATCH_BYTES, private readonly batchRows = LOAD_BATCH_ROWS, useWasm = true) {
        this.kinds = Uint8Array.from(columns, (c) =>
            !c.written ? Kind.Skip
                : c.binary ? Kind.Binary
                    : c.enumError ? Kind.EnumError
                        : c.source.dataType === "float" && !c.source.unsigned ? Kind.SignedFloat
                            : Kind.Text);
        const firstWritten = columns.findIndex((c) => c.written);
        this.tabBefore = Uint8Array.from(columns, (c, i) => (c.written && i > firstWritten ? 1 : 0));
        this.binary = columns.map((c) => c.binary);
        const module = useWasm ? wasmModule() : null;
        this.wasm = module ? new WasmEncoder(module, this.kinds, this.tabBefore, batchBytes + 64 * 1024) : null;
        this.out = this.wasm ? Buffer.alloc(0) : Buffer.allocUnsafe(batchBytes + 64 * 1024);
    }

    row(buf: Buffer, start: number, end: number): boolean {
        if (this.wasm) {
            const n = this.wasm.row(buf, start, end, this.pos);
            if (n < 0) {
                this.setAside.push(this.decode(buf, start, end));
                this.valueBytes += end - start;
            } else {
                this.pos += n;
                this.loaded++;
            }
            this.rows++;
            return this.full();
        }
        // Worst case: every byte doubles (escapes, hex); '-0' (3 bytes with its length) becomes 7 with its tab.
        const need = 3 * (end - start) + 1;
        if (this.pos + need > this.out.length) this.grow(need);
        const out = this.out;
        const kinds = this.kinds;
        const tabBefore = this.tabBefore;
        const n = kinds.length;
        const rowStart = this.pos;
        let p = rowStart;
        let o = start;
        let bytes = 0;
        for (let c = 0; c < n; c++) {
            let len = buf[o++];
            if (len >= 0xfb) {
                if (len === 0xfb) len = -1;
                else if (len === 0xfc) {
                    len = buf[o] | (buf[o + 1] << 8);
                    o += 2;
                } else if (len === 0xfd) {
                    len = buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16);
                    o += 3;
                } else {
                    len = buf.readUInt32LE(o) + buf.readUInt32LE(o + 4) * 0x100000000;
                    o += 8;
                }
            }
            const kind = kinds[c];
            if (len < 0) {
                bytes += 1;
                if (kind === Kind.Skip) continue;
                if (tabBefore[c]) out[p++] = 0x09;
                out[p++] = 0x5c;
                out[p++] = 0x4e; // \N
                continue;
            }
            bytes += len;
            const e = o + len;
            if (kind === Kind.Skip) {
                o = e;
                continue;
            }
            if (tabBefore[c]) out[p++] = 0x09;
            if (kind === Kind.Binary) {
                for (; o < e; o++) {
                    const b = buf[o];
                    out[p++] = HEX[b >> 4];
                    out[p++] = HEX[b & 15];
                }
                continue;
            }
            if (len === 0 && kind === Kind.EnumError) {
                this.setAside.push(this.decode(buf, start, end));
                this.rows++;
                this.valueBytes += end - start;
                return this.full();
            }
            if (kind === Kind.SignedFloat && len === 2 && buf[o] === 0x2d && buf[o + 1] === 0x30) {
                p += NEG_ZERO_FLOAT.copy(out, p);
                o = e;
                continue;
            }
            for (; o < e; o++) {
                const b = buf[o];
                const x = ESCAPE[b];
                if (x === 0) out[p++] = b;
                else {
                    out[p++] = 0x5c;
                    out[p++] = x;
                }
            }
        }
        out[p++] = 0x0a;
        this.pos = p;
        this.rows++;
        this.loaded++;
        this.valueBytes += bytes;
        return this.full();
    }

    private full(): boolean {
        return this.pos >= this.batchBytes || this.rows >= this.batchRows;
    }

    /** Room for an unusually large row: a bigger buffer holding what is gathered so far. */
    private grow(need: number): void {
        const next = Buffer.allocUnsafe(Math.max(2 * this.out.length, this.pos + need));
        this.out.copy(next, 0, 0, this.pos);
        this.out = next;
    }

    /** A row as the row reader decodes it: text as UTF-8 strings, binary columns as Buffers, NULL as null. */
    private decode(buf: Buffer, start: number, end: number): SourceRow {
        const row: SourceRow = [];
        let o = start;
        for (let c = 0; c < this.kinds.length && o < end; c++) {
            let len = buf[o++];
            if (len === 0xfb) {
                row.push(null);
                continue;
            }
            if (len === 0xfc) {
                len = buf.readUInt16LE(o);
                o += 2;
            } else if (len === 0xfd) {
                len = buf.readUIntLE(o, 3);
                o += 3;
            } else if (len === 0xfe) {
                len = buf.readUInt32LE(o) + buf.readUInt32LE(o + 4) * 0x100000000;
                o += 8;
            }
            row.push(this.binary[c] ? Buffer.from(buf.subarray(o, o + len)) : buf.toString("utf8", o, o + len));
            o += len;
        }
        return row;
    }

    take(): LoadTextBatch | null {
        if (this.rows === 0) return null;
        const batch: LoadTextBatch = {
            data: this.wasm ? this.wasm.output(this.pos) : this.out.subarray(0, this.pos),
            rows: this.rows, loaded: this.loaded, valueBytes: this.valueBytes + (this.wasm?.takeValueBytes() ?? 0), setAside: this.setAside,
        };
        if (!this.wasm) this.out = Buffer.allocUnsafe(this.batchBytes + 64 * 1024);
        this.pos = 0;
        this.rows = 0;
        this.loaded = 0;
        this.valueBytes = 0;
        this.setAside = [];
        return batch;
    }
}

/* ---------- the WebAssembly loop (load-text.c) ---------- */

interface WasmMemory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
}
interface WasmApi {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
    Memory: new (d: { initial: number }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
const PAGE = 65536;

let compiled: object | null | undefined;
/** Compiled once per process; null where WebAssembly (with SIMD) is not available, e.g. node --jitless. */
function wasmModule(): object | null {
    if (compiled === undefined) {
        try {
            compiled = WA ? new WA.Module(Buffer.from(LOAD_TEXT_WASM, "base64")) : null;
        } catch {
            compiled = null;
        }
    }
    return compiled;
}

/**
 * One instance of load-text.c with its own memory: the column tables, then a copy of the
 * packet buffer the rows are read from (mysql2 hands each row as a range of the socket
 * chunk it arrived in, so a chunk is copied in once for all its rows), then the output.
 */
class WasmEncoder {
    private readonly memory: WasmMemory;
    private u8: Uint8Array;
    private readonly encodeRow: (kinds: number, tabs: number, ncols: number, inStart: number, inEnd: number, out: number) => number;
    readonly takeValueBytes: () => number;
    private readonly kindsAt: number;
    private readonly tabsAt: number;
    private readonly ncols: number;
    private inAt: number;
    private inCap: number;
    private outAt: number;
    private lastBuf: Buffer | null = null;

    constructor(module: object, kinds: Uint8Array, tabs: Uint8Array, outBytes: number) {
        const base = 64 * 1024; // above the module's data and stack (__heap_base is about 11 KB)
        this.ncols = kinds.length;
        this.kindsAt = base;
        this.tabsAt = base + this.ncols;
        this.inAt = align(this.tabsAt + this.ncols);
        this.inCap = 128 * 1024;
        this.outAt = this.inAt + this.inCap;
        this.memory = new WA!.Memory({ initial: Math.ceil((this.outAt + outBytes) / PAGE) });
        const { exports } = new WA!.Instance(module, { env: { memory: this.memory } });
        if (Number((exports.__heap_base as { value: number }).value) > base) throw new Error("load-text.wasm: data above the reserved area");
        this.encodeRow = exports.encode_row as WasmEncoder["encodeRow"];
        this.takeValueBytes = exports.take_value_bytes as () => number;
        this.u8 = new Uint8Array(this.memory.buffer);
        this.u8.set(kinds, this.kindsAt);
        this.u8.set(tabs, this.tabsAt);
    }

    /** Encodes one row at output offset `pos`: bytes written, or -1 for a row to set aside. */
    row(buf: Buffer, start: number, end: number, pos: number): number {
        if (buf !== this.lastBuf) this.load(buf, pos);
        const need = this.outAt + pos + 3 * (end - start) + 1;
        if (need > this.u8.length) this.grow(need);
        return this.encodeRow(this.kindsAt, this.tabsAt, this.ncols, this.inAt + start, this.inAt + end, this.outAt + pos);
    }

    /** A copy of the first `length` output bytes. */
    output(length: number): Buffer {
        return Buffer.from(this.u8.subarray(this.outAt, this.outAt + length));
    }

    private load(buf: Buffer, pos: number): void {
        if (buf.length > this.inCap) {
            // A larger input area: the output (pos bytes so far) moves up behind it.
            const inCap = align(buf.length);
            const outAt = this.inAt + inCap;
            this.grow(outAt + pos + 64 * 1024);
            this.u8.copyWithin(outAt, this.outAt, this.outAt + pos);
            this.inCap = inCap;
            this.outAt = outAt;
        }
        this.u8.set(buf, this.inAt);
        this.lastBuf = buf;
    }

    private grow(bytes: number): void {
        if (bytes > this.u8.length) {
            this.memory.grow(Math.ceil((bytes - this.u8.length) / PAGE));
            this.u8 = new Uint8Array(this.memory.buffer);
        }
    }
}

const align = (n: number) => (n + 15) & ~15;
