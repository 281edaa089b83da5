/* DEC at a function's entry keeps the caller's CF, read only where a forward JS goes:
 * the CF computation (from a lazy state unknown at the callee's start) belongs to that
 * side alone, and the fall-through overwrites the flags before reading them. Called
 * 200 times (so that the callee is compiled), with CF and the branch direction taken
 * from the loop counter, and once more each way with STC and CLC. */
#include "raw.inc"

    .text
    .globl _start
_start:
    xor %r12d, %r12d                /* sum of the results */
    mov $200, %r13d
1:  mov %r13d, %edi
    and $1, %edi                    /* odd counts fall through */
    bt $1, %r13d                    /* CF = bit 1 of the count */
    call dec_js
    add %rax, %r12
    dec %r13d
    jnz 1b
    /* 100 odd counts give 0x55 each; of the even ones, 2, 6, ..., 198 have bit 1 set */
    EXPECT(%r12, 8550)

    xor %edi, %edi
    stc
    call dec_js
    EXPECT(%rax, 1)
    xor %edi, %edi
    clc
    call dec_js
    EXPECT(%rax, 0)
    mov $1, %edi
    stc
    call dec_js
    EXPECT(%rax, 0x55)

    PRINT "raw_flags_sink done\n"
    EXIT_WITH_FAILURES

/* dec_js(edi): edi - 1 < 0 (edi = 0): the CF the caller left, else 0x55. */
dec_js:
    mov %edi, %ebp
    dec %ebp
    js 2f
    and $0, %eax
    mov $0x55, %eax
    ret
2:  setc %al
    movzbl %al, %eax
    ret
