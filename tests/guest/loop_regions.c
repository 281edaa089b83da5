/* Loops spread over several blocks, which the JIT translates as one region
 * once it sees a jump back to the loop's head: C loops with if/else, early
 * exits, nesting and calls, a loop entered at its test; and a hand-assembled loop with a block below
 * its head, which is run until its region forms, then
 *  - faults inside that lower block (SIGSEGV with si_addr, RIP, RAX and RCX
 *    as the instructions before it left them), and
 *  - is rewritten (mprotect, patch one block below the head and one above,
 *    mprotect back) and must run the new code. */
#include "check.h"
#include "segv_record.h"
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static unsigned long long collatz_steps(unsigned long long n)
{
    unsigned long long total = 0;
    for (unsigned long long s = 1; s <= n; s++) {
        unsigned long long x = s;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            total++;
        }
    }
    return total;
}

static __attribute__((noinline)) unsigned mix(unsigned a, unsigned b)
{
    return (a * 2654435761u) ^ (b >> 3);
}

/* if/else chains, a break, a continue, a nested loop and a call. */
static unsigned long long branchy(const unsigned *v, int n)
{
    unsigned long long acc = 0;
    for (int i = 0; i < n; i++) {
        unsigned x = v[i];
        if (x % 7 == 0)
            continue;
        if (x > 0xf0000000u)
            break;
        if (x & 1)
            acc += x;
        else if (x & 2)
            acc ^= (unsigned long long)x << 7;
        else
            acc -= x >> 1;
        for (unsigned j = x & 3; j; j--)
            acc = acc * 31 + j;
        if ((i & 15) == 15)
            acc += mix((unsigned)acc, x);
    }
    return acc;
}

/* An escape-time count over a grid: the inner loop tests at its bottom,
 * has an early exit, and the outer loop enters it at its test. */
static unsigned long long escape_counts(int n)
{
    unsigned long long total = 0;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            double cr = 2.0 * x / n - 1.5, ci = 2.0 * y / n - 1.0;
            double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
            int i = 0;
            while (zr2 + zi2 <= 4.0) {
                zi = 2 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                if (++i == 100)
                    break;
            }
            total += (unsigned long long)i * (x + 1);
        }
    return total;
}

/* The hand-assembled loop: sum(n) = for rcx = n .. 1: rax += rcx odd ?
 * a[rcx - 1] : 3. The head tests rcx; the odd case is a block below it. */
static const unsigned char loop_code[] = {
    0x48, 0x89, 0xd1,             /*  0: mov rcx, rdx */
    0x31, 0xc0,                   /*  3: xor eax, eax */
    0xeb, 0x07,                   /*  5: jmp head (14) */
    0x48, 0x03, 0x44, 0xcf, 0xf8, /*  7: low: add rax, [rdi+rcx*8-8] */
    0xeb, 0x09,                   /* 12: jmp cont (23) */
    0xf6, 0xc1, 0x01,             /* 14: head: test cl, 1 */
    0x75, 0xf4,                   /* 17: jnz low (7) */
    0x48, 0x83, 0xc0, 0x03,       /* 19: add rax, 3 */
    0x48, 0xff, 0xc9,             /* 23: cont: dec rcx */
    0x75, 0xf2,                   /* 26: jnz head (14) */
    0xc3,                         /* 28: ret */
};
#define LOW_ADD 7    /* the add's opcode byte is at LOW_ADD + 1 */
#define ADD3_IMM 22  /* the 3 of add rax, 3 */

typedef unsigned long long (*loop_fn)(const unsigned long long *a, unsigned long long unused,
                                      unsigned long long n);

static unsigned long long model(const unsigned long long *a, unsigned long long n, int sub,
                                unsigned long long imm)
{
    unsigned long long rax = 0;
    for (unsigned long long c = n; c; c--) {
        if (c & 1)
            rax = sub ? rax - a[c - 1] : rax + a[c - 1];
        else
            rax += imm;
    }
    return rax;
}

/* Runs `fn` 200 times over lengths stepping by `step`, each checked
 * against `model`; returns the sum of the results. */
static unsigned long long run_many(loop_fn fn, const unsigned long long *a, unsigned long long na,
                                   unsigned long long step, int sub, unsigned long long imm)
{
    unsigned long long sum = 0;
    for (unsigned long long r = 0; r < 200; r++) {
        unsigned long long n = 1 + r * step % na;
        unsigned long long got = fn(a, 0, n);
        CHECK_EQ(got, model(a, n, sub, imm));
        sum += got;
    }
    return sum;
}

int main(void)
{
    printf("collatz %llu %llu\n", collatz_steps(20000), collatz_steps(30000));

    unsigned v[4096];
    unsigned s = 12345;
    for (int i = 0; i < 4096; i++) {
        s = s * 1103515245u + 12345u;
        v[i] = s % 0xf1000000u;
    }
    for (int r = 0; r < 3; r++)
        printf("branchy %d %llu\n", r, branchy(v + r, 4000));
    printf("escape %llu %llu\n", escape_counts(60), escape_counts(97));

    long ps = sysconf(_SC_PAGESIZE);
    unsigned char *code = mmap(0, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(code != MAP_FAILED);
    /* The loop starts 100 bytes into the page, so that its blocks below
     * the head are on the page too. */
    unsigned char *fn_at = code + 100;
    memcpy(fn_at, loop_code, sizeof loop_code);
    CHECK_EQ(mprotect(code, ps, PROT_READ | PROT_EXEC), 0);
    loop_fn fn = (loop_fn)(void *)fn_at;

    /* An array filling a page between two inaccessible ones. */
    unsigned char *data = mmap(0, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                               -1, 0);
    CHECK(data != MAP_FAILED);
    CHECK_EQ(mprotect(data, ps, PROT_NONE), 0);
    CHECK_EQ(mprotect(data + 2 * ps, ps, PROT_NONE), 0);
    unsigned long long *a = (unsigned long long *)(data + ps);
    unsigned long long na = ps / 8;
    for (unsigned long long i = 0; i < na; i++)
        a[i] = i * 0x9e3779b97f4a7c15ULL >> 3;

    printf("loop %llu\n", run_many(fn, a, na, 5, 0, 3));

    record_segv();
    /* Faults in the block below the head. The first access: rcx = 101
     * reads a[100], 36 elements past the page. */
    unsigned long long *near_end = a + na - 64;
    if (sigsetjmp(recover, 1) == 0) {
        fn(near_end, 0, 101);
        CHECK(0); /* not reached */
    }
    CHECK_EQ(last.si_signo, SIGSEGV);
    CHECK_EQ(last.si_addr, near_end + 100);
    CHECK_EQ(last_rip, fn_at + LOW_ADD);
    CHECK_EQ(last_rax, 0);
    CHECK_EQ(last_rcx, 101);
    /* After 100 iterations: with a[] 2 elements before the page, rcx = 1
     * reads a[0] on the page below. */
    unsigned long long *below = a - 2;
    if (sigsetjmp(recover, 1) == 0) {
        fn(below, 0, 101);
        CHECK(0);
    }
    unsigned long long want = 0;
    for (unsigned long long c = 101; c >= 2; c--)
        want += (c & 1) ? below[c - 1] : 3;
    CHECK_EQ(last.si_addr, below);
    CHECK_EQ(last_rip, fn_at + LOW_ADD);
    CHECK_EQ(last_rax, want);
    CHECK_EQ(last_rcx, 1);
    printf("faults %llu\n", last_rax);

    /* Rewritten: the lower block subtracts, the upper one adds 5. */
    CHECK_EQ(mprotect(code, ps, PROT_READ | PROT_WRITE), 0);
    fn_at[LOW_ADD + 1] = 0x2b;
    fn_at[ADD3_IMM] = 5;
    CHECK_EQ(mprotect(code, ps, PROT_READ | PROT_EXEC), 0);
    printf("rewritten %llu\n", run_many(fn, a, na, 7, 1, 5));
    return check_done("loop_regions");
}
