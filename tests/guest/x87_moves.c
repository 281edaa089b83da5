/* x87 moves and loads that ox86 does without the host FPU when it can
 * (FXCH, FLD/FST/FSTP ST(i), FLDZ, FLD1, FILD m16/m32/m64, FLD m32/m64),
 * each from a state where an inexact FST m32 left C1 and PE set, and the
 * cases that stay on the host: stack overflow and underflow, denormal and
 * NaN sources. After each, FNSAVE shows the status word (C0, C2 and C3
 * masked off: the SDM leaves them undefined for these instructions), the
 * tag word and every register in use. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define X87_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)", "memory"

/* C1, TOP, ES, SF, the exception flags and B. */
#define DEFINED_SW 0xba7f

struct fsave {
    uint16_t cw, r0, sw, r1, tw, r2;
    uint32_t ip, op, dp, ds;
    unsigned char st[8][10];
};

static void show(const char *what, const struct fsave *s)
{
    printf("%-16s sw=%04x tw=%04x", what, s->sw & DEFINED_SW, s->tw);
    for (int i = 0; i < 8; i++) {
        int phys = (i + (s->sw >> 11)) & 7;
        if (((s->tw >> (2 * phys)) & 3) == 3)
            continue;
        printf(" st%d=%02x%02x:", i, s->st[i][9], s->st[i][8]);
        for (int b = 7; b >= 0; b--)
            printf("%02x", s->st[i][b]);
    }
    printf("\n");
}

/* Runs `body` after FNINIT, two pushes (1, pi) and an FST m32 of pi that
 * rounds up; FNSAVE at the end. `src` is the body's memory operand. */
#define CASE(name, body, src)                                                        \
    do {                                                                             \
        struct fsave s;                                                              \
        float scratch;                                                               \
        __asm__ volatile("fninit\n\tfld1\n\tfldpi\n\tfsts %[scratch]\n\t" body "\n\t" \
                         "fnsave %[s]"                                               \
                         : [s] "=m"(s), [scratch] "=m"(scratch)                      \
                         : [in] "m"(src)                                             \
                         : X87_CLOBBERS);                                            \
        show(name, &s);                                                              \
    } while (0)

int main(void)
{
    int none = 0;
    CASE("after fst m32", "", none);
    CASE("fld1", "fld1", none);
    CASE("fldz", "fldz", none);
    CASE("fxch st1", "fxch %%st(1)", none);
    CASE("fxch st2 empty", "fxch %%st(2)", none);
    CASE("fld st1", "fld %%st(1)", none);
    CASE("fld st3 empty", "fld %%st(3)", none);
    CASE("fst st2", "fst %%st(2)", none);
    CASE("fstp st1", "fstp %%st(1)", none);
    CASE("fstp st0", "fstp %%st(0)", none);
    CASE("full stack fld1", "fld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1", none);
    CASE("full stack fldz", "fld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfldz", none);
    CASE("full fld st3", "fld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld %%st(3)", none);

    static const int16_t i16[] = { 0, 1, -1, 32767, -32768 };
    for (unsigned k = 0; k < sizeof i16 / sizeof i16[0]; k++)
        CASE("fild m16", "filds %[in]", i16[k]);
    static const int32_t i32[] = { 0, 7, -7, INT32_MAX, INT32_MIN };
    for (unsigned k = 0; k < sizeof i32 / sizeof i32[0]; k++)
        CASE("fild m32", "fildl %[in]", i32[k]);
    static const int64_t i64[] = { 0, 12345, -12345, INT64_MAX, INT64_MIN, 1LL << 53 | 1 };
    for (unsigned k = 0; k < sizeof i64 / sizeof i64[0]; k++)
        CASE("fild m64", "fildll %[in]", i64[k]);

    static const uint32_t f32[] = {
        0x3fc00000, 0xbf800001, 0x00000000, 0x80000000, 0x7f800000, 0xff800000,
        0x00800000, 0x7f7fffff, 0x00000001, 0x807fffff, 0x7fc00000, 0x7f800001,
    };
    for (unsigned k = 0; k < sizeof f32 / sizeof f32[0]; k++)
        CASE("fld m32", "flds %[in]", f32[k]);
    static const uint64_t f64[] = {
        0x3ff8000000000000, 0xbff0000000000001, 0, 0x8000000000000000,
        0x7ff0000000000000, 0xfff0000000000000, 0x0010000000000000, 0x7fefffffffffffff,
        0x0000000000000001, 0x800fffffffffffff, 0x7ff8000000000000, 0x7ff0000000000001,
    };
    for (unsigned k = 0; k < sizeof f64 / sizeof f64[0]; k++)
        CASE("fld m64", "fldl %[in]", f64[k]);
    return 0;
}
