/* BT BTS BTR BTC (immediate and register offsets; register and memory
 * bit strings, including offsets outside the addressed word), BSF BSR
 * (zero source leaves the destination), LZCNT TZCNT POPCNT, BSWAP.
 * Undefined flags are masked. Prints checksums and exits 0. */
#include <stdint.h>
#include <stdio.h>

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define ARITH (CF | PF | AF | ZF | SF | OF)

/* Reads RFLAGS into %[f], stepping over the red zone below RSP. */
#define GET_FLAGS "\n\tlea -128(%%rsp), %%rsp\n\tpushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"
/* Sets RFLAGS from %[fin]. */
#define SET_FLAGS "lea -128(%%rsp), %%rsp\n\tpushq %[fin]\n\tpopfq\n\tlea 128(%%rsp), %%rsp\n\t"

static uint64_t hash;
static void mix(uint64_t v) {
    for (int i = 0; i < 8; i++) {
        hash ^= (v >> (8 * i)) & 0xff;
        hash *= 1099511628211ull;
    }
}
static void start(void) { hash = 1469598103934665603ull; }
static void report(const char *what) { printf("%s: %016llx\n", what, (unsigned long long)hash); }

static const uint64_t values[] = {
    0, 1, 2, 0x80, 0x100, 0x8000, 0x10000, 0x80000000, 0x100000000ull, 0x8000000000000000ull,
    ~0ull, 0x0123456789abcdefull, 0xf0f0f0f00f0f0f0full, 0x0000100000000000ull, 6, 0xfff0,
};
#define NV (sizeof values / sizeof values[0])

/* Register destination, register offset: BTx r64, r64 and r32, r32. */
#define BT_RR(op)                                                                   \
    static void op##_rr(void) {                                                     \
        start();                                                                    \
        for (unsigned i = 0; i < NV; i++)                                           \
            for (uint64_t off = 0; off < 140; off += 3)                             \
                for (uint64_t fin = 2; fin <= 2 + ZF; fin += ZF) {                  \
                    uint64_t v = values[i], f;                                      \
                    __asm__ volatile(SET_FLAGS #op "q %[o], %[v]" GET_FLAGS         \
                                     : [v] "+r"(v), [f] "=&r"(f)                    \
                                     : [o] "r"(off), [fin] "r"(fin) : "cc");        \
                    mix(v), mix(f & (CF | ZF));                                     \
                    v = values[i];                                                  \
                    __asm__ volatile(SET_FLAGS #op "l %k[o], %k[v]" GET_FLAGS       \
                                     : [v] "+r"(v), [f] "=&r"(f)                    \
                                     : [o] "r"(off), [fin] "r"(fin) : "cc");        \
                    mix(v), mix(f & (CF | ZF));                                     \
                    v = values[i];                                                  \
                    __asm__ volatile(SET_FLAGS #op "w $13, %w[v]" GET_FLAGS         \
                                     : [v] "+r"(v), [f] "=&r"(f)                    \
                                     : [fin] "r"(fin) : "cc");                      \
                    mix(v), mix(f & (CF | ZF));                                     \
                }                                                                   \
        report(#op " reg");                                                         \
    }

/* Memory bit string with a signed register offset reaching outside the
 * addressed word, and an immediate offset. */
