//! The basic arithmetic (FADD FSUB FSUBR FMUL FDIV FDIVR, every operand
//! form), the stores of ST(0) to memory and FCOMI on a partial host stack: instead of the guest's whole state going
//! through FRSTOR and FNSAVE (`host`), only ST(0)..ST(i) are pushed onto
//! the empty host stack, the guest's instruction runs there under the
//! guest's control word, and what is left on the stack is popped back.
//! The result is the hardware's as in `host`: the operands load and store
//! unchanged (FLD and FSTP of an 80-bit value convert nothing and raise
//! nothing, SDM vol. 2), the operation is the guest's own instruction with
//! the guest's precision and rounding control. Of the status word the
//! instruction sets C1 and exception flags, which are added to the
//! guest's (sticky); C0, C2 and C3 are undefined after these instructions
//! (not affected by FCOMI) and the hardware keeps them, so the guest's
//! stay (the tests compare both paths on this host); FCOMI's C1 is the
//! host's way (`fcomi_keeps_c1`). Taken only when that is all that can happen:
//! no exception pending, every exception masked (an unmasked one would
//! trap on the host, or need ES set), ST(0) and ST(i) in use (no stack
//! fault), and i below 7 (ST(0)..ST(i) fit with room to count them);
//! and not for ST(0) op ST(0) with a pop, whose result stays, popped, in
//! a register the partial stack does not bring back.

use super::host::{fsw, pending, Commit};
use crate::cpu::X87State;
use std::sync::OnceLock;

/// C1 in the status word.
pub const C1: u16 = 1 << 9;

/// What the host instruction works on: ST(0)..ST(n-1) before (`vals[k]` is
/// ST(k)), what is left on the stack after, the control words and the
/// status word after the instruction. The layout is the asm's.
#[repr(C)]
pub struct Partial {
    /// 80-bit values, ST(0) first.
    pub vals: [[u8; 10]; 8],
    /// The guest's control word, for the instruction.
    pub cw: u16,
    /// The host's control word, restored afterwards.
    pub host_cw: u16,
    /// The status word right after the instruction.
    pub sw: u16,
    /// How many values the instruction left on the stack.
    pub left: u16,
}

/// Byte offsets of `Partial`'s fields, for the asm.
pub const CW: usize = 80;
pub const HOST_CW: usize = 82;
pub const SW: usize = 84;
pub const LEFT: usize = 86;

/// True if the first of `insns` pops (its mnemonic ends in `p`, as FADDP,
/// FSUBRP and FCOMIP do).
pub const fn pops(insns: &[&str]) -> bool {
    let b = insns[0].as_bytes();
    let mut k = 0;
    while k < b.len() && b[k] != b' ' {
        k += 1;
    }
    k > 0 && b[k - 1] == b'p'
}

/// Whether this host's FCOMI and FUCOMI leave C1 as it was. The SDM has
/// them clear it; some processors keep it. The partial stack starts from
/// the host's C1, not the guest's, so the answer (found once, on the
/// host FPU loaded as `host` does) decides whether the guest's stays.
pub fn fcomi_keeps_c1() -> bool {
    static KEEPS: OnceLock<bool> = OnceLock::new();
    *KEEPS.get_or_init(|| {
        let mut x = X87State {
            regs: [[0; 16]; 8],
            top: 0,
            fcw: 0x037f,
            fsw: C1,
            ftw: 0b11,
            _pad: [0; 7],
        };
        // ST(0) = 1, ST(1) = 2.
        x.regs[0][..10].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
        x.regs[1][..10].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x40]);
        let mut img = super::host::FsaveImage::from_state(&x);
        on_host!(&mut img, ["fcomi st(0), st(1)"]);
        img.commit(&mut x, Commit::Status);
        x.fsw & C1 != 0
    })
}

fn phys(x: &X87State, i: usize) -> usize {
    (x.top as usize + i) & 7
}

fn valid(x: &X87State, i: usize) -> bool {
    x.ftw & (1 << phys(x, i)) != 0
}

impl Partial {
    /// The operands of an instruction on ST(0) and ST(i), if the partial
    /// stack can run it (see the module doc).
    pub fn load(x: &X87State, i: usize) -> Option<Partial> {
        if i >= 7
            || pending(x)
            || x.fcw & fsw::EXCEPTIONS != fsw::EXCEPTIONS
            || !valid(x, 0)
            || !valid(x, i)
        {
            return None;
        }
        let mut p = Partial {
            vals: [[0; 10]; 8],
            cw: x.fcw,
            host_cw: 0,
            sw: 0,
            left: 0,
        };
        for k in 0..=i {
            p.vals[k].copy_from_slice(&x.regs[phys(x, k)][..10]);
        }
        Some(p)
    }

    /// Writes the result into `x`, for `n` values pushed: the instruction
    /// popped `n - left`; what is left replaces the registers it was
    /// loaded from that were in use (the others are untouched).
    pub fn commit(&self, x: &mut X87State, n: usize) {
        let left = self.left as usize;
        debug_assert!(left <= n, "the instruction pushed");
        let pops = n.saturating_sub(left);
        for k in 0..left.min(n) {
            if valid(x, k + pops) {
                let r = phys(x, k + pops);
                x.regs[r][..10].copy_from_slice(&self.vals[k]);
            }
        }
        for j in 0..pops {
            x.ftw &= !(1 << phys(x, j));
        }
        x.top = ((x.top as usize + pops) & 7) as u32;
        self.commit_flags(x);
    }

    /// Writes the status word's part of the result into `x` (C1, and the
    /// exception flags, sticky).
    fn commit_flags(&self, x: &mut X87State) {
        x.fsw = (x.fsw & !C1) | (self.sw & C1) | (self.sw & fsw::EXCEPTIONS);
    }

    /// For a store (whose pop, if any, comes later): writes what `commit`
    /// names of the result into `x`, the status word at most.
    pub fn commit_status(&self, x: &mut X87State, commit: Commit) {
        match commit {
            Commit::Nothing => {}
            Commit::Status => self.commit_flags(x),
            Commit::Stack | Commit::Control => {
                unreachable!("stores commit the status word at most")
            }
        }
    }
}

/// Runs x87 instructions on a partial host stack (see the module doc):
/// `on_partial!(partial_ptr, n, ["insn", ...], extra asm operands)` pushes
/// `vals[n-1]`..`vals[0]`, runs the instructions, and pops what is left
/// into `vals[0]`...; `{m}` and `{i}` as in `on_host!`.
macro_rules! on_partial {
    ($p:expr, $n:expr, [$($insn:literal),+] $(, $($ops:tt)+)?) => {{
        let p: *mut $crate::helpers::x87::partial::Partial = $p;
        let n: usize = $n;
        // SAFETY: `p` points at a live `Partial`, whose first `n` (1..=7)
        // values are read and whose first values, as many as are left on
        // the stack, are written, with its control and status words at
        // the offsets named. The host's FPU stack is empty between Rust
        // statements, so the pushes have room; it is empty again after
        // the pops. Every exception is masked in the guest's control
        // word (`Partial::load`), so nothing traps. The host's exception
        // flags are clear before (FNSAVE clears them after `on_host!`,
        // FNCLEX after this) so that the status word shows the
        // instruction's own; FLDCW puts back the host's control word.
        unsafe {
            core::arch::asm!(
                "fnstcw word ptr [{p} + {host_cw}]",
                "mov ax, word ptr [{p} + {cw}]",
                "cmp ax, word ptr [{p} + {host_cw}]",
                "je 5f",
                "fldcw word ptr [{p} + {cw}]",
                "5:",
                "fnstsw ax",
                "movzx edx, ax",
                "shr edx, 11",
                "and edx, 7",
                "imul rcx, {n}, 10",
                "lea rcx, [{p} + rcx - 10]",
                "mov rax, {n}",
                "2:",
                "fld tbyte ptr [rcx]",
                "sub rcx, 10",
                "dec rax",
                "jnz 2b",
                $($insn,)+
                "fnstsw ax",
                "mov word ptr [{p} + {sw}], ax",
                "movzx ecx, ax",
                "shr ecx, 11",
                "and ecx, 7",
                "sub edx, ecx",
                "and edx, 7",
                "mov word ptr [{p} + {left}], dx",
                "mov rcx, {p}",
                "test edx, edx",
                "jz 4f",
                "3:",
                "fstp tbyte ptr [rcx]",
                "add rcx, 10",
                "dec edx",
                "jnz 3b",
                "4:",
                "fnclex",
                "mov ax, word ptr [{p} + {cw}]",
                "cmp ax, word ptr [{p} + {host_cw}]",
                "je 6f",
                "fldcw word ptr [{p} + {host_cw}]",
                "6:",
                p = in(reg) p,
                n = in(reg) n,
                cw = const $crate::helpers::x87::partial::CW,
                host_cw = const $crate::helpers::x87::partial::HOST_CW,
                sw = const $crate::helpers::x87::partial::SW,
                left = const $crate::helpers::x87::partial::LEFT,
                $($($ops)+,)?
                out("rax") _, out("rcx") _, out("rdx") _,
                out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
            );
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    #[test]
    fn popping_forms_are_told_by_their_mnemonic() {
        assert!(pops(&["faddp st({i}), st(0)"]));
        assert!(pops(&["fcomip st(0), st({i})"]));
        assert!(!pops(&["fmul st(0), st({i})"]));
        assert!(!pops(&["fsubr qword ptr [{m}]"]));
    }

    #[test]
    fn offsets_are_the_asms() {
        assert_eq!(offset_of!(Partial, cw), CW);
        assert_eq!(offset_of!(Partial, host_cw), HOST_CW);
        assert_eq!(offset_of!(Partial, sw), SW);
        assert_eq!(offset_of!(Partial, left), LEFT);
    }
}
