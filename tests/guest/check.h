/* Shared by the ox86 guest tests: self-check macros and an output hash.
 * Every check that fails prints a FAIL line; check_done() reports and gives the exit status. */
#ifndef OX86_CHECK_H
#define OX86_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __FILE_NAME__
#define CHECK_FILE __FILE_NAME__
#else
#define CHECK_FILE __FILE__
#endif

static int check_failures;
static unsigned long check_count;
static uint64_t check_hash = 0xcbf29ce484222325ULL;

#define CHECK(cond)                                                          \
    do {                                                                     \
        check_count++;                                                       \
        if (!(cond)) {                                                       \
            printf("FAIL %s:%d: %s\n", CHECK_FILE, __LINE__, #cond);          \
            check_failures++;                                                \
        }                                                                    \
    } while (0)

#define CHECK_EQ(got, want)                                                  \
    do {                                                                     \
        unsigned long long g_ = (unsigned long long)(got);                   \
        unsigned long long w_ = (unsigned long long)(want);                  \
        check_count++;                                                       \
        if (g_ != w_) {                                                      \
            printf("FAIL %s:%d: %s == %#llx, want %#llx\n", CHECK_FILE,        \
                   __LINE__, #got, g_, w_);                                  \
            check_failures++;                                                \
        }                                                                    \
    } while (0)

/* Mixes a value into the running FNV-1a hash printed by check_done(). */
static inline __attribute__((unused)) void hash_u64(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        check_hash ^= (v >> (8 * i)) & 0xff;
        check_hash *= 0x100000001b3ULL;
    }
}

static inline __attribute__((unused)) void hash_bytes(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        check_hash ^= c[i];
        check_hash *= 0x100000001b3ULL;
    }
}

/* Prints the summary line and returns the exit status for main(). */
static inline __attribute__((unused)) int check_done(const char *name)
{
    printf("%s: %lu checks, %d failures, hash %016llx\n", name, check_count,
           check_failures, (unsigned long long)check_hash);
    return check_failures ? 1 : 0;
}

/* A small deterministic pseudo-random generator (64-bit LCG, high bits out). */
static uint64_t lcg_state = 0x853c49e6748fea9bULL;
static inline __attribute__((unused)) uint32_t lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(lcg_state >> 33);
}

/* EFLAGS bits (Intel SDM vol. 1, 3.4.3). */
#define F_CF 0x0001u
#define F_PF 0x0004u
#define F_AF 0x0010u
#define F_ZF 0x0040u
#define F_SF 0x0080u
#define F_DF 0x0400u
#define F_OF 0x0800u
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* SF, ZF and PF of a result of `bits` bits. */
static inline __attribute__((unused)) uint64_t flags_szp(int bits, uint64_t r)
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

/* The arithmetic flags of CMP/SUB a - b at `bits` bits (operands already truncated). */
static inline __attribute__((unused)) uint64_t flags_sub(int bits, uint64_t a, uint64_t b)
{
    uint64_t m = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    uint64_t r = (a - b) & m, f = flags_szp(bits, r);
    if (b > a)
        f |= F_CF;
    if ((((a ^ b) & (a ^ r)) >> (bits - 1)) & 1)
        f |= F_OF;
    f |= (a ^ b ^ r) & F_AF;
    return f;
}

/* Inline-asm brackets that load EFLAGS from %[fin] and store the result to %[fout].
 * They step over the red zone, so operands must be registers, not memory. */
#define FLAGS_IN "lea -128(%%rsp), %%rsp\n\tpushq %[fin]\n\tpopfq\n\t"
#define FLAGS_OUT "\n\tpushfq\n\tpopq %[fout]\n\tlea 128(%%rsp), %%rsp"

#endif
