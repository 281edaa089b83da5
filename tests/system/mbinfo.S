/* The Multiboot information: the magic in EAX, the command line (the
 * kernel's path, then -append's text), the upper memory size and the
 * memory map's available RAM (run with -m 64; firmware keeps some).
 * ox86-test: append=hello=world quiet
 * ox86-test: exit=1
 * ox86-test: expect=magic 2badb002
 * ox86-test: expect=args: hello=world quiet
 * ox86-test: expect=mem_upper over 60 MiB 00000001
 * ox86-test: expect=available over 60 MiB 00000001
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    mov [mbi], ebx
    push eax
    call load_gdt32
    pop eax
    mov esi, offset magic_msg
    call report32
    mov ebx, [mbi]
    /* Command line: skip the path, up to the first space. */
    mov esi, [ebx + 16]
1:  lodsb
    test al, al
    jz 2f
    cmp al, ' '
    jne 1b
2:  push esi
    mov esi, offset args_msg
    call puts32
    pop esi
    call puts32
    mov al, '\n'
    call putc32
    mov eax, [ebx + 8]
    call over_60_mib
    mov esi, offset upper_msg
    call report32
    /* Sum the available regions below 4 GiB, in KiB. */
    mov esi, [ebx + 48]
    mov edi, esi
    add edi, [ebx + 44]
    xor edx, edx
3:  cmp esi, edi
    jae 4f
    cmp dword ptr [esi + 20], 1
    jne 5f
    mov eax, [esi + 12]
    shr eax, 10
    add edx, eax
5:  add esi, [esi]
    add esi, 4
    jmp 3b
4:  mov eax, edx
    call over_60_mib
    mov esi, offset avail_msg
    call report32
    EXIT 0

/* eax <- 1 if eax (KiB) is over 60 MiB, else 0. */
over_60_mib:
    cmp eax, 60 * 1024
    seta al
    movzx eax, al
    ret

    .data
mbi: .long 0
    .section .rodata
magic_msg: .asciz "magic "
args_msg: .asciz "args: "
upper_msg: .asciz "mem_upper over 60 MiB "
avail_msg: .asciz "available over 60 MiB "
    .bss
    .align 16
    .space 4096
stack_top:
