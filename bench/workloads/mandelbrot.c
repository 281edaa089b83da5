/* Mandelbrot set on a size x size grid in double precision, escape time
 * up to 100 iterations: a tight mulsd/addsd/ucomisd loop.
 * Size: grid side. */
#include "common.h"

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 600);
    const int max_iter = 100;
    uint64_t inside = 0, iters = 0, mix = 0;
    for (long py = 0; py < n; py++) {
        double ci = -1.25 + 2.5 * (double)py / (double)n;
        for (long px = 0; px < n; px++) {
            double cr = -2.0 + 2.75 * (double)px / (double)n;
            double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
            int it = 0;
            while (it < max_iter && zr2 + zi2 <= 4.0) {
                zi = 2 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                it++;
            }
            inside += it == max_iter;
            iters += (uint64_t)it;
            mix = (mix ^ (uint64_t)it) * 0x100000001b3ULL;
        }
    }
    printf("mandelbrot n=%ld inside=%llu iters=%llu mix=%016llx\n", n,
           (unsigned long long)inside, (unsigned long long)iters,
           (unsigned long long)mix);
    return 0;
}
