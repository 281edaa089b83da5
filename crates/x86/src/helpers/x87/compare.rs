//! Comparison and classification: FCOM FCOMP FCOMPP FUCOM FUCOMP FUCOMPP
//! FICOM FICOMP FTST FXAM (condition codes C0-C3 in the status word) and
//! FCOMI FCOMIP FUCOMI FUCOMIP (ZF, PF, CF in EFLAGS).

use crate::cpu::eflags;
use crate::cpu::CpuState;
use crate::helpers::HelperInfo;

x87_helper! {
    /// FCOM m32fp: compare ST(0) with `lo` (m32fp bits).
    FCOM_M32 = "fcom_m32", load ["fcom dword ptr [{m}]"]
}
x87_helper! {
    /// FCOM m64fp: compare ST(0) with `lo` (m64fp bits).
    FCOM_M64 = "fcom_m64", load ["fcom qword ptr [{m}]"]
}
x87_helper! {
    /// FCOMP m32fp: compare ST(0) with `lo` (m32fp bits), then pop.
    FCOMP_M32 = "fcomp_m32", load ["fcomp dword ptr [{m}]"]
}
x87_helper! {
    /// FCOMP m64fp: compare ST(0) with `lo` (m64fp bits), then pop.
    FCOMP_M64 = "fcomp_m64", load ["fcomp qword ptr [{m}]"]
}
x87_helper! {
    /// FICOM m16int: compare ST(0) with `lo` (the 16-bit integer).
    FICOM_M16 = "ficom_m16", load ["ficom word ptr [{m}]"]
}
x87_helper! {
    /// FICOM m32int: compare ST(0) with `lo` (the 32-bit integer).
    FICOM_M32 = "ficom_m32", load ["ficom dword ptr [{m}]"]
}
x87_helper! {
    /// FICOMP m16int: compare ST(0) with `lo` (the 16-bit integer), then pop.
    FICOMP_M16 = "ficomp_m16", load ["ficomp word ptr [{m}]"]
}
x87_helper! {
    /// FICOMP m32int: compare ST(0) with `lo` (the 32-bit integer), then pop.
    FICOMP_M32 = "ficomp_m32", load ["ficomp dword ptr [{m}]"]
}
x87_helper! {
    /// FCOM ST(i): compare ST(0) with ST(i).
    FCOM_STI = "fcom_sti", sti ["fcom st({i})"]
}
x87_helper! {
    /// FCOMP ST(i): compare ST(0) with ST(i), then pop.
    FCOMP_STI = "fcomp_sti", sti ["fcomp st({i})"]
}
x87_helper! {
    /// FUCOM ST(i): unordered compare of ST(0) with ST(i).
    FUCOM_STI = "fucom_sti", sti ["fucom st({i})"]
}
x87_helper! {
    /// FUCOMP ST(i): unordered compare of ST(0) with ST(i), then pop.
    FUCOMP_STI = "fucomp_sti", sti ["fucomp st({i})"]
}
x87_helper! {
    /// FCOMPP: compare ST(0) with ST(1), then pop twice.
    FCOMPP = "fcompp", plain(Check, Stack) ["fcompp"]
}
x87_helper! {
    /// FUCOMPP: unordered compare of ST(0) with ST(1), then pop twice.
    FUCOMPP = "fucompp", plain(Check, Stack) ["fucompp"]
}
x87_helper! {
    /// FTST: compare ST(0) with 0.0.
    FTST = "ftst", plain(Check, Stack) ["ftst"]
}
x87_helper! {
    /// FXAM: classify ST(0) into C3, C2, C0 (C1 = sign).
    FXAM = "fxam", plain(Check, Stack) ["fxam"]
}

