/* A signal must reach a program looping through direct jumps: a loop of two blocks on one page
 * (a forward jump over a store, then a jump back), which a translator cuts into TBs chained to
 * each other, and the same loop with its jump back to code on another page. Each is ended by
 * SIGALRM from an interval timer whose handler sets the flag the loop tests.
 * ox86-test: timeout=30 */
#include "alarm.h"

int main(void)
{
    CHECK(signal(SIGALRM, on_alarm) != SIG_ERR);
    unsigned long odd = 0;

    arm();
    __asm__ volatile("xor %%ecx, %%ecx\n"
                     "1: cmpl $0, %1\n"
                     "jne 3f\n"
                     "inc %%rcx\n"
                     "test $1, %%cl\n"
                     "jz 2f\n"
                     "incq %0\n"
                     "2: jmp 1b\n"
                     "3:\n"
                     : "+m"(odd)
                     : "m"(stop)
                     : "rcx", "cc", "memory");
    printf("the loop on one page stopped\n");

    /* The loop's head 4 KiB below its jump back. */
    arm();
    __asm__ volatile("xor %%ecx, %%ecx\n"
                     "1: cmpl $0, %1\n"
                     "jne 3f\n"
                     "inc %%rcx\n"
                     "test $1, %%cl\n"
                     "jz 2f\n"
                     "incq %0\n"
                     "2: jmp 4f\n"
                     ".skip 4096, 0x90\n"
                     "4: jmp 1b\n"
                     "3:\n"
                     : "+m"(odd)
                     : "m"(stop)
                     : "rcx", "cc", "memory");
    printf("the loop across pages stopped\n");
    CHECK(odd > 0);
    return check_done("sig_counted_loop");
}
