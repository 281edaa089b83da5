/* Signal handlers: SIGSEGV (SEGV_MAPERR/SEGV_ACCERR with si_addr) recovered by siglongjmp;
 * SIGFPE, SIGILL and SIGTRAP with si_addr/si_code, resumed by editing RIP and RAX in the
 * ucontext; SIGUSR1/SIGUSR2 from raise and kill with si_code and si_pid; sa_mask deferring a
 * nested signal; sigaltstack; SIGALRM from setitimer; SSE registers preserved across a handler. */
#include "check.h"
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf recover;
static volatile sig_atomic_t hits;
static siginfo_t last;
static char log_buf[256];
static volatile int log_len;

static void note(const char *s)
{
    while (*s && log_len < (int)sizeof log_buf - 1)
        log_buf[log_len++] = *s++;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    (void)sig;
    last = *si;
    hits++;
    siglongjmp(recover, 1);
}

/* Skips the faulting instruction (its length is in the ud2/int3/idiv sequences below: the
 * caller puts it in R11 before the instruction) and sets RAX to a marker. */
static void on_resume(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    last = *si;
    hits++;
    if (sig != SIGTRAP)
        uc->uc_mcontext.gregs[REG_RIP] += uc->uc_mcontext.gregs[REG_R11];
    uc->uc_mcontext.gregs[REG_RAX] = 0x600d0000 + sig;
}

static void on_user(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    last = *si;
    hits++;
    note(sig == SIGUSR1 ? "[usr1 in" : "[usr2 in");
    if (sig == SIGUSR1)
        raise(SIGUSR2); /* blocked by sa_mask until this handler returns */
    note(sig == SIGUSR1 ? " usr1 out]" : " usr2 out]");
}

static char *alt_base;
static volatile int on_alt;

static void on_alt_handler(int sig)
{
    char local;
    (void)sig;
    on_alt = &local >= alt_base && &local < alt_base + 65536;
}

static volatile int alarms;
static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int extra_flags, int mask_sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | extra_flags;
    sigemptyset(&sa.sa_mask);
    if (mask_sig)
        sigaddset(&sa.sa_mask, mask_sig);
    CHECK_EQ(sigaction(sig, &sa, NULL), 0);
}

