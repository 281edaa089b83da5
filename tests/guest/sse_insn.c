/* SSE through SSE4.1, one instruction at a time: every legacy XMM
 * instruction ox86 implements runs in its register and memory forms over a
 * table of integer and floating-point edge values (and, for MXCSR-dependent
 * ones, under each rounding mode with DAZ/FTZ), and each prints a hash of
 * its results and of the MXCSR flags it raised. Set SSE_VERBOSE=1 in the
 * environment to print every result instead. */
#include "check.h"

#include <stdlib.h>

typedef struct {
    uint64_t q[2];
} __attribute__((aligned(16))) v128;

typedef long long xmm_t __attribute__((vector_size(16)));

static int verbose;

#define N_IN 48
static v128 in[N_IN];

static const uint32_t f32_edges[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000,
    0x3eaaaaab, 0x7f7fffff, 0x00800000, 0x00000001, 0x807fffff, 0x7f800000,
    0xff800000, 0x7fc00000, 0xffc01234, 0x7f800001, 0x4f000000, 0xcf000000,
    0x5f000000, 0xdf000000, 0x4b7fffff, 0x44800000, 0xc0400000, 0x3f000000,
};

static const uint64_t f64_edges[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull,
    0xbff0000000000000ull, 0x3ff8000000000000ull, 0x4004000000000000ull,
    0x3fd5555555555555ull, 0x7fefffffffffffffull, 0x0010000000000000ull,
    0x0000000000000001ull, 0x800fffffffffffffull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000001234ull,
    0x7ff0000000000001ull, 0x41e0000000000000ull, 0xc1e0000000200000ull,
    0x43e0000000000000ull, 0xc3e0000000000000ull, 0x47efffffe0000000ull,
    0x3810000000000000ull, 0x4008000000000000ull, 0xc004000000000000ull,
};

static uint64_t rnd64(void)
{
    uint64_t hi = lcg();
    return hi << 32 | lcg();
}

/* Integer patterns, lanes of float and double edge values, random bits. */
static void init_inputs(void)
{
    static const uint8_t bytes[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x55, 0x21};
    int n = 0;
    in[n++] = (v128){{0, 0}};
    in[n++] = (v128){{~0ull, ~0ull}};
    in[n++] = (v128){{0x8080808080808080ull, 0x7f7f7f7f7f7f7f7full}};
    in[n++] = (v128){{0x8000800080008000ull, 0x7fff7fff7fff7fffull}};
    in[n++] = (v128){{0x800000007fffffffull, 0x8000000000000001ull}};
    in[n++] = (v128){{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull}};
    in[n++] = (v128){{0x21, 0}};
    in[n++] = (v128){{0x8000000000000000ull, 0x7fffffffffffffffull}};
    while (n < 20) {
        uint8_t b[16];
        for (int i = 0; i < 16; i++)
            b[i] = (lcg() & 1) ? bytes[lcg() % 8] : (uint8_t)lcg();
        memcpy(&in[n++], b, 16);
    }
    while (n < 34) {
        uint32_t l[4];
        for (int i = 0; i < 4; i++)
            l[i] = (lcg() & 3) ? f32_edges[lcg() % 24] : lcg();
        memcpy(&in[n++], l, 16);
    }
    while (n < N_IN) {
        v128 v;
        for (int i = 0; i < 2; i++)
            v.q[i] = (lcg() & 3) ? f64_edges[lcg() % 24] : rnd64();
        in[n++] = v;
    }
}

/* The operand pairs each instruction sees: every input against itself and
 * against five others. */
#define PARTNERS 6
static int partner(int i, int k)
{
    return k == 0 ? i : (i * (2 * k + 5) + 7 * k) % N_IN;
}

static const uint32_t mxcsrs[] = {0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x1fc0, 0x9f80, 0xffc0};
#define N_MXCSR (sizeof(mxcsrs) / sizeof(mxcsrs[0]))

static inline void set_mxcsr(uint32_t m)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(m));
}

static inline uint32_t get_mxcsr(void)
{
    uint32_t m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    return m;
}

static uint64_t op_hash;

static void begin(void)
{
    op_hash = 0xcbf29ce484222325ull;
}

