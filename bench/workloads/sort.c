/* Sorting: a quicksort (median of three, insertion sort for short runs)
 * and a top-down mergesort, each over the same array of pseudo-random
 * 64-bit keys; both results are checked for order and hashed.
 * Size: number of keys. */
#include "common.h"
#include <string.h>

static void insertion_sort(uint64_t *a, long n)
{
    for (long i = 1; i < n; i++) {
        uint64_t v = a[i];
        long j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(uint64_t *x, uint64_t *y)
{
    uint64_t t = *x;
    *x = *y;
    *y = t;
}

static void quicksort(uint64_t *a, long n)
{
    while (n > 16) {
        long mid = n / 2;
        if (a[mid] < a[0])
            swap(&a[mid], &a[0]);
        if (a[n - 1] < a[0])
            swap(&a[n - 1], &a[0]);
        if (a[n - 1] < a[mid])
            swap(&a[n - 1], &a[mid]);
        uint64_t pivot = a[mid];
        long i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            swap(&a[i], &a[j]);
            i++;
            j--;
        }
        /* Recurse into the smaller half, loop on the larger. */
        if (j + 1 < n - j - 1) {
            quicksort(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            quicksort(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    insertion_sort(a, n);
}

static void mergesort_rec(uint64_t *a, uint64_t *tmp, long n)
{
    if (n <= 16) {
        insertion_sort(a, n);
        return;
    }
    long h = n / 2;
    mergesort_rec(a, tmp, h);
    mergesort_rec(a + h, tmp, n - h);
    long i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static uint64_t digest(const uint64_t *a, long n, const char *what)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (long i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i]) {
            printf("%s: not sorted at %ld\n", what, i);
            exit(1);
        }
        h = (h ^ a[i]) * 0x100000001b3ULL;
    }
    return h;
}

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 1000000);
    uint64_t *orig = malloc(n * sizeof *orig);
    uint64_t *a = malloc(n * sizeof *a);
    uint64_t *tmp = malloc(n * sizeof *tmp);
    if (!orig || !a || !tmp)
        return 1;
    uint64_t s = 7;
    for (long i = 0; i < n; i++)
        orig[i] = splitmix64(&s) % (uint64_t)(n * 4);

    memcpy(a, orig, n * sizeof *a);
    quicksort(a, n);
    uint64_t hq = digest(a, n, "quicksort");

    memcpy(a, orig, n * sizeof *a);
    mergesort_rec(a, tmp, n);
    uint64_t hm = digest(a, n, "mergesort");

    printf("sort n=%ld quick=%016llx merge=%016llx min=%llu max=%llu\n", n,
           (unsigned long long)hq, (unsigned long long)hm,
           (unsigned long long)a[0], (unsigned long long)a[n - 1]);
    free(orig);
    free(a);
    free(tmp);
    return 0;
}
