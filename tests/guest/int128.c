/* __int128 arithmetic as GCC compiles it (add/adc, sub/sbb, mul, shifts by variable counts,
 * division and modulo through libgcc), printed in decimal by a hand-written conversion and
 * cross-checked with identities. */
#include "check.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

static char *u128_str(u128 v, char *buf)
{
    char tmp[48];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return buf;
}

static char *s128_str(s128 v, char *buf)
{
    if (v < 0) {
        buf[0] = '-';
        u128_str(-(u128)v, buf + 1);
        return buf;
    }
    return u128_str((u128)v, buf);
}

static u128 isqrt(u128 n)
{
    u128 x = n, y = (x + 1) / 2;
    while (y < x) {
        x = y;
        y = (x + n / x) / 2;
    }
    return x;
}

int main(void)
{
    char b1[48], b2[48], b3[48], b4[48];
    u128 fact = 1;
    for (unsigned i = 1; i <= 34; i++) {
        fact *= i;
        printf("%u! = %s\n", i, u128_str(fact, b1));
    }
    CHECK(fact / 34 / 33 * 33 * 34 == fact);

    u128 fib_a = 0, fib_b = 1;
    for (int i = 0; i < 180; i++) {
        u128 t = fib_a + fib_b;
        fib_a = fib_b;
        fib_b = t;
    }
    printf("fib(180) = %s\n", u128_str(fib_a, b1));

    volatile int sh;
    u128 one = 1;
    for (sh = 0; sh < 128; sh += 9) {
        u128 v = one << sh;
        s128 neg = -(s128)(v >> 1);
        CHECK((v >> sh) == 1);
        printf("1<<%d = %s, -(that>>1)>>3 = %s\n", sh, u128_str(v, b1), s128_str(neg >> 3, b2));
    }

    s128 vals[] = { 0, 1, -1, 7, -7, (s128)1 << 100, -((s128)1 << 100), ((s128)1 << 126) + 12345,
                    (s128)0x123456789abcdefLL * 0x13579bdf, -(s128)987654321987654321LL * 1000003 };
    for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        for (unsigned j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
            s128 a = vals[i], b = vals[j];
            s128 sum = (s128)((u128)a + (u128)b), diff = (s128)((u128)a - (u128)b);
            s128 prod = (s128)((u128)a * (u128)b);
            printf("%s op %s: + %s - %s * %s", s128_str(a, b1), s128_str(b, b2), s128_str(sum, b3), s128_str(diff, b4),
                   s128_str(prod, b1));
            if (b != 0) {
                s128 q = a / b, r = a % b;
                CHECK(q * b + r == a);
                printf(" / %s %% %s", s128_str(q, b2), s128_str(r, b3));
                u128 uq = (u128)a / (u128)b, ur = (u128)a % (u128)b;
                CHECK(uq * (u128)b + ur == (u128)a);
                printf(" u/ %s", u128_str(uq, b4));
            }
            printf(" cmp %d%d%d\n", a < b, a == b, (u128)a < (u128)b);
            hash_u64((uint64_t)prod ^ (uint64_t)(prod >> 64));
        }
    }

    u128 big = ((u128)0xfffffffffffffffULL << 64) | 0x123456789abcdefULL;
    u128 root = isqrt(big);
    CHECK(root * root <= big && (root + 1) * (root + 1) > big);
    printf("isqrt(%s) = %s\n", u128_str(big, b1), u128_str(root, b2));
    /* 64x64->128 multiplies as compilers emit them for hashing */
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 1000; i++) {
        u128 m = (u128)h * 0xbf58476d1ce4e5b9ULL;
        h = (uint64_t)m ^ (uint64_t)(m >> 64) ^ (uint64_t)i;
    }
    printf("mulx hash %016llx\n", (unsigned long long)h);
    return check_done("int128");
}
