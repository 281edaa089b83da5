/* The SHA extensions through the <immintrin.h> intrinsics: SHA-1 and
 * SHA-256 block functions built on SHA1RNDS4/SHA1NEXTE/SHA1MSG1/SHA1MSG2
 * and SHA256RNDS2/SHA256MSG1/SHA256MSG2, checked against plain C versions
 * of FIPS 180-4 on random messages and on the "abc" example. */
#include "check.h"

#include <immintrin.h>

#define TARGET __attribute__((target("sha,sse4.1,ssse3")))

static uint32_t rotl(uint32_t x, int n) { return x << n | x >> (32 - n); }
static uint32_t rotr(uint32_t x, int n) { return x >> n | x << (32 - n); }

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* SHA-256's K: the first 32 fractional bits of the cube roots of the first
 * 64 primes, by integer bisection on x^3 <= p * 2^96. */
static uint32_t K256[64];

static void init_k256(void)
{
    int n = 0;
    for (uint64_t p = 2; n < 64; p++) {
        int prime = 1;
        for (uint64_t d = 2; d * d <= p; d++)
            prime &= p % d != 0;
        if (!prime)
            continue;
        unsigned __int128 target = (unsigned __int128)p << 96, lo = 0, hi = (unsigned __int128)1 << 40;
        while (lo + 1 < hi) {
            unsigned __int128 mid = (lo + hi) / 2;
            if (mid * mid * mid <= target)
                lo = mid;
            else
                hi = mid;
        }
        K256[n++] = (uint32_t)lo;
    }
}

static const uint32_t H256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
static const uint32_t H1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

/* --- Plain C block functions (FIPS 180-4). --- */

static void sha256_block_c(uint32_t h[8], const uint8_t *blk)
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = be32(blk + 4 * t);
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                      K256[t] + w[t];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

static void sha1_block_c(uint32_t h[5], const uint8_t *blk)
{
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = be32(blk + 4 * t);
    for (int t = 16; t < 80; t++)
        w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20)
            f = (b & c) ^ (~b & d), k = 0x5a827999;
        else if (t < 40)
            f = b ^ c ^ d, k = 0x6ed9eba1;
        else if (t < 60)
            f = (b & c) ^ (b & d) ^ (c & d), k = 0x8f1bbcdc;
        else
            f = b ^ c ^ d, k = 0xca62c1d6;
        uint32_t tmp = rotl(a, 5) + f + e + k + w[t];
        e = d, d = c, c = rotl(b, 30), b = a, a = tmp;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

/* --- The same with the SHA extensions. --- */

TARGET static void sha256_block_ni(uint32_t h[8], const uint8_t *blk)
{
    const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    __m128i m[16];
    for (int g = 0; g < 4; g++)
        m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blk + 16 * g)), bswap);
    for (int g = 4; g < 16; g++) {
        __m128i t = _mm_sha256msg1_epu32(m[g - 4], m[g - 3]);
        t = _mm_add_epi32(t, _mm_alignr_epi8(m[g - 1], m[g - 2], 4));
        m[g] = _mm_sha256msg2_epu32(t, m[g - 1]);
    }
    __m128i abef = _mm_set_epi32((int)h[0], (int)h[1], (int)h[4], (int)h[5]);
    __m128i cdgh = _mm_set_epi32((int)h[2], (int)h[3], (int)h[6], (int)h[7]);
    __m128i abef0 = abef, cdgh0 = cdgh;
    for (int g = 0; g < 16; g++) {
        __m128i wk = _mm_add_epi32(m[g], _mm_loadu_si128((const __m128i *)&K256[4 * g]));
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
    h[0] = (uint32_t)_mm_extract_epi32(abef, 3), h[1] = (uint32_t)_mm_extract_epi32(abef, 2);
    h[4] = (uint32_t)_mm_extract_epi32(abef, 1), h[5] = (uint32_t)_mm_extract_epi32(abef, 0);
    h[2] = (uint32_t)_mm_extract_epi32(cdgh, 3), h[3] = (uint32_t)_mm_extract_epi32(cdgh, 2);
    h[6] = (uint32_t)_mm_extract_epi32(cdgh, 1), h[7] = (uint32_t)_mm_extract_epi32(cdgh, 0);
}

