/* Bit instructions: BT BTS BTR BTC (register, immediate, and memory bit strings with signed
 * offsets), BSF BSR LZCNT TZCNT POPCNT BSWAP, and the GCC builtins built on them. */
#include "check.h"

#define F_KEEP_ZF (F_ZF)

/* BTx on a register: returns the new value, *cf the selected bit, *zf_kept whether ZF stayed. */
#define DEF_BT(op, T, sfx)                                                           \
    static uint64_t op##sfx(uint64_t v64, uint64_t bit, uint64_t fin, uint64_t *fout) \
    {                                                                                 \
        T v = (T)v64, b = (T)bit;                                                     \
        uint64_t f;                                                                   \
        __asm__ volatile(FLAGS_IN #op #sfx " %[b], %[v]" FLAGS_OUT                    \
                         : [v] "+r"(v), [fout] "=&r"(f)                               \
                         : [b] "r"(b), [fin] "r"(fin)                                 \
                         : "cc");                                                     \
        *fout = f;                                                                    \
        return v;                                                                     \
    }
#define DEF_BT3(op) DEF_BT(op, uint16_t, w) DEF_BT(op, uint32_t, l) DEF_BT(op, uint64_t, q)
DEF_BT3(bt)
DEF_BT3(bts)
DEF_BT3(btr)
DEF_BT3(btc)

typedef uint64_t (*bt_fn)(uint64_t, uint64_t, uint64_t, uint64_t *);
static const bt_fn bt_fns[4][3] = {
    { btw, btl, btq }, { btsw, btsl, btsq }, { btrw, btrl, btrq }, { btcw, btcl, btcq }
};
static const char *const bt_names[4] = { "bt", "bts", "btr", "btc" };

/* BTx on memory with a register bit offset (a signed bit-string index). */
#define DEF_BTM(op, sfx, T)                                                          \
    static int op##sfx##_mem(void *base, int64_t off)                                 \
    {                                                                                 \
        unsigned char c;                                                              \
        T o = (T)off;                                                                 \
        __asm__ volatile(#op #sfx " %[o], (%[p])\n\tsetc %[c]"                        \
                         : [c] "=r"(c)                                                \
                         : [o] "r"(o), [p] "r"(base)                                  \
                         : "cc", "memory");                                           \
        return c;                                                                     \
    }
#define DEF_BTM3(op) DEF_BTM(op, w, int16_t) DEF_BTM(op, l, int32_t) DEF_BTM(op, q, int64_t)
DEF_BTM3(bt)
DEF_BTM3(bts)
DEF_BTM3(btr)
DEF_BTM3(btc)

typedef int (*btm_fn)(void *, int64_t);
static const btm_fn btm_fns[4][3] = {
    { btw_mem, btl_mem, btq_mem }, { btsw_mem, btsl_mem, btsq_mem },
    { btrw_mem, btrl_mem, btrq_mem }, { btcw_mem, btcl_mem, btcq_mem },
};

static uint64_t scan(int which, int bits, uint64_t v, uint64_t *fout)
{
    uint64_t r = 0x5555, f, fin = 2;
    switch (which * 4 + (bits == 16 ? 0 : bits == 32 ? 1 : 2)) {
#define SCAN(n, insn, T)                                                                           \
    case n: {                                                                                      \
        T x = (T)v, y = 0x5555;                                                                    \
        __asm__ volatile(FLAGS_IN insn " %[x], %[y]" FLAGS_OUT : [y] "+r"(y), [fout] "=&r"(f) : [x] "r"(x), [fin] "r"(fin) : "cc"); \
        r = y;                                                                                     \
        break;                                                                                     \
    }
        SCAN(0, "bsfw", uint16_t)
        SCAN(1, "bsfl", uint32_t)
        SCAN(2, "bsfq", uint64_t)
        SCAN(4, "bsrw", uint16_t)
        SCAN(5, "bsrl", uint32_t)
        SCAN(6, "bsrq", uint64_t)
        SCAN(8, "lzcntw", uint16_t)
        SCAN(9, "lzcntl", uint32_t)
        SCAN(10, "lzcntq", uint64_t)
        SCAN(12, "tzcntw", uint16_t)
        SCAN(13, "tzcntl", uint32_t)
        SCAN(14, "tzcntq", uint64_t)
        SCAN(16, "popcntw", uint16_t)
        SCAN(17, "popcntl", uint32_t)
        SCAN(18, "popcntq", uint64_t)
    default:
        f = 0;
    }
    *fout = f;
    return r;
}