/// Declares an FCOMI-style helper `(i, cc_op, cc_dst, cc_src, cc_src2) ->
/// eflags`: the host runs the comparison with the guest's arithmetic flags
/// loaded (PUSH/POPFQ, balanced by PUSHFQ/POP after it), and returns them
/// as the instruction left them: an unmasked invalid operation leaves them
/// unchanged. On a partial host stack where it can (`partial`), which
/// needs every exception masked: the instruction then writes all six
/// arithmetic flags, and the guest's (from the lazy state) are not
/// computed.
macro_rules! fcomi_helper {
    ($(#[$doc:meta])* $name:ident = $text:literal, $insn:literal) => {
        $(#[$doc])*
        pub static $name: HelperInfo = HelperInfo {
            name: $text,
            func: {
                extern "C" fn f(env: &mut CpuState, i: u64, op: u64, dst: u64, src: u64, src2: u64) -> u64 {
                    use super::host::{exec, Commit, FsaveImage, Wait};
                    use super::partial::Partial;
                    use crate::cpu::X87State;
                    fn run<const I: usize>(img: *mut FsaveImage, flags: &mut u64) {
                        let mut fl = (*flags & eflags::ARITH) | eflags::FIXED1;
                        on_host!(img, ["push {fl}", "popfq", $insn, "pushfq", "pop {fl}"],
                            fl = inout(reg) fl, i = const I);
                        *flags = fl & eflags::ARITH;
                    }
                    fn fast<const I: usize>(x: &mut X87State, flags: &mut u64) -> bool {
                        let Some(mut p) = Partial::load(x, I) else {
                            return false;
                        };
                        let mut fl = (*flags & eflags::ARITH) | eflags::FIXED1;
                        on_partial!(&mut p, I + 1, ["push {fl}", "popfq", $insn, "pushfq", "pop {fl}"],
                            fl = inout(reg) fl, i = const I);
                        let c1 = x.fsw & super::partial::C1;
                        p.commit(x, I + 1);
                        if super::partial::fcomi_keeps_c1() {
                            x.fsw = (x.fsw & !super::partial::C1) | c1;
                        }
                        *flags = fl & eflags::ARITH;
                        true
                    }
                    const RUN: [fn(*mut FsaveImage, &mut u64); 8] =
                        [run::<0>, run::<1>, run::<2>, run::<3>, run::<4>, run::<5>, run::<6>, run::<7>];
                    const FAST: [fn(&mut X87State, &mut u64) -> bool; 8] =
                        [fast::<0>, fast::<1>, fast::<2>, fast::<3>, fast::<4>, fast::<5>, fast::<6>, fast::<7>];
                    let i = (i & 7) as usize;
                    let mut flags = 0;
                    if !FAST[i](&mut env.fpu, &mut flags) {
                        flags = crate::cc::compute_all(op, dst, src, src2);
                        exec(env, Wait::Check, Commit::Stack, |img| RUN[i](img, &mut flags));
                    }
                    flags
                }
                f
            },
        };
    };
}

fcomi_helper! {
    /// `fcomi(i, cc_op, cc_dst, cc_src, cc_src2)`: FCOMI ST(0), ST(i); returns the new arithmetic flags.
    FCOMI = "fcomi", "fcomi st(0), st({i})"
}
fcomi_helper! {
    /// `fcomip(i, cc_op, cc_dst, cc_src, cc_src2)`: FCOMIP ST(0), ST(i); returns the new arithmetic flags.
    FCOMIP = "fcomip", "fcomip st(0), st({i})"
}
fcomi_helper! {
    /// `fucomi(i, cc_op, cc_dst, cc_src, cc_src2)`: FUCOMI ST(0), ST(i); returns the new arithmetic flags.
    FUCOMI = "fucomi", "fucomi st(0), st({i})"
}
fcomi_helper! {
    /// `fucomip(i, cc_op, cc_dst, cc_src, cc_src2)`: FUCOMIP ST(0), ST(i); returns the new arithmetic flags.
    FUCOMIP = "fucomip", "fucomip st(0), st({i})"
}

/// This file's helpers.
pub const LIST: &[&HelperInfo] = &[
    &FCOM_M32,
    &FCOM_M64,
    &FCOMP_M32,
    &FCOMP_M64,
    &FICOM_M16,
    &FICOM_M32,
    &FICOMP_M16,
    &FICOMP_M32,
    &FCOM_STI,
    &FCOMP_STI,
    &FUCOM_STI,
    &FUCOMP_STI,
    &FCOMPP,
    &FUCOMPP,
    &FTST,
    &FXAM,
    &FCOMI,
    &FCOMIP,
    &FUCOMI,
    &FUCOMIP,
];
