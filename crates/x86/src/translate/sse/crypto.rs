//! AES-NI (AESENC, AESENCLAST, AESDEC, AESDECLAST, AESIMC, AESKEYGENASSIST),
//! PCLMULQDQ and the SHA extensions, by helper; their m128 operands must be
//! aligned. SHA256RNDS2 takes XMM0 as its implicit third operand.

use super::{call_binary, call_binary_imm, lookup, read_src, read_xmm, xmm_of, HelperTable};
use crate::helpers::sse::aes::*;
use crate::helpers::sse::sha::*;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic as M;

const BINARY: &HelperTable = &[
    (M::Aesenc, &AESENC),
    (M::Aesenclast, &AESENCLAST),
    (M::Aesdec, &AESDEC),
    (M::Aesdeclast, &AESDECLAST),
    (M::Aesimc, &AESIMC),
    (M::Sha1nexte, &SHA1NEXTE),
    (M::Sha1msg1, &SHA1MSG1),
    (M::Sha1msg2, &SHA1MSG2),
    (M::Sha256msg1, &SHA256MSG1),
    (M::Sha256msg2, &SHA256MSG2),
];

const WITH_IMM: &HelperTable = &[
    (M::Aeskeygenassist, &AESKEYGENASSIST),
    (M::Pclmulqdq, &PCLMULQDQ),
    (M::Sha1rnds4, &SHA1RNDS4),
];

pub fn translate(cx: &mut Cx) -> Outcome {
    if let Some(h) = lookup(cx, BINARY) {
        call_binary(cx, h);
    } else if let Some(h) = lookup(cx, WITH_IMM) {
        call_binary_imm(cx, h);
    } else if cx.insn.mnemonic() == M::Sha256rnds2 {
        let d = xmm_of(cx, 0);
        let s = read_src(cx, 1, false);
        let wk = read_xmm(cx, 0);
        let dn = cx.b.movi(d as u64);
        cx.call(&SHA256RNDS2, &[dn, s.lo, s.hi, wk.lo, wk.hi]);
    } else {
        return Outcome::NotMine;
    }
    Outcome::Done
}
