/* PAE paging (CR4.PAE in protected mode) with execute-disable: a 4-entry
 * PDPT, 2 MiB and 4 KiB pages, 64-bit entries. Page faults on a not-present
 * page and a not-present PDPTE, a write to a read-only page (CR0.WP), an
 * instruction fetch from an XD page (EFER.NXE) and from a not-present
 * page, and reserved bits (62:M of a PTE, 20:13 of a 2 MiB PDE, XD while
 * NXE is clear), each reported with CR2 and its error code; each handler
 * fix lets the access run again. Accessed and dirty bits in the PTE and
 * PDEs, PDPTEs left as written, INVLPG after a PTE or PDE changes, and
 * last, 32-bit paging with NXE set: a fetch fault without I/D.
 * Two places where QEMU's TCG differs from the SDM are printed so that
 * both agree: PDPTEs without bit 5, error codes with RSVD with P set.
 *
 * Physical layout (fixed, so the printed entries are too): PDPT 0x600000,
 * PD0 0x601000, PD1 0x602000, PT0 0x603000; data pages 0x500000-0x506fff,
 * 2 MiB pages at 0x800000 and 0xa00000; at the end, a 32-bit page
 * directory at 0x300000.
 * Linear: 0-2M identity (2 MiB page, the kernel); 2M-4M through PT0;
 * 4M-6M -> 0x800000 (2 MiB page); 6M-8M identity (the tables);
 * 8M-10M a 2 MiB page with reserved bit 13; 1G (PDPTE 1) not present.
 *
 * ox86-test: exit=1
 * ox86-test: expect=cpuid 00000040 00100000
 * ox86-test: expect=efer 00000800
 * ox86-test: expect=read 50505050
 * ox86-test: expect=pte 0000000000500023
 * ox86-test: expect=pde 0000000000603023
 * ox86-test: expect=pdpte 0000000000601001
 * ox86-test: expect=page fault at 00201008 err 00000003
 * ox86-test: expect=written 0000abcd
 * ox86-test: expect=pte 0000000000501063
 * ox86-test: expect=page fault at 00202004 err 00000000
 * ox86-test: expect=read 22222222
 * ox86-test: expect=read xd page 000055b8
 * ox86-test: expect=page fault at 00203000 err 00000011
 * ox86-test: expect=called 00000055
 * ox86-test: expect=pte 0000000000503021
 * ox86-test: expect=page fault at 00206000 err 00000010
 * ox86-test: expect=called 00000055
 * ox86-test: expect=page fault at 00204000 err 00000009
 * ox86-test: expect=read 44444444
 * ox86-test: expect=page fault at 00800004 err 0000000b
 * ox86-test: expect=written 00000077
 * ox86-test: expect=pde 00000000008000e3
 * ox86-test: expect=pde 00000000008000a3
 * ox86-test: expect=pde 00000000008000e3
 * ox86-test: expect=read 88888888
 * ox86-test: expect=read aaaaaaaa
 * ox86-test: expect=read 66666666
 * ox86-test: expect=page fault at 40000010 err 00000000
 * ox86-test: expect=read aaaaaa10
 * ox86-test: expect=pdpte 0000000000602001
 * ox86-test: expect=page fault at 00205000 err 00000009
 * ox86-test: expect=read 55555555
 * ox86-test: expect=pdpte 0000000000601001
 * ox86-test: expect=page fault at 00503000 err 00000000
 * ox86-test: expect=called 00000055
 */
#include "mb.inc"

#define PDPT 0x600000
#define PD0 0x601000
#define PD1 0x602000
#define PT0 0x603000
#define PD32 0x300000
#define IA32_EFER 0xc0000080
#define EFER_NXE 0x800
/* Entry bits: P, RW, PS; XD and bit 52 in the high dword. */
#define P 0x1
#define RW 0x2
#define PS 0x80
#define XD_HI 0x80000000
#define BIT52_HI 0x00100000

    .globl _start
_start:
    mov esp, offset stack_top
    call load_gdt32
    call init_idt32
    mov eax, 14
    mov edx, offset pf_handler
    mov cl, 0x8e
    call set_gate32

    /* CPUID: PAE (leaf 1 EDX bit 6), NX (8000_0001h EDX bit 20). */
    mov eax, 1
    cpuid
    and edx, 0x40
    mov edi, edx
    mov eax, 0x80000001
    cpuid
    and edx, 0x100000
    mov esi, offset cpuid_msg
    mov eax, edi
    call puts32
    call puthex32
    mov al, ' '
    call putc32
    mov eax, edx
    call puthex32
    mov al, '\n'
    call putc32

    /* Data the mappings lead to. */
    mov dword ptr [0x500000], 0x50505050
    mov dword ptr [0x502004], 0x22222222
    mov dword ptr [0x503000], 0x0055b8     /* mov eax, 0x55 */
    mov byte ptr [0x503004], 0
    mov byte ptr [0x503005], 0xc3          /* ret */
    mov dword ptr [0x504000], 0x44444444
    mov dword ptr [0x505000], 0x55555555
    mov dword ptr [0x506000], 0x66666666
    mov dword ptr [0x800000], 0x88888888
    mov dword ptr [0xa00000], 0xaaaaaaaa
    mov dword ptr [0xa00010], 0xaaaaaa10

    /* The tables. */
    mov edi, PDPT
    xor eax, eax
    mov ecx, 4 * 4096 / 4
    rep stosd
    mov dword ptr [PDPT], PD0 | P
    mov dword ptr [PD0], 0x000000 | P | RW | PS
    mov dword ptr [PD0 + 8], PT0 | P | RW
    mov dword ptr [PD0 + 16], 0x800000 | P | RW | PS
    mov dword ptr [PD0 + 24], 0x600000 | P | RW | PS
    mov dword ptr [PD0 + 32], 0x800000 | P | RW | PS | 0x2000
    mov dword ptr [PT0], 0x500000 | P | RW
    mov dword ptr [PT0 + 8], 0x501000 | P
    mov dword ptr [PT0 + 24], 0x503000 | P
    mov dword ptr [PT0 + 28], XD_HI
    mov dword ptr [PT0 + 32], 0x504000 | P | RW
    mov dword ptr [PT0 + 36], BIT52_HI
    mov dword ptr [PT0 + 40], 0x505000 | P | RW
    mov dword ptr [PT0 + 44], XD_HI

    /* EFER.NXE, then PAE paging with CR0.WP. */
    mov ecx, IA32_EFER
    rdmsr
    or eax, EFER_NXE
    wrmsr
    rdmsr
    mov esi, offset efer_msg
    call report32
    mov eax, cr4
    or eax, 0x20                           /* PAE */
    mov cr4, eax
    mov eax, PDPT
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000                     /* PG, WP */
    mov cr0, eax

    /* A read through a 4 KiB page sets A in the PTE and the PDE. */
    mov dword ptr [fixup], offset no_fix
    mov eax, [0x200000]
    mov esi, offset read_msg
    call report32
    mov ebx, PT0
    mov esi, offset pte_msg
    call report_entry
    mov ebx, PD0 + 8
    mov esi, offset pde_msg
    call report_entry
    mov ebx, PDPT
    mov esi, offset pdpte_msg
    call report_pdpte

    /* A write to a read-only page with CR0.WP: P W. */
    mov dword ptr [fixup], offset fix_read_only
    mov dword ptr [0x201008], 0xabcd
    mov eax, [0x201008]
    mov esi, offset written_msg
    call report32
    mov ebx, PT0 + 8
    mov esi, offset pte_msg
    call report_entry

    /* A read of a not-present page: 0. */
    mov dword ptr [fixup], offset fix_not_present
    mov eax, [0x202004]
    mov esi, offset read_msg
    call report32

    /* XD pages may be read but not executed: P I/D. */
    mov dword ptr [fixup], offset no_fix
    mov eax, [0x203000]
    mov esi, offset read_xd_msg
    call report32
    mov dword ptr [fixup], offset fix_xd
    mov eax, 0x203000
    call eax
    mov esi, offset called_msg
    call report32
    mov ebx, PT0 + 24
    mov esi, offset pte_msg
    call report_entry

    /* A fetch from a not-present page: I/D. */
    mov dword ptr [fixup], offset fix_fetch
    mov eax, 0x206000
    call eax
    mov esi, offset called_msg
    call report32

    /* Bit 52 of a PAE PTE is reserved (62:M): P RSVD. */
    mov dword ptr [fixup], offset fix_bit52
    mov eax, [0x204000]
    mov esi, offset read_msg
    call report32

    /* Bit 13 of a 2 MiB PDE is reserved (20:13): P W RSVD. */
    mov dword ptr [fixup], offset fix_pde_bit13
    mov dword ptr [0x800004], 0x77
    mov eax, [0x800004]
    mov esi, offset written_msg
    call report32
    mov ebx, PD0 + 32
    mov esi, offset pde_msg
    call report_entry

    /* A and D in a 2 MiB PDE: a read sets A, a write D. */
    mov dword ptr [fixup], offset no_fix
    and dword ptr [PD0 + 16], ~0x60
    invlpg [0x400000]
    mov eax, [0x400000]
    mov ebx, PD0 + 16
    mov esi, offset pde_msg
    call report_entry
    mov dword ptr [0x400008], 1
    call report_entry

    /* INVLPG makes a changed 2 MiB PDE and a changed PTE visible. */
    mov eax, [0x400000]
    mov esi, offset read_msg
    call report32
    mov dword ptr [PD0 + 16], 0xa00000 | P | RW | PS
    invlpg [0x400000]
    mov eax, [0x400000]
    call report32
    mov eax, [0x200000]
    mov dword ptr [PT0], 0x506000 | P | RW
    invlpg [0x200000]
    mov eax, [0x200000]
    call report32

    /* A not-present PDPTE: 0; the handler fills it and reloads CR3 (the
     * PDPTEs are loaded with CR3). */
    mov dword ptr [fixup], offset fix_pdpte
    mov eax, [0x40000010]
    mov esi, offset read_msg
    call report32
    mov ebx, PDPT + 8
    mov esi, offset pdpte_msg
    call report_pdpte

    /* With EFER.NXE clear, XD is a reserved bit: P RSVD. */
    mov ecx, IA32_EFER
    rdmsr
    and eax, ~EFER_NXE
    wrmsr
    mov dword ptr [fixup], offset fix_xd_reserved
    mov eax, [0x205000]
    mov esi, offset read_msg
    call report32
    mov ebx, PDPT
    mov esi, offset pdpte_msg
    call report_pdpte

    /* 32-bit paging (4 MiB pages) ignores EFER.NXE: a fetch fault has
     * I/D clear. */
    mov eax, cr0
    and eax, ~0x80000000
    mov cr0, eax
    mov ecx, IA32_EFER
    rdmsr
    or eax, EFER_NXE
    wrmsr
    mov eax, cr4
    xor eax, 0x30                          /* PAE off, PSE on */
    mov cr4, eax
    mov edi, PD32
    xor eax, eax
    mov ecx, 4096 / 4
    rep stosd
    mov dword ptr [PD32], 0x000000 | P | RW | PS
    mov eax, PD32
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov dword ptr [fixup], offset fix_pd32
    mov eax, 0x503000
    call eax
    mov esi, offset called_msg
    call report32
    EXIT 0

/* Prints the string at esi and the 64-bit entry at ebx in hex. */
report_entry:
    push ecx
    mov ecx, -1
    jmp 1f
/* The same for a PDPTE, without bit 5: the SDM has bits 8:5 of a PAE
 * PDPTE reserved and the CPU loads PDPTEs with CR3 without writing them,
 * QEMU sets bit 5 there as an accessed bit. */
report_pdpte:
    push ecx
    mov ecx, ~0x20
1:  push eax
    call puts32
    mov eax, [ebx + 4]
    call puthex32
    mov eax, [ebx]
    and eax, ecx
    call puthex32
    mov al, '\n'
    call putc32
    pop eax
    pop ecx
    ret

/* Reports CR2 and the error code, then calls the fix the test set. An
 * error code with RSVD is printed with P set: the SDM (4.7) has P set
 * whenever RSVD is, QEMU leaves it clear (ox86's code is checked by
 * the unit tests in crates/x86/src/system/paging.rs). */
pf_handler:
    pushad
    mov esi, offset pf_msg
    mov eax, cr2
    call puts32
    call puthex32
    mov esi, offset err_msg
    mov eax, [esp + 32]
    test al, 8
    jz 1f
    or al, 1
1:  call report32
    mov eax, [fixup]
    mov dword ptr [fixup], offset no_fix
    call eax
    popad
    add esp, 4
    iret

/* No fault was expected. */
no_fix:
    mov esi, offset unexpected_pf_msg
    call puts32
    EXIT 0x7e

fix_read_only:
    or dword ptr [PT0 + 8], RW
    invlpg [0x201000]
    ret

fix_not_present:
    mov dword ptr [PT0 + 16], 0x502000 | P | RW
    ret

fix_xd:
    mov dword ptr [PT0 + 28], 0
    invlpg [0x203000]
    ret

fix_fetch:
    mov dword ptr [PT0 + 48], 0x503000 | P
    ret

fix_bit52:
    mov dword ptr [PT0 + 36], 0
    invlpg [0x204000]
    ret

fix_pde_bit13:
    and dword ptr [PD0 + 32], ~0x2000
    invlpg [0x800000]
    ret

fix_pdpte:
    mov dword ptr [PD1], 0xa00000 | P | RW | PS
    mov dword ptr [PDPT + 8], PD1 | P
    mov eax, cr3
    mov cr3, eax
    ret

fix_pd32:
    mov dword ptr [PD32 + 4], 0x400000 | P | RW | PS
    ret

fix_xd_reserved:
    mov dword ptr [PT0 + 44], 0
    invlpg [0x205000]
    ret

    .section .rodata
cpuid_msg: .asciz "cpuid "
efer_msg: .asciz "efer "
pf_msg: .asciz "page fault at "
err_msg: .asciz " err "
read_msg: .asciz "read "
read_xd_msg: .asciz "read xd page "
written_msg: .asciz "written "
called_msg: .asciz "called "
pte_msg: .asciz "pte "
pde_msg: .asciz "pde "
pdpte_msg: .asciz "pdpte "
unexpected_pf_msg: .asciz "unexpected page fault\n"
    .data
fixup: .long no_fix
    .bss
    .align 16
    .space 8192
stack_top:
