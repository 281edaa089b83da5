/* Non-cryptographic hashes over a pseudo-random buffer: FNV-1a 64 (byte
 * at a time), an xxHash64-style hash (four 64-bit lanes, multiply-rotate)
 * and a table-driven CRC-32 (IEEE, reflected). Size: buffer bytes; the
 * buffer is hashed a few times with a changing seed. */
#include "common.h"
#include <string.h>

#define P1 0x9e3779b185ebca87ULL
#define P2 0xc2b2ae3d27d4eb4fULL
#define P3 0x165667b19e3779f9ULL
#define P4 0x85ebca77c2b2ae63ULL
#define P5 0x27d4eb2f165667c5ULL

static uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint64_t fnv1a64(const unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t xx_round(uint64_t acc, uint64_t v)
{
    acc += v * P2;
    acc = rotl64(acc, 31);
    return acc * P1;
}

static uint64_t xxlike64(const unsigned char *p, size_t n, uint64_t seed)
{
    const unsigned char *end = p + n;
    uint64_t h;
    if (n >= 32) {
        uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
        do {
            v1 = xx_round(v1, read64(p));
            v2 = xx_round(v2, read64(p + 8));
            v3 = xx_round(v3, read64(p + 16));
            v4 = xx_round(v4, read64(p + 24));
            p += 32;
        } while (p + 32 <= end);
        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = (h ^ xx_round(0, v1)) * P1 + P4;
        h = (h ^ xx_round(0, v2)) * P1 + P4;
        h = (h ^ xx_round(0, v3)) * P1 + P4;
        h = (h ^ xx_round(0, v4)) * P1 + P4;
    } else {
        h = seed + P5;
    }
    h += n;
    while (p + 8 <= end) {
        h ^= xx_round(0, read64(p));
        h = rotl64(h, 27) * P1 + P4;
        p += 8;
    }
    while (p < end) {
        h ^= *p++ * P5;
        h = rotl64(h, 11) * P1;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    return h ^ (h >> 32);
}

static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const unsigned char *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 8000000);
    unsigned char *buf = malloc(n);
    if (!buf)
        return 1;
    uint64_t s = 1;
    for (long i = 0; i + 8 <= n; i += 8) {
        uint64_t v = splitmix64(&s);
        memcpy(buf + i, &v, 8);
    }
    for (long i = n & ~7L; i < n; i++)
        buf[i] = (unsigned char)i;
    crc32_init();

    uint64_t f = 0, x = 0;
    uint32_t c = 0;
    for (int pass = 0; pass < 2; pass++) {
        f = fnv1a64(buf, n, f);
        x = xxlike64(buf, n, x);
        c = crc32(buf, n, c);
    }
    /* Unaligned tails and short inputs exercise the byte paths. */
    for (long len = 0; len < 200 && len < n; len++) {
        x ^= xxlike64(buf + 1, len, len);
        f ^= fnv1a64(buf + 3, len, len);
    }
    printf("hash n=%ld fnv1a=%016llx xxlike=%016llx crc32=%08x check=%08x\n", n,
           (unsigned long long)f, (unsigned long long)x, c,
           crc32((const unsigned char *)"123456789", 9, 0));
    free(buf);
    return 0;
}
