/* The PIT at 1000 Hz counted by an IRQ0 handler while the CPU halts:
 * prints every 100th tick and exits after 1000 (one second of host time).
 * ox86-test: exit=1
 * ox86-test: seconds=1
 * ox86-test: idle
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
    /* Unmask IRQ0 only. */
    mov al, 0xfe
    out 0x21, al
    /* Counter 0, LSB then MSB, mode 2 (rate generator), 1193182 / 1193 Hz. */
    mov al, 0x34
    out 0x43, al
    mov ax, 1193
    out 0x40, al
    mov al, ah
    out 0x40, al
    sti
wait:
    hlt
    mov eax, [ticks]
    cmp eax, [next_report]
    jb wait
    mov esi, offset tick_msg
    call puts32
    mov eax, [next_report]
    call putdec32
    mov al, '\n'
    call putc32
    add dword ptr [next_report], 100
    cmp dword ptr [next_report], 1000
    jbe wait
    cli
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
next_report: .long 100
    .section .rodata
tick_msg: .asciz "tick "
    .bss
    .align 16
    .space 8192
stack_top:
/* ox86-test: expect=tick 100
 * ox86-test: expect=tick 200
 * ox86-test: expect=tick 300
 * ox86-test: expect=tick 400
 * ox86-test: expect=tick 500
 * ox86-test: expect=tick 600
 * ox86-test: expect=tick 700
 * ox86-test: expect=tick 800
 * ox86-test: expect=tick 900
 * ox86-test: expect=tick 1000
 */
