/* Paging with 32-bit page tables: page faults on a read of a not-present
 * page, a write to a read-only page (CR0.WP) and an instruction fetch,
 * each reported with CR2 and its error code; the handler maps the page
 * and the instruction runs again. Accessed and dirty bits, and a 4 MiB
 * page (CR4.PSE).
 * ox86-test: exit=1
 * ox86-test: expect=page fault at 00400123 err 00000000
 * ox86-test: expect=read 12345678
 * ox86-test: expect=pte 00500023
 * ox86-test: expect=page fault at 00401008 err 00000003
 * ox86-test: expect=written 0000abcd
 * ox86-test: expect=pte 00501063
 * ox86-test: expect=page fault at 00c00000 err 00000000
 * ox86-test: expect=called 00000055
 * ox86-test: expect=pde 008000e3
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    call init_idt32
    mov eax, 14
    mov edx, offset pf_handler
    mov cl, 0x8e
    call set_gate32
    /* Physical memory the test maps later. */
    mov dword ptr [0x500123], 0x12345678
    mov dword ptr [0x400000], 0x0055b8     /* mov eax, 0x55 */
    mov byte ptr [0x400004], 0
    mov byte ptr [0x400005], 0xc3          /* ret */
    /* PT0 identity-maps the first 4 MiB; PD[1] and PD[3] are absent. */
    mov edi, offset pt0
    mov eax, 0x3
1:  mov [edi], eax
    add edi, 4
    add eax, 0x1000
    cmp eax, 0x400003
    jb 1b
    mov eax, offset pt0
    or eax, 3
    mov [pd], eax
    mov dword ptr [pd + 8], 0x800083       /* 4 MiB page at 8 MiB */
    mov eax, cr4
    or eax, 0x10                           /* PSE */
    mov cr4, eax
    mov eax, offset pd
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000                     /* PG, WP */
    mov cr0, eax

    mov eax, [0x400123]
    mov esi, offset read_msg
    call report32
    mov eax, [pt1]
    mov esi, offset pte_msg
    call report32

    mov dword ptr [0x401008], 0xabcd
    mov eax, [0x401008]
    mov esi, offset written_msg
    call report32
    mov eax, [pt1 + 4]
    mov esi, offset pte_msg
    call report32

    mov eax, 0xc00000
    call eax
    mov esi, offset called_msg
    call report32

    mov dword ptr [0x800010], 1
    mov eax, [pd + 8]
    mov esi, offset pde_msg
    call report32
    EXIT 0

pf_handler:
    push eax
    push esi
    mov esi, offset pf_msg
    mov eax, cr2
    call puts32
    call puthex32
    mov esi, offset err_msg
    mov eax, [esp + 8]
    call report32
    mov eax, cr2
    cmp eax, 0x400123
    jne 1f
    /* Map 4 MiB..: PT1[0] -> 0x500000 read/write, PT1[1] -> 0x501000 read-only. */
    mov dword ptr [pt1], 0x500003
    mov dword ptr [pt1 + 4], 0x501001
    mov eax, offset pt1
    or eax, 3
    mov [pd + 4], eax
    jmp 9f
1:  cmp eax, 0x401008
    jne 2f
    or dword ptr [pt1 + 4], 2
    invlpg [0x401000]
    jmp 9f
2:  mov dword ptr [pd + 12], 0x400083      /* 4 MiB page at 12 MiB -> 4 MiB */
9:  pop esi
    pop eax
    add esp, 4
    iret

    .section .rodata
pf_msg: .asciz "page fault at "
err_msg: .asciz " err "
read_msg: .asciz "read "
written_msg: .asciz "written "
called_msg: .asciz "called "
pte_msg: .asciz "pte "
pde_msg: .asciz "pde "
    .bss
    .align 4096
pd: .space 4096
pt0: .space 4096
pt1: .space 4096
    .space 8192
stack_top:
