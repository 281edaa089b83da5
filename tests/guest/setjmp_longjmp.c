/* Non-local jumps: setjmp/longjmp from nested calls and recursion, the value 0 turned into 1,
 * locals kept in volatile variables, sigsetjmp/siglongjmp with the signal mask restored. */
#include "check.h"
#include <setjmp.h>
#include <signal.h>

static jmp_buf env;
static int depth_reached;

static void dive(int depth, int target)
{
    char pad[128];
    memset(pad, depth, sizeof pad);
    depth_reached = depth;
    if (depth == target)
        longjmp(env, depth * 10 + pad[5] + 1);
    if (depth > 1000)
        return;
    dive(depth + 1, target);
}

static void jump_zero(void)
{
    longjmp(env, 0);
}

int main(void)
{
    for (int target = 0; target < 40; target += 7) {
        volatile int tries = 0;
        int r = setjmp(env);
        tries++;
        if (r == 0) {
            dive(0, target);
            CHECK(0);
        }
        CHECK_EQ(r, target * 11 + 1);
        CHECK_EQ(tries, 2);
        printf("target %d: setjmp returned %d after %d tries, depth %d\n", target, r, tries, depth_reached);
    }

    int r = setjmp(env);
    if (r == 0)
        jump_zero();
    CHECK_EQ(r, 1);
    printf("longjmp(env, 0) makes setjmp return %d\n", r);

    /* A chain of jumps through one buffer. */
    volatile int step = 0;
    r = setjmp(env);
    if (step < 5) {
        step++;
        longjmp(env, step);
    }
    CHECK_EQ(step, 5);
    CHECK_EQ(r, 5);
    printf("chain: step %d r %d\n", step, r);

    /* sigsetjmp(.., 1) restores the signal mask saved at setjmp time. */
    sigjmp_buf senv;
    sigset_t set, cur;
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    if (sigsetjmp(senv, 1) == 0) {
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        sigprocmask(SIG_SETMASK, NULL, &cur);
        CHECK(sigismember(&cur, SIGUSR1));
        siglongjmp(senv, 3);
    }
    sigprocmask(SIG_SETMASK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGUSR1));
    printf("siglongjmp restored the mask: SIGUSR1 blocked = %d\n", sigismember(&cur, SIGUSR1));
    return check_done("setjmp_longjmp");
}
