//! AES-NI (AESENC, AESENCLAST, AESDEC, AESDECLAST, AESIMC, AESKEYGENASSIST)
//! and PCLMULQDQ, by helper; their m128 operands must be aligned.

use super::{call_binary, call_binary_imm, lookup, HelperTable};
use crate::helpers::sse::aes::*;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic as M;

const BINARY: &HelperTable = &[
    (M::Aesenc, &AESENC),
    (M::Aesenclast, &AESENCLAST),
    (M::Aesdec, &AESDEC),
    (M::Aesdeclast, &AESDECLAST),
    (M::Aesimc, &AESIMC),
];

const WITH_IMM: &HelperTable = &[
    (M::Aeskeygenassist, &AESKEYGENASSIST),
    (M::Pclmulqdq, &PCLMULQDQ),
];

pub fn translate(cx: &mut Cx) -> Outcome {
    if let Some(h) = lookup(cx, BINARY) {
        call_binary(cx, h);
    } else if let Some(h) = lookup(cx, WITH_IMM) {
        call_binary_imm(cx, h);
    } else {
        return Outcome::NotMine;
    }
    Outcome::Done
}
