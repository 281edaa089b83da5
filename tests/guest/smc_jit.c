/* Generated and self-modifying code: machine code written into an RWX mapping, run, rewritten
 * and run again; a W^X JIT flipping a page between writable and executable with mprotect;
 * code that patches an immediate a few instructions ahead of itself; and a loop whose body is
 * rewritten between iterations. */
#include "check.h"
#include <sys/mman.h>
#include <unistd.h>

typedef long (*fn0)(void);
typedef long (*fn1)(long);

/* mov eax, imm32 ; ret */
static void emit_return_imm(unsigned char *p, uint32_t imm)
{
    p[0] = 0xb8;
    memcpy(p + 1, &imm, 4);
    p[5] = 0xc3;
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *rwx = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(rwx != MAP_FAILED);
    fn0 f = (fn0)(void *)rwx;
    for (uint32_t v = 1; v <= 5; v++) {
        emit_return_imm(rwx, v * 111);
        long r = f();
        CHECK_EQ(r, v * 111);
        printf("rwx page returns %ld\n", r);
    }

    /* lea rax, [rdi + rdi*2] ; ret  then  imul rax, rdi, 7 ; ret */
    static const unsigned char times3[] = { 0x48, 0x8d, 0x04, 0x7f, 0xc3 };
    static const unsigned char times7[] = { 0x48, 0x6b, 0xc7, 0x07, 0xc3 };
    fn1 g = (fn1)(void *)(rwx + 64);
    memcpy(rwx + 64, times3, sizeof times3);
    long a = g(14);
    memcpy(rwx + 64, times7, sizeof times7);
    long b = g(14);
    CHECK_EQ(a, 42);
    CHECK_EQ(b, 98);
    printf("rewritten function: %ld then %ld\n", a, b);

    /* W^X: write while RW, run while RX */
    unsigned char *wx = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (uint32_t v = 10; v < 13; v++) {
        CHECK_EQ(mprotect(wx, page, PROT_READ | PROT_WRITE), 0);
        emit_return_imm(wx, v);
        CHECK_EQ(mprotect(wx, page, PROT_READ | PROT_EXEC), 0);
        long r = ((fn0)(void *)wx)();
        CHECK_EQ(r, v);
        printf("W^X page returns %ld\n", r);
    }

    /* Code that patches the immediate of an instruction after it, then jumps to it:
     *   mov byte [rip + (imm - next)], dil   ; 40 88 3d rel32
     *   jmp next                              ; eb 00
     * next:
     *   mov eax, imm32                        ; b8 xx xx xx xx
     *   ret                                   ; c3                                   */
    unsigned char *c = rwx + 128;
    unsigned char code[] = { 0x40, 0x88, 0x3d, 0, 0, 0, 0, 0xeb, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3 };
    int32_t rel = (int32_t)(10 - 7); /* target byte (offset 10) minus end of the store (offset 7) */
    memcpy(code + 3, &rel, 4);
    memcpy(c, code, sizeof code);
    fn1 self = (fn1)(void *)c;
    for (long v = 2; v < 6; v++) {
        long r = self(v);
        CHECK_EQ(r, v);
        printf("self-patching code returns %ld\n", r);
    }

    /* A loop calling generated code whose constant changes every iteration. */
    long sum = 0;
    for (uint32_t i = 0; i < 200; i++) {
        emit_return_imm(rwx + 256, i);
        sum += ((fn0)(void *)(rwx + 256))();
    }
    CHECK_EQ(sum, 199 * 200 / 2);
    printf("200 regenerations, sum %ld\n", sum);
    munmap(rwx, page);
    munmap(wx, page);
    return check_done("smc_jit");
}
