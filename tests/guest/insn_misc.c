/* Miscellaneous instructions: CPUID runs and reports sane structure (values differ between
 * hosts and emulators, so none is printed), RDTSC is monotonic, NOP forms, fences, PAUSE,
 * PREFETCH, ENDBR64, LEA addressing forms incl. 32-bit address size, XLAT, MOVBE-free
 * byte moves, and RIP-relative addressing. */
#include "check.h"
#include <cpuid.h>
#include <ctype.h>

static void cpuid_checks(void)
{
    unsigned a, b, c, d;
    __cpuid(0, a, b, c, d);
    unsigned max_leaf = a;
    char vendor[13];
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = 0;
    int printable = 1;
    for (int i = 0; i < 12; i++)
        printable &= isprint((unsigned char)vendor[i]) != 0;
    CHECK(max_leaf >= 1);
    CHECK(printable);
    __cpuid(1, a, b, c, d);
    unsigned family = (a >> 8) & 0xf;
    CHECK(family != 0);
    CHECK(d & (1u << 25)); /* SSE, architectural in x86-64 */
    CHECK(d & (1u << 26)); /* SSE2 */
    unsigned ext_max;
    __cpuid(0x80000000, ext_max, b, c, d);
    CHECK(ext_max >= 0x80000001);
    __cpuid(0x80000001, a, b, c, d);
    CHECK(d & (1u << 29)); /* long mode */
    if (max_leaf >= 7)
        __cpuid_count(7, 0, a, b, c, d);
    printf("cpuid: max leaf >= 1, vendor printable, SSE2 and LM present\n");
}

static void rdtsc_checks(void)
{
    uint64_t prev = __builtin_ia32_rdtsc(), backwards = 0, advanced = 0;
    for (int i = 0; i < 2000; i++) {
        unsigned lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        uint64_t now = ((uint64_t)hi << 32) | lo;
        if (now < prev)
            backwards++;
        if (now > prev)
            advanced++;
        prev = now;
    }
    CHECK_EQ(backwards, 0);
    CHECK(advanced > 0);
    printf("rdtsc: monotonic, advanced=%s\n", advanced ? "yes" : "no");
}

static void nops_and_hints(void)
{
    uint64_t x = 1;
    __asm__ volatile("nop\n\t"
                     "xchg %%ax, %%ax\n\t"
                     "nopl (%%rax)\n\t"
                     "nopl 0x0(%%rax,%%rax,1)\n\t"
                     "nopw 0x0(%%rax,%%rax,1)\n\t"
                     "nopw %%cs:0x0(%%rax,%%rax,1)\n\t"
                     ".byte 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00\n\t"
                     "pause\n\t"
                     "lfence\n\t"
                     "mfence\n\t"
                     "sfence\n\t"
                     "prefetcht0 (%[p])\n\t"
                     "prefetchnta 64(%[p])\n\t"
                     ".byte 0xf3, 0x0f, 0x1e, 0xfa\n\t" /* endbr64 */
                     "incq %[x]"
                     : [x] "+r"(x)
                     : [p] "r"(&x), "a"(0)
                     : "memory", "cc");
    CHECK_EQ(x, 2);
    printf("nops, fences and hints: x=%llu\n", (unsigned long long)x);
}

static uint64_t table[4] = { 10, 20, 30, 40 };

static void lea_forms(void)
{
    uint64_t base = 0x1000, idx = 0x30, r1, r2, r3, r4, r5, r6;
    __asm__("lea 0x10(%[b],%[i],4), %[r]" : [r] "=r"(r1) : [b] "r"(base), [i] "r"(idx));
    __asm__("lea -8(,%[i],8), %[r]" : [r] "=r"(r2) : [i] "r"(idx));
    __asm__("lea (%[b],%[i]), %k[r]" : [r] "=r"(r3) : [b] "r"(0xffffffff00000010ULL), [i] "r"(idx));
    __asm__("lea (%k[b],%k[i],2), %[r]" : [r] "=r"(r4) : [b] "r"(0x1ffffff00ULL), [i] "r"(0x100ULL));
    __asm__("lea 0x7fffffff(%[b]), %w[r]" : [r] "=r"(r5) : [b] "r"(base), "0"(0xaaaaaaaaaaaaaaaaULL));
    __asm__("lea %[t], %[r]" : [r] "=r"(r6) : [t] "m"(table[2]));
    CHECK_EQ(r1, 0x1000 + 0x30 * 4 + 0x10);
    CHECK_EQ(r2, 0x30 * 8 - 8);
    CHECK_EQ(r3, 0x40);                  /* 32-bit destination truncates */
    CHECK_EQ(r4, (0xffffff00 + 0x200) & 0xffffffffULL); /* 32-bit address size wraps */
    CHECK_EQ(r5, 0xaaaaaaaaaaaa0fffULL); /* 16-bit destination merges */
    CHECK_EQ(r6, (uint64_t)&table[2]);
    uint64_t v;
    __asm__("movq table+16(%%rip), %[v]" : [v] "=r"(v));
    CHECK_EQ(v, 30);
    printf("lea: %llx %llx %llx %llx %llx rip-relative %llu\n", (unsigned long long)r1, (unsigned long long)r2,
           (unsigned long long)r3, (unsigned long long)r4, (unsigned long long)r5, (unsigned long long)v);
}

static void xlat_and_moves(void)
{
    static const unsigned char hex[] = "0123456789abcdef";
    char out[17];
    for (int i = 0; i < 16; i++) {
        uint64_t ax = (uint64_t)(15 - i) | 0x1200;
        __asm__("xlatb" : "+a"(ax) : "b"(hex), "m"(hex));
        out[i] = (char)ax;
        CHECK_EQ(ax >> 8, 0x12);
    }
    out[16] = 0;
    CHECK(strcmp(out, "fedcba9876543210") == 0);
    uint64_t r = 0;
    __asm__("movabsq $0x123456789abcdef0, %[r]" : [r] "=r"(r));
    CHECK_EQ(r, 0x123456789abcdef0ULL);
    uint64_t m = 0;
    __asm__("movq $-2, (%[p])" : : [p] "r"(&m) : "memory");
    CHECK_EQ(m, 0xfffffffffffffffeULL);
    __asm__("movl $5, (%[p])" : : [p] "r"(&m) : "memory");
    CHECK_EQ(m, 0xffffffff00000005ULL);
    __asm__("movb $0x77, 7(%[p])" : : [p] "r"(&m) : "memory");
    CHECK_EQ(m, 0x77ffffff00000005ULL);
    printf("xlat %s movabs %llx mem %llx\n", out, (unsigned long long)r, (unsigned long long)m);
}

int main(void)
{
    cpuid_checks();
    rdtsc_checks();
    nops_and_hints();
    lea_forms();
    xlat_and_moves();
    return check_done("insn_misc");
}
