/* Sieve of Eratosthenes over a byte array: byte stores with strided
 * inner loops, then a counting pass. Size: the sieve limit. */
#include "common.h"
#include <string.h>

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 30000000);
    unsigned char *composite = calloc(n + 1, 1);
    if (!composite)
        return 1;
    for (long i = 2; i * i <= n; i++)
        if (!composite[i])
            for (long j = i * i; j <= n; j += i)
                composite[j] = 1;
    long count = 0;
    uint64_t sum = 0, mix = 0;
    for (long i = 2; i <= n; i++)
        if (!composite[i]) {
            count++;
            sum += (uint64_t)i;
            mix = (mix ^ (uint64_t)i) * 0x100000001b3ULL;
        }
    printf("sieve n=%ld primes=%ld sum=%llu mix=%016llx\n", n, count,
           (unsigned long long)sum, (unsigned long long)mix);
    free(composite);
    return 0;
}
