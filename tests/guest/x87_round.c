/* Rounding and precision control: fesetround with long double arithmetic,
 * conversions and rintl/lrintl/llrintl/nearbyintl; the x87 precision
 * control field (via FLDCW); exception flags raised by long double work. */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            printf("FAIL line %d: %s\n", __LINE__, #cond);            \
            failures++;                                               \
        }                                                             \
    } while (0)

static long double rt(long double v)
{
    volatile long double x = v;
    return x;
}

static void hex(const char *what, long double v)
{
    unsigned char b[10];
    memcpy(b, &v, 10);
    printf(" %s=%02x%02x:", what, b[9], b[8]);
    for (int i = 7; i >= 0; i--)
        printf("%02x", b[i]);
}

static unsigned short get_cw(void)
{
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

static void set_cw(unsigned short cw)
{
    __asm__ volatile("fldcw %0" : : "m"(cw));
}

static const struct {
    int mode;
    const char *name;
} modes[] = {
    { FE_TONEAREST, "nearest" },
    { FE_DOWNWARD, "down" },
    { FE_UPWARD, "up" },
    { FE_TOWARDZERO, "zero" },
};

int main(void)
{
    static const long double ties[] = { 0.5L, 1.5L, 2.5L, -0.5L, -1.5L, -2.5L, 2.4L, -2.6L, 1e20L };
    for (unsigned m = 0; m < 4; m++) {
        CHECK(fesetround(modes[m].mode) == 0);
        CHECK(fegetround() == modes[m].mode);
        printf("%s: cw=%04x", modes[m].name, get_cw());
        hex("1/3", rt(1.0L) / rt(3.0L));
        hex("-1/3", rt(-1.0L) / rt(3.0L));
        hex("2/3", rt(2.0L) / rt(3.0L));
        hex("sqrt2", sqrtl(rt(2.0L)));
        printf("\n ");
        double d = (double)(rt(1.0L) / rt(3.0L));
        float f = (float)(rt(-1.0L) / rt(3.0L));
        printf(" (double)1/3=%a (float)-1/3=%a", d, f);
        printf(" 1e4000->double=%a", (double)rt(1e4000L));
        printf(" huge*huge=%Lg\n ", rt(1e4000L) * rt(1e4000L));
        for (unsigned k = 0; k < sizeof ties / sizeof ties[0]; k++) {
            long double x = rt(ties[k]);
            printf(" %Lg:%Lg/%Lg/%ld/%lld", x, rintl(x), nearbyintl(x), lrintl(x), llrintl(x));
        }
        printf("\n  printf rounding: %.2Lf %.2Lf %.0Lf\n", rt(2.675L), rt(-2.675L), rt(0.5L));
    }
    fesetround(FE_TONEAREST);

    /* Directed rounding brackets the exact quotient. */
    fesetround(FE_DOWNWARD);
    long double lo = rt(1.0L) / rt(3.0L);
    fesetround(FE_UPWARD);
    long double hi = rt(1.0L) / rt(3.0L);
    fesetround(FE_TONEAREST);
    CHECK(lo < hi);
    CHECK(hi - lo == 0x1p-65L);
    CHECK(lrintl(rt(2.5L)) == 2 && lrintl(rt(3.5L)) == 4);
    fesetround(FE_DOWNWARD);
    CHECK(lrintl(rt(-2.5L)) == -3 && llrintl(rt(2.9L)) == 2);
    fesetround(FE_TONEAREST);

    /* Precision control: 24 and 53 bits of significand. */
    unsigned short cw = get_cw();
    CHECK(cw == 0x037f);
    long double r64 = rt(1.0L) / rt(3.0L);
    set_cw((cw & ~0x300) | 0x000);
    long double r24 = rt(1.0L) / rt(3.0L);
    set_cw((cw & ~0x300) | 0x200);
    long double r53 = rt(1.0L) / rt(3.0L);
    set_cw(cw);
    hex("pc64", r64);
    hex("pc24", r24);
    hex("pc53", r53);
    printf("\n");
    CHECK(r24 == (long double)(1.0f / 3.0f));
    CHECK(r53 == (long double)(1.0 / 3.0));
    CHECK(r64 != r53);

    /* Exception flags from long double operations. */
    feclearexcept(FE_ALL_EXCEPT);
    volatile long double z = rt(1.0L) / rt(0.0L);
    printf("1/0=%Lg divbyzero=%d\n", z, !!fetestexcept(FE_DIVBYZERO));
    CHECK(fetestexcept(FE_ALL_EXCEPT) == FE_DIVBYZERO);
    feclearexcept(FE_ALL_EXCEPT);
    z = rt(0.0L) / rt(0.0L);
    CHECK(fetestexcept(FE_ALL_EXCEPT) == FE_INVALID);
    feclearexcept(FE_ALL_EXCEPT);
    z = rt(1.0L) / rt(3.0L);
    CHECK(fetestexcept(FE_ALL_EXCEPT) == FE_INEXACT);
    feclearexcept(FE_ALL_EXCEPT);
    z = rt(0x1p16000L) * rt(0x1p16000L);
    CHECK(fetestexcept(FE_OVERFLOW | FE_INEXACT) == (FE_OVERFLOW | FE_INEXACT));
    feclearexcept(FE_ALL_EXCEPT);
    z = rt(0x1p-16000L) * rt(0x1p-16000L);
    CHECK(fetestexcept(FE_UNDERFLOW | FE_INEXACT) == (FE_UNDERFLOW | FE_INEXACT));
    feclearexcept(FE_ALL_EXCEPT);
    z = rt(4.0L) * rt(0.25L);
    CHECK(fetestexcept(FE_ALL_EXCEPT) == 0);

    /* fegetenv/fesetenv carry the rounding mode. */
    fenv_t env;
    fesetround(FE_UPWARD);
    fegetenv(&env);
    fesetround(FE_TONEAREST);
    fesetenv(&env);
    CHECK(fegetround() == FE_UPWARD);
    fesetenv(FE_DFL_ENV);
    CHECK(fegetround() == FE_TONEAREST);
    CHECK(get_cw() == 0x037f);

    /* FLDCW keeps what the FPU keeps of a word (reserved bits too), each
       time it is loaded; with a flag pending, unmasking it sets ES and B. */
    static const unsigned short words[] = { 0x0000, 0x1234, 0xffff, 0x0c7f, 0x037b };
    for (unsigned k = 0; k < 2 * sizeof words / sizeof words[0]; k++) {
        set_cw(words[k % 5]);
        printf(" %04x->%04x", words[k % 5], get_cw());
        set_cw(0x037f);
    }
    printf("\n");
    /* Switching between words as CPython does around double work (0x027f:
       53-bit precision, back to 0x037f) and as conversions do (0x0f7f:
       toward zero): each load takes effect, the first time and again. */
    static const unsigned short cycle[] = { 0x027f, 0x037f, 0x0f7f, 0x037f };
    for (unsigned k = 0; k < 3 * sizeof cycle / sizeof cycle[0]; k++) {
        set_cw(cycle[k % 4]);
        z = rt(2.0L) / rt(3.0L);
        __asm__ volatile("fnclex");
        hex("2/3", z);
        printf(" cw=%04x", get_cw());
    }
    printf("\n");
    set_cw(0x037f);
    set_cw(0x037b);
    __asm__ volatile("fninit"); /* all masked again, not through FLDCW */
    z = rt(1.0L) / rt(0.0L);
    set_cw(0x037b); /* the same word, now with ZE set: pending */
    unsigned short sw;
    __asm__ volatile("fnstsw %0" : "=m"(sw));
    printf("zero-divide pending: sw=%04x cw=%04x\n", sw & 0xb8ff, get_cw());
    __asm__ volatile("fnclex");
    set_cw(0x037f);
    __asm__ volatile("fnstsw %0" : "=m"(sw));
    printf("cleared: sw=%04x\n", sw & 0xb8ff);

    printf("%s\n", failures ? "x87_round: FAILED" : "x87_round: ok");
    return failures != 0;
}
