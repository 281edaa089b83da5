/* Shared by the guest tests that provoke SIGSEGV on purpose: a handler that
 * records the siginfo and RIP, RAX and RCX of the faulting context, then
 * jumps back to `recover` (set it with sigsetjmp(recover, 1)). */
#ifndef OX86_SEGV_RECORD_H
#define OX86_SEGV_RECORD_H

#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>

static sigjmp_buf recover;
static siginfo_t last;
static unsigned long long last_rip, last_rax, last_rcx;

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    last = *si;
    last_rip = uc->uc_mcontext.gregs[REG_RIP];
    last_rax = uc->uc_mcontext.gregs[REG_RAX];
    last_rcx = uc->uc_mcontext.gregs[REG_RCX];
    siglongjmp(recover, 1);
}

/* Installs `on_segv` for SIGSEGV. */
static void record_segv(void)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
}

#endif
