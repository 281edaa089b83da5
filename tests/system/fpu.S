/* CR0.TS, CR0.EM, CR0.MP and CR4.OSFXSR: x87 and SSE instructions give
 * #NM while TS is set (the handler clears it with CLTS and the
 * instruction runs again), SSE gives #UD under EM or without OSFXSR, and
 * WAIT gives #NM with TS and MP.
 * ox86-test: exit=1
 * ox86-test: expect=fld1 after #NM 3f800000
 * ox86-test: expect=#NM count 00000003
 * ox86-test: expect=#UD count 00000002
 * ox86-test: expect=xmm after 00000005
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    call init_idt32
    mov cl, 0x8e
    mov eax, 7
    mov edx, offset nm_handler
    call set_gate32
    mov eax, 6
    mov edx, offset ud_handler
    call set_gate32
    mov eax, cr4
    or eax, 0x600               /* OSFXSR OSXMMEXCPT */
    mov cr4, eax
    mov eax, cr0
    and eax, ~4                 /* EM off */
    or eax, 0x2a                /* MP, TS, NE */
    mov cr0, eax

    fninit
    fld1
    fstp dword ptr [val]
    mov eax, [val]
    mov esi, offset fld_msg
    call report32

    mov eax, cr0                /* TS again: SSE faults too */
    or eax, 8
    mov cr0, eax
    mov eax, 5
    movd xmm0, eax

    mov eax, cr0                /* TS and MP: WAIT faults */
    or eax, 8
    mov cr0, eax
    fwait

    mov eax, cr0                /* EM: SSE is undefined */
    or eax, 4
    mov cr0, eax
    movd ebx, xmm0
    mov eax, cr4                /* no OSFXSR: undefined too */
    and eax, ~0x200
    mov cr4, eax
    movd ebx, xmm0

    mov eax, [nm_count]
    mov esi, offset nm_msg
    call report32
    mov eax, [ud_count]
    mov esi, offset ud_msg
    call report32
    mov eax, ebx
    mov esi, offset xmm_msg
    call report32
    EXIT 0

nm_handler:
    inc dword ptr [nm_count]
    clts
    iret

/* #UD: turn off EM, turn on OSFXSR, run the instruction again. */
ud_handler:
    push eax
    inc dword ptr [ud_count]
    mov eax, cr0
    and eax, ~4
    mov cr0, eax
    mov eax, cr4
    or eax, 0x200
    mov cr4, eax
    pop eax
    iret

    .data
val: .long 0
nm_count: .long 0
ud_count: .long 0
    .section .rodata
fld_msg: .asciz "fld1 after #NM "
nm_msg: .asciz "#NM count "
ud_msg: .asciz "#UD count "
xmm_msg: .asciz "xmm after "
    .bss
    .align 16
    .space 4096
stack_top:
