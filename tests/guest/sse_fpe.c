/* An unmasked SIMD floating-point exception raises #XM, which Linux
 * delivers as SIGFPE; masked ones only set MXCSR flags.
 * ox86-test: signal=8 */
#include <stdint.h>
#include <stdio.h>

static volatile double zero = 0.0, one = 1.0;

int main(void)
{
    uint32_t m;
    double r = one / zero;
    __asm__ volatile("stmxcsr %0" : "=m"(m) : "x"(r));
    printf("masked: %g, mxcsr %#x\n", r, m);
    /* Unmask divide-by-zero (ZM, bit 9) and divide again. */
    m &= ~(1u << 9 | 0x3f);
    __asm__ volatile("ldmxcsr %0" : : "m"(m));
    fflush(stdout);
    r = one / zero;
    printf("not reached %g\n", r);
    return 0;
}