static void mix(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        op_hash ^= (v >> (8 * i)) & 0xff;
        op_hash *= 0x100000001b3ull;
    }
}

static void end(const char *name)
{
    printf("%-24s %016llx\n", name, (unsigned long long)op_hash);
    hash_u64(op_hash);
}

static void result(const char *name, int i, int j, uint64_t lo, uint64_t hi, uint64_t extra)
{
    mix(lo);
    mix(hi);
    mix(extra);
    if (verbose)
        printf("  %s [%d,%d] %016llx %016llx %llx\n", name, i, j, (unsigned long long)hi,
               (unsigned long long)lo, (unsigned long long)extra);
}

static inline xmm_t ld(const v128 *p)
{
    xmm_t x;
    memcpy(&x, p, 16);
    return x;
}

static inline void st(v128 *p, xmm_t x)
{
    memcpy(p, &x, 16);
}

/* ---- two-operand instructions: `insn src, dst` ---------------------------------- */

typedef void (*xx_fn)(v128 *d, const v128 *s);

#define DEF_XX(id, text)                                                            \
    static void id##_r(v128 *d, const v128 *s)                                      \
    {                                                                               \
        xmm_t x = ld(d), y = ld(s);                                                 \
        __asm__ volatile(text " %1, %0" : "+x"(x) : "x"(y));                        \
        st(d, x);                                                                   \
    }                                                                               \
    static void id##_m(v128 *d, const v128 *s)                                      \
    {                                                                               \
        xmm_t x = ld(d);                                                            \
        __asm__ volatile(text " %1, %0" : "+x"(x) : "m"(*s));                       \
        st(d, x);                                                                   \
    }

enum { I, F };

