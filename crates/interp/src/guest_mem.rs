//! Fault-tolerant guest memory access for the interpreter. Guest addresses
//! are host addresses (user mode, guest_base 0); each access is one host
//! instruction inside a small assembly stub. If it faults, the host signal
//! handler sees the faulting pc inside `[GUEST_MEM_START, GUEST_MEM_END)`,
//! puts the fault description in RAX/RDX and resumes at the stub's `ret`,
//! like the kernel's exception-table fixups for user copies.

use std::arch::global_asm;

/// Result of one access: the loaded value, or a fault description.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Access {
    /// Loaded value (zero-extended), or the faulting address when `fault != 0`.
    pub value: u64,
    /// 0: ok. Otherwise bit 0 set, bit 1 = write access, bit 2 = SIGBUS,
    /// bit 3 = general protection (the address is not canonical).
    pub fault: u64,
}

/// `Access::fault` bit for a faulting write.
pub const FAULT_WRITE: u64 = 1 << 1;
/// `Access::fault` bit for a bus error (SIGBUS) instead of SIGSEGV.
pub const FAULT_BUS: u64 = 1 << 2;
/// `Access::fault` bit for a general-protection fault (the host's trap
/// 13) instead of a page fault.
pub const FAULT_GP: u64 = 1 << 3;

global_asm!(
    ".text",
    ".globl ox86_guest_mem_start",
    "ox86_guest_mem_start:",
    ".globl ox86_guest_ld8u",
    "ox86_guest_ld8u:",
    "xor edx, edx",
    "movzx eax, byte ptr [rdi]",
    "ret",
    ".globl ox86_guest_ld8s",
    "ox86_guest_ld8s:",
    "xor edx, edx",
    "movsx rax, byte ptr [rdi]",
    "ret",
    ".globl ox86_guest_ld16u",
    "ox86_guest_ld16u:",
    "xor edx, edx",
    "movzx eax, word ptr [rdi]",
    "ret",
    ".globl ox86_guest_ld16s",
    "ox86_guest_ld16s:",
    "xor edx, edx",
    "movsx rax, word ptr [rdi]",
    "ret",
    ".globl ox86_guest_ld32u",
    "ox86_guest_ld32u:",
    "xor edx, edx",
    "mov eax, dword ptr [rdi]",
    "ret",
    ".globl ox86_guest_ld32s",
    "ox86_guest_ld32s:",
    "xor edx, edx",
    "movsxd rax, dword ptr [rdi]",
    "ret",
    ".globl ox86_guest_ld64",
    "ox86_guest_ld64:",
    "xor edx, edx",
    "mov rax, qword ptr [rdi]",
    "ret",
    ".globl ox86_guest_st8",
    "ox86_guest_st8:",
    "xor edx, edx",
    "xor eax, eax",
    "mov byte ptr [rdi], sil",
    "ret",
    ".globl ox86_guest_st16",
    "ox86_guest_st16:",
    "xor edx, edx",
    "xor eax, eax",
    "mov word ptr [rdi], si",
    "ret",
    ".globl ox86_guest_st32",
    "ox86_guest_st32:",
    "xor edx, edx",
    "xor eax, eax",
    "mov dword ptr [rdi], esi",
    "ret",
    ".globl ox86_guest_st64",
    "ox86_guest_st64:",
    "xor edx, edx",
    "xor eax, eax",
    "mov qword ptr [rdi], rsi",
    "ret",
    // One 16-byte store: written whole or, if it faults, not at all.
    ".globl ox86_guest_st128",
    "ox86_guest_st128:",
    "movq xmm0, rsi",
    "movq xmm1, rdx",
    "punpcklqdq xmm0, xmm1",
    "xor edx, edx",
    "xor eax, eax",
    "movdqu xmmword ptr [rdi], xmm0",
    "ret",
    ".globl ox86_guest_mem_fixup",
    "ox86_guest_mem_fixup:",
    "ret",
    ".globl ox86_guest_mem_end",
    "ox86_guest_mem_end:",
);

extern "C" {
    static ox86_guest_mem_start: u8;
    static ox86_guest_mem_end: u8;
    fn ox86_guest_mem_fixup();
    fn ox86_guest_ld8u(a: u64) -> Access;
    fn ox86_guest_ld8s(a: u64) -> Access;
    fn ox86_guest_ld16u(a: u64) -> Access;
    fn ox86_guest_ld16s(a: u64) -> Access;
    fn ox86_guest_ld32u(a: u64) -> Access;
    fn ox86_guest_ld32s(a: u64) -> Access;
    fn ox86_guest_ld64(a: u64) -> Access;
    fn ox86_guest_st8(a: u64, v: u64) -> Access;
    fn ox86_guest_st16(a: u64, v: u64) -> Access;
    fn ox86_guest_st32(a: u64, v: u64) -> Access;
    fn ox86_guest_st64(a: u64, v: u64) -> Access;
    fn ox86_guest_st128(a: u64, lo: u64, hi: u64) -> Access;
}

/// If host pc `pc` is a guest access in a stub, the pc to resume at.
pub fn fixup_for(pc: usize) -> Option<usize> {
    // SAFETY: only the addresses of the asm symbols are taken.
    let (start, end) = unsafe {
        (
            &ox86_guest_mem_start as *const u8 as usize,
            &ox86_guest_mem_end as *const u8 as usize,
        )
    };
    (start..end)
        .contains(&pc)
        .then_some(ox86_guest_mem_fixup as *const () as usize)
}

macro_rules! loads {
    ($($name:ident => $stub:ident;)*) => {$(
        /// Guest load; a fault comes back as `Access::fault`.
        #[inline]
        pub fn $name(a: u64) -> Access {
            // SAFETY: the stub touches only `a`; a fault there is turned
            // into a return value by the host signal handler (see `fixup_for`).
            unsafe { $stub(a) }
        }
    )*};
}

macro_rules! stores {
    ($($name:ident => $stub:ident;)*) => {$(
        /// Guest store; a fault comes back as `Access::fault`.
        #[inline]
        pub fn $name(a: u64, v: u64) -> Access {
            // SAFETY: as for loads; guest memory is the guest's to write.
            unsafe { $stub(a, v) }
        }
    )*};
}

loads! {
    ld8u => ox86_guest_ld8u;
    ld8s => ox86_guest_ld8s;
    ld16u => ox86_guest_ld16u;
    ld16s => ox86_guest_ld16s;
    ld32u => ox86_guest_ld32u;
    ld32s => ox86_guest_ld32s;
    ld64 => ox86_guest_ld64;
}

stores! {
    st8 => ox86_guest_st8;
    st16 => ox86_guest_st16;
    st32 => ox86_guest_st32;
    st64 => ox86_guest_st64;
}

/// Guest store of the 16 bytes `lo`, `hi`, all or none; a fault comes back
/// as `Access::fault`.
#[inline]
pub fn st128(a: u64, lo: u64, hi: u64) -> Access {
    // SAFETY: as for the other stores.
    unsafe { ox86_guest_st128(a, lo, hi) }
}
