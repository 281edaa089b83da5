/* Integer matrix multiply, C = A * B on n x n uint32 matrices (i-k-j
 * order), wrapping arithmetic. Size: n. */
#include "common.h"

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 320);
    uint32_t *a = malloc(n * n * sizeof *a);
    uint32_t *b = malloc(n * n * sizeof *b);
    uint32_t *c = calloc(n * n, sizeof *c);
    if (!a || !b || !c)
        return 1;
    uint64_t s = 42;
    for (long i = 0; i < n * n; i++) {
        a[i] = (uint32_t)splitmix64(&s) & 0xffff;
        b[i] = (uint32_t)splitmix64(&s) & 0xffff;
    }
    for (long i = 0; i < n; i++)
        for (long k = 0; k < n; k++) {
            uint32_t aik = a[i * n + k];
            for (long j = 0; j < n; j++)
                c[i * n + j] += aik * b[k * n + j];
        }
    uint64_t sum = 0, mix = 0;
    for (long i = 0; i < n * n; i++) {
        sum += c[i];
        mix = (mix ^ c[i]) * 0x100000001b3ULL;
    }
    printf("matmul n=%ld sum=%llu mix=%016llx trace0=%u\n", n,
           (unsigned long long)sum, (unsigned long long)mix, c[0]);
    free(a);
    free(b);
    free(c);
    return 0;
}
