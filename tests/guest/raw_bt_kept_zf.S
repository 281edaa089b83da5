/* BT at a function's entry, where the caller's flags are not known to the callee's
 * translation: CF is the bit, ZF the caller's, whatever left it: an 8-, 16-, 32- or
 * 64-bit operation whose result is zero in its width only (or only in a narrower one),
 * POPF, a rotate after a TEST, INC, and BT itself. The callee reads CF, ZF and CF|ZF (SETC, SETZ, SETBE).
 * Every case runs 100 times, so that the callee is compiled. */
#include "raw.inc"

/* CASE(setup, value, bit, expected): flags from `setup`, then bt_flags(value, bit). */
.macro CASE setup:req, value:req, bit:req, expected:req
    mov $\value, %rdi
    mov $\bit, %esi
    \setup
    call bt_flags
    EXPECT(%rax, \expected)
.endm

.macro SUB8_ZERO                /* 0x180 + 0x80 in BL: 0 with CF (ZF = 1) */
    mov $0x180, %ebx
    add $0x80, %bl
.endm
.macro TEST16_ZERO              /* CX = 0, ECX not (ZF = 1) */
    mov $0x12340000, %ecx
    test %cx, %cx
.endm
.macro TEST32_ZERO              /* EDX = 0, RDX not (ZF = 1) */
    mov $0x100000000, %rdx
    test %edx, %edx
.endm
.macro TEST16_LOW8_ZERO         /* CX = 0x100: its low byte 0 (ZF = 0) */
    mov $0x100, %ecx
    test %cx, %cx
.endm
.macro TEST32_LOW16_ZERO        /* EDX = 0x10000 (ZF = 0) */
    mov $0x10000, %edx
    test %edx, %edx
.endm
.macro TEST64_LOW32_ZERO        /* RBX = 1 << 32 (ZF = 0) */
    mov $0x100000000, %rbx
    test %rbx, %rbx
.endm
.macro CMP64_EQ                 /* ZF = 1 */
    mov $7, %rbx
    cmp $7, %rbx
.endm
.macro CMP64_NE                 /* ZF = 0 */
    mov $8, %rbx
    cmp $7, %rbx
.endm
.macro POPF_ZF                  /* EFLAGS with ZF alone */
    push $0x40
    popf
.endm
.macro ROL_NONZERO              /* TEST gives ZF = 0, ROL sets CF and keeps it */
    mov $0x80000001, %eax
    test %eax, %eax
    rol $1, %eax
.endm
.macro INC_ZERO                 /* INC to 0 (ZF = 1) */
    mov $-1, %r8d
    inc %r8d
.endm
.macro BT_AGAIN                 /* a BT after the ZF = 1 of a compare */
    mov $7, %rbx
    cmp $7, %rbx
    bt $0, %rbx
.endm

    .text
    .globl _start
_start:
    mov $100, %r13d
1:  call cases
    dec %r13d
    jnz 1b
    PRINT "raw_bt_kept_zf done\n"
    EXIT_WITH_FAILURES

/* Result bits: 0 CF, 1 ZF, 2 CF|ZF. */
cases:
    CASE SUB8_ZERO, 0x10, 4, 0x7
    CASE SUB8_ZERO, 0x10, 3, 0x6
    CASE TEST16_ZERO, 0x8000000000000000, 63, 0x7
    CASE TEST16_ZERO, 0, 5, 0x6
    CASE TEST32_ZERO, 2, 1, 0x7
    CASE TEST32_ZERO, 2, 0, 0x6
    CASE TEST16_LOW8_ZERO, 1, 0, 0x5
    CASE TEST32_LOW16_ZERO, 1, 1, 0x0
    CASE TEST64_LOW32_ZERO, 1, 0, 0x5
    CASE CMP64_EQ, 1, 0, 0x7
    CASE CMP64_NE, 1, 0, 0x5
    CASE CMP64_NE, 1, 1, 0x0
    CASE POPF_ZF, 4, 2, 0x7
    CASE POPF_ZF, 4, 1, 0x6
    CASE ROL_NONZERO, 4, 2, 0x5
    CASE ROL_NONZERO, 4, 1, 0x0
    CASE INC_ZERO, 1, 0, 0x7
    CASE INC_ZERO, 1, 9, 0x6
    CASE BT_AGAIN, 0x100, 8, 0x7
    CASE BT_AGAIN, 0x100, 7, 0x6
    ret

/* bt_flags(rdi, esi): BT of bit esi (mod 64) of rdi on the caller's flags. */
bt_flags:
    bt %rsi, %rdi
    setc %al
    setz %cl
    setbe %dl
    movzbl %al, %eax
    movzbl %cl, %ecx
    movzbl %dl, %edx
    shl $1, %ecx
    shl $2, %edx
    or %ecx, %eax
    or %edx, %eax
    ret
