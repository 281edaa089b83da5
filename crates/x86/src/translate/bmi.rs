//! BMI1 (ANDN, BEXTR, BLSI, BLSMSK, BLSR; TZCNT is in `bits.rs`) and BMI2
//! (BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX), VEX-encoded
//! general-register instructions, as IR except PDEP/PEXT (helpers). Flags
//! are exact where the SDM defines them; AF and PF, undefined, are left
//! clear. MULX, PDEP, PEXT, RORX and the shifts leave the flags alone.

use super::muldiv::mul2;
use super::{Cx, Outcome};
use crate::cc::CcKind;
use crate::cpu::eflags::{SF, ZF};
use crate::helpers::bmi::{PDEP, PEXT};
use iced_x86::{Mnemonic, Register};
use ox86_ir::{Cond, Opcode, Temp};

pub fn translate(cx: &mut Cx) -> Outcome {
    let m = cx.insn.mnemonic();
    match m {
        Mnemonic::Andn => andn(cx),
        Mnemonic::Bextr => bextr(cx),
        Mnemonic::Blsi | Mnemonic::Blsmsk | Mnemonic::Blsr => lowest_bit(cx, m),
        Mnemonic::Bzhi => bzhi(cx),
        Mnemonic::Mulx => mulx(cx),
        Mnemonic::Pdep | Mnemonic::Pext => {
            let (src, mask) = sources(cx);
            let h = if m == Mnemonic::Pdep { &PDEP } else { &PEXT };
            let r = cx.call_pure(h, &[src, mask]);
            cx.write_reg(cx.insn.op0_register(), r);
        }
        Mnemonic::Rorx => rorx(cx),
        Mnemonic::Sarx | Mnemonic::Shlx | Mnemonic::Shrx => shift(cx, m),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// Operand size in bytes (4 or 8) and its width in bits.
fn width(cx: &Cx) -> (u32, u64) {
    let size = cx.op_size(0);
    (size, size as u64 * 8)
}

/// Operands 1 and 2, zero-extended (either may be memory).
fn sources(cx: &mut Cx) -> (Temp, Temp) {
    let size = cx.op_size(0);
    let mut addr = None;
    let a = cx.read_op(1, size, &mut addr);
    let b = cx.read_op(2, size, &mut addr);
    (a, b)
}

/// Flags with ZF and SF from the `size`-byte result `r`, CF from `cf`
/// (0/1), OF clear.
fn zf_sf_cf(cx: &mut Cx, size: u32, r: Temp, cf: Temp) -> Temp {
    let zero = cx.b.movi(0);
    let z = cx.b.setcond(Cond::Eq, r, zero);
    let z = cx.b.shli(z, ZF.trailing_zeros() as u64);
    let s = cx.b.shri(r, size as u64 * 8 - 1);
    let s = cx.b.andi(s, 1);
    let s = cx.b.shli(s, SF.trailing_zeros() as u64);
    let zs = cx.b.or(z, s);
    cx.b.or(zs, cf)
}

/// ANDN: (NOT src1) AND src2; SF, ZF from the result, CF and OF clear.
fn andn(cx: &mut Cx) {
    let (size, _) = width(cx);
    let (a, b) = sources(cx);
    let na = cx.b.unop(Opcode::Not, a);
    let r = cx.b.and(na, b);
    let r = cx.zext(size, r);
    cx.write_reg(cx.insn.op0_register(), r);
    let zero = cx.b.movi(0);
    cx.set_cc(CcKind::Logic, size, r, zero, None);
}

/// BEXTR: LEN bits of the source from bit START (control bits 15:8 and
/// 7:0), zero past the operand; ZF from the result, CF and OF clear.
fn bextr(cx: &mut Cx) {
    let (size, w) = width(cx);
    let (src, ctl) = sources(cx);
    let start = cx.b.andi(ctl, 0xff);
    let len = cx.b.shri(ctl, 8);
    let len = cx.b.andi(len, 0xff);
    let zero = cx.b.movi(0);
    let w_t = cx.b.movi(w);
    let shifted = cx.b.binop(Opcode::Shr, src, start);
    let shifted = cx.b.movcond(Cond::Ltu, start, w_t, shifted, zero);
    let one = cx.b.movi(1);
    let bit = cx.b.binop(Opcode::Shl, one, len);
    let low = cx.b.addi(bit, u64::MAX);
    let all = cx.b.movi(u64::MAX);
    let sixty_four = cx.b.movi(64);
    let mask = cx.b.movcond(Cond::Ltu, len, sixty_four, low, all);
    let r = cx.b.and(shifted, mask);
    cx.write_reg(cx.insn.op0_register(), r);
    cx.set_cc(CcKind::Logic, size, r, zero, None);
}

/// BLSI (src AND -src; CF = src != 0), BLSMSK (src XOR (src - 1); CF =
/// src == 0) and BLSR (src AND (src - 1); CF = src == 0); SF and ZF from
/// the result, OF clear.
fn lowest_bit(cx: &mut Cx, m: Mnemonic) {
    let (size, _) = width(cx);
    let mut addr = None;
    let src = cx.read_op(1, size, &mut addr);
    let r = match m {
        Mnemonic::Blsi => {
            let neg = cx.b.unop(Opcode::Neg, src);
            cx.b.and(src, neg)
        }
        _ => {
            let less = cx.b.addi(src, u64::MAX);
            if m == Mnemonic::Blsmsk {
                cx.b.xor(src, less)
            } else {
                cx.b.and(src, less)
            }
        }
    };
    let r = cx.zext(size, r);
    let zero = cx.b.movi(0);
    let cond = if m == Mnemonic::Blsi {
        Cond::Ne
    } else {
        Cond::Eq
    };
    let cf = cx.b.setcond(cond, src, zero);
    let flags = zf_sf_cf(cx, size, r, cf);
    cx.write_reg(cx.insn.op0_register(), r);
    cx.set_cc_eflags(flags);
}

/// BZHI: the source with bits from index N (bits 7:0 of operand 2) up
/// cleared; N past the operand keeps it all and sets CF. SF and ZF from
/// the result, OF clear.
fn bzhi(cx: &mut Cx) {
    let (size, w) = width(cx);
    let (src, idx) = sources(cx);
    let n = cx.b.andi(idx, 0xff);
    let w_t = cx.b.movi(w);
    let one = cx.b.movi(1);
    let bit = cx.b.binop(Opcode::Shl, one, n);
    let low = cx.b.addi(bit, u64::MAX);
    let masked = cx.b.and(src, low);
    let r = cx.b.movcond(Cond::Ltu, n, w_t, masked, src);
    let cf = cx.b.setcond(Cond::Geu, n, w_t);
    let flags = zf_sf_cf(cx, size, r, cf);
    cx.write_reg(cx.insn.op0_register(), r);
    cx.set_cc_eflags(flags);
}

/// MULX: unsigned rDX * source; the low half to operand 1, then the high
/// half to operand 0 (which wins when both name one register).
fn mulx(cx: &mut Cx) {
    let (size, _) = width(cx);
    let mut addr = None;
    let src = cx.read_op(2, size, &mut addr);
    let rdx = if size == 8 {
        Register::RDX
    } else {
        Register::EDX
    };
    let d = cx.read_reg(rdx);
    let (lo, hi) = if size == 8 {
        mul2(cx, false, d, src)
    } else {
        let p = cx.b.binop(Opcode::Mul, d, src);
        let hi = cx.b.shri(p, 32);
        (p, hi)
    };
    cx.write_reg(cx.insn.op1_register(), lo);
    cx.write_reg(cx.insn.op0_register(), hi);
}

/// RORX: rotate right by an immediate (masked to the operand width).
fn rorx(cx: &mut Cx) {
    let (size, w) = width(cx);
    let mut addr = None;
    let src = cx.read_op(1, size, &mut addr);
    let c = cx.insn.immediate(2) & (w - 1);
    let r = if size == 8 {
        let ct = cx.b.movi(c);
        cx.b.binop(Opcode::Rotr, src, ct)
    } else if c == 0 {
        src
    } else {
        let right = cx.b.shri(src, c);
        let left = cx.b.shli(src, w - c);
        let r = cx.b.or(right, left);
        cx.zext(4, r)
    };
    cx.write_reg(cx.insn.op0_register(), r);
}

/// SARX, SHLX, SHRX: shifts by operand 2 masked to the operand width.
fn shift(cx: &mut Cx, m: Mnemonic) {
    let (size, w) = width(cx);
    let (src, count) = sources(cx);
    let c = cx.b.andi(count, w - 1);
    let r = match m {
        Mnemonic::Shlx => cx.b.binop(Opcode::Shl, src, c),
        Mnemonic::Shrx => cx.b.binop(Opcode::Shr, src, c),
        _ => {
            let s = cx.sext(size, src);
            cx.b.binop(Opcode::Sar, s, c)
        }
    };
    cx.write_reg(cx.insn.op0_register(), r);
}
