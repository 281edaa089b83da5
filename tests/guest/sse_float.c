/* Scalar float and double as gcc compiles them (SSE/SSE2): arithmetic,
 * libm, conversions to and from integers, under each rounding mode of
 * fesetround, with the exception flags fetestexcept reports; printf and
 * strtod round trips. Every result is printed exactly (%a) and hashed. */
#include "check.h"

#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

/* Values the compiler cannot fold: read through a volatile. */
static volatile double vd[] = {
    0.0,      -0.0,   1.0,     -1.0,    0.5,     1.5,     2.5,     -2.5,
    3.0,      0.1,    1e10,    -1e-10,  1e300,   -1e300,  1e-310,  -4.9e-324,
    DBL_MAX,  DBL_MIN, 3.141592653589793, 2.718281828459045, 1e15 + 0.5, -7.75,
    123456789.987654321, 4294967295.5, -2147483648.5, 9.2233720368547758e18,
    INFINITY, -INFINITY, NAN,
};
#define N_D (sizeof vd / sizeof vd[0])

static volatile float vf[] = {
    0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 1.5f, 2.5f, -3.5f, 0.1f, 1e10f, -1e-10f,
    1e38f, 1e-40f, FLT_MAX, FLT_MIN, 3.1415927f, 16777217.0f, -2147483648.0f,
    INFINITY, NAN,
};
#define N_F (sizeof vf / sizeof vf[0])

static void out_d(const char *what, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    /* A NaN's sign and payload are what the hardware made: print them. */
    printf("%s %a %016llx\n", what, v, (unsigned long long)bits);
    hash_u64(bits);
}

static void out_f(const char *what, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    printf("%s %a %08x\n", what, (double)v, bits);
    hash_u64(bits);
}

static void out_i(const char *what, long long v)
{
    printf("%s %lld\n", what, v);
    hash_u64((uint64_t)v);
}

static const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
static const char *const mode_names[] = {"near", "down", "up", "zero"};

static void flags(const char *what)
{
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("%s flags%s%s%s%s%s\n", what, f & FE_INVALID ? " invalid" : "",
           f & FE_DIVBYZERO ? " divbyzero" : "", f & FE_OVERFLOW ? " overflow" : "",
           f & FE_UNDERFLOW ? " underflow" : "", f & FE_INEXACT ? " inexact" : "");
    hash_u64((uint64_t)f);
    feclearexcept(FE_ALL_EXCEPT);
}

static void double_arithmetic(const char *m)
{
    char name[64];
    for (unsigned i = 0; i < N_D; i++) {
        for (unsigned j = i % 3; j < N_D; j += 5) {
            double a = vd[i], b = vd[j];
            snprintf(name, sizeof name, "%s d%u,%u", m, i, j);
            printf("%s:\n", name);
            out_d(" +", a + b);
            out_d(" -", a - b);
            out_d(" *", a * b);
            out_d(" /", a / b);
            flags(" ");
            printf(" cmp %d%d%d%d%d%d\n", a < b, a <= b, a == b, a != b, a > b, a >= b);
            hash_u64((a < b) | (a == b) << 1 | (a > b) << 2 | isunordered(a, b) << 3);
        }
        out_d(" sqrt", sqrt(vd[i]));
        out_d(" fabs", fabs(vd[i]));
        out_d(" neg", -vd[i]);
        out_f(" (float)", (float)vd[i]);
        flags(" ");
    }
}

static void float_arithmetic(const char *m)
{
    char name[64];
    for (unsigned i = 0; i < N_F; i++) {
        for (unsigned j = i % 2; j < N_F; j += 3) {
            float a = vf[i], b = vf[j];
            snprintf(name, sizeof name, "%s f%u,%u", m, i, j);
            printf("%s:\n", name);
            out_f(" +", a + b);
            out_f(" -", a - b);
            out_f(" *", a * b);
            out_f(" /", a / b);
            flags(" ");
        }
        out_f(" sqrtf", sqrtf(vf[i]));
        out_d(" (double)", (double)vf[i]);
        flags(" ");
    }
}

/* Conversions whose results are defined for every input used. */
static void conversions(const char *m)
{
    char name[64];
    for (unsigned i = 0; i < N_D; i++) {
        double d = vd[i];
        snprintf(name, sizeof name, "%s cvt d%u", m, i);
        printf("%s:\n", name);
        if (fabs(d) < 2e9) {
            out_i(" (int)", (int)d);
            out_i(" lrint", lrint(d));
        }
        if (fabs(d) < 9e18) {
            out_i(" (long)", (long)d);
            out_i(" llrint", llrint(d));
        }
        if (d >= 0 && d < 1.8e19)
            out_i(" (unsigned long)", (long long)(unsigned long)d);
        if (d >= 0 && d < 4e9)
            out_i(" (unsigned)", (unsigned)d);
        out_d(" rint", rint(d));
        out_d(" nearbyint", nearbyint(d));
        out_d(" floor", floor(d));
        out_d(" ceil", ceil(d));
        out_d(" trunc", trunc(d));
        out_d(" round", round(d));
        flags(" ");
    }
    static const long long ints[] = {0, 1, -1, 3, 16777217, -16777217, 2147483647, -2147483648LL,
                                     9007199254740993LL, -9007199254740993LL,
                                     9223372036854775807LL, (-9223372036854775807LL - 1)};
    for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        volatile long long v = ints[i];
        volatile unsigned long long u = (unsigned long long)ints[i];
        snprintf(name, sizeof name, "%s cvt i%u", m, i);
        printf("%s:\n", name);
        out_d(" (double)ll", (double)v);
        out_f(" (float)ll", (float)v);
        out_d(" (double)ull", (double)u);
        out_f(" (float)ull", (float)u);
        out_d(" (double)int", (double)(int)v);
        out_f(" (float)int", (float)(int)v);
        out_f(" (float)uint", (float)(unsigned)v);
        flags(" ");
    }
}

static void libm(const char *m)
{
    for (unsigned i = 0; i < N_D; i++) {
        double d = vd[i];
        printf("%s libm d%u:\n", m, i);
        /* Exact functions only: glibc picks other implementations of
         * exp, log, sin... when the CPU has FMA, so those may differ in the
         * last bit between a native run and ox86, which has none. */
        out_d(" fmod", fmod(d, 0.75));
        out_d(" copysign", copysign(1.5, d));
        out_d(" fmin", fmin(d, 0.5));
        out_d(" fmax", fmax(d, 0.5));
        out_d(" ldexp", ldexp(d, 3));
        int e;
        out_d(" frexp", frexp(d, &e));
        out_i(" exp", isfinite(d) ? e : 0);
        out_d(" scalbn", scalbn(d, -1040));
        out_d(" remainder", remainder(d, 0.375));
        flags(" ");
    }
}

/* Loops gcc may vectorise at -O2. */
static void loops(void)
{
    static double a[257], b[257];
    static float fa[259];
    double s = 0;
    for (int i = 0; i < 257; i++) {
        a[i] = vd[i % N_D] * 0.5 + i;
        b[i] = 1.0 / (i + 1);
        fa[i] = (float)i / 7.0f;
    }
    for (int i = 0; i < 257; i++)
        s += a[i] * b[i];
    out_d("dot", s);
    float fs = 0;
    for (int i = 0; i < 257; i++)
        fs += fa[i] * fa[i];
    out_f("fsum", fs);
    for (int i = 0; i < 257; i++)
        a[i] = a[i] * 3.0 - b[i];
    hash_bytes(a, sizeof a);
    out_d("a[100]", a[100]);
    /* Kahan summation of 1/k. */
    double sum = 0, c = 0;
    for (int k = 1; k <= 5000; k++) {
        double y = 1.0 / k - c, t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    out_d("harmonic", sum);
    /* Newton square roots. */
    for (int i = 1; i < 20; i++) {
        double x = i, r = x;
        for (int k = 0; k < 30; k++)
            r = 0.5 * (r + x / r);
        CHECK(fabs(r * r - x) < 1e-12 * x);
        out_d("newton", r);
    }
}

static void text(void)
{
    static const char *const inputs[] = {
        "0", "-0", "1", "0.1", "1e23", "2.2250738585072011e-308", "4.9406564584124654e-324",
        "1.7976931348623157e308", "1e309", "0x1.fffffffffffffp-1", "123456789012345678901234567890",
        "3.14159265358979323846264338327950288", "-2.5e-5", "nan", "-inf", "1e-400",
    };
    char buf[128];
    for (unsigned i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        double d = strtod(inputs[i], NULL);
        float f = strtof(inputs[i], NULL);
        out_d(inputs[i], d);
        out_f(inputs[i], f);
        snprintf(buf, sizeof buf, "%.17g %.9g %e %.3f %g", d, (double)f, d, d, d);
        printf("  %s\n", buf);
        hash_bytes(buf, strlen(buf));
        if (isfinite(d)) {
            snprintf(buf, sizeof buf, "%.17g", d);
            CHECK(strtod(buf, NULL) == d);
        }
    }
}

int main(void)
{
    feclearexcept(FE_ALL_EXCEPT);
    for (int m = 0; m < 4; m++) {
        CHECK_EQ(fesetround(modes[m]), 0);
        CHECK_EQ(fegetround(), modes[m]);
        double_arithmetic(mode_names[m]);
        float_arithmetic(mode_names[m]);
        conversions(mode_names[m]);
    }
    fesetround(FE_TONEAREST);
    libm("near");
    loops();
    text();
    return check_done("sse_float");
}
