/**
 * CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final XOR
 * 0xFFFFFFFF), the checksum of Tunnel record streams: the Java SDK's tunnel/io/Checksum.java
 * wraps snappy's PureJavaCrc32C, pyodps's tunnel/checksum.py its Crc32c
 * (research/maxcompute.md §3 "Record wire format").
 *
 * Every function takes a finished checksum and returns the finished checksum of that input
 * followed by more bytes (the convention of zlib's crc32(crc, buf)); 0 is the checksum of no
 * bytes, so a record's checksum starts at 0 and is carried from call to call. The SDK feeds
 * its integers as little-endian bytes (Checksum.java:42-52: ByteBuffer LITTLE_ENDIAN, 4 bytes
 * for an int, 8 for a long), which crc32cInt32LE and crc32cInt64LE do without writing them
 * anywhere.
 *
 * Ranges are folded eight bytes at a time ("slicing by 8"), as in tablestore/crc8.ts: the
 * eight lookups of a group do not wait on each other, which matters for string values,
 * most of a record's bytes.
 */

/** T[k][i]: the state after byte i followed by k zero bytes; T[0] is the one-byte table. */
const T: Int32Array[] = (() => {
    const tables: Int32Array[] = [];
    const t0 = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
        let c = i;
        for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
        t0[i] = c;
    }
    tables.push(t0);
    for (let k = 1; k < 8; k++) {
        const prev = tables[k - 1];
        const t = new Int32Array(256);
        for (let i = 0; i < 256; i++) t[i] = (prev[i] >>> 8) ^ t0[prev[i] & 0xff];
        tables.push(t);
    }
    return tables;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = T;

/** The bytes buf[start, end). */
export function crc32cRange(crc: number, buf: Uint8Array, start: number, end: number): number {
    let c = ~crc;
    let i = start;
    for (; i + 8 <= end; i += 8) {
        c ^= buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
        c = T7[c & 0xff] ^ T6[(c >>> 8) & 0xff] ^ T5[(c >>> 16) & 0xff] ^ T4[c >>> 24]
            ^ T3[buf[i + 4]] ^ T2[buf[i + 5]] ^ T1[buf[i + 6]] ^ T0[buf[i + 7]];
    }
    for (; i < end; i++) c = T0[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
    return ~c >>> 0;
}

/** All of buf. */
export function crc32c(buf: Uint8Array, crc = 0): number {
    return crc32cRange(crc, buf, 0, buf.length);
}

/** One byte (a BOOLEAN's 0 or 1: Checksum.java:66-68). */
export function crc32cByte(crc: number, byte: number): number {
    const c = ~crc;
    return ~(T0[(c ^ byte) & 0xff] ^ (c >>> 8)) >>> 0;
}

/** A 32-bit integer's four little-endian bytes (Checksum.update(int): a field number, a record checksum, nanoseconds). */
export function crc32cInt32LE(crc: number, n: number): number {
    const c = ~crc ^ n;
    return ~(T3[c & 0xff] ^ T2[(c >>> 8) & 0xff] ^ T1[(c >>> 16) & 0xff] ^ T0[c >>> 24]) >>> 0;
}

/**
 * A 64-bit integer's eight little-endian bytes (Checksum.update(long)), given as its low and
 * high 32 bits (either signedness), so that a BIGINT needs no bigint arithmetic to be summed.
 */
export function crc32cInt64LE(crc: number, lo: number, hi: number): number {
    const c = ~crc ^ lo;
    return ~(T7[c & 0xff] ^ T6[(c >>> 8) & 0xff] ^ T5[(c >>> 16) & 0xff] ^ T4[c >>> 24]
        ^ T3[hi & 0xff] ^ T2[(hi >>> 8) & 0xff] ^ T1[(hi >>> 16) & 0xff] ^ T0[hi >>> 24]) >>> 0;
}
