//! Data transfer: FLD FILD FBLD, the constants (FLDZ FLD1 FLDPI FLDL2E
//! FLDLN2 FLDL2T FLDLG2), FST FSTP FIST FISTP FISTTP FBSTP, FXCH, FCMOVcc.
//!
//! A store to memory is split so the memory write comes before the pop: a
//! store helper returns the bytes (and updates the status word), the
//! translator writes them, then `fpop` pops for the popping forms.

use super::host::fsw;
use crate::cpu::CpuState;
use crate::helpers::HelperInfo;

x87_helper! {
    /// FLD m32fp: push `lo` (m32fp bits).
    FLD_M32 = "fld_m32", load(super::moves::fld_m32) ["fld dword ptr [{m}]"]
}
x87_helper! {
    /// FLD m64fp: push `lo` (m64fp bits).
    FLD_M64 = "fld_m64", load(super::moves::fld_m64) ["fld qword ptr [{m}]"]
}
x87_helper! {
    /// FLD m80fp: push the 80-bit value (`lo` = significand, `hi` = sign and exponent).
    FLD_M80 = "fld_m80", load ["fld tbyte ptr [{m}]"]
}
x87_helper! {
    /// FILD m16int: push `lo` (the 16-bit integer).
    FILD_M16 = "fild_m16", load(super::moves::fild_m16) ["fild word ptr [{m}]"]
}
x87_helper! {
    /// FILD m32int: push `lo` (the 32-bit integer).
    FILD_M32 = "fild_m32", load(super::moves::fild_m32) ["fild dword ptr [{m}]"]
}
x87_helper! {
    /// FILD m64int: push `lo` (the 64-bit integer).
    FILD_M64 = "fild_m64", load(super::moves::fild_m64) ["fild qword ptr [{m}]"]
}
x87_helper! {
    /// FBLD m80bcd: push the packed BCD integer (`lo`, `hi`).
    FBLD = "fbld", load ["fbld tbyte ptr [{m}]"]
}
x87_helper! {
    /// FLD ST(i): push a copy of ST(i).
    FLD_STI = "fld_sti", sti(super::moves::fld_sti) ["fld st({i})"]
}
x87_helper! {
    /// FLDZ: push +0.0.
    FLDZ = "fldz", push(super::moves::fldz) ["fldz"]
}
x87_helper! {
    /// FLD1: push +1.0.
    FLD1 = "fld1", push(super::moves::fld1) ["fld1"]
}
x87_helper! {
    /// FLDPI: push pi (rounded per FCW.RC).
    FLDPI = "fldpi", plain(Check, Stack) ["fldpi"]
}
x87_helper! {
    /// FLDL2E: push log2(e).
    FLDL2E = "fldl2e", plain(Check, Stack) ["fldl2e"]
}
x87_helper! {
    /// FLDLN2: push ln(2).
    FLDLN2 = "fldln2", plain(Check, Stack) ["fldln2"]
}
x87_helper! {
    /// FLDL2T: push log2(10).
    FLDL2T = "fldl2t", plain(Check, Stack) ["fldl2t"]
}
x87_helper! {
    /// FLDLG2: push log10(2).
    FLDLG2 = "fldlg2", plain(Check, Stack) ["fldlg2"]
}

x87_helper! {
    /// FST/FSTP m32fp: ST(0) as m32fp bits (`lo` = the old memory value,
    /// returned when an unmasked exception suppresses the store).
    FST_M32 = "fst_m32", store(0, Status) ["fst dword ptr [{m}]"]
}
x87_helper! {
    /// FST/FSTP m64fp: ST(0) as m64fp bits (`lo` = the old memory value).
    FST_M64 = "fst_m64", store(0, Status) ["fst qword ptr [{m}]"]
}
x87_helper! {
    /// FSTP m80fp, first part: the low 8 bytes FSTP m80fp stores (`lo`, `hi`
    /// = the old memory bytes); the status word is left to `fst_m80_hi`.
    FST_M80_LO = "fst_m80_lo", store(0, Nothing) ["fstp tbyte ptr [{m}]"]
}
x87_helper! {
    /// FSTP m80fp, second part: bytes 8..10 FSTP m80fp stores (`lo`, `hi`
    /// = the old memory bytes); updates the status word.
    FST_M80_HI = "fst_m80_hi", store(1, Status) ["fstp tbyte ptr [{m}]"]
}
x87_helper! {
    /// FIST/FISTP m16int: ST(0) rounded per FCW.RC (`lo` = the old memory value).
    FIST_M16 = "fist_m16", store(0, Status) ["fist word ptr [{m}]"]
}
x87_helper! {
    /// FIST/FISTP m32int: ST(0) rounded per FCW.RC (`lo` = the old memory value).
    FIST_M32 = "fist_m32", store(0, Status) ["fist dword ptr [{m}]"]
}
x87_helper! {
    /// FISTP m64int: ST(0) rounded per FCW.RC (`lo` = the old memory value).
    FIST_M64 = "fist_m64", store(0, Status) ["fistp qword ptr [{m}]"]
}
x87_helper! {
    /// FISTTP m16int: ST(0) truncated (`lo` = the old memory value).
    FISTTP_M16 = "fisttp_m16", store(0, Status) ["fisttp word ptr [{m}]"]
}
x87_helper! {
    /// FISTTP m32int: ST(0) truncated (`lo` = the old memory value).
    FISTTP_M32 = "fisttp_m32", store(0, Status) ["fisttp dword ptr [{m}]"]
}
x87_helper! {
    /// FISTTP m64int: ST(0) truncated (`lo` = the old memory value).
    FISTTP_M64 = "fisttp_m64", store(0, Status) ["fisttp qword ptr [{m}]"]
}
x87_helper! {
    /// FBSTP m80bcd, first part: the low 8 bytes of ST(0) as packed BCD.
    FBST_LO = "fbst_lo", store(0, Nothing) ["fbstp tbyte ptr [{m}]"]
}
x87_helper! {
    /// FBSTP m80bcd, second part: bytes 8..10; updates the status word.
    FBST_HI = "fbst_hi", store(1, Status) ["fbstp tbyte ptr [{m}]"]
}

extern "C" fn fpop(env: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let x = &mut env.fpu;
    // An unmasked invalid, denormal, zero-divide, overflow or underflow
    // exception from the store leaves the stack as it was (precision does not).
    let unmasked = x.fsw & !x.fcw & fsw::EXCEPTIONS & !fsw::PE;
    if unmasked == 0 {
        x.ftw &= !(1 << (x.top & 7));
        x.top = (x.top + 1) & 7;
    }
    0
}

/// `fpop()`: the pop of FSTP/FISTP/FISTTP/FBSTP to memory, after the store
/// helper and the memory write: marks ST(0) empty and increments TOP.
pub static FPOP: HelperInfo = HelperInfo {
    name: "fpop",
    func: fpop,
};

x87_helper! {
    /// FST ST(i): ST(i) = ST(0).
    FST_STI = "fst_sti", sti(super::moves::fst_sti_keep) ["fst st({i})"]
}
x87_helper! {
    /// FSTP ST(i): ST(i) = ST(0), then pop.
    FSTP_STI = "fstp_sti", sti(super::moves::fstp_sti) ["fstp st({i})"]
}
x87_helper! {
    /// D9 D8+i, an alias of FSTP ST(i), run as itself: with an empty ST(0)
    /// the host stores without a stack fault.
    FSTP1_STI = "fstp1_sti", sti [".byte 0xd9, 0xd8 + {i}"]
}
x87_helper! {
    /// DF D0+i, an alias of FSTP ST(i), run as itself (see `FSTP1_STI`).
    FSTP8_STI = "fstp8_sti", sti [".byte 0xdf, 0xd0 + {i}"]
}
x87_helper! {
    /// DF D8+i, an alias of FSTP ST(i), run as itself (see `FSTP1_STI`).
    FSTP9_STI = "fstp9_sti", sti [".byte 0xdf, 0xd8 + {i}"]
}
x87_helper! {
    /// FXCH ST(i): exchange ST(0) and ST(i).
    FXCH = "fxch", sti(super::moves::fxch) ["fxch st({i})"]
}

extern "C" fn fcmov(env: &mut CpuState, i: u64, cond: u64, _: u64, _: u64, _: u64) -> u64 {
    use super::host::{exec, Commit, FsaveImage, Wait};
    fn run<const I: usize>(img: *mut FsaveImage, cond: u64) {
        on_host!(img, ["test {c}, {c}", "fcmovne st(0), st({i})"], c = in(reg) cond, i = const I)
    }
    const RUN: [fn(*mut FsaveImage, u64); 8] = [
        run::<0>, run::<1>, run::<2>, run::<3>, run::<4>, run::<5>, run::<6>, run::<7>,
    ];
    exec(env, Wait::Check, Commit::Stack, |img| {
        RUN[(i & 7) as usize](img, cond)
    });
    0
}

/// `fcmov(i, cond)`: FCMOVcc ST(0), ST(i) with the guest condition already
/// evaluated to `cond` (0 or 1).
pub static FCMOV: HelperInfo = HelperInfo {
    name: "fcmov",
    func: fcmov,
};

/// This file's helpers.
pub const LIST: &[&HelperInfo] = &[
    &FLD_M32,
    &FLD_M64,
    &FLD_M80,
    &FILD_M16,
    &FILD_M32,
    &FILD_M64,
    &FBLD,
    &FLD_STI,
    &FLDZ,
    &FLD1,
    &FLDPI,
    &FLDL2E,
    &FLDLN2,
    &FLDL2T,
    &FLDLG2,
    &FST_M32,
    &FST_M64,
    &FST_M80_LO,
    &FST_M80_HI,
    &FIST_M16,
    &FIST_M32,
    &FIST_M64,
    &FISTTP_M16,
    &FISTTP_M32,
    &FISTTP_M64,
    &FBST_LO,
    &FBST_HI,
    &FPOP,
    &FST_STI,
    &FSTP_STI,
    &FSTP1_STI,
    &FSTP8_STI,
    &FSTP9_STI,
    &FXCH,
    &FCMOV,
];
