/* Shared helpers for the ox86 benchmark workloads: a deterministic PRNG and
 * the size argument. Every workload takes one optional argument (its size)
 * and prints a checksum of its results, so a wrong run is caught. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* SplitMix64: small, fast, and the same sequence on every machine. */
static inline uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* argv[1] as a positive integer, or `def` when absent. */
static inline long size_arg(int argc, char **argv, long def)
{
    if (argc < 2)
        return def;
    char *end;
    long v = strtol(argv[1], &end, 0);
    if (*end != '\0' || v <= 0) {
        fprintf(stderr, "%s: bad size `%s`\n", argv[0], argv[1]);
        exit(2);
    }
    return v;
}

#endif
