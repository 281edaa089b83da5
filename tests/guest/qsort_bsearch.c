/* Sorting and searching with libc: qsort of ints, doubles, strings and structs (stable
 * ordering by a tie-break key), bsearch hits and misses, and a hand-written merge sort. */
#include "check.h"
#include <stdlib.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct rec {
    int key;
    int seq;
    char name[12];
};

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->seq - y->seq;
}

static void merge_sort(int *v, int *tmp, int n)
{
    if (n < 2)
        return;
    int h = n / 2;
    merge_sort(v, tmp, h);
    merge_sort(v + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = v[i] <= v[j] ? v[i++] : v[j++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof(int));
}

int main(void)
{
    enum { N = 3000 };
    static int a[N], b[N], tmp[N];
    for (int i = 0; i < N; i++)
        a[i] = b[i] = (int)(lcg() % 10000) - 5000;
    qsort(a, N, sizeof(int), cmp_int);
    merge_sort(b, tmp, N);
    CHECK(memcmp(a, b, sizeof a) == 0);
    for (int i = 1; i < N; i++)
        CHECK(a[i - 1] <= a[i]);
    hash_bytes(a, sizeof a);
    printf("ints: min %d max %d median %d\n", a[0], a[N - 1], a[N / 2]);
    for (int i = 0; i < N; i += 150)
        printf("  a[%d] = %d\n", i, a[i]);
    int hits = 0;
    for (int probe = -5000; probe < 5000; probe += 37) {
        int *p = bsearch(&probe, a, N, sizeof(int), cmp_int);
        int linear = 0;
        for (int i = 0; i < N; i++)
            linear |= a[i] == probe;
        CHECK_EQ(p != NULL, linear);
        if (p)
            CHECK_EQ(*p, probe);
        hits += p != NULL;
    }
    printf("bsearch: %d hits\n", hits);

    static double d[500];
    for (int i = 0; i < 500; i++)
        d[i] = (double)(int)(lcg() % 100000) / 7.0 - 5000.0;
    qsort(d, 500, sizeof(double), cmp_double);
    for (int i = 1; i < 500; i++)
        CHECK(d[i - 1] <= d[i]);
    printf("doubles: %.6f %.6f %.6f\n", d[0], d[250], d[499]);

    static const char *const words[] = { "pear", "apple", "fig", "banana", "kiwi", "cherry", "date", "grape",
                                         "lemon", "mango", "apricot", "plum", "quince", "lime", "melon", "" };
    const char *w[16];
    memcpy(w, words, sizeof w);
    qsort(w, 16, sizeof(char *), cmp_str);
    printf("strings:");
    for (int i = 0; i < 16; i++)
        printf(" [%s]", w[i]);
    printf("\n");
    for (int i = 1; i < 16; i++)
        CHECK(strcmp(w[i - 1], w[i]) <= 0);

    static struct rec r[400];
    for (int i = 0; i < 400; i++) {
        r[i].key = (int)(lcg() % 20);
        r[i].seq = i;
        snprintf(r[i].name, sizeof r[i].name, "r%03d", i);
    }
    qsort(r, 400, sizeof(struct rec), cmp_rec);
    for (int i = 1; i < 400; i++)
        CHECK(r[i - 1].key < r[i].key || (r[i - 1].key == r[i].key && r[i - 1].seq < r[i].seq));
    for (int i = 0; i < 400; i += 40)
        printf("rec %d: key %d %s\n", i, r[i].key, r[i].name);
    return check_done("qsort_bsearch");
}
