/* long double through printf: every conversion, precision and flag, on
 * zeros, ordinary and awkward values, extremes, denormals, infinities and
 * NaNs; plus doubles and floats, which some libcs format via long double.
 * Self-checks the cases whose text is fixed by C. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void expect(const char *got, const char *want, const char *what)
{
    if (strcmp(got, want) != 0) {
        printf("FAIL %s: got \"%s\" want \"%s\"\n", what, got, want);
        failures++;
    }
}

int main(void)
{
    static volatile long double vals[] = {
        0.0L, -0.0L, 1.0L, -1.0L, 0.5L, 0.1L, 1.0L / 3.0L, 2.0L / 3.0L,
        3.14159265358979323846264338327950288L, 2.718281828459045235360287L,
        123456789.0L, 1e20L, 1e-20L, 9.999999999999999999e99L, 1.5e300L, 1e4000L,
        1e-4000L, 0.000123456789L, 65536.0L, 18446744073709551615.0L, 0.125L,
        LDBL_MAX, LDBL_MIN, LDBL_EPSILON, DBL_MAX, DBL_MIN, FLT_MAX,
        1e308L * 10.0L, 5e-324L, 2.5L, 3.5L, -2.5L, 0.45L, 1.005L,
    };
    static const char *fmts[] = {
        "%Lf", "%.0Lf", "%.1Lf", "%.3Lf", "%.20Lf", "%Le", "%.0Le", "%.10Le",
        "%.25Le", "%Lg", "%.3Lg", "%.18Lg", "%.21Lg", "%#Lg", "%+Lf", "% Le",
        "%20.5Lf", "%-20.5Lf|", "%020.5Lf", "%La", "%.3La", "%LA",
    };
    char buf[8192];
    unsigned n = sizeof vals / sizeof vals[0];

    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = 0; j < sizeof fmts / sizeof fmts[0]; j++) {
            /* %.20Lf of 1e4000 prints 4000 digits: fine, but keep lines short. */
            snprintf(buf, sizeof buf, fmts[j], vals[i]);
            if (strlen(buf) > 120)
                printf("%u %s len=%zu head=%.40s\n", i, fmts[j], strlen(buf), buf);
            else
                printf("%u %s %s\n", i, fmts[j], buf);
        }
    }

    volatile long double inf = INFINITY, nan_ = NAN, zero = 0.0L;
    long double specials[] = { inf, -inf, nan_, -nan_, zero / zero };
    for (unsigned i = 0; i < 5; i++)
        printf("special %u: %Lf %Le %Lg %La\n", i, specials[i], specials[i], specials[i],
               specials[i]);

    /* Doubles and floats too. */
    volatile double d[] = { 0.1, 1.0 / 3.0, 1e300, 5e-324, -0.0, 123.456, 1e15, 0.5 };
    for (unsigned i = 0; i < sizeof d / sizeof d[0]; i++)
        printf("double %u: %f %.17g %e %a\n", i, d[i], d[i], d[i], d[i]);
    volatile float f = 1.1f;
    printf("float: %f %.9g %a\n", f, f, f);

    /* Fixed by C: exact decimal expansions and rounding to even. */
    volatile long double one = 1.0L, three = 3.0L, half = 0.5L;
    snprintf(buf, sizeof buf, "%.25Lf", one / 1024.0L);
    expect(buf, "0.0009765625000000000000000", "1/1024");
    snprintf(buf, sizeof buf, "%.0Lf %.0Lf %.0Lf", half, three * half, -2.5L * one);
    expect(buf, "0 2 -2", "round half even");
    snprintf(buf, sizeof buf, "%.20Lf", one / three);
    expect(buf, "0.33333333333333333334", "1/3");
    snprintf(buf, sizeof buf, "%Lf %Lf", inf, -inf);
    expect(buf, "inf -inf", "infinities");
    snprintf(buf, sizeof buf, "%.3Le", 12345.0L * one);
    expect(buf, "1.234e+04", "e format");
    snprintf(buf, sizeof buf, "%Lg", 100000.0L * one);
    expect(buf, "100000", "g format");
    snprintf(buf, sizeof buf, "%Lg", 1000000.0L * one);
    expect(buf, "1e+06", "g format exponent");
    snprintf(buf, sizeof buf, "%.30Lf", LDBL_MIN);
    expect(buf, "0.000000000000000000000000000000", "LDBL_MIN fixed");
    snprintf(buf, sizeof buf, "%.0Lf", 18446744073709551615.0L * one);
    expect(buf, "18446744073709551615", "2^64-1");

    printf("%s\n", failures ? "x87_printf: FAILED" : "x87_printf: ok");
    return failures != 0;
}
