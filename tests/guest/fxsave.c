/* FXSAVE/FXRSTOR (and the REX.W forms): the 512-byte image's x87 words,
 * tags, ST and XMM slots and MXCSR (with exception flags raised by SSE
 * arithmetic just before), and FXRSTOR of an edited image changing XMM
 * registers, the x87 stack and both rounding modes. FOP, FIP, FDP and
 * the bits of MXCSR_MASK above DAZ differ between processors and are not
 * looked at. */
#include "check.h"

struct fxarea {
    uint16_t fcw, fsw;
    uint8_t ftw, reserved1;
    uint16_t fop;
    uint64_t fip, fdp;
    uint32_t mxcsr, mxcsr_mask;
    uint8_t st[8][16];
    uint64_t xmm[16][2];
    uint8_t reserved2[48];
    uint8_t available[48];
} __attribute__((aligned(16)));

_Static_assert(sizeof(struct fxarea) == 512, "FXSAVE area size");

static struct fxarea area, edit;

static void fxsave64(struct fxarea *p)
{
    __asm__ volatile("fxsave64 %0" : "=m"(*p));
}

static void fxrstor64(const struct fxarea *p)
{
    __asm__ volatile("fxrstor64 %0" : : "m"(*p) : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
                     "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
                     "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
}

static void reset(void)
{
    uint32_t m = 0x1f80;
    __asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(m));
}

/* Mixes the fields the test controls into the hash: the words, MXCSR, the
 * ST slots of valid registers, and the XMM registers when `xmm` (the others
 * hold whatever the C library left there, which depends on the CPU). */
static void hash_area(const struct fxarea *p, int xmm)
{
    hash_u64(p->fcw | (uint64_t)p->fsw << 16 | (uint64_t)p->ftw << 32);
    hash_u64(p->mxcsr);
    int top = (p->fsw >> 11) & 7;
    for (int i = 0; i < 8; i++)
        if (p->ftw & (1 << ((top + i) & 7)))
            hash_bytes(p->st[i], 10);
    if (xmm)
        hash_bytes(p->xmm, sizeof p->xmm);
}

static void initial_state(void)
{
    reset();
    fxsave64(&area);
    CHECK_EQ(area.fcw, 0x37f);
    CHECK_EQ(area.fsw, 0);
    CHECK_EQ(area.ftw, 0);
    CHECK_EQ(area.mxcsr, 0x1f80);
    CHECK_EQ(area.mxcsr_mask & 0xffff, 0xffff);
    hash_area(&area, 0);
}

static void x87_stack(void)
{
    static const uint8_t pi[10] = {0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40};
    static const uint8_t one[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f};
    reset();
    memset(area.available, 0x5a, sizeof area.available);
    __asm__ volatile("fld1\n\tfldpi\n\tfxsave %0\n\tfstp %%st(0)\n\tfstp %%st(0)" : "=m"(area));
    CHECK_EQ((area.fsw >> 11) & 7, 6);
    CHECK_EQ(area.ftw, 0xc0);
    CHECK(memcmp(area.st[0], pi, 10) == 0);
    CHECK(memcmp(area.st[1], one, 10) == 0);
    /* Bytes 464..511 are left to software. */
    CHECK_EQ(area.available[0], 0x5a);
    CHECK_EQ(area.available[47], 0x5a);
    hash_area(&area, 0);
}

