/* MUL, IMUL (one, two and three operands), DIV and IDIV at 8/16/32/64 bits, checked against
 * C arithmetic on wider types. CF/OF after multiplies are checked; other flags are undefined. */
#include "check.h"

struct wide {
    uint64_t lo, hi, flags;
};

static struct wide mul_u(int bits, uint64_t a, uint64_t s)
{
    struct wide w = { 0, 0, 0 };
    uint64_t f, fin = 2;
    switch (bits) {
    case 8: {
        uint16_t ax = (uint8_t)a;
        uint8_t b = (uint8_t)s;
        __asm__ volatile(FLAGS_IN "mulb %[s]" FLAGS_OUT : "+a"(ax), [fout] "=&r"(f) : [s] "q"(b), [fin] "r"(fin) : "cc");
        w.lo = ax & 0xff;
        w.hi = ax >> 8;
        break;
    }
    case 16: {
        uint16_t ax = (uint16_t)a, dx, b = (uint16_t)s;
        __asm__ volatile(FLAGS_IN "mulw %[s]" FLAGS_OUT : "+a"(ax), "=d"(dx), [fout] "=&r"(f) : [s] "r"(b), [fin] "r"(fin) : "cc");
        w.lo = ax;
        w.hi = dx;
        break;
    }
    case 32: {
        uint32_t ax = (uint32_t)a, dx, b = (uint32_t)s;
        __asm__ volatile(FLAGS_IN "mull %[s]" FLAGS_OUT : "+a"(ax), "=d"(dx), [fout] "=&r"(f) : [s] "r"(b), [fin] "r"(fin) : "cc");
        w.lo = ax;
        w.hi = dx;
        break;
    }
    default: {
        uint64_t ax = a, dx;
        __asm__ volatile(FLAGS_IN "mulq (%[s])" FLAGS_OUT : "+a"(ax), "=d"(dx), [fout] "=&r"(f) : [s] "r"(&s), [fin] "r"(fin) : "cc", "memory");
        w.lo = ax;
        w.hi = dx;
        break;
    }
    }
    w.flags = f & (F_CF | F_OF);
    return w;
}

static struct wide mul_s(int bits, uint64_t a, uint64_t s)
{
    struct wide w = { 0, 0, 0 };
    uint64_t f, fin = 2;
    switch (bits) {
    case 8: {
        uint16_t ax = (uint8_t)a;
        uint8_t b = (uint8_t)s;
        __asm__ volatile(FLAGS_IN "imulb %[s]" FLAGS_OUT : "+a"(ax), [fout] "=&r"(f) : [s] "q"(b), [fin] "r"(fin) : "cc");
        w.lo = ax & 0xff;
        w.hi = ax >> 8;
        break;
    }
    case 16: {
        uint16_t ax = (uint16_t)a, dx, b = (uint16_t)s;
        __asm__ volatile(FLAGS_IN "imulw %[s]" FLAGS_OUT : "+a"(ax), "=d"(dx), [fout] "=&r"(f) : [s] "r"(b), [fin] "r"(fin) : "cc");
        w.lo = ax;
        w.hi = dx;
        break;
    }
    case 32: {
        uint32_t ax = (uint32_t)a, dx, b = (uint32_t)s;
        __asm__ volatile(FLAGS_IN "imull %[s]" FLAGS_OUT : "+a"(ax), "=d"(dx), [fout] "=&r"(f) : [s] "r"(b), [fin] "r"(fin) : "cc");
        w.lo = ax;
        w.hi = dx;
        break;
    }
    default: {
        uint64_t ax = a, dx;
        __asm__ volatile(FLAGS_IN "imulq %[s]" FLAGS_OUT : "+a"(ax), "=d"(dx), [fout] "=&r"(f) : [s] "r"(s), [fin] "r"(fin) : "cc");
        w.lo = ax;
        w.hi = dx;
        break;
    }
    }
    w.flags = f & (F_CF | F_OF);
    return w;
}

/* Two-operand IMUL: the truncated product and CF/OF. */
static struct wide imul2(int bits, uint64_t a, uint64_t s)
{
    struct wide w = { 0, 0, 0 };
    uint64_t f, fin = 2;
    switch (bits) {
    case 16: {
        uint16_t x = (uint16_t)a, y = (uint16_t)s;
        __asm__ volatile(FLAGS_IN "imulw %[y], %[x]" FLAGS_OUT : [x] "+r"(x), [fout] "=&r"(f) : [y] "r"(y), [fin] "r"(fin) : "cc");
        w.lo = x;
        break;
    }
    case 32: {
        uint32_t x = (uint32_t)a, y = (uint32_t)s;
        __asm__ volatile(FLAGS_IN "imull %[y], %[x]" FLAGS_OUT : [x] "+r"(x), [fout] "=&r"(f) : [y] "r"(y), [fin] "r"(fin) : "cc");
        w.lo = x;
        break;
    }
    default: {
        uint64_t x = a;
        __asm__ volatile(FLAGS_IN "imulq %[y], %[x]" FLAGS_OUT : [x] "+r"(x), [fout] "=&r"(f) : [y] "r"(s), [fin] "r"(fin) : "cc");
        w.lo = x;
        break;
    }
    }
    w.flags = f & (F_CF | F_OF);
    return w;
}

static int64_t sx(int bits, uint64_t v)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static uint64_t mask_of(int bits)
{
    return bits == 64 ? ~0ULL : (1ULL << bits) - 1;
}

/* DIV/IDIV of hi:lo by d; returns quotient in lo, remainder in hi. */
static struct wide divide(int bits, int is_signed, uint64_t hi, uint64_t lo, uint64_t d)
{
    struct wide w = { 0, 0, 0 };
    switch (bits) {
    case 8: {
        uint16_t ax = (uint16_t)((hi << 8) | (lo & 0xff));
        uint8_t b = (uint8_t)d;
        if (is_signed)
            __asm__ volatile("idivb %[d]" : "+a"(ax) : [d] "q"(b) : "cc");
        else
            __asm__ volatile("divb %[d]" : "+a"(ax) : [d] "q"(b) : "cc");
        w.lo = ax & 0xff;
        w.hi = ax >> 8;
        break;
    }
    case 16: {
        uint16_t ax = (uint16_t)lo, dx = (uint16_t)hi, b = (uint16_t)d;
        if (is_signed)
            __asm__ volatile("idivw %[d]" : "+a"(ax), "+d"(dx) : [d] "r"(b) : "cc");
        else
            __asm__ volatile("divw %[d]" : "+a"(ax), "+d"(dx) : [d] "r"(b) : "cc");
        w.lo = ax;
        w.hi = dx;
        break;
    }
    case 32: {
        uint32_t ax = (uint32_t)lo, dx = (uint32_t)hi, b = (uint32_t)d;
        if (is_signed)
            __asm__ volatile("idivl %[d]" : "+a"(ax), "+d"(dx) : [d] "r"(b) : "cc");
        else
            __asm__ volatile("divl %[d]" : "+a"(ax), "+d"(dx) : [d] "r"(b) : "cc");
        w.lo = ax;
        w.hi = dx;
        break;
    }
    default: {
        uint64_t ax = lo, dx = hi;
        if (is_signed)
            __asm__ volatile("idivq %[d]" : "+a"(ax), "+d"(dx) : [d] "r"(d) : "cc");
        else
            __asm__ volatile("divq (%[d])" : "+a"(ax), "+d"(dx) : [d] "r"(&d) : "cc", "memory");
        w.lo = ax;
        w.hi = dx;
        break;
    }
    }
    return w;
}

static const uint64_t values[] = {
    0, 1, 2, 3, 7, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x12345, 0x7fffffff, 0x80000000,
    0xffffffff, 0x123456789ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xffffffffffffffffULL,
    0xfffffffffffffff9ULL, 0xdeadbeefcafef00dULL,
};
#define NV (sizeof(values) / sizeof(values[0]))

int main(void)
{
    static const int widths[4] = { 8, 16, 32, 64 };
    for (int wi = 0; wi < 4; wi++) {
        int bits = widths[wi];
        uint64_t m = mask_of(bits);
        for (unsigned i = 0; i < NV; i++) {
            for (unsigned j = 0; j < NV; j++) {
                uint64_t a = values[i] & m, b = values[j] & m;
                /* unsigned and signed widening multiply */
                unsigned __int128 up = (unsigned __int128)a * b;
                __int128 sp = (__int128)sx(bits, a) * sx(bits, b);
                struct wide u = mul_u(bits, a, b), s = mul_s(bits, a, b);
                uint64_t uhi = bits == 64 ? (uint64_t)(up >> 64) : (uint64_t)(up >> bits) & m;
                uint64_t shi = bits == 64 ? (uint64_t)((unsigned __int128)sp >> 64) : (uint64_t)(sp >> bits) & m;
                CHECK_EQ(u.lo, (uint64_t)up & m);
                CHECK_EQ(u.hi, uhi);
                CHECK_EQ(u.flags, uhi ? F_CF | F_OF : 0);
                CHECK_EQ(s.lo, (uint64_t)sp & m);
                CHECK_EQ(s.hi, shi);
                int sover = sp != (__int128)sx(bits, (uint64_t)sp & m);
                CHECK_EQ(s.flags, sover ? F_CF | F_OF : 0);
                printf("mul%d %llx*%llx = %llx:%llx %llx | imul %llx:%llx %llx", bits, (unsigned long long)a,
                       (unsigned long long)b, (unsigned long long)u.hi, (unsigned long long)u.lo,
                       (unsigned long long)u.flags, (unsigned long long)s.hi, (unsigned long long)s.lo,
                       (unsigned long long)s.flags);
                if (bits > 8) {
                    struct wide t = imul2(bits, a, b);
                    CHECK_EQ(t.lo, (uint64_t)sp & m);
                    CHECK_EQ(t.flags, sover ? F_CF | F_OF : 0);
                    printf(" | imul2 %llx %llx", (unsigned long long)t.lo, (unsigned long long)t.flags);
                }
                printf("\n");
                hash_u64(u.lo ^ u.hi ^ s.lo ^ s.hi);

                /* division of hi:lo where hi = some value below the divisor */
                if (b == 0)
                    continue;
                uint64_t hi = values[(i + j) % NV] & m;
                if (hi >= b)
                    hi %= b;
                unsigned __int128 dividend = ((unsigned __int128)hi << bits) | a;
                struct wide d = divide(bits, 0, hi, a, b);
                CHECK_EQ(d.lo, (uint64_t)(dividend / b));
                CHECK_EQ(d.hi, (uint64_t)(dividend % b));
                printf("div%d %llx:%llx / %llx = %llx r %llx", bits, (unsigned long long)hi,
                       (unsigned long long)a, (unsigned long long)b, (unsigned long long)d.lo,
                       (unsigned long long)d.hi);
                /* signed: sign-extended a (like CQO) divided by b, when the quotient fits */
                __int128 sd = sx(bits, a), sdiv = sx(bits, b);
                __int128 q = sd / sdiv;
                if (q == (__int128)sx(bits, (uint64_t)q & m)) {
                    uint64_t shi2 = sd < 0 ? m : 0;
                    struct wide e = divide(bits, 1, shi2, a, b);
                    CHECK_EQ(e.lo, (uint64_t)q & m);
                    CHECK_EQ(e.hi, (uint64_t)(sd % sdiv) & m);
                    printf(" | idiv %llx r %llx", (unsigned long long)e.lo, (unsigned long long)e.hi);
                    hash_u64(e.lo ^ e.hi);
                }
                printf("\n");
                hash_u64(d.lo ^ d.hi);
            }
        }
    }

    /* three-operand IMUL with 8- and 32-bit immediates */
    {
        uint64_t f, r;
        int64_t x = -5;
        __asm__ volatile(FLAGS_IN "imulq $-3, %[x], %[r]" FLAGS_OUT : [r] "=&r"(r), [fout] "=&r"(f) : [x] "r"(x), [fin] "r"((uint64_t)2) : "cc");
        CHECK_EQ(r, 15);
        CHECK_EQ(f & (F_CF | F_OF), 0);
        uint32_t y = 0x10000, r32;
        __asm__ volatile(FLAGS_IN "imull $0x10000, %[y], %[r]" FLAGS_OUT : [r] "=&r"(r32), [fout] "=&r"(f) : [y] "r"(y), [fin] "r"((uint64_t)2) : "cc");
        CHECK_EQ(r32, 0);
        CHECK_EQ(f & (F_CF | F_OF), F_CF | F_OF);
        uint16_t z = 300, r16;
        __asm__ volatile("imulw $100, %[z], %[r]" : [r] "=&r"(r16) : [z] "r"(z) : "cc");
        CHECK_EQ(r16, 30000);
        printf("imul3: %lld %x %u\n", (long long)r, r32, r16);
    }

    /* C-level division and modulo of every signedness and width */
    for (int i = -20; i <= 20; i += 3) {
        for (int j = -7; j <= 7; j++) {
            if (j == 0)
                continue;
            signed char sc = (signed char)(i * 6);
            short ss = (short)(i * 1000);
            long long sl = (long long)i * 123456789012LL;
            unsigned long long ul = (unsigned long long)sl;
            printf("%d/%d: %d %d %d %d %lld %lld %llu %llu\n", i, j, sc / j, sc % j, ss / j, ss % j,
                   sl / j, sl % j, ul / (unsigned)(j + 8), ul % (unsigned)(j + 8));
        }
    }
    return check_done("alu_muldiv");
}
