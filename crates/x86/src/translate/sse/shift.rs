//! Packed shifts, by helper: PSLL/PSRL/PSRA (W, D, Q) with an immediate or
//! an XMM/m128 count, and the byte shifts PSLLDQ/PSRLDQ; an immediate
//! count is staged as the source register.

use super::{lookup, write_xmm, xmm_of, xmm_src, HelperTable, Xmm};
use crate::cpu::XMM_SRC;
use crate::helpers::sse::shift::*;
use crate::translate::{Cx, Outcome};
use iced_x86::{Mnemonic as M, OpKind};

const SHIFTS: &HelperTable = &[
    (M::Psllw, &PSLLW),
    (M::Pslld, &PSLLD),
    (M::Psllq, &PSLLQ),
    (M::Psrlw, &PSRLW),
    (M::Psrld, &PSRLD),
    (M::Psrlq, &PSRLQ),
    (M::Psraw, &PSRAW),
    (M::Psrad, &PSRAD),
    (M::Pslldq, &PSLLDQ),
    (M::Psrldq, &PSRLDQ),
];

pub fn translate(cx: &mut Cx) -> Outcome {
    let Some(h) = lookup(cx, SHIFTS) else {
        return Outcome::NotMine;
    };
    let d = xmm_of(cx, 0);
    let s = if cx.insn.op_kind(1) == OpKind::Immediate8 {
        let count = cx.insn.immediate(1) & 0xff;
        let lo = cx.b.movi(count);
        let hi = cx.b.movi(0);
        write_xmm(cx, XMM_SRC, Xmm { lo, hi });
        XMM_SRC
    } else {
        xmm_src(cx, 1)
    };
    cx.call_xmm(h, d, s, 0);
    Outcome::Done
}
