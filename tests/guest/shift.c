/* Shifts and rotates (SHL SHR SAR ROL ROR RCL RCR SHLD SHRD) at every
 * width, with CL, immediate and implicit-1 counts, register and memory
 * destinations. Prints a checksum of results and defined flags per form;
 * flags the SDM leaves undefined are masked out. Exits 0. */
#include <stdint.h>
#include <stdio.h>

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define ARITH (CF | PF | AF | ZF | SF | OF)

/* Runs `insn` with RFLAGS = fin and captures RFLAGS after it; the stack
 * pointer steps over the red zone first, so memory operands must not be
 * RSP-relative: they are passed as pointers in registers. */
#define WITH_FLAGS(insn, outs, ins)                                            \
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[fin]\n\tpopfq\n\t" insn \
                     "\n\tpushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp"         \
                     : outs                                                    \
                     : ins                                                     \
                     : "cc", "memory")

static uint64_t hash = 1469598103934665603ull;
static void mix(uint64_t v) {
    for (int i = 0; i < 8; i++) {
        hash ^= (v >> (8 * i)) & 0xff;
        hash *= 1099511628211ull;
    }
}

enum { ROT, SHIFT_SAR, SHIFT };

/* Flags the SDM defines after a shift of kind `k` at width w by raw count c. */
static uint64_t defined(int k, int w, unsigned c) {
    unsigned n = c & (w == 64 ? 63 : 31);
    uint64_t of = n == 1 ? OF : 0;
    if (n == 0)
        return ARITH;
    if (k == ROT)
        return CF | SF | ZF | AF | PF | of;
    if (k == SHIFT_SAR)
        return CF | SF | ZF | PF | of;
    return SF | ZF | PF | of | ((int)n < w ? CF : 0);
}

#define CL_FORM(name, insn, mod)                                                  \
    static uint64_t name(uint64_t v, uint64_t c, uint64_t fin, uint64_t *fo) {    \
        uint64_t f;                                                               \
        WITH_FLAGS(insn " %%cl, %" mod "[v]", [v] "+q"(v) COMMA[f] "=&r"(f),      \
                   [fin] "r"(fin) COMMA "c"(c));                                  \
        *fo = f;                                                                  \
        return v;                                                                 \
    }
#define COMMA ,