static const uint64_t values[] = {
    0, 1, 2, 3, 0x80, 0x8000, 0xffff, 0x10000, 0x80000000, 0xffffffff, 0x100000000ULL,
    0x8000000000000000ULL, 0xffffffffffffffffULL, 0x00f0000000000f00ULL, 0x123456789abcdef0ULL,
};
#define NV (sizeof(values) / sizeof(values[0]))

int main(void)
{
    static const int widths[3] = { 16, 32, 64 };
    static const uint64_t fins[2] = { 0x2, 0x2 | F_ARITH };

    /* register forms */
    for (int op = 0; op < 4; op++) {
        for (int wi = 0; wi < 3; wi++) {
            int bits = widths[wi];
            uint64_t m = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
            for (unsigned vi = 0; vi < NV; vi += 2) {
                for (unsigned bit = 0; bit < 70; bit += 5) {
                    uint64_t v = values[vi] & m, f;
                    unsigned eff = bit % bits;
                    uint64_t sel = (v >> eff) & 1;
                    uint64_t want = op == 0 ? v : op == 1 ? v | (1ULL << eff) : op == 2 ? v & ~(1ULL << eff) : v ^ (1ULL << eff);
                    uint64_t got = 0;
                    for (int fi = 0; fi < 2; fi++) {
                        got = bt_fns[op][wi](v, bit, fins[fi], &f) & m;
                        CHECK_EQ(got, want);
                        CHECK_EQ(f & F_CF, sel ? F_CF : 0);
                        CHECK_EQ(f & F_ZF, fins[fi] & F_ZF);
                    }
                    printf("%s%d %llx,%u -> %llx cf=%llu\n", bt_names[op], bits, (unsigned long long)v, bit,
                           (unsigned long long)got, (unsigned long long)sel);
                }
            }
        }
    }

    /* memory bit strings, offsets reaching before and after the addressed word */
    {
        uint8_t buf[64];
        for (int op = 0; op < 4; op++) {
            for (int wi = 0; wi < 3; wi++) {
                int64_t lim = widths[wi] == 16 ? 200 : 250;
                for (int64_t off = -lim; off <= lim; off += 7) {
                    uint8_t model[64];
                    for (int i = 0; i < 64; i++)
                        buf[i] = model[i] = (uint8_t)(i * 37 + 11);
                    int64_t byte = 32 + (off >> 3);
                    int sel = (model[byte] >> (off & 7)) & 1;
                    if (op == 1)
                        model[byte] |= (uint8_t)(1 << (off & 7));
                    else if (op == 2)
                        model[byte] &= (uint8_t)~(1 << (off & 7));
                    else if (op == 3)
                        model[byte] ^= (uint8_t)(1 << (off & 7));
                    int got = btm_fns[op][wi](buf + 32, off);
                    CHECK_EQ(got, sel);
                    CHECK(memcmp(buf, model, sizeof buf) == 0);
                    hash_bytes(buf, sizeof buf);
                }
                printf("%s%d memory bit strings checked\n", bt_names[op], widths[wi]);
            }
        }
        uint32_t word = 0;
        __asm__ volatile("btsl $35, (%[p])" : : [p] "r"(&word) : "cc", "memory");
        CHECK_EQ(word, 8); /* immediate offsets are taken modulo the operand size */
        printf("btsl $35 -> %u\n", word);
    }

    /* BSF BSR LZCNT TZCNT POPCNT */
    {
        static const char *const names[5] = { "bsf", "bsr", "lzcnt", "tzcnt", "popcnt" };
        for (int which = 0; which < 5; which++) {
            for (int wi = 0; wi < 3; wi++) {
                int bits = widths[wi];
                uint64_t m = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
                for (unsigned vi = 0; vi < NV; vi++) {
                    uint64_t v = values[vi] & m, f;
                    uint64_t r = scan(which, bits, v, &f);
                    r &= m;
                    uint64_t want = 0, wantf = 0, mask = 0;
                    int lz = v ? __builtin_clzll(v) - (64 - bits) : bits;
                    int tz = v ? __builtin_ctzll(v) : bits;
                    switch (which) {
                    case 0:
                        want = tz;
                        wantf = v ? 0 : F_ZF;
                        mask = F_ZF;
                        break;
                    case 1:
                        want = bits - 1 - lz;
                        wantf = v ? 0 : F_ZF;
                        mask = F_ZF;
                        break;
                    case 2:
                        want = lz;
                        wantf = (lz == 0 ? F_ZF : 0) | (v ? 0 : F_CF);
                        mask = F_ZF | F_CF;
                        break;
                    case 3:
                        want = tz;
                        wantf = (tz == 0 ? F_ZF : 0) | (v ? 0 : F_CF);
                        mask = F_ZF | F_CF;
                        break;
                    case 4:
                        want = __builtin_popcountll(v);
                        wantf = v ? 0 : F_ZF;
                        mask = F_ARITH;
                        break;
                    }
                    CHECK_EQ(f & mask, wantf);
                    if (which < 2 && v == 0) {
                        printf("%s%d 0 -> zf=%d\n", names[which], bits, !!(f & F_ZF));
                        continue;
                    }
                    CHECK_EQ(r, want);
                    hash_u64(r);
                    printf("%s%d %llx -> %llu flags %03llx\n", names[which], bits, (unsigned long long)v,
                           (unsigned long long)r, (unsigned long long)(f & mask));
                }
            }
        }
    }

    /* BSWAP and the builtins */
    {
        uint64_t q = 0x0102030405060708ULL;
        uint32_t l = 0xa1b2c3d4;
        __asm__ volatile("bswapq %0" : "+r"(q));
        __asm__ volatile("bswapl %0" : "+r"(l));
        CHECK_EQ(q, 0x0807060504030201ULL);
        CHECK_EQ(l, 0xd4c3b2a1);
        printf("bswap %016llx %08x\n", (unsigned long long)q, l);
        volatile uint64_t seed = 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < 200; i++) {
            uint64_t v = seed * (uint64_t)(i + 1);
            v >>= i % 64;
            uint32_t v32 = (uint32_t)(v ^ (v >> 32));
            uint16_t v16 = (uint16_t)v32;
            int clz = v ? __builtin_clzll(v) : -1, ctz = v ? __builtin_ctzll(v) : -1;
            int clz32 = v32 ? __builtin_clz(v32) : -1, ctz32 = v32 ? __builtin_ctz(v32) : -1;
            printf("%3d %016llx clz=%d ctz=%d pop=%d par=%d | %08x clz=%d ctz=%d pop=%d | bswap %016llx %08x %04x ffs=%d\n",
                   i, (unsigned long long)v, clz, ctz, __builtin_popcountll(v), __builtin_parityll(v), v32, clz32,
                   ctz32, __builtin_popcount(v32), (unsigned long long)__builtin_bswap64(v), __builtin_bswap32(v32),
                   __builtin_bswap16(v16), __builtin_ffsll((long long)v));
            int n = 0;
            for (uint64_t t = v; t; t &= t - 1)
                n++;
            CHECK_EQ(__builtin_popcountll(v), n);
        }
    }
    return check_done("bitops");
}
