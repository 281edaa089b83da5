//! `CpuState`: the guest x86-64 CPU as the IR sees it. `#[repr(C)]` with
//! fixed offsets; the first fields are the IR globals, in `GLOBALS` order.

use ox86_ir::Global;
use std::mem::offset_of;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// General-purpose register numbers, in ModRM encoding order.
pub mod reg {
    pub const RAX: usize = 0;
    pub const RCX: usize = 1;
    pub const RDX: usize = 2;
    pub const RBX: usize = 3;
    pub const RSP: usize = 4;
    pub const RBP: usize = 5;
    pub const RSI: usize = 6;
    pub const RDI: usize = 7;
    pub const R8: usize = 8;
    pub const R9: usize = 9;
    pub const R10: usize = 10;
    pub const R11: usize = 11;
}

/// Index of each IR global (a `Temp` index).
pub mod glob {
    /// GPRs are globals 0..16.
    pub const RIP: usize = 16;
    pub const CC_OP: usize = 17;
    pub const CC_DST: usize = 18;
    pub const CC_SRC: usize = 19;
    pub const CC_SRC2: usize = 20;
    /// +1 or -1: the string-instruction step sign (EFLAGS.DF).
    pub const DF: usize = 21;
    pub const FS_BASE: usize = 22;
    pub const GS_BASE: usize = 23;
    pub const COUNT: usize = 24;
}

/// EFLAGS bits (SDM vol. 1, 3.4.3).
pub mod eflags {
    pub const CF: u64 = 1 << 0;
    pub const FIXED1: u64 = 1 << 1;
    pub const PF: u64 = 1 << 2;
    pub const AF: u64 = 1 << 4;
    pub const ZF: u64 = 1 << 6;
    pub const SF: u64 = 1 << 7;
    pub const TF: u64 = 1 << 8;
    pub const IF: u64 = 1 << 9;
    pub const DF: u64 = 1 << 10;
    pub const OF: u64 = 1 << 11;
    /// I/O privilege level (bits 12-13).
    pub const IOPL: u64 = 3 << 12;
    pub const NT: u64 = 1 << 14;
    pub const RF: u64 = 1 << 16;
    pub const VM: u64 = 1 << 17;
    pub const AC: u64 = 1 << 18;
    pub const VIF: u64 = 1 << 19;
    pub const VIP: u64 = 1 << 20;
    pub const ID: u64 = 1 << 21;
    /// The six arithmetic status flags kept lazily.
    pub const ARITH: u64 = CF | PF | AF | ZF | SF | OF;
}

/// The MXCSR bits software may set (MXCSR_MASK, SDM vol. 1, 11.6.6): a
/// processor with DAZ. LDMXCSR and FXRSTOR fault on the others.
pub const MXCSR_MASK: u32 = 0xffff;

/// The x87 FPU state: eight 80-bit registers (in 16-byte slots, physical
/// order), top-of-stack, control, status and tag words.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct X87State {
    /// Physical registers R0..R7, each an 80-bit extended value in bytes 0..10.
    pub regs: [[u8; 16]; 8],
    /// TOP field of the status word (0..7).
    pub top: u32,
    /// FPU control word.
    pub fcw: u16,
    /// FPU status word, without TOP.
    pub fsw: u16,
    /// Abridged tag: bit i set when physical register i is valid.
    pub ftw: u8,
    pub _pad: [u8; 7],
}

/// A guest exception recorded by a helper or a memory access for the exec
/// loop to deliver (`vector` < 32 are x86 vectors; see `excp`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PendingException {
    /// Nonzero while an exception is pending.
    pub pending: u32,
    /// Exception number (`excp::*`).
    pub vector: u32,
    /// Faulting address for #PF.
    pub addr: u64,
    /// For #PF: nonzero when the access was a write.
    pub write: u32,
    /// For #PF: nonzero when the host reported a bus error (SIGBUS).
    pub bus: u32,
    /// System mode: the error code pushed for #PF, #GP, #TS, #NP, #SS
    /// and #AC (0 unless the raiser sets it).
    pub error_code: u32,
    pub _pad: u32,
}

/// Exception numbers carried by `raise` and `PendingException`.
pub mod excp {
    /// #DE divide error.
    pub const DE: u64 = 0;
    /// #BP breakpoint (int3).
    pub const BP: u64 = 3;
    /// #UD invalid opcode.
    pub const UD: u64 = 6;
    /// #GP general protection.
    pub const GP: u64 = 13;
    /// #PF page fault (unmapped or protected guest access).
    pub const PF: u64 = 14;
    /// #MF x87 floating-point error.
    pub const MF: u64 = 16;
    /// #XM SIMD floating-point exception.
    pub const XM: u64 = 19;
    /// The `syscall` instruction: the user-mode loop handles it.
    pub const SYSCALL: u64 = 0x100;
    /// An instruction ox86 decodes but does not implement (reported by name).
    pub const UNIMPLEMENTED: u64 = 0x101;
    /// `hlt` (system mode) or a privileged instruction in user mode gives #GP.
    pub const HLT: u64 = 0x102;
    /// System mode: a store would change translated code; the loop drops
    /// the TBs concerned and runs the instruction again (rip is at it).
    pub const SMC: u64 = 0x103;
    /// System mode: the instruction changed state the TB key depends on
    /// (mode, CPL, paging, IF); the loop looks the next TB up afresh (rip
    /// is after it).
    pub const NEW_STATE: u64 = 0x104;
    /// System mode: `SOFT_INT + n` is INT n (INT3, INTO: n = 3, 4) with
    /// rip after it, delivered with the gate's privilege check.
    pub const SOFT_INT: u64 = 0x200;
    /// #DB debug.
    pub const DB: u64 = 1;
    /// NMI.
    pub const NMI: u64 = 2;
    /// #OF overflow (INTO).
    pub const OF: u64 = 4;
    /// #BR bound range.
    pub const BR: u64 = 5;
    /// #NM device not available.
    pub const NM: u64 = 7;
    /// #DF double fault.
    pub const DF: u64 = 8;
    /// #TS invalid TSS.
    pub const TS: u64 = 10;
    /// #NP segment not present.
    pub const NP: u64 = 11;
    /// #SS stack fault.
    pub const SS: u64 = 12;
    /// #AC alignment check.
    pub const AC: u64 = 17;
}

/// The whole guest CPU.
#[repr(C, align(16))]
#[derive(Debug)]
pub struct CpuState {
    /// RAX..R15.
    pub regs: [u64; 16],
    /// Instruction pointer (valid at TB boundaries and faults).
    pub rip: u64,
    /// Lazy-flags operation (`CcOp` as u64).
    pub cc_op: u64,
    /// Lazy-flags result operand.
    pub cc_dst: u64,
    /// Lazy-flags source operand.
    pub cc_src: u64,
    /// Lazy-flags second source (carry in, shift count...).
    pub cc_src2: u64,
    /// +1 when DF is clear, -1 when set.
    pub df: u64,
    /// FS segment base.
    pub fs_base: u64,
    /// GS segment base.
    pub gs_base: u64,
    /// EFLAGS bits other than the six arithmetic flags and DF (ID, AC, IF...).
    pub eflags: u64,
    /// Set by other threads, signal handlers or devices (through
    /// `request_exit`) to make the running TB chain return to the exec loop
    /// at its next backward or indirect jump. Only ever 0 or 1: generated
    /// code tests its low byte at backward jumps that do not count down
    /// `loop_countdown`. The two sit here, within an 8-bit displacement of
    /// the JIT's env register, because generated code uses one or the
    /// other at every backward jump (and this
    /// also keeps `xmm` 16-byte aligned).
    pub exit_request: AtomicU32,
    /// Chained jumps back (to a lower or equal pc) on a TB's page left
    /// before generated code returns to the exec loop at one, which then
    /// looks for a loop region there (a sample of the hot loops; see the
    /// engine). `request_exit` sets it to 1, so that those jumps need no
    /// `exit_request` test. Generated code decrements it in place (a lost
    /// update from another thread only delays the exit by one period).
    pub loop_countdown: AtomicU32,
    /// XMM0..XMM15, low quadword first.
    pub xmm: [[u64; 2]; 16],
    /// A source operand from memory or an immediate, staged by the
    /// translator for `call_xmm`, which reaches it as register `XMM_SRC`
    /// (it directly follows `xmm`).
    pub xmm_src: [u64; 2],
    /// The value a `call_xmm` helper produces besides its register, read
    /// back by the translator: the EFLAGS of COMISS/UCOMISS/COMISD/UCOMISD
    /// and PCMPISTRI, and the integer of CVT(T)SS2SI/CVT(T)SD2SI.
    pub xmm_result: u64,
    /// SSE control/status register.
    pub mxcsr: u32,
    pub _pad0: u32,
    /// x87 FPU.
    pub fpu: X87State,
    /// Exception raised by a helper or memory access.
    pub exception: PendingException,
    /// Host address of the jump table generated code probes at indirect
    /// jumps (JIT-owned). `request_exit` replaces it with `jmp_empty`, so
    /// that the next indirect jump misses and returns to the exec loop:
    /// indirect jumps need no `exit_request` test of their own.
    pub jmp_cache: AtomicU64,
    /// Host address of a jump table in which every lookup misses (JIT-owned;
    /// 0 until generated code first runs).
    pub jmp_empty: AtomicU64,
    /// Host address of the `BackEdges` of the JIT's loops while its
    /// generated code runs, which `request_exit` points out (0: none).
    pub back_edges: AtomicU64,
    /// System mode: privileged registers (unused in user mode).
    pub sys: crate::system::SysRegs,
    /// The index PCMPISTRI produces (ECX, zero-extended), read back by
    /// the translator as `xmm_result` is.
    pub xmm_index: u64,
    /// Set by the x87 store helpers, read back by the translated code: 1 if
    /// the instruction writes its memory operand, 0 if an unmasked
    /// exception suppresses the store.
    pub x87_stored: u64,
    /// Set by the x87 store helpers: the quadword of `fpu` at `top` (TOP,
    /// FCW and FSW) the instruction leaves, which the translated code
    /// writes there once the memory store has not faulted (a fault leaves
    /// the x87 state as it was).
    pub x87_word: u64,
    /// Generated code's return-address stack (JIT-owned): the host stack
    /// pointer with no entries on it, while generated code runs.
    pub ras_base: u64,
    /// The host stack pointer at or below which a guest CALL in generated
    /// code empties the return-address stack before it pushes an entry.
    pub ras_limit: u64,
    /// Generated code's spill slots (JIT-owned).
    pub spill: [u64; SPILL_SLOTS],
}

/// Entries of `CpuState::spill`.
pub const SPILL_SLOTS: usize = 256;

macro_rules! g {
    ($name:literal, $($f:tt)+) => {
        Global { name: $name, offset: offset_of!(CpuState, $($f)+) }
    };
}

/// The IR globals, `Temp(i)` naming `GLOBALS[i]`.
pub static GLOBALS: [Global; glob::COUNT] = [
    Global {
        name: "rax",
        offset: 0,
    },
    Global {
        name: "rcx",
        offset: 8,
    },
    Global {
        name: "rdx",
        offset: 16,
    },
    Global {
        name: "rbx",
        offset: 24,
    },
    Global {
        name: "rsp",
        offset: 32,
    },
    Global {
        name: "rbp",
        offset: 40,
    },
    Global {
        name: "rsi",
        offset: 48,
    },
    Global {
        name: "rdi",
        offset: 56,
    },
    Global {
        name: "r8",
        offset: 64,
    },
    Global {
        name: "r9",
        offset: 72,
    },
    Global {
        name: "r10",
        offset: 80,
    },
    Global {
        name: "r11",
        offset: 88,
    },
    Global {
        name: "r12",
        offset: 96,
    },
    Global {
        name: "r13",
        offset: 104,
    },
    Global {
        name: "r14",
        offset: 112,
    },
    Global {
        name: "r15",
        offset: 120,
    },
    g!("rip", rip),
    g!("cc_op", cc_op),
    g!("cc_dst", cc_dst),
    g!("cc_src", cc_src),
    g!("cc_src2", cc_src2),
    g!("df", df),
    g!("fs_base", fs_base),
    g!("gs_base", gs_base),
];

/// The register number `call_xmm` gives `CpuState::xmm_src`.
pub const XMM_SRC: usize = 16;

/// Byte offset of XMM register `n`'s low (`half` 0) or high (1) quadword
/// (`n` = `XMM_SRC`: `CpuState::xmm_src`).
pub const fn xmm_offset(n: usize, half: usize) -> usize {
    offset_of!(CpuState, xmm) + n * 16 + half * 8
}

impl Default for CpuState {
    fn default() -> Self {
        CpuState {
            regs: [0; 16],
            rip: 0,
            cc_op: crate::cc::CC_OP_EFLAGS,
            cc_dst: 0,
            cc_src: 0,
            cc_src2: 0,
            df: 1,
            fs_base: 0,
            gs_base: 0,
            eflags: eflags::FIXED1 | eflags::IF,
            exit_request: AtomicU32::new(0),
            loop_countdown: AtomicU32::new(0),
            xmm: [[0; 2]; 16],
            xmm_src: [0; 2],
            xmm_result: 0,
            mxcsr: 0x1f80,
            _pad0: 0,
            fpu: X87State {
                regs: [[0; 16]; 8],
                top: 0,
                fcw: 0x37f,
                fsw: 0,
                ftw: 0,
                _pad: [0; 7],
            },
            exception: PendingException::default(),
            jmp_cache: AtomicU64::new(0),
            jmp_empty: AtomicU64::new(0),
            back_edges: AtomicU64::new(0),
            sys: crate::system::SysRegs::default(),
            xmm_index: 0,
            x87_stored: 0,
            x87_word: 0,
            ras_base: 0,
            ras_limit: 0,
            spill: [0; SPILL_SLOTS],
        }
    }
}

impl CpuState {
    /// Makes the running generated code return to the exec loop at its
    /// next backward jump (which tests `exit_request`, counts
    /// `loop_countdown` down from the 1 set here, or, a compiled loop's
    /// back edge, is pointed out here: `back_edges`) or indirect jump
    /// (which then finds an empty jump table). Async-signal-safe: atomic
    /// stores only. The exec loop installs the real table before it looks
    /// at `exit_request` (see the JIT's `run`), so a request made between
    /// the two is seen either there or through the table.
    pub fn request_exit(&self) {
        self.exit_request.store(1, Ordering::SeqCst);
        self.loop_countdown.store(1, Ordering::SeqCst);
        let empty = self.jmp_empty.load(Ordering::SeqCst);
        if empty != 0 {
            self.jmp_cache.store(empty, Ordering::SeqCst);
        }
        let edges = self.back_edges.load(Ordering::SeqCst);
        if edges != 0 {
            // SAFETY: the address is set only while the JIT that owns the
            // `BackEdges` runs generated code (see `ox86_jit::Jit::run`).
            unsafe { (*(edges as *const crate::back_edges::BackEdges)).point_out() };
        }
    }

    /// The full architectural RFLAGS value.
    pub fn rflags(&self) -> u64 {
        let arith = crate::cc::compute_all(self.cc_op, self.cc_dst, self.cc_src, self.cc_src2);
        let df = if self.df as i64 == -1 { eflags::DF } else { 0 };
        arith | df | self.eflags | eflags::FIXED1
    }

    /// Sets RFLAGS: the arithmetic flags become an `Eflags` lazy state.
    pub fn set_rflags(&mut self, v: u64) {
        self.cc_op = crate::cc::CC_OP_EFLAGS;
        self.cc_src = v & eflags::ARITH;
        self.df = if v & eflags::DF != 0 { u64::MAX } else { 1 };
        self.eflags = (v & !(eflags::ARITH | eflags::DF)) | eflags::FIXED1;
    }

    /// Records an exception for the exec loop (used by helpers).
    pub fn raise(&mut self, vector: u64, addr: u64, write: bool) {
        self.exception = PendingException {
            pending: 1,
            vector: vector as u32,
            addr,
            write: write as u32,
            bus: 0,
            error_code: 0,
            _pad: 0,
        };
    }

    /// Records an exception that pushes `error_code` (system mode).
    pub fn raise_error(&mut self, vector: u64, error_code: u32) {
        self.raise(vector, 0, false);
        self.exception.error_code = error_code;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globals_match_field_offsets() {
        for (i, g) in GLOBALS.iter().enumerate().take(16) {
            assert_eq!(g.offset, offset_of!(CpuState, regs) + 8 * i);
        }
        assert_eq!(GLOBALS[glob::RIP].offset, offset_of!(CpuState, rip));
        assert_eq!(GLOBALS[glob::GS_BASE].offset, offset_of!(CpuState, gs_base));
        assert_eq!(offset_of!(CpuState, xmm) % 16, 0);
        assert_eq!(xmm_offset(XMM_SRC, 0), offset_of!(CpuState, xmm_src));
    }
}
