/* The XMM registers a SIGSEGV handler finds in its context are the ones
 * the instructions before the fault left, results computed just before
 * the faulting access included: a load from an inaccessible page, a store
 * to a read-only one, misaligned 16-byte operands (#GP, reported with
 * SI_KERNEL and no address), and a load that faults in the middle of a
 * loop. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

static sigjmp_buf back;
static volatile int shown;
static char *volatile expect;

static void handler(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    printf("signal %d, code %d, %s\n", sig, si->si_code,
           si->si_addr == expect ? "at the expected address" : "elsewhere");
    for (int r = 1; r <= shown; r++) {
        printf("  xmm%d:", r);
        for (int k = 3; k >= 0; k--)
            printf(" %08x", uc->uc_mcontext.fpregs->_xmm[r].element[k]);
        printf("\n");
    }
    siglongjmp(back, 1);
}

static float a[8] __attribute__((aligned(16))) = {1.5f, -2.25f, 3.0f, 1e10f, 0.125f, 7.0f, -1.0f, 9.5f};
static float b[4] __attribute__((aligned(16))) = {0.5f, 4.0f, -7.5f, 2.0f};

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    char *page = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return 1;
    mprotect(page + 4096, 4096, PROT_NONE);
    char *none = page + 4096;

    printf("load from an inaccessible page\n");
    shown = 4;
    expect = none;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("movaps %0, %%xmm1\n\t"
                         "movaps %1, %%xmm2\n\t"
                         "addps %%xmm2, %%xmm1\n\t"
                         "movaps %%xmm1, %%xmm3\n\t"
                         "mulps %%xmm2, %%xmm3\n\t"
                         "pxor %%xmm4, %%xmm4\n\t"
                         "subss %%xmm3, %%xmm4\n\t"
                         "movl (%2), %%eax\n\t"
                         :
                         : "m"(a), "m"(b), "r"(none)
                         : "xmm1", "xmm2", "xmm3", "xmm4", "eax", "memory");
        printf("not reached\n");
    }

    printf("store to a read-only page\n");
    mprotect(page, 4096, PROT_READ);
    expect = page;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("movups 4+%0, %%xmm1\n\t"
                         "movaps %1, %%xmm2\n\t"
                         "maxps %%xmm2, %%xmm1\n\t"
                         "movaps %%xmm1, %%xmm3\n\t"
                         "unpcklps %%xmm2, %%xmm3\n\t"
                         "movaps %%xmm3, %%xmm4\n\t"
                         "paddd %%xmm1, %%xmm4\n\t"
                         "movups %%xmm4, (%2)\n\t"
                         :
                         : "m"(a), "m"(b), "r"(page)
                         : "xmm1", "xmm2", "xmm3", "xmm4", "memory");
        printf("not reached\n");
    }
    mprotect(page, 4096, PROT_READ | PROT_WRITE);

    printf("misaligned operand\n");
    expect = 0;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("movaps %0, %%xmm1\n\t"
                         "mulps %1, %%xmm1\n\t"
                         "movaps %%xmm1, %%xmm2\n\t"
                         "shufps $0x1b, %%xmm2, %%xmm2\n\t"
                         "movaps %%xmm2, %%xmm3\n\t"
                         "addss %%xmm1, %%xmm3\n\t"
                         "xorps %%xmm4, %%xmm4\n\t"
                         "addps 4+%0, %%xmm4\n\t"
                         :
                         : "m"(a), "m"(b)
                         : "xmm1", "xmm2", "xmm3", "xmm4", "memory");
        printf("not reached\n");
    }

    printf("misaligned load and store\n");
    shown = 2;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("movaps %0, %%xmm1\n\t"
                         "movaps %1, %%xmm2\n\t"
                         "subps %%xmm2, %%xmm1\n\t"
                         "movdqa 8+%0, %%xmm3\n\t"
                         :
                         : "m"(a), "m"(b)
                         : "xmm1", "xmm2", "xmm3", "memory");
        printf("not reached\n");
    }
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("movaps %0, %%xmm1\n\t"
                         "movaps %1, %%xmm2\n\t"
                         "mulps %%xmm2, %%xmm1\n\t"
                         "movaps %%xmm1, 8(%2)\n\t"
                         :
                         : "m"(a), "m"(b), "r"(page)
                         : "xmm1", "xmm2", "memory");
        printf("not reached\n");
    }

    printf("load in a loop\n");
    expect = none;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("movaps %0, %%xmm1\n\t"
                         "movaps %1, %%xmm2\n\t"
                         "xor %%ecx, %%ecx\n\t"
                         "1:\n\t"
                         "addps %%xmm2, %%xmm1\n\t"
                         "movl (%2,%%rcx,4), %%eax\n\t"
                         "inc %%rcx\n\t"
                         "jmp 1b\n\t"
                         :
                         : "m"(a), "m"(b), "r"(none - 64)
                         : "xmm1", "xmm2", "eax", "rcx", "memory");
        printf("not reached\n");
    }
    return 0;
}
