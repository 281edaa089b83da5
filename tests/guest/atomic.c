/* CMPXCHG (register and memory destinations, every width, success and
 * failure), XADD, CMPXCHG8B and CMPXCHG16B, with and without LOCK, and the
 * compiler's own atomics. Flags as CMP / ADD (ZF only for the 8B/16B
 * forms, the rest preserved). Prints checksums and exits 0. */
#include <stdint.h>
#include <stdio.h>

#define ARITH 0x8d5u
#define GET_FLAGS "\n\tlea -128(%%rsp), %%rsp\n\tpushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"
#define SET_FLAGS "lea -128(%%rsp), %%rsp\n\tpushq %[fin]\n\tpopfq\n\tlea 128(%%rsp), %%rsp\n\t"

static uint64_t hash;
static void mix(uint64_t v) {
    for (int i = 0; i < 8; i++) {
        hash ^= (v >> (8 * i)) & 0xff;
        hash *= 1099511628211ull;
    }
}

static const uint64_t values[] = {
    0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffffffff, 0x80000000, 0x100000000ull,
    0x8000000000000000ull, ~0ull, 0x0123456789abcdefull, 0xfedcba9876543210ull,
};
#define NV (sizeof values / sizeof values[0])

/* CMPXCHG and XADD on a register and on memory, one width. */
#define RMW(name, insn, mod)                                                          \
    static void name(uint64_t acc, uint64_t dst, uint64_t src) {                     \
        uint64_t a = acc, d = dst, s = src, f, m = dst;                               \
        __asm__ volatile(insn " %" mod "[s], %" mod "[d]" GET_FLAGS                   \
                         : "+a"(a), [d] "+r"(d), [s] "+r"(s), [f] "=&r"(f) : : "cc"); \
        mix(a), mix(d), mix(s), mix(f & ARITH);                                       \
        a = acc, s = src;                                                             \
        __asm__ volatile("lock " insn " %" mod "[s], (%[p])" GET_FLAGS                \
                         : "+a"(a), [s] "+r"(s), [f] "=&r"(f) : [p] "r"(&m)           \
                         : "cc", "memory");                                           \
        mix(a), mix(m), mix(s), mix(f & ARITH);                                       \
    }
RMW(cmpxchg8, "cmpxchgb", "b")
RMW(cmpxchg16, "cmpxchgw", "w")
RMW(cmpxchg32, "cmpxchgl", "k")
RMW(cmpxchg64, "cmpxchgq", "q")
RMW(xadd8, "xaddb", "b")
RMW(xadd16, "xaddw", "w")
RMW(xadd32, "xaddl", "k")
RMW(xadd64, "xaddq", "q")

typedef void (*rmw_fn)(uint64_t, uint64_t, uint64_t);

static void run(const char *name, rmw_fn f) {
    hash = 1469598103934665603ull;
    for (unsigned i = 0; i < NV; i++)
        for (unsigned j = 0; j < NV; j++)
            for (unsigned k = 0; k < NV; k += 3) {
                f(values[i], values[j], values[k]);
                f(values[i], values[i] ^ (values[j] & 0xffffffff00000000ull), values[k]);
            }
    printf("%s: %016llx\n", name, (unsigned long long)hash);
}

static void run_pairs(void) {
    hash = 1469598103934665603ull;
    static uint64_t m[2] __attribute__((aligned(16)));
    for (unsigned i = 0; i < NV; i++)
        for (unsigned j = 0; j < NV; j++)
            for (uint64_t fin = 2; fin <= 2 + ARITH; fin += ARITH) {
                uint64_t a = values[i], d = values[j], b = values[j] + 1, c = values[i] - 1, f;
                m[0] = (i & 1) ? a : values[(i + 1) % NV];
                m[1] = (j & 2) ? d : values[(j + 5) % NV];
                __asm__ volatile(SET_FLAGS "lock cmpxchg16b (%[p])" GET_FLAGS
                                 : "+a"(a), "+d"(d), [f] "=&r"(f)
                                 : "b"(b), "c"(c), [p] "r"(m), [fin] "r"(fin)
                                 : "cc", "memory");
                mix(a), mix(d), mix(m[0]), mix(m[1]), mix(f & ARITH);
                a = values[i], d = values[j];
                m[0] = (j & 1) ? ((a & 0xffffffff) | (d << 32)) : values[j];
                __asm__ volatile(SET_FLAGS "cmpxchg8b (%[p])" GET_FLAGS
                                 : "+a"(a), "+d"(d), [f] "=&r"(f)
                                 : "b"(b), "c"(c), [p] "r"(m), [fin] "r"(fin)
                                 : "cc", "memory");
                mix(a), mix(d), mix(m[0]), mix(f & ARITH);
            }
    printf("cmpxchg8b/16b: %016llx\n", (unsigned long long)hash);
}

int main(void) {
    run("cmpxchg8", cmpxchg8);
    run("cmpxchg16", cmpxchg16);
    run("cmpxchg32", cmpxchg32);
    run("cmpxchg64", cmpxchg64);
    run("xadd8", xadd8);
    run("xadd16", xadd16);
    run("xadd32", xadd32);
    run("xadd64", xadd64);
    run_pairs();
    /* What compilers generate for C11-style atomics. */
    static long counter;
    static int small;
    long old = 0;
    for (int i = 0; i < 1000; i++) {
        __atomic_fetch_add(&counter, i, __ATOMIC_SEQ_CST);
        while (!__atomic_compare_exchange_n(&counter, &old, old * 3 + 1, 0, __ATOMIC_SEQ_CST,
                                            __ATOMIC_SEQ_CST)) {
        }
        __sync_bool_compare_and_swap(&small, small, small * 5 + i);
    }
    printf("counter %ld, small %d\n", counter, small);
    return 0;
}
