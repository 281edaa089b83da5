/* The interrupt shadow of STI: with an interrupt already waiting (UART
 * THR empty, IRQ4) while IF is clear, STI lets exactly one more
 * instruction run before the handler.
 * ox86-test: exit=1
 * ox86-test: expect=flag seen by the handler 00000001
 * ox86-test: expect=after the handler 00000002
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    call init_idt32
    call init_pic
    mov eax, 0x24
    mov edx, offset irq4
    mov cl, 0x8e
    call set_gate32
    mov al, 0xef
    out 0x21, al
    mov dx, COM1 + 1            /* THR empty interrupt: IRQ4 waits */
    mov al, 0x02
    out dx, al
    mov ecx, 1000               /* let it reach the PIC */
1:  loop 1b
    sti
    mov dword ptr [flag], 1
    mov dword ptr [flag], 2
    cli
    mov eax, [seen]
    mov esi, offset seen_msg
    call report32
    mov eax, [flag]
    mov esi, offset after_msg
    call report32
    EXIT 0

irq4:
    push eax
    push edx
    mov eax, [flag]
    mov [seen], eax
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov al, 0x20
    out 0x20, al
    pop edx
    pop eax
    iret

    .data
flag: .long 0
seen: .long 0
    .section .rodata
seen_msg: .asciz "flag seen by the handler "
after_msg: .asciz "after the handler "
    .bss
    .align 16
    .space 4096
stack_top:
