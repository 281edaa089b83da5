/* Integer ALU instructions and their EFLAGS: ADD ADC SUB SBB AND OR XOR CMP TEST INC DEC
 * NEG NOT at 8/16/32/64 bits, register and memory destinations, checked against a C model
 * of the SDM's flag definitions. Undefined flags (AF after logic ops) are masked. */
#include "check.h"

typedef uint64_t (*alu_fn)(uint64_t a, uint64_t b, uint64_t fin, uint64_t *fout);

#define DEF_REG(op, T, sfx)                                                        \
    static uint64_t op##sfx##_r(uint64_t a64, uint64_t b64, uint64_t fin,          \
                                uint64_t *fout)                                     \
    {                                                                               \
        T a = (T)a64, b = (T)b64;                                                   \
        uint64_t f;                                                                 \
        __asm__ volatile(FLAGS_IN #op #sfx " %[b], %[a]" FLAGS_OUT                  \
                         : [a] "+r"(a), [fout] "=&r"(f)                             \
                         : [b] "r"(b), [fin] "r"(fin)                               \
                         : "cc");                                                   \
        *fout = f;                                                                  \
        return a;                                                                   \
    }                                                                               \
    static uint64_t op##sfx##_m(uint64_t a64, uint64_t b64, uint64_t fin,          \
                                uint64_t *fout)                                     \
    {                                                                               \
        T a = (T)a64, b = (T)b64;                                                   \
        T *p = &a;                                                                  \
        uint64_t f;                                                                 \
        __asm__ volatile(FLAGS_IN #op #sfx " %[b], (%[p])" FLAGS_OUT                \
                         : [fout] "=&r"(f)                                          \
                         : [p] "r"(p), [b] "r"(b), [fin] "r"(fin)                   \
                         : "cc", "memory");                                         \
        *fout = f;                                                                  \
        return a;                                                                   \
    }

#define DEF_UN(op, T, sfx)                                                         \
    static uint64_t op##sfx##_r(uint64_t a64, uint64_t b64, uint64_t fin,          \
                                uint64_t *fout)                                     \
    {                                                                               \
        T a = (T)a64;                                                               \
        uint64_t f;                                                                 \
        (void)b64;                                                                  \
        __asm__ volatile(FLAGS_IN #op #sfx " %[a]" FLAGS_OUT                        \
                         : [a] "+r"(a), [fout] "=&r"(f)                             \
                         : [fin] "r"(fin)                                           \
                         : "cc");                                                   \
        *fout = f;                                                                  \
        return a;                                                                   \
    }                                                                               \
    static uint64_t op##sfx##_m(uint64_t a64, uint64_t b64, uint64_t fin,          \
                                uint64_t *fout)                                     \
    {                                                                               \
        T a = (T)a64;                                                               \
        T *p = &a;                                                                  \
        uint64_t f;                                                                 \
        (void)b64;                                                                  \
        __asm__ volatile(FLAGS_IN #op #sfx " (%[p])" FLAGS_OUT                      \
                         : [fout] "=&r"(f)                                          \
                         : [p] "r"(p), [fin] "r"(fin)                               \
                         : "cc", "memory");                                         \
        *fout = f;                                                                  \
        return a;                                                                   \
    }

#define DEF_ALL_WIDTHS(DEF, op)                                                    \
    DEF(op, uint8_t, b) DEF(op, uint16_t, w) DEF(op, uint32_t, l) DEF(op, uint64_t, q)

DEF_ALL_WIDTHS(DEF_REG, add)
DEF_ALL_WIDTHS(DEF_REG, adc)
DEF_ALL_WIDTHS(DEF_REG, sub)
DEF_ALL_WIDTHS(DEF_REG, sbb)
DEF_ALL_WIDTHS(DEF_REG, and)
DEF_ALL_WIDTHS(DEF_REG, or)
DEF_ALL_WIDTHS(DEF_REG, xor)
DEF_ALL_WIDTHS(DEF_REG, cmp)
DEF_ALL_WIDTHS(DEF_REG, test)
DEF_ALL_WIDTHS(DEF_UN, inc)
DEF_ALL_WIDTHS(DEF_UN, dec)
DEF_ALL_WIDTHS(DEF_UN, neg)
DEF_ALL_WIDTHS(DEF_UN, not)

enum kind { K_ADD, K_ADC, K_SUB, K_SBB, K_AND, K_OR, K_XOR, K_CMP, K_TEST, K_INC, K_DEC, K_NEG, K_NOT };

struct op {
    const char *name;
    enum kind kind;
    alu_fn reg[4], mem[4];
};

#define OPS(op, k)                                                                 \
    { #op, k, { op##b_r, op##w_r, op##l_r, op##q_r }, { op##b_m, op##w_m, op##l_m, op##q_m } }

static const struct op ops[] = {
    OPS(add, K_ADD), OPS(adc, K_ADC), OPS(sub, K_SUB), OPS(sbb, K_SBB), OPS(and, K_AND),
    OPS(or, K_OR),   OPS(xor, K_XOR), OPS(cmp, K_CMP), OPS(test, K_TEST), OPS(inc, K_INC),
    OPS(dec, K_DEC), OPS(neg, K_NEG), OPS(not, K_NOT),
};

static const int widths[4] = { 8, 16, 32, 64 };

static uint64_t szp(uint64_t r, int bits)
{
    uint64_t f = 0;
    if (r == 0)
        f |= F_ZF;
    if ((r >> (bits - 1)) & 1)
        f |= F_SF;
    if (!__builtin_parity((unsigned)(r & 0xff)))
        f |= F_PF;
    return f;
}

/* The SDM's definition of the result and defined flags; *mask gets the defined flag bits. */
static uint64_t model(enum kind k, int bits, uint64_t a, uint64_t b, uint64_t fin, uint64_t *flags,
                      uint64_t *mask)
{
    uint64_t m = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    uint64_t cin = fin & F_CF ? 1 : 0;
    uint64_t r = a, f = 0;
    int top = bits - 1;
    *mask = F_ARITH;
    switch (k) {
    case K_ADC:
    case K_ADD:
    case K_INC: {
        uint64_t c = k == K_ADC ? cin : 0;
        if (k == K_INC)
            b = 1;
        r = (a + b + c) & m;
        if ((unsigned __int128)a + b + c > m)
            f |= F_CF;
        if ((((a ^ r) & (b ^ r)) >> top) & 1)
            f |= F_OF;
        f |= (a ^ b ^ r) & F_AF;
        if (k == K_INC)
            f = (f & ~(uint64_t)F_CF) | (fin & F_CF);
        break;
    }
    case K_SUB:
    case K_SBB:
    case K_CMP:
    case K_DEC:
    case K_NEG: {
        uint64_t c = k == K_SBB ? cin : 0;
        if (k == K_DEC)
            b = 1;
        if (k == K_NEG) {
            b = a;
            a = 0;
        }
        r = (a - b - c) & m;
        if ((unsigned __int128)b + c > a)
            f |= F_CF;
        if ((((a ^ b) & (a ^ r)) >> top) & 1)
            f |= F_OF;
        f |= (a ^ b ^ r) & F_AF;
        if (k == K_DEC)
            f = (f & ~(uint64_t)F_CF) | (fin & F_CF);
        if (k == K_CMP)
            r = a;
        break;
    }
    case K_AND:
    case K_TEST:
        r = a & b;
        *mask &= ~(uint64_t)F_AF;
        break;
    case K_OR:
        r = a | b;
        *mask &= ~(uint64_t)F_AF;
        break;
    case K_XOR:
        r = a ^ b;
        *mask &= ~(uint64_t)F_AF;
        break;
    case K_NOT:
        *flags = fin & F_ARITH;
        return ~a & m;
    }
    f |= szp(k == K_CMP ? (a - b) & m : r, bits);
    if (k == K_TEST)
        r = a;
    *flags = f;
    return r;
}

static const uint64_t values[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
    0xffffffff, 0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xffffffffffffffffULL,
    0x0f0f0f0f0f0f0f0fULL, 0x123456789abcdef0ULL,
};
#define NVALUES (sizeof(values) / sizeof(values[0]))

int main(void)
{
    static const uint64_t fins[2] = { 0x2, 0x2 | F_ARITH };
    for (unsigned oi = 0; oi < sizeof(ops) / sizeof(ops[0]); oi++) {
        const struct op *op = &ops[oi];
        for (int wi = 0; wi < 4; wi++) {
            int bits = widths[wi];
            uint64_t m = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
            int unary = op->kind >= K_INC;
            for (unsigned ai = 0; ai < NVALUES; ai++) {
                for (unsigned bi = 0; bi < (unary ? 1 : NVALUES); bi++) {
                    uint64_t a = values[ai] & m, b = unary ? 0 : values[bi] & m;
                    if (ai > 0 && (values[ai] & m) == (values[ai - 1] & m) && values[ai] > m)
                        continue;
                    if (!unary && bi > 0 && values[bi] > m)
                        continue;
                    printf("%s%d %llx %llx:", op->name, bits, (unsigned long long)a,
                           (unsigned long long)b);
                    for (int fi = 0; fi < 2; fi++) {
                        uint64_t want_f, mask, fr, fm;
                        uint64_t want = model(op->kind, bits, a, b, fins[fi], &want_f, &mask);
                        uint64_t got = op->reg[wi](a, b, fins[fi], &fr) & m;
                        uint64_t gotm = op->mem[wi](a, b, fins[fi], &fm) & m;
                        CHECK_EQ(got, want);
                        CHECK_EQ(fr & mask, want_f & mask);
                        CHECK_EQ(gotm, want);
                        CHECK_EQ(fm & mask, want_f & mask);
                        hash_u64(got);
                        hash_u64(fr & mask);
                        printf(" %llx/%03llx", (unsigned long long)got, (unsigned long long)(fr & mask));
                    }
                    printf("\n");
                }
            }
        }
    }

    /* Immediate and accumulator short forms. */
    {
        uint64_t f;
        uint8_t al = 0xf0;
        __asm__ volatile(FLAGS_IN "addb $0x20, %%al" FLAGS_OUT : "+a"(al), [fout] "=&r"(f) : [fin] "r"((uint64_t)2) : "cc");
        CHECK_EQ(al, 0x10);
        CHECK_EQ(f & F_ARITH, F_CF);
        printf("addb $0x20,%%al -> %x flags %03llx\n", al, (unsigned long long)(f & F_ARITH));
        uint64_t q = 5;
        __asm__ volatile(FLAGS_IN "addq $-6, %[q]" FLAGS_OUT : [q] "+r"(q), [fout] "=&r"(f) : [fin] "r"((uint64_t)2) : "cc");
        CHECK_EQ(q, ~0ULL);
        CHECK_EQ(f & F_ARITH, F_SF | F_PF);
        printf("addq $-6 on 5 -> %llx flags %03llx\n", (unsigned long long)q, (unsigned long long)(f & F_ARITH));
        uint32_t l = 0x12345678;
        __asm__ volatile(FLAGS_IN "subl $0x12345678, %[l]" FLAGS_OUT : [l] "+r"(l), [fout] "=&r"(f) : [fin] "r"((uint64_t)2) : "cc");
        CHECK_EQ(l, 0);
        CHECK_EQ(f & F_ARITH, F_ZF | F_PF);
        uint64_t big = 0xffffffff00000000ULL;
        __asm__ volatile(FLAGS_IN "andq $0x7fffffff, %[q]" FLAGS_OUT : [q] "+r"(big), [fout] "=&r"(f) : [fin] "r"((uint64_t)2) : "cc");
        CHECK_EQ(big, 0);
        uint32_t wr = 0xffffffff;
        uint64_t full = 0x1111111122222222ULL;
        __asm__ volatile("movl %[w], %k[r]" : [r] "+r"(full) : [w] "r"(wr));
        CHECK_EQ(full, 0xffffffffULL); /* 32-bit writes zero-extend */
        full = 0x1111111122222222ULL;
        __asm__ volatile("movw $0x3333, %w[r]" : [r] "+r"(full));
        CHECK_EQ(full, 0x1111111122223333ULL); /* 16-bit writes merge */
        __asm__ volatile("movb $0x44, %b[r]" : [r] "+r"(full));
        CHECK_EQ(full, 0x1111111122223344ULL);
        uint64_t hi = 0x1234;
        __asm__ volatile("movb $0x99, %%ah" : "+a"(hi));
        CHECK_EQ(hi, 0x9934);
        printf("partial registers: %llx %llx\n", (unsigned long long)full, (unsigned long long)hi);
    }

    /* LAHF/SAHF and the carry-flag instructions. */
    {
        uint64_t f;
        uint64_t ax = 0;
        __asm__ volatile(FLAGS_IN "lahf" FLAGS_OUT : "+a"(ax), [fout] "=&r"(f) : [fin] "r"((uint64_t)(0x2 | F_CF | F_ZF | F_SF)) : "cc");
        CHECK_EQ((ax >> 8) & 0xd5, F_CF | F_ZF | F_SF);
        ax = (uint64_t)(F_PF | F_AF | 0x2) << 8;
        __asm__ volatile(FLAGS_IN "sahf" FLAGS_OUT : "+a"(ax), [fout] "=&r"(f) : [fin] "r"((uint64_t)(0x2 | F_OF)) : "cc");
        CHECK_EQ(f & F_ARITH, F_PF | F_AF | F_OF);
        __asm__ volatile(FLAGS_IN "stc" FLAGS_OUT : [fout] "=&r"(f) : [fin] "r"((uint64_t)2) : "cc");
        CHECK_EQ(f & F_ARITH, F_CF);
        __asm__ volatile(FLAGS_IN "cmc" FLAGS_OUT : [fout] "=&r"(f) : [fin] "r"((uint64_t)(2 | F_CF | F_ZF)) : "cc");
        CHECK_EQ(f & F_ARITH, F_ZF);
        __asm__ volatile(FLAGS_IN "clc" FLAGS_OUT : [fout] "=&r"(f) : [fin] "r"((uint64_t)(2 | F_CF | F_OF)) : "cc");
        CHECK_EQ(f & F_ARITH, F_OF);
        printf("lahf/sahf/stc/cmc/clc done\n");
    }
    return check_done("alu_flags");
}
