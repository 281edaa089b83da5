/* long double comparisons and classification: the C operators (FUCOMIP and
 * friends), the classification macros, and the x87 compare instructions
 * directly (FCOM/FUCOM/FICOM + FNSTSW, FCOMI flags, FTST, FXAM), over a
 * table with zeros, denormals, infinities and NaNs. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int failures;

#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            printf("FAIL line %d: %s\n", __LINE__, #cond);            \
            failures++;                                               \
        }                                                             \
    } while (0)

static volatile long double vals[] = {
    0.0L, -0.0L, 1.0L, -1.0L, 0.5L, 1e-4940L, -1e-4940L, LDBL_MAX, -LDBL_MAX,
    LDBL_MIN, 3.0L, 1.0L + LDBL_EPSILON, INFINITY, -INFINITY, NAN, -NAN,
};
#define N (sizeof vals / sizeof vals[0])

/* C0, C2, C3 (and C1) after `insn` comparing ST(0) = a with ST(1) = b. */
static unsigned fcom_cc(long double a, long double b)
{
    unsigned short sw;
    __asm__ volatile("fcom %%st(1)\n\tfnstsw %0" : "=m"(sw) : "t"(a), "u"(b));
    return sw & 0x4700;
}

static unsigned fucompp_cc(long double a, long double b)
{
    unsigned short sw;
    __asm__ volatile("fucompp\n\tfnstsw %0" : "=m"(sw) : "t"(a), "u"(b) : "st", "st(1)");
    return sw & 0x4700;
}

static unsigned ficom_cc(long double a, int i)
{
    unsigned short sw;
    __asm__ volatile("ficoml %1\n\tfnstsw %0" : "=m"(sw) : "m"(i), "t"(a));
    return sw & 0x4700;
}

/* ZF, PF, CF (and the cleared OF, SF, AF) after FCOMI. */
static unsigned fcomi_flags(long double a, long double b, int unordered)
{
    unsigned long fl;
    if (unordered)
        __asm__ volatile("stc\n\tfucomi %%st(1), %%st\n\tpushfq\n\tpopq %0" : "=r"(fl) : "t"(a), "u"(b));
    else
        __asm__ volatile("stc\n\tfcomi %%st(1), %%st\n\tpushfq\n\tpopq %0" : "=r"(fl) : "t"(a), "u"(b));
    return fl & 0x8d5;
}

static unsigned fxam_cc(long double a)
{
    unsigned short sw;
    __asm__ volatile("fxam\n\tfnstsw %0" : "=m"(sw) : "t"(a));
    return sw & 0x4700;
}

static unsigned ftst_cc(long double a)
{
    unsigned short sw;
    __asm__ volatile("ftst\n\tfnstsw %0" : "=m"(sw) : "t"(a));
    return sw & 0x4700;
}

static unsigned fxam_empty(void)
{
    unsigned short sw;
    __asm__ volatile("ffree %%st(7)\n\tfdecstp\n\tfxam\n\tfnstsw %0\n\tfincstp" : "=m"(sw));
    return sw & 0x4500;
}

static int cmp_ld(const void *a, const void *b)
{
    long double x = *(const long double *)a, y = *(const long double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    for (unsigned i = 0; i < N; i++) {
        long double a = vals[i];
        printf("%2u %-12Lg cls=%d inf=%d nan=%d fin=%d nrm=%d sgn=%d fxam=%04x ftst=%04x\n", i,
               a, fpclassify(a), isinf(a), isnan(a), isfinite(a), isnormal(a), !!signbit(a),
               fxam_cc(a), ftst_cc(a));
        for (unsigned j = 0; j < N; j++) {
            long double b = vals[j];
            int lt = a < b, le = a <= b, gt = a > b, ge = a >= b, eq = a == b, ne = a != b;
            int un = isunordered(a, b);
            printf("   %2u: %d%d%d%d%d%d%d %d%d%d fcom=%04x fucompp=%04x fcomi=%03x fucomi=%03x\n",
                   j, lt, le, gt, ge, eq, ne, un, isless(a, b), isgreaterequal(a, b),
                   islessgreater(a, b), fcom_cc(a, b), fucompp_cc(a, b), fcomi_flags(a, b, 0),
                   fcomi_flags(a, b, 1));
            /* Consistency the C standard requires. */
            CHECK(un == (isnan(a) || isnan(b)));
            CHECK(eq == (!un && !lt && !gt));
            CHECK(ne == !eq);
            CHECK(le == (lt || eq));
            CHECK(ge == (gt || eq));
            /* The SDM's encodings: > 000, < C0, = C3, unordered C3 C2 C0. */
            unsigned want = un ? 0x4500 : lt ? 0x0100 : eq ? 0x4000 : 0;
            CHECK(fcom_cc(a, b) == want);
            CHECK(fucompp_cc(a, b) == want);
            unsigned wantf = un ? 0x45 : lt ? 0x01 : eq ? 0x40 : 0;
            CHECK(fcomi_flags(a, b, 0) == wantf);
            CHECK(fcomi_flags(a, b, 1) == wantf);
        }
    }
    CHECK(ficom_cc(2.0L, 3) == 0x0100);
    CHECK(ficom_cc(3.0L, 3) == 0x4000);
    CHECK(ficom_cc(-3.5L, -4) == 0);
    CHECK(fxam_cc(0.0L) == 0x4000);
    CHECK(fxam_cc(-0.0L) == 0x4200);
    CHECK(fxam_cc(1.0L) == 0x0400);
    CHECK(fxam_cc(-INFINITY) == 0x0700);
    CHECK(fxam_cc(NAN) == 0x0100);
    CHECK(fxam_cc(1e-4940L) == 0x4400);
    CHECK(fxam_empty() == 0x4100);
    printf("fxam(empty) %04x\n", fxam_empty());

    long double sorted[N - 2];
    for (unsigned i = 0; i < N - 2; i++)
        sorted[i] = vals[i];
    qsort(sorted, N - 2, sizeof sorted[0], cmp_ld);
    for (unsigned i = 0; i < N - 2; i++)
        printf("%Lg ", sorted[i]);
    printf("\n");
    for (unsigned i = 1; i < N - 2; i++)
        CHECK(sorted[i - 1] <= sorted[i]);
    printf("fmaxl %Lg fminl %Lg fmaxl(nan,1) %Lg\n", fmaxl(vals[2], vals[3]),
           fminl(vals[2], vals[3]), fmaxl(vals[14], vals[2]));

    printf("%s\n", failures ? "x87_compare: FAILED" : "x87_compare: ok");
    return failures != 0;
}
