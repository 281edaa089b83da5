/* Floating point through SSE2 and libm: arithmetic, comparisons with NaN and signed zeros,
 * sqrt fabs floor ceil round trunc fmod remainder frexp ldexp modf copysign fmin fmax,
 * exactly rounded results printed bit-exactly; other results (hypot exp log pow sin cos tan
 * atan2 cbrt) printed to 12 significant digits, as libm variants may differ in the last bit. */
#include "check.h"
#include <float.h>
#include <math.h>

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

int main(void)
{
    static const double v[] = { 0.0, -0.0, 0.5, -0.5, 1.0, 1.5, -2.5, 3.0, 7.25, 1e10, -1e-10, 123.456, 1e300, 4.9e-324,
                                2.2250738585072014e-308, M_PI, -M_E, 0.1, 1.0 / 3.0, 1e16 + 1, 9007199254740993.0 };
    const unsigned n = sizeof(v) / sizeof(v[0]);
    for (unsigned i = 0; i < n; i++) {
        double x = v[i];
        printf("x=%a sqrt %a fabs %a floor %a ceil %a round %a trunc %a rint %a nearbyint %a\n", x, sqrt(fabs(x)), fabs(x),
               floor(x), ceil(x), round(x), trunc(x), rint(x), nearbyint(x));
        int e;
        double ip, fr = frexp(x, &e);
        double mf = modf(x, &ip);
        printf("   frexp %a,%d ldexp %a modf %a,%a copysign %a logb %a ilogb %d\n", fr, e, ldexp(x, -3), mf, ip,
               copysign(2.0, x), x != 0 ? logb(x) : 0.0, x != 0 ? ilogb(x) : 0);
        CHECK(ldexp(fr, e) == x);
        CHECK_EQ(bits_of(sqrt(x * x) ), bits_of(fabs(x * x) == INFINITY ? INFINITY : sqrt(x * x)));
        for (unsigned j = 0; j < n; j += 3) {
            double y = v[j];
            printf("   y=%a + %a - %a * %a / %a fmod %a rem %a fmin %a fmax %a hypot %.12g cmp %d%d%d%d\n", y, x + y,
                   x - y, x * y, y != 0 ? x / y : 0.0, y != 0 ? fmod(x, y) : 0.0, y != 0 ? remainder(x, y) : 0.0,
                   fmin(x, y), fmax(x, y), hypot(x, y), x < y, x <= y, x == y, isless(x, y));
            hash_u64(bits_of(x * y) ^ bits_of(x + y));
        }
        if (x > 0 && x < 1e200) {
            printf("   exp %.12g log %.12g log10 %.12g log2 %.12g pow %.12g cbrt %.12g\n", exp(x / 1e8 > 700 ? 1 : x),
                   log(x), log10(x), log2(x), pow(x, 0.37), cbrt(x));
            printf("   sin %.12g cos %.12g tan %.12g atan %.12g atan2 %.12g tanh %.12g\n", sin(fmod(x, 1000)),
                   cos(fmod(x, 1000)), tan(fmod(x, 10)), atan(x), atan2(x, -1.5), tanh(x / 100));
        }
    }

    /* NaN and infinity behaviour */
    volatile double zero = 0.0;
    double nan = zero / zero, inf = 1.0 / zero;
    CHECK(nan != nan);
    CHECK(!(nan < 1.0) && !(nan > 1.0) && !(nan == 1.0));
    CHECK(isnan(nan) && isinf(inf) && !isfinite(inf) && isfinite(1.0));
    CHECK(inf - inf != inf - inf);
    CHECK(signbit(-0.0) && !signbit(0.0));
    CHECK(1.0 / -0.0 == -inf);
    CHECK(fpclassify(4.9e-324) == FP_SUBNORMAL && fpclassify(1.0) == FP_NORMAL && fpclassify(0.0) == FP_ZERO);
    printf("specials: %f %f %f %d %d %d\n", nan, inf, -inf, isunordered(nan, 1.0), isgreater(inf, 1e308), islessgreater(1.0, 2.0));

    /* Accumulation in float and double */
    float fs = 0;
    double ds = 0;
    for (int i = 1; i <= 100000; i++) {
        fs += 1.0f / (float)i;
        ds += 1.0 / (double)i;
    }
    printf("harmonic: float %a double %a\n", fs, ds);
    double pi = 0;
    for (int k = 0; k < 200000; k++)
        pi += (k & 1 ? -4.0 : 4.0) / (2 * k + 1);
    printf("leibniz pi %a (%.10f)\n", pi, pi);
    double x = 1.0;
    for (int i = 0; i < 60; i++)
        x = x - (x * x - 2.0) / (2.0 * x);
    CHECK(fabs(x - sqrt(2.0)) < 1e-15);
    printf("newton sqrt2 %a\n", x);
    float f = 1.1f, g = 3.3f;
    printf("floats: %a %a %a %a %a\n", f + g, f * g, g / f, sqrtf(g), fmaf(f, g, -3.63f));
    return check_done("double_math");
}
