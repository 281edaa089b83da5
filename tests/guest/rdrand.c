/* RDRAND and RDSEED in 16-, 32- and 64-bit forms: CF reports a valid value
 * (retried a few times, as software must), the other arithmetic flags are
 * clear, a 16-bit destination keeps the rest of its register, and the
 * values vary. The values themselves are not printed. */
#include "check.h"

#define DRAW(insn, reg, out, cf, flags)                                                   \
    __asm__ volatile(FLAGS_IN insn " %" reg "[v]\n\tsetc %[c]" FLAGS_OUT                 \
                     : [v] "+r"(out), [c] "=r"(cf), [fout] "=r"(flags)                   \
                     : [fin] "r"((uint64_t)F_ARITH)                                      \
                     : "cc")

/* Attempts until CF is set, with a PAUSE between them, up to a bound far
 * beyond the ten Intel advises for RDRAND: RDSEED fails whenever the
 * host's entropy source is drained, which on a loaded virtual machine can
 * last for hundreds of attempts. Returns the flags of the last. */
#define RETRY(insn, reg, out, flags)                                                      \
    do {                                                                                \
        uint8_t cf_ = 0;                                                                \
        for (int i_ = 0; i_ < 1000000 && !cf_; i_++) {                                   \
            if (i_)                                                                     \
                __asm__ volatile("pause");                                              \
            DRAW(insn, reg, out, cf_, flags);                                           \
        }                                                                               \
    } while (0)

static int distinct(const uint64_t *v, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= v[j] == v[i];
        d += !seen;
    }
    return d;
}

int main(void)
{
    enum { N = 16 };
    uint64_t r[N], s[N], flags;
    for (int i = 0; i < N; i++) {
        RETRY("rdrand", "q", r[i], flags);
        CHECK_EQ(flags & F_ARITH, F_CF);
        RETRY("rdseed", "q", s[i], flags);
        CHECK_EQ(flags & F_ARITH, F_CF);
    }
    CHECK(distinct(r, N) == N);
    CHECK(distinct(s, N) == N);
    for (int i = 0; i < N; i++) {
        uint64_t v = 0x1234567800000000ULL;
        RETRY("rdrand", "k", v, flags);
        CHECK_EQ(v >> 32, 0);
        r[i] = v;
        v = 0xfedcba9876540000ULL;
        RETRY("rdseed", "w", v, flags);
        CHECK_EQ(v >> 16, 0xfedcba987654ULL);
        CHECK_EQ(flags & F_ARITH, F_CF);
    }
    CHECK(distinct(r, N) >= N - 1);
    return check_done("rdrand");
}
