/* JMP and CALL through a fixed memory slot (`jmp *slot(%rip)`, `call *slot(%rip)`, and the
 * absolute `jmp *0x20000000` / `call *0x20000000`: what PLT stubs and -fno-plt calls do),
 * in hot loops while the slot's target changes, so that code compiled for one target meets
 * another; then slots that lead to an unmapped page, a slot on a page that is unmapped or
 * made unreadable after the jump was compiled, and the library calls of the dynamically
 * linked builds, whose GOT entries lazy binding rewrites at their first call. */
#include "check.h"
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The absolute slot: a page at a fixed address that a 32-bit displacement reaches. */
#define ABS_PAGE 0x20000000UL

typedef uint64_t (*fn)(uint64_t);
fn slot;

__attribute__((noinline)) static uint64_t add_one(uint64_t x) { return x + 1; }
__attribute__((noinline)) static uint64_t times_three(uint64_t x) { return x * 3; }
__attribute__((noinline)) static uint64_t flip(uint64_t x) { return x ^ 0x5a5a; }

/* jump_slot(x) and jump_abs(x): tail jumps through `slot` and through the absolute slot;
 * call_slot(x) and call_abs(x): calls through them, then 7 added to the result. */
uint64_t jump_slot(uint64_t);
uint64_t jump_abs(uint64_t);
uint64_t call_slot(uint64_t);
uint64_t call_abs(uint64_t);
__asm__(".text\n"
        "jump_slot:\n"
        "    jmp *slot(%rip)\n"
        "jump_abs:\n"
        "    jmp *0x20000000\n"
        "call_slot:\n"
        "    sub $8, %rsp\n"
        "    call *slot(%rip)\n"
        "    add $7, %rax\n"
        "    add $8, %rsp\n"
        "    ret\n"
        "call_abs:\n"
        "    sub $8, %rsp\n"
        "    call *0x20000000\n"
        "    add $7, %rax\n"
        "    add $8, %rsp\n"
        "    ret\n");

static fn *abs_slot = (fn *)ABS_PAGE;

static sigjmp_buf back;
static volatile uintptr_t fault_addr;
static volatile int fault_sig;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_sig = sig;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(back, 1);
}

/* Runs `through(x)` with the signal handler armed; returns 1 if it faulted. */
static int faults(uint64_t (*through)(uint64_t), uint64_t x, uint64_t *out)
{
    fault_sig = 0;
    fault_addr = 0;
    if (sigsetjmp(back, 1))
        return 1;
    *out = through(x);
    return 0;
}

static void map_abs_page(int prot)
{
    void *p = mmap((void *)ABS_PAGE, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(p == (void *)ABS_PAGE);
}

int main(void)
{
    static const fn targets[3] = {add_one, times_three, flip};
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    map_abs_page(PROT_READ | PROT_WRITE);

    /* The target changes every 100 iterations, then every iteration. */
    uint64_t sums[4] = {0, 0, 0, 0}, want[4] = {0, 0, 0, 0};
    for (uint64_t i = 0; i < 3000; i++) {
        fn f = targets[i < 1500 ? (i / 100) % 3 : i % 3];
        slot = f;
        *abs_slot = f;
        sums[0] += jump_slot(i);
        sums[1] += jump_abs(i + 1);
        sums[2] += call_slot(i + 2);
        sums[3] += call_abs(i + 3);
        want[0] += f(i);
        want[1] += f(i + 1);
        want[2] += f(i + 2) + 7;
        want[3] += f(i + 3) + 7;
    }
    for (int k = 0; k < 4; k++) {
        CHECK_EQ(sums[k], want[k]);
        hash_u64(sums[k]);
    }

    /* A slot that leads to an unmapped page: the fault is at the target. */
    void *gone = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, 4096);
    uint64_t r = 0;
    for (int k = 0; k < 3; k++) {
        slot = (fn)gone;
        CHECK(faults(jump_slot, 1, &r));
        CHECK_EQ(fault_sig, SIGSEGV);
        CHECK_EQ(fault_addr, (uintptr_t)gone);
        *abs_slot = (fn)gone;
        CHECK(faults(call_abs, 1, &r));
        CHECK_EQ(fault_addr, (uintptr_t)gone);
        slot = add_one;
        CHECK(!faults(call_slot, 5, &r));
        CHECK_EQ(r, 13);
    }

    /* The absolute slot's page made unreadable, then unmapped, under compiled jumps: the
     * slot's read faults, at the slot. */
    *abs_slot = times_three;
    CHECK(!faults(jump_abs, 5, &r));
    CHECK_EQ(r, 15);
    mprotect((void *)ABS_PAGE, 4096, PROT_NONE);
    CHECK(faults(jump_abs, 5, &r));
    CHECK_EQ(fault_addr, ABS_PAGE);
    CHECK(faults(call_abs, 5, &r));
    CHECK_EQ(fault_addr, ABS_PAGE);
    munmap((void *)ABS_PAGE, 4096);
    CHECK(faults(jump_abs, 5, &r));
    CHECK_EQ(fault_addr, ABS_PAGE);
    /* Mapped again with another target: the jumps go there. */
    map_abs_page(PROT_READ | PROT_WRITE);
    *abs_slot = flip;
    CHECK(!faults(jump_abs, 5, &r));
    CHECK_EQ(r, 5 ^ 0x5a5a);
    CHECK(!faults(call_abs, 5, &r));
    CHECK_EQ(r, (5 ^ 0x5a5a) + 7);

    /* Library calls through the PLT (GOT entries bound lazily in the dynamic builds). */
    char buf[64];
    uint64_t lib = 0;
    for (int i = 0; i < 500; i++) {
        lib += strlen(i % 2 ? "slot" : "jumps") + (uint64_t)abs(-i);
        snprintf(buf, sizeof buf, "%d", i);
        lib += strtoul(buf, 0, 10);
    }
    CHECK_EQ(lib, 4 * 250 + 5 * 250 + 2 * 124750);
    hash_u64(lib);
    return check_done("slot_jumps");
}
