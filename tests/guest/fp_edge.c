/* x87 and SSE side by side on the values where floating point is hard:
 * signed zeros, the smallest and largest denormals, the largest finite
 * values, infinities, quiet and signalling NaNs with payloads. Every
 * operation runs under each rounding mode, in SSE (float and double) and on
 * the x87 (double and extended precision); the result bits and the
 * exception flags raised are printed, so the run must match the native one
 * bit for bit. */
#include "check.h"

#include <fenv.h>
#include <stdint.h>

static const uint64_t doubles[] = {
    0x0000000000000000ull, /* +0 */
    0x8000000000000000ull, /* -0 */
    0x0000000000000001ull, /* smallest denormal */
    0x800fffffffffffffull, /* largest negative denormal */
    0x0010000000000000ull, /* smallest normal */
    0x3ff0000000000001ull, /* 1 + ulp */
    0xbfe5555555555555ull, /* -2/3 */
    0x7fefffffffffffffull, /* largest finite */
    0x7ff0000000000000ull, /* +inf */
    0xfff0000000000000ull, /* -inf */
    0x7ff8000000000123ull, /* quiet NaN, payload */
    0xfff4000000000456ull, /* signalling NaN, payload, negative */
};
#define N (sizeof doubles / sizeof doubles[0])

static const int modes[] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO };
static const char *const mode_names[] = { "nearest", "down", "up", "zero" };

static double d_of(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static uint64_t bits_d(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static uint32_t bits_f(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* The flags an operation raised, then cleared for the next one. */
static int flags(void)
{
    int f = fetestexcept(FE_ALL_EXCEPT);
    feclearexcept(FE_ALL_EXCEPT);
    return f;
}

/* SSE double: a op b. */
static double sse_d(int op, double a, double b)
{
    switch (op) {
    case 0: __asm__ volatile("addsd %1, %0" : "+x"(a) : "x"(b)); break;
    case 1: __asm__ volatile("subsd %1, %0" : "+x"(a) : "x"(b)); break;
    case 2: __asm__ volatile("mulsd %1, %0" : "+x"(a) : "x"(b)); break;
    case 3: __asm__ volatile("divsd %1, %0" : "+x"(a) : "x"(b)); break;
    default: __asm__ volatile("sqrtsd %1, %0" : "=x"(a) : "x"(b)); break;
    }
    return a;
}

/* SSE single on the operands converted to float (CVTSD2SS first). */
static float sse_f(int op, double da, double db)
{
    float a, b;
    __asm__ volatile("cvtsd2ss %1, %0" : "=x"(a) : "x"(da));
    __asm__ volatile("cvtsd2ss %1, %0" : "=x"(b) : "x"(db));
    switch (op) {
    case 0: __asm__ volatile("addss %1, %0" : "+x"(a) : "x"(b)); break;
    case 1: __asm__ volatile("subss %1, %0" : "+x"(a) : "x"(b)); break;
    case 2: __asm__ volatile("mulss %1, %0" : "+x"(a) : "x"(b)); break;
    case 3: __asm__ volatile("divss %1, %0" : "+x"(a) : "x"(b)); break;
    default: __asm__ volatile("sqrtss %1, %0" : "=x"(a) : "x"(b)); break;
    }
    return a;
}

/* x87 in extended precision: a op b, the 80-bit result stored whole. */
static void x87_e(int op, double a, double b, uint8_t out[10])
{
    switch (op) {
    case 0: __asm__ volatile("fldl %1\n\tfaddl %2\n\tfstpt %0" : "=m"(*(char(*)[10])out) : "m"(a), "m"(b)); break;
    case 1: __asm__ volatile("fldl %1\n\tfsubl %2\n\tfstpt %0" : "=m"(*(char(*)[10])out) : "m"(a), "m"(b)); break;
    case 2: __asm__ volatile("fldl %1\n\tfmull %2\n\tfstpt %0" : "=m"(*(char(*)[10])out) : "m"(a), "m"(b)); break;
    case 3: __asm__ volatile("fldl %1\n\tfdivl %2\n\tfstpt %0" : "=m"(*(char(*)[10])out) : "m"(a), "m"(b)); break;
    default: __asm__ volatile("fldl %1\n\tfsqrt\n\tfstpt %0" : "=m"(*(char(*)[10])out) : "m"(b)); break;
    }
}

/* x87 result rounded to double by FSTP m64. */
static double x87_d(int op, double a, double b)
{
    double r;
    switch (op) {
    case 0: __asm__ volatile("fldl %1\n\tfaddl %2\n\tfstpl %0" : "=m"(r) : "m"(a), "m"(b)); break;
    case 1: __asm__ volatile("fldl %1\n\tfsubl %2\n\tfstpl %0" : "=m"(r) : "m"(a), "m"(b)); break;
    case 2: __asm__ volatile("fldl %1\n\tfmull %2\n\tfstpl %0" : "=m"(r) : "m"(a), "m"(b)); break;
    case 3: __asm__ volatile("fldl %1\n\tfdivl %2\n\tfstpl %0" : "=m"(r) : "m"(a), "m"(b)); break;
    default: __asm__ volatile("fldl %1\n\tfsqrt\n\tfstpl %0" : "=m"(r) : "m"(b)); break;
    }
    return r;
}

/* Conversions to integers: CVTSD2SI (current mode), CVTTSD2SI, FISTP. */
static void conversions(double a, unsigned mi)
{
    int64_t s, t, x;
    __asm__ volatile("cvtsd2si %1, %0" : "=r"(s) : "x"(a));
    int fs = flags();
    __asm__ volatile("cvttsd2si %1, %0" : "=r"(t) : "x"(a));
    int ft = flags();
    __asm__ volatile("fldl %1\n\tfistpll %0" : "=m"(x) : "m"(a));
    int fx = flags();
    printf("  cvt %-7s %016llx: sse %llx/%x trunc %llx/%x x87 %llx/%x\n", mode_names[mi],
           (unsigned long long)bits_d(a), (unsigned long long)s, fs, (unsigned long long)t, ft,
           (unsigned long long)x, fx);
    hash_u64((uint64_t)s ^ (uint64_t)t << 1 ^ (uint64_t)x << 2);
    hash_u64((uint64_t)(fs | ft << 8 | fx << 16));
}

int main(void)
{
    static const char ops[] = "+-*/r";
    for (unsigned mi = 0; mi < 4; mi++) {
        CHECK_EQ(fesetround(modes[mi]), 0);
        feclearexcept(FE_ALL_EXCEPT);
        printf("rounding %s\n", mode_names[mi]);
        for (int op = 0; op < 5; op++)
            for (unsigned i = 0; i < N; i++)
                for (unsigned j = 0; j < N; j++) {
                    if (op == 4 && i > 0)
                        break; /* sqrt is unary: once per operand */
                    double a = d_of(doubles[i]), b = d_of(doubles[j]);
                    double rd = sse_d(op, a, b);
                    int fd = flags();
                    float rf = sse_f(op, a, b);
                    int ff = flags();
                    double xd = x87_d(op, a, b);
                    int fxd = flags();
                    uint8_t xe[10];
                    x87_e(op, a, b, xe);
                    int fxe = flags();
                    uint64_t lo;
                    uint16_t hi;
                    memcpy(&lo, xe, 8);
                    memcpy(&hi, xe + 8, 2);
                    hash_u64(bits_d(rd));
                    hash_u64(bits_f(rf));
                    hash_u64(bits_d(xd));
                    hash_bytes(xe, 10);
                    hash_u64((uint64_t)(fd | ff << 8 | fxd << 16 | fxe << 24));
                    if ((i + j + op) % 7 == 0)
                        printf("  %016llx %c %016llx: sd %016llx/%02x ss %08x/%02x x87d %016llx/%02x "
                               "x87e %04x%016llx/%02x\n",
                               (unsigned long long)doubles[i], ops[op],
                               (unsigned long long)doubles[j], (unsigned long long)bits_d(rd), fd,
                               bits_f(rf), ff, (unsigned long long)bits_d(xd), fxd, hi,
                               (unsigned long long)lo, fxe);
                }
        for (unsigned i = 0; i < N; i++)
            conversions(d_of(doubles[i]), mi);
    }
    fesetround(FE_TONEAREST);
    return check_done("fp_edge");
}
