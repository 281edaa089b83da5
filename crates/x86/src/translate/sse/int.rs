//! Packed integer arithmetic, by helper: wrapping and saturating add and
//! subtract, multiplies, PMADDWD, PSADBW, PAVG, PMIN/PMAX, and the SSSE3
//! and SSE4.1 additions (PABS, PSIGN, PHADD/PHSUB, PMADDUBSW, PMULHRSW,
//! PMULLD, PMULDQ, PHMINPOSUW, MPSADBW).

use super::{call_binary, call_binary_imm, lookup, HelperTable};
use crate::helpers::sse::int::*;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic as M;

const BINARY: &HelperTable = &[
    (M::Paddb, &PADDB),
    (M::Paddw, &PADDW),
    (M::Paddd, &PADDD),
    (M::Paddq, &PADDQ),
    (M::Psubb, &PSUBB),
    (M::Psubw, &PSUBW),
    (M::Psubd, &PSUBD),
    (M::Psubq, &PSUBQ),
    (M::Paddsb, &PADDSB),
    (M::Paddsw, &PADDSW),
    (M::Paddusb, &PADDUSB),
    (M::Paddusw, &PADDUSW),
    (M::Psubsb, &PSUBSB),
    (M::Psubsw, &PSUBSW),
    (M::Psubusb, &PSUBUSB),
    (M::Psubusw, &PSUBUSW),
    (M::Pmullw, &PMULLW),
    (M::Pmulhw, &PMULHW),
    (M::Pmulhuw, &PMULHUW),
    (M::Pmuludq, &PMULUDQ),
    (M::Pmuldq, &PMULDQ),
    (M::Pmulld, &PMULLD),
    (M::Pmaddwd, &PMADDWD),
    (M::Psadbw, &PSADBW),
    (M::Pavgb, &PAVGB),
    (M::Pavgw, &PAVGW),
    (M::Pminub, &PMINUB),
    (M::Pmaxub, &PMAXUB),
    (M::Pminsw, &PMINSW),
    (M::Pmaxsw, &PMAXSW),
    (M::Pminsb, &PMINSB),
    (M::Pmaxsb, &PMAXSB),
    (M::Pminuw, &PMINUW),
    (M::Pmaxuw, &PMAXUW),
    (M::Pminsd, &PMINSD),
    (M::Pmaxsd, &PMAXSD),
    (M::Pminud, &PMINUD),
    (M::Pmaxud, &PMAXUD),
    (M::Phminposuw, &PHMINPOSUW),
    (M::Pabsb, &PABSB),
    (M::Pabsw, &PABSW),
    (M::Pabsd, &PABSD),
    (M::Psignb, &PSIGNB),
    (M::Psignw, &PSIGNW),
    (M::Psignd, &PSIGND),
    (M::Phaddw, &PHADDW),
    (M::Phaddd, &PHADDD),
    (M::Phaddsw, &PHADDSW),
    (M::Phsubw, &PHSUBW),
    (M::Phsubd, &PHSUBD),
    (M::Phsubsw, &PHSUBSW),
    (M::Pmaddubsw, &PMADDUBSW),
    (M::Pmulhrsw, &PMULHRSW),
];

pub fn translate(cx: &mut Cx) -> Outcome {
    if let Some(h) = lookup(cx, BINARY) {
        call_binary(cx, h);
    } else if cx.insn.mnemonic() == M::Mpsadbw {
        call_binary_imm(cx, &MPSADBW);
    } else {
        return Outcome::NotMine;
    }
    Outcome::Done
}
