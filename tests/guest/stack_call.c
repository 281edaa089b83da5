/* Stack instructions: PUSH/POP of registers, immediates, memory and 16-bit operands,
 * PUSH RSP, POP to an RSP-relative address, CALL/RET (direct, indirect, RET imm16),
 * ENTER/LEAVE with nesting levels 0-3; then C calls with many stack arguments, recursion,
 * alloca and variable-length arrays. */
#include "check.h"
#include <alloca.h>

static void push_pop(void)
{
    uint64_t before, after, v1, v2, v3, v4;
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "mov %%rsp, %[b]\n\t"
                     "pushq $-5\n\t"
                     "pushq $0x12345678\n\t"
                     "pushw $0x7abc\n\t"
                     "mov %%rsp, %[a]\n\t"
                     "popw %w[v3]\n\t"
                     "popq %[v2]\n\t"
                     "popq %[v1]\n\t"
                     "lea 128(%%rsp), %%rsp"
                     : [b] "=&r"(before), [a] "=&r"(after), [v1] "=&r"(v1), [v2] "=&r"(v2), [v3] "=&r"(v3)
                     :
                     : "memory");
    v3 &= 0xffff;
    CHECK_EQ(before - after, 18);
    CHECK_EQ(v1, (uint64_t)-5);
    CHECK_EQ(v2, 0x12345678);
    CHECK_EQ(v3, 0x7abc);
    printf("push imm: delta %llu, %llx %llx %llx\n", (unsigned long long)(before - after),
           (unsigned long long)v1, (unsigned long long)v2, (unsigned long long)v3);

    /* PUSH RSP pushes the value before the push; POP to (%rsp) uses the incremented RSP */
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "mov %%rsp, %[b]\n\t"
                     "pushq %%rsp\n\t"
                     "popq %[v1]\n\t"
                     "pushq $1\n\t"
                     "pushq $2\n\t"
                     "popq (%%rsp)\n\t"
                     "popq %[v2]\n\t"
                     "mov %%rsp, %[a]\n\t"
                     "lea 128(%%rsp), %%rsp"
                     : [b] "=&r"(before), [a] "=&r"(after), [v1] "=&r"(v1), [v2] "=&r"(v2)
                     :
                     : "memory");
    CHECK_EQ(v1, before);
    CHECK_EQ(v2, 2);
    CHECK_EQ(before, after);
    printf("push rsp/pop (rsp): %d %llu\n", v1 == before, (unsigned long long)v2);

    /* PUSH and POP with memory operands */
    uint64_t cell[2] = { 0x1122334455667788ULL, 0 };
    uint64_t *p = cell;
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "pushq (%[p])\n\t"
                     "popq 8(%[p])\n\t"
                     "lea 128(%%rsp), %%rsp"
                     :
                     : [p] "r"(p)
                     : "memory");
    CHECK_EQ(cell[1], cell[0]);
    /* PUSHF/POPF keep the arithmetic flags and DF */
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "pushq $0x8d7\n\t"
                     "popfq\n\t"
                     "pushfq\n\t"
                     "popq %[v1]\n\t"
                     "cld\n\t"
                     "lea 128(%%rsp), %%rsp"
                     : [v1] "=r"(v4)
                     :
                     : "cc");
    CHECK_EQ(v4 & 0xcd5, 0x8d5);
    printf("push/pop mem %llx, popf/pushf %llx\n", (unsigned long long)cell[1], (unsigned long long)(v4 & 0xcd5));
}

static void call_ret(void)
{
    uint64_t r = 0, before, after;
    __asm__ volatile("call 1f\n\tjmp 2f\n1:\tmovq $42, %[r]\n\tret\n2:" : [r] "=r"(r) : : "memory");
    CHECK_EQ(r, 42);
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tcall *%%rax\n\tjmp 2f\n1:\tmovq $43, %[r]\n\tret\n2:"
                     : [r] "=r"(r) : : "rax", "memory");
    CHECK_EQ(r, 43);
    /* indirect call through memory, and RET imm16 releasing a pushed argument */
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "mov %%rsp, %[b]\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "pushq $7\n\t"
                     "call *8(%%rsp)\n\t"
                     "popq %%rax\n\t"
                     "mov %%rsp, %[a]\n\t"
                     "jmp 2f\n"
                     "1:\tmovq 8(%%rsp), %[r]\n\t"
                     "ret $8\n"
                     "2:\tlea 128(%%rsp), %%rsp"
                     : [r] "=&r"(r), [b] "=&r"(before), [a] "=&r"(after)
                     :
                     : "rax", "memory");
    CHECK_EQ(r, 7);
    CHECK_EQ(before, after);
    printf("call/ret: %llu balanced=%d\n", (unsigned long long)r, before == after);
}

struct enter_result {
    uint64_t rbp_delta, rsp_delta, saved, copy1, copy2, frametemp_ok, rbp_restored;
};

