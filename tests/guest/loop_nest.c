/* Loop nests that a translator may compile as one unit, inner loops included: a filter whose
 * inner loop of 8 turns accumulates in XMM registers, an integer matrix product (three levels),
 * and a nest whose inner loop updates a double that the outer loop also changes. Each runs long
 * enough for its outer loop to be hot; results print as exact hex bit patterns. */
#include "check.h"
#include <stdint.h>
#include <string.h>

#define TAPS 32
#define N 40000

static float x[N + TAPS], y[N], taps[TAPS];
static int32_t a[64][64], b[64][64], c[64][64];

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static uint64_t bits_of_d(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

int main(void)
{
    uint32_t s = 12345;
    for (int i = 0; i < N + TAPS; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
    }
    for (int t = 0; t < TAPS; t++)
        taps[t] = (float)(t + 1) / (TAPS * TAPS);

    /* The filter: inner loop over the taps. */
    uint32_t mix = 0;
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < N; i++) {
            float acc = 0;
            for (int t = 0; t < TAPS; t++)
                acc += taps[t] * x[i + TAPS - t];
            y[i] = acc;
        }
        for (int i = 0; i < N; i++)
            mix = (mix ^ bits_of(y[i])) * 16777619u;
        memcpy(x + TAPS, y, sizeof y);
    }
    printf("filter %08x\n", mix);

    /* The matrix product, i-k-j order. */
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++) {
            a[i][j] = (i * 7 + j * 3) % 11 - 5;
            b[i][j] = (i * 5 + j * 9) % 13 - 6;
        }
    for (int r = 0; r < 8; r++) {
        memset(c, 0, sizeof c);
        for (int i = 0; i < 64; i++)
            for (int k = 0; k < 64; k++) {
                int32_t aik = a[i][k];
                for (int j = 0; j < 64; j++)
                    c[i][j] += aik * b[k][j];
            }
        a[r][r] += c[r][63 - r] & 3;
    }
    uint64_t sum = 0;
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++)
            sum = sum * 31 + (uint32_t)c[i][j];
    printf("product %016llx\n", (unsigned long long)sum);

    /* A double the outer loop scales and the inner loop accumulates into. */
    double v = 1.0, w = 0.0;
    for (int i = 1; i <= 200000; i++) {
        v = v * 0.999 + 1.0 / i;
        for (int j = 0; j < 5; j++)
            w += v * (j + 1) - w * 1e-6;
    }
    printf("nest %016llx %016llx\n", (unsigned long long)bits_of_d(v), (unsigned long long)bits_of_d(w));
    return check_done("loop_nest");
}
