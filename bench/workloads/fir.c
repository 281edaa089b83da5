/* Single-precision signal kernel: a 32-tap FIR filter over a generated
 * signal, then per-block RMS (sqrtf) and normalisation (divss), repeated
 * with the output fed back. Size: signal length in samples. */
#include "common.h"
#include <math.h>
#include <string.h>

#define TAPS 32
#define BLOCK 256

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 400000);
    float *x = malloc((n + TAPS) * sizeof *x);
    float *y = malloc(n * sizeof *y);
    if (!x || !y)
        return 1;
    float taps[TAPS];
    for (int t = 0; t < TAPS; t++) {
        float w = 0.54f - 0.46f * cosf(6.2831853f * (float)t / (TAPS - 1));
        taps[t] = w / TAPS;
    }
    uint64_t s = 5;
    memset(x, 0, TAPS * sizeof *x);
    for (long i = 0; i < n; i++)
        x[TAPS + i] = (float)(splitmix64(&s) >> 40) / 16777216.0f - 0.5f;

    double total = 0;
    for (int pass = 0; pass < 4; pass++) {
        for (long i = 0; i < n; i++) {
            float acc = 0;
            for (int t = 0; t < TAPS; t++)
                acc += taps[t] * x[i + TAPS - t];
            y[i] = acc;
        }
        for (long b = 0; b + BLOCK <= n; b += BLOCK) {
            float e = 0;
            for (int i = 0; i < BLOCK; i++)
                e += y[b + i] * y[b + i];
            float rms = sqrtf(e / BLOCK) + 1e-6f;
            for (int i = 0; i < BLOCK; i++)
                y[b + i] = y[b + i] / rms * 0.25f;
            total += rms;
        }
        memcpy(x + TAPS, y, n * sizeof *y);
    }
    float sum = 0;
    uint32_t mix = 0;
    for (long i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &y[i], 4);
        mix = (mix ^ bits) * 16777619u;
        sum += y[i];
    }
    printf("fir n=%ld sum=%.9g rms=%.17g mix=%08x\n", n, sum, total, mix);
    free(x);
    free(y);
    return 0;
}
