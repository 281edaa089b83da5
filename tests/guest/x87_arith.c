/* long double arithmetic and conversions at run time, each checked bit for
 * bit against the value the compiler folded at build time (exact, round to
 * nearest in 64-bit precision), and printed so runs can be compared. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures, checks;

static void show(const char *what, long double v)
{
    unsigned char b[10];
    memcpy(b, &v, 10);
    printf("%-28s %02x%02x:", what, b[9], b[8]);
    for (int i = 7; i >= 0; i--)
        printf("%02x", b[i]);
    printf(" %.21Lg\n", v);
}

static void check_ld(const char *what, long double got, long double want)
{
    checks++;
    show(what, got);
    if (memcmp(&got, &want, 10) != 0) {
        failures++;
        show("  FAIL, want", want);
    }
}

static void check_u64(const char *what, uint64_t got, uint64_t want)
{
    checks++;
    printf("%-28s %llu\n", what, (unsigned long long)got);
    if (got != want) {
        failures++;
        printf("  FAIL, want %llu\n", (unsigned long long)want);
    }
}

/* A run-time copy the compiler cannot see through. */
static long double rt(long double v)
{
    volatile long double x = v;
    return x;
}

#define BIN(a, op, b) check_ld(#a " " #op " " #b, rt(a) op rt(b), (long double)(a) op (long double)(b))

int main(void)
{
    BIN(1.0L, /, 3.0L);
    BIN(2.0L, /, 3.0L);
    BIN(1.0L, -, 3.0L);
    BIN(0.1L, +, 0.2L);
    BIN(0.1L, *, 0.1L);
    BIN(1e4000L, *, 1e-3000L);
    BIN(1e-4900L, /, 3.0L);        /* denormal result */
    BIN(1.0L, +, 1e-19L);          /* rounds away the small part */
    BIN(1.0L, +, 0x1p-64L);        /* exact tie: round to even */
    BIN(1.0L, +, 0x3p-65L);        /* just above the tie */
    BIN(-1.5L, *, 0x1.fffffffffffffffep16383L);
    BIN(7.0L, -, 7.0L);
    BIN(-0.0L, +, 0.0L);
    BIN(1e300L, *, 1e300L);
    BIN(123456789012345678.0L, *, 1000.0L);
    BIN(0.3L, -, 0.1L);

    /* A long chain stays in 80-bit precision. */
    long double s = 0, want = 0;
    for (int k = 1; k <= 100; k++) {
        s += rt(1.0L) / k;
    }
    want = 5.18737751763962026080511767565825315790897212670845165317653395658721955753255049780317645867021411L;
    show("sum 1/k, k<=100", s);
    if (s - want > 1e-16L || want - s > 1e-16L) {
        failures++;
        printf("  FAIL: far from H(100)\n");
    }

    /* Conversions. */
    check_ld("(long double)0.1", rt(0.1) + 0.0L, (long double)0.1);
    check_ld("(long double)0.1f", (long double)(float)rt(0.1L), (long double)0.1f);
    check_ld("(long double)-123456789LL", (long double)(long long)rt(-123456789.0L), -123456789.0L);
    check_ld("(long double)UINT64_MAX", (long double)(uint64_t)rt(18446744073709551615.0L),
             18446744073709551615.0L);
    volatile uint64_t big = 0xfedcba9876543210ULL;
    check_ld("(long double)0xfedcba9876543210", (long double)big, (long double)0xfedcba9876543210ULL);
    volatile int64_t neg = INT64_MIN;
    check_ld("(long double)INT64_MIN", (long double)neg, -9223372036854775808.0L);
    volatile short sh = -32768;
    check_ld("(long double)(short)-32768", (long double)sh, -32768.0L);

    double d = (double)rt(1.0L / 3.0L);
    float f = (float)rt(1.0L / 3.0L);
    printf("(double)(1/3L) %a  (float)(1/3L) %a\n", d, f);
    if (d != 1.0 / 3.0 || f != 1.0f / 3.0f) {
        failures++;
        printf("  FAIL narrowing\n");
    }
    checks++;
    d = (double)rt(1e4000L);
    printf("(double)1e4000L %a\n", d);
    d = (double)rt(1e-4000L);
    printf("(double)1e-4000L %a\n", d);
    d = (double)rt(0x1.00000000000008p0L);   /* double tie: to even */
    printf("(double)(1+2^-53) %a\n", d);
    if (d != 1.0) {
        failures++;
        printf("  FAIL double tie\n");
    }

    check_u64("(int64)2.9L", (uint64_t)(int64_t)rt(2.9L), 2);
    check_u64("(int64)-2.9L", (uint64_t)(int64_t)rt(-2.9L), (uint64_t)-2);
    check_u64("(uint64)1e19L", (uint64_t)rt(1e19L), 10000000000000000000ULL);
    check_u64("(uint64)18446744073709551615.0L", (uint64_t)rt(18446744073709551615.0L),
              18446744073709551615ULL);
    check_u64("(int)-7.5L", (uint64_t)(int64_t)(int)rt(-7.5L), (uint64_t)-7);
    check_u64("(short)300.99L", (uint64_t)(short)rt(300.99L), 300);
    check_u64("(int64)1e30L (invalid)", (uint64_t)(int64_t)rt(1e30L), 0x8000000000000000ULL);
    check_u64("(int)1e10L (invalid)", (uint64_t)(uint32_t)(int)rt(1e10L), 0x80000000u);

    printf("%d checks, %d failures\n", checks, failures);
    printf("%s\n", failures ? "x87_arith: FAILED" : "x87_arith: ok");
    return failures != 0;
}
