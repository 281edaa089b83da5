/* Signals that must wake a blocking call even when they arrive just before it: thousands of
 * round trips with a second process, each side waiting in sigsuspend, in ppoll with a signal
 * mask, or in a blocking read of a pipe its own handler writes to (the self-pipe pattern), and
 * a fast periodic timer against sigsuspend. A wakeup lost between "signal queued" and "call
 * blocks" hangs the program; a watchdog alarm then kills it instead of the test timing out. */
#include "check.h"
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 2000
#define TICKS 500
/* Bound of the parent's spin before a read, in steps; and the time after which it stops
 * spinning (keeps a slow engine's run short, or one where the signal never comes during the
 * spin, as on a busy machine). */
#define MAX_SPIN 20000
#define SPIN_MS 300

static volatile sig_atomic_t got, arrived;
static int self_pipe[2];

static void on_signal(int sig)
{
    (void)sig;
    got++;
}

static void on_signal_write(int sig)
{
    (void)sig;
    arrived = 1;
    char b = 'x';
    if (write(self_pipe[1], &b, 1) != 1)
        _exit(101);
}

static void install(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(sig, &sa, NULL), 0);
}

/* Waits until the handler of a signal blocked outside the wait has run once. */
static void wait_for_signal(const sigset_t *open, int use_ppoll)
{
    while (!got) {
        if (use_ppoll)
            ppoll(NULL, 0, NULL, open);
        else
            sigsuspend(open);
    }
    got = 0;
}

/* ROUNDS round trips: the child sends SIGUSR1 and waits for SIGUSR2; the parent waits for
 * SIGUSR1 and answers. Both keep the signals blocked outside the wait. */
static void ping_pong(int use_ppoll)
{
    sigset_t block, open;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &block, &open), 0);
    install(SIGUSR1, on_signal, 0);
    install(SIGUSR2, on_signal, 0);
    got = 0;
    pid_t parent = getpid();
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        alarm(20);
        for (int i = 0; i < ROUNDS; i++) {
            if (kill(parent, SIGUSR1) != 0)
                _exit(102);
            wait_for_signal(&open, use_ppoll);
        }
        _exit(0);
    }
    int answered = 0;
    for (int i = 0; i < ROUNDS; i++) {
        wait_for_signal(&open, use_ppoll);
        CHECK_EQ(kill(child, SIGUSR2), 0);
        answered++;
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(sigprocmask(SIG_SETMASK, &open, NULL), 0);
    printf("%s ping-pong: %d round trips, child status %d\n", use_ppoll ? "ppoll" : "sigsuspend",
           answered, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Spins until the signal has come or `steps` steps have passed; returns the steps taken. */
static unsigned spin_until_signal(unsigned steps)
{
    unsigned n = 0;
    while (n < steps && !arrived)
        n++;
    return n;
}

/* ROUNDS signals, each caught by a handler that writes to a pipe the parent blocks reading
 * (SA_RESTART, signal never blocked). The child sends the next signal as soon as it sees the
 * parent's acknowledgement in shared memory; the parent spins a while before each read,
 * learning how long after its acknowledgement the signal comes and sweeping the start of the
 * read across that moment. */
static void self_pipe_reads(void)
{
    int *acked = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(acked != MAP_FAILED);
    CHECK_EQ(pipe(self_pipe), 0);
    install(SIGUSR1, on_signal_write, SA_RESTART);
    pid_t parent = getpid();
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        alarm(20);
        for (int i = 0; i < ROUNDS; i++) {
            while (__atomic_load_n(acked, __ATOMIC_ACQUIRE) < i)
                sched_yield();
            if (kill(parent, SIGUSR1) != 0)
                _exit(103);
        }
        _exit(0);
    }
    int bytes = 0;
    unsigned when = 256; /* spin steps from the acknowledgement to the signal, estimated */
    struct timespec start, now;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &start), 0);
    for (int i = 0; i < ROUNDS; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        unsigned n = spin_until_signal(ms < SPIN_MS ? when - when * (i % 32) / 64 : 0);
        if (arrived)
            when = when - when / 8 + n / 8 + 1;
        else if (when < MAX_SPIN)
            when += when / 8 + 1;
        char b;
        if (read(self_pipe[0], &b, 1) == 1 && b == 'x')
            bytes++;
        arrived = 0;
        __atomic_store_n(acked, i + 1, __ATOMIC_RELEASE);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(self_pipe[0]);
    close(self_pipe[1]);
    munmap(acked, 4096);
    printf("self-pipe reads: %d bytes from %d signals\n", bytes, ROUNDS);
}

/* A 200 us periodic timer against sigsuspend: one handler run per wakeup. */
static void timer_ticks(void)
{
    sigset_t block, open;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &block, &open), 0);
    install(SIGUSR2, on_signal, 0);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    timer_t t;
    CHECK_EQ(timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
    struct itimerspec its = { { 0, 200000 }, { 0, 200000 } };
    CHECK_EQ(timer_settime(t, 0, &its, NULL), 0);
    int ticks = 0;
    for (int i = 0; i < TICKS; i++) {
        wait_for_signal(&open, 0);
        ticks++;
    }
    CHECK_EQ(timer_delete(t), 0);
    CHECK_EQ(sigprocmask(SIG_SETMASK, &open, NULL), 0);
    printf("timer: %d wakeups of sigsuspend\n", ticks);
}

int main(void)
{
    /* A lost wakeup ends in SIGALRM's default action, not a test timeout. */
    alarm(30);
    fflush(stdout);
    ping_pong(0);
    fflush(stdout);
    ping_pong(1);
    fflush(stdout);
    self_pipe_reads();
    timer_ticks();
    return check_done("sig_wakeup_race");
}
