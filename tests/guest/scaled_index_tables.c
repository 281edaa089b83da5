/* Accesses at an index times a scale plus a displacement, without a base
 * register: `mov rax, [rcx * 8 + table]` (a global table in a program not
 * built position-independent, a switch's jump table) and the same form
 * written in asm for any build: loads of each width, sign- and
 * zero-extended, stores of registers and constants, SSE loads and stores,
 * and a fault at such an address caught with its address. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint8_t u8t[64];
static int8_t s8t[64];
static uint16_t u16t[64];
static int16_t s16t[64];
static uint32_t u32t[64];
static int32_t s32t[64];
static uint64_t u64t[64];
static double dt[64];

static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

/* The index that reaches `p` from displacement `disp` at `scale`. */
static uint64_t idx(const void *p, long disp, int scale)
{
    return ((uintptr_t)p - disp) / scale;
}

static __attribute__((noinline)) int pick(int k)
{
    switch (k) {
    case 0: return 11;
    case 1: return 23;
    case 2: return 37;
    case 3: return 41;
    case 4: return 53;
    case 5: return 67;
    case 6: return 71;
    default: return 89;
    }
}

static void tables(void)
{
    for (int i = 0; i < 64; i++) {
        uint64_t r = next();
        u8t[i] = (uint8_t)r;
        s8t[i] = (int8_t)(r >> 8);
        u16t[i] = (uint16_t)(r >> 16);
        s16t[i] = (int16_t)(r >> 24);
        u32t[i] = (uint32_t)(r >> 32);
        s32t[i] = (int32_t)(r >> 16);
        u64t[i] = r;
        dt[i] = (double)(int64_t)r / 3.0;
    }
    uint64_t sum = 0;
    double dsum = 0;
    for (int round = 0; round < 200; round++) {
        unsigned i = (unsigned)next() & 63, j = (unsigned)next() & 63;
        sum += u8t[i] + (int64_t)s8t[j] + u16t[j] + (int64_t)s16t[i];
        sum += u32t[i] * 3 + (int64_t)s32t[j] + u64t[i ^ j];
        sum += (uint64_t)pick((int)(next() & 7));
        dsum += dt[i] - dt[j] / 2;
        u8t[j] = (uint8_t)sum;
        s16t[i] = (int16_t)(sum >> 3);
        u32t[j] = (uint32_t)(sum >> 5);
        u64t[i] += sum;
        s8t[i] = -5;
        u16t[j] = 0x8001;
        s32t[i] = -77777;
        dt[j] = dsum;
    }
    printf("tables: %llx %.6e\n", (unsigned long long)sum, dsum);
}

static void asm_forms(void)
{
    static uint64_t buf[8] __attribute__((aligned(16)));
    for (int i = 0; i < 8; i++)
        buf[i] = 0x8899aabbccddeeffull ^ ((uint64_t)i * 0x0101010101010101ull);
    uint64_t a, b, c, d, e, f, g;
    /* Loads: the element at buf + 16 through each scale. */
    asm volatile("movzbq 16(,%1,2), %0" : "=r"(a) : "r"(idx(buf, 16, 2)) : "memory");
    asm volatile("movsbq 17(,%1,4), %0" : "=r"(b) : "r"(idx(buf, 16, 4)) : "memory");
    asm volatile("movzwq 18(,%1,8), %0" : "=r"(c) : "r"(idx(buf, 16, 8)) : "memory");
    asm volatile("movswq 20(,%1,2), %0" : "=r"(d) : "r"(idx(buf, 16, 2)) : "memory");
    asm volatile("movl 20(,%1,4), %k0" : "=r"(e) : "r"(idx(buf, 16, 4)) : "memory");
    asm volatile("movslq 20(,%1,8), %0" : "=r"(f) : "r"(idx(buf, 16, 8)) : "memory");
    asm volatile("movq -8(,%1,8), %0" : "=r"(g) : "r"(idx(buf, -8, 8)) : "memory");
    printf("loads: %llx %llx %llx %llx %llx %llx %llx\n", (unsigned long long)a,
           (unsigned long long)b, (unsigned long long)c, (unsigned long long)d,
           (unsigned long long)e, (unsigned long long)f, (unsigned long long)g);
    /* Stores of registers and of constants. */
    uint64_t v = 0x0123456789abcdefull;
    asm volatile("movb %b0, 24(,%1,8)" : : "r"(v), "r"(idx(buf, 24, 8)) : "memory");
    asm volatile("movw %w0, 26(,%1,2)" : : "r"(v), "r"(idx(buf, 24, 2)) : "memory");
    asm volatile("movl %k0, 28(,%1,4)" : : "r"(v), "r"(idx(buf, 24, 4)) : "memory");
    asm volatile("movq %0, 32(,%1,8)" : : "r"(v), "r"(idx(buf, 32, 8)) : "memory");
    asm volatile("movb $0x5a, 40(,%0,2)" : : "r"(idx(buf, 40, 2)) : "memory");
    asm volatile("movw $-2, 42(,%0,4)" : : "r"(idx(buf, 40, 4)) : "memory");
    asm volatile("movl $0x7e57, 44(,%0,8)" : : "r"(idx(buf, 40, 8)) : "memory");
    asm volatile("movq $-3, 48(,%0,8)" : : "r"(idx(buf, 48, 8)) : "memory");
    /* SSE: 8 and 16 bytes. */
    asm volatile("movq 0(,%0,8), %%xmm1\n\t"
                 "movdqu 8(,%0,8), %%xmm2\n\t"
                 "paddq %%xmm1, %%xmm2\n\t"
                 "movdqu %%xmm2, 40(,%0,8)\n\t"
                 "movq %%xmm1, 24(,%0,8)"
                 :
                 : "r"(idx(buf, 0, 8))
                 : "xmm1", "xmm2", "memory");
    for (int i = 0; i < 8; i++)
        printf("buf[%d] = %016llx\n", i, (unsigned long long)buf[i]);
}

static sigjmp_buf back;
static void *fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_addr = si->si_addr;
    siglongjmp(back, 1);
}

static void fault(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    munmap(p + page, page);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    char *want = p + page + 8;
    if (!sigsetjmp(back, 1)) {
        uint64_t x;
        asm volatile("movq 8(,%1,8), %0" : "=r"(x) : "r"(idx(want, 8, 8)) : "memory");
        printf("load not faulted: %llx\n", (unsigned long long)x);
    } else {
        printf("load faulted at page + %ld\n", (long)((char *)fault_addr - (p + page)));
    }
    want = p + page + 4;
    if (!sigsetjmp(back, 1)) {
        asm volatile("movl $1, 4(,%0,4)" : : "r"(idx(want, 4, 4)) : "memory");
        printf("store not faulted\n");
    } else {
        printf("store faulted at page + %ld\n", (long)((char *)fault_addr - (p + page)));
    }
    munmap(p, page);
}

int main(void)
{
    tables();
    asm_forms();
    fault();
    return 0;
}
