/* The libc string and memory functions (SSE2 and later in glibc and musl)
 * over many lengths and alignments, checked against plain byte loops.
 * Strings also end just before an inaccessible page, where vector code
 * must not read past the page. */
#include "check.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wchar.h>

static size_t page;
static unsigned char *area; /* two accessible pages, then a PROT_NONE one */

static size_t ref_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static const char *ref_strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return s;
        if (!*s)
            return NULL;
    }
}

static const char *ref_strrchr(const char *s, int c)
{
    const char *r = NULL;
    for (;; s++) {
        if (*s == (char)c)
            r = s;
        if (!*s)
            return r;
    }
}

static const void *ref_memchr(const void *p, int c, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        if (s[i] == (unsigned char)c)
            return s + i;
    return NULL;
}

static const void *ref_memrchr(const void *p, int c, size_t n)
{
    const unsigned char *s = p;
    while (n--)
        if (s[n] == (unsigned char)c)
            return s + n;
    return NULL;
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static int ref_strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = a[i], y = b[i];
        if (x != y)
            return x < y ? -1 : 1;
        if (!x)
            return 0;
    }
    return 0;
}

static int ref_memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

static int ref_strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return x < y ? -1 : 1;
        if (!x)
            return 0;
    }
}

static size_t ref_strspn(const char *s, const char *set)
{
    size_t n = 0;
    while (s[n] && ref_strchr(set, s[n]))
        n++;
    return n;
}

static size_t ref_strcspn(const char *s, const char *set)
{
    size_t n = 0;
    while (s[n] && !ref_strchr(set, s[n]))
        n++;
    return n;
}

static const char *ref_strstr(const char *h, const char *n)
{
    size_t ln = ref_strlen(n);
    for (; *h; h++)
        if (!ref_strncmp(h, n, ln))
            return h;
    return ln ? NULL : h;
}

/* Offset of `p` in the area (or -1 for NULL), for hashing. */
static long off(const void *p)
{
    return p ? (long)((const unsigned char *)p - area) : -1;
}

/* Fills `n` bytes at `p` with printable, non-NUL pseudo-random text. */
static void fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = 'a' + lcg() % 26;
}

/* A string of length `len` ending `tail` bytes before the guard page. */
static char *string_at_end(size_t len, size_t tail)
{
    unsigned char *end = area + 2 * page - tail;
    unsigned char *s = end - len - 1;
    fill(s, len);
    s[len] = 0;
    return (char *)s;
}

static void searches(void)
{
    static const size_t tails[] = {0, 1, 7, 16, 33, 100};
    for (size_t len = 0; len <= 300; len += len < 70 ? 1 : 23) {
        for (unsigned t = 0; t < sizeof tails / sizeof tails[0]; t++) {
            char *s = string_at_end(len, tails[t]);
            CHECK_EQ(strlen(s), len);
            hash_u64(strlen(s));
            for (size_t n = 0; n < len + 3; n += 1 + n / 4)
                CHECK_EQ(strnlen(s, n), n < len ? n : len);
            /* A character at a few positions, absent, and the NUL. */
            for (size_t pos = 0; pos < len; pos += 1 + len / 5) {
                char c = s[pos];
                CHECK_EQ(off(strchr(s, c)), off(ref_strchr(s, c)));
                CHECK_EQ(off(strrchr(s, c)), off(ref_strrchr(s, c)));
                CHECK_EQ(off(memchr(s, c, len)), off(ref_memchr(s, c, len)));
                CHECK_EQ(off(memchr(s, c, pos)), off(ref_memchr(s, c, pos)));
                CHECK_EQ(off(memrchr(s, c, len)), off(ref_memrchr(s, c, len)));
#ifdef __GLIBC__
                CHECK_EQ(off(rawmemchr(s, c)), off(ref_strchr(s, c)));
#endif
                hash_u64(off(strchr(s, c)) ^ off(strrchr(s, c)) << 20);
            }
            CHECK_EQ(off(strchr(s, 'Z')), -1);
            CHECK_EQ(off(strrchr(s, 'Z')), -1);
            CHECK_EQ(off(memchr(s, 'Z', len)), -1);
            CHECK_EQ(off(strchr(s, 0)), off(s + len));
            CHECK_EQ(off(strrchr(s, 0)), off(s + len));
            CHECK_EQ(off(memchr(s, 0, len + 1)), off(s + len));
            CHECK_EQ(off(strchrnul(s, 'Z')), off(s + len));
            CHECK_EQ(strspn(s, "abcdefghijklm"), ref_strspn(s, "abcdefghijklm"));
            CHECK_EQ(strcspn(s, "xyz"), ref_strcspn(s, "xyz"));
            size_t k = ref_strcspn(s, "qj");
            CHECK_EQ(off(strpbrk(s, "qj")), s[k] ? off(s + k) : -1);
            if (len > 4) {
                char needle[4] = {s[len / 2], s[len / 2 + 1], s[len / 2 + 2], 0};
                CHECK_EQ(off(strstr(s, needle)), off(ref_strstr(s, needle)));
                CHECK_EQ(off(memmem(s, len, needle, 3)), off(ref_strstr(s, needle)));
            }
        }
    }
}

