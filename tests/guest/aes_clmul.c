/* AES-NI and PCLMULQDQ through the <wmmintrin.h> intrinsics: AES-128 and
 * AES-256 key expansion (AESKEYGENASSIST), encryption and the equivalent
 * inverse cipher (AESIMC, AESDEC*) checked on the FIPS-197 appendix C
 * vectors, a CTR-mode stream over a buffer, and carry-less products for
 * every immediate against a bitwise reference. */
#include "check.h"

#include <wmmintrin.h>
#include <smmintrin.h>

#define TARGET __attribute__((target("aes,pclmul,sse4.1")))

typedef struct {
    __m128i k[15];
    int rounds;
} schedule;

TARGET static __m128i expand_step(__m128i key, __m128i assist)
{
    assist = _mm_shuffle_epi32(assist, 0xff);
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, assist);
}

/* The odd steps of the AES-256 schedule: SubWord without RotWord or RCON. */
TARGET static __m128i expand_odd(__m128i prev_odd, __m128i even)
{
    __m128i t = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(even, 0), 0xaa);
    __m128i k = prev_odd;
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, t);
}

#define ASSIST(k, r) _mm_aeskeygenassist_si128(k, r)

TARGET static void expand128(const uint8_t key[16], schedule *s)
{
    s->rounds = 10;
    s->k[0] = _mm_loadu_si128((const __m128i *)key);
    s->k[1] = expand_step(s->k[0], ASSIST(s->k[0], 0x01));
    s->k[2] = expand_step(s->k[1], ASSIST(s->k[1], 0x02));
    s->k[3] = expand_step(s->k[2], ASSIST(s->k[2], 0x04));
    s->k[4] = expand_step(s->k[3], ASSIST(s->k[3], 0x08));
    s->k[5] = expand_step(s->k[4], ASSIST(s->k[4], 0x10));
    s->k[6] = expand_step(s->k[5], ASSIST(s->k[5], 0x20));
    s->k[7] = expand_step(s->k[6], ASSIST(s->k[6], 0x40));
    s->k[8] = expand_step(s->k[7], ASSIST(s->k[7], 0x80));
    s->k[9] = expand_step(s->k[8], ASSIST(s->k[8], 0x1b));
    s->k[10] = expand_step(s->k[9], ASSIST(s->k[9], 0x36));
}

TARGET static void expand256(const uint8_t key[32], schedule *s)
{
    s->rounds = 14;
    s->k[0] = _mm_loadu_si128((const __m128i *)key);
    s->k[1] = _mm_loadu_si128((const __m128i *)(key + 16));
    s->k[2] = expand_step(s->k[0], ASSIST(s->k[1], 0x01));
    s->k[3] = expand_odd(s->k[1], s->k[2]);
    s->k[4] = expand_step(s->k[2], ASSIST(s->k[3], 0x02));
    s->k[5] = expand_odd(s->k[3], s->k[4]);
    s->k[6] = expand_step(s->k[4], ASSIST(s->k[5], 0x04));
    s->k[7] = expand_odd(s->k[5], s->k[6]);
    s->k[8] = expand_step(s->k[6], ASSIST(s->k[7], 0x08));
    s->k[9] = expand_odd(s->k[7], s->k[8]);
    s->k[10] = expand_step(s->k[8], ASSIST(s->k[9], 0x10));
    s->k[11] = expand_odd(s->k[9], s->k[10]);
    s->k[12] = expand_step(s->k[10], ASSIST(s->k[11], 0x20));
    s->k[13] = expand_odd(s->k[11], s->k[12]);
    s->k[14] = expand_step(s->k[12], ASSIST(s->k[13], 0x40));
}

TARGET static __m128i encrypt(const schedule *s, __m128i b)
{
    b = _mm_xor_si128(b, s->k[0]);
    for (int r = 1; r < s->rounds; r++)
        b = _mm_aesenc_si128(b, s->k[r]);
    return _mm_aesenclast_si128(b, s->k[s->rounds]);
}

