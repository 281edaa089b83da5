/* A signal must reach a program that loops only through indirect jumps: a computed jump to
 * itself, then a return to itself, each ended by SIGALRM from an interval timer whose handler
 * sets the flag the loop tests. Neither loop has a direct jump back, so an emulator that
 * looks for pending signals only at those never leaves it (the run then times out).
 * ox86-test: timeout=30 */
#include "alarm.h"

int main(void)
{
    CHECK(signal(SIGALRM, on_alarm) != SIG_ERR);

    arm();
    __asm__ volatile("lea 1f(%%rip), %%rax\n"
                     "1: cmpl $0, %0\n"
                     "jne 2f\n"
                     "jmp *%%rax\n"
                     "2:\n"
                     :
                     : "m"(stop)
                     : "rax", "cc", "memory");
    printf("the indirect jump loop stopped\n");

    /* Below the red zone, so that the push clobbers nothing of main's. */
    arm();
    __asm__ volatile("lea -128(%%rsp), %%rsp\n"
                     "lea 1f(%%rip), %%rax\n"
                     "1: cmpl $0, %0\n"
                     "jne 2f\n"
                     "push %%rax\n"
                     "ret\n"
                     "2: lea 128(%%rsp), %%rsp\n"
                     :
                     : "m"(stop)
                     : "rax", "cc", "memory");
    printf("the return loop stopped\n");
    return check_done("sig_indirect_loop");
}