/* ENTER $16, $level with RBP pointing at a fake frame holding 0x1111.. and 0x2222.. */
static void enter_leave(int level, struct enter_result *out)
{
    static uint64_t fake[8] = { 0, 0, 0, 0, 0x3333, 0x2222, 0x1111, 0 };
    uint64_t *fp = &fake[7];
#define ENTER_CASE(L)                                                                         \
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"                                             \
                     "push %%rbp\n\t"                                                         \
                     "mov %%rsp, %%r8\n\t"                                                    \
                     "mov %%rsi, %%rbp\n\t"                                                   \
                     "enter $16, $" #L "\n\t"                                                 \
                     "mov %%r8, %%r9\n\tsub %%rbp, %%r9\n\tmov %%r9, 0(%%rdi)\n\t"            \
                     "mov %%r8, %%r9\n\tsub %%rsp, %%r9\n\tmov %%r9, 8(%%rdi)\n\t"            \
                     "mov 0(%%rbp), %%r9\n\tmov %%r9, 16(%%rdi)\n\t"                          \
                     "mov -8(%%rbp), %%r9\n\tmov %%r9, 24(%%rdi)\n\t"                         \
                     "mov -16(%%rbp), %%r9\n\tmov %%r9, 32(%%rdi)\n\t"                        \
                     "mov -8*" #L "(%%rbp), %%r9\n\tcmp %%r9, %%rbp\n\tsete %%r9b\n\t"        \
                     "movzbq %%r9b, %%r9\n\tmov %%r9, 40(%%rdi)\n\t"                          \
                     "leave\n\t"                                                              \
                     "cmp %%rsi, %%rbp\n\tsete %%r9b\n\tmovzbq %%r9b, %%r9\n\tmov %%r9, 48(%%rdi)\n\t" \
                     "mov %%r8, %%rsp\n\t"                                                    \
                     "pop %%rbp\n\t"                                                          \
                     "lea 128(%%rsp), %%rsp"                                                  \
                     :                                                                        \
                     : "D"(out), "S"(fp)                                                      \
                     : "r8", "r9", "cc", "memory")
    switch (level) {
    case 0:
        ENTER_CASE(0);
        break;
    case 1:
        ENTER_CASE(1);
        break;
    case 2:
        ENTER_CASE(2);
        break;
    default:
        ENTER_CASE(3);
        break;
    }
}

static long many_args(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j,
                      double x, double y, double z, double w, double u, double v, double s, double t,
                      double q, double r)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j +
           (long)(x + 2 * y + 3 * z + 4 * w + 5 * u + 6 * v + 7 * s + 8 * t + 9 * q + 10 * r);
}

static long ackermann(long m, long n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static unsigned long fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static long depth_sum(long n)
{
    volatile char pad[64];
    pad[0] = (char)n;
    if (n == 0)
        return 0;
    return n + depth_sum(n - 1) + pad[0] - (char)n;
}

static int vla_sum(int n)
{
    int v[n];
    int *a = alloca(n * sizeof(int));
    for (int i = 0; i < n; i++) {
        v[i] = i * i;
        a[i] = v[i] - i;
    }
    int s = 0;
    for (int i = 0; i < n; i++)
        s += v[i] + a[i];
    return s;
}

int main(void)
{
    push_pop();
    call_ret();
    for (int level = 0; level < 4; level++) {
        struct enter_result r;
        memset(&r, 0, sizeof r);
        enter_leave(level, &r);
        uint64_t want_rsp = 8 + (level ? 8 * (uint64_t)level : 0) + 16;
        CHECK_EQ(r.rbp_delta, 8);
        CHECK_EQ(r.rsp_delta, want_rsp);
        CHECK_EQ(r.rbp_restored, 1);
        if (level >= 2)
            CHECK_EQ(r.copy1, 0x1111);
        if (level >= 3)
            CHECK_EQ(r.copy2, 0x2222);
        if (level >= 1)
            CHECK_EQ(r.frametemp_ok, 1);
        printf("enter $16,$%d: rbp-%llu rsp-%llu copies %llx %llx frame ok %llu leave ok %llu\n", level,
               (unsigned long long)r.rbp_delta, (unsigned long long)r.rsp_delta,
               (unsigned long long)(level >= 2 ? r.copy1 : 0), (unsigned long long)(level >= 3 ? r.copy2 : 0),
               (unsigned long long)(level >= 1 ? r.frametemp_ok : 1), (unsigned long long)r.rbp_restored);
    }
    long m = many_args(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5);
    CHECK_EQ(m, 385 + 412);
    printf("many_args = %ld\n", m);
    for (long i = 0; i <= 3; i++)
        for (long j = 0; j <= 4; j++)
            printf("ackermann(%ld,%ld) = %ld\n", i, j, ackermann(i, j));
    CHECK_EQ(ackermann(2, 3), 9);
    CHECK_EQ(fib(24), 46368);
    printf("fib(24) = %lu\n", fib(24));
    CHECK_EQ(depth_sum(20000), 20000L * 20001 / 2);
    printf("depth_sum(20000) = %ld\n", depth_sum(20000));
    for (int n = 1; n < 300; n += 37)
        printf("vla_sum(%d) = %d\n", n, vla_sum(n));
    return check_done("stack_call");
}
