/* Exchange instructions: XCHG (register and memory), CMPXCHG at every width (success and
 * failure, flags as CMP), XADD, CMPXCHG8B, CMPXCHG16B, LOCK-prefixed read-modify-write
 * instructions and the GCC __atomic/__sync builtins (single-threaded). */
#include "check.h"

#define DEF_CMPXCHG(T, sfx, areg)                                                             \
    static uint64_t cmpxchg##sfx(T *mem, T *acc, T src, uint64_t fin)                          \
    {                                                                                          \
        uint64_t f;                                                                            \
        T a = *acc;                                                                            \
        __asm__ volatile(FLAGS_IN "lock cmpxchg" #sfx " %[s], (%[m])" FLAGS_OUT                \
                         : "+a"(a), [fout] "=&r"(f)                                            \
                         : [s] "r"(src), [m] "r"(mem), [fin] "r"(fin)                          \
                         : "cc", "memory");                                                    \
        *acc = a;                                                                              \
        return f;                                                                              \
    }
DEF_CMPXCHG(uint8_t, b, al)
DEF_CMPXCHG(uint16_t, w, ax)
DEF_CMPXCHG(uint32_t, l, eax)
DEF_CMPXCHG(uint64_t, q, rax)

#define DEF_XADD(T, sfx)                                                                        \
    static uint64_t xadd##sfx(T *mem, T *src, uint64_t fin)                                     \
    {                                                                                           \
        uint64_t f;                                                                             \
        T s = *src;                                                                             \
        __asm__ volatile(FLAGS_IN "lock xadd" #sfx " %[s], (%[m])" FLAGS_OUT                    \
                         : [s] "+r"(s), [fout] "=&r"(f)                                         \
                         : [m] "r"(mem), [fin] "r"(fin)                                         \
                         : "cc", "memory");                                                     \
        *src = s;                                                                               \
        return f;                                                                               \
    }
DEF_XADD(uint8_t, b)
DEF_XADD(uint16_t, w)
DEF_XADD(uint32_t, l)
DEF_XADD(uint64_t, q)

static const uint64_t values[] = { 0, 1, 0x7f, 0x80, 0xffff, 0x80000000, 0xffffffffffffffffULL, 0x0123456789abcdefULL };
#define NV (sizeof(values) / sizeof(values[0]))

int main(void)
{
    /* CMPXCHG: equal -> store source, ZF=1; different -> load accumulator, ZF=0 */
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned j = 0; j < NV; j++) {
            uint64_t memv = values[i], accv = values[j], src = 0x5a5a5a5a5a5a5a5aULL;
            printf("cmpxchg mem=%llx acc=%llx:", (unsigned long long)memv, (unsigned long long)accv);
#define RUN_CMPXCHG(T, sfx, bits)                                                                 \
    {                                                                                             \
        T m = (T)memv, a = (T)accv;                                                               \
        uint64_t f = cmpxchg##sfx(&m, &a, (T)src, 2);                                             \
        int eq = (T)memv == (T)accv;                                                              \
        CHECK_EQ(m, eq ? (T)src : (T)memv);                                                       \
        CHECK_EQ(a, (T)memv);                                                                     \
        CHECK_EQ(f & F_ARITH, flags_sub(bits, (T)accv, (T)memv));                                 \
        printf(" %d:%llx/%llx/%03llx", bits, (unsigned long long)m, (unsigned long long)a,         \
               (unsigned long long)(f & F_ARITH));                                                \
    }
            RUN_CMPXCHG(uint8_t, b, 8)
            RUN_CMPXCHG(uint16_t, w, 16)
            RUN_CMPXCHG(uint32_t, l, 32)
            RUN_CMPXCHG(uint64_t, q, 64)
            printf("\n");

            /* XADD: memory gets the sum, the source register the old memory value */
            printf("xadd %llx+%llx:", (unsigned long long)memv, (unsigned long long)accv);
#define RUN_XADD(T, sfx, bits)                                                                    \
    {                                                                                             \
        T m = (T)memv, s = (T)accv;                                                               \
        uint64_t f = xadd##sfx(&m, &s, 2);                                                        \
        CHECK_EQ(m, (T)((T)memv + (T)accv));                                                      \
        CHECK_EQ(s, (T)memv);                                                                     \
        CHECK_EQ(f & F_ZF, m == 0 ? F_ZF : 0);                                                    \
        CHECK_EQ(f & F_CF, (T)memv > (T)(T)m ? F_CF : 0);                                         \
        printf(" %llx/%03llx", (unsigned long long)m, (unsigned long long)(f & F_ARITH));          \
    }
            RUN_XADD(uint8_t, b, 8)
            RUN_XADD(uint16_t, w, 16)
            RUN_XADD(uint32_t, l, 32)
            RUN_XADD(uint64_t, q, 64)
            printf("\n");
        }
    }

    /* XCHG between registers and with memory, at every width */
    {
        uint64_t a = 0x1111111111111111ULL, b = 0x2222222222222222ULL;
        __asm__ volatile("xchgq %0, %1" : "+r"(a), "+r"(b));
        CHECK_EQ(a, 0x2222222222222222ULL);
        uint64_t m = 0x3333333333333333ULL;
        __asm__ volatile("xchgq %[a], (%[p])" : [a] "+r"(a) : [p] "r"(&m) : "memory");
        CHECK_EQ(a, 0x3333333333333333ULL);
        CHECK_EQ(m, 0x2222222222222222ULL);
        __asm__ volatile("xchgl %k[a], %k[b]" : [a] "+r"(a), [b] "+r"(b));
        CHECK_EQ(a, 0x11111111ULL); /* 32-bit XCHG zero-extends both registers */
        CHECK_EQ(b, 0x33333333ULL);
        a = 0xaaaaaaaaaaaaaaaaULL;
        __asm__ volatile("xchgw %w[a], (%[p])" : [a] "+r"(a) : [p] "r"(&m) : "memory");
        CHECK_EQ(a, 0xaaaaaaaaaaaa2222ULL);
        CHECK_EQ(m, 0x222222222222aaaaULL);
        __asm__ volatile("xchgb %b[a], (%[p])" : [a] "+q"(a) : [p] "r"(&m) : "memory");
        CHECK_EQ(a, 0xaaaaaaaaaaaa22aaULL);
        uint64_t ax = 0x1234;
        __asm__ volatile("xchg %%ah, %%al" : "+a"(ax));
        CHECK_EQ(ax, 0x3412);
        printf("xchg: %llx %llx %llx\n", (unsigned long long)a, (unsigned long long)m, (unsigned long long)ax);
    }

    /* CMPXCHG8B and CMPXCHG16B */
    {
        static uint64_t m8 __attribute__((aligned(8))) = 0x0000000200000001ULL;
        uint32_t lo = 1, hi = 2;
        unsigned char ok;
        __asm__ volatile("lock cmpxchg8b (%[p])\n\tsete %[ok]"
                         : "+a"(lo), "+d"(hi), [ok] "=r"(ok)
                         : [p] "r"(&m8), "b"(0xbbbbbbbb), "c"(0xcccccccc)
                         : "cc", "memory");
        CHECK_EQ(ok, 1);
        CHECK_EQ(m8, 0xccccccccbbbbbbbbULL);
        lo = 0;
        hi = 0;
        __asm__ volatile("lock cmpxchg8b (%[p])\n\tsete %[ok]"
                         : "+a"(lo), "+d"(hi), [ok] "=r"(ok)
                         : [p] "r"(&m8), "b"(1), "c"(1)
                         : "cc", "memory");
        CHECK_EQ(ok, 0);
        CHECK_EQ(lo, 0xbbbbbbbb);
        CHECK_EQ(hi, 0xcccccccc);
        printf("cmpxchg8b: %llx %x %x\n", (unsigned long long)m8, lo, hi);

        static uint64_t m16[2] __attribute__((aligned(16))) = { 0x1111, 0x2222 };
        uint64_t qlo = 0x1111, qhi = 0x2222;
        __asm__ volatile("lock cmpxchg16b (%[p])\n\tsete %[ok]"
                         : "+a"(qlo), "+d"(qhi), [ok] "=r"(ok)
                         : [p] "r"(m16), "b"(0x3333333333333333ULL), "c"(0x4444444444444444ULL)
                         : "cc", "memory");
        CHECK_EQ(ok, 1);
        CHECK_EQ(m16[0], 0x3333333333333333ULL);
        CHECK_EQ(m16[1], 0x4444444444444444ULL);
        qlo = 5;
        qhi = 6;
        __asm__ volatile("lock cmpxchg16b (%[p])\n\tsete %[ok]"
                         : "+a"(qlo), "+d"(qhi), [ok] "=r"(ok)
                         : [p] "r"(m16), "b"(7ULL), "c"(8ULL)
                         : "cc", "memory");
        CHECK_EQ(ok, 0);
        CHECK_EQ(qlo, 0x3333333333333333ULL);
        CHECK_EQ(qhi, 0x4444444444444444ULL);
        printf("cmpxchg16b: %llx %llx\n", (unsigned long long)m16[0], (unsigned long long)m16[1]);
    }

    /* LOCK-prefixed read-modify-write instructions */
    {
        uint64_t v = 10;
        __asm__ volatile("lock addq $5, (%[p])\n\t"
                         "lock incq (%[p])\n\t"
                         "lock subq $2, (%[p])\n\t"
                         "lock orq $0x100, (%[p])\n\t"
                         "lock andq $0x1ff, (%[p])\n\t"
                         "lock xorq $1, (%[p])\n\t"
                         "lock btsq $40, (%[p])\n\t"
                         "lock btrq $8, (%[p])\n\t"
                         "lock btcq $0, (%[p])\n\t"
                         "lock negq (%[p])\n\t"
                         "lock notq (%[p])\n\t"
                         "lock decq (%[p])"
                         :
                         : [p] "r"(&v)
                         : "cc", "memory");
        /* 10+5+1-2 = 14 | 0x100 = 0x10e & 0x1ff = 0x10e ^ 1 = 0x10f, bts40, btr8 -> 0x1000000000f,
         * btc0 -> ..0e, neg then not -> x-1, dec -> x-2 */
        CHECK_EQ(v, 0x1000000000eULL - 2);
        printf("lock rmw: %llx\n", (unsigned long long)v);
    }

    /* GCC atomic builtins */
    {
        long counter = 0;
        int flag = 0;
        for (int i = 1; i <= 100; i++) {
            __atomic_fetch_add(&counter, i, __ATOMIC_SEQ_CST);
            __sync_fetch_and_xor(&flag, i);
        }
        long expected = 5050;
        int swapped = __atomic_compare_exchange_n(&counter, &expected, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        long old = __atomic_exchange_n(&counter, 77, __ATOMIC_SEQ_CST);
        int cas_fail = __sync_bool_compare_and_swap(&counter, 78, 0);
        long sub = __atomic_sub_fetch(&counter, 7, __ATOMIC_SEQ_CST);
        long orr = __atomic_or_fetch(&counter, 0x100, __ATOMIC_SEQ_CST);
        long andd = __atomic_fetch_and(&counter, 0xff, __ATOMIC_SEQ_CST);
        CHECK_EQ(swapped, 1);
        CHECK_EQ(old, 1);
        CHECK_EQ(cas_fail, 0);
        CHECK_EQ(sub, 70);
        CHECK_EQ(orr, 0x146);
        CHECK_EQ(andd, 0x146);
        CHECK_EQ(counter, 0x46);
        CHECK_EQ(flag, 100);
        printf("atomics: %d %ld %d %ld %ld %ld %ld %d\n", swapped, old, cas_fail, sub, orr, andd, counter, flag);
    }
    return check_done("xchg_cmpxchg");
}
