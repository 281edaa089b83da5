//! Bitwise logic: PAND/PANDN/POR/PXOR and the ANDPS/ANDPD/ANDNPS/ANDNPD/
//! ORPS/ORPD/XORPS/XORPD forms by `call_xmm` (which the JIT runs inline,
//! the zeroing idioms without reading the register); PTEST (SSE4.1) as IR
//! on both quadwords.

use super::{call_binary, read_src, read_xmm, xmm_of};
use crate::cpu::eflags::ZF;
use crate::helpers::sse::int::{PAND, PANDN, POR, PXOR};
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic;
use ox86_ir::{Cond, Opcode};

pub fn translate(cx: &mut Cx) -> Outcome {
    let h = match cx.insn.mnemonic() {
        Mnemonic::Pand | Mnemonic::Andps | Mnemonic::Andpd => &PAND,
        Mnemonic::Por | Mnemonic::Orps | Mnemonic::Orpd => &POR,
        Mnemonic::Pxor | Mnemonic::Xorps | Mnemonic::Xorpd => &PXOR,
        Mnemonic::Pandn | Mnemonic::Andnps | Mnemonic::Andnpd => &PANDN,
        Mnemonic::Ptest => {
            ptest(cx);
            return Outcome::Done;
        }
        _ => return Outcome::NotMine,
    };
    call_binary(cx, h);
    Outcome::Done
}

/// PTEST: ZF = (destination AND source) == 0, CF = (NOT destination AND
/// source) == 0; AF, OF, PF, SF cleared.
fn ptest(cx: &mut Cx) {
    let s = read_src(cx, 1, false);
    let a = read_xmm(cx, xmm_of(cx, 0));
    let and_lo = cx.b.and(a.lo, s.lo);
    let and_hi = cx.b.and(a.hi, s.hi);
    let and = cx.b.or(and_lo, and_hi);
    let na_lo = cx.b.unop(Opcode::Not, a.lo);
    let na_hi = cx.b.unop(Opcode::Not, a.hi);
    let andn_lo = cx.b.and(na_lo, s.lo);
    let andn_hi = cx.b.and(na_hi, s.hi);
    let andn = cx.b.or(andn_lo, andn_hi);
    let zero = cx.b.movi(0);
    let z = cx.b.setcond(Cond::Eq, and, zero);
    let c = cx.b.setcond(Cond::Eq, andn, zero);
    let zf = cx.b.shli(z, ZF.trailing_zeros() as u64);
    // CF is bit 0: the 0/1 of `c` is already in place.
    let flags = cx.b.or(zf, c);
    cx.set_cc_eflags(flags);
}
