//! Comparisons, by helper: PCMPEQ/PCMPGT (B, W, D, Q), CMPPS/CMPSS/CMPPD/
//! CMPSD with an immediate predicate, and COMISS/UCOMISS/COMISD/UCOMISD,
//! whose ZF/PF/CF (other arithmetic flags clear) become the lazy flags.

use super::{call_binary, call_binary_imm, is_xmm_reg, lookup, xmm_of, xmm_src, HelperTable};
use crate::cpu::CpuState;
use crate::helpers::sse::compare::*;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic as M;
use std::mem::offset_of;

const BINARY: &HelperTable = &[
    (M::Pcmpeqb, &PCMPEQB),
    (M::Pcmpeqw, &PCMPEQW),
    (M::Pcmpeqd, &PCMPEQD),
    (M::Pcmpeqq, &PCMPEQQ),
    (M::Pcmpgtb, &PCMPGTB),
    (M::Pcmpgtw, &PCMPGTW),
    (M::Pcmpgtd, &PCMPGTD),
    (M::Pcmpgtq, &PCMPGTQ),
];

const PREDICATE: &HelperTable = &[
    (M::Cmpps, &CMPPS),
    (M::Cmpss, &CMPSS),
    (M::Cmppd, &CMPPD),
    (M::Cmpsd, &CMPSD),
];

const TO_EFLAGS: &HelperTable = &[
    (M::Comiss, &COMISS),
    (M::Ucomiss, &UCOMISS),
    (M::Comisd, &COMISD),
    (M::Ucomisd, &UCOMISD),
];

pub fn translate(cx: &mut Cx) -> Outcome {
    if let Some(h) = lookup(cx, BINARY) {
        call_binary(cx, h);
    } else if let Some(h) = lookup(cx, PREDICATE) {
        // CMPSD is also the string instruction, which has no XMM operand.
        if !is_xmm_reg(cx, 0) {
            return Outcome::NotMine;
        }
        call_binary_imm(cx, h);
    } else if let Some(h) = lookup(cx, TO_EFLAGS) {
        let d = xmm_of(cx, 0);
        let s = xmm_src(cx, 1);
        cx.call_xmm(h, d, s, 0);
        let flags = cx.b.ld_env(offset_of!(CpuState, xmm_result));
        cx.set_cc_eflags(flags);
    } else {
        return Outcome::NotMine;
    }
    Outcome::Done
}
