/* The PIT, programmed after boot, counted by IRQ0 while the CPU spins
 * instead of halting: timer interrupts must reach chained code. 500 ticks
 * take half a second.
 * ox86-test: exit=1
 * ox86-test: seconds=0.5
 * ox86-test: expect=500 ticks
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    call init_idt32
    call init_pic
    mov eax, 0x20
    mov edx, offset irq0
    mov cl, 0x8e
    call set_gate32
    mov al, 0xfe
    out 0x21, al
    mov al, 0x34
    out 0x43, al
    mov ax, 1193
    out 0x40, al
    mov al, ah
    out 0x40, al
    sti
1:  cmp dword ptr [ticks], 500
    jb 1b
    cli
    mov esi, offset ticks_msg
    call puts32
    EXIT 0

irq0:
    push eax
    inc dword ptr [ticks]
    mov al, 0x20
    out 0x20, al
    pop eax
    iret

    .data
ticks: .long 0
    .section .rodata
ticks_msg: .asciz "500 ticks\n"
    .bss
    .align 16
    .space 8192
stack_top:
