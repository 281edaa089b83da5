/* Calling convention details: variadic functions mixing integers and doubles beyond the
 * register save area, va_copy, vsnprintf, small structs passed and returned in registers
 * (INTEGER, SSE and mixed classes), and long double / __int128 arguments on the stack. */
#include "check.h"
#include <stdarg.h>

static double mixed_sum(int count, ...)
{
    va_list ap, copy;
    va_start(ap, count);
    va_copy(copy, ap);
    double total = 0;
    for (int i = 0; i < count; i++) {
        if (i % 3 == 2)
            total += va_arg(ap, double);
        else
            total += (double)va_arg(ap, long);
    }
    double first = (double)va_arg(copy, long);
    va_end(copy);
    va_end(ap);
    return total * 1000 + first;
}

static int format(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

struct two_longs {
    long a, b;
};
struct two_doubles {
    double x, y;
};
struct mixed {
    int i;
    float f;
    double d;
};
struct three_longs {
    long a, b, c;
};

static struct two_longs swap_longs(struct two_longs v)
{
    return (struct two_longs){ v.b, v.a };
}
static struct two_doubles scale(struct two_doubles v, double k)
{
    return (struct two_doubles){ v.x * k, v.y * k };
}
static struct mixed bump(struct mixed m)
{
    m.i += 1;
    m.f *= 2;
    m.d -= 0.5;
    return m;
}
static struct three_longs rotate(struct three_longs t)
{
    return (struct three_longs){ t.c, t.a, t.b };
}

static long double ld_mix(long double a, int b, long double c, __int128 d, double e)
{
    return a * b + c + (long double)(long long)(d >> 64) + (long double)(long long)d + e;
}

int main(void)
{
    double s = mixed_sum(12, 1L, 2L, 0.5, 3L, 4L, 0.25, 5L, 6L, 0.125, 7L, 8L, 1e3);
    printf("mixed_sum = %.3f\n", s);
    CHECK(s == (36 + 0.875 + 1000) * 1000 + 1);
    char buf[128];
    int n = format(buf, sizeof buf, "%d|%s|%.2f|%lx|%c|%lld", -5, "str", 2.345, 0xabcL, 'q', -1LL);
    printf("vsnprintf %d [%s]\n", n, buf);
    CHECK(strcmp(buf, "-5|str|2.35|abc|q|-1") == 0 || strcmp(buf, "-5|str|2.34|abc|q|-1") == 0);

    struct two_longs tl = swap_longs((struct two_longs){ 11, 22 });
    struct two_doubles td = scale((struct two_doubles){ 1.5, -2.25 }, 4);
    struct mixed m = bump((struct mixed){ 41, 1.25f, 3.0 });
    struct three_longs t3 = rotate((struct three_longs){ 1, 2, 3 });
    printf("structs: %ld %ld | %g %g | %d %g %g | %ld %ld %ld\n", tl.a, tl.b, td.x, td.y, m.i, m.f, m.d, t3.a, t3.b, t3.c);
    CHECK(tl.a == 22 && tl.b == 11 && td.x == 6 && m.i == 42 && t3.a == 3);

    __int128 big = ((__int128)5 << 64) | 7;
    long double r = ld_mix(1.5L, 4, 0.25L, big, 0.125);
    printf("long double mix %.6Lf\n", r);
    CHECK(r == 6.0L + 0.25L + 5 + 7 + 0.125L);
    return check_done("varargs_struct");
}