#define WIDTHS(op)                              \
    CL_FORM(op##8, #op "b", "b")                \
    CL_FORM(op##16, #op "w", "w")               \
    CL_FORM(op##32, #op "l", "k")               \
    CL_FORM(op##64, #op "q", "q")

WIDTHS(shl)
WIDTHS(shr)
WIDTHS(sar)
WIDTHS(rol)
WIDTHS(ror)
WIDTHS(rcl)
WIDTHS(rcr)

typedef uint64_t (*shift_fn)(uint64_t, uint64_t, uint64_t, uint64_t *);

static const uint64_t values[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x8000, 0x7fff, 0xffff, 0x80000000, 0x7fffffff,
    0xffffffff, 0x8000000000000000ull, 0x7fffffffffffffffull, ~0ull,
    0x0123456789abcdefull, 0xfedcba9876543210ull, 0x5555555555555555ull,
};
#define NV (sizeof values / sizeof values[0])

static void run_cl(const char *name, int kind, shift_fn fns[4]) {
    static const int widths[4] = {8, 16, 32, 64};
    for (int wi = 0; wi < 4; wi++) {
        hash = 1469598103934665603ull;
        for (unsigned i = 0; i < NV; i++)
            for (unsigned c = 0; c < 70; c++)
                for (uint64_t fin = 0; fin < 2; fin++) {
                    uint64_t in_flags = fin ? (ARITH | 0x2) : 0x2, f;
                    uint64_t r = fns[wi](values[i], c, in_flags, &f);
                    mix(r);
                    mix(f & defined(kind, widths[wi], c));
                }
        printf("%s%d cl: %016llx\n", name, widths[wi], (unsigned long long)hash);
    }
}

/* Immediate and implicit-1 forms, 32- and 64-bit, register and memory. */
#define IMM_FORMS(op, kind)                                                     \
    static void op##_imm(void) {                                                \
        hash = 1469598103934665603ull;                                          \
        for (unsigned i = 0; i < NV; i++)                                       \
            for (uint64_t fin = 0; fin < 2; fin++) {                            \
                uint64_t in_flags = fin ? (ARITH | 0x2) : 0x2, f, v;            \
                uint64_t m;                                                     \
                v = values[i];                                                  \
                WITH_FLAGS(#op "l $1, %k[v]", [v] "+r"(v) COMMA[f] "=&r"(f),    \
                           [fin] "r"(in_flags));                                \
                mix(v);                                                         \
                mix(f & defined(kind, 32, 1));                                  \
                v = values[i];                                                  \
                WITH_FLAGS(#op "q $7, %q[v]", [v] "+r"(v) COMMA[f] "=&r"(f),    \
                           [fin] "r"(in_flags));                                \
                mix(v);                                                         \
                mix(f & defined(kind, 64, 7));                                  \
                v = values[i];                                                  \
                WITH_FLAGS(#op "w $0, %w[v]", [v] "+r"(v) COMMA[f] "=&r"(f),    \
                           [fin] "r"(in_flags));                                \
                mix(v);                                                         \
                mix(f & defined(kind, 16, 0));                                  \
                m = values[i];                                                  \
                WITH_FLAGS(#op "q $63, (%[p])", [f] "=&r"(f),                   \
                           [fin] "r"(in_flags) COMMA[p] "r"(&m));               \
                mix(m);                                                         \
                mix(f & defined(kind, 64, 63));                                 \
                m = values[i];                                                  \
                WITH_FLAGS(#op "b $1, (%[p])", [f] "=&r"(f),                    \
                           [fin] "r"(in_flags) COMMA[p] "r"(&m));               \
                mix(m);                                                         \
                mix(f & defined(kind, 8, 1));                                   \
            }                                                                   \
        printf(#op " imm/mem: %016llx\n", (unsigned long long)hash);            \
    }

IMM_FORMS(shl, SHIFT)
IMM_FORMS(shr, SHIFT)
IMM_FORMS(sar, SHIFT_SAR)
IMM_FORMS(rol, ROT)
IMM_FORMS(ror, ROT)
IMM_FORMS(rcl, ROT)
IMM_FORMS(rcr, ROT)

/* SHLD/SHRD with CL, 16/32/64-bit (16-bit counts above 16 are undefined). */
#define DOUBLE(name, insn, mod)                                                  \
    static uint64_t name(uint64_t d, uint64_t s, uint64_t c, uint64_t fin,       \
                         uint64_t *fo) {                                         \
        uint64_t f;                                                              \
        WITH_FLAGS(insn " %%cl, %" mod "[s], %" mod "[d]",                       \
                   [d] "+r"(d) COMMA[f] "=&r"(f), [fin] "r"(fin) COMMA[s] "r"(s) \
                       COMMA "c"(c));                                            \
        *fo = f;                                                                 \
        return d;                                                                \
    }
DOUBLE(shld16, "shldw", "w")
DOUBLE(shld32, "shldl", "k")
DOUBLE(shld64, "shldq", "q")
DOUBLE(shrd16, "shrdw", "w")
DOUBLE(shrd32, "shrdl", "k")
DOUBLE(shrd64, "shrdq", "q")

typedef uint64_t (*double_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t *);

static void run_double(const char *name, double_fn fns[3]) {
    static const int widths[3] = {16, 32, 64};
    for (int wi = 0; wi < 3; wi++) {
        hash = 1469598103934665603ull;
        int w = widths[wi];
        for (unsigned i = 0; i < NV; i++)
            for (unsigned j = 0; j < NV; j += 3)
                for (unsigned c = 0; c < 66; c++) {
                    unsigned n = c & (w == 64 ? 63 : 31);
                    if ((int)n > w)
                        continue;
                    uint64_t f;
                    uint64_t r = fns[wi](values[i], values[j], c, 0x2 | CF, &f);
                    uint64_t mask = n == 0 ? ARITH : n == 1 ? (CF | OF | SF | ZF | PF)
                                                            : (CF | SF | ZF | PF);
                    mix(r);
                    mix(f & mask);
                }
        printf("%s%d cl: %016llx\n", name, w, (unsigned long long)hash);
    }
}

int main(void) {
    shift_fn shl[4] = {shl8, shl16, shl32, shl64}, shr[4] = {shr8, shr16, shr32, shr64},
             sar[4] = {sar8, sar16, sar32, sar64}, rol[4] = {rol8, rol16, rol32, rol64},
             ror[4] = {ror8, ror16, ror32, ror64}, rcl[4] = {rcl8, rcl16, rcl32, rcl64},
             rcr[4] = {rcr8, rcr16, rcr32, rcr64};
    run_cl("shl", SHIFT, shl);
    run_cl("shr", SHIFT, shr);
    run_cl("sar", SHIFT_SAR, sar);
    run_cl("rol", ROT, rol);
    run_cl("ror", ROT, ror);
    run_cl("rcl", ROT, rcl);
    run_cl("rcr", ROT, rcr);
    shl_imm();
    shr_imm();
    sar_imm();
    rol_imm();
    ror_imm();
    rcl_imm();
    rcr_imm();
    double_fn shld[3] = {shld16, shld32, shld64}, shrd[3] = {shrd16, shrd32, shrd64};
    run_double("shld", shld);
    run_double("shrd", shrd);
    /* A few plain values, for reading. */
    uint64_t f;
    printf("shl64(0x8000000000000001, 1) = %llx\n",
           (unsigned long long)shl64(0x8000000000000001ull, 1, 2, &f));
    printf("rcr8(0x01, 9) = %llx\n", (unsigned long long)rcr8(0x01, 9, 2 | CF, &f));
    return 0;
}
