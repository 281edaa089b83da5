/* Processes: fork with the child reporting through a pipe, waitpid exit statuses, a child
 * killed by a signal, wait4 rusage, getppid in the child, and atexit handlers not run twice
 * when the child leaves with _exit. Output is printed by the parent after each wait. */
#include "check.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void goodbye(void)
{
    printf("atexit handler ran once\n");
}

int main(void)
{
    atexit(goodbye);
    fflush(stdout);
    for (int i = 0; i < 4; i++) {
        int p[2];
        CHECK_EQ(pipe(p), 0);
        pid_t parent = getpid();
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            char msg[64];
            int len = snprintf(msg, sizeof msg, "child %d sees parent: %s", i, getppid() == parent ? "yes" : "no");
            if (write(p[1], msg, len) != len)
                _exit(100);
            if (i == 3)
                raise(SIGKILL);
            _exit(i * 10 + 1);
        }
        close(p[1]);
        char buf[64];
        ssize_t n = read(p[0], buf, sizeof buf - 1);
        buf[n < 0 ? 0 : n] = 0;
        close(p[0]);
        int status;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        printf("%s; ", buf);
        if (WIFEXITED(status))
            printf("exited with %d\n", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            printf("killed by signal %d\n", WTERMSIG(status));
        if (i < 3)
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == i * 10 + 1);
        else
            CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    }

    /* Several children, reaped in any order, reported in pid-independent order. */
    int codes[5] = { 0 };
    pid_t pids[5];
    for (int i = 0; i < 5; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            volatile unsigned long s = 0;
            for (unsigned long k = 0; k < 10000UL * (5 - i); k++)
                s += k;
            _exit(i + 1);
        }
    }
    for (int reaped = 0; reaped < 5; reaped++) {
        int status;
        struct rusage ru;
        pid_t w = wait4(-1, &status, 0, &ru);
        for (int i = 0; i < 5; i++)
            if (pids[i] == w)
                codes[i] = WEXITSTATUS(status);
    }
    printf("children exit codes: %d %d %d %d %d\n", codes[0], codes[1], codes[2], codes[3], codes[4]);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(codes[i], i + 1);
    int status;
    CHECK_EQ(waitpid(-1, &status, WNOHANG), -1);
    return check_done("process_fork");
}
