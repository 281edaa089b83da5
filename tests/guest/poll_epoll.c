/* Waiting for descriptors: poll, ppoll, select, pselect, epoll (create1, ctl ADD/MOD/DEL,
 * wait, pwait), eventfd counters (plain and semaphore), timerfd armed in the past, signalfd,
 * and the calls that wait with a temporary signal mask: a signal blocked and pending before
 * ppoll/pselect/epoll_pwait is let through by the call's mask, runs its handler, ends the
 * wait with EINTR, and the old mask is back afterwards. No result depends on timing. */
#include "check.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
    (void)sig;
    got_usr1++;
}

static int usr1_blocked(void)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, SIGUSR1);
}

/* Blocks SIGUSR1, raises it, and checks that it is still pending. */
static void pend_usr1(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &s, NULL), 0);
    got_usr1 = 0;
    raise(SIGUSR1);
    CHECK_EQ(got_usr1, 0);
}

static void masked_waits(void)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_usr1;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    sigset_t none;
    sigemptyset(&none);
    struct timespec long_wait = { 30, 0 };

    pend_usr1();
    errno = 0;
    CHECK_EQ(ppoll(NULL, 0, &long_wait, &none), -1);
    CHECK_EQ(errno, EINTR);
    CHECK_EQ(got_usr1, 1);
    CHECK(usr1_blocked());
    printf("ppoll with a temporary mask: EINTR, handler ran %d time(s)\n", (int)got_usr1);

    pend_usr1();
    errno = 0;
    CHECK_EQ(pselect(0, NULL, NULL, NULL, &long_wait, &none), -1);
    CHECK_EQ(errno, EINTR);
    CHECK_EQ(got_usr1, 1);
    CHECK(usr1_blocked());
    printf("pselect with a temporary mask: EINTR, handler ran %d time(s)\n", (int)got_usr1);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    struct epoll_event ev;
    pend_usr1();
    errno = 0;
    CHECK_EQ(epoll_pwait(ep, &ev, 1, 30000, &none), -1);
    CHECK_EQ(errno, EINTR);
    CHECK_EQ(got_usr1, 1);
    CHECK(usr1_blocked());
    printf("epoll_pwait with a temporary mask: EINTR, handler ran %d time(s)\n", (int)got_usr1);
    close(ep);

    /* A mask that keeps the signal blocked times out instead. */
    sigset_t keep;
    sigemptyset(&keep);
    sigaddset(&keep, SIGUSR1);
    struct timespec zero = { 0, 0 };
    pend_usr1();
    CHECK_EQ(ppoll(NULL, 0, &zero, &keep), 0);
    CHECK_EQ(got_usr1, 0);
    CHECK_EQ(sigprocmask(SIG_UNBLOCK, &keep, NULL), 0);
    CHECK_EQ(got_usr1, 1);
}

int main(void)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);

    /* poll and ppoll */
    struct pollfd pf[2] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 } };
    CHECK_EQ(poll(pf, 1, 0), 0);
    CHECK_EQ(poll(pf, 2, 0), 1);
    CHECK_EQ(pf[1].revents, POLLOUT);
    CHECK_EQ(write(p[1], "x", 1), 1);
    struct timespec zero = { 0, 0 };
    CHECK_EQ(ppoll(pf, 2, &zero, NULL), 2);
    CHECK_EQ(pf[0].revents, POLLIN);
    printf("poll: readable after a write\n");

    /* select and pselect */
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(p[0], &rd);
    FD_SET(p[1], &wr);
    struct timeval tv = { 0, 0 };
    CHECK_EQ(select(p[1] + 1, &rd, &wr, NULL, &tv), 2);
    CHECK(FD_ISSET(p[0], &rd) && FD_ISSET(p[1], &wr));
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    CHECK_EQ(pselect(p[0] + 1, &rd, NULL, NULL, &zero, NULL), 0);
    CHECK(!FD_ISSET(p[0], &rd));
    printf("select: both ready, then nothing to read\n");

    /* epoll */
    int ep = epoll_create1(0);
    CHECK(ep >= 0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1122334455667788ULL };
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), -1);
    CHECK_EQ(errno, EEXIST);
    struct epoll_event out[4];
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
    CHECK_EQ(write(p[1], "yz", 2), 2);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
    CHECK_EQ(out[0].events, EPOLLIN);
    CHECK_EQ(out[0].data.u64, 0x1122334455667788ULL);
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u32 = 7;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), 0);
    CHECK_EQ(epoll_pwait(ep, out, 4, 0, NULL), 1);
    CHECK_EQ(out[0].data.u32, 7);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0); /* edge-triggered: reported once */
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), -1);
    CHECK_EQ(errno, ENOENT);
    char two[2];
    CHECK_EQ(read(p[0], two, 2), 2);
    close(ep);
    printf("epoll: level, edge, modify, delete\n");

    /* eventfd */
    int efd = eventfd(3, EFD_NONBLOCK);
    CHECK(efd >= 0);
    uint64_t v = 4;
    CHECK_EQ(write(efd, &v, 8), 8);
    CHECK_EQ(read(efd, &v, 8), 8);
    CHECK_EQ(v, 7);
    CHECK_EQ(read(efd, &v, 8), -1);
    CHECK_EQ(errno, EAGAIN);
    close(efd);
    efd = eventfd(2, EFD_NONBLOCK | EFD_SEMAPHORE | EFD_CLOEXEC);
    CHECK(efd >= 0);
    int reads = 0;
    while (read(efd, &v, 8) == 8) {
        CHECK_EQ(v, 1);
        reads++;
    }
    CHECK_EQ(reads, 2);
    close(efd);
    printf("eventfd: counter 7, semaphore read %d times\n", reads);

    /* timerfd armed at an absolute time in the past expires at once */
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK(tfd >= 0);
    CHECK_EQ(read(tfd, &v, 8), -1);
    CHECK_EQ(errno, EAGAIN);
    struct itimerspec its = { { 0, 0 }, { 0, 1 } }, cur;
    CHECK_EQ(timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL), 0);
    CHECK_EQ(read(tfd, &v, 8), 8);
    CHECK_EQ(v, 1);
    CHECK_EQ(timerfd_gettime(tfd, &cur), 0);
    CHECK_EQ(cur.it_value.tv_sec, 0);
    CHECK_EQ(cur.it_value.tv_nsec, 0);
    its.it_value.tv_sec = 1000;
    CHECK_EQ(timerfd_settime(tfd, 0, &its, NULL), 0);
    CHECK_EQ(timerfd_gettime(tfd, &cur), 0);
    CHECK(cur.it_value.tv_sec > 900 && cur.it_value.tv_sec <= 1000);
    close(tfd);
    printf("timerfd: expired once\n");

    /* signalfd reads a blocked, pending signal */
    sigset_t s2;
    sigemptyset(&s2);
    sigaddset(&s2, SIGUSR2);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &s2, NULL), 0);
    int sfd = signalfd(-1, &s2, SFD_NONBLOCK);
    CHECK(sfd >= 0);
    struct signalfd_siginfo si;
    CHECK_EQ(read(sfd, &si, sizeof si), -1);
    raise(SIGUSR2);
    CHECK_EQ(read(sfd, &si, sizeof si), sizeof si);
    CHECK_EQ(si.ssi_signo, SIGUSR2);
    CHECK_EQ(si.ssi_pid, getpid());
    close(sfd);
    printf("signalfd: read SIGUSR2\n");

    masked_waits();
    return check_done("poll_epoll");
}
