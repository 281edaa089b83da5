/* Signals whose default action is to terminate: SIGUSR1 sent with kill() to ourselves after
 * SIGTERM was ignored and SIGUSR1 blocked then unblocked. ox86-test: signal=10 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    signal(SIGTERM, SIG_IGN);
    kill(getpid(), SIGTERM);
    printf("ignored SIGTERM did nothing\n");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);
    sigset_t pending;
    sigpending(&pending);
    printf("SIGUSR1 pending while blocked: %d\n", sigismember(&pending, SIGUSR1));
    fflush(stdout);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("not reached\n");
    return 0;
}
