/* Small compute kernels with known answers: sieve of Eratosthenes, CRC-32 (table and bitwise),
 * FNV and a xorshift generator, integer matrix multiply, Collatz lengths, base64 round trip,
 * N-queens, and a Mandelbrot grid in integer fixed point printed as ASCII art. */
#include "check.h"
#include <stdlib.h>

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_table(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t crc32_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

static int queens(int n, int row, unsigned cols, unsigned d1, unsigned d2)
{
    if (row == n)
        return 1;
    int count = 0;
    unsigned avail = ~(cols | d1 | d2) & ((1u << n) - 1);
    while (avail) {
        unsigned bit = avail & -avail;
        avail ^= bit;
        count += queens(n, row + 1, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
    return count;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

static size_t b64_decode(const char *in, unsigned char *out)
{
    size_t o = 0, n = strlen(in);
    for (size_t i = 0; i + 3 < n; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = in[i + k];
            v <<= 6;
            if (c == '=')
                pad++;
            else
                v |= (uint32_t)(strchr(b64, c) - b64);
        }
        out[o++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[o++] = (unsigned char)(v >> 8);
        if (pad < 1)
            out[o++] = (unsigned char)v;
    }
    return o;
}

int main(void)
{
    /* primes */
    enum { LIMIT = 200000 };
    static unsigned char composite[LIMIT + 1];
    int primes = 0;
    long psum = 0;
    for (int i = 2; i <= LIMIT; i++) {
        if (composite[i])
            continue;
        primes++;
        psum += i;
        for (long j = (long)i * i; j <= LIMIT; j += i)
            composite[j] = 1;
    }
    printf("primes below %d: %d, sum %ld\n", LIMIT, primes, psum);
    CHECK_EQ(primes, 17984);

    /* CRC-32 of "123456789" is the standard check value cbf43926 */
    crc_init();
    const char *check = "123456789";
    CHECK_EQ(crc32_table((const unsigned char *)check, 9), 0xcbf43926u);
    static unsigned char data[100000];
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < sizeof data; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data[i] = (unsigned char)x;
    }
    uint32_t c1 = crc32_table(data, sizeof data), c2 = crc32_bitwise(data, sizeof data);
    CHECK_EQ(c1, c2);
    printf("crc32 check %08x, data %08x, xorshift state %016llx\n", crc32_table((const unsigned char *)check, 9), c1,
           (unsigned long long)x);

    /* matrices */
    enum { M = 48 };
    static long a[M][M], b[M][M], c[M][M];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            a[i][j] = (i * 3 + j * 7) % 17 - 8;
            b[i][j] = (i * 5 + j * 11) % 13 - 6;
        }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            long s = 0;
            for (int k = 0; k < M; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
    long trace = 0;
    for (int i = 0; i < M; i++)
        trace += c[i][i];
    printf("matrix trace %ld corner %ld %ld\n", trace, c[0][M - 1], c[M - 1][0]);
    hash_bytes(c, sizeof c);

    /* Collatz */
    int best = 0, best_n = 0;
    for (int n = 1; n < 30000; n++) {
        long v = n;
        int steps = 0;
        while (v != 1) {
            v = v & 1 ? 3 * v + 1 : v / 2;
            steps++;
        }
        if (steps > best) {
            best = steps;
            best_n = n;
        }
    }
    printf("longest collatz below 30000: %d (%d steps)\n", best_n, best);

    /* base64 */
    char enc[200];
    unsigned char dec[200];
    for (size_t n = 0; n < 20; n++) {
        b64_encode(data + n, n, enc);
        size_t m = b64_decode(enc, dec);
        CHECK_EQ(m, n);
        CHECK(memcmp(dec, data + n, n) == 0);
        printf("base64(%zu) = %s\n", n, enc);
    }

    for (int n = 4; n <= 9; n++)
        printf("%d-queens: %d solutions\n", n, queens(n, 0, 0, 0, 0));
    CHECK_EQ(queens(8, 0, 0, 0, 0), 92);

    /* Mandelbrot in 16.16 fixed point */
    for (int row = 0; row < 24; row++) {
        char line[73];
        for (int col = 0; col < 72; col++) {
            long cr = -2 * 65536 + col * 3 * 65536 / 72, ci = -65536 + row * 2 * 65536 / 24;
            long zr = 0, zi = 0;
            int it = 0;
            while (it < 50 && zr * zr + zi * zi < 4L * 65536 * 65536) {
                long t = (zr * zr - zi * zi) / 65536 + cr;
                zi = 2 * zr * zi / 65536 + ci;
                zr = t;
                it++;
            }
            line[col] = " .:-=+*#%@"[it % 10];
        }
        line[72] = 0;
        printf("%s\n", line);
        hash_bytes(line, 72);
    }
    return check_done("compute_kernels");
}
