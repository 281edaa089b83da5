/* String instructions MOVS STOS LODS CMPS SCAS at every element size, alone and with REP,
 * REPE and REPNE, with DF clear and set: memory, RSI/RDI/RCX/RAX and compare flags are
 * checked against a C model. Also overlapping forward copies (element by element). */
#include "check.h"

struct regs {
    uint64_t si, di, cx, ax, flags;
};

#define DEF_STR(fname, insn)                                                                   \
    static void fname(struct regs *r, int df)                                                  \
    {                                                                                          \
        uint64_t si = r->si, di = r->di, cx = r->cx, ax = r->ax, f, fin = r->flags;            \
        if (df)                                                                                \
            __asm__ volatile(FLAGS_IN "std\n\t" insn FLAGS_OUT "\n\tcld"                       \
                             : "+S"(si), "+D"(di), "+c"(cx), "+a"(ax), [fout] "=&r"(f)         \
                             : [fin] "r"(fin)                                                  \
                             : "cc", "memory");                                                \
        else                                                                                   \
            __asm__ volatile(FLAGS_IN insn FLAGS_OUT                                           \
                             : "+S"(si), "+D"(di), "+c"(cx), "+a"(ax), [fout] "=&r"(f)         \
                             : [fin] "r"(fin)                                                  \
                             : "cc", "memory");                                                \
        r->si = si;                                                                            \
        r->di = di;                                                                            \
        r->cx = cx;                                                                            \
        r->ax = ax;                                                                            \
        r->flags = f;                                                                          \
    }

