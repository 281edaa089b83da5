/* CPUID, RDTSC, LAHF/SAHF: checks that what CPUID reports is consistent
 * and true (every advertised instruction that this program knows works),
 * whatever CPU runs it, so the output is the same natively and under
 * ox86. Prints "cpuid: consistent" and exits 0, or names the failure and
 * exits 1. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static int failures;
static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

static int printable(const char *s, int n) {
    for (int i = 0; i < n && s[i]; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return 0;
    return 1;
}

int main(void) {
    uint32_t r[4], l1[4], e1[4];
    char vendor[13];
    cpuid(0, 0, r);
    uint32_t max = r[0];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    check(max >= 1, "basic leaves");
    check(printable(vendor, 12) && strlen(vendor) == 12, "vendor string");
    int intel = strcmp(vendor, "GenuineIntel") == 0;

    cpuid(1, 0, l1);
    uint32_t need = 1u << 0 | 1u << 4 | 1u << 8 | 1u << 15 | 1u << 25 | 1u << 26;
    check((l1[3] & need) == need, "leaf 1 EDX: FPU TSC CX8 CMOV SSE SSE2");
    uint32_t family = (l1[0] >> 8) & 0xf;
    check(family != 0, "family");

    cpuid(0x80000000, 0, r);
    uint32_t ext = r[0];
    check(ext >= 0x80000004, "extended leaves up to the brand string");
    char brand[49] = {0};
    for (uint32_t i = 0; i < 3; i++) {
        cpuid(0x80000002 + i, 0, r);
        memcpy(brand + 16 * i, r, 16);
    }
    check(brand[0] != 0 && printable(brand, 48), "brand string");
    cpuid(0x80000001, 0, e1);
    check((e1[3] & (1u << 29)) && (e1[3] & (1u << 11)), "LM and SYSCALL");

    if (l1[2] & (1u << 23)) {
        uint64_t v = 0xff00ff00ff, n;
        __asm__("popcnt %1, %0" : "=r"(n) : "r"(v) : "cc");
        check(n == 24, "popcnt");
    }
    if (e1[2] & (1u << 5)) {
        uint64_t v = 1, n;
        __asm__("lzcnt %1, %0" : "=r"(n) : "r"(v) : "cc");
        check(n == 63, "lzcnt (not executed as bsr)");
    }
    if (l1[2] & (1u << 13)) {
        static uint64_t m[2] __attribute__((aligned(16))) = {1, 2};
        uint64_t a = 1, d = 2;
        __asm__ volatile("lock cmpxchg16b (%2)" : "+a"(a), "+d"(d)
                         : "r"(m), "b"(3ull), "c"(4ull) : "cc", "memory");
        check(m[0] == 3 && m[1] == 4, "cmpxchg16b");
    }
    if (l1[3] & (1u << 23)) {
        uint64_t a = 0x0102030405060708ull, b = 0x1010101010101010ull, r;
        __asm__("movq %1, %%mm0\n\tmovq %2, %%mm1\n\tpaddb %%mm1, %%mm0\n\tmovq %%mm0, %0\n\temms"
                : "=r"(r) : "r"(a), "r"(b) : "mm0", "mm1");
        check(r == 0x1112131415161718ull, "mmx (paddb)");
    }
    if (l1[3] & (1u << 24)) {
        static uint8_t area[512] __attribute__((aligned(16)));
        uint16_t cw;
        __asm__ volatile("fxsave %0\n\tfnstcw %1" : "=m"(area), "=m"(cw));
        check(area[0] == (cw & 0xff) && area[1] == cw >> 8, "fxsr (fxsave)");
    }
    static volatile uint64_t line = 42;
    if (l1[3] & (1u << 19)) {
        __asm__ volatile("clflush %0" : : "m"(line));
        check(line == 42 && ((l1[1] >> 8) & 0xff) != 0, "clflush");
    }
    if (l1[2] & (1u << 22)) {
        uint32_t v = 0x11223344, n;
        __asm__("movbe %1, %0" : "=r"(n) : "m"(v));
        check(n == 0x44332211, "movbe");
    }
    if (l1[2] & (1u << 25)) {
        /* AESIMC of a column of ones: InvMixColumns maps {1,1,1,1} to itself. */
        uint32_t v[4] __attribute__((aligned(16))) = {0x01010101, 0, 0, 0}, w[4];
        __asm__("movdqa %1, %%xmm0\n\taesimc %%xmm0, %%xmm0\n\tmovdqu %%xmm0, %0"
                : "=m"(w) : "m"(v) : "xmm0");
        check(w[0] == 0x01010101 && w[1] == 0, "aes (aesimc)");
    }
    if (l1[2] & (1u << 1)) {
        uint64_t v[2] __attribute__((aligned(16))) = {3, 0}, w[2];
        __asm__("movdqa %1, %%xmm0\n\tpclmulqdq $0, %%xmm0, %%xmm0\n\tmovdqu %%xmm0, %0"
                : "=m"(w) : "m"(v) : "xmm0");
        check(w[0] == 5 && w[1] == 0, "pclmulqdq");
    }
    if (l1[2] & (1u << 30)) {
        uint64_t v;
        uint8_t ok = 0;
        for (int i = 0; i < 10 && !ok; i++)
            __asm__ volatile("rdrand %0\n\tsetc %1" : "=r"(v), "=r"(ok) : : "cc");
        check(ok, "rdrand");
    }
    uint32_t l7[4] = {0};
    if (max >= 7)
        cpuid(7, 0, l7);
    if (l7[1] & (1u << 3)) {
        uint64_t n, v = 0xf0;
        __asm__("blsr %1, %0" : "=r"(n) : "r"(v) : "cc");
        check(n == 0xe0, "bmi1 (blsr)");
    }
    if (l7[1] & (1u << 8)) {
        uint64_t n, v = 0x1234, m = 0xff0;
        __asm__("pext %2, %1, %0" : "=r"(n) : "r"(v), "r"(m));
        check(n == 0x23, "bmi2 (pext)");
    }
    if (l7[1] & (1u << 18)) {
        uint64_t v;
        uint8_t ok = 0;
        for (int i = 0; i < 100 && !ok; i++)
            __asm__ volatile("rdseed %0\n\tsetc %1" : "=r"(v), "=r"(ok) : : "cc");
        check(ok, "rdseed");
    }
    if (l7[1] & (1u << 23)) {
        __asm__ volatile("clflushopt %0" : : "m"(line));
        check(line == 42, "clflushopt");
    }
    if (l7[1] & (1u << 24)) {
        __asm__ volatile("clwb %0" : : "m"(line));
        check(line == 42, "clwb");
    }
    if (l7[1] & (1u << 29)) {
        /* SHA1MSG1 of a value with itself: each result dword is W(i+2) ^ W(i). */
        uint32_t v[4] __attribute__((aligned(16))) = {1, 2, 4, 8}, r[4];
        __asm__("movdqa %1, %%xmm0\n\tsha1msg1 %%xmm0, %%xmm0\n\tmovdqu %%xmm0, %0"
                : "=m"(r) : "m"(v) : "xmm0");
        check(r[3] == (8 ^ 2) && r[2] == (4 ^ 1) && r[1] == (2 ^ 8) && r[0] == (1 ^ 4), "sha (sha1msg1)");
    }
    if (e1[2] & (1u << 8)) {
        __asm__ volatile("prefetchw %0" : : "m"(line));
        check(line == 42, "prefetchw");
    }
    if (e1[3] & (1u << 27)) {
        uint32_t lo, hi, aux, lo2, hi2;
        __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
        __asm__ volatile("rdtscp" : "=a"(lo2), "=d"(hi2), "=c"(aux));
        check(((uint64_t)hi2 << 32 | lo2) > ((uint64_t)hi << 32 | lo), "rdtscp counts up");
    }
    if (l7[1] & (1u << 19)) {
        uint64_t a = ~0ull, b = 1, c = 0;
        __asm__("stc\n\tadcx %2, %0\n\tadcx %3, %1" : "+r"(a), "+r"(c) : "r"(b), "r"(0ull) : "cc");
        check(a == 1 && c == 1, "adx (adcx)");
    }
    if (e1[2] & 1u) {
        /* LAHF then SAHF with flipped bits round-trips SF ZF AF PF CF. */
        uint64_t ax = 0, f;
        __asm__ volatile("xor %%eax, %%eax\n\tstc\n\tlahf\n\txor $0xd5, %%ah\n\tsahf\n\t"
                         "lahf\n\tmovzbl %%ah, %k1"
                         : "+a"(ax), "=r"(f) : : "cc");
        check((f & 0xd5) == ((0x47 ^ 0xd5) & 0xd5), "lahf/sahf");
    }
    if (intel && max >= 4) {
        /* Deterministic cache parameters: levels 1..3, sizes nonzero. */
        int l1d = 0;
        for (uint32_t i = 0; i < 16; i++) {
            cpuid(4, i, r);
            uint32_t type = r[0] & 0x1f, level = (r[0] >> 5) & 7;
            if (type == 0)
                break;
            uint64_t size = (uint64_t)((r[1] >> 22) + 1) * (((r[1] >> 12) & 0x3ff) + 1) *
                            ((r[1] & 0xfff) + 1) * (r[2] + 1);
            check(level >= 1 && level <= 4 && size >= 1024, "leaf 4 cache descriptor");
            l1d |= level == 1 && type == 1;
        }
        check(l1d, "leaf 4 lists an L1 data cache");
    }
    uint32_t lo, hi, lo2, hi2;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    __asm__ volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
    check(((uint64_t)hi2 << 32 | lo2) > ((uint64_t)hi << 32 | lo), "rdtsc counts up");

    if (failures)
        return 1;
    printf("cpuid: consistent\n");
    return 0;
}