static void comparisons(void)
{
    unsigned char *a = area, *b = area + page;
    for (size_t len = 0; len <= 200; len += len < 70 ? 1 : 13) {
        for (size_t oa = 0; oa < 16; oa += 3) {
            for (size_t ob = 0; ob < 16; ob += 5) {
                char *x = (char *)a + oa, *y = (char *)b + ob;
                fill((unsigned char *)x, len);
                memcpy(y, x, len);
                x[len] = y[len] = 0;
                CHECK_EQ(strcmp(x, y), 0);
                CHECK_EQ(memcmp(x, y, len), 0);
                CHECK_EQ(strncmp(x, y, len + 1), 0);
                /* A difference at several positions, both directions. */
                for (size_t d = 0; d < len; d += 1 + len / 4) {
                    char save = y[d];
                    y[d] = (char)(save + ((d & 1) ? 1 : -1));
                    CHECK_EQ(sign(strcmp(x, y)), ref_strncmp(x, y, ~(size_t)0));
                    CHECK_EQ(sign(strncmp(x, y, d)), 0);
                    CHECK_EQ(sign(strncmp(x, y, d + 1)), ref_strncmp(x, y, d + 1));
                    CHECK_EQ(sign(memcmp(x, y, len)), ref_memcmp(x, y, len));
                    CHECK_EQ(sign(memcmp(y, x, d + 1)), ref_memcmp(y, x, d + 1));
                    y[d] = (char)0xe9; /* above 0x7f: unsigned comparison */
                    CHECK_EQ(sign(strcmp(x, y)), ref_strncmp(x, y, ~(size_t)0));
                    CHECK_EQ(sign(memcmp(x, y, len)), ref_memcmp(x, y, len));
                    hash_u64(sign(strcmp(x, y)) + 3 * sign(memcmp(y, x, len)));
                    y[d] = save;
                }
                /* Shorter string is a prefix. */
                if (len > 0) {
                    y[len - 1] = 0;
                    CHECK_EQ(sign(strcmp(x, y)), 1);
                    CHECK_EQ(sign(strcmp(y, x)), -1);
                    y[len - 1] = x[len - 1];
                }
                /* Case-insensitive. */
                for (size_t i = 0; i < len; i += 2)
                    y[i] = (char)(y[i] - 32);
                CHECK_EQ(strcasecmp(x, y), 0);
                CHECK_EQ(sign(strcasecmp(x, "m")), ref_strcasecmp(x, "m"));
                CHECK_EQ(strncasecmp(x, y, len), 0);
            }
        }
    }
}

