/* REP MOVS and REP STOS over many lengths, alignments and overlaps (the
 * result must be that of element-by-element execution), and run into an
 * inaccessible page: the fault names the first inaccessible byte and RDI,
 * RSI and RCX describe exactly the elements done, as the SDM specifies for
 * a restartable string instruction. */
#include "check.h"
#include "string_fault.h"
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#define AREA 640

static uint8_t area[AREA], model[AREA];

static void fill(uint8_t *p, unsigned seed)
{
    for (int i = 0; i < AREA; i++)
        p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 3));
}

/* rep movs of `n` elements of `size` bytes from area+src to area+dst. */
static void run_movs(int size, unsigned src, unsigned dst, uint64_t n, uint64_t *out)
{
    void *s = area + src, *d = area + dst;
    uint64_t c = n;
    switch (size) {
    case 1: __asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(c) : : "memory"); break;
    case 2: __asm__ volatile("rep movsw" : "+S"(s), "+D"(d), "+c"(c) : : "memory"); break;
    default: __asm__ volatile("rep movsl" : "+S"(s), "+D"(d), "+c"(c) : : "memory"); break;
    }
    out[0] = (uint64_t)((uint8_t *)s - area);
    out[1] = (uint64_t)((uint8_t *)d - area);
    out[2] = c;
}

static void run_stos(int size, unsigned dst, uint64_t n, uint64_t ax, uint64_t *out)
{
    void *d = area + dst;
    uint64_t c = n;
    switch (size) {
    case 1: __asm__ volatile("rep stosb" : "+D"(d), "+c"(c) : "a"(ax) : "memory"); break;
    case 2: __asm__ volatile("rep stosw" : "+D"(d), "+c"(c) : "a"(ax) : "memory"); break;
    default: __asm__ volatile("rep stosl" : "+D"(d), "+c"(c) : "a"(ax) : "memory"); break;
    }
    out[1] = (uint64_t)((uint8_t *)d - area);
    out[2] = c;
}

static void copies(void)
{
    static const int lens[] = { 0, 1, 3, 7, 8, 9, 16, 17, 33, 100 };
    static const unsigned srcs[] = { 0, 1, 3, 4, 7 };
    static const int gaps[] = { -12, -9, -8, -7, -4, -1, 0, 1, 2, 4, 7, 8, 9, 12 };
    int runs = 0;
    for (int size = 1; size <= 4; size *= 2)
        for (unsigned si = 0; si < sizeof srcs / sizeof srcs[0]; si++)
            for (unsigned gi = 0; gi < sizeof gaps / sizeof gaps[0]; gi++)
                for (unsigned li = 0; li < sizeof lens / sizeof lens[0]; li++) {
                    uint64_t n = lens[li];
                    unsigned src = srcs[si];
                    int gap = gaps[gi];
                    unsigned s = 140 + src, d = (unsigned)((int)s + gap);
                    fill(area, src + gap + li);
                    memcpy(model, area, AREA);
                    for (uint64_t i = 0; i < n; i++) {
                        uint8_t e[4];
                        memcpy(e, model + s + i * size, size);
                        memcpy(model + d + i * size, e, size);
                    }
                    uint64_t got[3];
                    run_movs(size, s, d, n, got);
                    CHECK(memcmp(area, model, AREA) == 0);
                    CHECK_EQ(got[0], s + n * size);
                    CHECK_EQ(got[1], d + n * size);
                    CHECK_EQ(got[2], 0);
                    hash_bytes(area, AREA);
                    runs++;
                }
    printf("rep movs: %d copies match element-by-element order\n", runs);
}

static void fills(void)
{
    static const int lens[] = { 0, 1, 2, 7, 8, 9, 24, 57, 120 };
    int runs = 0;
    for (int size = 1; size <= 4; size *= 2)
        for (unsigned dst = 0; dst < 16; dst++)
            for (unsigned li = 0; li < sizeof lens / sizeof lens[0]; li++) {
                uint64_t n = lens[li], ax = 0x1122334455667788ull ^ (dst * 0x0101u);
                fill(area, dst + li);
                memcpy(model, area, AREA);
                for (uint64_t i = 0; i < n * size; i++)
                    model[8 + dst + i] = (uint8_t)(ax >> (8 * (i % size)));
                uint64_t got[3];
                run_stos(size, 8 + dst, n, ax, got);
                CHECK(memcmp(area, model, AREA) == 0);
                CHECK_EQ(got[1], 8 + dst + n * size);
                CHECK_EQ(got[2], 0);
                hash_bytes(area, AREA);
                runs++;
            }
    printf("rep stos: %d fills match\n", runs);
}

static void faults(void)
{
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *p = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    uint8_t *guard = p + page;
    CHECK_EQ(mprotect(guard, page, PROT_NONE), 0);
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    for (unsigned before = 1; before <= 21; before += 4) {
        /* A fill running into the guard page. */
        memset(p, 0x11, page);
        uint8_t *d = guard - before;
        uint64_t c = 40;
        if (sigsetjmp(back, 1) == 0)
            __asm__ volatile("rep stosb" : "+D"(d), "+c"(c) : "a"(0xab) : "memory");
        CHECK_EQ(fault_addr - (uint64_t)guard, 0);
        CHECK_EQ(fault_rdi - (uint64_t)guard, 0);
        CHECK_EQ(fault_rcx, 40 - before);
        CHECK_EQ(guard[-1], 0xab);
        CHECK_EQ(guard[-(int)before], 0xab);
        CHECK_EQ(guard[-(int)before - 1], 0x11);

        /* A copy whose source runs into the guard page. */
        uint8_t *s = guard - before;
        memset(s, 0x5c, before);
        d = p + 2 * page + 100;
        uint64_t n = 33;
        if (sigsetjmp(back, 1) == 0)
            __asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
        CHECK_EQ(fault_addr - (uint64_t)guard, 0);
        CHECK_EQ(fault_rsi - (uint64_t)guard, 0);
        CHECK_EQ(fault_rdi - (uint64_t)(p + 2 * page + 100), before);
        CHECK_EQ(fault_rcx, 33 - before);
        CHECK_EQ(p[2 * page + 100 + before - 1], 0x5c);
    }
    printf("rep stos/movs into a guard page fault at its first byte with precise registers\n");
    munmap(p, 3 * page);
}

int main(void)
{
    copies();
    fills();
    faults();
    return check_done("rep_bulk");
}
