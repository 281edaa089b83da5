/* Self-modifying code: a patched function called again, an instruction
 * patched by the one before it (same translation block), a loop that
 * rewrites its own immediate, and code copied with REP MOVSB then called.
 * ox86-test: exit=1
 * ox86-test: expect=patched call 00000002
 * ox86-test: expect=same block 00000007
 * ox86-test: expect=loop 00000064
 * ox86-test: expect=copied 0000002a
 */
#include "mb.inc"

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    call init_idt32

    call patch_fn
    mov byte ptr [patch_fn + 1], 2
    call patch_fn
    mov esi, offset patched_msg
    call report32

    mov byte ptr [1f + 1], 7
1:  mov eax, 0
    mov esi, offset same_msg
    call report32

    mov ecx, 100
2:  add dword ptr [3f + 1], 1
3:  mov eax, 0
    loop 2b
    mov esi, offset loop_msg
    call report32

    mov esi, offset template
    mov edi, offset copy_area
    mov ecx, template_end - template
    cld
    rep movsb
    mov eax, offset copy_area
    call eax
    mov esi, offset copied_msg
    call report32
    EXIT 0

patch_fn:
    mov eax, 1
    ret

template:
    mov eax, 42
    ret
template_end:

    .section .rodata
patched_msg: .asciz "patched call "
same_msg: .asciz "same block "
loop_msg: .asciz "loop "
copied_msg: .asciz "copied "
    .bss
    .align 16
copy_area: .space 64
    .space 8192
stack_top:
