/* String instructions MOVS STOS LODS CMPS SCAS at every element size,
 * alone and with REP / REPE / REPNE, forwards and backwards (DF), with
 * RCX = 0 and larger counts. Prints checksums of memory, RSI, RDI, RCX,
 * RAX and the flags (CMPS/SCAS), and exits 0. */
#include <stdint.h>
#include <stdio.h>

#define ARITH 0x8d5u
#define GET_FLAGS "\n\tlea -128(%%rsp), %%rsp\n\tpushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"

static uint64_t hash;
static void mix(uint64_t v) {
    for (int i = 0; i < 8; i++) {
        hash ^= (v >> (8 * i)) & 0xff;
        hash *= 1099511628211ull;
    }
}

static unsigned char buf[1024];

static void fill(unsigned seed) {
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)((i * 7 + seed) % 13);
}

/* Runs one string instruction `insn` with DF from `down`; RSI/RDI are
 * offsets into buf. */
#define STR(name, insn)                                                             \
    static void name(uint64_t si, uint64_t di, uint64_t cx, uint64_t ax, int down) { \
        uint64_t f, s = (uint64_t)buf + si, d = (uint64_t)buf + di;                 \
        if (down)                                                                   \
            __asm__ volatile("std\n\t" insn GET_FLAGS "\n\tcld"                     \
                             : "+S"(s), "+D"(d), "+c"(cx), "+a"(ax), [f] "=&r"(f)   \
                             : : "cc", "memory");                                   \
        else                                                                        \
            __asm__ volatile("cld\n\t" insn GET_FLAGS                               \
                             : "+S"(s), "+D"(d), "+c"(cx), "+a"(ax), [f] "=&r"(f)   \
                             : : "cc", "memory");                                   \
        mix(s - (uint64_t)buf), mix(d - (uint64_t)buf), mix(cx), mix(ax);          \
        mix(f & ARITH);                                                             \
    }

#define SIZES(op)                                              \
    STR(op##b, #op "b") STR(op##w, #op "w") STR(op##l, #op "l") STR(op##q, #op "q") \
    STR(rep_##op##b, "rep " #op "b") STR(rep_##op##w, "rep " #op "w")               \
    STR(rep_##op##l, "rep " #op "l") STR(rep_##op##q, "rep " #op "q")
#define CSIZES(op)                                                                 \
    STR(op##b, #op "b") STR(op##w, #op "w") STR(op##l, #op "l") STR(op##q, #op "q") \
    STR(repe_##op##b, "repe " #op "b") STR(repe_##op##w, "repe " #op "w")           \
    STR(repe_##op##l, "repe " #op "l") STR(repe_##op##q, "repe " #op "q")           \
    STR(repne_##op##b, "repne " #op "b") STR(repne_##op##w, "repne " #op "w")       \
    STR(repne_##op##l, "repne " #op "l") STR(repne_##op##q, "repne " #op "q")

SIZES(movs)
SIZES(stos)
SIZES(lods)
CSIZES(cmps)
CSIZES(scas)

typedef void (*str_fn)(uint64_t, uint64_t, uint64_t, uint64_t, int);

static void run(const char *name, str_fn fns[], int n) {
    hash = 1469598103934665603ull;
    for (int k = 0; k < n; k++)
        for (int down = 0; down < 2; down++)
            for (uint64_t cx = 0; cx < 40; cx += 3)
                for (unsigned seed = 0; seed < 3; seed++) {
                    fill(seed);
                    /* Sources at 300, destinations at 700: either direction
                     * stays inside buf for 40 elements of 8 bytes. */
                    fns[k](300 + seed, 700 + 2 * seed, cx, 0x0606060606060606ull + seed, down);
                    for (unsigned i = 0; i < sizeof buf; i += 8)
                        mix(*(uint64_t *)(buf + i));
                }
    printf("%s: %016llx\n", name, (unsigned long long)hash);
}

int main(void) {
    str_fn movs[] = {movsb, movsw, movsl, movsq, rep_movsb, rep_movsw, rep_movsl, rep_movsq};
    str_fn stos[] = {stosb, stosw, stosl, stosq, rep_stosb, rep_stosw, rep_stosl, rep_stosq};
    str_fn lods[] = {lodsb, lodsw, lodsl, lodsq, rep_lodsb, rep_lodsw, rep_lodsl, rep_lodsq};
    str_fn cmps[] = {cmpsb, cmpsw, cmpsl, cmpsq, repe_cmpsb, repe_cmpsw, repe_cmpsl,
                     repe_cmpsq, repne_cmpsb, repne_cmpsw, repne_cmpsl, repne_cmpsq};
    str_fn scas[] = {scasb, scasw, scasl, scasq, repe_scasb, repe_scasw, repe_scasl,
                     repe_scasq, repne_scasb, repne_scasw, repne_scasl, repne_scasq};
    run("movs", movs, 8);
    run("stos", stos, 8);
    run("lods", lods, 8);
    run("cmps", cmps, 12);
    run("scas", scas, 12);
    /* strlen the old way: repne scasb. */
    static const char text[] = "ox86 string test";
    uint64_t cx = ~0ull, di = (uint64_t)text, ax = 0;
    __asm__ volatile("cld\n\trepne scasb" : "+c"(cx), "+D"(di), "+a"(ax) : : "cc", "memory");
    printf("repne scasb length: %llu\n", (unsigned long long)(~cx - 1));
    return 0;
}
