/* Code runs only from executable memory, as with the CPU's no-execute bit:
 * a call into a readable and writable page, the stack or the heap raises
 * SIGSEGV (SEGV_ACCERR, si_addr and RIP the target) even with valid code
 * there; code made executable by mprotect runs, and stops running when
 * mprotect takes that back after it ran often enough to be compiled; code
 * running off the end of an executable page into a writable one faults at
 * the first byte there, RIP the instruction that crosses. */
#include "check.h"
#include "segv_record.h"
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* Calls `entry` with EAX = 0x55 (the code there must fault) and checks the fault. */
static void faults(unsigned char *entry, unsigned char *want_rip, unsigned char *want_addr,
                   unsigned long long want_rax)
{
    last_rip = last_rax = 0;
    memset(&last, 0, sizeof last);
    if (sigsetjmp(recover, 1) == 0) {
        __asm__ volatile("mov $0x55, %%eax\n\tcall *%0" : : "r"(entry) : "rax", "rcx", "rdx",
                         "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
        CHECK(0); /* not reached */
    }
    CHECK_EQ(last.si_signo, SIGSEGV);
    CHECK_EQ(last.si_code, SEGV_ACCERR);
    CHECK_EQ(last.si_addr, want_addr);
    CHECK_EQ(last_rip, want_rip);
    CHECK_EQ(last_rax, want_rax);
}

/* mov eax, imm32; ret */
static void code_returning(unsigned char *p, int value)
{
    p[0] = 0xb8;
    memcpy(p + 1, &value, 4);
    p[5] = 0xc3;
}

static int call(unsigned char *code)
{
    return ((int (*)(void))(void *)code)();
}

int main(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    record_segv();

    /* A readable and writable page. */
    unsigned char *page = mmap(0, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED);
    code_returning(page, 1);
    faults(page, page, page, 0x55);

    /* Executable: runs, long enough to be compiled. */
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_EXEC), 0);
    long sum = 0;
    for (int i = 0; i < 2000; i++)
        sum += call(page);
    CHECK_EQ(sum, 2000);

    /* Readable only again: the compiled code must not run. */
    CHECK_EQ(mprotect(page, ps, PROT_READ), 0);
    for (int i = 0; i < 3; i++)
        faults(page, page, page, 0x55);

    /* The stack and the heap. */
    unsigned char on_stack[16];
    code_returning(on_stack, 2);
    faults(on_stack, on_stack, on_stack, 0x55);
    unsigned char *on_heap = malloc(64);
    CHECK(on_heap != NULL);
    code_returning(on_heap, 3);
    faults(on_heap, on_heap, on_heap, 0x55);
    free(on_heap);

    /* Off the end of an executable page: inc eax at its last 3 bytes
     * but 2, then mov eax, imm32 crossing into the writable page. */
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_WRITE), 0);
    unsigned char *end = page + ps;
    unsigned char *p = end - 4;
    *p++ = 0xff, *p++ = 0xc0;
    *p++ = 0xb8, *p++ = 0x99;
    memset(end, 0x11, 16);
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_EXEC), 0);
    faults(end - 4, end - 2, end, 0x56);

    /* A whole instruction at the start of the writable page. */
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_WRITE), 0);
    p = end - 2;
    *p++ = 0xff, *p++ = 0xc0;
    code_returning(end, 4);
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_EXEC), 0);
    faults(end - 2, end, end, 0x56);

    /* Both executable: it runs through. */
    CHECK_EQ(mprotect(page, 2 * ps, PROT_READ | PROT_EXEC), 0);
    CHECK_EQ(call(end - 2), 4);

    printf("no-execute: %ld\n", sum);
    return check_done("exec_nx");
}
