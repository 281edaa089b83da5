/* MMX: the MMX-register forms of the integer SIMD instructions (MMX, the
 * SSE/SSE2 additions, SSSE3) in register and memory forms against scalar
 * reference code; moves and conversions between MMX, XMM and general
 * registers; MASKMOVQ; and the x87 aliasing: MMi is physical register i,
 * an MMX instruction sets TOP to 0 and every tag valid and writes ones to
 * the exponent, EMMS empties the tags, and a pending x87 exception makes
 * the next MMX instruction raise #MF (SIGFPE). Inline asm throughout: gcc
 * compiles the <mmintrin.h> intrinsics to SSE code in 64-bit mode. */
#include "check.h"

#include <setjmp.h>
#include <signal.h>

typedef uint64_t u64;

static u64 mask_of(int bits) { return bits == 64 ? ~0ULL : (1ULL << bits) - 1; }
static u64 uget(u64 v, int bits, int i) { return (v >> (bits * i)) & mask_of(bits); }
static int64_t sget(u64 v, int bits, int i)
{
    return (int64_t)(v << (64 - bits * (i + 1))) >> (64 - bits);
}
static u64 put(u64 r, int bits, int i, u64 x)
{
    return (r & ~(mask_of(bits) << (bits * i))) | ((x & mask_of(bits)) << (bits * i));
}
static int64_t clamp(int64_t x, int64_t lo, int64_t hi) { return x < lo ? lo : x > hi ? hi : x; }

enum kind {
    ADD, SUB, ADDS, ADDUS, SUBS, SUBUS, MULL, MULH, MULHU, CMPEQ, CMPGT, AVG, MINU, MAXU, MINS,
    MAXS, ABS, SIGN, MULHRS, AND, ANDN, OR, XOR,
};

/* Element-wise reference for lanes of `bits` bits. */
static u64 lanewise(enum kind k, int bits, u64 a, u64 b)
{
    u64 r = 0;
    int64_t smin = -(1LL << (bits - 1)), smax = (1LL << (bits - 1)) - 1;
    for (int i = 0; i < 64 / bits; i++) {
        u64 ua = uget(a, bits, i), ub = uget(b, bits, i);
        int64_t sa = sget(a, bits, i), sb = sget(b, bits, i);
        u64 x;
        switch (k) {
        case ADD: x = ua + ub; break;
        case SUB: x = ua - ub; break;
        case ADDS: x = clamp(sa + sb, smin, smax); break;
        case ADDUS: x = ua + ub > mask_of(bits) ? mask_of(bits) : ua + ub; break;
        case SUBS: x = clamp(sa - sb, smin, smax); break;
        case SUBUS: x = ua > ub ? ua - ub : 0; break;
        case MULL: x = sa * sb; break;
        case MULH: x = (u64)((sa * sb) >> bits); break;
        case MULHU: x = (ua * ub) >> bits; break;
        case CMPEQ: x = ua == ub ? ~0ULL : 0; break;
        case CMPGT: x = sa > sb ? ~0ULL : 0; break;
        case AVG: x = (ua + ub + 1) >> 1; break;
        case MINU: x = ua < ub ? ua : ub; break;
        case MAXU: x = ua > ub ? ua : ub; break;
        case MINS: x = sa < sb ? sa : sb; break;
        case MAXS: x = sa > sb ? sa : sb; break;
        case ABS: x = sb < 0 ? -sb : sb; break;
        case SIGN: x = sb < 0 ? -sa : sb == 0 ? 0 : sa; break;
        case MULHRS: x = (((sa * sb) >> 14) + 1) >> 1; break;
        case AND: x = ua & ub; break;
        case ANDN: x = ~ua & ub; break;
        case OR: x = ua | ub; break;
        default: x = ua ^ ub; break;
        }
        r = put(r, bits, i, x);
    }
    return r;
}

/* Each instruction twice: mm0 op= mm1, and mm0 op= [memory]. */
#define DEF(name, insn)                                                                 \
    static u64 name##_rr(u64 a, u64 b)                                                  \
    {                                                                                   \
        u64 r;                                                                          \
        __asm__ volatile("movq %1, %%mm0\n\tmovq %2, %%mm1\n\t" insn " %%mm1, %%mm0\n\t" \
                         "movq %%mm0, %0\n\temms"                                       \
                         : "=r"(r) : "r"(a), "r"(b) : "mm0", "mm1");                      \
        return r;                                                                       \
    }                                                                                   \
    static u64 name##_rm(u64 a, u64 b)                                                  \
    {                                                                                   \
        u64 r;                                                                          \
        __asm__ volatile("movq %1, %%mm0\n\t" insn " %2, %%mm0\n\tmovq %%mm0, %0\n\temms" \
                         : "=r"(r) : "r"(a), "m"(b) : "mm0");                             \
        return r;                                                                       \
    }

DEF(paddb, "paddb") DEF(paddw, "paddw") DEF(paddd, "paddd") DEF(paddq, "paddq")
DEF(psubb, "psubb") DEF(psubw, "psubw") DEF(psubd, "psubd") DEF(psubq, "psubq")
DEF(paddsb, "paddsb") DEF(paddsw, "paddsw") DEF(paddusb, "paddusb") DEF(paddusw, "paddusw")
DEF(psubsb, "psubsb") DEF(psubsw, "psubsw") DEF(psubusb, "psubusb") DEF(psubusw, "psubusw")
DEF(pmullw, "pmullw") DEF(pmulhw, "pmulhw") DEF(pmulhuw, "pmulhuw")
DEF(pcmpeqb, "pcmpeqb") DEF(pcmpeqw, "pcmpeqw") DEF(pcmpeqd, "pcmpeqd")
DEF(pcmpgtb, "pcmpgtb") DEF(pcmpgtw, "pcmpgtw") DEF(pcmpgtd, "pcmpgtd")
DEF(pavgb, "pavgb") DEF(pavgw, "pavgw") DEF(pminub, "pminub") DEF(pmaxub, "pmaxub")
DEF(pminsw, "pminsw") DEF(pmaxsw, "pmaxsw")
DEF(pabsb, "pabsb") DEF(pabsw, "pabsw") DEF(pabsd, "pabsd")
DEF(psignb, "psignb") DEF(psignw, "psignw") DEF(psignd, "psignd") DEF(pmulhrsw, "pmulhrsw")
DEF(pand, "pand") DEF(pandn, "pandn") DEF(por, "por") DEF(pxor, "pxor")

static const struct lanewise_case {
    const char *name;
    u64 (*rr)(u64, u64), (*rm)(u64, u64);
    enum kind k;
    int bits;
} lanewise_cases[] = {
#define L(n, k, bits) {#n, n##_rr, n##_rm, k, bits}
    L(paddb, ADD, 8), L(paddw, ADD, 16), L(paddd, ADD, 32), L(paddq, ADD, 64),
    L(psubb, SUB, 8), L(psubw, SUB, 16), L(psubd, SUB, 32), L(psubq, SUB, 64),
    L(paddsb, ADDS, 8), L(paddsw, ADDS, 16), L(paddusb, ADDUS, 8), L(paddusw, ADDUS, 16),
    L(psubsb, SUBS, 8), L(psubsw, SUBS, 16), L(psubusb, SUBUS, 8), L(psubusw, SUBUS, 16),
    L(pmullw, MULL, 16), L(pmulhw, MULH, 16), L(pmulhuw, MULHU, 16),
    L(pcmpeqb, CMPEQ, 8), L(pcmpeqw, CMPEQ, 16), L(pcmpeqd, CMPEQ, 32),
    L(pcmpgtb, CMPGT, 8), L(pcmpgtw, CMPGT, 16), L(pcmpgtd, CMPGT, 32),
    L(pavgb, AVG, 8), L(pavgw, AVG, 16), L(pminub, MINU, 8), L(pmaxub, MAXU, 8),
    L(pminsw, MINS, 16), L(pmaxsw, MAXS, 16),
    L(pabsb, ABS, 8), L(pabsw, ABS, 16), L(pabsd, ABS, 32),
    L(psignb, SIGN, 8), L(psignw, SIGN, 16), L(psignd, SIGN, 32), L(pmulhrsw, MULHRS, 16),
    L(pand, AND, 64), L(pandn, ANDN, 64), L(por, OR, 64), L(pxor, XOR, 64),
#undef L
};

/* 64 bits of edge-case and random bytes. */
static u64 edgy(void)
{
    static const uint8_t edges[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x01, 0x81};
    u64 v = 0;
    for (int i = 0; i < 8; i++) {
        uint32_t r = lcg();
        v |= (u64)(r & 1 ? edges[(r >> 1) % 8] : (uint8_t)(r >> 8)) << (8 * i);
    }
    return v;
}

