/* The arithmetic flags a SIGSEGV handler sees where a load faults, when the handler is
 * installed only after the code ran (and was translated) many times: EFLAGS in the signal
 * context are those the instructions before the load left (CF from STC, the others from
 * INC), though the instruction after the load overwrites them all. The same where the
 * load is a callee's first instruction: a CALL ends the block before it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* load_after_inc(p, x): STC; x + 1 by INC; loads the byte at p; compares it with 0. */
uint64_t load_after_inc(const void *p, uint64_t x);
__asm__(".text\n"
        "load_after_inc:\n"
        "    mov %rsi, %rax\n"
        "    stc\n"
        "    inc %rax\n"
        "    movzbl (%rdi), %ecx\n"
        "    cmp $0, %ecx\n"
        "    sete %cl\n"
        "    add %rcx, %rax\n"
        "    ret\n");

/* call_load_after_inc(p, x): the same, the load and compare in a function it calls. */
uint64_t call_load_after_inc(const void *p, uint64_t x);
__asm__(".text\n"
        ".p2align 6\n"
        "call_load_after_inc:\n"
        "    mov %rsi, %rax\n"
        "    stc\n"
        "    inc %rax\n"
        "    call load_and_compare\n"
        "    add %rcx, %rax\n"
        "    ret\n"
        "load_and_compare:\n"
        "    movzbl (%rdi), %ecx\n"
        "    cmp $0, %ecx\n"
        "    sete %cl\n"
        "    ret\n");

static sigjmp_buf back;
static volatile uint64_t seen_flags;

static void on_segv(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    (void)sig;
    (void)si;
    seen_flags = uc->uc_mcontext.gregs[REG_EFL];
    siglongjmp(back, 1);
}

int main(void)
{
    static const uint64_t xs[] = { 0, 0x7fffffffffffffffULL, (uint64_t)-1, 0x7f, 0xff, 41 };
    const uint8_t zero = 0, one = 1;
    uint64_t sum = 0;
    for (int i = 0; i < 20000; i++) {
        sum += load_after_inc(i % 2 ? &zero : &one, xs[i % 6]);
        sum += call_load_after_inc(i % 3 ? &zero : &one, xs[i % 6]);
    }
    printf("before the handler: %llu\n", (unsigned long long)sum);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    void *hole = mmap(0, sysconf(_SC_PAGESIZE), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int round = 0; round < 3; round++) {
        for (unsigned k = 0; k < sizeof xs / sizeof xs[0]; k++) {
            seen_flags = 0;
            if (sigsetjmp(back, 1) == 0)
                load_after_inc(hole, xs[k]);
            /* CF, PF, AF, ZF, SF, OF */
            printf("x=%llx: flags at the fault %03llx\n", (unsigned long long)xs[k],
                   (unsigned long long)(seen_flags & 0x8d5));
            seen_flags = 0;
            if (sigsetjmp(back, 1) == 0)
                call_load_after_inc(hole, xs[k]);
            printf("x=%llx: flags at the fault in the callee %03llx\n",
                   (unsigned long long)xs[k], (unsigned long long)(seen_flags & 0x8d5));
        }
    }
    return 0;
}
