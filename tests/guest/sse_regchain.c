/* Chains of SSE instructions in one straight-line block, as an emulator
 * that keeps XMM registers in host registers across a block must get them
 * right: register-to-register moves feeding arithmetic, scalar operations
 * that keep the upper lane, halves written by MOVHPS/MOVQ/PINSRQ between
 * packed operations, every one of the sixteen registers live at once, a
 * rounding-mode change in the middle of a block, helper-only instructions
 * (CVTSI2SD, PCMPISTRI) between cached operations, conversions, compares
 * and sign masks to general registers, a branch inside a block, and a
 * loop. Every register is printed in hex after each block. */
#include "check.h"

static double in[16] = {
    1.5, -2.25, 3.0, 0.1, 1e300, -7.0, 0.3333333333333333, 12345.678,
    2.0, 5.5, -0.0, 1e-310, 9.75, -1e10, 0.7, 42.0,
};
static uint64_t regs[32];

/* Stores XMM0..XMM15 to regs (via %rdi). */
#define DUMP                                                                 \
    "movupd %%xmm0, 0(%%rdi)\n movupd %%xmm1, 16(%%rdi)\n"                  \
    "movupd %%xmm2, 32(%%rdi)\n movupd %%xmm3, 48(%%rdi)\n"                 \
    "movupd %%xmm4, 64(%%rdi)\n movupd %%xmm5, 80(%%rdi)\n"                 \
    "movupd %%xmm6, 96(%%rdi)\n movupd %%xmm7, 112(%%rdi)\n"                \
    "movupd %%xmm8, 128(%%rdi)\n movupd %%xmm9, 144(%%rdi)\n"               \
    "movupd %%xmm10, 160(%%rdi)\n movupd %%xmm11, 176(%%rdi)\n"             \
    "movupd %%xmm12, 192(%%rdi)\n movupd %%xmm13, 208(%%rdi)\n"             \
    "movupd %%xmm14, 224(%%rdi)\n movupd %%xmm15, 240(%%rdi)\n"

/* Loads XMM0..XMM15 from in[] (via %rsi), pairs overlapping. */
#define LOAD                                                                 \
    "movupd 0(%%rsi), %%xmm0\n movupd 8(%%rsi), %%xmm1\n"                   \
    "movupd 16(%%rsi), %%xmm2\n movupd 24(%%rsi), %%xmm3\n"                 \
    "movupd 32(%%rsi), %%xmm4\n movupd 40(%%rsi), %%xmm5\n"                 \
    "movupd 48(%%rsi), %%xmm6\n movupd 56(%%rsi), %%xmm7\n"                 \
    "movupd 64(%%rsi), %%xmm8\n movupd 72(%%rsi), %%xmm9\n"                 \
    "movupd 80(%%rsi), %%xmm10\n movupd 88(%%rsi), %%xmm11\n"               \
    "movupd 96(%%rsi), %%xmm12\n movupd 104(%%rsi), %%xmm13\n"              \
    "movupd 112(%%rsi), %%xmm14\n movupd 112(%%rsi), %%xmm15\n"

#define CLOBBERS                                                             \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",  \
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",       \
        "memory", "cc"

static void show(const char *what)
{
    printf("%s\n", what);
    for (int i = 0; i < 16; i++) {
        printf("  xmm%-2d %016llx %016llx\n", i, (unsigned long long)regs[2 * i + 1],
               (unsigned long long)regs[2 * i]);
        hash_u64(regs[2 * i]);
        hash_u64(regs[2 * i + 1]);
    }
}

/* Moves, scalar operations on the low lane, halves written in between. */
static void moves_and_halves(void)
{
    uint64_t x = 0x4010000000000000ULL; /* 4.0 */
    __asm__ volatile(LOAD
                     "movapd %%xmm0, %%xmm2\n"
                     "mulpd %%xmm1, %%xmm2\n"
                     "addsd %%xmm0, %%xmm2\n"
                     "movapd %%xmm2, %%xmm3\n"
                     "unpckhpd %%xmm3, %%xmm3\n"
                     "movhps 48(%%rsi), %%xmm2\n"
                     "addpd %%xmm2, %%xmm3\n"
                     "sqrtsd %%xmm3, %%xmm4\n"
                     "movq %%rax, %%xmm5\n"
                     "mulsd %%xmm5, %%xmm4\n"
                     "pinsrq $1, %%rax, %%xmm4\n"
                     "subpd %%xmm4, %%xmm3\n"
                     "movq %%xmm3, %%rdx\n"
                     "movq %%rdx, %%xmm6\n"
                     "addsd %%xmm3, %%xmm6\n"
                     "movss %%xmm6, %%xmm7\n"
                     "mulss %%xmm0, %%xmm7\n"
                     "movsd %%xmm7, %%xmm8\n"
                     "divpd %%xmm8, %%xmm8\n"
                     "movaps %%xmm8, %%xmm9\n"
                     "shufps $0x1b, %%xmm9, %%xmm9\n"
                     "paddq %%xmm9, %%xmm10\n"
                     "pxor %%xmm10, %%xmm11\n"
                     "movdqa %%xmm11, %%xmm12\n"
                     "psrlq $3, %%xmm12\n"
                     "mulpd (%%rsi), %%xmm13\n"
                     "addsd 8(%%rsi), %%xmm14\n"
                     "cvtsd2ss %%xmm14, %%xmm15\n" DUMP
                     :
                     : "S"(in), "D"(regs), "a"(x)
                     : "rdx", CLOBBERS);
    show("moves_and_halves");
}

/* Every register in use, round after round, more than a host can cache. */
static void all_registers(void)
{
    __asm__ volatile(LOAD
                     "mov $3, %%ecx\n"
                     "1:\n"
                     "addpd %%xmm0, %%xmm1\n addpd %%xmm1, %%xmm2\n"
                     "addpd %%xmm2, %%xmm3\n addpd %%xmm3, %%xmm4\n"
                     "addpd %%xmm4, %%xmm5\n addpd %%xmm5, %%xmm6\n"
                     "addpd %%xmm6, %%xmm7\n addpd %%xmm7, %%xmm8\n"
                     "addpd %%xmm8, %%xmm9\n addpd %%xmm9, %%xmm10\n"
                     "addpd %%xmm10, %%xmm11\n addpd %%xmm11, %%xmm12\n"
                     "addpd %%xmm12, %%xmm13\n addpd %%xmm13, %%xmm14\n"
                     "addpd %%xmm14, %%xmm15\n mulpd %%xmm15, %%xmm0\n"
                     "movapd %%xmm15, %%xmm1\n subpd %%xmm0, %%xmm1\n"
                     "movapd %%xmm1, %%xmm14\n mulsd %%xmm2, %%xmm14\n"
                     "dec %%ecx\n jnz 1b\n" DUMP
                     :
                     : "S"(in), "D"(regs)
                     : "rcx", CLOBBERS);
    show("all_registers");
}

/* Round toward zero for part of a block: the floating-point operations
 * there take the emulator's slow path, the moves between them do not. */
static void rounding_mid_block(void)
{
    uint32_t saved, rz = 0x7f80;
    __asm__ volatile(LOAD
                     "stmxcsr %[saved]\n"
                     "divsd %%xmm1, %%xmm6\n"
                     "ldmxcsr %[rz]\n"
                     "divsd %%xmm1, %%xmm0\n"
                     "addsd %%xmm0, %%xmm2\n"
                     "movapd %%xmm0, %%xmm5\n"
                     "mulpd %%xmm6, %%xmm5\n"
                     "paddd %%xmm5, %%xmm7\n"
                     "sqrtpd %%xmm7, %%xmm8\n"
                     "movapd %%xmm8, %%xmm9\n"
                     "ldmxcsr %[saved]\n"
                     "addpd %%xmm5, %%xmm9\n"
                     "divsd %%xmm1, %%xmm10\n"
                     "movapd %%xmm10, %%xmm11\n" DUMP
                     : [saved] "+m"(saved)
                     : "S"(in), "D"(regs), [rz] "m"(rz)
                     : CLOBBERS);
    show("rounding_mid_block");
    CHECK(saved == 0x1f80 || (saved & ~0x3fu) == 0x1f80);
}

/* Instructions run by helpers, between operations on cached registers. */
static void helpers_between(void)
{
    static const char hay[16] = "find the x here";
    __asm__ volatile(LOAD
                     "mulpd %%xmm0, %%xmm1\n"
                     "addsd %%xmm1, %%xmm2\n"
                     "mov $-7, %%rax\n"
                     "cvtsi2sd %%rax, %%xmm1\n"
                     "addpd %%xmm1, %%xmm2\n"
                     "movapd %%xmm2, %%xmm3\n"
                     "movdqu (%%rdx), %%xmm4\n"
                     "mov $0x78, %%eax\n"
                     "movd %%eax, %%xmm5\n"
                     "pcmpistri $0, %%xmm4, %%xmm5\n"
                     "cvtsi2sd %%rcx, %%xmm6\n"
                     "mulsd %%xmm3, %%xmm6\n"
                     "addpd %%xmm2, %%xmm3\n" DUMP
                     :
                     : "S"(in), "D"(regs), "d"(hay)
                     : "rax", "rcx", CLOBBERS);
    show("helpers_between");
}

/* Conversions to and from general registers, compares into EFLAGS, sign
 * masks, zeroing idioms and scalar loads and stores between cached
 * operations. */
static void to_and_from_gprs(void)
{
    uint64_t g[6] = {0};
    float f = 2.75f;
    __asm__ volatile(LOAD
                     "mulsd %%xmm2, %%xmm0\n"
                     "cvttsd2si %%xmm0, %%rax\n"
                     "cvtsd2si %%xmm0, %%ecx\n"
                     "pxor %%xmm3, %%xmm3\n"
                     "pandn %%xmm4, %%xmm4\n"
                     "cvtsi2sd %%rax, %%xmm3\n"
                     "addsd %%xmm3, %%xmm4\n"
                     "pcmpeqb %%xmm5, %%xmm5\n"
                     "psrlw $1, %%xmm5\n"
                     "pmovmskb %%xmm5, %%edx\n"
                     "movss %[f], %%xmm6\n"
                     "cvtss2sd %%xmm6, %%xmm7\n"
                     "comisd %%xmm7, %%xmm0\n"
                     "setb %%r8b\n"
                     "seta %%r9b\n"
                     "movzbl %%r8b, %%r8d\n"
                     "movzbl %%r9b, %%r9d\n"
                     "movss %%xmm6, 8(%%rdi)\n"
                     "movsd %%xmm4, 16(%%rdi)\n"
                     "mov %%rax, 0(%%rdi)\n"
                     "mov %%rcx, 24(%%rdi)\n"
                     "mov %%rdx, 32(%%rdi)\n"
                     "lea (%%r9, %%r8, 2), %%rax\n"
                     "mov %%rax, 40(%%rdi)\n"
                     :
                     : "S"(in), "D"(g), [f] "m"(f)
                     : "rax", "rcx", "rdx", "r8", "r9", CLOBBERS);
    printf("to_and_from_gprs");
    for (int i = 0; i < 6; i++) {
        printf(" %llx", (unsigned long long)g[i]);
        hash_u64(g[i]);
    }
    printf("\n");
}

/* A branch inside a block: both sides meet again. */
static void branch_inside(double x)
{
    in[15] = x;
    __asm__ volatile(LOAD
                     "movsd 120(%%rsi), %%xmm15\n"
                     "mulsd %%xmm15, %%xmm0\n"
                     "ucomisd %%xmm1, %%xmm0\n"
                     "ja 1f\n"
                     "addsd %%xmm2, %%xmm0\n"
                     "movapd %%xmm0, %%xmm3\n"
                     "1:\n"
                     "mulpd %%xmm0, %%xmm3\n"
                     "addsd %%xmm3, %%xmm15\n" DUMP
                     :
                     : "S"(in), "D"(regs)
                     : CLOBBERS);
    show(x > 0 ? "branch_inside taken" : "branch_inside not taken");
}

/* A loop whose body keeps a dependency chain in registers. */
static void loop_chain(void)
{
    __asm__ volatile(LOAD
                     "mov $1000, %%ecx\n"
                     "1:\n"
                     "addsd %%xmm1, %%xmm0\n"
                     "mulsd %%xmm6, %%xmm0\n"
                     "movapd %%xmm0, %%xmm3\n"
                     "subsd %%xmm3, %%xmm1\n"
                     "shufpd $1, %%xmm3, %%xmm3\n"
                     "addpd %%xmm3, %%xmm4\n"
                     "dec %%ecx\n"
                     "jnz 1b\n" DUMP
                     :
                     : "S"(in), "D"(regs)
                     : "rcx", CLOBBERS);
    show("loop_chain");
}

int main(void)
{
    moves_and_halves();
    all_registers();
    rounding_mid_block();
    helpers_between();
    to_and_from_gprs();
    branch_inside(1e20);
    branch_inside(-3.0);
    loop_chain();
    return check_done("sse_regchain");
}
