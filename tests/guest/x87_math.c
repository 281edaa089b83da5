/* libm's long double functions (x87 code in both glibc and musl) and
 * strtold: results printed in hex for comparison between runs, exact cases
 * and identities checked. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

static int close_to(long double got, long double want, long double rel)
{
    long double d = fabsl(got - want);
    return d <= rel * fabsl(want) || d <= LDBL_MIN;
}

int main(void)
{
    static const long double xs[] = { 0.0L, -0.0L, 0.5L, 1.0L, 2.0L, 3.0L, 10.0L, -1.5L,
                                      0.1L, 100.25L, 1e-10L, 1e10L, 1e300L };
    for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        long double x = rt(xs[i]);
        printf("x=%Lg\n  sqrt %La cbrt %La exp %La exp2 %La expm1 %La\n", x, sqrtl(x), cbrtl(x),
               expl(x), exp2l(x), expm1l(x));
        printf("  log %La log2 %La log10 %La log1p %La\n", logl(x), log2l(x), log10l(x),
               log1pl(x));
        printf("  sin %La cos %La tan %La atan %La\n", sinl(x), cosl(x), tanl(x), atanl(x));
        printf("  asin %La acos %La sinh %La tanh %La\n", asinl(x), acosl(x), sinhl(x), tanhl(x));
        printf("  pow(x,1.5) %La atan2(x,3) %La hypot(x,4) %La fmod(x,0.7) %La rem(x,0.7) %La\n",
               powl(x, 1.5L), atan2l(x, 3.0L), hypotl(x, 4.0L), fmodl(x, 0.7L),
               remainderl(x, 0.7L));
        int e;
        long double ip, fr = frexpl(x, &e), mf = modfl(x, &ip);
        printf("  frexp %La,%d ldexp %La modf %La,%La floor %La ceil %La round %La trunc %La\n",
               fr, e, ldexpl(x, 100), mf, ip, floorl(x), ceill(x), roundl(x), truncl(x));
    }

    /* Exact results. */
    CHECK(sqrtl(rt(4.0L)) == 2.0L);
    CHECK(sqrtl(rt(2.0L)) * sqrtl(rt(2.0L)) - 2.0L < 1e-18L);
    CHECK(fmodl(rt(10.0L), rt(3.0L)) == 1.0L);
    CHECK(fmodl(rt(-10.0L), rt(3.0L)) == -1.0L);
    CHECK(fmodl(rt(1e4000L), rt(3.0L)) >= 0.0L);
    CHECK(remainderl(rt(10.0L), rt(3.0L)) == 1.0L);
    CHECK(remainderl(rt(11.0L), rt(3.0L)) == -1.0L);
    CHECK(ldexpl(rt(1.0L), 16383) == 0x1p16383L);
    CHECK(scalbnl(rt(3.0L), -2) == 0.75L);
    CHECK(logbl(rt(1024.0L)) == 10.0L);
    CHECK(ilogbl(rt(0.1L)) == -4);
    CHECK(floorl(rt(-2.5L)) == -3.0L && ceill(rt(-2.5L)) == -2.0L);
    CHECK(roundl(rt(2.5L)) == 3.0L && truncl(rt(-2.7L)) == -2.0L);
    CHECK(expl(rt(0.0L)) == 1.0L && logl(rt(1.0L)) == 0.0L);
    CHECK(exp2l(rt(10.0L)) == 1024.0L && log2l(rt(1024.0L)) == 10.0L);
    CHECK(powl(rt(2.0L), rt(0.5L)) == sqrtl(rt(2.0L)));
    CHECK(powl(rt(3.0L), rt(4.0L)) == 81.0L);
    int e;
    CHECK(frexpl(rt(48.0L), &e) == 0.75L && e == 6);

    /* Identities, to 1e-17 relative. */
    const long double PI = 3.141592653589793238462643383279502884L;
    CHECK(close_to(atan2l(rt(1.0L), rt(1.0L)) * 4, PI, 1e-18L));
    CHECK(close_to(acosl(rt(-1.0L)), PI, 1e-18L));
    CHECK(close_to(sinl(rt(PI / 6)), 0.5L, 1e-17L));
    CHECK(close_to(expl(logl(rt(7.0L))), 7.0L, 1e-17L));
    CHECK(close_to(log10l(rt(1e100L)), 100.0L, 1e-18L));
    CHECK(close_to(tanl(rt(PI / 4)), 1.0L, 1e-17L));
    CHECK(close_to(cbrtl(rt(27.0L)), 3.0L, 1e-18L));
    CHECK(close_to(hypotl(rt(3.0L), rt(4.0L)), 5.0L, 1e-18L));

    /* strtold and printf round trips. */
    static const char *strs[] = { "0.1", "-1e4931", "1e-4950", "3.141592653589793238462643383",
                                  "0x1.fffffffffffffffep16383", "inf", "-nan", "12345678901234567890",
                                  "1.18973149535723176502e+4932", "1e5000", "4.9e-4951" };
    for (unsigned i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        char *end;
        long double v = strtold(strs[i], &end);
        char buf[64];
        snprintf(buf, sizeof buf, "%.21Lg", v);
        long double back = strtold(buf, NULL);
        printf("strtold(%s) = %La = %s, consumed %d\n", strs[i], v, buf, (int)(end - strs[i]));
        CHECK(*end == 0);
        CHECK(isnan(v) || memcmp(&back, &v, 10) == 0);
    }
    CHECK(strtold("0.1", NULL) == 0.1L);
    CHECK(strtold("0x1p-16445", NULL) == 0x1p-16445L);

    printf("%s\n", failures ? "x87_math: FAILED" : "x87_math: ok");
    return failures != 0;
}
