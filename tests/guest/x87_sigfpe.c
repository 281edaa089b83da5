/* Unmasked x87 exceptions: the faulting operation only sets ES; the next
 * waiting x87 instruction raises #MF, delivered as SIGFPE with the si_code
 * the kernel derives from the status and control words, and the handler
 * starts with a clean FPU. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile int code;
static volatile unsigned short handler_cw, ctx_cw, ctx_sw;

static void on_fpe(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    (void)sig;
    code = si->si_code;
    __asm__ volatile("fnstcw %0" : "=m"(handler_cw));
    ctx_cw = uc->uc_mcontext.fpregs->cwd;
    ctx_sw = uc->uc_mcontext.fpregs->swd;
    siglongjmp(jb, 1);
}

/* Runs `op` (which leaves an unmasked exception pending) with control word
 * `cw`, then FWAIT; returns the SIGFPE code, or 0 if nothing trapped. */
static int trap(unsigned short cw, int op, unsigned short *sw_after_op)
{
    volatile long double one = 1.0L, zero = 0.0L, huge = 1e4000L;
    code = 0;
    if (sigsetjmp(jb, 1) == 0) {
        __asm__ volatile("fninit\n\tfldcw %0" : : "m"(cw));
        switch (op) {
        case 0: /* 1 / 0 */
            __asm__ volatile("fldt %1\n\tfldt %2\n\tfdivrp\n\tfnstsw %0\n\tfwait\n\tfstp %%st(0)"
                             : "=m"(*sw_after_op)
                             : "m"(one), "m"(zero)
                             : "st", "st(1)", "memory");
            break;
        case 1: /* 0 / 0 */
            __asm__ volatile("fldt %1\n\tfldt %1\n\tfdivrp\n\tfnstsw %0\n\tfld1\n\tfstp %%st(0)\n\tfstp %%st(0)"
                             : "=m"(*sw_after_op)
                             : "m"(zero)
                             : "st", "st(1)", "memory");
            break;
        case 2: { /* huge * huge */
            double d;
            __asm__ volatile("fldt %2\n\tfldt %2\n\tfmulp\n\tfnstsw %0\n\tfstpl %1"
                             : "=m"(*sw_after_op), "=m"(d)
                             : "m"(huge)
                             : "st", "st(1)", "memory");
            break;
        }
        case 3: { /* store to double overflows: the store and pop do not happen */
            double d = 1.5;
            __asm__ volatile("fldt %1\n\tfstpl %2\n\tfnstsw %0\n\tfwait"
                             : "=m"(*sw_after_op)
                             : "m"(huge), "m"(d)
                             : "st", "memory");
            break;
        }
        }
        __asm__ volatile("fninit");
        return 0;
    }
    return code;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, NULL);
    int failures = 0;

    static const struct {
        unsigned short cw;
        int op, want;
        const char *name;
    } cases[] = {
        { 0x037f, 0, 0, "1/0 masked" },
        { 0x037b, 0, FPE_FLTDIV, "1/0 ZE unmasked" },
        { 0x037e, 1, FPE_FLTINV, "0/0 IE unmasked" },
        { 0x037e, 0, 0, "1/0 only IE unmasked" },
        { 0x0377, 2, FPE_FLTOVF, "overflow OE unmasked" },
        { 0x0377, 3, FPE_FLTOVF, "fstp m64 overflow" },
    };
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsigned short sw = 0;
        handler_cw = ctx_cw = ctx_sw = 0;
        int got = trap(cases[k].cw, cases[k].op, &sw);
        printf("%-22s sw after op %04x, SIGFPE code %d (want %d), handler cw %04x, context cw "
               "%04x sw %04x\n",
               cases[k].name, sw, got, cases[k].want, handler_cw, ctx_cw, ctx_sw);
        if (got != cases[k].want) {
            printf("  FAIL\n");
            failures++;
        }
        if (got && handler_cw != 0x037f) {
            printf("  FAIL: handler FPU not clean\n");
            failures++;
        }
    }
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    printf("cw at end %04x\n", cw);
    printf("%s\n", failures ? "x87_sigfpe: FAILED" : "x87_sigfpe: ok");
    return failures != 0;
}
