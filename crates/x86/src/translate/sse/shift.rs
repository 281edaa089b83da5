//! Packed shifts, by helper: PSLL/PSRL/PSRA (W, D, Q) with an immediate or
//! an XMM/m128 count, and the byte shifts PSLLDQ/PSRLDQ.

use super::{lookup, read_src, xmm_of, HelperTable};
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
    let count = if cx.insn.op_kind(1) == OpKind::Immediate8 {
        let v = cx.insn.immediate(1) & 0xff;
        cx.b.movi(v)
    } else {
        read_src(cx, 1, false).lo
    };
    let dn = cx.b.movi(d as u64);
    cx.call(h, &[dn, count]);
    Outcome::Done
}
