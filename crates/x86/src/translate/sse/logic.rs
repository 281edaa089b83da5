//! Bitwise logic as IR on both quadwords: PAND/PANDN/POR/PXOR and the
//! ANDPS/ANDPD/ANDNPS/ANDNPD/ORPS/ORPD/XORPS/XORPD forms; PTEST (SSE4.1).

use super::{read_src, read_xmm, write_xmm, xmm_of, Xmm};
use crate::cpu::eflags::ZF;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic;
use ox86_ir::{Cond, Opcode, Temp};

pub fn translate(cx: &mut Cx) -> Outcome {
    let op = match cx.insn.mnemonic() {
        Mnemonic::Pand | Mnemonic::Andps | Mnemonic::Andpd => Opcode::And,
        Mnemonic::Por | Mnemonic::Orps | Mnemonic::Orpd => Opcode::Or,
        Mnemonic::Pxor | Mnemonic::Xorps | Mnemonic::Xorpd => Opcode::Xor,
        // ANDN: (NOT destination) AND source.
        Mnemonic::Pandn | Mnemonic::Andnps | Mnemonic::Andnpd => Opcode::Not,
        Mnemonic::Ptest => {
            ptest(cx);
            return Outcome::Done;
        }
        _ => return Outcome::NotMine,
    };
    let d = xmm_of(cx, 0);
    let s = read_src(cx, 1, false);
    let a = read_xmm(cx, d);
    let mut half = |x: Temp, y: Temp| match op {
        Opcode::Not => {
            let nx = cx.b.unop(Opcode::Not, x);
            cx.b.and(nx, y)
        }
        _ => cx.b.binop(op, x, y),
    };
    let lo = half(a.lo, s.lo);
    let hi = half(a.hi, s.hi);
    write_xmm(cx, d, Xmm { lo, hi });
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
