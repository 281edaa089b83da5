/* Interpreter loops whose cases jump back to one dispatch block (a few
 * instructions that end in an indirect jump through a table), which a
 * translator may copy into every case's code: a switch-based stack machine
 * in C, then a hand-made one in a page of its own whose dispatch block and
 * then a case are rewritten after many runs (made writable, written, made
 * executable again, as a JIT compiler does), which must run as rewritten
 * from then on. */
#include "check.h"
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

enum op { PUSH, ADD, MUL, DUP, ACC, JNZ, DEC, HALT };

/* A stack machine with switch dispatch and an accumulator; returns the
 * accumulator. */
static __attribute__((noinline)) long run_vm(const long *code)
{
    long stack[64], acc = 0;
    int sp = 0, pc = 0;
    for (;;) {
        switch ((enum op)code[pc++]) {
        case PUSH:
            stack[sp++] = code[pc++];
            break;
        case ADD:
            sp--;
            stack[sp - 1] += stack[sp];
            break;
        case MUL:
            sp--;
            stack[sp - 1] *= stack[sp];
            break;
        case DUP:
            stack[sp] = stack[sp - 1];
            sp++;
            break;
        case ACC:
            acc += stack[--sp];
            break;
        case JNZ:
            if (stack[--sp] != 0)
                pc = (int)code[pc];
            else
                pc++;
            break;
        case DEC:
            stack[sp - 1]--;
            break;
        case HALT:
            return acc;
        }
    }
}

/* Code bytes at offsets of the hand-made machine (see `write_machine`). */
enum { ENTRY = 0x00, STEP_IMM = 0x05, CASE0 = 0x14, CASE1 = 0x1a, CASE1_IMM = 0x1d };

/* long machine(const uint8_t *prog, void **cases): rdx = 0; then per
 * opcode byte: rdx += STEP; opcode > 1 ends (rax = rdx), else jump
 * through cases[opcode]: case 0 adds 1, case 1 adds 10, and both jump back
 * to the dispatch. */
static void write_machine(uint8_t *p)
{
    static const uint8_t code[] = {
        0x31, 0xd2,             /* 00: xor edx, edx */
        0x48, 0x83, 0xc2, 100,  /* 02: add rdx, 100 (dispatch) */
        0x0f, 0xb6, 0x07,       /* 06: movzx eax, byte [rdi] */
        0x48, 0xff, 0xc7,       /* 09: inc rdi */
        0x83, 0xf8, 0x01,       /* 0c: cmp eax, 1 */
        0x77, 0x0f,             /* 0f: ja 0x20 */
        0xff, 0x24, 0xc6,       /* 11: jmp [rsi + rax*8] */
        0x48, 0x83, 0xc2, 0x01, /* 14: add rdx, 1 (case 0) */
        0xeb, 0xe8,             /* 18: jmp 0x02 */
        0x48, 0x83, 0xc2, 0x0a, /* 1a: add rdx, 10 (case 1) */
        0xeb, 0xe2,             /* 1e: jmp 0x02 */
        0x48, 0x89, 0xd0,       /* 20: mov rax, rdx */
        0xc3,                   /* 23: ret */
    };
    memcpy(p, code, sizeof code);
}

typedef long (*machine_fn)(const uint8_t *, void **);

static long run_machine(machine_fn fn, void **cases, int runs)
{
    uint8_t prog[301];
    for (int i = 0; i < 300; i++)
        prog[i] = (uint8_t)((i * 7 / 3) & 1);
    prog[300] = 2;
    long sum = 0;
    for (int r = 0; r < runs; r++)
        sum += fn(prog, cases);
    return sum;
}

int main(void)
{
    /* acc = sum of 3n + 1 for n = 200000 down to 1. */
    const long sum[] = {
        PUSH, 200000, /* 0: n */
        DUP,          /* 2: n n */
        PUSH, 3, MUL, /* 3: n 3n */
        PUSH, 1, ADD, /* 6: n 3n+1 */
        ACC,          /* 9: n */
        DEC,          /* 10: n-1 */
        DUP, JNZ, 2,  /* 11: n-1, to 2 while n-1 != 0 */
        HALT,         /* 14 */
    };
    printf("switch machine: %ld\n", run_vm(sum));

    long ps = sysconf(_SC_PAGESIZE);
    uint8_t *page = mmap(0, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED);
    write_machine(page);
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_EXEC), 0);
    machine_fn fn = (machine_fn)(void *)(page + ENTRY);
    void *cases[2] = {page + CASE0, page + CASE1};
    printf("hand-made machine: %ld\n", run_machine(fn, cases, 300));
    /* The dispatch block's step, then case 1's addend, rewritten. */
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_WRITE), 0);
    page[STEP_IMM] = 50;
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_EXEC), 0);
    printf("dispatch rewritten: %ld\n", run_machine(fn, cases, 300));
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_WRITE), 0);
    page[CASE1_IMM] = 20;
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_EXEC), 0);
    printf("case rewritten: %ld\n", run_machine(fn, cases, 300));
    return check_done("dispatch_loop");
}
