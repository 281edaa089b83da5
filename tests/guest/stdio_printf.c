/* stdio formatting: printf of integers, strings, chars, pointers-free formats, floats and
 * doubles in %f %e %g %a with flags, widths and precisions; snprintf truncation and return
 * values; sscanf parsing; output to stderr with fputs/fprintf; long double formatting. */
#include "check.h"
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>

#pragma GCC diagnostic ignored "-Wformat-truncation"

static void ints(void)
{
    static const long long v[] = { 0, 1, -1, 42, -42, 127, -128, 255, 65535, -32768, INT_MAX, INT_MIN,
                                   LLONG_MAX, LLONG_MIN, 1234567890123LL };
    for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        long long x = v[i];
        printf("[%d] [%i] [%u] [%x] [%X] [%o] [%#x] [%#o] [%+d] [% d] [%8d] [%-8d|] [%08d] [%.3d] [%8.3d]\n",
               (int)x, (int)x, (unsigned)x, (unsigned)x, (unsigned)x, (unsigned)x, (unsigned)x, (unsigned)x,
               (int)x, (int)x, (int)x, (int)x, (int)x, (int)x, (int)x);
        printf("  [%lld] [%llu] [%llx] [%#llo] [%+lld] [%25lld] [%-25lld|] [%hd] [%hhd] [%hu] [%hhu] [%ld] [%zd] [%jd]\n", x,
               (unsigned long long)x, (unsigned long long)x, (unsigned long long)x, x, x, x, (short)x,
               (signed char)x, (unsigned short)x, (unsigned char)x, (long)x, (ssize_t)x, (intmax_t)x);
    }
    printf("[%*d] [%-*d|] [%.*d] [%*.*d]\n", 6, 42, 6, 42, 4, 42, 8, 5, -42);
    printf("[%" PRId64 "] [%" PRIu32 "] [%" PRIx16 "] [%" PRIX8 "]\n", (int64_t)-5, (uint32_t)7, (uint16_t)0xbeef, (uint8_t)0xab);
    printf("[%%] [%c] [%5c] [%-5c|]\n", 'A', 'b', 'c');
}

static void strings(void)
{
    const char *s = "Hello, world";
    printf("[%s] [%20s] [%-20s|] [%.5s] [%20.5s] [%-20.5s|] [%.*s] [%s]\n", s, s, s, s, s, s, 3, s, "");
    printf("[%10s] [%-3s|]\n", "tiny", "longer than width");
}

static void floats(void)
{
    static const double v[] = { 0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, 3.14159265358979, -2.718281828459045,
                                1e-5, 1e-300, 1e300, 123456789.125, 1e15, 1e16, 1e22, 9.999999,
                                DBL_MAX, DBL_MIN, DBL_TRUE_MIN, 1.0 / 3.0, 2.0 / 3.0, 100.0, 1e-320 };
    for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        double x = v[i];
        printf("[%f] [%.0f] [%.2f] [%12.4f] [%-12.3f|] [%+.1f] [%e] [%.3e] [%E] [%g] [%.10g] [%G] [%#g] [%a] [%.17g]\n", x, x,
               x, x, x, x, x, x, x, x, x, x, x, x, x);
    }
    printf("[%f] [%f] [%e] [%g] [%5.1f] [%-6f|] [%+f]\n", INFINITY, -INFINITY, NAN, -NAN, INFINITY, NAN, INFINITY);
    float f = 16777217.0f;
    printf("[%f] [%.9g] [%a]\n", f, 0.1f, 0.1f);
    for (int i = -5; i <= 5; i++)
        printf("rounding %.1f -> [%.0f] [%.1f] [%.2f]\n", i + 0.5, i + 0.5, i + 0.25, i + 0.125);
    long double ld = 1.0L / 3.0L;
    printf("[%Lf] [%.20Lg] [%Le]\n", ld, ld, ld * 1e100L);
}

static void snprintf_cases(void)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%s-%d-%s", "abcdef", 123456, "xyz");
    CHECK_EQ(n, 17);
    CHECK(strcmp(buf, "abcdef-123456-x") == 0);
    printf("snprintf truncated: %d [%s]\n", n, buf);
    n = snprintf(NULL, 0, "%08.3f|%x", 3.14159, 255u);
    CHECK_EQ(n, 11);
    n = snprintf(buf, 1, "abc");
    CHECK_EQ(n, 3);
    CHECK_EQ(buf[0], 0);
    char big[256];
    n = snprintf(big, sizeof big, "%s=%ld;%s=%.3e;%c%c%c", "alpha", -123456789L, "beta", 6.02214076e23, 'x', 'y', 'z');
    printf("snprintf: %d [%s]\n", n, big);
    CHECK_EQ((size_t)n, strlen(big));
}

static void sscanf_cases(void)
{
    int a, b, n;
    unsigned x;
    double d;
    float f;
    char word[32], rest[32];
    long long ll;
    n = sscanf("  17 -4 0x1F 2.5e3 1.25 token tail-end", "%d %d %x %lf %f %31s %31s", &a, &b, &x, &d, &f, word, rest);
    CHECK_EQ(n, 7);
    CHECK_EQ(a, 17);
    CHECK_EQ(b, -4);
    CHECK_EQ(x, 0x1f);
    CHECK(d == 2500.0);
    CHECK(f == 1.25f);
    printf("sscanf: %d items: %d %d %u %g %g %s %s\n", n, a, b, x, d, f, word, rest);
    n = sscanf("123456789012345 077 abc", "%lld %o %n", &ll, &x, &a);
    printf("sscanf: %d items: %lld %u consumed %d\n", n, ll, x, a);
    CHECK_EQ(ll, 123456789012345LL);
    CHECK_EQ(x, 63);
    n = sscanf("key=value;42", "%31[^=]=%31[^;];%d", word, rest, &a);
    printf("sscanf scanset: %d [%s] [%s] %d\n", n, word, rest, a);
    CHECK_EQ(n, 3);
    n = sscanf("nothing", "%d", &a);
    CHECK_EQ(n, 0);
    n = sscanf("", "%d", &a);
    CHECK_EQ(n, -1);
    printf("sscanf failures: %d\n", n);
}

int main(void)
{
    ints();
    strings();
    floats();
    snprintf_cases();
    sscanf_cases();
    fputs("this line goes to stderr\n", stderr);
    fprintf(stderr, "stderr formatted: %d %s %.2f\n", 99, "bottles", 0.5);
    fputc('!', stderr);
    fputc('\n', stderr);
    puts("puts adds a newline");
    putchar('#');
    putchar('\n');
    fwrite("fwrite bytes\n", 1, 13, stdout);
    return check_done("stdio_printf");
}
