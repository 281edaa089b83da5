/* CALL through a register (`call *%rax`, `call *%r11`, `call *%rbx`) or memory (`call
 * *8(%rax)`, and `call *(%rsp)`, which the push changes), and JMP through memory (`jmp
 * *16(%rax)`), whose compiled code goes straight to the target the instruction had when it
 * was first run while its operand holds that: sites that go to one function a thousand
 * times, then to another every 100 times, then to another every time; a jump whose TB first
 * left by an earlier conditional jump; a callee that changes the register the call read; a
 * target on an unmapped page (the fault at the target, the return address pushed). */
#include "check.h"
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef uint64_t (*fn)(uint64_t);

__attribute__((noinline)) static uint64_t add_one(uint64_t x) { return x + 1; }
__attribute__((noinline)) static uint64_t times_three(uint64_t x) { return x * 3; }
__attribute__((noinline)) static uint64_t flip(uint64_t x) { return x ^ 0x5a5a; }

/* via_rax(f, x), via_r11(f, x), via_rbx(f, x): f(x) + 7, calling f through RAX, R11 and
 * RBX. clobber_rbx(x): x + 100, leaving RBX pointing at flip (callee-saved or not, the
 * call's target was read before). */
uint64_t via_rax(fn, uint64_t);
uint64_t via_r11(fn, uint64_t);
uint64_t via_rbx(fn, uint64_t);
uint64_t clobber_rbx(uint64_t);
/* via_mem(t, x): t[1](x) + 7, calling through memory; tail_mem(t, x): t[2](x), jumping
 * through memory, or 0 for x == 0 (a conditional jump out of the same TB first);
 * via_stack(f, x): f(x) + 7, calling through the stack slot the push moves. */
uint64_t via_mem(const fn *, uint64_t);
uint64_t tail_mem(const fn *, uint64_t);
uint64_t via_stack(fn, uint64_t);
__asm__(".text\n"
        "via_mem:\n"
        "    mov %rdi, %rax\n"
        "    mov %rsi, %rdi\n"
        "    sub $8, %rsp\n"
        "    call *8(%rax)\n"
        "    add $7, %rax\n"
        "    add $8, %rsp\n"
        "    ret\n"
        "tail_mem:\n"
        "    test %rsi, %rsi\n"
        "    je 1f\n"
        "    mov %rdi, %rax\n"
        "    mov %rsi, %rdi\n"
        "    jmp *16(%rax)\n"
        "1:  xor %eax, %eax\n"
        "    ret\n"
        "via_stack:\n"
        "    push %rdi\n"
        "    mov %rsi, %rdi\n"
        "    call *(%rsp)\n"
        "    add $7, %rax\n"
        "    add $8, %rsp\n"
        "    ret\n");
__asm__(".text\n"
        "via_rax:\n"
        "    mov %rdi, %rax\n"
        "    mov %rsi, %rdi\n"
        "    sub $8, %rsp\n"
        "    call *%rax\n"
        "    add $7, %rax\n"
        "    add $8, %rsp\n"
        "    ret\n"
        "via_r11:\n"
        "    mov %rdi, %r11\n"
        "    mov %rsi, %rdi\n"
        "    sub $8, %rsp\n"
        "    call *%r11\n"
        "    add $7, %rax\n"
        "    add $8, %rsp\n"
        "    ret\n"
        "via_rbx:\n"
        "    push %rbx\n"
        "    mov %rdi, %rbx\n"
        "    mov %rsi, %rdi\n"
        "    call *%rbx\n"
        "    add $7, %rax\n"
        "    pop %rbx\n"
        "    ret\n"
        "clobber_rbx:\n"
        "    lea 100(%rdi), %rax\n"
        "    lea flip(%rip), %rbx\n"
        "    ret\n");

static sigjmp_buf back;
static volatile uintptr_t fault_addr;
static volatile int fault_sig;
static volatile uint64_t pushed;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    ucontext_t *u = uc;
    fault_sig = sig;
    fault_addr = (uintptr_t)si->si_addr;
    /* The return address the call pushed, at the top of the stack. */
    pushed = *(uint64_t *)u->uc_mcontext.gregs[REG_RSP];
    siglongjmp(back, 1);
}

int main(void)
{
    static const fn targets[3] = {add_one, times_three, flip};
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);

    /* One target throughout, then every 100 calls, then at every call. */
    uint64_t sums[3] = {0, 0, 0}, want[3] = {0, 0, 0};
    for (uint64_t i = 0; i < 3000; i++) {
        fn f = targets[i < 1000 ? 1 : i < 2000 ? (i / 100) % 3 : i % 3];
        sums[0] += via_rax(f, i);
        sums[1] += via_r11(f, i + 1);
        sums[2] += via_rbx(f, i + 2);
        want[0] += f(i) + 7;
        want[1] += f(i + 1) + 7;
        want[2] += f(i + 2) + 7;
    }
    for (int k = 0; k < 3; k++) {
        CHECK_EQ(sums[k], want[k]);
        hash_u64(sums[k]);
    }

    /* Through memory and the stack; the jump's TB first leaves by its JE. */
    uint64_t m[3] = {0, 0, 0}, mw[3] = {0, 0, 0};
    fn table[3];
    CHECK_EQ(tail_mem(table, 0), 0);
    for (uint64_t i = 0; i < 3000; i++) {
        fn f = targets[i < 1000 ? 2 : i < 2000 ? (i / 100) % 3 : i % 3];
        table[1] = table[2] = f;
        m[0] += via_mem(table, i);
        m[1] += tail_mem(table, i + 1);
        m[2] += via_stack(f, i + 2);
        mw[0] += f(i) + 7;
        mw[1] += f(i + 1);
        mw[2] += f(i + 2) + 7;
    }
    for (int k = 0; k < 3; k++) {
        CHECK_EQ(m[k], mw[k]);
        hash_u64(m[k]);
    }

    /* A callee that changes the register the call went through. */
    uint64_t r = 0;
    for (uint64_t i = 0; i < 500; i++)
        r += via_rbx(clobber_rbx, i) + via_rbx(i % 2 ? flip : add_one, i);
    uint64_t w = 0;
    for (uint64_t i = 0; i < 500; i++)
        w += i + 107 + (i % 2 ? flip(i) : add_one(i)) + 7;
    CHECK_EQ(r, w);
    hash_u64(r);

    /* A target on an unmapped page: the fault is at the target, after the call's push. */
    void *gone = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, 4096);
    for (int k = 0; k < 3; k++) {
        fault_sig = 0;
        if (!sigsetjmp(back, 1)) {
            r = via_rax((fn)gone, 1);
            CHECK(0);
        }
        CHECK_EQ(fault_sig, SIGSEGV);
        CHECK_EQ(fault_addr, (uintptr_t)gone);
        CHECK(pushed > (uint64_t)via_rax && pushed < (uint64_t)via_r11);
        CHECK_EQ(via_rax(add_one, 5), 13);
    }
    return check_done("indirect_targets");
}
