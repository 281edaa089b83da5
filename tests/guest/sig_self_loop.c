/* A signal must reach a program spinning in a loop that is one block jumping back to its own
 * start by a conditional jump, the loop a translator compiles as one TB going round by a single
 * host jump. The way out must see what the last iteration left: the flags of the compare that
 * ended the loop (read by setcc after it) and an XMM register summed in the loop, checked
 * against the iteration count. Each loop is ended by SIGALRM from an interval timer whose
 * handler sets the flag the loop tests.
 * ox86-test: timeout=30 */
#include "alarm.h"
#include <stdint.h>

int main(void)
{
    CHECK(signal(SIGALRM, on_alarm) != SIG_ERR);

    /* Goes round while stop is 0 (je back); the flags of `cmp $0, stop` (1 - 0) leave with it. */
    uint64_t n = 0;
    uint8_t ne, above, sign;
    arm();
    __asm__ volatile("1: inc %0\n"
                     "cmpl $0, %4\n"
                     "je 1b\n"
                     "setne %1\n"
                     "seta %2\n"
                     "sets %3\n"
                     : "+r"(n), "=r"(ne), "=r"(above), "=r"(sign)
                     : "m"(stop)
                     : "cc", "memory");
    CHECK(n > 0);
    CHECK_EQ(ne, 1);
    CHECK_EQ(above, 1);
    CHECK_EQ(sign, 0);
    printf("the loop on flags stopped: ne=%u above=%u sign=%u\n", ne, above, sign);

    /* Goes round while stop is below 1 (jb back, unsigned), adding 1 to each dword of xmm0. */
    uint32_t lanes[4];
    n = 0;
    arm();
    __asm__ volatile("pxor %%xmm0, %%xmm0\n"
                     "pcmpeqd %%xmm1, %%xmm1\n"
                     "1: psubd %%xmm1, %%xmm0\n"
                     "inc %0\n"
                     "cmpl $1, %2\n"
                     "jb 1b\n"
                     "movdqu %%xmm0, %1\n"
                     : "+r"(n), "=m"(lanes)
                     : "m"(stop)
                     : "xmm0", "xmm1", "cc", "memory");
    CHECK(n > 0);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(lanes[i], (uint32_t)n);
    printf("the loop on xmm0 stopped\n");
    return check_done("sig_self_loop");
}
