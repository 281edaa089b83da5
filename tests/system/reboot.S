/* A reset through the i8042 (command 0xfe) boots the kernel again; CMOS
 * RAM keeps a boot count across it.
 * ox86-test: reboot
 * ox86-test: exit=1
 * ox86-test: expect=first boot
 * ox86-test: expect=second boot
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    mov al, 0x40
    out 0x70, al
    in al, 0x71
    cmp al, 0x5a
    je second
    mov al, 0x5a
    out 0x71, al
    mov esi, offset first_msg
    call puts32
1:  in al, 0x64
    test al, 2
    jnz 1b
    mov al, 0xfe
    out 0x64, al
2:  hlt
    jmp 2b
second:
    xor al, al
    out 0x71, al
    mov esi, offset second_msg
    call puts32
    EXIT 0

    .section .rodata
first_msg: .asciz "first boot\n"
second_msg: .asciz "second boot\n"
    .bss
    .align 16
    .space 4096
stack_top:
