/* Assorted system calls whose results are checked but, being host-dependent, mostly not
 * printed: uname (sysname only), process ids, clocks (monotonic, realtime, CPU time) and
 * sleeping, getrandom, resource limits and usage, umask, sched_yield, sysconf. */
#include "check.h"
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

int main(void)
{
    struct utsname u;
    CHECK_EQ(uname(&u), 0);
    printf("uname sysname: %s\n", u.sysname);
    CHECK(strlen(u.machine) > 0);
    CHECK(strlen(u.release) > 0);

    pid_t pid = getpid();
    CHECK(pid > 0);
    CHECK_EQ(getpid(), pid);
    CHECK_EQ((pid_t)syscall(SYS_gettid), pid);
    /* In a PID namespace the parent and the session leader may lie outside it: 0. */
    CHECK(getppid() >= 0);
    CHECK_EQ(getuid(), getuid());
    CHECK_EQ(getpgrp(), getpgid(0));
    CHECK(getsid(0) >= 0);
    printf("pid == tid for the main thread: yes\n");

    struct timespec a, b, res;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &a), 0);
    int advanced = 0;
    int64_t prev = ns(&a);
    for (int i = 0; i < 100000 && !advanced; i++) {
        CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &b), 0);
        CHECK(ns(&b) >= prev);
        prev = ns(&b);
        advanced = ns(&b) > ns(&a);
    }
    CHECK(advanced);
    printf("CLOCK_MONOTONIC advances and never goes back\n");
    CHECK_EQ(clock_getres(CLOCK_MONOTONIC, &res), 0);
    CHECK(ns(&res) > 0 && ns(&res) <= 1000000);

    struct timespec nap = { 0, 2000000 };
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &a), 0);
    CHECK_EQ(nanosleep(&nap, NULL), 0);
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &b), 0);
    CHECK(ns(&b) - ns(&a) >= 2000000);
    usleep(1000);
    printf("nanosleep(2ms) took at least 2ms\n");

    struct timespec rt;
    CHECK_EQ(clock_gettime(CLOCK_REALTIME, &rt), 0);
    CHECK(rt.tv_sec > 1600000000);
    struct timeval tv;
    CHECK_EQ(gettimeofday(&tv, NULL), 0);
    CHECK(tv.tv_sec >= rt.tv_sec && tv.tv_sec - rt.tv_sec < 100);
    time_t t = time(NULL); /* a coarse clock: it may lag the others by a tick */
    CHECK(t >= rt.tv_sec - 1 && t - rt.tv_sec < 100);
    struct tm tm;
    time_t fixed = 1000000000;
    gmtime_r(&fixed, &tm);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %a %j", &tm);
    printf("realtime clocks agree; gmtime(1e9) = %s\n", when);
    CHECK_EQ(mktime(&tm) - fixed + (time_t)tm.tm_gmtoff, 0);

    struct timespec c1, c2;
    CHECK_EQ(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1), 0);
    volatile unsigned long spin = 0;
    for (unsigned long i = 0; i < 3000000; i++)
        spin += i;
    CHECK_EQ(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c2), 0);
    CHECK(ns(&c2) >= ns(&c1));
    CHECK(clock() >= 0);
    printf("process CPU time does not go back\n");

    unsigned char r1[32], r2[32];
    CHECK_EQ(getrandom(r1, sizeof r1, 0), sizeof r1);
    CHECK_EQ(getrandom(r2, sizeof r2, GRND_NONBLOCK), sizeof r2);
    CHECK(memcmp(r1, r2, sizeof r1) != 0);
    CHECK_EQ(getentropy(r1, sizeof r1), 0);
    printf("getrandom returned 32 bytes twice, different each time\n");

    struct rlimit rl;
    CHECK_EQ(getrlimit(RLIMIT_STACK, &rl), 0);
    CHECK(rl.rlim_cur > 0);
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    CHECK(rl.rlim_cur >= 64);
    struct rusage ru;
    CHECK_EQ(getrusage(RUSAGE_SELF, &ru), 0);
    printf("rlimits and rusage readable\n");

    mode_t old = umask(077);
    CHECK_EQ(umask(old), 077);
    CHECK_EQ(sched_yield(), 0);
    CHECK_EQ(sysconf(_SC_PAGESIZE), 4096);
    CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 1);
    CHECK(sysconf(_SC_CLK_TCK) == 100);
    errno = 0;
    CHECK_EQ(syscall(999999), -1);
    CHECK_EQ(errno, ENOSYS);
    printf("unknown syscall gives ENOSYS\n");
    char host[256];
    CHECK_EQ(gethostname(host, sizeof host), 0);
    printf("gethostname works\n");
    return check_done("sys_misc");
}
