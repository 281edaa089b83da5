/* The 8259A pair: a masked IRQ waits in IRR and is delivered when
 * unmasked; a higher-priority slave IRQ (RTC, through IR2) preempts an IR4
 * handler (UART THR empty) that re-enabled interrupts; ISR contents while
 * nested; a non-specific EOI ends the highest-priority level first, a
 * specific EOI the named one.
 * ox86-test: exit=1
 * ox86-test: expect=irr while masked 00000001
 * ox86-test: expect=ticks while masked 00000000
 * ox86-test: expect=ticks after unmask 00000001
 * ox86-test: expect=order 484
 * ox86-test: expect=isr in irq4 00000010
 * ox86-test: expect=isr in irq8 00000014
 * ox86-test: expect=slave isr in irq8 00000001
 * ox86-test: expect=isr after nested eoi 00000010
 * ox86-test: expect=isr after specific eoi 00000000
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    call init_idt32
    call init_pic
    mov cl, 0x8e
    mov eax, 0x20
    mov edx, offset irq0
    call set_gate32
    mov eax, 0x24
    mov edx, offset irq4
    call set_gate32
    mov eax, 0x28
    mov edx, offset irq8
    call set_gate32

    /* PIT at 1 kHz with IRQ0 masked: the request waits in IRR. */
    mov al, 0x34
    out 0x43, al
    mov ax, 1193
    out 0x40, al
    mov al, ah
    out 0x40, al
    sti
    mov ecx, 5
    xor ebx, ebx
1:  mov al, 0x00            /* latch counter 0 */
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    cmp ax, bx
    mov bx, ax
    jbe 1b
    loop 1b                 /* five reloads seen */
    mov al, 0x0a            /* OCW3: read IRR */
    out 0x20, al
    in al, 0x20
    movzx eax, al
    mov esi, offset irr_msg
    call report32
    mov eax, [ticks]
    mov esi, offset ticks_masked_msg
    call report32
    /* Stop the counter (mode 0, only the first count byte written): the
     * latched request is the only one. */
    mov al, 0x30
    out 0x43, al
    out 0x40, al
    mov al, 0xfe
    out 0x21, al
    mov ecx, 100000
3:  cmp dword ptr [ticks], 0
    jne 4f
    loop 3b
4:  cli
    mov al, 0xff
    out 0x21, al
    mov eax, [ticks]
    mov esi, offset ticks_unmask_msg
    call report32

    /* Nesting: IR2 (slave IR0) and IR4 unmasked. */
    mov al, 0xeb
    out 0x21, al
    mov al, 0xfe
    out 0xa1, al
    mov al, 0x0a            /* RTC register A: 8192 Hz periodic rate */
    out 0x70, al
    mov al, 0x23
    out 0x71, al
    sti
    mov dx, COM1 + 1        /* UART IER: THR empty interrupt */
    mov al, 0x02
    out dx, al
2:  cmp dword ptr [done4], 0
    je 2b
    cli
    mov esi, offset order_msg
    call puts32
    mov esi, offset order
    call puts32
    mov al, '\n'
    call putc32
    mov eax, [isr4]
    mov esi, offset isr4_msg
    call report32
    mov eax, [isr8]
    mov esi, offset isr8_msg
    call report32
    mov eax, [sisr8]
    mov esi, offset sisr8_msg
    call report32
    mov eax, [isr_nested]
    mov esi, offset nested_msg
    call report32
    mov eax, [isr_specific]
    mov esi, offset specific_msg
    call report32
    EXIT 0

irq0:
    push eax
    inc dword ptr [ticks]
    mov al, 0x20
    out 0x20, al
    pop eax
    iret

/* Reads the master's ISR into eax. */
read_isr:
    mov al, 0x0b
    out 0x20, al
    in al, 0x20
    movzx eax, al
    ret

/* Appends al to the order string. */
log_order:
    push ebx
    mov ebx, [order_len]
    mov [order + ebx], al
    inc dword ptr [order_len]
    pop ebx
    ret

irq4:
    pusha
    mov al, '4'
    call log_order
    mov dx, COM1 + 1        /* interrupt off again */
    xor al, al
    out dx, al
    call read_isr
    mov [isr4], eax
    mov al, 0x0b            /* RTC: periodic interrupt on */
    out 0x70, al
    mov al, 0x42
    out 0x71, al
    sti
1:  cmp dword ptr [done8], 0
    je 1b
    cli
    call read_isr
    mov [isr_nested], eax
    mov al, '4'
    call log_order
    mov al, 0x64            /* specific EOI, level 4 */
    out 0x20, al
    call read_isr
    mov [isr_specific], eax
    mov dword ptr [done4], 1
    popa
    iret

irq8:
    pusha
    mov al, '8'
    call log_order
    call read_isr
    mov [isr8], eax
    mov al, 0x0b
    out 0xa0, al
    in al, 0xa0
    movzx eax, al
    mov [sisr8], eax
    mov al, 0x0b            /* RTC: periodic interrupt off, flags read */
    out 0x70, al
    mov al, 0x02
    out 0x71, al
    mov al, 0x0c
    out 0x70, al
    in al, 0x71
    mov al, 0x20            /* EOI: slave, then master (ends IR2) */
    out 0xa0, al
    out 0x20, al
    mov dword ptr [done8], 1
    popa
    iret

    .data
ticks: .long 0
done4: .long 0
done8: .long 0
isr4: .long 0
isr8: .long 0
sisr8: .long 0
isr_nested: .long 0
isr_specific: .long 0
order_len: .long 0
order: .space 16
    .section .rodata
irr_msg: .asciz "irr while masked "
ticks_masked_msg: .asciz "ticks while masked "
ticks_unmask_msg: .asciz "ticks after unmask "
order_msg: .asciz "order "
isr4_msg: .asciz "isr in irq4 "
isr8_msg: .asciz "isr in irq8 "
sisr8_msg: .asciz "slave isr in irq8 "
nested_msg: .asciz "isr after nested eoi "
specific_msg: .asciz "isr after specific eoi "
    .bss
    .align 16
    .space 8192
stack_top:
