//! FXSAVE/FXRSTOR and their REX.W forms (which differ only in the FIP/FDP
//! format; ox86 saves those as zero): the 512-byte area of
//! `helpers::sse::fxsr`, 16-byte aligned or #GP. The x87 part goes through
//! helpers, MXCSR and the XMM registers as IR. FXSAVE brings MXCSR's lazy
//! exception flags up to date first, as STMXCSR does; FXRSTOR loads the
//! whole area before changing anything and loads MXCSR as LDMXCSR does
//! (#GP for reserved bits). The XSAVE family and XGETBV raise #UD: ox86's
//! CPU has no XSAVE, as if the OS left CR4.OSXSAVE clear.

use super::{check_align16, gp_unless, load128, read_xmm, store128, write_xmm};
use crate::cpu::{excp, CpuState, MXCSR_MASK};
use crate::helpers::sse::fxsr::{FXRSTOR_WORDS, FXSAVE_PEEK, MXCSR, ST, XMM};
use crate::helpers::sse::{MXCSR_LOADED, MXCSR_SYNC};
use crate::helpers::x87::control::FRSTOR_ST;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic;
use ox86_ir::Cond;
use std::mem::offset_of;

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.mnemonic() {
        Mnemonic::Fxsave | Mnemonic::Fxsave64 => fxsave(cx),
        Mnemonic::Fxrstor | Mnemonic::Fxrstor64 => fxrstor(cx),
        Mnemonic::Xgetbv
        | Mnemonic::Xsetbv
        | Mnemonic::Xsave
        | Mnemonic::Xsave64
        | Mnemonic::Xsavec
        | Mnemonic::Xsavec64
        | Mnemonic::Xsaveopt
        | Mnemonic::Xsaveopt64
        | Mnemonic::Xsaves
        | Mnemonic::Xsaves64
        | Mnemonic::Xrstor
        | Mnemonic::Xrstor64
        | Mnemonic::Xrstors
        | Mnemonic::Xrstors64 => cx.raise(excp::UD),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

fn fxsave(cx: &mut Cx) {
    let a = cx.ea();
    check_align16(cx, a);
    cx.call(&MXCSR_SYNC, &[]);
    for k in 0..(XMM / 8) as u64 {
        let kt = cx.b.movi(k);
        let q = cx.call(&FXSAVE_PEEK, &[kt]);
        let at = cx.b.addi(a, 8 * k);
        cx.store(8, q, at);
    }
    for n in 0..16 {
        let v = read_xmm(cx, n);
        let at = cx.b.addi(a, (XMM + 16 * n) as u64);
        store128(cx, at, v);
    }
}

fn fxrstor(cx: &mut Cx) {
    let a = cx.ea();
    check_align16(cx, a);
    let words = cx.load(8, a);
    let at = cx.b.addi(a, MXCSR as u64);
    let mxcsr = cx.load(4, at);
    let st: Vec<_> = (0..8u64)
        .map(|i| {
            let at = cx.b.addi(a, ST as u64 + 16 * i);
            let lo = cx.load(8, at);
            let at = cx.b.addi(a, ST as u64 + 16 * i + 8);
            let hi = cx.load(2, at);
            (lo, hi)
        })
        .collect();
    let xmm: Vec<_> = (0..16u64)
        .map(|n| {
            let at = cx.b.addi(a, XMM as u64 + 16 * n);
            load128(cx, at)
        })
        .collect();
    let reserved = cx.b.movi(!(MXCSR_MASK as u64));
    gp_unless(cx, Cond::TstEq, mxcsr, reserved);
    cx.b.st_env(mxcsr, offset_of!(CpuState, mxcsr));
    cx.call(&MXCSR_LOADED, &[]);
    cx.call(&FXRSTOR_WORDS, &[words]);
    for (i, (lo, hi)) in st.into_iter().enumerate() {
        let i = cx.b.movi(i as u64);
        cx.call(&FRSTOR_ST, &[i, lo, hi]);
    }
    for (n, v) in xmm.into_iter().enumerate() {
        write_xmm(cx, n, v);
    }
}
