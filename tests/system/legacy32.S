/* 32-bit code as kernels write it: ENTER/LEAVE with nesting, PUSHA/POPA,
 * 16-bit operands, 16-bit addressing for string operations and LOOP,
 * XLAT, PUSH/POP of segment registers, LDS/LES, and a far CALL/RET.
 * ox86-test: exit=1
 * ox86-test: expect=enter frame 00000ffc
 * ox86-test: expect=enter copy 0000abcd
 * ox86-test: expect=leave sp 00001000
 * ox86-test: expect=popa 11223344
 * ox86-test: expect=word ops 0000fffe
 * ox86-test: expect=movsb addr16 00000003
 * ox86-test: expect=loop cx 00020000
 * ox86-test: expect=xlat 00000033
 * ox86-test: expect=segs 00000018
 * ox86-test: expect=les 0000beef
 * ox86-test: expect=far call 00000007
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32

    /* ENTER 8, 2 on a stack at 0x1000 with EBP 0x2000 holding 0xabcd at -4. */
    mov dword ptr [0x2000 - 4], 0xabcd
    mov esi, esp
    mov esp, 0x1000
    mov ebp, 0x2000
    enter 8, 2
    mov eax, ebp
    mov ebx, [ebp - 4]
    mov ecx, [ebp - 8]
    leave
    mov edx, esp
    mov esp, esi
    push edx
    push ebx
    mov esi, offset enter_msg
    call report32
    pop eax
    mov esi, offset copy_msg
    call report32
    pop eax
    mov esi, offset leave_msg
    call report32

    mov eax, 0x11223344
    mov ebx, 5
    pusha
    xor eax, eax
    mov ebx, 9
    popa
    mov esi, offset popa_msg
    call report32

    mov eax, 0x12340000
    mov ax, 0xffff
    add ax, 0xffff      /* 16-bit: 0xfffe, upper half kept */
    and eax, 0xffff
    mov esi, offset word_msg
    call report32

    /* MOVSB with a 67 prefix uses SI/DI (and CX): copy 3 bytes. */
    mov esi, 0x12340000 + 0x3000
    mov edi, 0x56780000 + 0x3100
    mov dword ptr [0x3000], 0x00636261
    mov ecx, 0x00010003
    cld
    addr16 rep movsb
    movzx eax, byte ptr [0x3102]
    sub eax, 0x60
    mov esi, offset movsb_msg
    call report32

    /* LOOP with a 67 prefix counts CX: ECX's upper half stays. */
    mov ecx, 0x00020005
1:  addr16 loop 1b
    mov eax, ecx
    mov esi, offset loop_msg
    call report32

    mov ebx, offset table
    mov al, 3
    xlat
    movzx eax, al
    mov esi, offset xlat_msg
    call report32

    push ds
    pop es
    xor eax, eax
    mov ax, es
    mov esi, offset segs_msg
    call report32

    les eax, [far_ptr]
    xor eax, eax
    mov ax, [es:0x4000]
    mov word ptr [0x4000], 0xbeef
    mov ax, [es:0x4000]
    mov esi, offset les_msg
    call report32

    lcall KCODE32, offset far_fn
    mov esi, offset far_msg
    call report32
    EXIT 0

far_fn:
    mov eax, 7
    lret

    .data
table: .byte 0x00, 0x11, 0x22, 0x33
far_ptr: .long 0, KDATA
    .section .rodata
enter_msg: .asciz "enter frame "
copy_msg: .asciz "enter copy "
leave_msg: .asciz "leave sp "
popa_msg: .asciz "popa "
word_msg: .asciz "word ops "
movsb_msg: .asciz "movsb addr16 "
loop_msg: .asciz "loop cx "
xlat_msg: .asciz "xlat "
segs_msg: .asciz "segs "
les_msg: .asciz "les "
far_msg: .asciz "far call "
    .bss
    .align 16
    .space 8192
stack_top:
