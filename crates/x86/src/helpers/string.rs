//! REP MOVS and REP STOS as the host's own string instructions (user
//! mode, where guest addresses are host addresses): the translator calls
//! these helpers for long forward strings, and each runs one host `rep
//! movs`/`rep stos` of the element size on the guest's RDI, RSI, RCX and
//! accumulator. The host instruction is as precise as the guest's: if it
//! faults, RDI, RSI and RCX stop at the element that faulted, with every
//! element before it done. The stubs are assembly, like the interpreter's
//! guest accesses (`ox86_interp::guest_mem`): on a fault in one, the host
//! signal handler puts the fault description in RAX/RDX and resumes at
//! `ox86_rep_done` (`fixup_for`), which writes the three registers back as
//! the fault left them.
//!
//! These are the only helpers that write guest memory; everything else
//! goes through IR stores. Engine comparison runs their TBs under the JIT
//! alone.

use super::HelperInfo;
use crate::cpu::excp;
use crate::cpu::reg::{RAX, RCX, RDI, RSI};
use crate::CpuState;
use std::arch::global_asm;

/// What a stub works on and leaves: the guest's RDI, RSI, RCX and (STOS)
/// accumulator.
#[repr(C)]
struct Regs {
    rdi: u64,
    rsi: u64,
    rcx: u64,
    rax: u64,
}

/// A stub's result: 0 in `fault`, or the faulting address and a fault
/// description as `ox86_interp::guest_mem::Access` has them (bit 0 set,
/// bit 1 write, bit 2 SIGBUS, bit 3 general protection).
#[repr(C)]
struct Outcome {
    addr: u64,
    fault: u64,
}

const FAULT_WRITE: u64 = 1 << 1;
const FAULT_BUS: u64 = 1 << 2;
const FAULT_GP: u64 = 1 << 3;

macro_rules! stubs {
    ($($movs:literal $stos:literal $insn_m:literal $insn_s:literal;)*) => {
        global_asm!(
            ".text",
            ".globl ox86_rep_start",
            "ox86_rep_start:",
            $(
                concat!(".globl ", $movs),
                concat!($movs, ":"),
                "mov r8, rdi",
                "mov rdi, [r8]",
                "mov rsi, [r8 + 8]",
                "mov rcx, [r8 + 16]",
                "xor edx, edx",
                $insn_m,
                "jmp ox86_rep_done",
                concat!(".globl ", $stos),
                concat!($stos, ":"),
                "mov r8, rdi",
                "mov rdi, [r8]",
                "mov rcx, [r8 + 16]",
                "mov rax, [r8 + 24]",
                "xor edx, edx",
                $insn_s,
                "jmp ox86_rep_done",
            )*
            ".globl ox86_rep_end",
            "ox86_rep_end:",
            ".globl ox86_rep_done",
            "ox86_rep_done:",
            "mov [r8], rdi",
            "mov [r8 + 8], rsi",
            "mov [r8 + 16], rcx",
            "ret",
        );
    };
}

stubs! {
    "ox86_rep_movsb" "ox86_rep_stosb" "rep movsb" "rep stosb";
    "ox86_rep_movsw" "ox86_rep_stosw" "rep movsw" "rep stosw";
    "ox86_rep_movsd" "ox86_rep_stosd" "rep movsd" "rep stosd";
    "ox86_rep_movsq" "ox86_rep_stosq" "rep movsq" "rep stosq";
}

extern "C" {
    static ox86_rep_start: u8;
    static ox86_rep_end: u8;
    fn ox86_rep_done();
    fn ox86_rep_movsb(r: &mut Regs) -> Outcome;
    fn ox86_rep_movsw(r: &mut Regs) -> Outcome;
    fn ox86_rep_movsd(r: &mut Regs) -> Outcome;
    fn ox86_rep_movsq(r: &mut Regs) -> Outcome;
    fn ox86_rep_stosb(r: &mut Regs) -> Outcome;
    fn ox86_rep_stosw(r: &mut Regs) -> Outcome;
    fn ox86_rep_stosd(r: &mut Regs) -> Outcome;
    fn ox86_rep_stosq(r: &mut Regs) -> Outcome;
}

/// If host pc `pc` is a string instruction in a stub, the pc to resume at.
pub fn fixup_for(pc: usize) -> Option<usize> {
    // SAFETY: only the addresses of the asm symbols are taken.
    let (start, end) = unsafe {
        (
            &ox86_rep_start as *const u8 as usize,
            &ox86_rep_end as *const u8 as usize,
        )
    };
    (start..end)
        .contains(&pc)
        .then_some(ox86_rep_done as *const () as usize)
}

/// Runs `stub` on the guest's registers, writes RDI and RCX back and
/// records a fault as the interpreter records a faulting access (rip stays
/// at the instruction); returns RSI as the stub left it (MOVS).
fn run(env: &mut CpuState, stub: unsafe extern "C" fn(&mut Regs) -> Outcome) -> u64 {
    let mut r = Regs {
        rdi: env.regs[RDI],
        rsi: env.regs[RSI],
        rcx: env.regs[RCX],
        rax: env.regs[RAX],
    };
    // SAFETY: the stub moves or fills guest memory, which is the guest's
    // to write (its addresses are host addresses in user mode); a fault
    // there comes back as `Outcome` through the host signal handler.
    let o = unsafe { stub(&mut r) };
    env.regs[RDI] = r.rdi;
    env.regs[RCX] = r.rcx;
    if o.fault & FAULT_GP != 0 {
        env.raise(excp::GP, 0, false);
    } else if o.fault != 0 {
        env.raise(excp::PF, o.addr, o.fault & FAULT_WRITE != 0);
        env.exception.bus = (o.fault & FAULT_BUS != 0) as u32;
    }
    r.rsi
}

extern "C" fn rep_movs(env: &mut CpuState, size: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let stub = match size {
        1 => ox86_rep_movsb,
        2 => ox86_rep_movsw,
        4 => ox86_rep_movsd,
        _ => ox86_rep_movsq,
    };
    env.regs[RSI] = run(env, stub);
    0
}

extern "C" fn rep_stos(env: &mut CpuState, size: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let stub = match size {
        1 => ox86_rep_stosb,
        2 => ox86_rep_stosw,
        4 => ox86_rep_stosd,
        _ => ox86_rep_stosq,
    };
    run(env, stub);
    0
}

/// `rep_movs(size)`: REP MOVS of `size`-byte elements, DF clear, 64-bit
/// addresses, as one host `rep movs` (user mode).
pub static REP_MOVS: HelperInfo = HelperInfo {
    name: "rep_movs",
    func: rep_movs,
};

/// `rep_stos(size)`: REP STOS of `size`-byte elements, DF clear, 64-bit
/// addresses, as one host `rep stos` (user mode).
pub static REP_STOS: HelperInfo = HelperInfo {
    name: "rep_stos",
    func: rep_stos,
};

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[&REP_MOVS, &REP_STOS];