TARGET static __m128i decrypt(const schedule *s, __m128i b)
{
    b = _mm_xor_si128(b, s->k[s->rounds]);
    for (int r = s->rounds - 1; r > 0; r--)
        b = _mm_aesdec_si128(b, _mm_aesimc_si128(s->k[r]));
    return _mm_aesdeclast_si128(b, s->k[0]);
}

static int equal(__m128i v, const uint8_t want[16])
{
    uint8_t b[16];
    _mm_storeu_si128((__m128i *)b, v);
    hash_bytes(b, 16);
    return memcmp(b, want, 16) == 0;
}

TARGET static void fips197(void)
{
    uint8_t key[32], pt[16];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 16; i++)
        pt[i] = (uint8_t)(i * 0x11);
    static const uint8_t ct128[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                      0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
    static const uint8_t ct256[16] = {0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf,
                                      0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49, 0x60, 0x89};
    schedule s;
    __m128i p = _mm_loadu_si128((const __m128i *)pt);
    expand128(key, &s);
    __m128i c = encrypt(&s, p);
    CHECK(equal(c, ct128));
    CHECK(equal(decrypt(&s, c), pt));
    expand256(key, &s);
    c = encrypt(&s, p);
    CHECK(equal(c, ct256));
    CHECK(equal(decrypt(&s, c), pt));
}

/* CTR mode over a buffer: decrypting (the same operation) restores it. */
TARGET static void ctr(void)
{
    static uint8_t buf[1024], orig[1024];
    uint8_t key[16];
    for (unsigned i = 0; i < sizeof buf; i++)
        orig[i] = buf[i] = (uint8_t)lcg();
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)lcg();
    schedule s;
    expand128(key, &s);
    for (int pass = 0; pass < 2; pass++) {
        __m128i counter = _mm_set_epi64x(0x0123456789abcdefLL, 0);
        for (unsigned i = 0; i < sizeof buf; i += 16) {
            __m128i ks = encrypt(&s, counter);
            __m128i d = _mm_loadu_si128((const __m128i *)(buf + i));
            _mm_storeu_si128((__m128i *)(buf + i), _mm_xor_si128(d, ks));
            counter = _mm_add_epi64(counter, _mm_set_epi64x(0, 1));
        }
        if (pass == 0) {
            CHECK(memcmp(buf, orig, sizeof buf) != 0);
            hash_bytes(buf, sizeof buf);
        }
    }
    CHECK(memcmp(buf, orig, sizeof buf) == 0);
}

static void clmul_ref(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    *lo = *hi = 0;
    for (int i = 0; i < 64; i++)
        if (b >> i & 1) {
            *lo ^= a << i;
            if (i)
                *hi ^= a >> (64 - i);
        }
}

#define CLMUL_CASE(imm)                                                                  \
    do {                                                                                 \
        __m128i r = _mm_clmulepi64_si128(x, y, imm);                                     \
        uint64_t lo, hi;                                                                 \
        clmul_ref(q[(imm) & 1], q[2 + ((imm) >> 4 & 1)], &lo, &hi);                       \
        CHECK_EQ((uint64_t)_mm_extract_epi64(r, 0), lo);                                 \
        CHECK_EQ((uint64_t)_mm_extract_epi64(r, 1), hi);                                 \
        hash_u64(lo ^ hi);                                                               \
    } while (0)

TARGET static void clmul(void)
{
    for (int n = 0; n < 500; n++) {
        uint64_t q[4];
        for (int i = 0; i < 4; i++)
            q[i] = (uint64_t)lcg() << 32 | lcg();
        if (n % 7 == 0)
            q[n % 4] = ~0ULL;
        __m128i x = _mm_set_epi64x((long long)q[1], (long long)q[0]);
        __m128i y = _mm_set_epi64x((long long)q[3], (long long)q[2]);
        CLMUL_CASE(0x00);
        CLMUL_CASE(0x01);
        CLMUL_CASE(0x10);
        CLMUL_CASE(0x11);
    }
}

int main(void)
{
    fips197();
    ctr();
    clmul();
    return check_done("aes_clmul");
}
