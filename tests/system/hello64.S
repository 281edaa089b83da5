/* A plain x86-64 ELF, entered in 64-bit mode with identity paging (no
 * Multiboot header): prints a line on COM1 and exits.
 * ox86-test: elf64
 * ox86-test: exit=33
 * ox86-test: expect=hello from long mode
 */
    .intel_syntax noprefix
    .code64
    .globl _start
    .text
_start:
    lea rsi, [rip + msg]
1:  mov al, [rsi]
    test al, al
    jz 2f
    mov dx, 0x3f8
    out dx, al
    inc rsi
    jmp 1b
2:  mov dx, 0xf4
    mov eax, 0x10
    out dx, eax
    hlt
msg: .asciz "hello from long mode\n"
