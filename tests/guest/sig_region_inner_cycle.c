/* A signal must reach a program spinning in a cycle of a loop region that does not pass the
 * region's head: a loop head H whose loop also runs, on odd counts, through two blocks L and M
 * that both lead back to H and to each other (M's backward branch to L). The loop runs long
 * enough first for a translator to make H the head of one TB holding L and M; then M's branch
 * back to L spins until SIGALRM's handler sets the flag L tests.
 * ox86-test: timeout=30 */
#include "check.h"
#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t stop;

static void on_alarm(int sig)
{
    (void)sig;
    stop = 1;
}

/* Runs the loop `count` times; M goes back to L while its counter is below `spin`. Returns
 * how often M ran. */
static unsigned long run(unsigned long count, unsigned long spin)
{
    unsigned long m = 0;
    unsigned long n = 0;
    __asm__ volatile("jmp 3f\n"
                     "1: cmpl $0, %[stop]\n" /* L */
                     "jne 3f\n"
                     "inc %[m]\n" /* M */
                     "cmp %[spin], %[m]\n"
                     "jb 1b\n"
                     "3: inc %[n]\n" /* H */
                     "cmp %[count], %[n]\n"
                     "je 5f\n"
                     "test $1023, %[n]\n"
                     "jz 1b\n"
                     "jmp 3b\n"
                     "5:\n"
                     : [m] "+r"(m), [n] "+r"(n)
                     : [stop] "m"(stop), [count] "r"(count), [spin] "r"(spin)
                     : "cc", "memory");
    return m;
}

int main(void)
{
    CHECK(signal(SIGALRM, on_alarm) != SIG_ERR);
    /* M never branches back: the loop is H, then L and M on odd counts. */
    CHECK_EQ(run(2000000, 0), 1953);
    printf("the loop ran\n");
    /* SIGALRM in 20 ms, once; M spins until it has come. */
    struct itimerval it = {{0, 0}, {0, 20000}};
    CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
    CHECK(run(2000000, ~0UL) > 0);
    CHECK_EQ(stop, 1);
    printf("the cycle through L and M stopped\n");
    return check_done("sig_region_inner_cycle");
}
