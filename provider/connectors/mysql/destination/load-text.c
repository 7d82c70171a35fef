/*
 * The inner loop of load-text.ts (LoadTextEncoder), compiled to WebAssembly: one row of a
 * MySQL text-protocol result set (its values as length-coded strings) to one line of
 * LOAD DATA text. The rules are load-text.ts's, byte for byte; see that file. Rebuild
 * load-text-wasm.ts after any change here with build-load-text-wasm.sh.
 *
 * A JS loop spends about 2 ns a byte on the benchmark machine; with 16-byte vectors for the
 * common case (no byte to escape) a sysbench row takes 120 ns instead of 350, copies included.
 */
#include <stdint.h>
#include <wasm_simd128.h>

enum { SKIP = 0, TEXT = 1, BINARY = 2, SIGNED_FLOAT = 3, ENUM_ERROR = 4 };

/* 0: copy the byte; else the letter written after a backslash (\\ \t \n \r \0). */
static const uint8_t ESCAPE[256] = {[0x5c] = 0x5c, [0x09] = 't', [0x0a] = 'n', [0x0d] = 'r', [0x00] = '0'};
static const uint8_t HEX[16] = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

static uint32_t value_bytes;

/* Value bytes (NULL counted as 1) of the rows encoded since the last call. */
__attribute__((export_name("take_value_bytes"))) uint32_t take_value_bytes(void) {
    uint32_t v = value_bytes;
    value_bytes = 0;
    return v;
}

static inline uint8_t *escape_one(uint8_t *p, uint8_t b) {
    uint8_t x = ESCAPE[b];
    if (x == 0) {
        *p++ = b;
    } else {
        *p++ = '\\';
        *p++ = x;
    }
    return p;
}

static uint8_t *copy_escaped(uint8_t *p, const uint8_t *o, const uint8_t *e) {
    const v128_t below14 = wasm_i8x16_splat(14);
    const v128_t backslash = wasm_i8x16_splat(0x5c);
    while (e - o >= 16) {
        v128_t v = wasm_v128_load(o);
        /* Bytes below 14 (0, \t, \n, \r and a few harmless ones) or a backslash: the slow way. */
        if (!wasm_v128_any_true(wasm_v128_or(wasm_u8x16_lt(v, below14), wasm_i8x16_eq(v, backslash)))) {
            wasm_v128_store(p, v);
            p += 16;
            o += 16;
            continue;
        }
        for (int i = 0; i < 16; i++) p = escape_one(p, o[i]);
        o += 16;
    }
    while (o < e) p = escape_one(p, *o++);
    return p;
}

/*
 * Encodes the row in [in, end) at out, given each column's kind and whether a tab precedes
 * its value. Returns the bytes written (the line with its newline), or -1 when the row
 * holds an ENUM error value (nothing is written: the caller sets the row aside).
 * The caller guarantees room for 3 * (end - in) + 1 bytes at out.
 */
__attribute__((export_name("encode_row"))) int32_t encode_row(const uint8_t *kinds, const uint8_t *tabs, uint32_t ncols,
                                                           const uint8_t *in, const uint8_t *end, uint8_t *out) {
    uint8_t *p = out;
    const uint8_t *o = in;
    uint32_t bytes = 0;
    for (uint32_t c = 0; c < ncols && o < end; c++) {
        uint32_t b0 = *o++;
        uint64_t len;
        uint8_t kind = kinds[c];
        if (b0 < 0xfb) {
            len = b0;
        } else if (b0 == 0xfb) {
            bytes += 1;
            if (kind == SKIP) continue;
            if (tabs[c]) *p++ = '\t';
            *p++ = '\\';
            *p++ = 'N';
            continue;
        } else if (b0 == 0xfc) {
            len = (uint32_t)o[0] | ((uint32_t)o[1] << 8);
            o += 2;
        } else if (b0 == 0xfd) {
            len = (uint32_t)o[0] | ((uint32_t)o[1] << 8) | ((uint32_t)o[2] << 16);
            o += 3;
        } else {
            len = 0;
            for (int i = 7; i >= 0; i--) len = (len << 8) | o[i];
            o += 8;
        }
        bytes += (uint32_t)len;
        const uint8_t *e = o + len;
        if (kind == SKIP) {
            o = e;
            continue;
        }
        if (tabs[c]) *p++ = '\t';
        if (kind == BINARY) {
            for (; o < e; o++) {
                *p++ = HEX[*o >> 4];
                *p++ = HEX[*o & 15];
            }
            continue;
        }
        if (kind == ENUM_ERROR && len == 0) return -1;
        if (kind == SIGNED_FLOAT && len == 2 && o[0] == '-' && o[1] == '0') {
            static const uint8_t neg[6] = {'-', '1', 'e', '-', '6', '0'};
            for (int i = 0; i < 6; i++) *p++ = neg[i];
            o = e;
            continue;
        }
        p = copy_escaped(p, o, e);
        o = e;
    }
    *p++ = '\n';
    value_bytes += bytes;
    return (int32_t)(p - out);
}
