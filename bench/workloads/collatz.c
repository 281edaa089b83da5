/* Collatz sequence lengths for 1..n: data-dependent branches, shifts and
 * 64-bit multiply-add. Size: n. */
#include "common.h"

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 1000000);
    uint64_t total = 0, best_len = 0, best_start = 0;
    for (uint64_t start = 1; start <= (uint64_t)n; start++) {
        uint64_t x = start, len = 0;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            len++;
        }
        total += len;
        if (len > best_len) {
            best_len = len;
            best_start = start;
        }
    }
    printf("collatz n=%ld steps=%llu longest=%llu at=%llu\n", n,
           (unsigned long long)total, (unsigned long long)best_len,
           (unsigned long long)best_start);
    return 0;
}
