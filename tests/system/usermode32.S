/* Ring 3 in 32-bit protected mode: INT 0x80 through a DPL 3 gate with the
 * stack switched from the TSS (SS0:ESP0), SYSENTER/SYSEXIT, and #GP for
 * CLI and IN at CPL 3 with IOPL 0; IRET back to ring 3 each time.
 * ox86-test: exit=1
 * ox86-test: expect=int 0x80 from cpl 3, user ss 0000002b
 * ox86-test: expect=stack switched 00000001
 * ox86-test: expect=sysenter, kernel cs 00000058
 * ox86-test: expect=after sysexit, cs 0000006b
 * ox86-test: expect=#GP from cpl 3, err 00000000
 * ox86-test: expect=#GP from cpl 3, err 00000000
 * ox86-test: expect=done
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    call init_pic               /* user mode runs with IF set: mask the firmware's IRQs */
    call init_idt32
    mov eax, 0x80
    mov edx, offset int80
    mov cl, 0xee
    call set_gate32
    mov eax, 13
    mov edx, offset gp_handler
    mov cl, 0x8e
    call set_gate32
    /* 32-bit TSS: SS0:ESP0. */
    mov dword ptr [tss + 4], offset kstack_top
    mov dword ptr [tss + 8], KDATA
    mov word ptr [tss + 102], 104
    mov eax, offset tss
    mov word ptr [gdt + TSS_SEL], 103
    mov [gdt + TSS_SEL + 2], ax
    shr eax, 16
    mov [gdt + TSS_SEL + 4], al
    mov byte ptr [gdt + TSS_SEL + 5], 0x89
    mov byte ptr [gdt + TSS_SEL + 6], 0
    mov [gdt + TSS_SEL + 7], ah
    mov ax, TSS_SEL
    ltr ax
    /* SYSENTER. */
    mov ecx, 0x174
    mov eax, SYSENTER_CS
    xor edx, edx
    wrmsr
    mov ecx, 0x175
    mov eax, offset kstack2_top
    wrmsr
    mov ecx, 0x176
    mov eax, offset sysenter_entry
    wrmsr
    /* To ring 3. */
    push UDATA
    push offset ustack_top
    push 0x202
    push UCODE32
    push offset user_main
    iret

user_main:
    mov ax, UDATA
    mov ds, ax
    mov es, ax
    mov eax, 1
    int 0x80
    mov ecx, esp
    mov edx, offset 1f
    sysenter
1:  mov ax, 0x73
    mov ds, ax
    mov es, ax
    mov eax, 2
    int 0x80
    mov dword ptr [resume], offset 2f
    cli
2:  mov dword ptr [resume], offset 3f
    in al, 0x60
3:  mov eax, 60
    int 0x80

/* INT 0x80 frame: EIP, CS, EFLAGS, ESP, SS. */
int80:
    push ds
    push es
    push KDATA
    pop ds
    push KDATA
    pop es
    cmp eax, 60
    je 3f
    cmp eax, 2
    je 2f
    mov esi, offset int_msg
    call puts32
    mov eax, [esp + 12]
    and eax, 3
    add al, '0'
    call putc32
    mov esi, offset ss_msg
    mov eax, [esp + 24]
    call report32
    mov eax, offset kstack_top
    sub eax, esp
    cmp eax, 4096
    setb al
    movzx eax, al
    mov esi, offset switched_msg
    call report32
    jmp 9f
2:  mov esi, offset sysexit_msg
    mov eax, [esp + 12]
    call report32
9:  pop es
    pop ds
    iret
3:  mov esi, offset done_msg
    call puts32
    EXIT 0

sysenter_entry:
    push ds
    push KDATA
    pop ds
    push ecx
    push edx
    xor eax, eax
    mov ax, cs
    mov esi, offset sysenter_msg
    call report32
    pop edx
    pop ecx
    pop ds
    sysexit

gp_handler:
    push ds
    push KDATA
    pop ds
    mov esi, offset gp_msg
    call puts32
    mov eax, [esp + 12]
    and eax, 3
    add al, '0'
    call putc32
    mov esi, offset err_msg
    mov eax, [esp + 4]
    call report32
    mov eax, [resume]
    mov [esp + 8], eax
    pop ds
    add esp, 4
    iret

    .data
resume: .long 0
    .section .rodata
int_msg: .asciz "int 0x80 from cpl "
ss_msg: .asciz ", user ss "
switched_msg: .asciz "stack switched "
sysenter_msg: .asciz "sysenter, kernel cs "
sysexit_msg: .asciz "after sysexit, cs "
gp_msg: .asciz "#GP from cpl "
err_msg: .asciz ", err "
done_msg: .asciz "done\n"
    .bss
    .align 16
tss: .space 104
    .space 4096
kstack_top:
    .space 4096
kstack2_top:
    .space 4096
ustack_top:
    .space 8192
stack_top:
