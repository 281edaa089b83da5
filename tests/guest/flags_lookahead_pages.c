/* A compare whose conditional jump leads to another page, where the code
 * first overwrites every flag: the translator may leave that exit's flags
 * uncomputed, relying on the code there. The code there is then rewritten
 * (mprotect of that page alone) to read CF: the flags must be there
 * again, whatever the flags were before the compare. */
#include "check.h"
#include <sys/mman.h>
#include <unistd.h>

/* call_with_cf(fn, a, b, cf): CF = cf & 1, then a tail call fn(a, b). */
__asm__(".text\n"
        ".globl call_with_cf\n"
        "call_with_cf:\n"
        "    mov %rdi, %rax\n"
        "    mov %rsi, %rdi\n"
        "    mov %rdx, %rsi\n"
        "    bt $0, %ecx\n"
        "    jmp *%rax\n");
int call_with_cf(void *fn, long a, long b, int cf);

/* On the first page: cmp rdi, rsi; jne <second page + 0x10>; xor eax, eax;
 * mov al, 7; ret (the flags overwritten first where the jump is not taken) */
static const unsigned char compare[] = {0x48, 0x39, 0xf7, 0x0f, 0x85, 0, 0, 0,
                                        0,    0x31, 0xc0, 0xb0, 0x07, 0xc3};
#define JNE_END 9
/* At the jump's target: xor eax, eax; inc eax; ret (the flags overwritten
 * first), then sbb eax, eax; nop; nop; ret (CF read). */
static const unsigned char kills[] = {0x31, 0xc0, 0xff, 0xc0, 0xc3};
static const unsigned char reads[] = {0x19, 0xc0, 0x90, 0x90, 0xc3};

/* Runs the compare often enough to be compiled; returns a digest of the
 * results, checking them against `taken_below` (jne taken with a < b) and
 * `taken_above` (a > b). */
static unsigned run(void *fn, int taken_below, int taken_above)
{
    unsigned digest = 0;
    for (int i = 0; i < 20000; i++) {
        int below = call_with_cf(fn, 1, 2, i & 1);
        int above = call_with_cf(fn, 3, 2, ~i & 1);
        int equal = call_with_cf(fn, 2, 2, i & 1);
        if (below != taken_below || above != taken_above || equal != 7) {
            CHECK_EQ(below, taken_below);
            CHECK_EQ(above, taken_above);
            CHECK_EQ(equal, 7);
            break;
        }
        digest = digest * 31 + (unsigned)(below + above + equal);
    }
    return digest;
}

int main(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    unsigned char *code = mmap(0, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(code != MAP_FAILED);
    unsigned char *target = code + ps + 0x10;
    memcpy(code, compare, sizeof compare);
    int rel = (int)(target - (code + JNE_END));
    memcpy(code + JNE_END - 4, &rel, 4);
    memcpy(target, kills, sizeof kills);
    CHECK_EQ(mprotect(code, 2 * ps, PROT_READ | PROT_EXEC), 0);

    printf("killed %u\n", run(code, 1, 1));

    /* The second page alone is rewritten. */
    CHECK_EQ(mprotect(code + ps, ps, PROT_READ | PROT_WRITE), 0);
    memcpy(target, reads, sizeof reads);
    CHECK_EQ(mprotect(code + ps, ps, PROT_READ | PROT_EXEC), 0);

    printf("read %u\n", run(code, -1, 0));
    return check_done("flags_lookahead_pages");
}