#define BT_MEM(op)                                                                  \
    static void op##_mem(void) {                                                    \
        start();                                                                    \
        uint64_t buf[8];                                                            \
        for (int64_t off = -200; off < 200; off += 7) {                             \
            for (int k = 0; k < 8; k++)                                             \
                buf[k] = values[(k + off + 256) % NV];                              \
            uint64_t f, *p = &buf[4];                                               \
            __asm__ volatile(#op "q %[o], (%[p])" GET_FLAGS                         \
                             : [f] "=&r"(f) : [o] "r"(off), [p] "r"(p) : "cc", "memory"); \
            mix(f & CF);                                                            \
            __asm__ volatile(#op "l %k[o], (%[p])" GET_FLAGS                        \
                             : [f] "=&r"(f) : [o] "r"(off), [p] "r"(p) : "cc", "memory"); \
            mix(f & CF);                                                            \
            __asm__ volatile(#op "w %w[o], (%[p])" GET_FLAGS                        \
                             : [f] "=&r"(f) : [o] "r"(off), [p] "r"(p) : "cc", "memory"); \
            mix(f & CF);                                                            \
            __asm__ volatile(#op "l $37, (%[p])" GET_FLAGS                          \
                             : [f] "=&r"(f) : [p] "r"(p) : "cc", "memory");         \
            mix(f & CF);                                                            \
            for (int k = 0; k < 8; k++)                                             \
                mix(buf[k]);                                                        \
        }                                                                           \
        report(#op " mem");                                                         \
    }

BT_RR(bt) BT_RR(bts) BT_RR(btr) BT_RR(btc)
BT_MEM(bt) BT_MEM(bts) BT_MEM(btr) BT_MEM(btc)

/* Scans and counts: dst starts as a marker (BSF/BSR keep it for a zero source). */
#define SCAN(op, mask)                                                              \
    static void op##_all(void) {                                                    \
        start();                                                                    \
        for (unsigned i = 0; i < NV; i++)                                           \
            for (int sh = 0; sh < 64; sh += 5) {                                    \
                uint64_t s = values[i] << sh, d, f;                                 \
                d = 0x1111222233334444ull;                                          \
                __asm__ volatile(#op "q %[s], %[d]" GET_FLAGS                       \
                                 : [d] "+r"(d), [f] "=&r"(f) : [s] "r"(s) : "cc");  \
                mix(d), mix(f & (mask));                                            \
                d = 0x1111222233334444ull;                                          \
                __asm__ volatile(#op "l %k[s], %k[d]" GET_FLAGS                     \
                                 : [d] "+r"(d), [f] "=&r"(f) : [s] "r"(s) : "cc");  \
                /* Bits 63:32 after a 32-bit BSF/BSR of 0 differ by vendor. */      \
                mix(d & 0xffffffff), mix(f & (mask));                               \
                d = 0x1111222233334444ull;                                          \
                __asm__ volatile(#op "w %w[s], %w[d]" GET_FLAGS                     \
                                 : [d] "+r"(d), [f] "=&r"(f) : [s] "r"(s) : "cc");  \
                mix(d), mix(f & (mask));                                            \
                d = 0x1111222233334444ull;                                          \
                __asm__ volatile(#op "q (%[p]), %[d]" GET_FLAGS                     \
                                 : [d] "+r"(d), [f] "=&r"(f) : [p] "r"(&s)          \
                                 : "cc", "memory");                                 \
                mix(d), mix(f & (mask));                                            \
            }                                                                       \
        report(#op);                                                                \
    }

SCAN(bsf, ZF)
SCAN(bsr, ZF)
SCAN(lzcnt, CF | ZF)
SCAN(tzcnt, CF | ZF)
SCAN(popcnt, ARITH)

static void bswap_all(void) {
    start();
    for (unsigned i = 0; i < NV; i++) {
        uint64_t q = values[i], d = values[i];
        __asm__("bswapq %0" : "+r"(q));
        __asm__("bswapl %k0" : "+r"(d));
        mix(q), mix(d);
    }
    report("bswap");
}

int main(void) {
    bt_rr(), bts_rr(), btr_rr(), btc_rr();
    bt_mem(), bts_mem(), btr_mem(), btc_mem();
    bsf_all(), bsr_all(), lzcnt_all(), tzcnt_all(), popcnt_all();
    bswap_all();
    uint64_t d = 7, s = 0;
    __asm__("bsfq %1, %0" : "+r"(d) : "r"(s) : "cc");
    printf("bsf of 0 keeps the destination: %llu\n", (unsigned long long)d);
    return 0;
}