static void check_result(const char *what, u64 a, u64 b, u64 got, u64 want)
{
    check_count++;
    hash_u64(got);
    if (got != want) {
        printf("FAIL %s(%#llx, %#llx) = %#llx, want %#llx\n", what, (unsigned long long)a,
               (unsigned long long)b, (unsigned long long)got, (unsigned long long)want);
        check_failures++;
    }
}

static void test_lanewise(void)
{
    for (unsigned c = 0; c < sizeof lanewise_cases / sizeof lanewise_cases[0]; c++) {
        const struct lanewise_case *t = &lanewise_cases[c];
        for (int n = 0; n < 200; n++) {
            u64 a = edgy(), b = n % 5 == 0 ? a : edgy();
            u64 want = lanewise(t->k, t->bits, a, b);
            check_result(t->name, a, b, t->rr(a, b), want);
            check_result(t->name, a, b, t->rm(a, b), want);
        }
    }
}

DEF(pmuludq, "pmuludq") DEF(pmaddwd, "pmaddwd") DEF(psadbw, "psadbw")
DEF(packsswb, "packsswb") DEF(packssdw, "packssdw") DEF(packuswb, "packuswb")
DEF(punpcklbw, "punpcklbw") DEF(punpcklwd, "punpcklwd") DEF(punpckldq, "punpckldq")
DEF(punpckhbw, "punpckhbw") DEF(punpckhwd, "punpckhwd") DEF(punpckhdq, "punpckhdq")
DEF(pshufb, "pshufb") DEF(phaddw, "phaddw") DEF(phaddd, "phaddd") DEF(phaddsw, "phaddsw")
DEF(phsubw, "phsubw") DEF(phsubd, "phsubd") DEF(phsubsw, "phsubsw") DEF(pmaddubsw, "pmaddubsw")
DEF(psllw, "psllw") DEF(pslld, "pslld") DEF(psllq, "psllq") DEF(psrlw, "psrlw")
DEF(psrld, "psrld") DEF(psrlq, "psrlq") DEF(psraw, "psraw") DEF(psrad, "psrad")

enum other {
    PMULUDQ, PMADDWD, PSADBW, PACKSSWB, PACKSSDW, PACKUSWB, PUNPCKL, PUNPCKH, PSHUFB, PHADD,
    PHADDS, PHSUB, PHSUBS, PMADDUBSW, PSLL, PSRL, PSRA,
};

static u64 other_ref(enum other k, int bits, u64 a, u64 b)
{
    u64 r = 0;
    int n = 64 / bits;
    switch (k) {
    case PMULUDQ:
        return (a & 0xffffffff) * (b & 0xffffffff);
    case PMADDWD:
        for (int i = 0; i < 2; i++)
            r = put(r, 32, i, sget(a, 16, 2 * i) * sget(b, 16, 2 * i) +
                                  sget(a, 16, 2 * i + 1) * sget(b, 16, 2 * i + 1));
        return r;
    case PSADBW:
        for (int i = 0; i < 8; i++)
            r += uget(a, 8, i) > uget(b, 8, i) ? uget(a, 8, i) - uget(b, 8, i)
                                               : uget(b, 8, i) - uget(a, 8, i);
        return r;
    case PACKSSWB:
    case PACKSSDW:
    case PACKUSWB: {
        int64_t lo = k == PACKUSWB ? 0 : -(1LL << (bits / 2 - 1));
        int64_t hi = k == PACKUSWB ? 255 : (1LL << (bits / 2 - 1)) - 1;
        for (int i = 0; i < n; i++) {
            r = put(r, bits / 2, i, clamp(sget(a, bits, i), lo, hi));
            r = put(r, bits / 2, i + n, clamp(sget(b, bits, i), lo, hi));
        }
        return r;
    }
    case PUNPCKL:
    case PUNPCKH:
        for (int i = 0; i < n / 2; i++) {
            int j = k == PUNPCKL ? i : i + n / 2;
            r = put(r, bits, 2 * i, uget(a, bits, j));
            r = put(r, bits, 2 * i + 1, uget(b, bits, j));
        }
        return r;
    case PSHUFB:
        for (int i = 0; i < 8; i++)
            r = put(r, 8, i, uget(b, 8, i) & 0x80 ? 0 : uget(a, 8, uget(b, 8, i) & 7));
        return r;
    case PHADD:
    case PHADDS:
    case PHSUB:
    case PHSUBS:
        for (int i = 0; i < n; i++) {
            u64 v = i < n / 2 ? a : b;
            int j = 2 * (i % (n / 2));
            int64_t x = k == PHADD || k == PHADDS ? sget(v, bits, j) + sget(v, bits, j + 1)
                                                  : sget(v, bits, j) - sget(v, bits, j + 1);
            if (k == PHADDS || k == PHSUBS)
                x = clamp(x, -32768, 32767);
            r = put(r, bits, i, x);
        }
        return r;
    case PMADDUBSW:
        for (int i = 0; i < 4; i++)
            r = put(r, 16, i, clamp((int64_t)uget(a, 8, 2 * i) * sget(b, 8, 2 * i) +
                                       (int64_t)uget(a, 8, 2 * i + 1) * sget(b, 8, 2 * i + 1),
                                   -32768, 32767));
        return r;
    default:
        for (int i = 0; i < n; i++) {
            u64 x;
            if (k == PSRA)
                x = sget(a, bits, i) >> (b >= (u64)bits ? bits - 1 : b);
            else if (b >= (u64)bits)
                x = 0;
            else
                x = k == PSLL ? uget(a, bits, i) << b : uget(a, bits, i) >> b;
            r = put(r, bits, i, x);
        }
        return r;
    }
}

static const struct other_case {
    const char *name;
    u64 (*rr)(u64, u64), (*rm)(u64, u64);
    enum other k;
    int bits;
} other_cases[] = {
#define O(n, k, bits) {#n, n##_rr, n##_rm, k, bits}
    O(pmuludq, PMULUDQ, 64), O(pmaddwd, PMADDWD, 32), O(psadbw, PSADBW, 64),
    O(packsswb, PACKSSWB, 16), O(packssdw, PACKSSDW, 32), O(packuswb, PACKUSWB, 16),
    O(punpcklbw, PUNPCKL, 8), O(punpcklwd, PUNPCKL, 16), O(punpckldq, PUNPCKL, 32),
    O(punpckhbw, PUNPCKH, 8), O(punpckhwd, PUNPCKH, 16), O(punpckhdq, PUNPCKH, 32),
    O(pshufb, PSHUFB, 8), O(phaddw, PHADD, 16), O(phaddd, PHADD, 32), O(phaddsw, PHADDS, 16),
    O(phsubw, PHSUB, 16), O(phsubd, PHSUB, 32), O(phsubsw, PHSUBS, 16),
    O(pmaddubsw, PMADDUBSW, 16),
    O(psllw, PSLL, 16), O(pslld, PSLL, 32), O(psllq, PSLL, 64), O(psrlw, PSRL, 16),
    O(psrld, PSRL, 32), O(psrlq, PSRL, 64), O(psraw, PSRA, 16), O(psrad, PSRA, 32),
#undef O
};

static void test_other(void)
{
    for (unsigned c = 0; c < sizeof other_cases / sizeof other_cases[0]; c++) {
        const struct other_case *t = &other_cases[c];
        int shift = t->k == PSLL || t->k == PSRL || t->k == PSRA;
        for (int n = 0; n < 200; n++) {
            u64 a = edgy(), b = edgy();
            if (shift)
                b = n % 7 == 0 ? b : lcg() % 70;
            u64 want = other_ref(t->k, t->bits, a, b);
            check_result(t->name, a, b, t->rr(a, b), want);
            /* PUNPCKL reads 32 bits from memory: the rest of b must not matter. */
            check_result(t->name, a, b, t->rm(a, b), want);
        }
    }
}

#define SHIFT_IMM(insn, imm)                                                            \
    ({                                                                                  \
        u64 r_;                                                                         \
        __asm__ volatile("movq %1, %%mm2\n\t" insn " $" #imm ", %%mm2\n\tmovq %%mm2, %0\n\temms" \
                         : "=r"(r_) : "r"(a) : "mm2");                                    \
        r_;                                                                             \
    })

static void test_shift_imm(void)
{
    for (int n = 0; n < 100; n++) {
        u64 a = edgy();
        check_result("psllw $3", a, 3, SHIFT_IMM("psllw", 3), other_ref(PSLL, 16, a, 3));
        check_result("psllw $16", a, 16, SHIFT_IMM("psllw", 16), 0);
        check_result("pslld $31", a, 31, SHIFT_IMM("pslld", 31), other_ref(PSLL, 32, a, 31));
        check_result("psllq $63", a, 63, SHIFT_IMM("psllq", 63), other_ref(PSLL, 64, a, 63));
        check_result("psrlw $15", a, 15, SHIFT_IMM("psrlw", 15), other_ref(PSRL, 16, a, 15));
        check_result("psrld $1", a, 1, SHIFT_IMM("psrld", 1), other_ref(PSRL, 32, a, 1));
        check_result("psrlq $200", a, 200, SHIFT_IMM("psrlq", 200), 0);
        check_result("psraw $7", a, 7, SHIFT_IMM("psraw", 7), other_ref(PSRA, 16, a, 7));
        check_result("psrad $40", a, 40, SHIFT_IMM("psrad", 40), other_ref(PSRA, 32, a, 40));
    }
}

/* The SSE additions with an immediate or a general register. */
static void test_elements(void)
{
    for (int n = 0; n < 100; n++) {
        u64 a = edgy(), b = edgy(), r, w;
        uint32_t m;
        __asm__ volatile("movq %1, %%mm3\n\tpshufw $0x1b, %%mm3, %%mm4\n\tmovq %%mm4, %0\n\temms"
                         : "=r"(r) : "r"(a) : "mm3", "mm4");
        w = 0;
        for (int i = 0; i < 4; i++)
            w = put(w, 16, i, uget(a, 16, 3 - i));
        check_result("pshufw $0x1b", a, 0x1b, r, w);
        __asm__ volatile("pshufw $0xd2, %1, %%mm4\n\tmovq %%mm4, %0\n\temms"
                         : "=r"(r) : "m"(a) : "mm4");
        w = 0;
        for (int i = 0; i < 4; i++)
            w = put(w, 16, i, uget(a, 16, (0xd2 >> (2 * i)) & 3));
        check_result("pshufw $0xd2", a, 0xd2, r, w);
        __asm__ volatile("movq %1, %%mm5\n\tpmovmskb %%mm5, %0\n\temms" : "=r"(m) : "r"(a) : "mm5");
        w = 0;
        for (int i = 0; i < 8; i++)
            w |= (a >> (8 * i + 7) & 1) << i;
        check_result("pmovmskb", a, 0, m, w);
        __asm__ volatile("movq %1, %%mm6\n\tpextrw $2, %%mm6, %0\n\temms" : "=r"(m) : "r"(a) : "mm6");
        check_result("pextrw $2", a, 2, m, uget(a, 16, 2));
        __asm__ volatile("movq %1, %%mm7\n\tpinsrw $7, %k2, %%mm7\n\tmovq %%mm7, %0\n\temms"
                         : "=r"(r) : "r"(a), "r"(b) : "mm7");
        check_result("pinsrw $7", a, b, r, put(a, 16, 3, b));
        uint16_t b16 = (uint16_t)b;
        __asm__ volatile("movq %1, %%mm7\n\tpinsrw $1, %2, %%mm7\n\tmovq %%mm7, %0\n\temms"
                         : "=r"(r) : "r"(a), "m"(b16) : "mm7");
        check_result("pinsrw $1 (mem)", a, b, r, put(a, 16, 1, b));
        for (int s = 0; s < 18; s += 3) {
            w = s >= 16 ? 0 : s >= 8 ? (s == 8 ? a : a >> (8 * (s - 8)))
                                     : (s == 0 ? b : (b >> (8 * s)) | (a << (64 - 8 * s)));
            switch (s) {
#define ALIGNR(k)                                                                        \
    case k:                                                                              \
        __asm__ volatile("movq %1, %%mm0\n\tmovq %2, %%mm1\n\tpalignr $" #k              \
                         ", %%mm1, %%mm0\n\tmovq %%mm0, %0\n\temms"                      \
                         : "=r"(r) : "r"(a), "r"(b) : "mm0", "mm1");                       \
        break;
                ALIGNR(0) ALIGNR(3) ALIGNR(6) ALIGNR(9) ALIGNR(12) ALIGNR(15)
#undef ALIGNR
            }
            check_result("palignr", a, b, r, w);
        }
    }
}

/* Moves between MMX, XMM and general registers, and the conversions. */
static void test_moves(void)
{
    u64 a = 0x8899aabbccddeeffULL, r, x[2];
    uint32_t d;
    __asm__ volatile("movd %k1, %%mm0\n\tmovq %%mm0, %0\n\temms" : "=r"(r) : "r"(a) : "mm0");
    CHECK_EQ(r, 0xccddeeffULL);
    __asm__ volatile("movq %1, %%mm0\n\tmovd %%mm0, %0\n\temms" : "=r"(d) : "r"(a) : "mm0");
    CHECK_EQ(d, 0xccddeeffU);
    __asm__ volatile("movq %1, %%mm1\n\tmovd %%mm1, %0\n\temms" : "=m"(d) : "r"(~a) : "mm1");
    CHECK_EQ(d, 0x33221100U);
    __asm__ volatile("movq %1, %%mm1\n\tmovntq %%mm1, %0\n\tsfence\n\temms" : "=m"(r) : "r"(a) : "mm1");
    CHECK_EQ(r, a);
    __asm__ volatile("pcmpeqd %%xmm1, %%xmm1\n\tmovq %1, %%mm2\n\tmovq2dq %%mm2, %%xmm1\n\t"
                     "movdqu %%xmm1, %0\n\temms"
                     : "=m"(x) : "r"(a) : "mm2", "xmm1");
    CHECK_EQ(x[0], a);
    CHECK_EQ(x[1], 0);
    __asm__ volatile("movq %1, %%xmm2\n\tmovdq2q %%xmm2, %%mm3\n\tmovq %%mm3, %0\n\temms"
                     : "=r"(r) : "r"(~a) : "mm3", "xmm2");
    CHECK_EQ(r, ~a);

    /* CVTPI2PS keeps the upper singles; CVTPS2PI rounds, CVTTPS2PI truncates. */
    static const float src[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    float f[4];
    u64 ints = (u64)(uint32_t)-7 << 32 | 5;
    __asm__ volatile("movups %2, %%xmm3\n\tmovq %1, %%mm4\n\tcvtpi2ps %%mm4, %%xmm3\n\t"
                     "movups %%xmm3, %0\n\temms"
                     : "=m"(f) : "r"(ints), "m"(src) : "mm4", "xmm3");
    CHECK(f[0] == 5.0f && f[1] == -7.0f && f[2] == 3.0f && f[3] == 4.0f);
    static const float halves[4] = {2.5f, -1.5f, 1e10f, 0};
    __asm__ volatile("movups %1, %%xmm4\n\tcvtps2pi %%xmm4, %%mm5\n\tmovq %%mm5, %0\n\temms"
                     : "=r"(r) : "m"(halves) : "mm5", "xmm4");
    CHECK_EQ(r, (u64)(uint32_t)-2 << 32 | 2);
    __asm__ volatile("cvttps2pi %1, %%mm5\n\tmovq %%mm5, %0\n\temms"
                     : "=r"(r) : "m"(halves) : "mm5");
    CHECK_EQ(r, (u64)(uint32_t)-1 << 32 | 2);
    static const double dbl[2] __attribute__((aligned(16))) = {-3.5, 1e300};
    __asm__ volatile("cvtpd2pi %1, %%mm6\n\tmovq %%mm6, %0\n\temms" : "=r"(r) : "m"(dbl) : "mm6");
    CHECK_EQ(r, 0x80000000ULL << 32 | (uint32_t)-4);
    __asm__ volatile("movapd %1, %%xmm5\n\tcvttpd2pi %%xmm5, %%mm6\n\tmovq %%mm6, %0\n\temms"
                     : "=r"(r) : "m"(dbl) : "mm6", "xmm5");
    CHECK_EQ(r, 0x80000000ULL << 32 | (uint32_t)-3);
    double dd[2];
    __asm__ volatile("movq %1, %%mm7\n\tcvtpi2pd %%mm7, %%xmm6\n\tmovupd %%xmm6, %0\n\temms"
                     : "=m"(dd) : "r"(ints) : "mm7", "xmm6");
    CHECK(dd[0] == 5.0 && dd[1] == -7.0);
    /* The 1e10 and 1e300 conversions were invalid: IE is set. */
    uint32_t mx;
    __asm__ volatile("stmxcsr %0" : "=m"(mx));
    CHECK(mx & 1);
    mx &= ~0x3fu;
    __asm__ volatile("ldmxcsr %0" : : "m"(mx));
    hash_u64(r);
}

static void test_maskmovq(void)
{
    uint8_t buf[8];
    for (int n = 0; n < 50; n++) {
        u64 data = edgy(), mask = edgy(), old = edgy(), want = old;
        memcpy(buf, &old, 8);
        __asm__ volatile("movq %1, %%mm0\n\tmovq %2, %%mm1\n\tmaskmovq %%mm1, %%mm0\n\temms"
                         : "+m"(buf) : "r"(data), "r"(mask), "D"(buf) : "mm0", "mm1", "memory");
        for (int i = 0; i < 8; i++)
            if (mask >> (8 * i + 7) & 1)
                want = put(want, 8, i, uget(data, 8, i));
        u64 got;
        memcpy(&got, buf, 8);
        check_result("maskmovq", data, mask, got, want);
    }
}

struct fpenv {
    uint16_t fcw, r0, fsw, r1, ftw, r2;
    uint32_t rest[4];
};

/* MMi is physical x87 register i; TOP and the tags follow MMX use. */
static void test_aliasing(void)
{
    struct fpenv env;
    u64 r;
    uint16_t sw;
    /* FLD1 pushes into physical register 7: MM7 reads its mantissa. */
    __asm__ volatile("fninit\n\tfld1\n\tmovq %%mm7, %0\n\tfnstsw %1\n\temms"
                     : "=r"(r), "=m"(sw) : : "mm7", "st");
    CHECK_EQ(r, 0x8000000000000000ULL);
    CHECK_EQ((sw >> 11) & 7, 0);
    /* After an MMX instruction every tag is valid (FNSTENV reports the
     * registers' classes); after EMMS every tag is empty. */
    __asm__ volatile("fninit\n\tfld1\n\tpxor %%mm0, %%mm0\n\tpxor %%mm1, %%mm1\n\t"
                     "pxor %%mm2, %%mm2\n\tpxor %%mm3, %%mm3\n\tpxor %%mm4, %%mm4\n\t"
                     "pxor %%mm5, %%mm5\n\tpxor %%mm6, %%mm6\n\tpxor %%mm7, %%mm7\n\t"
                     "fnstenv %0\n\temms"
                     : "=m"(env) : : "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", "mm7", "st");
    CHECK_EQ(env.ftw & 0xffff, 0xaaaa);
    __asm__ volatile("fnstenv %0" : "=m"(env));
    CHECK_EQ(env.ftw & 0xffff, 0xffff);
    hash_u64(env.ftw);
    /* An MMX write sets the exponent and sign to ones: ST(3) is a NaN. */
    uint16_t fxam;
    __asm__ volatile("fninit\n\tmovq %1, %%mm3\n\tfxch %%st(3)\n\tfxam\n\tfnstsw %0\n\tfninit"
                     : "=m"(fxam) : "r"(0xc000000000000000ULL) : "mm3", "st");
    /* C3 C2 C0 = 001: NaN; C1 = sign. */
    CHECK_EQ(fxam & 0x4700, 0x0300);
    hash_u64(fxam);
}

static sigjmp_buf jump;
static volatile int fpe_code;

static void on_fpe(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fpe_code = si->si_code;
    siglongjmp(jump, 1);
}

/* A pending unmasked x87 exception makes the next MMX instruction fault. */
static void test_pending_mf(void)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, 0);
    volatile int reached = 0;
    if (sigsetjmp(jump, 1) == 0) {
        uint16_t cw = 0x37b;
        __asm__ volatile("fninit\n\tfldcw %0\n\tfld1\n\tfldz\n\tfdivrp" : : "m"(cw) : "st", "st(1)");
        reached = 1;
        __asm__ volatile("paddb %%mm1, %%mm0" ::: "mm0");
        reached = 2;
    }
    __asm__ volatile("fninit");
    CHECK_EQ(reached, 1);
    CHECK_EQ(fpe_code, FPE_FLTDIV);
    signal(SIGFPE, SIG_DFL);
}

int main(void)
{
    test_lanewise();
    test_other();
    test_shift_imm();
    test_elements();
    test_moves();
    test_maskmovq();
    test_aliasing();
    test_pending_mf();
    return check_done("mmx");
}
