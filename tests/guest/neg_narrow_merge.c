/* NEG's carry and partial-register writes to registers known to be narrow.
 * NEG sets CF when its operand is nonzero in its width: read in the same TB by
 * SBB r,r (the `-(x != 0)` idiom), ADC, SETB, SETA, SETL, JB and CMOVB at 8, 16, 32
 * and 64 bits, on values that are zero in the width but not above it.
 * A register zero-extended from a load or MOVZX, then written in its low 8 or 16
 * bits (SHR, ADD, OR, SBB on AX/AL/AH/BX/BL): the merge keeps what is above (zero)
 * and the full register is checked; also CMP on a loaded first operand followed
 * by unsigned and signed conditions. Each function runs for many inputs, so that
 * its code is compiled. */
#include "check.h"

static const uint64_t vals[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL, 0x8000000000000000ULL,
    0xffffffffffffffffULL, 0x123456789abcdef0ULL, 0xff00ULL, 0xffff0000ULL,
};
#define N_VALS (sizeof vals / sizeof vals[0])

/* NEG then SBB r,r, SETB, SETA, SETL, ADC and CMOVB at each width; the results
 * packed into one value. */
static uint64_t neg8(uint64_t x)
{
    uint64_t a = x, m = 0, c = 0x55;
    unsigned char b, ab, l;
    __asm__("negb %b[a]\n\t"
            "sbbq %[m], %[m]\n\t"
            "negb %b[a]\n\t"
            "negb %b[a]\n\t"
            "setb %[b]\n\t"
            "negb %b[a]\n\t"
            "negb %b[a]\n\t"
            "seta %[ab]\n\t"
            "negb %b[a]\n\t"
            "negb %b[a]\n\t"
            "setl %[l]\n\t"
            "negb %b[a]\n\t"
            "negb %b[a]\n\t"
            "adcq $0x10, %[c]"
            : [a] "+q"(a), [m] "+r"(m), [b] "=q"(b), [ab] "=q"(ab), [l] "=q"(l), [c] "+r"(c)
            :
            : "cc");
    return a ^ (m << 8) ^ ((uint64_t)b << 1) ^ ((uint64_t)ab << 2) ^ ((uint64_t)l << 3) ^ (c << 20);
}

static uint64_t neg16(uint64_t x)
{
    uint64_t a = x, m = 0x1234, c = 0x55, k = 0x77, s = 0x99;
    unsigned char b, l;
    __asm__("negw %w[a]\n\t"
            "sbbw %w[m], %w[m]\n\t"
            "negw %w[a]\n\t"
            "negw %w[a]\n\t"
            "setb %[b]\n\t"
            "negw %w[a]\n\t"
            "negw %w[a]\n\t"
            "setl %[l]\n\t"
            "negw %w[a]\n\t"
            "negw %w[a]\n\t"
            "cmovbq %[s], %[k]\n\t"
            "negw %w[a]\n\t"
            "negw %w[a]\n\t"
            "adcw $0x10, %w[c]"
            : [a] "+r"(a), [m] "+r"(m), [b] "=q"(b), [l] "=q"(l), [c] "+r"(c), [k] "+r"(k)
            : [s] "r"(s)
            : "cc");
    return a ^ (m << 5) ^ ((uint64_t)b << 1) ^ ((uint64_t)l << 3) ^ (c << 24) ^ (k << 40);
}

static uint64_t neg32(uint64_t x)
{
    uint64_t a = x, m = 0xabcdef0123456789ULL, c = 0x55;
    unsigned char b, ab, l;
    __asm__("negl %k[a]\n\t"
            "sbbl %k[m], %k[m]\n\t"
            "negl %k[a]\n\t"
            "negl %k[a]\n\t"
            "setb %[b]\n\t"
            "negl %k[a]\n\t"
            "negl %k[a]\n\t"
            "seta %[ab]\n\t"
            "negl %k[a]\n\t"
            "negl %k[a]\n\t"
            "setl %[l]\n\t"
            "adcl $0x10, %k[c]"
            : [a] "+r"(a), [m] "+r"(m), [b] "=q"(b), [ab] "=q"(ab), [l] "=q"(l), [c] "+r"(c)
            :
            : "cc");
    return a ^ (m << 7) ^ ((uint64_t)b << 1) ^ ((uint64_t)ab << 2) ^ ((uint64_t)l << 3) ^ (c << 33);
}

static uint64_t neg64(uint64_t x)
{
    uint64_t a = x, m = 0, taken;
    unsigned char g;
    __asm__("negq %[a]\n\t"
            "sbbq %[m], %[m]\n\t"
            "negq %[a]\n\t"
            "negq %[a]\n\t"
            "setg %[g]\n\t"
            "negq %[a]\n\t"
            "negq %[a]\n\t"
            "movq $0, %[t]\n\t"
            "jb 1f\n\t"
            "movq $1, %[t]\n"
            "1:"
            : [a] "+r"(a), [m] "+r"(m), [g] "=q"(g), [t] "=&r"(taken)
            :
            : "cc");
    return a ^ m ^ ((uint64_t)g << 1) ^ (taken << 2);
}

/* A NEG of a byte loaded from memory (zero-extended), then SBB into the low byte
 * of a register whose upper bits are live: Python's dispatch does this. */
static uint64_t neg_loaded(const uint16_t *p, uint64_t r)
{
    uint64_t t;
    __asm__("movzwl (%[p]), %k[t]\n\t"
            "negw %w[t]\n\t"
            "sbbb %b[r], %b[r]\n\t"
            "orb 1(%[p]), %b[r]"
            : [t] "=&r"(t), [r] "+q"(r)
            : [p] "r"(p)
            : "cc", "memory");
    return t ^ (r << 16);
}

/* Zero-extended values written in their low 8 or 16 bits. */
static uint64_t merges(const uint16_t *p, uint64_t x)
{
    uint64_t a, b, c, d;
    __asm__("movzwl (%[p]), %k[a]\n\t"
            "movl %k[a], %k[b]\n\t"
            "shrw $8, %w[b]\n\t"
            "movzbl %b[x], %k[c]\n\t"
            "addb $0x90, %b[c]\n\t"
            "movl %k[c], %k[d]\n\t"
            "orw $0x8001, %w[d]\n\t"
            "shrw $3, %w[a]\n\t"
            "sarw $1, %w[c]"
            : [a] "=&q"(a), [b] "=&q"(b), [c] "=&q"(c), [d] "=&q"(d)
            : [p] "r"(p), [x] "q"(x)
            : "cc", "memory");
    return a ^ (b << 16) ^ (c << 32) ^ (d << 40);
}

/* Shifts of zero-extended values, then masks of their top bits: what a shift
 * leaves is known to be that narrow, and no narrower. */
static uint64_t shifted_masks(const uint16_t *p, uint64_t x)
{
    uint64_t e, f, g;
    __asm__("movzwl (%[p]), %k[e]\n\t"
            "shrw $8, %w[e]\n\t"
            "andl $0x80, %k[e]\n\t"
            "movzbl %b[x], %k[f]\n\t"
            "shll $4, %k[f]\n\t"
            "andl $0x800, %k[f]\n\t"
            "movzwl (%[p]), %k[g]\n\t"
            "sarl $15, %k[g]\n\t"
            "andl $1, %k[g]"
            : [e] "=&r"(e), [f] "=&r"(f), [g] "=&r"(g)
            : [p] "r"(p), [x] "q"(x)
            : "cc", "memory");
    return e ^ (f << 8) ^ (g << 24);
}

/* The high byte of a zero-extended register, and AND masks above its width. */
static uint64_t high_byte(uint64_t x)
{
    uint64_t a = x & 0xffff, r, m;
    __asm__("movzwl %w[a], %k[r]\n\t"
            "addb $0x41, %h[r]\n\t"
            "movl %k[r], %k[m]\n\t"
            "andl $0xffff0000, %k[m]\n\t"
            "orl %k[r], %k[m]"
            : [r] "=&Q"(r), [m] "=&r"(m)
            : [a] "r"(a)
            : "cc");
    return r ^ (m << 20);
}

/* CMP with a loaded first operand, then conditions on it, at 8, 16, 32 and 64 bits. */
static uint64_t cmp_loaded(const uint64_t *p, uint64_t b)
{
    unsigned char r[8];
    __asm__("cmpb %b[b], (%[p])\n\t"
            "setb %[r0]\n\t"
            "cmpw %w[b], (%[p])\n\t"
            "setl %[r1]\n\t"
            "cmpl %k[b], (%[p])\n\t"
            "setbe %[r2]\n\t"
            "cmpl %k[b], (%[p])\n\t"
            "setg %[r3]\n\t"
            "cmpq %[b], (%[p])\n\t"
            "seta %[r4]\n\t"
            "cmpq %[b], (%[p])\n\t"
            "setle %[r5]\n\t"
            "movq (%[p]), %%rax\n\t"
            "subq %[b], %%rax\n\t"
            "setae %[r6]\n\t"
            "subl %k[b], %%eax\n\t"
            "setge %[r7]"
            : [r0] "=m"(r[0]), [r1] "=m"(r[1]), [r2] "=m"(r[2]), [r3] "=m"(r[3]),
              [r4] "=m"(r[4]), [r5] "=m"(r[5]), [r6] "=m"(r[6]), [r7] "=m"(r[7])
            : [p] "r"(p), [b] "r"(b)
            : "cc", "rax", "memory");
    uint64_t v;
    memcpy(&v, r, 8);
    return v;
}

int main(void)
{
    for (unsigned round = 0; round < 20; round++) {
        for (unsigned i = 0; i < N_VALS; i++) {
            uint64_t x = vals[i];
            hash_u64(neg8(x));
            hash_u64(neg16(x));
            hash_u64(neg32(x));
            hash_u64(neg64(x));
            hash_u64(high_byte(x));
            uint16_t w[2] = {(uint16_t)x, (uint16_t)(x >> 16)};
            hash_u64(neg_loaded(w, x * 0x0101010101010101ULL));
            hash_u64(merges(w, x >> 3));
            hash_u64(shifted_masks(w, x));
            for (unsigned j = 0; j < N_VALS; j += 3) {
                uint64_t m = vals[j];
                hash_u64(cmp_loaded(&m, x));
            }
        }
    }
    /* Spot values, checked against the architecture. */
    CHECK_EQ(neg64(0), 1 << 2);            /* no carry: JB not taken */
    CHECK_EQ(neg64(5), (-5ULL) ^ ~0ULL);    /* carry: SBB gives -1, JB taken */
    uint16_t z[2] = {0x0000, 0x1234};
    CHECK_EQ(neg_loaded(z, 0x1111111111111100ULL), 0x1111111111111100ULL << 16);
    uint16_t o[2] = {0x0100, 0};
    CHECK_EQ(neg_loaded(o, 0x22ULL), 0xff00 ^ (0xffULL << 16));
    uint16_t h[2] = {0x8000, 0};
    CHECK_EQ(shifted_masks(h, 0x80), 0x80 ^ (0x800 << 8) ^ (1 << 24));
    CHECK_EQ(high_byte(0x12f0), (0x53f0) ^ (0x53f0ULL << 20));
    return check_done("neg_narrow_merge");
}