/* Integer and shuffle instructions (MXCSR-independent). */
#define INT_OPS(X)                                                                  \
    X(paddb, "paddb") X(paddw, "paddw") X(paddd, "paddd") X(paddq, "paddq")         \
    X(psubb, "psubb") X(psubw, "psubw") X(psubd, "psubd") X(psubq, "psubq")         \
    X(paddsb, "paddsb") X(paddsw, "paddsw") X(paddusb, "paddusb")                   \
    X(paddusw, "paddusw") X(psubsb, "psubsb") X(psubsw, "psubsw")                   \
    X(psubusb, "psubusb") X(psubusw, "psubusw") X(pmullw, "pmullw")                 \
    X(pmulhw, "pmulhw") X(pmulhuw, "pmulhuw") X(pmuludq, "pmuludq")                 \
    X(pmaddwd, "pmaddwd") X(psadbw, "psadbw") X(pavgb, "pavgb") X(pavgw, "pavgw")   \
    X(pminub, "pminub") X(pmaxub, "pmaxub") X(pminsw, "pminsw")                     \
    X(pmaxsw, "pmaxsw") X(pand, "pand") X(pandn, "pandn") X(por, "por")             \
    X(pxor, "pxor") X(andps, "andps") X(andpd, "andpd") X(andnps, "andnps")         \
    X(andnpd, "andnpd") X(orps, "orps") X(orpd, "orpd") X(xorps, "xorps")           \
    X(xorpd, "xorpd") X(pcmpeqb, "pcmpeqb") X(pcmpeqw, "pcmpeqw")                   \
    X(pcmpeqd, "pcmpeqd") X(pcmpgtb, "pcmpgtb") X(pcmpgtw, "pcmpgtw")               \
    X(pcmpgtd, "pcmpgtd") X(punpcklbw, "punpcklbw") X(punpcklwd, "punpcklwd")       \
    X(punpckldq, "punpckldq") X(punpcklqdq, "punpcklqdq")                           \
    X(punpckhbw, "punpckhbw") X(punpckhwd, "punpckhwd")                             \
    X(punpckhdq, "punpckhdq") X(punpckhqdq, "punpckhqdq")                           \
    X(unpcklps, "unpcklps") X(unpckhps, "unpckhps") X(unpcklpd, "unpcklpd")         \
    X(unpckhpd, "unpckhpd") X(packsswb, "packsswb") X(packuswb, "packuswb")         \
    X(packssdw, "packssdw") X(psllw, "psllw") X(pslld, "pslld") X(psllq, "psllq")   \
    X(psrlw, "psrlw") X(psrld, "psrld") X(psrlq, "psrlq") X(psraw, "psraw")         \
    X(psrad, "psrad") X(pshufd_1b, "pshufd $0x1b,") X(pshufd_e4, "pshufd $0xe4,")   \
    X(pshuflw_b1, "pshuflw $0xb1,") X(pshufhw_4e, "pshufhw $0x4e,")                 \
    X(shufps_93, "shufps $0x93,") X(shufps_00, "shufps $0,")                        \
    X(shufpd_1, "shufpd $1,") X(shufpd_2, "shufpd $2,")                             \
    X(movaps, "movaps") X(movapd, "movapd") X(movdqa, "movdqa")                     \
    X(movups, "movups") X(movupd, "movupd") X(movdqu, "movdqu") X(movss, "movss")   \
    X(movsd, "movsd") X(movq, "movq") X(movddup, "movddup")                         \
    X(movshdup, "movshdup") X(movsldup, "movsldup")                                 \
    /* SSSE3 */                                                                     \
    X(pshufb, "pshufb") X(pabsb, "pabsb") X(pabsw, "pabsw") X(pabsd, "pabsd")       \
    X(psignb, "psignb") X(psignw, "psignw") X(psignd, "psignd")                     \
    X(phaddw, "phaddw") X(phaddd, "phaddd") X(phaddsw, "phaddsw")                   \
    X(phsubw, "phsubw") X(phsubd, "phsubd") X(phsubsw, "phsubsw")                   \
    X(pmaddubsw, "pmaddubsw") X(pmulhrsw, "pmulhrsw")                               \
    X(palignr_0, "palignr $0,") X(palignr_5, "palignr $5,")                         \
    X(palignr_16, "palignr $16,") X(palignr_21, "palignr $21,")                     \
    X(palignr_40, "palignr $40,")                                                   \
    /* SSE4.1 */                                                                    \
    X(pmulld, "pmulld") X(pmuldq, "pmuldq") X(pminsb, "pminsb")                     \
    X(pmaxsb, "pmaxsb") X(pminuw, "pminuw") X(pmaxuw, "pmaxuw")                     \
    X(pminsd, "pminsd") X(pmaxsd, "pmaxsd") X(pminud, "pminud")                     \
    X(pmaxud, "pmaxud") X(pcmpeqq, "pcmpeqq") X(packusdw, "packusdw")               \
    X(phminposuw, "phminposuw") X(mpsadbw_0, "mpsadbw $0,")                         \
    X(mpsadbw_7, "mpsadbw $7,") X(pblendw_a5, "pblendw $0xa5,")                     \
    X(blendps_6, "blendps $6,") X(blendpd_2, "blendpd $2,")                         \
    X(insertps_5a, "insertps $0x5a,") X(insertps_c0, "insertps $0xc0,")             \
    X(pmovsxbw, "pmovsxbw") X(pmovsxbd, "pmovsxbd") X(pmovsxbq, "pmovsxbq")         \
    X(pmovsxwd, "pmovsxwd") X(pmovsxwq, "pmovsxwq") X(pmovsxdq, "pmovsxdq")         \
    X(pmovzxbw, "pmovzxbw") X(pmovzxbd, "pmovzxbd") X(pmovzxbq, "pmovzxbq")         \
    X(pmovzxwd, "pmovzxwd") X(pmovzxwq, "pmovzxwq") X(pmovzxdq, "pmovzxdq")

/* MXCSR-dependent instructions: run under each MXCSR of `mxcsrs`. */
#define FLOAT_OPS(X)                                                                \
    X(addps, "addps") X(addss, "addss") X(addpd, "addpd") X(addsd, "addsd")         \
    X(subps, "subps") X(subss, "subss") X(subpd, "subpd") X(subsd, "subsd")         \
    X(mulps, "mulps") X(mulss, "mulss") X(mulpd, "mulpd") X(mulsd, "mulsd")         \
    X(divps, "divps") X(divss, "divss") X(divpd, "divpd") X(divsd, "divsd")         \
    X(sqrtps, "sqrtps") X(sqrtss, "sqrtss") X(sqrtpd, "sqrtpd")                     \
    X(sqrtsd, "sqrtsd") X(minps, "minps") X(minss, "minss") X(minpd, "minpd")       \
    X(minsd, "minsd") X(maxps, "maxps") X(maxss, "maxss") X(maxpd, "maxpd")         \
    X(maxsd, "maxsd") X(rcpps, "rcpps") X(rcpss, "rcpss") X(rsqrtps, "rsqrtps")     \
    X(rsqrtss, "rsqrtss") X(cmpps_0, "cmpps $0,") X(cmpps_1, "cmpps $1,")           \
    X(cmpps_2, "cmpps $2,") X(cmpps_3, "cmpps $3,") X(cmpps_4, "cmpps $4,")         \
    X(cmpps_5, "cmpps $5,") X(cmpps_6, "cmpps $6,") X(cmpps_7, "cmpps $7,")         \
    X(cmpss_1, "cmpss $1,") X(cmpss_4, "cmpss $4,") X(cmppd_2, "cmppd $2,")         \
    X(cmppd_3, "cmppd $3,") X(cmpsd_5, "cmpsd $5,") X(cmpsd_6, "cmpsd $6,")         \
    X(cmpsd_7, "cmpsd $7,") X(cvtss2sd, "cvtss2sd") X(cvtsd2ss, "cvtsd2ss")         \
    X(cvtps2pd, "cvtps2pd") X(cvtpd2ps, "cvtpd2ps") X(cvtdq2ps, "cvtdq2ps")         \
    X(cvtps2dq, "cvtps2dq") X(cvttps2dq, "cvttps2dq") X(cvtdq2pd, "cvtdq2pd")       \
    X(cvtpd2dq, "cvtpd2dq") X(cvttpd2dq, "cvttpd2dq")                               \
    /* SSE3 */                                                                      \
    X(addsubps, "addsubps") X(addsubpd, "addsubpd") X(haddps, "haddps")             \
    X(haddpd, "haddpd") X(hsubps, "hsubps") X(hsubpd, "hsubpd")                     \
    /* SSE4.1 */                                                                    \
    X(roundps_0, "roundps $0,") X(roundps_4, "roundps $4,")                         \
    X(roundps_9, "roundps $9,") X(roundss_2, "roundss $2,")                         \
    X(roundpd_3, "roundpd $3,") X(roundpd_c, "roundpd $12,")                        \
    X(roundsd_1, "roundsd $1,") X(dpps_ff, "dpps $0xff,") X(dpps_31, "dpps $0x31,") \
    X(dpps_c6, "dpps $0xc6,") X(dppd_33, "dppd $0x33,") X(dppd_12, "dppd $0x12,")

#define X(id, text) DEF_XX(id, text)
INT_OPS(X)
FLOAT_OPS(X)
#undef X

struct xx_op {
    const char *name;
    xx_fn r, m;
};

static const struct xx_op int_ops[] = {
#define X(id, text) {#id, id##_r, id##_m},
    INT_OPS(X)
#undef X
};

static const struct xx_op float_ops[] = {
#define X(id, text) {#id, id##_r, id##_m},
    FLOAT_OPS(X)
#undef X
};

static void run_int(const struct xx_op *op)
{
    begin();
    for (int form = 0; form < 2; form++) {
        for (int i = 0; i < N_IN; i++) {
            for (int k = 0; k < PARTNERS; k++) {
                int j = partner(i, k);
                v128 d = in[i], s = in[j];
                (form ? op->m : op->r)(&d, &s);
                result(op->name, i, j, d.q[0], d.q[1], form);
            }
        }
    }
    end(op->name);
}

static void run_float(const struct xx_op *op)
{
    begin();
    for (unsigned mi = 0; mi < N_MXCSR; mi++) {
        for (int form = 0; form < 2; form++) {
            for (int i = 0; i < N_IN; i++) {
                for (int k = 0; k < PARTNERS; k++) {
                    int j = partner(i, k);
                    v128 d = in[i], s = in[j];
                    set_mxcsr(mxcsrs[mi]);
                    (form ? op->m : op->r)(&d, &s);
                    uint32_t after = get_mxcsr();
                    set_mxcsr(0x1f80);
                    result(op->name, i, j, d.q[0], d.q[1], after);
                }
            }
        }
    }
    end(op->name);
}

/* ---- shifts by immediate: `insn $imm, dst` ------------------------------------- */

#define SHIFT_IMM(X)                                                                \
    X(psllw, 0) X(psllw, 1) X(psllw, 15) X(psllw, 16) X(pslld, 7) X(pslld, 31)      \
    X(pslld, 32) X(psllq, 1) X(psllq, 63) X(psllq, 64) X(psrlw, 3) X(psrlw, 16)     \
    X(psrld, 9) X(psrld, 40) X(psrlq, 33) X(psrlq, 255) X(psraw, 4) X(psraw, 15)    \
    X(psraw, 16) X(psrad, 17) X(psrad, 31) X(psrad, 99) X(pslldq, 0)                \
    X(pslldq, 3) X(pslldq, 8) X(pslldq, 15) X(pslldq, 16) X(psrldq, 1)              \
    X(psrldq, 7) X(psrldq, 9) X(psrldq, 17)

static void shifts_by_immediate(void)
{
    begin();
    for (int i = 0; i < N_IN; i++) {
        xmm_t x;
#define X(insn, n)                                                                  \
        x = ld(&in[i]);                                                             \
        __asm__ volatile(#insn " $" #n ", %0" : "+x"(x));                           \
        {                                                                           \
            v128 r;                                                                 \
            st(&r, x);                                                              \
            result(#insn, i, n, r.q[0], r.q[1], 0);                                 \
        }
        SHIFT_IMM(X)
#undef X
    }
    end("shift_imm");
}

/* ---- general registers and flags ---------------------------------------------- */

static void to_gpr(void)
{
    begin();
    for (int i = 0; i < N_IN; i++) {
        xmm_t x = ld(&in[i]);
        uint64_t r[16];
        memset(r, 0xcc, sizeof r);
        __asm__ volatile("pmovmskb %[x], %k[r0]\n\t"
                         "movmskps %[x], %k[r1]\n\t"
                         "movmskpd %[x], %[r2]\n\t"
                         "pextrw $5, %[x], %k[r3]\n\t"
                         "pextrw $2, %[x], %[r4]\n\t"
                         "movd %[x], %k[r5]\n\t"
                         "movq %[x], %[r6]\n\t"
                         "pextrb $13, %[x], %k[r7]\n\t"
                         "pextrd $3, %[x], %k[r8]\n\t"
                         "pextrq $1, %[x], %[r9]\n\t"
                         "extractps $2, %[x], %k[r10]\n\t"
                         : [r0] "+r"(r[0]), [r1] "+r"(r[1]), [r2] "+r"(r[2]),
                           [r3] "+r"(r[3]), [r4] "+r"(r[4]), [r5] "+r"(r[5]),
                           [r6] "+r"(r[6]), [r7] "+r"(r[7]), [r8] "+r"(r[8]),
                           [r9] "+r"(r[9]), [r10] "+r"(r[10])
                         : [x] "x"(x));
        for (int k = 0; k < 11; k++)
            result("to_gpr", i, k, r[k], 0, 0);
        uint64_t m[6] = {~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull};
        __asm__ volatile("movd %[x], %[m0]\n\t"
                         "movq %[x], %[m1]\n\t"
                         "pextrw $7, %[x], %[m2]\n\t"
                         "pextrb $9, %[x], %[m3]\n\t"
                         "pextrd $1, %[x], %[m4]\n\t"
                         "extractps $3, %[x], %[m5]\n\t"
                         : [m0] "+m"(m[0]), [m1] "+m"(m[1]), [m2] "+m"(m[2]),
                           [m3] "+m"(m[3]), [m4] "+m"(m[4]), [m5] "+m"(m[5])
                         : [x] "x"(x));
        for (int k = 0; k < 6; k++)
            result("to_mem", i, k, m[k], 0, 0);
    }
    end("to_gpr_mem");
}

static void from_gpr(void)
{
    begin();
    for (int i = 0; i < N_IN; i++) {
        uint64_t g = in[(i * 5 + 1) % N_IN].q[0];
        const uint64_t *mp = &in[(i * 3 + 2) % N_IN].q[1];
        xmm_t x[10];
        for (int k = 0; k < 10; k++)
            x[k] = ld(&in[i]);
        __asm__ volatile("movd %k[g], %[x0]\n\t"
                         "movq %[g], %[x1]\n\t"
                         "pinsrw $3, %k[g], %[x2]\n\t"
                         "pinsrw $6, %[m], %[x3]\n\t"
                         "pinsrb $11, %k[g], %[x4]\n\t"
                         "pinsrd $2, %k[g], %[x5]\n\t"
                         "pinsrq $1, %[g], %[x6]\n\t"
                         "pinsrq $0, %[m], %[x7]\n\t"
                         "movd %[m], %[x8]\n\t"
                         "movq %[m], %[x9]\n\t"
                         : [x0] "+x"(x[0]), [x1] "+x"(x[1]), [x2] "+x"(x[2]),
                           [x3] "+x"(x[3]), [x4] "+x"(x[4]), [x5] "+x"(x[5]),
                           [x6] "+x"(x[6]), [x7] "+x"(x[7]), [x8] "+x"(x[8]),
                           [x9] "+x"(x[9])
                         : [g] "r"(g), [m] "m"(*mp));
        for (int k = 0; k < 10; k++) {
            v128 r;
            st(&r, x[k]);
            result("from_gpr", i, k, r.q[0], r.q[1], 0);
        }
    }
    end("from_gpr_mem");
}

/* COMISS & co. and PTEST: ZF, PF, CF through SETcc (no stack use). */
#define FLAGS_OP(insn)                                                              \
    static uint64_t flags_##insn(xmm_t a, xmm_t b)                                  \
    {                                                                               \
        uint8_t z, p, c, s, o;                                                      \
        __asm__ volatile(#insn " %[b], %[a]\n\tsetz %[z]\n\tsetp %[p]\n\t"          \
                         "setc %[c]\n\tsets %[s]\n\tseto %[o]"                      \
                         : [z] "=r"(z), [p] "=r"(p), [c] "=r"(c), [s] "=r"(s),      \
                           [o] "=r"(o)                                              \
                         : [a] "x"(a), [b] "x"(b));                                 \
        return z << 6 | p << 2 | c | s << 7 | o << 11;                              \
    }
FLAGS_OP(comiss)
FLAGS_OP(ucomiss)
FLAGS_OP(comisd)
FLAGS_OP(ucomisd)
FLAGS_OP(ptest)

static void flag_setters(void)
{
    static const struct {
        const char *name;
        uint64_t (*f)(xmm_t, xmm_t);
    } ops[] = {{"comiss", flags_comiss},   {"ucomiss", flags_ucomiss},
               {"comisd", flags_comisd},   {"ucomisd", flags_ucomisd},
               {"ptest", flags_ptest}};
    for (unsigned o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        begin();
        for (unsigned mi = 0; mi < N_MXCSR; mi++) {
            for (int i = 0; i < N_IN; i++) {
                for (int k = 0; k < PARTNERS; k++) {
                    int j = partner(i, k);
                    set_mxcsr(mxcsrs[mi]);
                    uint64_t fl = ops[o].f(ld(&in[i]), ld(&in[j]));
                    uint32_t after = get_mxcsr();
                    set_mxcsr(0x1f80);
                    result(ops[o].name, i, j, fl, 0, after);
                }
            }
        }
        end(ops[o].name);
    }
}

/* CVT between XMM and general registers or memory, 32- and 64-bit. */
static void int_conversions(void)
{
    begin();
    for (unsigned mi = 0; mi < N_MXCSR; mi++) {
        for (int i = 0; i < N_IN; i++) {
            xmm_t x = ld(&in[i]);
            const v128 *m = &in[i];
            uint64_t r[12];
            memset(r, 0xcc, sizeof r);
            set_mxcsr(mxcsrs[mi]);
            __asm__ volatile("cvtss2si %[x], %k[r0]\n\t"
                             "cvtss2si %[x], %[r1]\n\t"
                             "cvttss2si %[x], %k[r2]\n\t"
                             "cvttss2si %[x], %[r3]\n\t"
                             "cvtsd2si %[x], %k[r4]\n\t"
                             "cvtsd2si %[x], %[r5]\n\t"
                             "cvttsd2si %[x], %k[r6]\n\t"
                             "cvttsd2si %[x], %[r7]\n\t"
                             "cvtss2si %[m], %k[r8]\n\t"
                             "cvttsd2si %[m], %[r9]\n\t"
                             : [r0] "+r"(r[0]), [r1] "+r"(r[1]), [r2] "+r"(r[2]),
                               [r3] "+r"(r[3]), [r4] "+r"(r[4]), [r5] "+r"(r[5]),
                               [r6] "+r"(r[6]), [r7] "+r"(r[7]), [r8] "+r"(r[8]),
                               [r9] "+r"(r[9])
                             : [x] "x"(x), [m] "m"(*m));
            uint32_t after = get_mxcsr();
            set_mxcsr(0x1f80);
            for (int k = 0; k < 10; k++)
                result("cvt2si", i, k, r[k], 0, after);

            uint64_t g = in[(i * 7 + 3) % N_IN].q[i & 1];
            xmm_t y[6];
            for (int k = 0; k < 6; k++)
                y[k] = ld(&in[(i + k) % N_IN]);
            set_mxcsr(mxcsrs[mi]);
            __asm__ volatile("cvtsi2ss %k[g], %[y0]\n\t"
                             "cvtsi2ss %[g], %[y1]\n\t"
                             "cvtsi2sd %k[g], %[y2]\n\t"
                             "cvtsi2sd %[g], %[y3]\n\t"
                             "cvtsi2ssl %[m], %[y4]\n\t"
                             "cvtsi2sdq %[m], %[y5]\n\t"
                             : [y0] "+x"(y[0]), [y1] "+x"(y[1]), [y2] "+x"(y[2]),
                               [y3] "+x"(y[3]), [y4] "+x"(y[4]), [y5] "+x"(y[5])
                             : [g] "r"(g), [m] "m"(*m));
            after = get_mxcsr();
            set_mxcsr(0x1f80);
            for (int k = 0; k < 6; k++) {
                v128 v;
                st(&v, y[k]);
                result("cvtsi2", i, k, v.q[0], v.q[1], after);
            }
        }
    }
    end("int_conversions");
}

/* ---- moves to memory, partial moves, non-temporal and masked stores ----------- */

static void stores(void)
{
    begin();
    for (int i = 0; i < N_IN; i++) {
        xmm_t x = ld(&in[i]);
        xmm_t mask = ld(&in[partner(i, 3)]);
        v128 buf[11];
        memset(buf, 0x5a, sizeof buf);
        uint64_t g = in[partner(i, 2)].q[1];
        __asm__ volatile("movaps %[x], %[m0]\n\t"
                         "movups %[x], %[m1]\n\t"
                         "movdqa %[x], %[m2]\n\t"
                         "movss %[x], %[m3]\n\t"
                         "movsd %[x], %[m4]\n\t"
                         "movhps %[x], %[m5]\n\t"
                         "movlpd %[x], %[m6]\n\t"
                         "movntdq %[x], %[m7]\n\t"
                         "movntps %[x], %[m8]\n\t"
                         "movnti %[g], %[m9]\n\t"
                         "movhpd %[x], %[m10]\n\t"
                         "sfence"
                         : [m0] "=m"(buf[0]), [m1] "=m"(buf[1]), [m2] "=m"(buf[2]),
                           [m3] "+m"(buf[3]), [m4] "+m"(buf[4]), [m5] "+m"(buf[5]),
                           [m6] "+m"(buf[6]), [m7] "=m"(buf[7]), [m8] "=m"(buf[8]),
                           [m9] "+m"(buf[9]), [m10] "+m"(buf[10])
                         : [x] "x"(x), [g] "r"(g));
        for (int k = 0; k < 11; k++)
            result("stores", i, k, buf[k].q[0], buf[k].q[1], 0);

        /* MASKMOVDQU to every byte offset of a 32-byte window. */
        for (int off = 0; off < 16; off += 5) {
            uint8_t win[32];
            memset(win, 0xa5, sizeof win);
            __asm__ volatile("maskmovdqu %[m], %[x]"
                             :
                             : [x] "x"(x), [m] "x"(mask), "D"(win + off)
                             : "memory");
            uint64_t w[4];
            memcpy(w, win, 32);
            result("maskmovdqu", i, off, w[0] ^ w[1], w[2] ^ w[3], w[1]);
        }
    }
    end("stores");
}

static void partial_moves(void)
{
    begin();
    for (int i = 0; i < N_IN; i++) {
        const v128 *m = &in[partner(i, 1)];
        xmm_t s = ld(&in[partner(i, 2)]);
        xmm_t x[9];
        for (int k = 0; k < 9; k++)
            x[k] = ld(&in[i]);
        __asm__ volatile("movhps %[m], %[x0]\n\t"
                         "movlps %[m], %[x1]\n\t"
                         "movhpd %[m], %[x2]\n\t"
                         "movlpd %[m], %[x3]\n\t"
                         "movhlps %[s], %[x4]\n\t"
                         "movlhps %[s], %[x5]\n\t"
                         "movss %[m], %[x6]\n\t"
                         "movsd %[m], %[x7]\n\t"
                         "lddqu %[m], %[x8]\n\t"
                         : [x0] "+x"(x[0]), [x1] "+x"(x[1]), [x2] "+x"(x[2]),
                           [x3] "+x"(x[3]), [x4] "+x"(x[4]), [x5] "+x"(x[5]),
                           [x6] "+x"(x[6]), [x7] "+x"(x[7]), [x8] "+x"(x[8])
                         : [m] "m"(*m), [s] "x"(s));
        for (int k = 0; k < 9; k++) {
            v128 r;
            st(&r, x[k]);
            result("partial", i, k, r.q[0], r.q[1], 0);
        }
    }
    end("partial_moves");
}

/* BLENDV* take their mask in XMM0. */
static void variable_blends(void)
{
    begin();
    for (int i = 0; i < N_IN; i++) {
        for (int k = 0; k < PARTNERS; k++) {
            xmm_t a = ld(&in[i]), b = ld(&in[partner(i, k)]);
            xmm_t m0 = ld(&in[partner(i, (k + 1) % PARTNERS)]);
            xmm_t r1 = a, r2 = a, r3 = a;
            __asm__ volatile("pblendvb %[m], %[b], %[r1]\n\t"
                             "blendvps %[m], %[b], %[r2]\n\t"
                             "blendvpd %[m], %[b], %[r3]"
                             : [r1] "+x"(r1), [r2] "+x"(r2), [r3] "+x"(r3)
                             : [b] "x"(b), [m] "Yz"(m0));
            v128 v1, v2, v3;
            st(&v1, r1);
            st(&v2, r2);
            st(&v3, r3);
            result("pblendvb", i, k, v1.q[0], v1.q[1], 0);
            result("blendvps", i, k, v2.q[0], v2.q[1], 0);
            result("blendvpd", i, k, v3.q[0], v3.q[1], 0);
        }
    }
    end("variable_blends");
}

/* LDMXCSR/STMXCSR round trips, and rounding of one conversion under each mode. */
static void mxcsr_round_trip(void)
{
    begin();
    static const uint32_t vals[] = {0x1f80, 0x1f81, 0x3fbf, 0x5f80, 0x7f80, 0xffff, 0x9fc0};
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint32_t back;
        int r;
        double half = 2.5;
        __asm__ volatile("ldmxcsr %[in]\n\t"
                         "cvtsd2si %[h], %[r]\n\t"
                         "stmxcsr %[out]\n\t"
                         "ldmxcsr %[dflt]"
                         : [out] "=m"(back), [r] "=r"(r)
                         : [in] "m"(vals[i]), [h] "x"(half), [dflt] "m"(mxcsrs[0]));
        result("mxcsr", i, 0, back, (uint64_t)r, 0);
    }
    end("mxcsr");
}

int main(void)
{
    verbose = getenv("SSE_VERBOSE") != NULL;
    init_inputs();
    for (unsigned i = 0; i < sizeof int_ops / sizeof int_ops[0]; i++)
        run_int(&int_ops[i]);
    for (unsigned i = 0; i < sizeof float_ops / sizeof float_ops[0]; i++)
        run_float(&float_ops[i]);
    shifts_by_immediate();
    to_gpr();
    from_gpr();
    flag_setters();
    int_conversions();
    stores();
    partial_moves();
    variable_blends();
    mxcsr_round_trip();
    return check_done("sse_insn");
}
