/* Control flow as compilers emit it: dense switches (jump tables), sparse switches, computed
 * goto, tables of function pointers, mutual and tail recursion, a small bytecode interpreter,
 * and indirect calls through structs: many indirect branches with changing targets. */
#include "check.h"

static int dense(int x)
{
    switch (x) {
    case 0: return 11;
    case 1: return 22;
    case 2: return 33;
    case 3: return 44;
    case 4: return 55;
    case 5: return 66;
    case 6: return 77;
    case 7: return 88;
    case 8: return 99;
    case 9: return 110;
    case 10: return 121;
    case 11: return 132;
    default: return -1;
    }
}

static int sparse(long x)
{
    switch (x) {
    case -1000000: return 1;
    case -7: return 2;
    case 0: return 3;
    case 13: return 4;
    case 4096: return 5;
    case 1L << 40: return 6;
    default: return 0;
    }
}

static long computed_goto(const unsigned char *prog, int n)
{
    static void *labels[] = { &&op_inc, &&op_dbl, &&op_neg, &&op_sq, &&op_end };
    long acc = 1;
    int pc = 0;
#define NEXT                                 \
    do {                                     \
        if (pc >= n)                         \
            return acc;                      \
        goto *labels[prog[pc++] % 5];        \
    } while (0)
    NEXT;
op_inc:
    acc += 3;
    NEXT;
op_dbl:
    acc *= 2;
    NEXT;
op_neg:
    acc = -acc;
    NEXT;
op_sq:
    acc = acc * acc % 1000003;
    NEXT;
op_end:
    return acc;
#undef NEXT
}

static long f_add(long a, long b) { return a + b; }
static long f_sub(long a, long b) { return a - b; }
static long f_mul(long a, long b) { return a * b; }
static long f_div(long a, long b) { return b ? a / b : 0; }
static long f_xor(long a, long b) { return a ^ b; }
static long (*const ops[])(long, long) = { f_add, f_sub, f_mul, f_div, f_xor };

static int is_even(unsigned n);
static int is_odd(unsigned n)
{
    return n == 0 ? 0 : is_even(n - 1);
}
static int is_even(unsigned n)
{
    return n == 0 ? 1 : is_odd(n - 1);
}

static long gcd(long a, long b)
{
    return b == 0 ? a : gcd(b, a % b);
}

/* A stack-machine interpreter: push imm, add, mul, dup, swap, jnz back, dec, halt. */
enum { PUSH, ADD, MUL, DUP, SWAP, JNZ, DEC, DROP, HALT };
static long run_vm(const long *code)
{
    long stack[64];
    int sp = 0, pc = 0;
    for (long steps = 0; steps < 1000000; steps++) {
        switch (code[pc++]) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case SWAP: { long t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case JNZ: { long target = code[pc++]; if (stack[sp - 1]) pc = (int)target; break; }
        case DEC: stack[sp - 1]--; break;
        case DROP: sp--; break;
        case HALT: return stack[sp - 1];
        }
    }
    return -1;
}

struct shape {
    const char *name;
    long (*area)(const struct shape *);
    long w, h;
};
static long rect_area(const struct shape *s) { return s->w * s->h; }
static long tri_area(const struct shape *s) { return s->w * s->h / 2; }
static long square_area(const struct shape *s) { return s->w * s->w; }

int main(void)
{
    long sum = 0;
    for (int i = -3; i < 20; i++) {
        int d = dense(i);
        sum += d;
        printf("dense(%d)=%d ", i, d);
    }
    printf("\nsum %ld\n", sum);
    CHECK_EQ(sum, -11 + 858);
    static const long sv[] = { -1000000, -7, 0, 13, 4096, 1L << 40, 5, -8, 1L << 41 };
    for (unsigned i = 0; i < sizeof(sv) / sizeof(sv[0]); i++)
        printf("sparse(%ld)=%d\n", sv[i], sparse(sv[i]));

    unsigned char prog[64];
    for (int round = 0; round < 8; round++) {
        for (int i = 0; i < 64; i++)
            prog[i] = (unsigned char)(lcg() % 4);
        prog[40 + round] = 4;
        long r = computed_goto(prog, 64);
        printf("computed goto program %d -> %ld\n", round, r);
        hash_u64((uint64_t)r);
    }

    long acc = 7;
    for (int i = 0; i < 1000; i++) {
        acc = ops[i % 5](acc, i + 1) % 1000000007;
    }
    printf("function table result %ld\n", acc);

    CHECK_EQ(is_even(10000), 1);
    CHECK_EQ(is_odd(7777), 1);
    printf("is_even(10000)=%d is_odd(7777)=%d gcd=%ld\n", is_even(10000), is_odd(7777), gcd(1234567890L, 987654321L));

    static const long fact_code[] = { PUSH, 6, PUSH, 7, MUL, DUP, ADD, PUSH, 5, SWAP, SWAP, DROP, HALT };
    long vm = run_vm(fact_code);
    CHECK_EQ(vm, 84);
    printf("vm result %ld\n", vm);
    static const long count_code[] = { PUSH, 0, PUSH, 100000, /* 4: */ SWAP, PUSH, 3, ADD, SWAP, DEC, JNZ, 4, DROP, HALT };
    long vm2 = run_vm(count_code);
    CHECK_EQ(vm2, 300000);
    printf("vm loop result %ld\n", vm2);

    struct shape shapes[] = { { "rect", rect_area, 3, 4 }, { "tri", tri_area, 5, 6 }, { "square", square_area, 7, 0 } };
    long total = 0;
    for (int i = 0; i < 3000; i++) {
        const struct shape *s = &shapes[(i * 7) % 3];
        total += s->area(s);
    }
    printf("shape areas total %ld\n", total);
    CHECK_EQ(total, 1000L * (12 + 15 + 49));
    return check_done("control_flow");
}
