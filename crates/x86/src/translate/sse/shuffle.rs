//! Lane rearrangement, by helper: PUNPCK*/UNPCK*PS/PD, PACK*, PSHUFD/LW/HW,
//! SHUFPS/PD, and the SSSE3/SSE4.1 PSHUFB, PALIGNR, blends, INSERTPS and
//! PMOVSX/PMOVZX.

use super::{call_binary, call_binary_imm, imm, lookup, read_src, read_xmm, xmm_of, HelperTable};
use crate::helpers::sse::shuffle::*;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic as M;

const BINARY: &HelperTable = &[
    (M::Punpcklbw, &PUNPCKLBW),
    (M::Punpcklwd, &PUNPCKLWD),
    (M::Punpckldq, &PUNPCKLDQ),
    (M::Punpcklqdq, &PUNPCKLQDQ),
    (M::Punpckhbw, &PUNPCKHBW),
    (M::Punpckhwd, &PUNPCKHWD),
    (M::Punpckhdq, &PUNPCKHDQ),
    (M::Punpckhqdq, &PUNPCKHQDQ),
    (M::Unpcklps, &PUNPCKLDQ),
    (M::Unpckhps, &PUNPCKHDQ),
    (M::Unpcklpd, &PUNPCKLQDQ),
    (M::Unpckhpd, &PUNPCKHQDQ),
    (M::Packsswb, &PACKSSWB),
    (M::Packuswb, &PACKUSWB),
    (M::Packssdw, &PACKSSDW),
    (M::Packusdw, &PACKUSDW),
    (M::Pshufb, &PSHUFB),
    (M::Pmovsxbw, &PMOVSXBW),
    (M::Pmovsxbd, &PMOVSXBD),
    (M::Pmovsxbq, &PMOVSXBQ),
    (M::Pmovsxwd, &PMOVSXWD),
    (M::Pmovsxwq, &PMOVSXWQ),
    (M::Pmovsxdq, &PMOVSXDQ),
    (M::Pmovzxbw, &PMOVZXBW),
    (M::Pmovzxbd, &PMOVZXBD),
    (M::Pmovzxbq, &PMOVZXBQ),
    (M::Pmovzxwd, &PMOVZXWD),
    (M::Pmovzxwq, &PMOVZXWQ),
    (M::Pmovzxdq, &PMOVZXDQ),
];

const WITH_IMM: &HelperTable = &[
    (M::Pshufd, &PSHUFD),
    (M::Pshuflw, &PSHUFLW),
    (M::Pshufhw, &PSHUFHW),
    (M::Shufps, &SHUFPS),
    (M::Shufpd, &SHUFPD),
    (M::Palignr, &PALIGNR),
    (M::Pblendw, &PBLENDW),
    (M::Blendps, &BLENDPS),
    (M::Blendpd, &BLENDPD),
];

/// Blends whose mask is the implicit XMM0.
const WITH_XMM0: &HelperTable = &[
    (M::Pblendvb, &PBLENDVB),
    (M::Blendvps, &BLENDVPS),
    (M::Blendvpd, &BLENDVPD),
];

pub fn translate(cx: &mut Cx) -> Outcome {
    if let Some(h) = lookup(cx, BINARY) {
        call_binary(cx, h);
    } else if let Some(h) = lookup(cx, WITH_IMM) {
        call_binary_imm(cx, h);
    } else if let Some(h) = lookup(cx, WITH_XMM0) {
        let d = xmm_of(cx, 0);
        let s = read_src(cx, 1, false);
        let m = read_xmm(cx, 0);
        let dn = cx.b.movi(d as u64);
        cx.call(h, &[dn, s.lo, s.hi, m.lo, m.hi]);
    } else if cx.insn.mnemonic() == M::Insertps {
        let d = xmm_of(cx, 0);
        let s = read_src(cx, 1, false);
        let dn = cx.b.movi(d as u64);
        // From memory the source is the loaded doubleword: element 0.
        let c = if cx.is_mem(1) {
            let v = cx.insn.immediate(2) & 0x3f;
            cx.b.movi(v)
        } else {
            imm(cx, 2)
        };
        cx.call(&INSERTPS, &[dn, s.lo, s.hi, c]);
    } else {
        return Outcome::NotMine;
    }
    Outcome::Done
}
