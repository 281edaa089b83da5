/* A SIGSEGV handler for string-instruction tests: records the fault
 * address and RDI, RSI and RCX as the faulting instruction left them,
 * then jumps back to `back` (set with sigsetjmp). */
#ifndef OX86_STRING_FAULT_H
#define OX86_STRING_FAULT_H

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

static sigjmp_buf back;
static volatile uint64_t fault_addr, fault_rdi, fault_rsi, fault_rcx;

static void on_segv(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    (void)sig;
    fault_addr = (uint64_t)si->si_addr;
    fault_rdi = uc->uc_mcontext.gregs[REG_RDI];
    fault_rsi = uc->uc_mcontext.gregs[REG_RSI];
    fault_rcx = uc->uc_mcontext.gregs[REG_RCX];
    siglongjmp(back, 1);
}

#endif
