/* BMI1, BMI2, ADX and MOVBE: each instruction (inline asm, 32- and 64-bit,
 * with the flags the SDM defines) against scalar reference code, then the
 * same instructions as gcc emits them for code compiled for BMI2/ADX/MOVBE:
 * a multi-precision multiply with MULX/ADCX/ADOX, bit scatter and gather,
 * and big-endian loads. */
#include "check.h"

#include <immintrin.h>

typedef uint64_t u64;

static u64 edgy(void)
{
    uint32_t r = lcg();
    switch (r % 6) {
    case 0: return 0;
    case 1: return ~0ULL << (lcg() % 64);
    case 2: return 1ULL << (lcg() % 64);
    case 3: return lcg() % 300;
    default: return (u64)lcg() << 32 | lcg();
    }
}

/* Intel `insn d, x, y` (AT&T `insn y, x, d`) with RFLAGS from `f` on entry;
 * `f` gets the new RFLAGS. */
#define OP3(insn, D, X, Y, F)                                                         \
    __asm__(FLAGS_IN insn " %[y], %[x], %[d]" FLAGS_OUT                               \
            : [d] "=&r"(D), [fout] "=r"(F)                                            \
            : [x] "r"(X), [y] "r"(Y), [fin] "r"(F)                                    \
            : "cc")
/* Intel `insn d, x` with flags as for OP3. */
#define OP2(insn, D, X, F)                                                            \
    __asm__(FLAGS_IN insn " %[x], %[d]" FLAGS_OUT                                     \
            : [d] "=&r"(D), [fout] "=r"(F)                                            \
            : [x] "r"(X), [fin] "r"(F)                                                \
            : "cc")

static void result(const char *what, u64 a, u64 b, u64 got, u64 want)
{
    check_count++;
    hash_u64(got);
    if (got != want) {
        printf("FAIL %s(%#llx, %#llx) = %#llx, want %#llx\n", what, (unsigned long long)a,
               (unsigned long long)b, (unsigned long long)got, (unsigned long long)want);
        check_failures++;
    }
}

static u64 szf(int bits, u64 r)
{
    u64 m = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    return ((r & m) == 0 ? F_ZF : 0) | ((r >> (bits - 1)) & 1 ? F_SF : 0);
}

static void bmi1(void)
{
    for (int n = 0; n < 2000; n++) {
        u64 a = edgy(), b = edgy(), d, f, in = lcg() & F_ARITH;
        uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b, d32;
        /* ANDN: SF ZF, CF = OF = 0. */
        f = in;
        OP3("andn", d, a, b, f);
        result("andn", a, b, d, ~a & b);
        result("andn flags", a, b, f & (F_SF | F_ZF | F_CF | F_OF), szf(64, ~a & b));
        f = in;
        OP3("andnl", d32, a32, b32, f);
        result("andn32", a, b, d32, ~a32 & b32);
        result("andn32 flags", a, b, f & (F_SF | F_ZF | F_CF | F_OF), szf(32, ~a32 & b32));
        /* BEXTR: control in the second source (AT&T: first operand). */
        u64 ctl = n % 3 ? (lcg() % 72) << 8 | lcg() % 72 : b;
        unsigned start = ctl & 0xff, len = (ctl >> 8) & 0xff;
        u64 want = start >= 64 ? 0 : a >> start;
        if (len < 64)
            want &= (1ULL << len) - 1;
        f = in;
        OP3("bextr", d, a, ctl, f);
        result("bextr", a, ctl, d, want);
        result("bextr zf", a, ctl, f & (F_ZF | F_CF | F_OF), want ? 0 : F_ZF);
        want = start >= 32 ? 0 : a32 >> start;
        if (len < 32)
            want &= (1ULL << len) - 1;
        f = in;
        OP3("bextrl", d32, a32, (uint32_t)ctl, f);
        result("bextr32", a, ctl, d32, want);
        /* BLSI, BLSMSK, BLSR. */
        f = in;
        OP2("blsi", d, a, f);
        result("blsi", a, 0, d, a & -a);
        result("blsi flags", a, 0, f & (F_SF | F_ZF | F_CF | F_OF), szf(64, a & -a) | (a ? F_CF : 0));
        f = in;
        OP2("blsmsk", d, a, f);
        result("blsmsk", a, 0, d, a ^ (a - 1));
        result("blsmsk flags", a, 0, f & (F_SF | F_ZF | F_CF | F_OF),
               szf(64, a ^ (a - 1)) | (a ? 0 : F_CF));
        f = in;
        OP2("blsrl", d32, a32, f);
        result("blsr32", a, 0, d32, a32 & (a32 - 1));
        result("blsr32 flags", a, 0, f & (F_SF | F_ZF | F_CF | F_OF),
               szf(32, a32 & (a32 - 1)) | (a32 ? 0 : F_CF));
        /* TZCNT: CF = source zero, ZF = result zero. */
        f = in;
        OP2("tzcnt", d, a, f);
        result("tzcnt", a, 0, d, a ? (u64)__builtin_ctzll(a) : 64);
        result("tzcnt flags", a, 0, f & (F_CF | F_ZF), (a ? 0 : F_CF) | ((a & 1) ? F_ZF : 0));
    }
}

static void bmi2(void)
{
    for (int n = 0; n < 2000; n++) {
        u64 a = edgy(), b = edgy(), d, f, in = lcg() & F_ARITH;
        uint32_t a32 = (uint32_t)a, d32;
        /* BZHI: index in the second source; CF when it is past the operand. */
        u64 idx = n % 3 ? lcg() % 80 : b;
        unsigned k = idx & 0xff;
        u64 want = k < 64 ? a & ((1ULL << k) - 1) : a;
        f = in;
        OP3("bzhi", d, a, idx, f);
        result("bzhi", a, idx, d, want);
        result("bzhi flags", a, idx, f & (F_SF | F_ZF | F_CF | F_OF), szf(64, want) | (k > 63 ? F_CF : 0));
        want = k < 32 ? a32 & ((1ULL << k) - 1) : a32;
        f = in;
        OP3("bzhil", d32, a32, (uint32_t)idx, f);
        result("bzhi32", a, idx, d32, want);
        result("bzhi32 flags", a, idx, f & (F_SF | F_ZF | F_CF | F_OF), szf(32, want) | (k > 31 ? F_CF : 0));
        /* Shifts by a register, counts masked; flags untouched. */
        unsigned c = b & 63, c32 = b & 31;
        f = in;
        OP3("shlx", d, a, b, f);
        result("shlx", a, b, d, a << c);
        result("shlx flags", a, b, f & F_ARITH, in);
        OP3("shrx", d, a, b, f);
        result("shrx", a, b, d, a >> c);
        OP3("sarx", d, a, b, f);
        result("sarx", a, b, d, (u64)((int64_t)a >> c));
        OP3("sarxl", d32, a32, (uint32_t)b, f);
        result("sarx32", a, b, d32, (uint32_t)((int32_t)a32 >> c32));
        OP3("shrxl", d32, a32, (uint32_t)b, f);
        result("shrx32", a, b, d32, a32 >> c32);
        result("shift flags", a, b, f & F_ARITH, in);
        /* RORX. */
        __asm__("rorx $13, %1, %0" : "=r"(d) : "r"(a));
        result("rorx", a, 13, d, a >> 13 | a << 51);
        __asm__("rorxl $31, %1, %0" : "=r"(d32) : "r"(a32));
        result("rorx32", a, 31, d32, a32 >> 31 | a32 << 1);
        /* MULX: rdx * source, flags untouched. */
        u64 lo, hi;
        f = in;
        __asm__(FLAGS_IN "mulx %[b], %[lo], %[hi]" FLAGS_OUT
                : [lo] "=&r"(lo), [hi] "=&r"(hi), [fout] "=r"(f)
                : "d"(a), [b] "r"(b), [fin] "r"(f)
                : "cc");
        unsigned __int128 p = (unsigned __int128)a * b;
        result("mulx lo", a, b, lo, (u64)p);
        result("mulx hi", a, b, hi, (u64)(p >> 64));
        result("mulx flags", a, b, f & F_ARITH, in);
        uint32_t hi32;
        __asm__("mulxl %[b], %[lo], %[hi]"
                : [lo] "=&r"(d32), [hi] "=&r"(hi32)
                : "d"(a32), [b] "r"((uint32_t)b));
        result("mulx32", a, b, (u64)hi32 << 32 | d32, (u64)a32 * (uint32_t)b);
        /* PDEP/PEXT round trip and reference. */
        u64 dep, ext, wd = 0, we = 0;
        __asm__("pdep %2, %1, %0" : "=r"(dep) : "r"(a), "r"(b));
        __asm__("pext %2, %1, %0" : "=r"(ext) : "r"(a), "r"(b));
        for (int i = 0, j = 0; i < 64; i++)
            if (b >> i & 1) {
                wd |= (a >> j & 1) << i;
                we |= (a >> i & 1) << j;
                j++;
            }
        result("pdep", a, b, dep, wd);
        result("pext", a, b, ext, we);
    }
}

static void adx(void)
{
    for (int n = 0; n < 2000; n++) {
        u64 a = edgy(), b = edgy(), c = edgy(), d = edgy(), f = lcg() & F_ARITH, in = f;
        u64 ra = a, rc = c;
        __asm__(FLAGS_IN "adcx %[b], %[a]\n\tadox %[d], %[c]" FLAGS_OUT
                : [a] "+r"(ra), [c] "+r"(rc), [fout] "=r"(f)
                : [b] "r"(b), [d] "r"(d), [fin] "r"(f)
                : "cc");
        unsigned __int128 s1 = (unsigned __int128)a + b + (in & F_CF ? 1 : 0);
        unsigned __int128 s2 = (unsigned __int128)c + d + (in & F_OF ? 1 : 0);
        result("adcx", a, b, ra, (u64)s1);
        result("adox", c, d, rc, (u64)s2);
        u64 wf = (in & ~(F_CF | F_OF)) | ((s1 >> 64) ? F_CF : 0) | ((s2 >> 64) ? F_OF : 0);
        result("adx flags", a, c, f & F_ARITH, wf);
    }
}

static void movbe(void)
{
    for (int n = 0; n < 500; n++) {
        u64 v = edgy(), m = edgy(), r = ~0ULL;
        uint32_t r32, v32 = (uint32_t)v;
        uint16_t r16 = 0x5555, v16 = (uint16_t)v;
        __asm__("movbe %1, %0" : "=r"(r) : "m"(v));
        result("movbe64", v, 0, r, __builtin_bswap64(v));
        __asm__("movbe %1, %0" : "=r"(r32) : "m"(v32));
        result("movbe32", v, 0, r32, __builtin_bswap32((uint32_t)v));
        __asm__("movbe %1, %0" : "+r"(r16) : "m"(v16));
        result("movbe16", v, 0, r16, __builtin_bswap16((uint16_t)v));
        __asm__("movbe %1, %0" : "=m"(m) : "r"(v));
        result("movbe store", v, 0, m, __builtin_bswap64(v));
    }
}

/* What gcc makes of code compiled for these extensions. */
__attribute__((target("bmi,bmi2,adx,movbe"), noinline))
static void mul_mp(const u64 *a, const u64 *b, u64 *r, int n)
{
    for (int i = 0; i < 2 * n; i++)
        r[i] = 0;
    for (int i = 0; i < n; i++) {
        unsigned long long carry = 0;
        for (int j = 0; j < n; j++) {
            unsigned long long hi, lo = _mulx_u64(a[i], b[j], &hi);
            unsigned char c1 = _addcarryx_u64(0, lo, carry, &lo);
            unsigned char c2 = _addcarryx_u64(0, r[i + j], lo, (unsigned long long *)&r[i + j]);
            carry = hi + c1 + c2;
        }
        r[i + n] = carry;
    }
}

__attribute__((target("bmi,bmi2,movbe"), noinline))
static u64 mix(const uint8_t *p, u64 x, unsigned s)
{
    u64 be;
    memcpy(&be, p, 8);
    be = __builtin_bswap64(be);
    return _pdep_u64(x, 0x5555555555555555ULL) ^ _pext_u64(be, 0xff00ff00ff00ff00ULL) ^
           (x << (s & 63)) ^ (be >> (s & 63)) ^ _blsr_u64(x) ^ _andn_u64(x, be) ^
           _bzhi_u64(be, s & 0xff) ^ _tzcnt_u64(x);
}

static void compiled(void)
{
    enum { N = 8 };
    u64 a[N], b[N], r[2 * N];
    for (int t = 0; t < 50; t++) {
        for (int i = 0; i < N; i++) {
            a[i] = edgy();
            b[i] = edgy();
        }
        mul_mp(a, b, r, N);
        /* Check against the schoolbook product with 128-bit arithmetic. */
        u64 w[2 * N] = {0};
        for (int i = 0; i < N; i++) {
            unsigned __int128 carry = 0;
            for (int j = 0; j < N; j++) {
                unsigned __int128 p = (unsigned __int128)a[i] * b[j] + w[i + j] + carry;
                w[i + j] = (u64)p;
                carry = p >> 64;
            }
            w[i + N] = (u64)carry;
        }
        CHECK(memcmp(r, w, sizeof r) == 0);
        hash_bytes(r, sizeof r);
        uint8_t bytes[8];
        u64 x = edgy();
        memcpy(bytes, &x, 8);
        hash_u64(mix(bytes, edgy(), lcg()));
    }
}

int main(void)
{
    bmi1();
    bmi2();
    adx();
    movbe();
    compiled();
    return check_done("bmi");
}
