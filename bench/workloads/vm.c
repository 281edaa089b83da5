/* A small stack-machine bytecode interpreter (switch dispatch, so an
 * indirect jump per bytecode) running two programs: an arithmetic loop over
 * globals and a recursive Fibonacci using call frames.
 * Size: loop iterations (the Fibonacci argument grows with it). */
#include "common.h"

enum op {
    OP_PUSH, /* imm: push imm */
    OP_LOAD, /* g: push globals[g] */
    OP_STORE, /* g: globals[g] = pop */
    OP_ARG, /* i: push the frame's argument i */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_XOR,
    OP_SHR, /* imm: top >>= imm */
    OP_MOD,
    OP_LT, /* push (a < b) */
    OP_JZ, /* target: jump when pop == 0 */
    OP_JMP, /* target */
    OP_CALL, /* target nargs */
    OP_RET, /* return the top of stack to the caller */
    OP_HALT,
};

#define CODE_MAX 256
#define STACK_MAX 4096
#define FRAMES_MAX 1024

static int64_t code[CODE_MAX];
static int ncode;

static int emit(int64_t w)
{
    code[ncode] = w;
    return ncode++;
}

struct frame {
    int pc, fp;
};

static uint64_t executed;

static int64_t run(int64_t *globals)
{
    int64_t stack[STACK_MAX];
    struct frame frames[FRAMES_MAX];
    int sp = 0, fp = 0, nf = 0, pc = 0;
    uint64_t count = 0;
    for (;;) {
        count++;
        switch ((enum op)code[pc++]) {
        case OP_PUSH:
            stack[sp++] = code[pc++];
            break;
        case OP_LOAD:
            stack[sp++] = globals[code[pc++]];
            break;
        case OP_STORE:
            globals[code[pc++]] = stack[--sp];
            break;
        case OP_ARG:
            stack[sp++] = stack[fp + code[pc++]];
            break;
        case OP_ADD:
            sp--;
            stack[sp - 1] += stack[sp];
            break;
        case OP_SUB:
            sp--;
            stack[sp - 1] -= stack[sp];
            break;
        case OP_MUL:
            sp--;
            stack[sp - 1] *= stack[sp];
            break;
        case OP_XOR:
            sp--;
            stack[sp - 1] ^= stack[sp];
            break;
        case OP_SHR:
            stack[sp - 1] >>= code[pc++];
            break;
        case OP_MOD:
            sp--;
            stack[sp - 1] %= stack[sp];
            break;
        case OP_LT:
            sp--;
            stack[sp - 1] = stack[sp - 1] < stack[sp];
            break;
        case OP_JZ:
            if (stack[--sp] == 0)
                pc = (int)code[pc];
            else
                pc++;
            break;
        case OP_JMP:
            pc = (int)code[pc];
            break;
        case OP_CALL:
            if (nf == FRAMES_MAX) {
                printf("vm: call stack overflow\n");
                exit(1);
            }
            frames[nf].pc = pc + 2;
            frames[nf].fp = fp;
            nf++;
            fp = sp - (int)code[pc + 1];
            pc = (int)code[pc];
            break;
        case OP_RET: {
            int64_t result = stack[sp - 1];
            sp = fp;
            stack[sp++] = result;
            nf--;
            pc = frames[nf].pc;
            fp = frames[nf].fp;
            break;
        }
        case OP_HALT:
            executed += count;
            return sp > 0 ? stack[sp - 1] : 0;
        default:
            printf("vm: bad opcode at %d\n", pc - 1);
            exit(1);
        }
    }
}

/* globals: 0 = i, 1 = acc, 2 = fib result */
static void assemble(long n, long k)
{
    emit(OP_PUSH), emit(0), emit(OP_STORE), emit(0);
    emit(OP_PUSH), emit(1), emit(OP_STORE), emit(1);
    int loop = emit(OP_LOAD);
    emit(0);
    emit(OP_PUSH), emit(n), emit(OP_LT), emit(OP_JZ);
    int exit_patch = emit(0);
    emit(OP_LOAD), emit(1), emit(OP_PUSH), emit(31), emit(OP_MUL);
    emit(OP_LOAD), emit(0), emit(OP_LOAD), emit(0), emit(OP_SHR), emit(3);
    emit(OP_XOR), emit(OP_ADD), emit(OP_PUSH), emit(1000003), emit(OP_MOD);
    emit(OP_STORE), emit(1);
    emit(OP_LOAD), emit(0), emit(OP_PUSH), emit(1), emit(OP_ADD);
    emit(OP_STORE), emit(0), emit(OP_JMP), emit(loop);
    code[exit_patch] = emit(OP_PUSH);
    emit(k);
    emit(OP_CALL);
    int fib_patch = emit(0);
    emit(1);
    emit(OP_STORE), emit(2), emit(OP_LOAD), emit(1), emit(OP_HALT);
    /* fib(x) = x < 2 ? x : fib(x - 1) + fib(x - 2) */
    int fib = emit(OP_ARG);
    emit(0), emit(OP_PUSH), emit(2), emit(OP_LT), emit(OP_JZ);
    int rec_patch = emit(0);
    emit(OP_ARG), emit(0), emit(OP_RET);
    code[rec_patch] = emit(OP_ARG);
    emit(0), emit(OP_PUSH), emit(1), emit(OP_SUB), emit(OP_CALL), emit(fib), emit(1);
    emit(OP_ARG), emit(0), emit(OP_PUSH), emit(2), emit(OP_SUB), emit(OP_CALL);
    emit(fib), emit(1), emit(OP_ADD), emit(OP_RET);
    code[fib_patch] = fib;
}

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 3000000);
    /* Largest k whose call count 2*fib(k+1)-1 stays under n/2. */
    long k = 1, fa = 1, fb = 2;
    while (2 * (fa + fb) - 1 <= n / 2 && k < 40) {
        long t = fa + fb;
        fa = fb;
        fb = t;
        k++;
    }
    assemble(n, k);
    int64_t globals[3] = {0};
    int64_t top = run(globals);
    printf("vm n=%ld acc=%lld fib(%ld)=%lld top=%lld ops=%llu\n", n,
           (long long)globals[1], k, (long long)globals[2], (long long)top,
           (unsigned long long)executed);
    return 0;
}
