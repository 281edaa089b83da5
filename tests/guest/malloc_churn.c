/* Heap churn: malloc/free/realloc/calloc of sizes from bytes to megabytes (brk and mmap
 * paths) with content patterns verified, realloc growth keeping data, calloc zeroing,
 * aligned allocation, and a linked structure built and torn down. Addresses are never printed. */
#include "check.h"
#include <stdlib.h>

#define SLOTS 256

struct node {
    struct node *next;
    long value;
};

int main(void)
{
    static unsigned char *slot[SLOTS];
    static size_t size[SLOTS];
    static unsigned char tag[SLOTS];
    unsigned long allocs = 0, frees = 0, reallocs = 0;
    for (int round = 0; round < 4000; round++) {
        int i = (int)(lcg() % SLOTS);
        unsigned r = lcg();
        if (slot[i]) {
            for (size_t k = 0; k < size[i]; k += 1 + size[i] / 64)
                CHECK_EQ(slot[i][k], (unsigned char)(tag[i] + k));
            if (r % 3 == 0) {
                size_t nsize = (r >> 4) % 5000 + 1;
                unsigned char *p = realloc(slot[i], nsize);
                CHECK(p != NULL);
                size_t keep = nsize < size[i] ? nsize : size[i];
                for (size_t k = 0; k < keep; k += 1 + keep / 64)
                    CHECK_EQ(p[k], (unsigned char)(tag[i] + k));
                for (size_t k = 0; k < nsize; k++)
                    p[k] = (unsigned char)(tag[i] + k);
                slot[i] = p;
                size[i] = nsize;
                reallocs++;
            } else {
                free(slot[i]);
                slot[i] = NULL;
                frees++;
            }
        } else {
            size_t n = (r % 32 == 0) ? (r >> 8) % 200000 + 1 : (r >> 8) % 2000 + 1;
            unsigned char *p = (r & 32) ? calloc(1, n) : malloc(n);
            CHECK(p != NULL);
            if (r & 32)
                for (size_t k = 0; k < n; k += 1 + n / 128)
                    CHECK_EQ(p[k], 0);
            tag[i] = (unsigned char)r;
            for (size_t k = 0; k < n; k++)
                p[k] = (unsigned char)(tag[i] + k);
            slot[i] = p;
            size[i] = n;
            allocs++;
        }
    }
    size_t live = 0;
    for (int i = 0; i < SLOTS; i++) {
        if (slot[i]) {
            live += size[i];
            hash_u64(size[i]);
        }
        free(slot[i]);
    }
    printf("churn: %lu allocs, %lu frees, %lu reallocs, %zu bytes live at the end\n", allocs, frees, reallocs, live);

    /* Big blocks served by mmap, grown by realloc. */
    size_t big = 1 << 20;
    unsigned char *p = malloc(big);
    CHECK(p != NULL);
    memset(p, 0x5a, big);
    p = realloc(p, big * 3);
    CHECK(p != NULL);
    CHECK_EQ(p[big - 1], 0x5a);
    memset(p + big, 0x6b, big * 2);
    unsigned long sum = 0;
    for (size_t k = 0; k < big * 3; k += 4096)
        sum += p[k];
    free(p);
    printf("big realloc: sum %lu\n", sum);

    /* Alignment requests. */
    for (size_t align = 16; align <= 65536; align *= 4) {
        void *q = NULL;
        int rc = posix_memalign(&q, align, 1000);
        CHECK_EQ(rc, 0);
        CHECK_EQ((uintptr_t)q % align, 0);
        void *r2 = aligned_alloc(align, align * 2);
        CHECK_EQ((uintptr_t)r2 % align, 0);
        printf("alignment %zu ok\n", align);
        free(q);
        free(r2);
    }

    /* A linked list of 20000 nodes. */
    struct node *head = NULL;
    for (long i = 0; i < 20000; i++) {
        struct node *n = malloc(sizeof *n);
        n->value = i * i % 1009;
        n->next = head;
        head = n;
    }
    long total = 0, count = 0;
    while (head) {
        struct node *n = head;
        total += n->value;
        count++;
        head = n->next;
        free(n);
    }
    printf("list: %ld nodes, total %ld\n", count, total);
    CHECK_EQ(count, 20000);
    CHECK(realloc(NULL, 10) != NULL);
    return check_done("malloc_churn");
}
