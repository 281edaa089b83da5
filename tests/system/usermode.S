/* Ring 3 in long mode: a user task calls the kernel through INT 0x80 (a
 * DPL 3 gate, stack switch to the TSS's RSP0) and SYSCALL/SYSRET; a
 * privileged instruction gives #GP, a supervisor page #PF with the U bit;
 * IRETQ returns to ring 3 each time.
 * ox86-test: exit=1
 * ox86-test: expect=long mode
 * ox86-test: expect=int 0x80 from cpl 3: hello via int
 * ox86-test: expect=stack switched 0000000000000001
 * ox86-test: expect=syscall: hello via syscall
 * ox86-test: expect=kernel cs 0000000000000010
 * ox86-test: expect=#GP from cpl 3, err 0000000000000000
 * ox86-test: expect=#PF from cpl 3 at 0000000000200000, err 0000000000000005
 * ox86-test: expect=user if 0000000000000200
 * ox86-test: expect=back in ring 3 with cs 0000000000000033
 */
#include "mb.inc"
#include "lm.inc"

    .code32
    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    call init_pic               /* user mode runs with IF set: mask the firmware's IRQs */
    ENTER_LONG_MODE lm_entry

    .code64
lm_entry:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    lea rsp, [rip + stack_top]
    lea rsi, [rip + lm_msg]
    call puts64
    call init_idt64
    lea rax, [rip + kstack_top]
    xor edx, edx
    call load_tss64
    mov eax, 0x80
    lea rdx, [rip + int80]
    mov ecx, 0xee
    call set_gate64
    mov eax, 13
    lea rdx, [rip + gp_handler]
    mov ecx, 0x8e
    call set_gate64
    mov eax, 14
    lea rdx, [rip + pf_handler]
    call set_gate64
    /* SYSCALL: kernel CS 0x10 (SS 0x18), user base 0x20 (SS 0x2b, CS 0x33). */
    mov ecx, 0xc0000081
    xor eax, eax
    mov edx, 0x00200010
    wrmsr
    mov ecx, 0xc0000082
    lea rax, [rip + syscall_entry]
    mov rdx, rax
    shr rdx, 32
    wrmsr
    mov ecx, 0xc0000084
    mov eax, 0x700              /* FMASK: IF, TF, DF */
    xor edx, edx
    wrmsr
    /* To ring 3. */
    push UDATA
    lea rax, [rip + ustack_top]
    push rax
    push 0x202
    push UCODE64
    lea rax, [rip + user_main]
    push rax
    iretq

/* Ring 3. */
user_main:
    lea rsi, [rip + msg_int]
    mov eax, 1
    int 0x80
    lea rsi, [rip + msg_syscall]
    mov eax, 1
    syscall
    pushfq
    pop rax
    mov [rip + user_flags], rax
    lea rax, [rip + 1f]
    mov [rip + resume], rax
    hlt
1:  lea rax, [rip + 2f]
    mov [rip + resume], rax
    mov rax, [0x200000]
2:  mov eax, 2
    int 0x80
    mov eax, 60
    int 0x80

/* Prints "<rsi text><digit of CS & 3 at [rsp + rdx]>" (rdx: frame offset). */
print_cpl:
    call puts64
    mov rax, [rsp + rdx + 8]
    and eax, 3
    add al, '0'
    call putc64
    ret

/* INT 0x80: eax 1 prints the string at rsi, 2 reports, 60 exits. */
int80:
    cmp eax, 60
    je 3f
    cmp eax, 2
    je 2f
    push rsi
    lea rsi, [rip + int_from]
    mov edx, 16
    call print_cpl
    lea rsi, [rip + colon]
    call puts64
    pop rsi
    call puts64
    mov al, '\n'
    call putc64
    /* On the TSS's RSP0 stack? */
    lea rax, [rip + kstack_top]
    sub rax, rsp
    cmp rax, 4096
    setb al
    movzx eax, al
    lea rsi, [rip + switched_msg]
    call report64
    iretq
2:  mov rax, [rip + user_flags]
    and eax, 0x200
    lea rsi, [rip + if_msg]
    call report64
    mov rax, [rsp + 8]
    lea rsi, [rip + back_msg]
    call report64
    iretq
3:  EXIT64 0

syscall_entry:
    mov [rip + saved_rsp], rsp
    lea rsp, [rip + kstack_top]
    push rcx
    push r11
    push rsi
    lea rsi, [rip + sys_msg]
    call puts64
    pop rsi
    call puts64
    mov al, '\n'
    call putc64
    xor eax, eax
    mov ax, cs
    lea rsi, [rip + kcs_msg]
    call report64
    pop r11
    pop rcx
    mov rsp, [rip + saved_rsp]
    sysretq

/* Faults with an error code: [rsp] error, [rsp + 8] RIP, [rsp + 16] CS. */
gp_handler:
    lea rsi, [rip + gp_msg]
    mov edx, 16
    call print_cpl
    lea rsi, [rip + err_msg]
    mov rax, [rsp]
    call report64
    jmp resume_user

pf_handler:
    lea rsi, [rip + pf_msg]
    mov edx, 16
    call print_cpl
    lea rsi, [rip + at_msg]
    call puts64
    mov rax, cr2
    call puthex64
    lea rsi, [rip + err_msg]
    mov rax, [rsp]
    call report64
resume_user:
    mov rax, [rip + resume]
    mov [rsp + 8], rax
    add rsp, 8
    iretq

    .data
resume: .long 0, 0
saved_rsp: .long 0, 0
user_flags: .long 0, 0
    .section .rodata
lm_msg: .asciz "long mode\n"
msg_int: .asciz "hello via int"
msg_syscall: .asciz "hello via syscall"
int_from: .asciz "int 0x80 from cpl "
colon: .asciz ": "
switched_msg: .asciz "stack switched "
sys_msg: .asciz "syscall: "
kcs_msg: .asciz "kernel cs "
gp_msg: .asciz "#GP from cpl "
pf_msg: .asciz "#PF from cpl "
at_msg: .asciz " at "
err_msg: .asciz ", err "
if_msg: .asciz "user if "
back_msg: .asciz "back in ring 3 with cs "
    .bss
    .align 16
    .space 4096
kstack_top:
    .space 4096
ustack_top:
    .space 8192
stack_top:
