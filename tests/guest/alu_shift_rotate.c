/* Shifts and rotates: SHL SHR SAR ROL ROR RCL RCR SHLD SHRD at every width, counts from CL
 * (including counts past the operand size and the 5/6-bit count masking) and immediates,
 * checked against a C model of the SDM pseudocode. Undefined flags are masked. */
#include "check.h"

enum kind { K_SHL, K_SHR, K_SAR, K_ROL, K_ROR, K_RCL, K_RCR, K_SHLD, K_SHRD };
static const char *const names[] = { "shl", "shr", "sar", "rol", "ror", "rcl", "rcr", "shld", "shrd" };

typedef uint64_t (*sh_fn)(uint64_t a, uint64_t b, uint64_t cnt, uint64_t fin, uint64_t *fout);

#define DEF_SH(op, T, sfx)                                                         \
    static uint64_t op##sfx(uint64_t a64, uint64_t b64, uint64_t cnt, uint64_t fin, \
                            uint64_t *fout)                                         \
    {                                                                               \
        T a = (T)a64;                                                               \
        uint8_t c = (uint8_t)cnt;                                                   \
        uint64_t f;                                                                 \
        (void)b64;                                                                  \
        __asm__ volatile(FLAGS_IN #op #sfx " %%cl, %[a]" FLAGS_OUT                  \
                         : [a] "+r"(a), [fout] "=&r"(f)                             \
                         : "c"(c), [fin] "r"(fin)                                   \
                         : "cc");                                                   \
        *fout = f;                                                                  \
        return a;                                                                   \
    }

#define DEF_DSH(op, T, sfx)                                                        \
    static uint64_t op##sfx(uint64_t a64, uint64_t b64, uint64_t cnt, uint64_t fin, \
                            uint64_t *fout)                                         \
    {                                                                               \
        T a = (T)a64, b = (T)b64;                                                   \
        uint8_t c = (uint8_t)cnt;                                                   \
        uint64_t f;                                                                 \
        __asm__ volatile(FLAGS_IN #op #sfx " %%cl, %[b], %[a]" FLAGS_OUT            \
                         : [a] "+r"(a), [fout] "=&r"(f)                             \
                         : [b] "r"(b), "c"(c), [fin] "r"(fin)                       \
                         : "cc");                                                   \
        *fout = f;                                                                  \
        return a;                                                                   \
    }

#define DEF4(op) DEF_SH(op, uint8_t, b) DEF_SH(op, uint16_t, w) DEF_SH(op, uint32_t, l) DEF_SH(op, uint64_t, q)
DEF4(shl)
DEF4(shr)
DEF4(sar)
DEF4(rol)
DEF4(ror)
DEF4(rcl)
DEF4(rcr)
DEF_DSH(shld, uint16_t, w)
DEF_DSH(shld, uint32_t, l)
DEF_DSH(shld, uint64_t, q)
DEF_DSH(shrd, uint16_t, w)
DEF_DSH(shrd, uint32_t, l)
DEF_DSH(shrd, uint64_t, q)

static const sh_fn fns[9][4] = {
    { shlb, shlw, shll, shlq }, { shrb, shrw, shrl, shrq }, { sarb, sarw, sarl, sarq },
    { rolb, rolw, roll, rolq }, { rorb, rorw, rorl, rorq }, { rclb, rclw, rcll, rclq },
    { rcrb, rcrw, rcrl, rcrq }, { 0, shldw, shldl, shldq },  { 0, shrdw, shrdl, shrdq },
};

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

/* Returns the result; *flags and *mask get the flags and which of them are defined.
 * Returns 0 with *mask = ~0 when the SDM leaves the result undefined. */
static uint64_t model(enum kind k, int bits, uint64_t a, uint64_t b, uint64_t cnt, uint64_t fin,
                      uint64_t *flags, uint64_t *mask)
{
    uint64_t m = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    unsigned c = (unsigned)(cnt & (bits == 64 ? 63 : 31));
    uint64_t cf = fin & F_CF ? 1 : 0, r = a, of = 0;
    uint64_t keep = fin & F_ARITH;
    int top = bits - 1;
    *mask = F_ARITH;
    if (c == 0) {
        *flags = keep;
        return a;
    }
    switch (k) {
    case K_SHL:
        r = (a << c) & m;
        cf = c <= (unsigned)bits ? (a >> (bits - c)) & 1 : 0;
        of = ((r >> top) & 1) ^ cf;
        *mask = F_SF | F_ZF | F_PF | (c < (unsigned)bits ? F_CF : 0) | (c == 1 ? F_OF : 0);
        break;
    case K_SHR:
        r = a >> c;
        cf = (a >> (c - 1)) & 1;
        of = (a >> top) & 1;
        *mask = F_SF | F_ZF | F_PF | (c < (unsigned)bits ? F_CF : 0) | (c == 1 ? F_OF : 0);
        break;
    case K_SAR: {
        int64_t sa = (int64_t)(a << (64 - bits)) >> (64 - bits);
        r = (uint64_t)(sa >> (c > 63 ? 63 : c)) & m;
        cf = (uint64_t)(sa >> (c - 1 > 63 ? 63 : c - 1)) & 1;
        of = 0;
        *mask = F_SF | F_ZF | F_PF | F_CF | (c == 1 ? F_OF : 0);
        break;
    }
    case K_ROL:
    case K_ROR: {
        unsigned t = bits < 32 ? c % bits : c;
        if (t)
            r = k == K_ROL ? ((a << t) | (a >> (bits - t))) & m : ((a >> t) | (a << (bits - t))) & m;
        if (k == K_ROL) {
            cf = r & 1;
            of = ((r >> top) & 1) ^ cf;
        } else {
            cf = (r >> top) & 1;
            of = cf ^ ((r >> (top - 1)) & 1);
        }
        *flags = (keep & ~(uint64_t)(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        *mask = F_ARITH & ~(c == 1 ? 0 : (uint64_t)F_OF);
        return r;
    }
    case K_RCL:
    case K_RCR: {
        unsigned t = bits == 8 ? c % 9 : bits == 16 ? c % 17 : c;
        if (k == K_RCR)
            of = ((a >> top) & 1) ^ cf;
        for (unsigned i = 0; i < t; i++) {
            if (k == K_RCL) {
                uint64_t out = (r >> top) & 1;
                r = ((r << 1) | cf) & m;
                cf = out;
            } else {
                uint64_t out = r & 1;
                r = (r >> 1) | (cf << top);
                cf = out;
            }
        }
        if (k == K_RCL)
            of = ((r >> top) & 1) ^ cf;
        *flags = (keep & ~(uint64_t)(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        *mask = F_ARITH & ~(c == 1 ? 0 : (uint64_t)F_OF);
        return r;
    }
    case K_SHLD:
    case K_SHRD: {
        if (c > (unsigned)bits) {
            *mask = ~0ULL;
            return 0;
        }
        unsigned __int128 wide;
        if (k == K_SHLD) {
            wide = ((unsigned __int128)a << bits) | b;
            r = (uint64_t)(wide >> (bits - c)) & m;
            cf = (a >> (bits - c)) & 1;
        } else {
            wide = ((unsigned __int128)b << bits) | a;
            r = (uint64_t)(wide >> c) & m;
            cf = (a >> (c - 1)) & 1;
        }
        of = ((r ^ a) >> top) & 1;
        *mask = F_SF | F_ZF | F_PF | F_CF | (c == 1 ? F_OF : 0);
        break;
    }
    }
    *flags = szp(r, bits) | (cf ? F_CF : 0) | (of ? F_OF : 0);
    return r;
}

static const uint64_t values[] = { 0x1, 0x81, 0x8000000000000001ULL, 0xdeadbeefcafebabeULL, 0x7fffffff80000000ULL, 0 };
static const uint8_t counts[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 63, 64, 65, 255 };
static const int widths[4] = { 8, 16, 32, 64 };

int main(void)
{
    static const uint64_t fins[2] = { 0x2, 0x2 | F_ARITH };
    for (int k = 0; k < 9; k++) {
        for (int wi = 0; wi < 4; wi++) {
            int bits = widths[wi];
            uint64_t m = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
            if (!fns[k][wi])
                continue;
            for (unsigned vi = 0; vi < sizeof(values) / sizeof(values[0]); vi++) {
                for (unsigned ci = 0; ci < sizeof(counts); ci++) {
                    uint64_t a = values[vi] & m, b = ~values[(vi + 3) % 6] & m;
                    printf("%s%d %llx,%llx cl=%u:", names[k], bits, (unsigned long long)a,
                           (unsigned long long)b, counts[ci]);
                    for (int fi = 0; fi < 2; fi++) {
                        uint64_t wf, mask, f;
                        uint64_t want = model(k, bits, a, b, counts[ci], fins[fi], &wf, &mask);
                        uint64_t got = fns[k][wi](a, b, counts[ci], fins[fi], &f) & m;
                        if (mask == ~0ULL) {
                            printf(" undefined");
                            continue;
                        }
                        CHECK_EQ(got, want);
                        CHECK_EQ(f & mask, wf & mask);
                        hash_u64(got);
                        hash_u64(f & mask);
                        printf(" %llx/%03llx", (unsigned long long)got, (unsigned long long)(f & mask));
                    }
                    printf("\n");
                }
            }
        }
    }

    /* Immediate-count and shift-by-one encodings. */
    {
        uint64_t f, q = 0x8000000000000001ULL;
        __asm__ volatile(FLAGS_IN "shlq $1, %[q]" FLAGS_OUT : [q] "+r"(q), [fout] "=&r"(f) : [fin] "r"((uint64_t)2) : "cc");
        CHECK_EQ(q, 2);
        CHECK_EQ(f & (F_CF | F_OF | F_ZF | F_SF), F_CF | F_OF);
        uint32_t l = 0x80000000;
        __asm__ volatile(FLAGS_IN "sarl $31, %[l]" FLAGS_OUT : [l] "+r"(l), [fout] "=&r"(f) : [fin] "r"((uint64_t)2) : "cc");
        CHECK_EQ(l, 0xffffffff);
        CHECK_EQ(f & (F_CF | F_ZF | F_SF), F_SF);
        uint16_t w = 0x1234;
        __asm__ volatile("rolw $8, %[w]" : [w] "+r"(w) : : "cc");
        CHECK_EQ(w, 0x3412);
        uint8_t b8 = 0x81;
        __asm__ volatile(FLAGS_IN "rorb $1, %[b]" FLAGS_OUT : [b] "+q"(b8), [fout] "=&r"(f) : [fin] "r"((uint64_t)2) : "cc");
        CHECK_EQ(b8, 0xc0);
        CHECK_EQ(f & (F_CF | F_OF), F_CF);
        uint64_t hi = 0x0123456789abcdefULL, lo = 0xfedcba9876543210ULL;
        __asm__ volatile("shldq $12, %[lo], %[hi]" : [hi] "+r"(hi) : [lo] "r"(lo) : "cc");
        CHECK_EQ(hi, 0x3456789abcdeffedULL);
        __asm__ volatile("shrdq $4, %[hi], %[lo]" : [lo] "+r"(lo) : [hi] "r"(hi) : "cc");
        CHECK_EQ(lo, 0xdfedcba987654321ULL);
        uint64_t mem = 0xf0;
        uint64_t *p = &mem;
        __asm__ volatile("shrq $4, (%[p])\n\trolq $60, (%[p])" : : [p] "r"(p) : "cc", "memory");
        CHECK_EQ(mem, 0xf000000000000000ULL);
        printf("imm forms: %llx %x %x %x %llx %llx %llx\n", (unsigned long long)q, l, w, b8,
               (unsigned long long)hi, (unsigned long long)lo, (unsigned long long)mem);
    }

    /* Shifts written in C, at every width and signedness. */
    for (int s = 0; s < 64; s += 5) {
        int64_t sv = -0x123456789abcdefLL;
        uint64_t uv = 0xfedcba9876543210ULL;
        int32_t s32 = -123456789;
        uint32_t u32 = 0xdeadbeef;
        printf("c-shift %2d: %016llx %016llx %016llx %08x %08x %08x\n", s,
               (unsigned long long)(sv >> s), (unsigned long long)(uv >> s), (unsigned long long)(uv << s),
               (unsigned)(s32 >> (s & 31)), u32 >> (s & 31), u32 << (s & 31));
        hash_u64((uint64_t)(sv >> s) ^ (uv << s));
    }
    return check_done("alu_shift_rotate");
}
