/* An access to a non-canonical address is a general-protection fault,
 * which Linux reports as SIGSEGV with si_code SI_KERNEL and no address
 * (not the page fault a canonical address would give): loads and stores
 * of each size, and calls to such an address, whose instruction fetch
 * faults; repeated so that the code runs both before and after it is
 * compiled. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf back;
static volatile int code;
static void *volatile addr;

static void handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    code = si->si_code;
    addr = si->si_addr;
    siglongjmp(back, 1);
}

static __attribute__((noinline)) uint64_t load(volatile uint64_t *p, int size)
{
    switch (size) {
    case 1: return *(volatile uint8_t *)p;
    case 4: return *(volatile uint32_t *)p;
    default: return *p;
    }
}

static __attribute__((noinline)) void store(volatile uint64_t *p, int size)
{
    switch (size) {
    case 1: *(volatile uint8_t *)p = 1; break;
    case 4: *(volatile uint32_t *)p = 1; break;
    default: *p = 1; break;
    }
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    volatile uint64_t *bad[] = {
        (volatile uint64_t *)0x8000000000000000ull,
        (volatile uint64_t *)0x0000800000000000ull,
        (volatile uint64_t *)0xdead0000beef0000ull,
    };
    volatile uint64_t *unmapped = (volatile uint64_t *)0x1000;
    for (int round = 0; round < 40; round++) {
        for (int k = 0; k < 4; k++) {
            volatile uint64_t *p = k < 3 ? bad[k] : unmapped;
            for (int size = 1; size <= 8; size *= 2) {
                if (size == 2)
                    continue;
                for (int write = 0; write < 3; write++) {
                    code = -1;
                    if (sigsetjmp(back, 1) == 0) {
                        if (write == 2)
                            ((void (*)(void))(uintptr_t)p)();
                        else if (write)
                            store(p, size);
                        else
                            load(p, size);
                    }
                    static const char *const what[] = { "load", "store", "call" };
                    if (round == 0 || round == 39)
                        printf("%d %d %s%d: code %d, addr %s\n", round, k, what[write], size, code,
                               addr == 0 ? "0" : addr == (void *)p ? "the address" : "other");
                }
            }
        }
    }
    return 0;
}
