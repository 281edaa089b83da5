/* #DE from DIV and IDIV: a zero divisor and a quotient that does not fit
 * (INT_MIN / -1, and an unsigned overflow) each raise SIGFPE with
 * si_code FPE_INTDIV at the dividing instruction, with RAX and RDX not
 * yet written. The handler steps over the 3-byte instruction. Exits 0. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static volatile int hits, codes_ok, regs_ok;
static volatile uint64_t want_rax, want_rdx;
extern char div_at[], idiv_at[];

static void on_fpe(int sig, siginfo_t *si, void *uc_) {
    ucontext_t *uc = uc_;
    greg_t *g = uc->uc_mcontext.gregs;
    hits++;
    codes_ok += sig == SIGFPE && si->si_code == FPE_INTDIV &&
                ((char *)g[REG_RIP] == div_at || (char *)g[REG_RIP] == idiv_at);
    regs_ok += (uint64_t)g[REG_RAX] == want_rax && (uint64_t)g[REG_RDX] == want_rdx;
    g[REG_RIP] += 3;
}

__attribute__((noinline, noclone)) static void divide(int sign, uint64_t rax, uint64_t rdx, uint64_t d) {
    want_rax = rax, want_rdx = rdx;
    if (sign)
        __asm__ volatile(".globl idiv_at\nidiv_at: idivq %2" : "+a"(rax), "+d"(rdx) : "c"(d) : "cc");
    else
        __asm__ volatile(".globl div_at\ndiv_at: divq %2" : "+a"(rax), "+d"(rdx) : "c"(d) : "cc");
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, 0);
    divide(0, 5, 0, 0);                     /* zero divisor */
    divide(1, 5, 0, 0);
    divide(0, 0, 7, 7);                     /* quotient >= 2^64 */
    divide(1, 0, 0x8000000000000000ull, 1); /* quotient >= 2^63 */
    divide(1, 0x8000000000000000ull, ~0ull, ~0ull); /* INT64_MIN / -1 */
    divide(0, 100, 0, 7);                   /* fine: no signal */
    printf("#DE: %d signals, %d with FPE_INTDIV at the instruction, %d with registers intact\n",
           hits, codes_ok, regs_ok);
    return hits == 5 && codes_ok == 5 && regs_ok == 5 ? 0 : 1;
}
