/* Faults through the protected-mode IDT: divide error, invalid opcode,
 * breakpoint, general protection with an error code (a selector beyond
 * the GDT) and without (a null SS), and a
 * double fault (a #GP whose gate lies beyond the IDT limit).
 * ox86-test: exit=1
 * ox86-test: expect=exception 00000000 err 00000000
 * ox86-test: expect=exception 00000006 err 00000000
 * ox86-test: expect=exception 00000003 err 00000000
 * ox86-test: expect=exception 0000000d err 00001238
 * ox86-test: expect=exception 0000000d err 00000000
 * ox86-test: expect=double fault err 00000000
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    call init_idt32
    mov cl, 0x8e
    mov eax, 0
    mov edx, offset de_handler
    call set_gate32
    mov eax, 3
    mov edx, offset bp_handler
    call set_gate32
    mov eax, 6
    mov edx, offset ud_handler
    call set_gate32
    mov eax, 8
    mov edx, offset df_handler
    call set_gate32
    mov eax, 13
    mov edx, offset gp_handler
    call set_gate32

    mov dword ptr [resume], offset 1f
    xor ecx, ecx
    mov eax, 10
    div ecx
1:  mov dword ptr [resume], offset 2f
    ud2
2:  mov dword ptr [resume], 0
    int3
    mov dword ptr [resume], offset 3f
    mov ax, 0x1238
    mov ds, ax
3:  mov dword ptr [resume], offset 4f
    xor eax, eax
    mov ss, ax
4:  lidt [small_idtr]
    mov ax, 0x1238
    mov ds, ax
    mov esi, offset not_reached
    call puts32
    EXIT 0x7e

de_handler:
    push 0
    push 0
    jmp common
bp_handler:
    push 0
    push 3
    jmp common
ud_handler:
    push 0
    push 6
    jmp common
gp_handler:
    push 13
    jmp common

/* Stack: vector, error code, EIP, CS, EFLAGS. */
common:
    mov esi, offset exc_msg
    mov eax, [esp]
    call puts32
    call puthex32
    mov esi, offset err_msg
    mov eax, [esp + 4]
    call report32
    mov eax, [resume]
    test eax, eax
    jz 1f
    mov [esp + 8], eax
1:  add esp, 8
    iret

df_handler:
    mov esi, offset df_msg
    mov eax, [esp]
    call report32
    EXIT 0

    .data
resume: .long 0
small_idtr:
    .word 9 * 8 - 1
    .long idt32
    .section .rodata
exc_msg: .asciz "exception "
err_msg: .asciz " err "
df_msg: .asciz "double fault err "
not_reached: .asciz "no double fault\n"
    .bss
    .align 16
    .space 8192
stack_top:
