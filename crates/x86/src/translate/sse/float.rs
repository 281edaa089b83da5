//! Floating-point arithmetic, by helper under the guest MXCSR: ADD, SUB,
//! MUL, DIV, SQRT, MIN, MAX (PS, SS, PD, SD), RCP/RSQRT (PS, SS), the SSE3
//! ADDSUB/HADD/HSUB, and the SSE4.1 ROUND (PS, SS, PD, SD) and DPPS/DPPD.

use super::{call_binary, call_binary_imm, lookup, HelperTable};
use crate::helpers::sse::float::*;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic as M;

const BINARY: &HelperTable = &[
    (M::Addps, &ADDPS),
    (M::Addss, &ADDSS),
    (M::Addpd, &ADDPD),
    (M::Addsd, &ADDSD),
    (M::Subps, &SUBPS),
    (M::Subss, &SUBSS),
    (M::Subpd, &SUBPD),
    (M::Subsd, &SUBSD),
    (M::Mulps, &MULPS),
    (M::Mulss, &MULSS),
    (M::Mulpd, &MULPD),
    (M::Mulsd, &MULSD),
    (M::Divps, &DIVPS),
    (M::Divss, &DIVSS),
    (M::Divpd, &DIVPD),
    (M::Divsd, &DIVSD),
    (M::Sqrtps, &SQRTPS),
    (M::Sqrtss, &SQRTSS),
    (M::Sqrtpd, &SQRTPD),
    (M::Sqrtsd, &SQRTSD),
    (M::Minps, &MINPS),
    (M::Minss, &MINSS),
    (M::Minpd, &MINPD),
    (M::Minsd, &MINSD),
    (M::Maxps, &MAXPS),
    (M::Maxss, &MAXSS),
    (M::Maxpd, &MAXPD),
    (M::Maxsd, &MAXSD),
    (M::Rcpps, &RCPPS),
    (M::Rcpss, &RCPSS),
    (M::Rsqrtps, &RSQRTPS),
    (M::Rsqrtss, &RSQRTSS),
    (M::Addsubps, &ADDSUBPS),
    (M::Addsubpd, &ADDSUBPD),
    (M::Haddps, &HADDPS),
    (M::Haddpd, &HADDPD),
    (M::Hsubps, &HSUBPS),
    (M::Hsubpd, &HSUBPD),
];

const WITH_IMM: &HelperTable = &[
    (M::Roundps, &ROUNDPS),
    (M::Roundss, &ROUNDSS),
    (M::Roundpd, &ROUNDPD),
    (M::Roundsd, &ROUNDSD),
    (M::Dpps, &DPPS),
    (M::Dppd, &DPPD),
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
