//! The contract between generated code, the shared stubs and the exec
//! loop: pinned registers, the stack frame, exit codes, `CpuState` offsets.

use ox86_x86::CpuState;
use std::mem::offset_of;

/// Host register numbers (x86-64 encoding order).
pub mod hreg {
    pub const RAX: u8 = 0;
    pub const RCX: u8 = 1;
    pub const RDX: u8 = 2;
    pub const RBX: u8 = 3;
    pub const RBP: u8 = 5;
    pub const RSI: u8 = 6;
    pub const RDI: u8 = 7;
    pub const R8: u8 = 8;
    pub const R9: u8 = 9;
    pub const R10: u8 = 10;
    pub const R11: u8 = 11;
    pub const R12: u8 = 12;
    pub const R13: u8 = 13;
    pub const R14: u8 = 14;
    pub const R15: u8 = 15;
}

/// The register holding `env + ENV_BIAS` in generated code.
pub const ENV_REG: u8 = hreg::RBP;

/// `ENV_REG` points this far into `CpuState`, so that every IR global and
/// `eflags` are reachable with an 8-bit displacement.
pub const ENV_BIAS: i32 = 128;

/// Globals that stay in host registers from TB to TB: RSP and RAX, the
/// registers most TBs use; RBX, RBP, RDI, RSI and RDX, which compiled C
/// carries across the most TB boundaries (RBX and RBP hold values across
/// calls and loops, RDI, RSI and RDX the first three arguments; together
/// the guest registers cc1's, lua's and a bytecode interpreter's generated
/// code loads and stores most at TB ends); and the lazy flags, which most
/// TBs write (gcc's cc1 stores them at the end of seven TBs in ten) and
/// few read. Wherever generated code jumps to other generated code, each
/// is in its register; the prologue loads them from `CpuState` and the
/// exits to the exec loop store them back (see `stubs`). Inside a TB they
/// are globals like the others, but at block ends (`loops::canonicalize`).
/// As (`CpuState` byte offset, host register).
/// RSP, RAX and the flags are in callee-saved registers, which keep them
/// across calls of helpers that touch no guest state; the others are in
/// caller-saved ones (R8-R10, RSI and RDI: helpers seldom take four or
/// five arguments), moved or stored around such calls like any other
/// value. RAX, RCX and RDX stay free at block ends for the jump-table
/// probe and the exit codes (RAX:RDX), and R11 is the scratch register.
pub const PINNED: [(usize, u8); 10] = [
    (gpr_offset(ox86_x86::cpu::reg::RSP), hreg::RBX),
    (gpr_offset(ox86_x86::cpu::reg::RBX), hreg::R8),
    (gpr_offset(ox86_x86::cpu::reg::RBP), hreg::R9),
    (gpr_offset(ox86_x86::cpu::reg::RDI), hreg::R10),
    (gpr_offset(ox86_x86::cpu::reg::RAX), hreg::R15),
    (gpr_offset(ox86_x86::cpu::reg::RSI), hreg::RSI),
    (gpr_offset(ox86_x86::cpu::reg::RDX), hreg::RDI),
    (offset_of!(CpuState, cc_op), hreg::R12),
    (offset_of!(CpuState, cc_dst), hreg::R13),
    (offset_of!(CpuState, cc_src), hreg::R14),
];

/// `CpuState` byte offset of general register `n`.
const fn gpr_offset(n: usize) -> usize {
    offset_of!(CpuState, regs) + 8 * n
}

/// Scratch register never given to IR temps.
pub const SCRATCH: u8 = hreg::R11;

/// Registers the allocator hands out, in order of preference: callee-saved
/// first (they survive helper calls), RCX/RDX/RAX last (shifts, multiplies
/// and helper results want them).
pub const ALLOCATABLE: [u8; 13] = [
    hreg::RBX,
    hreg::R12,
    hreg::R13,
    hreg::R14,
    hreg::R15,
    hreg::RSI,
    hreg::RDI,
    hreg::R8,
    hreg::R9,
    hreg::R10,
    hreg::RDX,
    hreg::RCX,
    hreg::RAX,
];

/// `ALLOCATABLE` for a TB that calls no helper: callee-saved registers buy
/// nothing there, and they are the pinned globals' (`PINNED`), which new
/// values of those globals are best computed in (`hints`): the registers
/// no global is pinned to come first.
pub const ALLOCATABLE_LEAF: [u8; 13] = [
    hreg::RDX,
    hreg::RCX,
    hreg::RAX,
    hreg::R12,
    hreg::R13,
    hreg::R14,
    hreg::R15,
    hreg::R8,
    hreg::R9,
    hreg::R10,
    hreg::RSI,
    hreg::RDI,
    hreg::RBX,
];

/// Registers a helper call may clobber (SysV), as a mask.
pub const CALLER_SAVED: u16 = 1 << hreg::RAX
    | 1 << hreg::RCX
    | 1 << hreg::RDX
    | 1 << hreg::RSI
    | 1 << hreg::RDI
    | 1 << hreg::R8
    | 1 << hreg::R9
    | 1 << hreg::R10
    | 1 << hreg::R11;

/// Allocatable registers a helper call preserves (SysV).
pub const CALLEE_SAVED: [u8; 5] = [hreg::RBX, hreg::R12, hreg::R13, hreg::R14, hreg::R15];

/// Helper argument registers after `env` (RDI).
pub const ARG_REGS: [u8; 5] = [hreg::RSI, hreg::RDX, hreg::RCX, hreg::R8, hreg::R9];

/// 8-byte spill slots, at `CpuState.spill` (generated code moves the host
/// stack pointer: see `ras`).
pub const N_SLOTS: usize = ox86_x86::cpu::SPILL_SLOTS;

/// `ENV_REG` displacement of spill slot 0.
pub const SPILL_DISP: i32 = env_disp(offset_of!(CpuState, spill));

/// `ENV_REG` displacement of `CpuState.ras_base`.
pub const RAS_BASE_DISP: i32 = env_disp(offset_of!(CpuState, ras_base));

/// `ENV_REG` displacement of `CpuState.ras_limit`.
pub const RAS_LIMIT_DISP: i32 = env_disp(offset_of!(CpuState, ras_limit));

/// Entries the return-address stack holds (see `ras`).
pub const RAS_DEPTH: i32 = 128;

/// Bytes of one return-address stack entry: the host return address and 8
/// bytes of padding, which keep the host stack 16-byte aligned for helper
/// calls.
pub const RAS_ENTRY: i32 = 16;

/// Bytes from `CpuState.ras_base` up to the saved callee-saved registers:
/// the empty stack's sentinel entry and 8 bytes that align the stack.
pub const BASE_TO_SAVED: i32 = RAS_ENTRY + 8;

/// Exit code kinds in the low 3 bits of RAX when generated code returns.
pub mod exit {
    /// `goto_tb`: bits 3..8 are the exit index, bits 8.. the TB id.
    pub const DIRECT: u64 = 0;
    /// `lookup_and_goto_ptr` missed the jump cache; `env.rip` is the target.
    pub const INDIRECT: u64 = 1;
    /// A guest exception is pending in `env.exception`; `env.rip` is set.
    pub const EXCEPTION: u64 = 2;
    /// A guest access faulted in generated code; RDX is the host pc, and
    /// `env.exception` was filled by the fault handler.
    pub const HOST_FAULT: u64 = 3;
    /// `exit_request` was seen at a backward jump; `env.rip` is the jump's
    /// target.
    pub const REQUEST: u64 = 4;
    /// A TB compiled for the default MXCSR found it otherwise at its entry
    /// (see `mxcsr`); `env.rip` is the TB's pc.
    pub const MXCSR: u64 = 5;
}

/// Most `goto_tb` exits one TB can have chainable.
pub const MAX_EXITS: usize = 32;

/// Displacement from `ENV_REG` of a `CpuState` byte offset.
pub const fn env_disp(offset: usize) -> i32 {
    offset as i32 - ENV_BIAS
}

/// `ENV_REG` displacement of `CpuState.rip`.
pub const RIP_DISP: i32 = env_disp(offset_of!(CpuState, rip));
/// `ENV_REG` displacement of `CpuState.exit_request`, tested at backward
/// jumps that do not count down `loop_countdown`: an 8-bit one.
pub const EXIT_REQUEST_DISP: i8 = disp8(env_disp(offset_of!(CpuState, exit_request)));
/// `ENV_REG` displacement of `CpuState.loop_countdown`, counted down at
/// backward jumps on a TB's page: an 8-bit one.
pub const LOOP_COUNTDOWN_DISP: i8 = disp8(env_disp(offset_of!(CpuState, loop_countdown)));

/// `d` as an 8-bit displacement; fails the build if it does not fit.
const fn disp8(d: i32) -> i8 {
    assert!(d >= i8::MIN as i32 && d <= i8::MAX as i32);
    d as i8
}
/// `ENV_REG` displacement of `CpuState.jmp_cache`.
pub const JMP_CACHE_DISP: i32 = env_disp(offset_of!(CpuState, jmp_cache));

/// `ENV_REG` displacement of a `PendingException` field.
pub const fn exc_disp(field: usize) -> i32 {
    env_disp(offset_of!(CpuState, exception) + field)
}
