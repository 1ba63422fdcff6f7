/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signature mode 02 ("last block") gives the card the host's intermediate
 * SHA-2 chaining value and the byte count already hashed. EVP cannot resume
 * from a raw chaining value, so the compression functions live here
 * (FIPS 180-4). SHA-384 uses the 512 engine with its own IV and truncation.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint64_t K512[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL};

static const uint32_t IV256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
static const uint64_t IV384[8] = {
    0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL, 0x9159015a3070dd17ULL, 0x152fecd8f70e5939ULL,
    0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL, 0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL};
static const uint64_t IV512[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define ROR64(x, n) (((x) >> (n)) | ((x) << (64 - (n))))

static void compress256(uint32_t h[8], const uint8_t blk[64])
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
               (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) +
                      K256[i] + w[i];
        uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += k;
}

static void compress512(uint64_t h[8], const uint8_t blk[128])
{
    uint64_t w[80];
    for (int i = 0; i < 16; i++) {
        w[i] = 0;
        for (int j = 0; j < 8; j++)
            w[i] = w[i] << 8 | blk[8 * i + j];
    }
    for (int i = 16; i < 80; i++) {
        uint64_t s0 = ROR64(w[i - 15], 1) ^ ROR64(w[i - 15], 8) ^ (w[i - 15] >> 7);
        uint64_t s1 = ROR64(w[i - 2], 19) ^ ROR64(w[i - 2], 61) ^ (w[i - 2] >> 6);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 80; i++) {
        uint64_t t1 = k + (ROR64(e, 14) ^ ROR64(e, 18) ^ ROR64(e, 41)) + ((e & f) ^ (~e & g)) +
                      K512[i] + w[i];
        uint64_t t2 = (ROR64(a, 28) ^ ROR64(a, 34) ^ ROR64(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += k;
}

/* Block size (64/128) and chaining-value size (32/64) of a hash; 0 if unknown. */
static size_t block_size(uint16_t hash)
{
    return hash == SIM_HASH_SHA256                                ? 64
           : (hash == SIM_HASH_SHA384 || hash == SIM_HASH_SHA512) ? 128
                                                                  : 0;
}

static size_t state_size(uint16_t hash)
{
    return hash == SIM_HASH_SHA256 ? 32 : block_size(hash) ? 64 : 0;
}

/* Absorb whole blocks (len a multiple of the block size) into the chaining value. */
static void absorb(uint16_t hash, uint32_t h32[8], uint64_t h64[8], const uint8_t *p, size_t len)
{
    size_t bs = block_size(hash);
    for (size_t off = 0; off + bs <= len; off += bs) {
        if (bs == 64)
            compress256(h32, p + off);
        else
            compress512(h64, p + off);
    }
}

static void load_state(uint16_t hash, const uint8_t *s, uint32_t h32[8], uint64_t h64[8])
{
    for (int i = 0; i < 8; i++) {
        if (hash == SIM_HASH_SHA256) {
            h32[i] = (uint32_t)s[4 * i] << 24 | (uint32_t)s[4 * i + 1] << 16 |
                     (uint32_t)s[4 * i + 2] << 8 | s[4 * i + 3];
        } else {
            h64[i] = 0;
            for (int j = 0; j < 8; j++)
                h64[i] = h64[i] << 8 | s[8 * i + j];
        }
    }
}

static void store_state(uint16_t hash, const uint32_t h32[8], const uint64_t h64[8], uint8_t *s)
{
    for (int i = 0; i < 8; i++) {
        if (hash == SIM_HASH_SHA256) {
            for (int j = 0; j < 4; j++)
                s[4 * i + j] = (uint8_t)(h32[i] >> (24 - 8 * j));
        } else {
            for (int j = 0; j < 8; j++)
                s[8 * i + j] = (uint8_t)(h64[i] >> (56 - 8 * j));
        }
    }
}

/*
 * Finish the hash: state is the chaining value after `done` bytes (a
 * multiple of the block size), `last` the remaining message bytes.
 */
int sim_sha_resume(uint16_t hash, const uint8_t *state, size_t state_len, uint64_t done,
                   const uint8_t *last, size_t last_len, uint8_t *out, size_t *out_len)
{
    size_t bs = block_size(hash);
    if (bs == 0 || state_len != state_size(hash) || done % bs != 0 || done > (UINT64_MAX >> 4) ||
        last_len > 4 * bs)
        return -1;
    uint32_t h32[8];
    uint64_t h64[8];
    uint8_t tail[4 * 128 + 2 * 128];
    load_state(hash, state, h32, h64);
    size_t full = last_len - last_len % bs;
    absorb(hash, h32, h64, last, full);
    /* padding: 80, zeros, then the bit length (64-bit for SHA-256, 128-bit for SHA-512) */
    size_t rem = last_len - full, lenfield = bs == 64 ? 8 : 16;
    size_t tl = rem + 1 + lenfield <= bs ? bs : 2 * bs;
    memset(tail, 0, tl);
    memcpy(tail, last + full, rem);
    tail[rem] = 0x80;
    uint64_t bits = (done + last_len) * 8;
    for (int i = 0; i < 8; i++)
        tail[tl - 1 - i] = (uint8_t)(bits >> (8 * i));
    absorb(hash, h32, h64, tail, tl);
    uint8_t full_out[64];
    store_state(hash, h32, h64, full_out);
    *out_len = sim_hash_len(hash);
    memcpy(out, full_out, *out_len);
    OPENSSL_cleanse(tail, sizeof tail);
    return 0;
}

/* Chaining value after hashing data (a multiple of the block size) from the IV. */
int sim_sha_midstate(uint16_t hash, const uint8_t *data, size_t len, uint8_t *state,
                     size_t *state_len)
{
    size_t bs = block_size(hash);
    if (bs == 0 || len % bs != 0)
        return -1;
    uint32_t h32[8];
    uint64_t h64[8];
    memcpy(h32, IV256, sizeof h32);
    memcpy(h64, hash == SIM_HASH_SHA384 ? IV384 : IV512, sizeof h64);
    absorb(hash, h32, h64, data, len);
    store_state(hash, h32, h64, state);
    *state_len = state_size(hash);
    return 0;
}
