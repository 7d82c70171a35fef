/**
 * MaxCompute's Tunnel record codec (provider/connectors/maxcompute/records.ts) and its
 * CRC-32C (crc32c.ts).
 */
import { describe, expect, it } from "vitest";
import { crc32c, crc32cByte, crc32cInt32LE, crc32cInt64LE, crc32cRange } from "../../provider/connectors/maxcompute/crc32c";

/** Bit at a time, straight from the definition: what the tables must agree with. */
function slowCrc32c(bytes: Uint8Array, crc = 0): number {
    let c = ~crc >>> 0;
    for (const b of bytes) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
}

describe("CRC-32C", () => {
    it("gives the standard check value and pyodps's test values", () => {
        expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
        expect(crc32c(Buffer.alloc(0))).toBe(0);
        // odps/tests/test_crc.py: "abc", then "1111111111111111111" fed to the same checksum.
        const abc = crc32c(Buffer.from("abc"));
        expect(abc).toBe(910901175);
        expect(crc32c(Buffer.from("1111111111111111111"), abc)).toBe(2917307201);
    });

    it("slicing by 8 agrees with the bitwise CRC on every length and start, carried across calls", () => {
        const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff));
        for (let start = 0; start < 9; start++) {
            for (let end = start; end <= data.length; end += 1 + (end % 7)) {
                for (const init of [0, 0x12345678, 0xffffffff]) {
                    expect(crc32cRange(init, data, start, end)).toBe(slowCrc32c(data.subarray(start, end), init));
                }
            }
        }
    });

    it("integers are summed as their little-endian bytes", () => {
        const b4 = Buffer.alloc(4);
        for (const n of [0, 1, 255, 256, 0x12345678, 0x7fffffff, -1, -2147483648]) {
            b4.writeInt32LE(n);
            for (const init of [0, 0xdeadbeef]) expect(crc32cInt32LE(init, n)).toBe(slowCrc32c(b4, init));
        }
        const b8 = Buffer.alloc(8);
        for (const n of [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 0x0123456789abcdefn, -123456789012345n]) {
            b8.writeBigInt64LE(n);
            const lo = Number(BigInt.asIntN(32, n));
            const hi = Number(BigInt.asIntN(32, n >> 32n));
            for (const init of [0, 0xdeadbeef]) {
                expect(crc32cInt64LE(init, lo, hi)).toBe(slowCrc32c(b8, init));
                expect(crc32cInt64LE(init, lo >>> 0, hi >>> 0)).toBe(slowCrc32c(b8, init));
            }
        }
        for (const b of [0, 1, 0x80, 0xff]) expect(crc32cByte(7, b)).toBe(slowCrc32c(Buffer.from([b]), 7));
    });
});
