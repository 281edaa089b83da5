//! Packed shifts, by helper: PSLL/PSRL/PSRA (W, D, Q) with an immediate or
//! an XMM/m128 count, and the byte shifts PSLLDQ/PSRLDQ; an immediate
//! count is `call_xmm`'s immediate.

use super::{xmm_of, xmm_src};
use crate::helpers::sse::shift::*;
use crate::helpers::HelperInfo;
use crate::translate::{Cx, Outcome};
use iced_x86::{Mnemonic as M, OpKind};

/// Mnemonic, helper with an XMM/m128 count, helper with an immediate
/// count (the byte shifts have only the latter).
const SHIFTS: &[(M, Option<&HelperInfo>, &HelperInfo)] = &[
    (M::Psllw, Some(&PSLLW), &PSLLW_IMM),
    (M::Pslld, Some(&PSLLD), &PSLLD_IMM),
    (M::Psllq, Some(&PSLLQ), &PSLLQ_IMM),
    (M::Psrlw, Some(&PSRLW), &PSRLW_IMM),
    (M::Psrld, Some(&PSRLD), &PSRLD_IMM),
    (M::Psrlq, Some(&PSRLQ), &PSRLQ_IMM),
    (M::Psraw, Some(&PSRAW), &PSRAW_IMM),
    (M::Psrad, Some(&PSRAD), &PSRAD_IMM),
    (M::Pslldq, None, &PSLLDQ),
    (M::Psrldq, None, &PSRLDQ),
];

pub fn translate(cx: &mut Cx) -> Outcome {
    let m = cx.insn.mnemonic();
    let Some(&(_, by_reg, by_imm)) = SHIFTS.iter().find(|s| s.0 == m) else {
        return Outcome::NotMine;
    };
    let d = xmm_of(cx, 0);
    if cx.insn.op_kind(1) == OpKind::Immediate8 {
        let count = cx.insn.immediate(1) & 0xff;
        cx.call_xmm(by_imm, d, d, count);
    } else if let Some(h) = by_reg {
        let s = xmm_src(cx, 1);
        cx.call_xmm(h, d, s, 0);
    } else {
        return Outcome::NotMine;
    }
    Outcome::Done
}
