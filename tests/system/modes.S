/* Mode switching: from the Multiboot entry (32-bit protected mode) down
 * to real mode (through a 16-bit protected-mode segment), a real-mode
 * interrupt through the IVT and segment arithmetic, back up to protected
 * mode, then long mode, a visit to compatibility mode and back to 64-bit.
 * ox86-test: exit=1
 * ox86-test: expect=protected mode
 * ox86-test: expect=real mode
 * ox86-test: expect=real-mode int
 * ox86-test: expect=segments ok
 * ox86-test: expect=protected mode again
 * ox86-test: expect=long mode
 * ox86-test: expect=compatibility mode
 * ox86-test: expect=back in 64-bit mode
 */
#include "mb.inc"
#include "lm.inc"

/* The real-mode code runs from here (segment 0x0900). */
#define RM_BASE 0x9000
#define RM_SEG 0x0900
#define RM(label) ((label) - rm_start)

    .code32
    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    mov esi, offset pm_msg
    call puts32
    /* Copy the real-mode blob down and give it the GDTR. */
    mov esi, offset rm_start
    mov edi, RM_BASE
    mov ecx, rm_end - rm_start
    cld
    rep movsb
    mov ax, [gdtr]
    mov [RM_BASE + RM(rm_gdtr)], ax
    mov eax, [gdtr + 2]
    mov [RM_BASE + RM(rm_gdtr) + 2], eax
    ljmp KCODE16, RM_BASE + RM(pm16)

pm_back:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, offset stack_top
    mov esi, offset pm_again_msg
    call puts32
    ENTER_LONG_MODE lm_entry

    .code64
lm_entry:
    lea rsi, [rip + lm_msg]
    call puts64
    /* Far return to a 32-bit code segment: compatibility mode. */
    push KCODE32
    lea rax, [rip + compat]
    push rax
    retfq
lm_back:
    lea rsi, [rip + lm_back_msg]
    call puts64
    EXIT64 0

    .code32
compat:
    mov esi, offset compat_msg
    call puts32
    ljmp KCODE64, offset lm_back

/* Position-independent 16-bit code, copied to RM_BASE. */
    .code16
rm_start:
pm16:
    mov ax, KDATA16
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    ljmp RM_SEG, RM(rm_entry)
rm_entry:
    mov ax, RM_SEG
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0xf000
    lidt [RM(rm_idtr)]
    mov si, RM(rm_msg)
    call rm_puts
    /* IVT entry 0x40 -> rm_int. */
    xor ax, ax
    mov es, ax
    mov word ptr es:[0x40 * 4], RM(rm_int)
    mov word ptr es:[0x40 * 4 + 2], RM_SEG
    int 0x40
    /* 0x1000:0x0020 and 0x1002:0x0000 are the same byte. */
    mov ax, 0x1000
    mov es, ax
    mov byte ptr es:[0x20], 0x5a
    mov ax, 0x1002
    mov es, ax
    mov si, RM(seg_bad_msg)
    cmp byte ptr es:[0], 0x5a
    jne 1f
    mov si, RM(seg_ok_msg)
1:  call rm_puts
    cli
    data32 lgdt [RM(rm_gdtr)]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    .byte 0x66, 0xea
    .long pm_back
    .word KCODE32

rm_int:
    push si
    mov si, RM(rm_int_msg)
    call rm_puts
    pop si
    iret

rm_putc:
    push dx
    push ax
1:  mov dx, COM1 + 5
    in al, dx
    test al, 0x20
    jz 1b
    pop ax
    mov dx, COM1
    out dx, al
    pop dx
    ret

rm_puts:
    push ax
    push si
1:  mov al, [si]
    test al, al
    jz 2f
    call rm_putc
    inc si
    jmp 1b
2:  pop si
    pop ax
    ret

rm_idtr: .word 0x3ff
    .long 0
rm_gdtr: .word 0
    .long 0
rm_msg: .asciz "real mode\n"
rm_int_msg: .asciz "real-mode int\n"
seg_ok_msg: .asciz "segments ok\n"
seg_bad_msg: .asciz "segments wrong\n"
rm_end:

    .section .rodata
pm_msg: .asciz "protected mode\n"
pm_again_msg: .asciz "protected mode again\n"
lm_msg: .asciz "long mode\n"
compat_msg: .asciz "compatibility mode\n"
lm_back_msg: .asciz "back in 64-bit mode\n"
    .bss
    .align 16
    .space 8192
stack_top:
