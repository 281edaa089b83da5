/* SSE/SSE2 intrinsics from <emmintrin.h> in small algorithms, leaving gcc
 * to choose instruction forms (memory operands, register moves, spills):
 * byte sums, case mapping, saturating image arithmetic, 4x4 transposes,
 * dot products, min/max reductions, and a vectorised strlen and memchr
 * checked against scalar code. */
#include "check.h"

#include <emmintrin.h>
#include <stdlib.h>

static uint8_t buf[4096] __attribute__((aligned(16)));

static void fill(void)
{
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(lcg() >> 5);
}

static void out128(const char *what, __m128i v)
{
    uint64_t q[2];
    _mm_storeu_si128((__m128i *)q, v);
    printf("%s %016llx%016llx\n", what, (unsigned long long)q[1], (unsigned long long)q[0]);
    hash_u64(q[0]);
    hash_u64(q[1]);
}

/* Sum of all bytes with PSADBW against zero. */
static void byte_sums(void)
{
    for (unsigned len = 16; len <= sizeof buf; len *= 2) {
        __m128i acc = _mm_setzero_si128();
        for (unsigned i = 0; i < len; i += 16)
            acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_load_si128((const __m128i *)(buf + i)),
                                                  _mm_setzero_si128()));
        uint64_t sum = (uint64_t)_mm_cvtsi128_si64(acc) +
                       (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc));
        uint64_t want = 0;
        for (unsigned i = 0; i < len; i++)
            want += buf[i];
        CHECK_EQ(sum, want);
        hash_u64(sum);
    }
}

/* ASCII upper-casing with compares and masks, at unaligned offsets. */
static void upper_case(void)
{
    char s[80], t[80];
    for (int i = 0; i < 80; i++)
        s[i] = (char)(32 + lcg() % 95);
    for (int off = 0; off < 16; off++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + off));
        __m128i ge_a = _mm_cmpgt_epi8(v, _mm_set1_epi8('a' - 1));
        __m128i le_z = _mm_cmplt_epi8(v, _mm_set1_epi8('z' + 1));
        __m128i m = _mm_and_si128(ge_a, le_z);
        __m128i r = _mm_sub_epi8(v, _mm_and_si128(m, _mm_set1_epi8(32)));
        _mm_storeu_si128((__m128i *)(t + off), r);
        for (int i = 0; i < 16; i++) {
            char c = s[off + i];
            CHECK_EQ(t[off + i], c >= 'a' && c <= 'z' ? c - 32 : c);
        }
        out128("upper", r);
    }
}

/* Saturating blends of "pixels": 8-bit and 16-bit. */
static void saturation(void)
{
    for (int i = 0; i + 32 <= 512; i += 16) {
        __m128i a = _mm_load_si128((const __m128i *)(buf + i));
        __m128i b = _mm_load_si128((const __m128i *)(buf + i + 16));
        out128("adds_epu8", _mm_adds_epu8(a, b));
        out128("subs_epu8", _mm_subs_epu8(a, b));
        out128("adds_epi16", _mm_adds_epi16(a, b));
        out128("subs_epi16", _mm_subs_epi16(a, b));
        out128("avg_epu8", _mm_avg_epu8(a, b));
        out128("packus", _mm_packus_epi16(_mm_srai_epi16(a, 3), _mm_slli_epi16(b, 2)));
        out128("packs32", _mm_packs_epi32(_mm_madd_epi16(a, b), _mm_mullo_epi16(a, b)));
        out128("mulhi", _mm_mulhi_epu16(a, b));
        out128("mul_epu32", _mm_mul_epu32(a, b));
        out128("minmax", _mm_xor_si128(_mm_min_epu8(a, b), _mm_max_epi16(a, b)));
        out128("shuffle", _mm_shufflehi_epi16(_mm_shufflelo_epi16(_mm_shuffle_epi32(a, 0x4e),
                                                                  0x1b), 0xb1));
        out128("shifts", _mm_or_si128(_mm_srli_si128(a, 5), _mm_sll_epi32(b, _mm_cvtsi32_si128(i & 31))));
        out128("unpack", _mm_unpacklo_epi8(_mm_unpackhi_epi16(a, b), a));
        out128("insert", _mm_insert_epi16(a, _mm_extract_epi16(b, 5), 2));
        printf("movemask %04x\n", _mm_movemask_epi8(_mm_cmpeq_epi8(a, b)) ^ _mm_movemask_epi8(a));
    }
}

/* 4x4 float transposes and double dot products. */
static void floats(void)
{
    float m[16] __attribute__((aligned(16)));
    for (int i = 0; i < 16; i++)
        m[i] = (float)(i * 1.25 - 3);
    __m128 r0 = _mm_load_ps(m), r1 = _mm_load_ps(m + 4), r2 = _mm_load_ps(m + 8),
           r3 = _mm_load_ps(m + 12);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_store_ps(m, r0);
    _mm_store_ps(m + 4, r1);
    _mm_store_ps(m + 8, r2);
    _mm_store_ps(m + 12, r3);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            CHECK(m[i * 4 + j] == (float)((j * 4 + i) * 1.25 - 3));
    hash_bytes(m, sizeof m);

    double x[64] __attribute__((aligned(16))), y[64] __attribute__((aligned(16)));
    for (int i = 0; i < 64; i++) {
        x[i] = 1.0 / (i + 1);
        y[i] = (i % 7) - 3.5;
    }
    __m128d acc = _mm_setzero_pd(), lo = _mm_set1_pd(1e300), hi = _mm_set1_pd(-1e300);
    for (int i = 0; i < 64; i += 2) {
        __m128d a = _mm_load_pd(x + i), b = _mm_load_pd(y + i);
        acc = _mm_add_pd(acc, _mm_mul_pd(a, b));
        lo = _mm_min_pd(lo, _mm_div_pd(b, a));
        hi = _mm_max_pd(hi, _mm_sqrt_pd(_mm_andnot_pd(_mm_set1_pd(-0.0), b)));
    }
    double r[2];
    _mm_storeu_pd(r, _mm_add_pd(acc, _mm_unpackhi_pd(acc, acc)));
    printf("dot %a\n", r[0]);
    _mm_storeu_pd(r, _mm_shuffle_pd(lo, hi, 1));
    printf("min/max %a %a\n", r[0], r[1]);
    __m128 f = _mm_cvtpd_ps(acc);
    __m128i n = _mm_cvttps_epi32(_mm_mul_ps(f, _mm_set1_ps(1000.0f)));
    out128("cvt", n);
    out128("cmp", _mm_castpd_si128(_mm_cmplt_pd(lo, hi)));
    printf("cmpsd %d %d\n", _mm_comilt_sd(lo, hi), _mm_ucomige_sd(lo, hi));
    hash_u64((uint64_t)_mm_cvtsd_si64(acc));
}

/* strlen and memchr with PCMPEQB/PMOVMSKB, aligned loads only. */
static size_t vec_strlen(const char *s)
{
    const __m128i zero = _mm_setzero_si128();
    uintptr_t a = (uintptr_t)s & ~(uintptr_t)15;
    int mask = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_load_si128((const __m128i *)a), zero));
    mask >>= (uintptr_t)s & 15;
    if (mask)
        return (size_t)__builtin_ctz(mask);
    for (;;) {
        a += 16;
        mask = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_load_si128((const __m128i *)a), zero));
        if (mask)
            return a + (size_t)__builtin_ctz(mask) - (uintptr_t)s;
    }
}

static void strings(void)
{
    char s[300] __attribute__((aligned(16)));
    for (int len = 0; len < 260; len += 3) {
        for (int off = 0; off < 16; off += 5) {
            memset(s, 'x', sizeof s);
            s[off + len] = 0;
            CHECK_EQ(vec_strlen(s + off), len);
            CHECK_EQ(strlen(s + off), len);
        }
    }
}

int main(void)
{
    fill();
    byte_sums();
    upper_case();
    saturation();
    floats();
    strings();
    return check_done("sse_intrin");
}
