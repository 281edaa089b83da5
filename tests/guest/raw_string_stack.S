/* String and stack instructions without libc: REP MOVSB/MOVSQ forward and backward, REP
 * STOSD, REPE CMPSB, REPNE SCASB, LODSW; PUSH/POP incl. PUSHFQ/POPFQ and 16-bit pushes;
 * CALL/RET through registers, memory and a jump table; RET imm16; ENTER/LEAVE. */
#include "raw.inc"

    .text
    .globl _start
_start:
    /* forward copy of 13 bytes */
    lea src(%rip), %rsi
    lea dst(%rip), %rdi
    mov $13, %ecx
    cld
    rep movsb
    EXPECT(%rcx, 0)
    lea src+13(%rip), %rax
    sub %rax, %rsi
    EXPECT(%rsi, 0)
    mov dst(%rip), %rax
    EXPECT(%rax, 0x6f77206f6c6c6568) /* "hello wo" */

    /* backward copy of 2 quadwords, from the last one down */
    std
    lea src+8(%rip), %rsi
    lea dst+40(%rip), %rdi
    mov $2, %ecx
    rep movsq
    cld
    lea dst+24(%rip), %rax
    sub %rax, %rdi
    EXPECT(%rdi, 0)
    mov dst+32(%rip), %rax
    EXPECT(%rax, 0x6f77206f6c6c6568)
    mov dst+40(%rip), %rax
    EXPECT(%rax, 0x006b6f202c646c72) /* "rld, ok\0" */

    /* fill with dwords */
    lea dst+64(%rip), %rdi
    mov $0xa5a5a5a5, %eax
    mov $4, %ecx
    rep stosl
    mov dst+72(%rip), %rax
    EXPECT(%rax, 0xa5a5a5a5a5a5a5a5)

    /* compare until the first difference */
    lea src(%rip), %rsi
    lea other(%rip), %rdi
    mov $20, %ecx
    repe cmpsb
    pushfq
    pop %rax
    and $0x8d5, %eax
    EXPECT(%rcx, 13)                /* 7 bytes compared: "hello w" vs "hello W" */
    EXPECT(%rax, 0)                 /* 'w' - 'W' = 0x20: no flag set */

    /* scan for a byte */
    lea src(%rip), %rdi
    mov $'r', %al
    mov $100, %ecx
    repne scasb
    lea src(%rip), %rax
    sub %rax, %rdi
    EXPECT(%rdi, 9)                 /* just past "hello wor" */
    EXPECT(%rcx, 91)

    /* lodsw leaves the upper bits of RAX alone */
    lea src(%rip), %rsi
    mov $0x1111111111111111, %rax
    lodsw
    EXPECT(%rax, 0x1111111111116568)

    /* pushes and pops */
    mov %rsp, %rbx
    push $-2
    pushw $0x1234
    pushfq
    popfq
    popw %ax
    pop %rcx
    sub %rsp, %rbx
    EXPECT(%rbx, 0)
    movzwl %ax, %eax
    EXPECT(%rax, 0x1234)
    EXPECT(%rcx, 0xfffffffffffffffe)

    /* calls */
    call add_one_to_rax_from_5
    EXPECT(%rax, 6)
    lea add_one_to_rax_from_5(%rip), %rdx
    call *%rdx
    EXPECT(%rax, 6)
    call *fnptr(%rip)
    EXPECT(%rax, 6)
    push $40
    push $2
    call sum_two_and_pop
    EXPECT(%rax, 42)
    mov %rsp, %rax
    and $7, %eax
    EXPECT(%rax, 0)

    /* a jump table */
    xor %r12d, %r12d
    xor %ebx, %ebx
1:  lea table(%rip), %rax
    jmp *(%rax,%rbx,8)
case0: add $1, %r12
    jmp 2f
case1: add $10, %r12
    jmp 2f
case2: add $100, %r12
2:  inc %ebx
    cmp $3, %ebx
    jne 1b
    EXPECT(%r12, 111)

    /* enter/leave */
    mov %rsp, %r13
    mov %rbp, %r14
    enter $24, $0
    mov %rbp, %rax
    sub %rsp, %rax
    EXPECT(%rax, 24)
    leave
    sub %rsp, %r13
    EXPECT(%r13, 0)
    sub %rbp, %r14
    EXPECT(%r14, 0)

    PRINT "raw_string_stack done\n"
    EXIT_WITH_FAILURES

add_one_to_rax_from_5:
    mov $5, %eax
    inc %rax
    ret

/* adds the two stack arguments and releases them with ret $16 */
sum_two_and_pop:
    mov 8(%rsp), %rax
    add 16(%rsp), %rax
    ret $16

    .section .rodata
    .balign 8
table:
    .quad case0, case1, case2
fnptr:
    .quad add_one_to_rax_from_5
src:
    .ascii "hello world, ok\0"
other:
    .ascii "hello World, ok\0"
    .bss
    .balign 16
dst:
    .skip 128
