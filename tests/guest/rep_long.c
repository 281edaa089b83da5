/* Long REP MOVS and REP STOS (a kilobyte and more, which ox86 runs as the
 * host's own string instructions) of every element size: overlapping and
 * disjoint copies must equal element-by-element execution, and a string
 * running into an inaccessible page (on its source or destination side)
 * faults at the first inaccessible byte with RDI, RSI and RCX describing
 * exactly the elements done and every one of them done. Also DF set, which
 * goes element by element. */
#include "check.h"
#include "string_fault.h"
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#define AREA (6 * 65536)

static uint8_t *area, *model;

static void fill(uint8_t *p, int64_t n, unsigned seed)
{
    for (int64_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

#define REP(insn, s, d, n) __asm__ volatile(insn : "+S"(s), "+D"(d), "+c"(n) : : "memory")

/* rep movs of `n` elements of `size` bytes, backwards if `down`; out: how
 * far rsi and rdi moved, and rcx. */
static void movs(int size, uint8_t *s, uint8_t *d, uint64_t n, int down, uint64_t *out)
{
    uint8_t *s0 = s, *d0 = d;
    switch (size * 2 + down) {
    case 2: REP("rep movsb", s, d, n); break;
    case 3: REP("std; rep movsb; cld", s, d, n); break;
    case 4: REP("rep movsw", s, d, n); break;
    case 5: REP("std; rep movsw; cld", s, d, n); break;
    case 8: REP("rep movsl", s, d, n); break;
    case 9: REP("std; rep movsl; cld", s, d, n); break;
    case 16: REP("rep movsq", s, d, n); break;
    default: REP("std; rep movsq; cld", s, d, n); break;
    }
    out[0] = (uint64_t)(s - s0);
    out[1] = (uint64_t)(d - d0);
    out[2] = n;
}

static void stos(int size, uint8_t *d, uint64_t n, uint64_t ax, uint64_t *out)
{
    uint8_t *d0 = d;
    switch (size) {
    case 1: __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(ax) : "memory"); break;
    case 2: __asm__ volatile("rep stosw" : "+D"(d), "+c"(n) : "a"(ax) : "memory"); break;
    case 4: __asm__ volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(ax) : "memory"); break;
    default: __asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(ax) : "memory"); break;
    }
    out[1] = (uint64_t)(d - d0);
    out[2] = n;
}

static void copies(void)
{
    static const uint64_t bytes[] = { 1024, 1500, 5000 };
    static const int gaps[] = { -4096, -9, -1, 1, 8, 70000 };
    int runs = 0;
    for (int size = 1; size <= 8; size *= 2)
        for (unsigned bi = 0; bi < sizeof bytes / sizeof bytes[0]; bi++)
            for (unsigned gi = 0; gi < sizeof gaps / sizeof gaps[0]; gi++)
                for (int down = 0; down <= 1; down++) {
                    uint64_t n = bytes[bi] / size;
                    int64_t span = (int64_t)n * size;
                    /* Source and destination inside the area either way. */
                    int64_t s = 2 * 65536 + (bi & 3), d = s + gaps[gi];
                    if (down) {
                        s += span - size;
                        d += span - size;
                    }
                    /* The bytes either side may change: a window around both. */
                    int64_t lo = (s < d ? s : d) - span - 64, hi = (s > d ? s : d) + span + 64;
                    fill(area + lo, hi - lo, (unsigned)(bi * 31 + gi + down));
                    memcpy(model + lo, area + lo, hi - lo);
                    for (uint64_t i = 0; i < n; i++) {
                        int64_t k = down ? -(int64_t)i * size : (int64_t)i * size;
                        uint8_t e[8];
                        memcpy(e, model + s + k, size);
                        memcpy(model + d + k, e, size);
                    }
                    uint64_t got[3];
                    movs(size, area + s, area + d, n, down, got);
                    CHECK(memcmp(area + lo, model + lo, hi - lo) == 0);
                    CHECK_EQ(got[0], down ? -(uint64_t)span : (uint64_t)span);
                    CHECK_EQ(got[1], down ? -(uint64_t)span : (uint64_t)span);
                    CHECK_EQ(got[2], 0);
                    hash_bytes(area + lo, hi - lo);
                    runs++;
                }
    printf("long rep movs: %d copies match element-by-element order\n", runs);
}

static void fills(void)
{
    static const uint64_t bytes[] = { 1024, 1088, 4096, 9999, 65536 };
    int runs = 0;
    for (int size = 1; size <= 8; size *= 2)
        for (unsigned bi = 0; bi < sizeof bytes / sizeof bytes[0]; bi++)
            for (unsigned dst = 0; dst < 9; dst += 4) {
                uint64_t n = bytes[bi] / size, ax = 0x1122334455667788ull ^ (bi * 0x0101u);
                memset(area, 0x5a ^ (int)(dst + bi), 70000);
                memcpy(model, area, 70000);
                for (uint64_t i = 0; i < n * size; i++)
                    model[100 + dst + i] = (uint8_t)(ax >> (8 * (i % size)));
                uint64_t got[3];
                stos(size, area + 100 + dst, n, ax, got);
                CHECK(memcmp(area, model, 70000) == 0);
                CHECK_EQ(got[1], n * size);
                CHECK_EQ(got[2], 0);
                hash_bytes(area, 70000);
                runs++;
            }
    printf("long rep stos: %d fills match\n", runs);
}

static void faults(void)
{
    long page = sysconf(_SC_PAGESIZE);
    /* Two pages, a guard page, two more pages. */
    uint8_t *p = mmap(NULL, 5 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    uint8_t *guard = p + 2 * page, *far = p + 3 * page;
    CHECK_EQ(mprotect(guard, page, PROT_NONE), 0);
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    for (int size = 1; size <= 8; size *= 2)
        for (unsigned before = 1024; before <= 5000; before += 1328) {
            uint64_t total = before / size + 300, done = before / size;
            /* A fill whose destination runs into the guard page. */
            memset(p, 0x11, 2 * page);
            uint8_t *d = guard - done * size;
            uint64_t out[3];
            fault_addr = 0;
            if (sigsetjmp(back, 1) == 0)
                stos(size, d, total, 0xababababababababull, out);
            CHECK_EQ(fault_addr - (uint64_t)guard, 0);
            CHECK_EQ(fault_rdi - (uint64_t)guard, 0);
            CHECK_EQ(fault_rcx, total - done);
            CHECK_EQ(guard[-1], 0xab);
            CHECK_EQ(guard[-(int)(done * size)], 0xab);
            CHECK_EQ(guard[-(int)(done * size) - 1], 0x11);

            /* A copy whose destination runs into the guard page. */
            memset(far, 0x5c, 2 * page);
            memset(p, 0x11, 2 * page);
            uint8_t *s = far;
            d = guard - done * size;
            uint64_t c = total;
            if (sigsetjmp(back, 1) == 0)
                movs(size, s, d, c, 0, out);
            CHECK_EQ(fault_addr - (uint64_t)guard, 0);
            CHECK_EQ(fault_rdi - (uint64_t)guard, 0);
            CHECK_EQ(fault_rsi - (uint64_t)far, done * size);
            CHECK_EQ(fault_rcx, total - done);
            CHECK_EQ(guard[-1], 0x5c);
            CHECK_EQ(guard[-(int)(done * size)], 0x5c);
            CHECK_EQ(guard[-(int)(done * size) - 1], 0x11);

            /* A copy whose source runs into the guard page. */
            memset(far, 0x22, 2 * page);
            memset(p, 0x5d, 2 * page);
            s = guard - done * size;
            d = far + 8;
            c = total;
            if (sigsetjmp(back, 1) == 0)
                movs(size, s, d, c, 0, out);
            CHECK_EQ(fault_addr - (uint64_t)guard, 0);
            CHECK_EQ(fault_rsi - (uint64_t)guard, 0);
            CHECK_EQ(fault_rdi - (uint64_t)far, 8 + done * size);
            CHECK_EQ(fault_rcx, total - done);
            CHECK_EQ(far[8 + done * size - 1], 0x5d);
            CHECK_EQ(far[8 + done * size], 0x22);
            CHECK_EQ(far[7], 0x22);
        }
    printf("long rep stos/movs into a guard page fault at its first byte with precise registers\n");
    munmap(p, 5 * page);
}

int main(void)
{
    area = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    model = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(area != MAP_FAILED && model != MAP_FAILED);
    copies();
    fills();
    faults();
    return check_done("rep_long");
}