int main(void)
{
    install(SIGSEGV, on_segv, 0, 0);
    /* a read from an unmapped low address */
    if (sigsetjmp(recover, 1) == 0) {
        volatile int *bad = (volatile int *)0x1008;
        (void)*bad;
        CHECK(0);
    }
    CHECK_EQ(last.si_signo, SIGSEGV);
    CHECK_EQ(last.si_code, SEGV_MAPERR);
    CHECK_EQ((uintptr_t)last.si_addr, 0x1008);
    printf("SIGSEGV read: code %d addr %p\n", last.si_code, last.si_addr);

    /* a write to a read-only page */
    long page = sysconf(_SC_PAGESIZE);
    char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(ro != MAP_FAILED);
    if (sigsetjmp(recover, 1) == 0) {
        ro[123] = 1;
        CHECK(0);
    }
    CHECK_EQ(last.si_code, SEGV_ACCERR);
    CHECK_EQ((char *)last.si_addr - ro, 123);
    printf("SIGSEGV write to read-only page: code %d offset %ld\n", last.si_code, (long)((char *)last.si_addr - ro));
    /* the handler can run again after siglongjmp restored the mask */
    if (sigsetjmp(recover, 1) == 0) {
        ((volatile char *)ro)[7] = 2;
        CHECK(0);
    }
    CHECK_EQ(hits, 3);
    munmap(ro, page);

    /* SIGILL from ud2, resumed after it */
    install(SIGILL, on_resume, 0, 0);
    uint64_t rax, at;
    __asm__ volatile("lea 1f(%%rip), %[at]\n\t"
                     "mov $2, %%r11\n\t"
                     "xor %%eax, %%eax\n"
                     "1:\tud2"
                     : "=a"(rax), [at] "=r"(at)
                     :
                     : "r11", "memory");
    CHECK_EQ(rax, 0x600d0000 + SIGILL);
    CHECK_EQ(last.si_code, ILL_ILLOPN);
    CHECK_EQ((uint64_t)last.si_addr, at);
    printf("SIGILL: code %d at the ud2: %s, resumed with rax %llx\n", last.si_code,
           (uint64_t)last.si_addr == at ? "yes" : "no", (unsigned long long)rax);

    /* SIGFPE from idiv by zero (3-byte instruction), resumed after it */
    install(SIGFPE, on_resume, 0, 0);
    __asm__ volatile("lea 1f(%%rip), %[at]\n\t"
                     "mov $3, %%r11\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     "mov $77, %%eax\n\t"
                     "cqo\n"
                     "1:\tidivq %%rcx"
                     : "=a"(rax), [at] "=r"(at)
                     :
                     : "rcx", "rdx", "r11", "memory", "cc");
    CHECK_EQ(rax, 0x600d0000 + SIGFPE);
    CHECK_EQ(last.si_code, FPE_INTDIV);
    CHECK_EQ((uint64_t)last.si_addr, at);
    printf("SIGFPE: code %d at the idiv: %s\n", last.si_code, (uint64_t)last.si_addr == at ? "yes" : "no");

    /* SIGTRAP from int3: RIP already points after it */
    install(SIGTRAP, on_resume, 0, 0);
    __asm__ volatile("xor %%eax, %%eax\n\tint3\n\tnop" : "=a"(rax) : : "memory");
    CHECK_EQ(rax, 0x600d0000 + SIGTRAP);
    CHECK_EQ(last.si_signo, SIGTRAP);
    printf("SIGTRAP: resumed with rax %llx\n", (unsigned long long)rax);

    /* raise and kill; SIGUSR2 is deferred while the SIGUSR1 handler runs */
    install(SIGUSR1, on_user, 0, SIGUSR2);
    install(SIGUSR2, on_user, 0, 0);
    raise(SIGUSR1);
    printf("order: %.*s\n", log_len, log_buf);
    CHECK(strcmp(log_buf, "[usr1 in usr1 out][usr2 in usr2 out]") == 0);
    CHECK_EQ(last.si_signo, SIGUSR2);
    CHECK_EQ(last.si_code, SI_TKILL);
    CHECK_EQ(last.si_pid, getpid());
    log_len = 0;
    memset(log_buf, 0, sizeof log_buf);
    kill(getpid(), SIGUSR2);
    CHECK_EQ(last.si_code, SI_USER);
    CHECK_EQ(last.si_pid, getpid());
    printf("kill: %.*s code %d pid matches %d\n", log_len, log_buf, last.si_code, last.si_pid == getpid());

    /* an alternate signal stack */
    stack_t ss = { 0 };
    alt_base = malloc(65536);
    ss.ss_sp = alt_base;
    ss.ss_size = 65536;
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alt_handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGURG, &sa, NULL);
    raise(SIGURG);
    CHECK_EQ(on_alt, 1);
    printf("handler ran on the alternate stack: %s\n", on_alt ? "yes" : "no");

    /* SSE state survives a handler that does its own floating point */
    volatile double a = 1.25, b = 3.5;
    double before = a * b;
    raise(SIGURG);
    CHECK(a * b == before);

    /* interval timer */
    signal(SIGALRM, on_alarm);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct itimerval it = { { 0, 0 }, { 0, 5000 } };
    CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
    while (!alarms)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK_EQ(alarms, 1);
    printf("SIGALRM delivered once, waking sigsuspend()\n");

    /* SIG_IGN and SIG_DFL of a non-fatal signal */
    signal(SIGCHLD, SIG_IGN);
    raise(SIGCHLD);
    signal(SIGWINCH, SIG_DFL);
    raise(SIGWINCH);
    printf("ignored and default-ignored signals did nothing\n");
    return check_done("sig_handler");
}
