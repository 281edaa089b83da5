/* Instruction fetch faults at the end of a page: straight-line code runs into an unmapped page
 * (after enough instructions that the fetch is refilled on the way), an instruction straddles
 * the boundary (after a forward jump over filler bytes), and a call lands on the unmapped page.
 * Each SIGSEGV reports si_addr = the first unmapped byte, RIP = the start of the instruction,
 * and the registers as left by the instructions before it. Calls through a null function
 * pointer, many times from one place, fault at address 0. */
#include "check.h"
#include "segv_record.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* Runs the code at `entry` (it must fault) and checks the fault. */
static void run(unsigned char *entry, unsigned char *want_rip, unsigned char *unmapped,
                unsigned long long want_rax)
{
    last_rip = last_rax = 0;
    memset(&last, 0, sizeof last);
    if (sigsetjmp(recover, 1) == 0) {
        ((void (*)(void))entry)();
        CHECK(0); /* not reached */
    }
    CHECK_EQ(last.si_signo, SIGSEGV);
    CHECK_EQ(last.si_code, SEGV_MAPERR);
    CHECK_EQ(last.si_addr, unmapped);
    CHECK_EQ(last_rip, want_rip);
    CHECK_EQ(last_rax, want_rax);
}

int main(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    record_segv();
    unsigned char *base = mmap(0, 2 * ps, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(base != MAP_FAILED);
    unsigned char *end = base + ps;
    CHECK_EQ(munmap(end, ps), 0);

    /* 1: xor eax, eax; 100 x inc eax; then the page ends. */
    unsigned char *p = end - 2 - 200;
    *p++ = 0x31, *p++ = 0xc0;
    for (int i = 0; i < 100; i++)
        *p++ = 0xff, *p++ = 0xc0;
    run(end - 202, end, end, 100);

    /* 2: mov eax, 7; jmp +20 over filler; inc eax; then mov rax, imm64 with 4 bytes on the page. */
    p = end - 4 - 2 - 2 - 20 - 5;
    unsigned char *entry = p;
    *p++ = 0xb8, *p++ = 7, *p++ = 0, *p++ = 0, *p++ = 0;
    *p++ = 0xeb, *p++ = 20;
    for (int i = 0; i < 10; i++)
        *p++ = 0x0f, *p++ = 0x0b; /* ud2 filler, never run */
    *p++ = 0xff, *p++ = 0xc0;
    unsigned char *straddle = p;
    *p++ = 0x48, *p++ = 0xb8, *p++ = 0x11, *p++ = 0x22;
    CHECK_EQ(p, end);
    run(entry, straddle, end, 8);

    /* 3: mov eax, 3; call the unmapped page. */
    p = base;
    *p++ = 0xb8, *p++ = 3, *p++ = 0, *p++ = 0, *p++ = 0;
    *p++ = 0xe8;
    int rel = (int)(end - (p + 4));
    memcpy(p, &rel, 4);
    run(base, end, end, 3);

    /* 4: mov eax, 5; call rdx (0), 50 times. */
    p = base + 64;
    *p++ = 0xb8, *p++ = 5, *p++ = 0, *p++ = 0, *p++ = 0;
    *p++ = 0xff, *p++ = 0xd2;
    for (int i = 0; i < 50; i++) {
        last_rip = last_rax = 1;
        memset(&last, 0, sizeof last);
        if (sigsetjmp(recover, 1) == 0) {
            __asm__ volatile("xor %%edx, %%edx\n\tcall *%0" : : "r"(base + 64) : "rax", "rdx", "memory");
            CHECK(0); /* not reached */
        }
        CHECK_EQ(last.si_signo, SIGSEGV);
        CHECK_EQ(last.si_code, SEGV_MAPERR);
        CHECK_EQ(last.si_addr, (void *)0);
        CHECK_EQ(last_rip, 0);
        CHECK_EQ(last_rax, 5);
    }

    return check_done("fetch_fault");
}