#define DEF_SIZES(op, pre, name)                                                               \
    DEF_STR(name##b, pre #op "b") DEF_STR(name##w, pre #op "w") DEF_STR(name##l, pre #op "l")  \
    DEF_STR(name##q, pre #op "q")

DEF_SIZES(movs, "", movs)
DEF_SIZES(movs, "rep ", rep_movs)
DEF_SIZES(stos, "", stos)
DEF_SIZES(stos, "rep ", rep_stos)
DEF_SIZES(lods, "", lods)
DEF_SIZES(lods, "rep ", rep_lods)
DEF_SIZES(cmps, "", cmps)
DEF_SIZES(cmps, "repe ", repe_cmps)
DEF_SIZES(cmps, "repne ", repne_cmps)
DEF_SIZES(scas, "", scas)
DEF_SIZES(scas, "repe ", repe_scas)
DEF_SIZES(scas, "repne ", repne_scas)

enum op { MOVS, STOS, LODS, CMPS, SCAS };
enum rep { NONE, REP, REPE, REPNE };

struct variant {
    const char *name;
    enum op op;
    enum rep rep;
    void (*fn[4])(struct regs *, int);
};

#define V(n, o, rp) { #n, o, rp, { n##b, n##w, n##l, n##q } }
static const struct variant variants[] = {
    V(movs, MOVS, NONE),  V(rep_movs, MOVS, REP),     V(stos, STOS, NONE),
    V(rep_stos, STOS, REP), V(lods, LODS, NONE),      V(rep_lods, LODS, REP),
    V(cmps, CMPS, NONE),  V(repe_cmps, CMPS, REPE),   V(repne_cmps, CMPS, REPNE),
    V(scas, SCAS, NONE),  V(repe_scas, SCAS, REPE),   V(repne_scas, SCAS, REPNE),
};

static uint64_t load(const uint8_t *p, int size)
{
    uint64_t v = 0;
    memcpy(&v, p, size);
    return v;
}

static void store(uint8_t *p, int size, uint64_t v)
{
    memcpy(p, &v, size);
}

/* The SDM's string-instruction loop, on the model's copy of memory. */
static void model(const struct variant *v, int size, int df, struct regs *r, uint8_t *mem, uint8_t *base)
{
    int bits = size * 8;
    uint64_t m = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    int64_t step = df ? -size : size;
    for (;;) {
        if (v->rep != NONE && r->cx == 0)
            break;
        uint8_t *si = mem + (r->si - (uint64_t)base), *di = mem + (r->di - (uint64_t)base);
        switch (v->op) {
        case MOVS:
            store(di, size, load(si, size));
            break;
        case STOS:
            store(di, size, r->ax & m);
            break;
        case LODS:
            r->ax = size == 4 ? load(si, 4) : (r->ax & ~m) | load(si, size);
            break;
        case CMPS:
            r->flags = (r->flags & ~(uint64_t)F_ARITH) | flags_sub(bits, load(si, size), load(di, size));
            break;
        case SCAS:
            r->flags = (r->flags & ~(uint64_t)F_ARITH) | flags_sub(bits, r->ax & m, load(di, size));
            break;
        }
        if (v->op == MOVS || v->op == LODS || v->op == CMPS)
            r->si += step;
        if (v->op != LODS)
            r->di += step;
        if (v->rep == NONE)
            break;
        r->cx--;
        if (v->rep == REPE && !(r->flags & F_ZF))
            break;
        if (v->rep == REPNE && (r->flags & F_ZF))
            break;
    }
}

#define BUF 2048
static uint8_t area[BUF], shadow[BUF];

int main(void)
{
    static const uint64_t counts[] = { 0, 1, 2, 5, 16, 33 };
    for (unsigned vi = 0; vi < sizeof(variants) / sizeof(variants[0]); vi++) {
        const struct variant *v = &variants[vi];
        for (int si = 0; si < 4; si++) {
            int size = 1 << si;
            for (int df = 0; df < 2; df++) {
                for (unsigned ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
                    if (v->rep == NONE && ci > 1)
                        continue;
                    for (int stop = 0; stop < 2; stop++) {
                        /* source at 512, destination at 1536; 'stop' plants a difference at
                         * element 3 for the compare instructions */
                        for (int i = 0; i < BUF; i++)
                            area[i] = (uint8_t)(i < BUF / 2 ? i * 7 + 3 : (i - BUF / 2) * 7 + 3);
                        uint64_t ax = 0x0303030303030303ULL;
                        if (v->op == SCAS)
                            ax = load(area + 1536, size) | (0xabcdef0000000000ULL & ~(size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1));
                        if (v->op == SCAS) {
                            /* make the scanned elements all equal to the accumulator */
                            for (int e = -40; e < 40; e++)
                                store(area + 1536 + e * size, size, ax);
                        }
                        if (stop) {
                            int64_t at = 1536 + (df ? -3 : 3) * size;
                            area[at] ^= 0x40;
                        }
                        memcpy(shadow, area, BUF);
                        struct regs got = {
                            (uint64_t)(area + 512), (uint64_t)(area + 1536), counts[ci], ax, 0x2 | (stop ? F_CF | F_ZF : F_OF)
                        };
                        struct regs want = got;
                        want.si = (uint64_t)area + 512;
                        want.di = (uint64_t)area + 1536;
                        v->fn[si](&got, df);
                        model(v, size, df, &want, shadow, area);
                        CHECK(memcmp(area, shadow, BUF) == 0);
                        CHECK_EQ(got.si - (uint64_t)area, want.si - (uint64_t)area);
                        CHECK_EQ(got.di - (uint64_t)area, want.di - (uint64_t)area);
                        CHECK_EQ(got.cx, want.cx);
                        CHECK_EQ(got.ax, want.ax);
                        CHECK_EQ(got.flags & F_ARITH, want.flags & F_ARITH);
                        CHECK_EQ(got.flags & F_DF, df ? F_DF : 0); /* PUSHF sees DF */
                        hash_bytes(area, BUF);
                        printf("%s%c df=%d n=%llu stop=%d: si%+lld di%+lld cx=%llu ax=%llx fl=%03llx\n", v->name,
                               "bwlq"[si], df, (unsigned long long)counts[ci], stop,
                               (long long)(got.si - (uint64_t)area - 512), (long long)(got.di - (uint64_t)area - 1536),
                               (unsigned long long)got.cx, (unsigned long long)got.ax,
                               (unsigned long long)(got.flags & F_ARITH));
                    }
                }
            }
        }
    }

    /* Overlapping forward copies replicate the pattern element by element. */
    {
        uint8_t b[64];
        for (int i = 0; i < 64; i++)
            b[i] = (uint8_t)i;
        uint64_t s = (uint64_t)b, d = (uint64_t)(b + 1), c = 40;
        __asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
        for (int i = 1; i <= 40; i++)
            CHECK_EQ(b[i], 0);
        CHECK_EQ(b[41], 41);
        for (int i = 0; i < 64; i++)
            b[i] = (uint8_t)i;
        s = (uint64_t)b;
        d = (uint64_t)(b + 8);
        c = 6;
        __asm__ volatile("rep movsq" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
        for (int i = 8; i < 56; i++)
            CHECK_EQ(b[i], i % 8);
        hash_bytes(b, sizeof b);
        printf("overlapping rep movs: %d %d %d %d\n", b[8], b[15], b[55], b[56]);

        /* REP STOSB filling a larger region, then REPNE SCASB as strlen */
        static char big[5000];
        uint64_t di = (uint64_t)big, cx = sizeof big - 1, ax = 'z';
        __asm__ volatile("rep stosb" : "+D"(di), "+c"(cx) : "a"(ax) : "memory");
        di = (uint64_t)big;
        cx = ~0ULL;
        ax = 0;
        __asm__ volatile("repne scasb" : "+D"(di), "+c"(cx) : "a"(ax) : "cc", "memory");
        CHECK_EQ(~cx - 1, sizeof big - 1);
        printf("repne scasb strlen = %llu\n", (unsigned long long)(~cx - 1));
    }
    return check_done("rep_string");
}
