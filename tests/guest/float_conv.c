/* Conversions between integers and floating point: every C cast (truncation, signed and
 * unsigned 32/64-bit, float<->double), out-of-range conversions with the cvtt* "integer
 * indefinite" result written in asm, lrint/llrint/lround in the default rounding mode. */
#include "check.h"
#include <math.h>
#include <limits.h>

int main(void)
{
    static const double v[] = { 0.0, -0.0, 0.4, 0.5, 0.6, -0.5, -1.5, 2.5, 1e9, -1e9, 2147483647.0, 2147483648.0,
                                -2147483648.0, 4294967295.0, 4294967296.0, 9.2233720368547758e18, -9.2233720368547758e18,
                                1.8446744073709552e19, 1e20, -1e20, 123456.789, -987654.321, 1e-300 };
    for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        double d = v[i];
        int i32;
        long long i64;
        __asm__("cvttsd2si %1, %0" : "=r"(i32) : "x"(d));
        __asm__("cvttsd2si %1, %0" : "=r"(i64) : "x"(d));
        int r32;
        long long r64;
        __asm__("cvtsd2si %1, %0" : "=r"(r32) : "x"(d));
        __asm__("cvtsd2si %1, %0" : "=r"(r64) : "x"(d));
        float f = (float)d;
        int fi;
        __asm__("cvttss2si %1, %0" : "=r"(fi) : "x"(f));
        printf("%-24.17g cvtt %d %lld cvt %d %lld | float %a cvttss %d", d, i32, i64, r32, r64, f, fi);
        if (d > -2147483649.0 && d < 2147483648.0) {
            CHECK_EQ(i32, (int)d);
            printf(" (int) %d", (int)d);
        } else {
            CHECK_EQ((unsigned)i32, 0x80000000u);
        }
        if (d >= 0 && d < 4294967296.0)
            printf(" (unsigned) %u", (unsigned)d);
        if (d > -9.3e18 && d < 9.2233720368547758e18)
            printf(" (long long) %lld", (long long)d);
        if (d >= 0 && d < 1.8446744073709552e19)
            printf(" (unsigned long long) %llu", (unsigned long long)d);
        if (fabs(d) < 1e18)
            printf(" lrint %ld llrint %lld lround %ld", lrint(d), llrint(d), lround(d));
        printf("\n");
    }

    static const long long iv[] = { 0, 1, -1, 16777217, -16777217, 9007199254740993LL, LLONG_MAX, LLONG_MIN,
                                    INT_MAX, INT_MIN, 123456789012345LL };
    for (unsigned i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
        long long x = iv[i];
        unsigned long long u = (unsigned long long)x;
        double a = (double)x, b = (double)u, c = (double)(int)x, e = (double)(unsigned)x;
        float fa = (float)x, fb = (float)u;
        printf("%lld: %a %a %a %a | %a %a\n", x, a, b, c, e, fa, fb);
        double sd;
        __asm__("cvtsi2sdq %1, %0" : "=x"(sd) : "r"(x));
        CHECK(sd == a);
        hash_u64((uint64_t)x ^ (uint64_t)(long long)(a / 2));
    }
    for (int i = -10; i <= 10; i++) {
        float f = (float)i / 4.0f;
        double d = f;
        printf("%d/4: %a %a %d %d\n", i, f, d * 3, (int)(f * 3), (int)nearbyintf(f * 3));
    }
    return check_done("float_conv");
}