static void copies(void)
{
    unsigned char *src = area + 64, *dst = area + page + 64;
    unsigned char want[1200];
    static const unsigned short lens[] = {0,  1,  2,  3,   4,   7,   8,   9,   15,  16,  17,  31,  32,
                                          33, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 511, 1000};
    for (unsigned li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        unsigned len = lens[li];
        for (size_t os = 0; os < 16; os += 3) {
            for (size_t od = 0; od < 16; od += 1 + (len > 64) * 6) {
                fill(src + os, len);
                memset(dst - 16, 0x11, len + 64);
                memcpy(dst + od, src + os, len);
                CHECK_EQ(memcmp(dst + od, src + os, len), 0);
                CHECK_EQ(dst[od - 1], 0x11);
                CHECK_EQ(dst[od + len], 0x11);
                int c = (int)(len * 7 + os);
                memset(dst + od, c, len);
                for (size_t i = 0; i < len; i++)
                    if (dst[od + i] != (unsigned char)c) {
                        CHECK_EQ(dst[od + i], (unsigned char)c);
                        break;
                    }
                CHECK_EQ(dst[od + len], 0x11);
                CHECK_EQ(dst[od - 1], 0x11);
                /* Overlapping moves, forward and backward. */
                size_t shift = 1 + (os + od) % 19;
                fill(src, len + 40);
                memcpy(want, src + shift, len);
                memmove(src, src + shift, len);
                CHECK_EQ(memcmp(src, want, len), 0);
                fill(src, len + 40);
                memcpy(want, src, len);
                memmove(src + shift, src, len);
                CHECK_EQ(memcmp(src + shift, want, len), 0);
                hash_bytes(src, len + shift);
                /* String copies. */
                fill(src + os, len);
                src[os + len] = 0;
                memset(dst - 16, 0x22, len + 64);
                char *e = stpcpy((char *)dst + od, (char *)src + os);
                CHECK_EQ(off(e), off(dst + od + len));
                CHECK_EQ(strcmp((char *)dst + od, (char *)src + os), 0);
                CHECK_EQ(dst[od + len + 1], 0x22);
                strcpy((char *)dst + od, "pre");
                strcat((char *)dst + od, (char *)src + os);
                CHECK_EQ(strlen((char *)dst + od), len + 3);
                memset(dst - 16, 0x33, len + 64);
                strncpy((char *)dst + od, (char *)src + os, len + 5);
                CHECK_EQ(memcmp(dst + od, src + os, len), 0);
                for (size_t i = len; i < len + 5; i++)
                    CHECK_EQ(dst[od + i], 0);
                CHECK_EQ(dst[od + len + 5], 0x33);
            }
        }
    }
}

static void wide(void)
{
    wchar_t w[300];
    for (size_t len = 0; len < 290; len += 1 + len / 8) {
        for (size_t i = 0; i < len; i++)
            w[i] = 0x41 + (wchar_t)(lcg() % 0x2000);
        w[len] = 0;
        CHECK_EQ(wcslen(w), len);
        if (len) {
            wchar_t c = w[len / 2];
            const wchar_t *p = wcschr(w, c);
            size_t k = 0;
            while (w[k] != c)
                k++;
            CHECK_EQ(p - w, k);
            CHECK_EQ(wmemchr(w, c, len) - w, k);
        }
        wchar_t v[300];
        wmemcpy(v, w, len + 1);
        CHECK_EQ(wcscmp(v, w), 0);
        CHECK_EQ(wmemcmp(v, w, len), 0);
        wmemset(v, 0x1234, len);
        for (size_t i = 0; i < len; i++)
            CHECK_EQ(v[i], 0x1234);
        hash_u64(wcslen(w));
    }
}

int main(void)
{
    page = (size_t)sysconf(_SC_PAGESIZE);
    area = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED || mprotect(area + 2 * page, page, PROT_NONE) != 0) {
        perror("mmap");
        return 2;
    }
    searches();
    comparisons();
    copies();
    wide();
    return check_done("sse_string");
}
