/* The other PC devices: RTC time of day in BCD (after update in
 * progress), the CMOS memory size, the i8042's self test, interface test
 * and command byte, the A20 gate (address wrap at 1 MiB through port 0x92
 * and the i8042), and the POST port.
 * ox86-test: exit=1
 * ox86-test: expect=rtc ok
 * ox86-test: expect=century 00000020
 * ox86-test: expect=extended memory kib 0000fc00
 * ox86-test: expect=i8042 self test 00000055
 * ox86-test: expect=i8042 interface test 00000000
 * ox86-test: expect=a20 off wraps 00000001
 * ox86-test: expect=a20 on wraps 00000000
 */
#include "mb.inc"

/* Reads CMOS register \reg into eax. */
    .macro CMOS reg
    mov al, \reg
    out 0x70, al
    in al, 0x71
    movzx eax, al
    .endm

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    mov al, 0x42
    out 0x80, al

    /* Wait for the end of an update, then check each BCD field. */
1:  CMOS 0x0a
    test al, 0x80
    jnz 1b
    mov ebx, 1
    CMOS 0x00
    mov cl, 0x59
    call check_bcd
    CMOS 0x02
    mov cl, 0x59
    call check_bcd
    CMOS 0x04
    mov cl, 0x23
    call check_bcd
    CMOS 0x07
    mov cl, 0x31
    call check_bcd
    CMOS 0x08
    mov cl, 0x12
    call check_bcd
    CMOS 0x09
    mov cl, 0x99
    call check_bcd
    mov esi, offset rtc_bad
    test ebx, ebx
    jz 2f
    mov esi, offset rtc_ok
2:  call puts32
    CMOS 0x32
    mov esi, offset century_msg
    call report32
    CMOS 0x31
    shl eax, 8
    mov ebx, eax
    CMOS 0x30
    or eax, ebx
    mov esi, offset ext_msg
    call report32

    mov al, 0xaa
    call kbc_command
    call kbc_read
    mov esi, offset self_msg
    call report32
    mov al, 0xab
    call kbc_command
    call kbc_read
    mov esi, offset iface_msg
    call report32

    /* A20: run the probe from low memory, with a low stack. */
    mov esi, offset a20_probe
    mov edi, 0x9000
    mov ecx, a20_probe_end - a20_probe
    cld
    rep movsb
    mov ebx, 1
    mov eax, 0x9000
    call eax
    mov esi, offset a20_off_msg
    call report32
    xor ebx, ebx
    mov eax, 0x9000
    call eax
    mov esi, offset a20_on_msg
    call report32
    EXIT 0

/* Clears ebx unless al is valid BCD and at most cl. */
check_bcd:
    mov ah, al
    and ah, 0x0f
    cmp ah, 9
    ja 1f
    cmp al, 0xa0
    jae 1f
    cmp al, cl
    ja 1f
    ret
1:  xor ebx, ebx
    ret

/* Sends controller command al (waits for the input buffer). */
kbc_command:
    push eax
1:  in al, 0x64
    test al, 2
    jnz 1b
    pop eax
    out 0x64, al
    ret

/* Reads a byte from the output buffer into eax. */
kbc_read:
1:  in al, 0x64
    test al, 1
    jz 1b
    in al, 0x60
    movzx eax, al
    ret

/* Position-independent, run below 1 MiB: with ebx set, turns A20 off
 * (i8042 command 0xdd and port 0x92) for the probe and back on after.
 * Returns 1 in eax if 0x100500 aliases 0x500. */
a20_probe:
    mov edi, esp
    mov esp, 0x8ff0
    test ebx, ebx
    jz 1f
2:  in al, 0x64
    test al, 2
    jnz 2b
    mov al, 0xdd
    out 0x64, al
    in al, 0x92
    and al, ~2
    out 0x92, al
1:  mov dword ptr [0x500], 0
    mov dword ptr [0x100500], 0x5a5aa5a5
    xor ecx, ecx
    cmp dword ptr [0x500], 0x5a5aa5a5
    sete cl
3:  in al, 0x64
    test al, 2
    jnz 3b
    mov al, 0xdf
    out 0x64, al
    in al, 0x92
    or al, 2
    out 0x92, al
    mov eax, ecx
    mov esp, edi
    ret
a20_probe_end:

    .section .rodata
rtc_ok: .asciz "rtc ok\n"
rtc_bad: .asciz "rtc fields out of range\n"
century_msg: .asciz "century "
ext_msg: .asciz "extended memory kib "
self_msg: .asciz "i8042 self test "
iface_msg: .asciz "i8042 interface test "
a20_off_msg: .asciz "a20 off wraps "
a20_on_msg: .asciz "a20 on wraps "
    .bss
    .align 16
    .space 8192
stack_top:
