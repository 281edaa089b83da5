/* libc string and memory functions (memcpy memmove memset memcmp memchr memrchr strlen strnlen
 * strcmp strncmp strchr strrchr strstr strcpy strncpy strcat strspn strcspn) over many sizes
 * and alignments, checked against byte-at-a-time reference code, including strings that end
 * right before an unmapped page. */
#include "check.h"
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define N 1024
static unsigned char src[N + 64], dst[N + 64], ref[N + 64];

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 131 + seed * 7 + (i >> 3)) % 251 + 1);
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static int ref_memcmp(const unsigned char *a, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

static const char *ref_strstr(const char *h, const char *n)
{
    size_t ln = strlen(n);
    for (; *h; h++)
        if (strncmp(h, n, ln) == 0)
            return h;
    return ln == 0 ? h : NULL;
}

static const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 500, 511, 512, 1000 };
#define NS (sizeof(sizes) / sizeof(sizes[0]))

static void mem_functions(void)
{
    unsigned long cases = 0;
    for (unsigned si = 0; si < NS; si++) {
        size_t n = sizes[si];
        for (int sa = 0; sa < 16; sa += 3) {
            for (int da = 0; da < 16; da += 5) {
                fill(src, sizeof src, (unsigned)(n + sa));
                memset(dst, 0xee, sizeof dst);
                memcpy(dst + da, src + sa, n);
                memset(ref, 0xee, sizeof ref);
                for (size_t i = 0; i < n; i++)
                    ref[da + i] = src[sa + i];
                CHECK(memcmp(dst, ref, sizeof dst) == 0);

                memset(dst, 0x11, sizeof dst);
                memset(dst + da, sa, n);
                for (size_t i = 0; i < sizeof ref; i++)
                    ref[i] = (i >= (size_t)da && i < da + n) ? (unsigned char)sa : 0x11;
                CHECK(memcmp(dst, ref, sizeof dst) == 0);

                /* memcmp: equal, then a difference at a few positions */
                fill(dst, sizeof dst, (unsigned)(n + sa));
                CHECK_EQ(memcmp(dst + sa, src + sa, n), 0);
                if (n) {
                    size_t at = (n * 7 + (size_t)da) % n;
                    dst[sa + at] ^= 0x80;
                    CHECK_EQ(sign(memcmp(dst + sa, src + sa, n)), ref_memcmp(dst + sa, src + sa, n));
                    CHECK_EQ(sign(memcmp(src + sa, dst + sa, n)), ref_memcmp(src + sa, dst + sa, n));
                    /* memchr finds the first occurrence */
                    unsigned char c = src[sa + at];
                    const unsigned char *want = NULL;
                    for (size_t i = 0; i < n; i++)
                        if (src[sa + i] == c) {
                            want = src + sa + i;
                            break;
                        }
                    CHECK(memchr(src + sa, c, n) == want);
                    CHECK(memchr(src + sa, 0, n) == NULL);
                    const unsigned char *rwant = NULL;
                    for (size_t i = n; i-- > 0;)
                        if (src[sa + i] == c) {
                            rwant = src + sa + i;
                            break;
                        }
                    CHECK(memrchr(src + sa, c, n) == rwant);
                }
                cases++;
            }
        }
        /* memmove with every overlap direction */
        for (int shift = -9; shift <= 9; shift += 3) {
            unsigned char buf[N + 64], model[N + 64];
            fill(buf, sizeof buf, (unsigned)n);
            memcpy(model, buf, sizeof buf);
            size_t from = 20, to = (size_t)(20 + shift);
            memmove(buf + to, buf + from, n);
            unsigned char tmp[N + 64];
            for (size_t i = 0; i < n; i++)
                tmp[i] = model[from + i];
            for (size_t i = 0; i < n; i++)
                model[to + i] = tmp[i];
            CHECK(memcmp(buf, model, sizeof buf) == 0);
            hash_bytes(buf, sizeof buf);
        }
        hash_bytes(dst, sizeof dst);
    }
    printf("memcpy/memset/memcmp/memchr/memrchr/memmove: %lu cases\n", cases);
}

static void str_functions(void)
{
    char a[N + 64], b[N + 64];
    unsigned long cases = 0;
    for (unsigned si = 0; si < NS; si++) {
        size_t n = sizes[si];
        for (int al = 0; al < 16; al += 1) {
            for (size_t i = 0; i < n; i++)
                a[al + i] = (char)('a' + (i * 7 + al) % 26);
            a[al + n] = 0;
            CHECK_EQ(strlen(a + al), n);
            CHECK_EQ(strnlen(a + al, n / 2), n / 2);
            strcpy(b + 3, a + al);
            CHECK_EQ(strcmp(b + 3, a + al), 0);
            CHECK_EQ(strncmp(b + 3, a + al, n + 5), 0);
            if (n) {
                b[3 + n - 1] = 'A';
                CHECK(strcmp(b + 3, a + al) < 0);
                CHECK(strcmp(a + al, b + 3) > 0);
                CHECK_EQ(strncmp(b + 3, a + al, n - 1), 0);
                b[3 + n - 1] = 0;
                CHECK(strcmp(b + 3, a + al) < 0);
                /* strchr / strrchr for a letter that may repeat */
                char c = a[al + n / 2];
                const char *first = NULL, *last = NULL;
                for (size_t i = 0; i < n; i++)
                    if (a[al + i] == c) {
                        if (!first)
                            first = a + al + i;
                        last = a + al + i;
                    }
                CHECK(strchr(a + al, c) == first);
                CHECK(strrchr(a + al, c) == last);
                CHECK(strchr(a + al, 0) == a + al + n);
                CHECK(strchr(a + al, '#') == NULL);
                /* strstr for a suffix, a middle piece and a missing needle */
                const char *needle = a + al + n - (n < 5 ? n : 5);
                CHECK(strstr(a + al, needle) == ref_strstr(a + al, needle));
                char mid[8];
                size_t ml = n < 3 ? n : 3;
                memcpy(mid, a + al + n / 3, ml);
                mid[ml] = 0;
                CHECK(strstr(a + al, mid) == ref_strstr(a + al, mid));
                CHECK(strstr(a + al, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz") == NULL);
                CHECK_EQ(strspn(a + al, "abcdefghijklmnopqrstuvwxyz"), n);
                CHECK_EQ(strcspn(a + al, "#"), n);
            }
            cases++;
        }
        hash_bytes(a, n);
    }
    /* strncpy pads with zeros; strcat appends */
    char pad[16];
    memset(pad, 'x', sizeof pad);
    strncpy(pad, "abc", sizeof pad);
    for (int i = 3; i < 16; i++)
        CHECK_EQ(pad[i], 0);
    char cat[64] = "hello";
    strcat(cat, ", ");
    strcat(cat, "world");
    volatile size_t two = 2;
    strncat(cat, "!!!!!", two);
    CHECK(strcmp(cat, "hello, world!!") == 0);
    printf("strlen/strcmp/strncmp/strchr/strrchr/strstr/strspn: %lu cases; %s\n", cases, cat);
}

/* Strings ending at the last byte of a page followed by an unmapped page. */
static void page_edge(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(map != MAP_FAILED);
    if (map == MAP_FAILED)
        return;
    CHECK_EQ(mprotect(map + page, page, PROT_NONE), 0);
    for (int len = 0; len < 80; len++) {
        char *s = (char *)map + page - len - 1;
        memset(s, 'q', len);
        s[len] = 0;
        CHECK_EQ(strlen(s), (size_t)len);
        CHECK(strchr(s, 'z') == NULL);
        CHECK(strrchr(s, 'q') == (len ? s + len - 1 : NULL));
        CHECK(memchr(s, 0, len + 1) == s + len);
        CHECK_EQ(strcmp(s, s), 0);
        char copy[100];
        strcpy(copy, s);
        CHECK_EQ(strcmp(copy, s), 0);
        CHECK(memcmp(copy, s, len + 1) == 0);
    }
    munmap(map, 2 * page);
    printf("page edge: strings up to the last byte before an unmapped page are fine\n");
}

int main(void)
{
    mem_functions();
    str_functions();
    page_edge();
    char *dup = strdup("duplicated string");
    CHECK(strcmp(dup, "duplicated string") == 0);
    printf("strdup: %s (%zu)\n", dup, strlen(dup));
    free(dup);
    return check_done("libc_string");
}
