/* CALL/RET pairs and the ways real code breaks them, in hot loops (so that the JIT's
 * return-address prediction sees each many times): recursion far deeper than any return
 * stack, mutual recursion through function pointers, RET imm16, a callee that rewrites its
 * return address, a RET with no CALL (push/ret), CALLs that never return (the callee drops
 * its return address; longjmp out of a deep recursion), and RETs to an unmapped page and to
 * a non-canonical address, which fault. */
#include "check.h"
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) static uint64_t deep(uint64_t n)
{
    if (n == 0)
        return 1;
    uint64_t r = deep(n - 1);
    __asm__ volatile("" : "+r"(r));
    return r * 3 + n;
}

typedef uint64_t (*step_fn)(uint64_t, int);
static step_fn steps[3];

__attribute__((noinline)) static uint64_t step_a(uint64_t x, int d)
{
    return d == 0 ? x : steps[(x + d) % 3](x * 5 + 1, d - 1) + 1;
}

__attribute__((noinline)) static uint64_t step_b(uint64_t x, int d)
{
    return d == 0 ? x ^ 0x55 : steps[(x ^ d) % 3](x + 7, d - 1) * 3;
}

__attribute__((noinline)) static uint64_t step_c(uint64_t x, int d)
{
    return d == 0 ? ~x : steps[(x >> 3) % 3](x - 11, d - 1) ^ d;
}

/* callee_pops(a, b): returns a - b and pops its two stack arguments (RET 16). */
uint64_t callee_pops(void);
/* skip_next(): returns 1 to the instruction 2 bytes after its call (a 2-byte `jmp .+N` that
 * the caller leaves in place, so that returning normally gives 0). */
uint64_t skip_next(void);
/* no_return(x): drops its return address and jumps to `landing` with rax = x + 1. */
void no_return(void);
__asm__(".text\n"
        "callee_pops:\n"
        "    mov 8(%rsp), %rax\n"
        "    sub 16(%rsp), %rax\n"
        "    ret $16\n"
        "skip_next:\n"
        "    mov $1, %eax\n"
        "    addq $2, (%rsp)\n"
        "    ret\n"
        "no_return:\n"
        "    pop %rdx\n"
        "    lea 1(%rdi), %rax\n"
        "    jmp *%rsi\n");

static uint64_t pops(uint64_t a, uint64_t b)
{
    uint64_t r;
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "push %[b]\n\t"
                     "push %[a]\n\t"
                     "call callee_pops\n\t"
                     "lea 128(%%rsp), %%rsp"
                     : "=a"(r)
                     : [a] "r"(a), [b] "r"(b)
                     : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
    return r;
}

static uint64_t skipped(void)
{
    uint64_t r;
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "call skip_next\n\t"
                     "jmp 1f\n\t"
                     "add $10, %%rax\n"
                     "1: lea 128(%%rsp), %%rsp"
                     : "=a"(r)
                     :
                     : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
    return r;
}

/* Jumps to `there` through PUSH/RET: a RET that no CALL pushed for. */
static uint64_t push_ret(uint64_t x)
{
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "lea 1f(%%rip), %%rcx\n\t"
                     "push %%rcx\n\t"
                     "ret\n\t"
                     "add $100, %[x]\n"
                     "1: add $3, %[x]\n\t"
                     "lea 128(%%rsp), %%rsp"
                     : [x] "+r"(x)
                     :
                     : "rcx", "memory");
    return x;
}

static uint64_t dropped(uint64_t x)
{
    uint64_t r;
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "lea 1f(%%rip), %%rsi\n\t"
                     "call no_return\n\t"
                     "mov $999, %%rax\n"
                     "1: lea 128(%%rsp), %%rsp"
                     : "=a"(r), "+D"(x)
                     :
                     : "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
    return r;
}

static jmp_buf escape;

__attribute__((noinline)) static void dive(int depth, int bottom)
{
    volatile char pad[32];
    pad[0] = (char)depth;
    if (depth == bottom)
        longjmp(escape, depth + pad[0]);
    dive(depth + 1, bottom);
    pad[1] = 0;
}

static sigjmp_buf fault_env;
static volatile uintptr_t fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(fault_env, 1);
}

/* RET to `target`, from a call made for it. */
static void ret_to(uintptr_t target)
{
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "call 1f\n\t"
                     "jmp 2f\n"
                     "1: mov %0, (%%rsp)\n\t"
                     "ret\n"
                     "2: lea 128(%%rsp), %%rsp"
                     :
                     : "r"(target)
                     : "memory");
}

int main(void)
{
    uint64_t sum = 0;
    for (int i = 0; i < 200; i++)
        sum += deep(1000 + i * 37);
    hash_u64(sum);
    printf("deep: %016llx\n", (unsigned long long)sum);

    steps[0] = step_a;
    steps[1] = step_b;
    steps[2] = step_c;
    sum = 0;
    for (uint64_t i = 0; i < 20000; i++)
        sum += steps[i % 3](i, (int)(i % 23));
    hash_u64(sum);
    printf("mutual: %016llx\n", (unsigned long long)sum);

    int bad = 0;
    for (uint64_t i = 0; i < 50000; i++) {
        bad += pops(i * 7, i) != i * 6;
        bad += skipped() != 11;
        bad += push_ret(i) != i + 3;
        bad += dropped(i) != i + 1;
    }
    CHECK_EQ(bad, 0);
    printf("broken pairs: %d wrong\n", bad);

    sum = 0;
    for (int i = 0; i < 3000; i++) {
        int r = setjmp(escape);
        if (r == 0)
            dive(0, i % 200);
        sum += (uint64_t)r + deep(i % 50);
    }
    hash_u64(sum);
    printf("longjmp: %llu\n", (unsigned long long)sum);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
    long page = sysconf(_SC_PAGESIZE);
    char *hole = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(hole != MAP_FAILED);
    int faults = 0;
    for (int i = 0; i < 40; i++) {
        uintptr_t target = i % 2 ? (uintptr_t)hole + 8 * i : 0x8000000000000000ULL + i;
        fault_addr = 1;
        if (sigsetjmp(fault_env, 1) == 0)
            ret_to(target);
        else
            faults++;
        /* A RET to a non-canonical address is a #GP: si_addr is 0. */
        CHECK_EQ(fault_addr, i % 2 ? target : 0);
        CHECK_EQ(deep(i), deep(i));
    }
    CHECK_EQ(faults, 40);
    printf("faulting returns: %d\n", faults);
    return check_done("call_return");
}
