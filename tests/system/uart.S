/* The 16550A on COM1: scratch register, line and modem status, input
 * typed on the console read by an interrupt handler (RDA, IRQ4), then in
 * loopback: modem lines mirrored and the receive FIFO's trigger level.
 * ox86-test: exit=1
 * ox86-test: stdin=abc\n
 * ox86-test: expect=scratch 0000005a
 * ox86-test: expect=lsr 00000060
 * ox86-test: expect=msr 000000b0
 * ox86-test: expect=got: abc
 * ox86-test: expect=loopback msr 00000010
 * ox86-test: expect=iir below trigger 000000c1
 * ox86-test: expect=iir at trigger 000000c4
 * ox86-test: expect=fifo: xyzw
 */
#include "mb.inc"

    .macro OUTB port, value
    mov dx, \port
    mov al, \value
    out dx, al
    .endm

    .macro INB port
    mov dx, \port
    in al, dx
    movzx eax, al
    .endm

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
    OUTB COM1 + 3, 0x80         /* DLAB: 115200 baud */
    OUTB COM1 + 0, 1
    OUTB COM1 + 1, 0
    OUTB COM1 + 3, 0x03         /* 8N1 */
    OUTB COM1 + 4, 0x0b         /* DTR RTS OUT2 */

    OUTB COM1 + 7, 0x5a
    INB COM1 + 7
    mov esi, offset scratch_msg
    call report32
    INB COM1 + 5
    and eax, 0x60
    mov esi, offset lsr_msg
    call report32
    INB COM1 + 6
    and eax, 0xf0
    mov esi, offset msr_msg
    call report32

    /* Input by interrupt. */
    OUTB 0x21, 0xef
    OUTB COM1 + 1, 0x01         /* IER: received data available */
    sti
1:  hlt
    cmp dword ptr [done], 0
    je 1b
    cli
    OUTB COM1 + 1, 0
    OUTB 0x21, 0xff
    mov esi, offset got_msg
    call puts32
    mov esi, offset line
    call puts32

    /* Loopback (nothing printed until it is off): RTS shows as CTS. */
    OUTB COM1 + 4, 0x12
    INB COM1 + 6
    and eax, 0xf0
    mov [loop_msr], eax
    /* Slowest rate, so the character timeout stays away; FIFO, trigger 4. */
    OUTB COM1 + 3, 0x83
    OUTB COM1 + 0, 0xff
    OUTB COM1 + 1, 0xff
    OUTB COM1 + 3, 0x03
    OUTB COM1 + 2, 0x47
    OUTB COM1 + 1, 0x01
    OUTB COM1 + 0, 'x'
    OUTB COM1 + 0, 'y'
    OUTB COM1 + 0, 'z'
    INB COM1 + 2
    mov [iir_below], eax
    OUTB COM1 + 0, 'w'
    INB COM1 + 2
    mov [iir_at], eax
    OUTB COM1 + 1, 0
    mov edi, offset fifo_data
    mov ecx, 4
2:  INB COM1 + 0
    mov [edi], al
    inc edi
    loop 2b
    OUTB COM1 + 4, 0x0b         /* loopback off, fast again, FIFO off */
    OUTB COM1 + 3, 0x83
    OUTB COM1 + 0, 1
    OUTB COM1 + 1, 0
    OUTB COM1 + 3, 0x03
    OUTB COM1 + 2, 0
    mov eax, [loop_msr]
    mov esi, offset loop_msg
    call report32
    mov eax, [iir_below]
    mov esi, offset below_msg
    call report32
    mov eax, [iir_at]
    mov esi, offset at_msg
    call report32
    mov esi, offset fifo_msg
    call puts32
    mov esi, offset fifo_data
    call puts32
    mov al, '\n'
    call putc32
    EXIT 0

irq4:
    pusha
    INB COM1 + 2                /* IIR */
1:  INB COM1 + 5
    test al, 1
    jz 2f
    INB COM1 + 0
    mov ebx, [line_len]
    mov [line + ebx], al
    inc dword ptr [line_len]
    cmp al, '\n'
    jne 1b
    mov dword ptr [done], 1
    jmp 1b
2:  OUTB 0x20, 0x20
    popa
    iret

    .data
done: .long 0
line_len: .long 0
line: .space 64
fifo_data: .space 8
loop_msr: .long 0
iir_below: .long 0
iir_at: .long 0
    .section .rodata
scratch_msg: .asciz "scratch "
lsr_msg: .asciz "lsr "
msr_msg: .asciz "msr "
got_msg: .asciz "got: "
loop_msg: .asciz "loopback msr "
below_msg: .asciz "iir below trigger "
at_msg: .asciz "iir at trigger "
fifo_msg: .asciz "fifo: "
    .bss
    .align 16
    .space 8192
stack_top:
