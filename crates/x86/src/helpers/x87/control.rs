//! FPU control: FINCSTP FDECSTP FFREE FFREEP FNINIT FNCLEX FLDCW FNSTCW
//! FNSTSW FWAIT FNSTENV FLDENV FNSAVE FRSTOR.
//!
//! FNSTENV and FNSAVE images (28 and 108 bytes, the layouts 64-bit mode
//! uses) are written by the host FPU and handed out a quadword at a time;
//! the instruction pointer and data pointer fields are zero.

use super::host::{exec, fsw, pending, Commit, Mem, Wait};
use crate::cpu::{excp, CpuState};
use crate::helpers::HelperInfo;
use std::sync::atomic::{AtomicU64, Ordering};

x87_helper! {
    /// FINCSTP: TOP = TOP + 1 (tags unchanged).
    FINCSTP = "fincstp", plain(Check, Stack) ["fincstp"]
}
x87_helper! {
    /// FDECSTP: TOP = TOP - 1 (tags unchanged).
    FDECSTP = "fdecstp", plain(Check, Stack) ["fdecstp"]
}
x87_helper! {
    /// FFREE ST(i): tag ST(i) empty.
    FFREE = "ffree", sti ["ffree st({i})"]
}
x87_helper! {
    /// FFREEP ST(i): tag ST(i) empty, then pop.
    FFREEP = "ffreep", sti ["ffreep st({i})"]
}
x87_helper! {
    /// FNCLEX: clear the exception flags, SF, ES and B.
    FNCLEX = "fnclex", plain(NoCheck, Status) ["fnclex"]
}

extern "C" fn fninit(env: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let x = &mut env.fpu;
    x.fcw = 0x37f;
    x.fsw = 0;
    x.top = 0;
    x.ftw = 0;
    0
}

/// `fninit()`: FNINIT: FCW = 0x37F, status word 0, TOP 0, every register empty.
pub static FNINIT: HelperInfo = HelperInfo {
    name: "fninit",
    func: fninit,
};

/// FLDCWs run on the host with no exception flag set, by the slot of
/// `fldcw_slot`: bit 32 (valid), the word loaded (bits 16..31) and the
/// control word the FPU kept of it (bits 0..15, reserved bits as the host
/// reads them back). Programs switch between a few words (CPython between
/// 0x37F and 0x27F around each double operation, libm around rounding
/// conversions), which differ in precision or rounding control.
static LAST_FLDCW: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

/// The `LAST_FLDCW` slot of control word `cw`: its precision control
/// (bits 8, 9) mixed with its rounding control (bits 10, 11).
fn fldcw_slot(cw: u64) -> usize {
    ((cw >> 8 ^ cw >> 10) & 3) as usize
}

extern "C" fn fldcw(env: &mut CpuState, cw: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    // With nothing pending (ES and B clear) and every exception flag that
    // is set masked by the new word too, nothing is pending after:
    // FLDCW replaces the control word and nothing else, as it did the
    // last time this word was loaded. (Inexact results leave PE set, so
    // requiring no flag at all missed most loads in real code.)
    let x = &env.fpu;
    let quiet = x.fsw & (fsw::ES | fsw::B) == 0
        && x.fsw & fsw::EXCEPTIONS & !(cw as u16) & fsw::EXCEPTIONS == 0;
    let key = 1 << 32 | (cw & 0xffff) << 16;
    let slot = &LAST_FLDCW[fldcw_slot(cw)];
    let last = slot.load(Ordering::Relaxed);
    if quiet && last & !0xffff == key {
        env.fpu.fcw = last as u16;
        return 0;
    }
    let mut m = Mem::new(&[cw]);
    let p = m.0.as_mut_ptr();
    exec(
        env,
        Wait::Check,
        Commit::Control,
        |img| on_host!(img, ["fldcw word ptr [{m}]"], m = in(reg) p),
    );
    if quiet {
        slot.store(key | env.fpu.fcw as u64, Ordering::Relaxed);
    }
    0
}

/// `fldcw(cw)`: FLDCW: load the control word (as the FPU keeps it).
pub static FLDCW: HelperInfo = HelperInfo {
    name: "fldcw",
    func: fldcw,
};

extern "C" fn fnstcw(env: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    env.fpu.fcw as u64
}

/// `fnstcw() -> cw`: FNSTCW: the control word.
pub static FNSTCW: HelperInfo = HelperInfo {
    name: "fnstcw",
    func: fnstcw,
};

extern "C" fn fnstsw(env: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let x = &env.fpu;
    (x.fsw | ((x.top as u16 & 7) << 11)) as u64
}

/// `fnstsw() -> sw`: FNSTSW: the status word with TOP.
pub static FNSTSW: HelperInfo = HelperInfo {
    name: "fnstsw",
    func: fnstsw,
};

extern "C" fn fwait(env: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    if pending(&env.fpu) {
        env.raise(excp::MF, 0, false);
    }
    0
}

/// `fwait()`: FWAIT (and the wait of FINIT, FCLEX, FSTSW, FSTCW, FSTENV,
/// FSAVE, and FNOP): #MF if an unmasked exception is pending.
pub static FWAIT: HelperInfo = HelperInfo {
    name: "fwait",
    func: fwait,
};

extern "C" fn fnstenv_peek(env: &mut CpuState, k: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let mut m = Mem::new(&[]);
    let p = m.0.as_mut_ptr();
    exec(
        env,
        Wait::NoCheck,
        Commit::Nothing,
        |img| on_host!(img, ["fnstenv [{m}]"], m = in(reg) p),
    );
    m.qword(k)
}

/// `fnstenv_peek(k)`: quadword `k` of the 28-byte image FNSTENV stores.
pub static FNSTENV_PEEK: HelperInfo = HelperInfo {
    name: "fnstenv_peek",
    func: fnstenv_peek,
};

extern "C" fn fnstenv(env: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let mut m = Mem::new(&[]);
    let p = m.0.as_mut_ptr();
    exec(
        env,
        Wait::NoCheck,
        Commit::Control,
        |img| on_host!(img, ["fnstenv [{m}]"], m = in(reg) p),
    );
    0
}

/// `fnstenv()`: FNSTENV's effect after its image is stored: mask every exception.
pub static FNSTENV: HelperInfo = HelperInfo {
    name: "fnstenv",
    func: fnstenv,
};

extern "C" fn fldenv(env: &mut CpuState, q0: u64, q1: u64, q2: u64, q3: u64, _: u64) -> u64 {
    let mut m = Mem::new(&[q0, q1, q2, q3]);
    let p = m.0.as_mut_ptr();
    exec(
        env,
        Wait::Check,
        Commit::Control,
        |img| on_host!(img, ["fldenv [{m}]"], m = in(reg) p),
    );
    0
}

/// `fldenv(q0, q1, q2, q3)`: FLDENV from the 28-byte image in `q0..q3`
/// (also the environment half of FRSTOR).
pub static FLDENV: HelperInfo = HelperInfo {
    name: "fldenv",
    func: fldenv,
};

extern "C" fn fnsave_peek(env: &mut CpuState, k: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let mut m = Mem::new(&[]);
    let p = m.0.as_mut_ptr();
    exec(
        env,
        Wait::NoCheck,
        Commit::Nothing,
        |img| on_host!(img, ["fnsave [{m}]"], m = in(reg) p),
    );
    m.qword(k)
}

/// `fnsave_peek(k)`: quadword `k` of the 108-byte image FNSAVE stores
/// (FNSAVE then reinitialises: `fninit`).
pub static FNSAVE_PEEK: HelperInfo = HelperInfo {
    name: "fnsave_peek",
    func: fnsave_peek,
};

extern "C" fn frstor_st(env: &mut CpuState, i: u64, lo: u64, hi: u64, _: u64, _: u64) -> u64 {
    let x = &mut env.fpu;
    let p = ((x.top as u64 + i) & 7) as usize;
    x.regs[p][..8].copy_from_slice(&lo.to_le_bytes());
    x.regs[p][8..10].copy_from_slice(&(hi as u16).to_le_bytes());
    0
}

/// `frstor_st(i, lo, hi)`: the register half of FRSTOR, after `fldenv`:
/// ST(i) = the 80-bit value `lo`, `hi` (tags come from the environment).
pub static FRSTOR_ST: HelperInfo = HelperInfo {
    name: "frstor_st",
    func: frstor_st,
};

/// This file's helpers.
pub const LIST: &[&HelperInfo] = &[
    &FINCSTP,
    &FDECSTP,
    &FFREE,
    &FFREEP,
    &FNCLEX,
    &FNINIT,
    &FLDCW,
    &FNSTCW,
    &FNSTSW,
    &FWAIT,
    &FNSTENV_PEEK,
    &FNSTENV,
    &FLDENV,
    &FNSAVE_PEEK,
    &FRSTOR_ST,
];
