/**
 * CRC-8 as PlainBuffer uses it: polynomial 0x07, initial value 0, no reflection, no final XOR.
 * Every function takes the running checksum and returns the updated one, so a caller folds the
 * fields of a cell in the order the checksum (not the wire) defines.
 */

const TABLE: Uint8Array = (() => {
    const t = new Uint8Array(256);
    for (let i = 0; i < 256; i++) {
        let c = i;
        for (let bit = 0; bit < 8; bit++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
        t[i] = c;
    }
    return t;
})();

export function crc8Byte(crc: number, byte: number): number {
    return TABLE[(crc ^ byte) & 0xff];
}

export function crc8Bytes(crc: number, bytes: Uint8Array): number {
    let c = crc;
    for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff];
    return c;
}

/** The 4 little-endian bytes of a 32-bit length, as strings and blobs fold their size in. */
export function crc8Int32LE(crc: number, value: number): number {
    let c = crc;
    for (let i = 0; i < 4; i++) c = crc8Byte(c, (value >>> (8 * i)) & 0xff);
    return c;
}

/** The 8 little-endian bytes of a signed 64-bit value (integers, timestamps). */
const scratch = Buffer.alloc(8);

export function crc8Int64LE(crc: number, value: bigint): number {
    scratch.writeBigInt64LE(BigInt.asIntN(64, value));
    return crc8Bytes(crc, scratch);
}
