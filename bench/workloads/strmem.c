/* libc string and memory functions (glibc's own, as selected for the CPU
 * it sees) over sizes from 0 to 64 KiB and varying alignments: memcpy,
 * memmove, memset, memcmp, memchr, strlen, strcmp, strchr.
 * Size: number of rounds over the size list. */
#include "common.h"
#include <string.h>

#define BUF (64 * 1024 + 256)

static unsigned char src[BUF], dst[BUF], cmp[BUF];
static char str_a[BUF], str_b[BUF];

static size_t sizes[256];
static int nsizes;

static void make_sizes(void)
{
    for (size_t s = 0; s <= 80; s++)
        sizes[nsizes++] = s;
    for (size_t s = 96; s <= 65536; s += s / 2)
        sizes[nsizes++] = s;
    sizes[nsizes++] = 65536;
}

int main(int argc, char **argv)
{
    long rounds = size_arg(argc, argv, 1200);
    uint64_t seed = 11, sum = 0, mix = 0;
    for (int i = 0; i < BUF; i++) {
        src[i] = (unsigned char)(splitmix64(&seed) % 255 + 1);
        str_a[i] = str_b[i] = (char)(src[i] % 94 + 33);
    }
    make_sizes();
    for (long r = 0; r < rounds; r++) {
        for (int k = 0; k < nsizes; k++) {
            size_t n = sizes[k];
            size_t so = (r + k) & 15, dof = (r * 7 + k) & 31;

            memcpy(dst + dof, src + so, n);
            memcpy(cmp + so, src + so, n);
            int c = memcmp(dst + dof, cmp + so, n);
            memmove(dst + dof + 1, dst + dof, n);
            memset(dst + dof, (int)(r + k) & 0xff, n / 2);
            sum += (uint64_t)(c != 0) + dst[dof + n / 2] + dst[dof];

            const void *hit = memchr(src + so, src[so + n], n + 1);
            sum += hit ? (uint64_t)((const unsigned char *)hit - src) : 0;

            /* A string of length n in both buffers, differing at the end. */
            char save_a = str_a[so + n], save_b = str_b[so + n];
            str_a[so + n] = str_b[so + n] = '\0';
            if (n > 0)
                str_b[so + n - 1] ^= 1;
            sum += strlen(str_a + so);
            int sc = strcmp(str_a + so, str_b + so);
            sum += (uint64_t)((sc > 0) - (sc < 0) + 1);
            const char *ch = strchr(str_a + so, str_a[so + n / 2]);
            sum += ch ? (uint64_t)(ch - str_a) : 0;
            if (n > 0)
                str_b[so + n - 1] ^= 1;
            str_a[so + n] = save_a;
            str_b[so + n] = save_b;
            mix = (mix ^ sum) * 0x100000001b3ULL;
        }
    }
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < BUF; i++)
        h = (h ^ dst[i]) * 0x100000001b3ULL;
    printf("strmem rounds=%ld sizes=%d sum=%llu mix=%016llx dst=%016llx\n",
           rounds, nsizes, (unsigned long long)sum, (unsigned long long)mix,
           (unsigned long long)h);
    return 0;
}
