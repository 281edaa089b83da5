/* Conditional instructions: Jcc, SETcc and CMOVcc for all 16 conditions under every
 * combination of CF PF ZF SF OF, plus LOOP, LOOPE, LOOPNE, JRCXZ and JECXZ. */
#include "check.h"

#define FLAGS_DONE "\n\tlea 128(%%rsp), %%rsp"

#define DEF_CC(cc)                                                                       \
    static int set_##cc(uint64_t fin)                                                    \
    {                                                                                    \
        unsigned char r;                                                                 \
        __asm__ volatile(FLAGS_IN "set" #cc " %[r]" FLAGS_DONE : [r] "=r"(r) : [fin] "r"(fin) : "cc"); \
        return r;                                                                        \
    }                                                                                    \
    static int j_##cc(uint64_t fin)                                                      \
    {                                                                                    \
        int r;                                                                           \
        __asm__ volatile(FLAGS_IN "j" #cc " 1f\n\tmovl $0, %[r]\n\tjmp 2f\n1:\tmovl $1, %[r]\n2:" FLAGS_DONE \
                         : [r] "=r"(r) : [fin] "r"(fin) : "cc");                        \
        return r;                                                                        \
    }                                                                                    \
    static uint64_t cmov_##cc(uint64_t fin, int bits)                                    \
    {                                                                                    \
        uint64_t d = 0x1111111111111111ULL, s = 0x2222222222222222ULL;                 \
        if (bits == 64)                                                                  \
            __asm__ volatile(FLAGS_IN "cmov" #cc "q %[s], %[d]" FLAGS_DONE : [d] "+r"(d) : [s] "r"(s), [fin] "r"(fin) : "cc"); \
        else if (bits == 32)                                                             \
            __asm__ volatile(FLAGS_IN "cmov" #cc "l %k[s], %k[d]" FLAGS_DONE : [d] "+r"(d) : [s] "r"(s), [fin] "r"(fin) : "cc"); \
        else                                                                             \
            __asm__ volatile(FLAGS_IN "cmov" #cc "w (%[p]), %w[d]" FLAGS_DONE : [d] "+r"(d) : [p] "r"(&s), [fin] "r"(fin) : "cc", "memory"); \
        return d;                                                                        \
    }

DEF_CC(o) DEF_CC(no) DEF_CC(b) DEF_CC(ae) DEF_CC(e) DEF_CC(ne) DEF_CC(be) DEF_CC(a)
DEF_CC(s) DEF_CC(ns) DEF_CC(p) DEF_CC(np) DEF_CC(l) DEF_CC(ge) DEF_CC(le) DEF_CC(g)

struct cc {
    const char *name;
    int (*set)(uint64_t);
    int (*j)(uint64_t);
    uint64_t (*cmov)(uint64_t, int);
};
#define CC(c) { #c, set_##c, j_##c, cmov_##c }
static const struct cc ccs[16] = {
    CC(o), CC(no), CC(b), CC(ae), CC(e), CC(ne), CC(be), CC(a),
    CC(s), CC(ns), CC(p), CC(np), CC(l), CC(ge), CC(le), CC(g),
};

static int model(int n, uint64_t f)
{
    int cf = !!(f & F_CF), pf = !!(f & F_PF), zf = !!(f & F_ZF), sf = !!(f & F_SF), of = !!(f & F_OF);
    int r;
    switch (n >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf | zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf | (sf != of); break;
    }
    return (n & 1) ? !r : r;
}

int main(void)
{
    static const uint64_t bits5[5] = { F_CF, F_PF, F_ZF, F_SF, F_OF };
    for (int combo = 0; combo < 32; combo++) {
        uint64_t fin = 0x2 | F_AF * (combo & 1);
        for (int i = 0; i < 5; i++)
            if (combo & (1 << i))
                fin |= bits5[i];
        printf("flags %03llx:", (unsigned long long)(fin & F_ARITH));
        for (int n = 0; n < 16; n++) {
            int want = model(n, fin);
            int s = ccs[n].set(fin), j = ccs[n].j(fin);
            uint64_t c64 = ccs[n].cmov(fin, 64), c32 = ccs[n].cmov(fin, 32), c16 = ccs[n].cmov(fin, 16);
            CHECK_EQ(s, want);
            CHECK_EQ(j, want);
            CHECK_EQ(c64, want ? 0x2222222222222222ULL : 0x1111111111111111ULL);
            /* a 32-bit CMOV zero-extends the destination even when the condition is false */
            CHECK_EQ(c32, want ? 0x22222222ULL : 0x11111111ULL);
            CHECK_EQ(c16, want ? 0x1111111111112222ULL : 0x1111111111111111ULL);
            printf(" %s=%d", ccs[n].name, s);
            hash_u64(c64 ^ c32 ^ c16);
        }
        printf("\n");
    }

    /* LOOP family */
    {
        uint64_t rcx = 10, count = 0;
        __asm__ volatile("1:\tincq %[n]\n\tloop 1b" : "+c"(rcx), [n] "+r"(count) : : "cc");
        CHECK_EQ(count, 10);
        CHECK_EQ(rcx, 0);
        printf("loop: %llu iterations\n", (unsigned long long)count);

        const char a[] = "abcdefgh", b[] = "abcdXfgh";
        uint64_t i = 0;
        rcx = 8;
        /* LOOPE: continue while the bytes match and RCX != 0 */
        __asm__ volatile("1:\tmovb (%[a],%[i]), %%al\n\tincq %[i]\n\tcmpb -1(%[b],%[i]), %%al\n\tloope 1b"
                         : "+c"(rcx), [i] "+r"(i) : [a] "r"(a), [b] "r"(b) : "rax", "cc", "memory");
        CHECK_EQ(i, 5);
        CHECK_EQ(rcx, 3);
        printf("loope stopped at %llu with rcx %llu\n", (unsigned long long)i, (unsigned long long)rcx);

        rcx = 100;
        i = 0;
        /* LOOPNE: continue while the byte is not 'X' */
        __asm__ volatile("1:\tincq %[i]\n\tcmpb $'X', -1(%[b],%[i])\n\tloopne 1b"
                         : "+c"(rcx), [i] "+r"(i) : [b] "r"(b) : "cc", "memory");
        CHECK_EQ(i, 5);
        CHECK_EQ(rcx, 95);
        printf("loopne stopped at %llu with rcx %llu\n", (unsigned long long)i, (unsigned long long)rcx);

        int taken;
        rcx = 0;
        __asm__ volatile("jrcxz 1f\n\tmovl $0, %[t]\n\tjmp 2f\n1:\tmovl $1, %[t]\n2:" : [t] "=r"(taken) : "c"(rcx));
        CHECK_EQ(taken, 1);
        rcx = 0x100000000ULL;
        __asm__ volatile("jrcxz 1f\n\tmovl $0, %[t]\n\tjmp 2f\n1:\tmovl $1, %[t]\n2:" : [t] "=r"(taken) : "c"(rcx));
        CHECK_EQ(taken, 0);
        __asm__ volatile("jecxz 1f\n\tmovl $0, %[t]\n\tjmp 2f\n1:\tmovl $1, %[t]\n2:" : [t] "=r"(taken) : "c"(rcx));
        CHECK_EQ(taken, 1);
        printf("jrcxz/jecxz ok\n");

        /* LOOP with a 32-bit counter (address-size prefix) counts in ECX */
        rcx = 0x500000003ULL;
        count = 0;
        __asm__ volatile("1:\tincq %[n]\n\taddr32 loop 1b" : "+c"(rcx), [n] "+r"(count) : : "cc");
        CHECK_EQ(count, 3);
        CHECK_EQ((uint32_t)rcx, 0);
        printf("addr32 loop: %llu iterations, ecx %x\n", (unsigned long long)count, (unsigned)(uint32_t)rcx);
    }

    /* Conditions as the compiler emits them from C comparisons */
    {
        static const long long v[] = { -3, -1, 0, 1, 2, 0x7fffffffffffffffLL, (long long)0x8000000000000000ULL };
        for (unsigned i = 0; i < 7; i++) {
            for (unsigned j = 0; j < 7; j++) {
                long long a = v[i], b = v[j];
                unsigned long long ua = (unsigned long long)a, ub = (unsigned long long)b;
                int bits = (a < b) | (a <= b) << 1 | (a > b) << 2 | (a >= b) << 3 | (a == b) << 4 |
                           (ua < ub) << 5 | (ua <= ub) << 6 | (ua > ub) << 7 | (ua >= ub) << 8 |
                           ((int)a < (int)b) << 9 | ((short)a < (short)b) << 10 |
                           ((unsigned char)a < (unsigned char)b) << 11;
                long long mx = a > b ? a : b;
                printf("cmp %lld %lld -> %03x max %lld\n", a, b, bits, mx);
                hash_u64((uint64_t)bits);
            }
        }
    }
    return check_done("cond_jcc_setcc");
}