TARGET static void sha1_block_ni(uint32_t h[5], const uint8_t *blk)
{
    const __m128i reverse = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m128i m[20];
    for (int g = 0; g < 4; g++)
        m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blk + 16 * g)), reverse);
    for (int g = 4; g < 20; g++) {
        __m128i t = _mm_xor_si128(_mm_sha1msg1_epu32(m[g - 4], m[g - 3]), m[g - 2]);
        m[g] = _mm_sha1msg2_epu32(t, m[g - 1]);
    }
    __m128i abcd = _mm_set_epi32((int)h[0], (int)h[1], (int)h[2], (int)h[3]);
    __m128i e = _mm_set_epi32((int)h[4], 0, 0, 0);
    __m128i abcd0 = abcd, prev = abcd;
    for (int g = 0; g < 20; g++) {
        __m128i ew = g == 0 ? _mm_add_epi32(e, m[0]) : _mm_sha1nexte_epu32(prev, m[g]);
        prev = abcd;
        switch (g / 5) {
        case 0: abcd = _mm_sha1rnds4_epu32(abcd, ew, 0); break;
        case 1: abcd = _mm_sha1rnds4_epu32(abcd, ew, 1); break;
        case 2: abcd = _mm_sha1rnds4_epu32(abcd, ew, 2); break;
        default: abcd = _mm_sha1rnds4_epu32(abcd, ew, 3); break;
        }
    }
    e = _mm_sha1nexte_epu32(prev, _mm_setzero_si128());
    abcd = _mm_add_epi32(abcd, abcd0);
    h[0] = (uint32_t)_mm_extract_epi32(abcd, 3), h[1] = (uint32_t)_mm_extract_epi32(abcd, 2);
    h[2] = (uint32_t)_mm_extract_epi32(abcd, 1), h[3] = (uint32_t)_mm_extract_epi32(abcd, 0);
    h[4] += (uint32_t)_mm_extract_epi32(e, 3);
}

/* Pads `msg` and runs `block` over it. */
static void digest(const uint8_t *msg, size_t len, uint32_t *h, int words, const uint32_t *init,
                   void (*block)(uint32_t *, const uint8_t *))
{
    uint8_t buf[256 + 128];
    size_t total = (len + 9 + 63) / 64 * 64;
    memcpy(buf, msg, len);
    memset(buf + len, 0, total - len);
    buf[len] = 0x80;
    for (int i = 0; i < 8; i++)
        buf[total - 1 - i] = (uint8_t)((uint64_t)len * 8 >> (8 * i));
    memcpy(h, init, 4 * words);
    for (size_t off = 0; off < total; off += 64)
        block(h, buf + off);
}

int main(void)
{
    init_k256();
    CHECK_EQ(K256[0], 0x428a2f98);
    CHECK_EQ(K256[63], 0xc67178f2);
    uint32_t a[8], b[8];
    const uint8_t *abc = (const uint8_t *)"abc";
    digest(abc, 3, a, 8, H256, sha256_block_ni);
    CHECK_EQ(a[0], 0xba7816bf);
    CHECK_EQ(a[7], 0xf20015ad);
    digest(abc, 3, a, 5, H1, sha1_block_ni);
    CHECK_EQ(a[0], 0xa9993e36);
    CHECK_EQ(a[4], 0x9cd0d89d);
    static uint8_t msg[256];
    for (size_t len = 0; len <= sizeof msg; len += 1 + len / 8) {
        for (size_t i = 0; i < len; i++)
            msg[i] = (uint8_t)lcg();
        digest(msg, len, a, 8, H256, sha256_block_ni);
        digest(msg, len, b, 8, H256, sha256_block_c);
        CHECK(memcmp(a, b, 32) == 0);
        hash_bytes(a, 32);
        digest(msg, len, a, 5, H1, sha1_block_ni);
        digest(msg, len, b, 5, H1, sha1_block_c);
        CHECK(memcmp(a, b, 20) == 0);
        hash_bytes(a, 20);
    }
    return check_done("sha_ni");
}
