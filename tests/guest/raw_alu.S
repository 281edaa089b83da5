/* Instruction semantics checked against hand-computed constants, without libc: 128-bit
 * add/sub chains with ADC/SBB, INC/DEC leaving CF alone, flags read with PUSHF and LAHF,
 * MUL/IMUL/DIV/IDIV, shifts and rotates through CF, BT/BTS/BSF/BSR/POPCNT/LZCNT/TZCNT,
 * CMOV/SETcc, MOVSX/MOVZX, partial-register writes, XCHG/XADD/CMPXCHG, BSWAP, LEA. */
#include "raw.inc"

#define FLAGS_TO_RAX pushfq; pop %rax; and $0x8d5, %eax

    .text
    .globl _start
_start:
    /* 128-bit: 0xffffffffffffffff_ffffffffffffffff + 1 = 0 with carry out */
    mov $-1, %rax
    mov $-1, %rdx
    add $1, %rax
    adc $0, %rdx
    FLAGS_TO_RAX
    EXPECT(%rax, 0x55)              /* CF ZF PF AF set */
    EXPECT(%rdx, 0)
    /* 0x1_0000000000000000 - 1 */
    xor %eax, %eax
    mov $1, %edx
    sub $1, %rax
    sbb $0, %rdx
    EXPECT(%rax, 0xffffffffffffffff)
    EXPECT(%rdx, 0)

    /* INC and DEC keep CF */
    stc
    mov $0x7f, %bl
    inc %bl
    FLAGS_TO_RAX
    EXPECT(%rax, 0x891)             /* OF SF AF CF */
    clc
    mov $0, %ecx
    dec %ecx
    FLAGS_TO_RAX
    EXPECT(%rax, 0x94)              /* SF AF PF */
    EXPECT(%rcx, 0xffffffff)        /* 32-bit result zero-extended */

    /* LAHF / SAHF */
    mov $0xd7, %ah                  /* SF ZF AF PF CF + reserved bit 1 */
    sahf
    mov $0, %ah
    lahf
    movzbl %ah, %eax
    EXPECT(%rax, 0xd7)

    /* multiply and divide */
    mov $0x123456789, %rax
    mov $0x987654321, %rcx
    mul %rcx
    EXPECT(%rax, 0xd77d742cce1833a9) /* low half of 0x123456789 * 0x987654321 */
    EXPECT(%rdx, 0xa)
    mov $-7, %rax
    mov $3, %rcx
    cqo
    idiv %rcx
    EXPECT(%rax, 0xfffffffffffffffe) /* -2 */
    EXPECT(%rdx, 0xffffffffffffffff) /* -1 */
    mov $1000, %ax
    mov $7, %cl
    div %cl
    movzwl %ax, %eax
    EXPECT(%rax, 0x068e)            /* remainder 6 in AH, quotient 142 in AL */
    mov $-5, %rax
    imul $-9, %rax, %rbx
    EXPECT(%rbx, 45)
    mov $0x40000000, %eax
    imul $4, %eax, %ecx
    FLAGS_TO_RAX
    and $0x801, %eax
    EXPECT(%rax, 0x801)             /* overflow: CF and OF */
    EXPECT(%rcx, 0)

    /* shifts and rotates */
    mov $0x8000000000000001, %rax
    stc
    rcl $1, %rax
    setc %bl
    EXPECT(%rax, 3)
    movzbl %bl, %ebx
    EXPECT(%rbx, 1)
    mov $1, %eax
    clc
    rcr $1, %eax
    setc %bl
    movzbl %bl, %ebx
    EXPECT(%rax, 0)
    EXPECT(%rbx, 1)
    mov $0xf0, %al
    mov $4, %cl
    rol %cl, %al
    movzbl %al, %eax
    EXPECT(%rax, 0x0f)
    mov $-16, %rax
    sar $2, %rax
    EXPECT(%rax, 0xfffffffffffffffc)
    mov $0x1234, %dx
    mov $0xabcd, %ax
    shld $4, %ax, %dx
    movzwl %dx, %edx
    EXPECT(%rdx, 0x234a)

    /* bit scanning */
    mov $0x00f00000, %eax
    bsf %eax, %ecx
    EXPECT(%rcx, 20)
    bsr %eax, %ecx
    EXPECT(%rcx, 23)
    popcnt %rax, %rcx
    EXPECT(%rcx, 4)
    lzcnt %eax, %ecx
    EXPECT(%rcx, 8)
    tzcnt %rax, %rcx
    EXPECT(%rcx, 20)
    xor %eax, %eax
    tzcnt %eax, %ecx
    setc %bl
    movzbl %bl, %ebx
    EXPECT(%rcx, 32)
    EXPECT(%rbx, 1)
    mov $0x10, %eax
    bt $4, %eax
    setc %bl
    bts $0, %eax
    btr $4, %eax
    btc $63, %rax
    movzbl %bl, %ebx
    EXPECT(%rbx, 1)
    EXPECT(%rax, 0x8000000000000001)

    /* conditional moves and sets */
    mov $5, %eax
    mov $9, %ecx
    cmp %ecx, %eax
    cmovl %ecx, %eax
    setg %bl
    setb %dl
    movzbl %bl, %ebx
    movzbl %dl, %edx
    EXPECT(%rax, 9)
    EXPECT(%rbx, 0)
    EXPECT(%rdx, 1)

    /* extensions and partial registers */
    mov $0x1122334455667788, %rax
    mov $0x80, %bl
    movsbq %bl, %rcx
    EXPECT(%rcx, 0xffffffffffffff80)
    movzbw %bl, %cx
    EXPECT(%rcx, 0xffffffffffff0080)
    mov %bl, %ah
    EXPECT(%rax, 0x1122334455668088)
    mov $0xffff, %ax
    EXPECT(%rax, 0x112233445566ffff)
    mov $0, %eax
    EXPECT(%rax, 0)
    movslq fortyneg(%rip), %rax
    EXPECT(%rax, 0xffffffffffffffd8)

    /* exchange family */
    mov $1, %eax
    mov $2, %ecx
    xchg %eax, %ecx
    EXPECT(%rax, 2)
    xadd %eax, %ecx
    EXPECT(%rax, 1)
    EXPECT(%rcx, 3)
    mov $3, %eax
    mov $7, %edx
    cmpxchg %edx, %ecx
    EXPECT(%rcx, 7)
    mov $0x0102030405060708, %rax
    bswap %rax
    EXPECT(%rax, 0x0807060504030201)

    /* address arithmetic */
    mov $0x100, %rbx
    mov $0x10, %rsi
    lea 0x20(%rbx,%rsi,8), %rax
    EXPECT(%rax, 0x1a0)
    lea -1(%rbx), %eax
    EXPECT(%rax, 0xff)

    PRINT "raw_alu done\n"
    EXIT_WITH_FAILURES

    .section .rodata
fortyneg:
    .long -40
