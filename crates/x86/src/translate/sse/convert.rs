//! Conversions, by helper under the guest MXCSR: between single and
//! double (scalar and packed), between doubleword integers and floats, the
//! memory forms of CVTPI2PS/CVTPI2PD, and CVTSI2SS/SD and
//! CVT(T)SS2SI/CVT(T)SD2SI with 32- and 64-bit general registers.

use super::{call_binary, lookup, xmm_src, HelperTable};
use crate::cpu::CpuState;
use crate::helpers::sse::convert::*;
use crate::helpers::HelperInfo;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic as M;
use std::mem::offset_of;

const BINARY: &HelperTable = &[
    (M::Cvtss2sd, &CVTSS2SD),
    (M::Cvtsd2ss, &CVTSD2SS),
    (M::Cvtps2pd, &CVTPS2PD),
    (M::Cvtpd2ps, &CVTPD2PS),
    (M::Cvtdq2ps, &CVTDQ2PS),
    (M::Cvtps2dq, &CVTPS2DQ),
    (M::Cvttps2dq, &CVTTPS2DQ),
    (M::Cvtdq2pd, &CVTDQ2PD),
    (M::Cvtpd2dq, &CVTPD2DQ),
    (M::Cvttpd2dq, &CVTTPD2DQ),
    // Only the memory forms get here: MMX register forms are not ours.
    (M::Cvtpi2ps, &CVTPI2PS),
    (M::Cvtpi2pd, &CVTDQ2PD),
];

/// Helpers for (32-bit, 64-bit) integer operands.
const BY_SIZE: &[(M, &HelperInfo, &HelperInfo)] = &[
    (M::Cvtsi2ss, &CVTSI2SS32, &CVTSI2SS64),
    (M::Cvtsi2sd, &CVTSI2SD32, &CVTSI2SD64),
    (M::Cvtss2si, &CVTSS2SI32, &CVTSS2SI64),
    (M::Cvttss2si, &CVTTSS2SI32, &CVTTSS2SI64),
    (M::Cvtsd2si, &CVTSD2SI32, &CVTSD2SI64),
    (M::Cvttsd2si, &CVTTSD2SI32, &CVTTSD2SI64),
];

pub fn translate(cx: &mut Cx) -> Outcome {
    if let Some(h) = lookup(cx, BINARY) {
        call_binary(cx, h);
        return Outcome::Done;
    }
    let m = cx.insn.mnemonic();
    let Some(&(_, h32, h64)) = BY_SIZE.iter().find(|(k, _, _)| *k == m) else {
        return Outcome::NotMine;
    };
    if matches!(m, M::Cvtsi2ss | M::Cvtsi2sd) {
        let h = if cx.op_size(1) == 8 { h64 } else { h32 };
        call_binary(cx, h);
    } else {
        let dst = cx.insn.op_register(0);
        let h = if dst.size() == 8 { h64 } else { h32 };
        let s = xmm_src(cx, 1);
        cx.call_xmm(h, 0, s, 0);
        let v = cx.b.ld_env(offset_of!(CpuState, xmm_result));
        cx.write_reg(dst, v);
    }
    Outcome::Done
}
