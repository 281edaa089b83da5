/* MUL, IMUL (one, two and three operands) and DIV, IDIV at every width,
 * register and memory operands; CF/OF checked for MUL/IMUL (the other
 * flags are undefined), no flags for DIV. Quotients are kept in range
 * (a #DE test lives in muldiv_de.c). Prints checksums and exits 0. */
#include <stdint.h>
#include <stdio.h>

#define CF 0x001u
#define OF 0x800u

/* Reads RFLAGS into %[f], stepping over the red zone below RSP. */
#define GET_FLAGS "\n\tlea -128(%%rsp), %%rsp\n\tpushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"

static uint64_t hash;
static void mix(uint64_t v) {
    for (int i = 0; i < 8; i++) {
        hash ^= (v >> (8 * i)) & 0xff;
        hash *= 1099511628211ull;
    }
}

static const uint64_t values[] = {
    0, 1, 2, 3, 7, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
    0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull,
    0x0123456789abcdefull, 0xfedcba9876543210ull, 0xfffffffffffffff9ull, 12345,
};
#define NV (sizeof values / sizeof values[0])

/* One-operand forms: rdx:rax = rax * src; returns flags, rax, rdx. */
#define ONE_OP(name, insn, mod)                                                   \
    static uint64_t name(uint64_t *a, uint64_t *d, uint64_t s) {                  \
        uint64_t f, ra = *a, rd = *d;                                             \
        __asm__ volatile(insn " %" mod "[s]" GET_FLAGS               \
                         : "+a"(ra), "+d"(rd), [f] "=&r"(f)                       \
                         : [s] "q"(s)                                             \
                         : "cc");                                                 \
        *a = ra;                                                                  \
        *d = rd;                                                                  \
        return f;                                                                 \
    }
ONE_OP(mul8, "mulb", "b")
ONE_OP(mul16, "mulw", "w")
ONE_OP(mul32, "mull", "k")
ONE_OP(mul64, "mulq", "q")
ONE_OP(imul8, "imulb", "b")
ONE_OP(imul16, "imulw", "w")
ONE_OP(imul32, "imull", "k")
ONE_OP(imul64, "imulq", "q")
ONE_OP(div8, "divb", "b")
ONE_OP(div16, "divw", "w")
ONE_OP(div32, "divl", "k")
ONE_OP(div64, "divq", "q")
ONE_OP(idiv8, "idivb", "b")
ONE_OP(idiv16, "idivw", "w")
ONE_OP(idiv32, "idivl", "k")
ONE_OP(idiv64, "idivq", "q")

typedef uint64_t (*one_fn)(uint64_t *, uint64_t *, uint64_t);

static void run_mul(const char *name, one_fn fns[4]) {
    for (int w = 0; w < 4; w++) {
        hash = 1469598103934665603ull;
        for (unsigned i = 0; i < NV; i++)
            for (unsigned j = 0; j < NV; j++) {
                uint64_t a = values[i], d = values[j] ^ 0x5a5a, f = fns[w](&a, &d, values[j]);
                mix(a);
                mix(d);
                mix(f & (CF | OF));
            }
        printf("%s%d: %016llx\n", name, 8 << w, (unsigned long long)hash);
    }
}

static int fits(int w, int sign, uint64_t hi, uint64_t lo, uint64_t s) {
    int bits = 8 << w;
    uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
    s &= m;
    if (s == 0)
        return 0;
    if (!sign) {
        unsigned __int128 n = ((unsigned __int128)(hi & m) << bits) | (lo & m);
        return n / s <= m;
    }
    __int128 n = (__int128)(((unsigned __int128)(hi & m) << bits) | (lo & m));
    n = (n << (128 - 2 * bits)) >> (128 - 2 * bits);
    __int128 sd = (__int128)((int64_t)(s << (64 - bits)) >> (64 - bits));
    if (sd == -1 && n == (__int128)(((unsigned __int128)1) << 127))
        return 0;
    __int128 q = n / sd, lim = ((__int128)1) << (bits - 1);
    return q >= -lim && q < lim;
}

static void run_div(const char *name, int sign, one_fn fns[4]) {
    for (int w = 0; w < 4; w++) {
        hash = 1469598103934665603ull;
        unsigned count = 0;
        for (unsigned i = 0; i < NV; i++)
            for (unsigned j = 0; j < NV; j++)
                for (unsigned k = 0; k < NV; k += 4) {
                    uint64_t a = values[i], d = values[k], s = values[j];
                    uint64_t hi = w == 0 ? (a >> 8) : d;
                    if (!fits(w, sign, hi, a, s))
                        continue;
                    fns[w](&a, &d, s);
                    mix(a);
                    mix(d);
                    count++;
                }
        printf("%s%d: %u divisions, %016llx\n", name, 8 << w, count, (unsigned long long)hash);
    }
}

/* Two- and three-operand IMUL, register and memory sources. */
static void run_imul_n(void) {
    hash = 1469598103934665603ull;
    for (unsigned i = 0; i < NV; i++)
        for (unsigned j = 0; j < NV; j++) {
            uint64_t r, f, m = values[j];
            r = values[i];
            __asm__ volatile("imulq %[s], %[r]" GET_FLAGS
                             : [r] "+r"(r), [f] "=&r"(f) : [s] "r"(values[j]) : "cc");
            mix(r), mix(f & (CF | OF));
            r = values[i];
            __asm__ volatile("imull (%[p]), %k[r]" GET_FLAGS
                             : [r] "+r"(r), [f] "=&r"(f) : [p] "r"(&m) : "cc", "memory");
            mix(r), mix(f & (CF | OF));
            r = values[i];
            __asm__ volatile("imulw %w[s], %w[r]" GET_FLAGS
                             : [r] "+r"(r), [f] "=&r"(f) : [s] "r"(values[j]) : "cc");
            mix(r), mix(f & (CF | OF));
            __asm__ volatile("imulq $-3, %[s], %[r]" GET_FLAGS
                             : [r] "=&r"(r), [f] "=&r"(f) : [s] "r"(values[j]) : "cc");
            mix(r), mix(f & (CF | OF));
            __asm__ volatile("imull $100000, (%[p]), %k[r]" GET_FLAGS
                             : [r] "=&r"(r), [f] "=&r"(f) : [p] "r"(&m) : "cc", "memory");
            mix(r), mix(f & (CF | OF));
            __asm__ volatile("imulw $0x7fff, %w[s], %w[r]" GET_FLAGS
                             : [r] "=&r"(r), [f] "=&r"(f) : [s] "r"(values[j]) : "cc");
            mix(r & 0xffff), mix(f & (CF | OF));
        }
    printf("imul r, r/m[, imm]: %016llx\n", (unsigned long long)hash);
}

int main(void) {
    one_fn mul[4] = {mul8, mul16, mul32, mul64}, imul[4] = {imul8, imul16, imul32, imul64};
    one_fn div[4] = {div8, div16, div32, div64}, idiv[4] = {idiv8, idiv16, idiv32, idiv64};
    run_mul("mul", mul);
    run_mul("imul", imul);
    run_div("div", 0, div);
    run_div("idiv", 1, idiv);
    run_imul_n();
    uint64_t a = 1000, d = 0;
    div64(&a, &d, 7);
    printf("1000 / 7 = %llu rem %llu\n", (unsigned long long)a, (unsigned long long)d);
    a = (uint64_t)-1000, d = ~0ull;
    idiv64(&a, &d, 7);
    printf("-1000 / 7 = %lld rem %lld\n", (long long)a, (long long)d);
    return 0;
}