static void xmm_slots(void)
{
    static uint64_t v[16][2] __attribute__((aligned(16)));
    for (int i = 0; i < 16; i++) {
        v[i][0] = 0x0101010101010101ULL * (i + 1);
        v[i][1] = ~v[i][0] ^ (uint64_t)i << 60;
    }
    reset();
    __asm__ volatile("movdqa 0(%1), %%xmm0\n\tmovdqa 16(%1), %%xmm1\n\tmovdqa 32(%1), %%xmm2\n\t"
                     "movdqa 48(%1), %%xmm3\n\tmovdqa 64(%1), %%xmm4\n\tmovdqa 80(%1), %%xmm5\n\t"
                     "movdqa 96(%1), %%xmm6\n\tmovdqa 112(%1), %%xmm7\n\t"
                     "movdqa 128(%1), %%xmm8\n\tmovdqa 144(%1), %%xmm9\n\t"
                     "movdqa 160(%1), %%xmm10\n\tmovdqa 176(%1), %%xmm11\n\t"
                     "movdqa 192(%1), %%xmm12\n\tmovdqa 208(%1), %%xmm13\n\t"
                     "movdqa 224(%1), %%xmm14\n\tmovdqa 240(%1), %%xmm15\n\t"
                     "fxsave64 %0"
                     : "=m"(area)
                     : "r"(v)
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    for (int i = 0; i < 16; i++) {
        CHECK_EQ(area.xmm[i][0], v[i][0]);
        CHECK_EQ(area.xmm[i][1], v[i][1]);
    }
    hash_area(&area, 1);
}

/* Exception flags raised by SSE arithmetic reach the image, as they reach STMXCSR. */
static void mxcsr_flags(void)
{
    static volatile float one = 1.0f, zero = 0.0f, three = 3.0f;
    reset();
    float q = one / zero;
    __asm__ volatile("fxsave %0" : "=m"(area) : "x"(q));
    CHECK_EQ(area.mxcsr, 0x1f80 | 0x04);
    reset();
    q = one / three;
    __asm__ volatile("fxsave64 %0" : "=m"(area) : "x"(q));
    CHECK_EQ(area.mxcsr, 0x1f80 | 0x20);
    uint32_t m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    CHECK_EQ(m, area.mxcsr);
    hash_area(&area, 0);
}

static void restore_edited(void)
{
    static const uint8_t two[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x40};
    reset();
    fxsave64(&edit);
    /* XMM7 = a pattern; ST(0) = 2.0 with TOP = 3 (physical register 3 valid). */
    edit.xmm[7][0] = 0x1122334455667788ULL;
    edit.xmm[7][1] = 0x99aabbccddeeff00ULL;
    edit.fsw = 3 << 11;
    edit.ftw = 1 << 3;
    memcpy(edit.st[0], two, 10);
    /* Round down in both units. */
    edit.mxcsr = 0x1f80 | 0x2000;
    edit.fcw = 0x37f | 0x400;
    fxrstor64(&edit);
    uint64_t x[2];
    double st0;
    uint32_t m;
    uint16_t cw, sw;
    __asm__ volatile("movdqu %%xmm7, %0" : "=m"(x));
    __asm__ volatile("fnstsw %0\n\tfnstcw %1\n\tfstpl %2\n\tstmxcsr %3"
                     : "=m"(sw), "=m"(cw), "=m"(st0), "=m"(m));
    CHECK_EQ(x[0], 0x1122334455667788ULL);
    CHECK_EQ(x[1], 0x99aabbccddeeff00ULL);
    CHECK_EQ((sw >> 11) & 7, 3);
    CHECK_EQ(cw, 0x77f);
    CHECK(st0 == 2.0);
    CHECK_EQ(m, 0x3f80);
    /* Both rounding modes took effect: -2.5 rounds down to -3. */
    volatile double h = -2.5;
    int64_t sse, x87;
    __asm__ volatile("cvtsd2si %1, %0" : "=r"(sse) : "x"(h));
    __asm__ volatile("fldl %1\n\tfistpll %0" : "=m"(x87) : "m"(h));
    CHECK_EQ(sse, -3);
    CHECK_EQ(x87, -3);
    hash_u64((uint64_t)sse ^ (uint64_t)x87 << 8);

    /* The 32-bit-pointer form restores the same state. */
    edit.mxcsr = 0x1f80;
    edit.fcw = 0x37f;
    edit.xmm[7][0] = 42;
    __asm__ volatile("fxrstor %0" : : "m"(edit) : "xmm7", "st");
    __asm__ volatile("movdqu %%xmm7, %0\n\tstmxcsr %1" : "=m"(x), "=m"(m));
    CHECK_EQ(x[0], 42);
    CHECK_EQ(m, 0x1f80);
    reset();
}

/* A save/restore pair around code that changes everything, as a context switch would. */
static void round_trip(void)
{
    reset();
    __asm__ volatile("fldln2\n\tfldl2e" ::: "st", "st(1)");
    fxsave64(&area);
    __asm__ volatile("fninit\n\tfld1\n\tpxor %%xmm0, %%xmm0\n\tpcmpeqd %%xmm3, %%xmm3" ::: "xmm0",
                     "xmm3", "st");
    fxrstor64(&area);
    fxsave64(&edit);
    CHECK(memcmp(&area, &edit, 24) == 0);
    CHECK(memcmp(&area.mxcsr, &edit.mxcsr, 416 - 24) == 0);
    reset();
    hash_area(&edit, 0);
}

int main(void)
{
    initial_state();
    x87_stack();
    xmm_slots();
    mxcsr_flags();
    restore_edited();
    round_trip();
    return check_done("fxsave");
}
