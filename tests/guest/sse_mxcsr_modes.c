/* One floating-point loop run many times under the default MXCSR, then
 * under each rounding mode, with FTZ and DAZ, with an exception unmasked
 * (one the loop never raises), and under the default again: each result is
 * that of the mode in force, whatever code the loop was compiled to
 * before (MXCSR 0x1f80 allows the host's instructions as they are). The
 * loop also converts to an integer (CVTSD2SI, which rounds by MXCSR) and
 * compares (COMISD), whose results go to general registers and flags. */
#include <emmintrin.h>
#include <stdio.h>

static volatile double seed_d = 1.0 / 3.0;
static volatile float seed_f = 1e-39f; /* a denormal */

static __attribute__((noinline)) double kernel(int n, double *small, long long *ints)
{
    double x = seed_d, acc = 0;
    float f = seed_f, g = 0;
    long long conv = 0, less = 0;
    for (int i = 1; i <= n; i++) {
        acc += x / (i + 0.5);
        acc -= x * x / (3 * i + 1);
        g += f * 0.75f;
        f = f * 0.5f + seed_f;
        conv += _mm_cvtsd_si64(_mm_set_sd(acc * 1000.0 + i * 0.25));
        less += _mm_comilt_sd(_mm_set_sd(x * i), _mm_set_sd(acc * 40));
    }
    *small = g;
    *ints = conv * 1000 + less;
    return acc;
}

static void run(const char *name, unsigned mxcsr)
{
    _mm_setcsr(mxcsr);
    double small = 0, r = 0;
    long long ints = 0;
    for (int k = 0; k < 50; k++)
        r = kernel(200, &small, &ints);
    unsigned after = _mm_getcsr();
    _mm_setcsr(0x1f80);
    union {
        double d;
        unsigned long long u;
    } a = {r}, b = {small};
    printf("%-12s %016llx %016llx %lld mxcsr %04x\n", name, a.u, b.u, ints, after);
}

int main(void)
{
    run("default", 0x1f80);
    run("down", 0x3f80);
    run("up", 0x5f80);
    run("zero", 0x7f80);
    run("ftz-daz", 0x9fc0);
    run("zm-unmasked", 0x1f80 & ~0x0200);
    run("default", 0x1f80);
    run("zero", 0x7f80);
    run("default", 0x1f80);
    return 0;
}
