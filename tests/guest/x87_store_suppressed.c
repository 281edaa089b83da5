/* x87 stores to memory an unmasked exception suppresses: FISTP/FISTTP of a
 * NaN or an out-of-range value with IM clear, FSTP of an overflowing or
 * underflowing value with OM or UM clear. A writable destination keeps its
 * bytes; an unmapped or read-only one does not fault on an Intel processor,
 * which touches no memory, and faults on an AMD one, which checks the page
 * (the native run shows which: ox86 does as its host). With the exception
 * masked the store happens (and faults where it must, with the status word
 * as before the instruction). Each case runs many times, so that it runs
 * both before and after it is compiled. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int faults;
static volatile unsigned short fault_sw;

static void on_segv(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    (void)sig;
    (void)si;
    faults++;
    fault_sw = uc->uc_mcontext.fpregs->swd;
    siglongjmp(back, 1);
}

enum op { FISTP32, FISTTP64, FISTP16, FSTP32, FSTP64 };

/* Runs `op` on `v` with control word `cw` into `dst`; returns the status
 * word after it (exceptions cleared again), or 0xffff if it faulted. */
static unsigned short run(enum op op, long double v, unsigned short cw, void *dst)
{
    unsigned short sw = 0;
    if (sigsetjmp(back, 1))
        return 0xffff;
    __asm__ volatile("fninit\n\tfldcw %0" : : "m"(cw));
    switch (op) {
    case FISTP32: __asm__ volatile("fldt %1\n\tfistpl %0" : "=m"(*(int32_t *)dst) : "m"(v)); break;
    case FISTTP64: __asm__ volatile("fldt %1\n\tfisttpll %0" : "=m"(*(int64_t *)dst) : "m"(v)); break;
    case FISTP16: __asm__ volatile("fldt %1\n\tfistps %0" : "=m"(*(int16_t *)dst) : "m"(v)); break;
    case FSTP32: __asm__ volatile("fldt %1\n\tfstps %0" : "=m"(*(float *)dst) : "m"(v)); break;
    case FSTP64: __asm__ volatile("fldt %1\n\tfstpl %0" : "=m"(*(double *)dst) : "m"(v)); break;
    }
    __asm__ volatile("fnstsw %0\n\tfnclex" : "=m"(sw));
    return sw;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    long page = sysconf(_SC_PAGESIZE);
    char *none = mmap(0, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *ro = mmap(0, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(ro, 0x5c, page);
    mprotect(ro, page, PROT_READ);
    static uint64_t rw[2];

    struct {
        enum op op;
        long double v;
        unsigned short unmask;
    } cases[] = {
        { FISTP32, __builtin_nanl(""), 0x01 },
        { FISTP32, 1e20L, 0x01 },
        { FISTTP64, -1e30L, 0x01 },
        { FISTP16, 40000.0L, 0x01 },
        { FSTP32, 1e300L, 0x08 },
        { FSTP64, 1e-4000L, 0x10 },
        { FISTP32, 2.5L, 0x00 },
        { FISTP32, 2.5L, 0x20 },
        { FSTP64, 0.1L, 0x20 },
    };
    char *dests[] = { none, ro, (char *)rw };
    const char *names[] = { "unmapped", "read-only", "writable" };
    for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int d = 0; d < 3; d++) {
            for (int masked = 0; masked < 2; masked++) {
                unsigned short cw = masked ? 0x37f : 0x37f & ~cases[c].unmask;
                unsigned short sw = 0;
                int f0 = faults;
                for (int k = 0; k < 50; k++) {
                    rw[0] = rw[1] = 0x1122334455667788ULL;
                    sw = run(cases[c].op, cases[c].v, cw, dests[d]);
                }
                printf("case %u %s %s: sw %04x, faults %d (sw at fault %04x), memory %016llx %02x\n",
                       c, names[d], masked ? "masked" : "unmasked", sw, faults - f0,
                       faults > f0 ? fault_sw : 0, (unsigned long long)rw[0],
                       (unsigned char)ro[0]);
            }
        }
    }
    return 0;
}
