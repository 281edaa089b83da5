//! Multiplication and division: MUL and IMUL (one-, two- and three-operand
//! forms) as inline IR with `Mul` lazy flags; DIV and IDIV of 32 and 64
//! bits inline (`divu2`, `divs2`) where the dividend is the extension of
//! rAX and the divisor cannot raise #DE, as compilers' code divides, and
//! otherwise, and at 8 and 16 bits, through helpers that raise #DE, with
//! the remainder recovered inline.

use super::{Cx, Outcome};
use crate::cc::CcKind;
use crate::helpers::muldiv::{DIV, IDIV};
use iced_x86::{Mnemonic, Register};
use ox86_ir::{Op, Opcode, Temp};

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.mnemonic() {
        Mnemonic::Mul => mul_acc(cx, false),
        Mnemonic::Imul if cx.insn.op_count() == 1 => mul_acc(cx, true),
        Mnemonic::Imul => imul_truncating(cx),
        Mnemonic::Div => div(cx, false),
        Mnemonic::Idiv => div(cx, true),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// The accumulator (AL/AX/EAX/RAX) and its high partner (AH/DX/EDX/RDX)
/// for an operand of `size` bytes.
fn acc_regs(size: u32) -> (Register, Register) {
    match size {
        1 => (Register::AL, Register::AH),
        2 => (Register::AX, Register::DX),
        4 => (Register::EAX, Register::EDX),
        _ => (Register::RAX, Register::RDX),
    }
}

/// The full 128-bit product of two 64-bit temps as (low, high).
pub(super) fn mul2(cx: &mut Cx, signed: bool, a: Temp, b: Temp) -> (Temp, Temp) {
    pair_op(cx, if signed { Opcode::Muls2 } else { Opcode::Mulu2 }, a, b)
}

/// An op of two inputs and two outputs (`mulu2`, `divs2`, ...): its
/// outputs.
fn pair_op(cx: &mut Cx, opc: Opcode, a: Temp, b: Temp) -> (Temp, Temp) {
    let (x, y) = (cx.b.temp(), cx.b.temp());
    let mut op = Op::new(opc);
    op.outs = [x, y];
    op.ins[0] = a;
    op.ins[1] = b;
    cx.b.push(op);
    (x, y)
}

/// The product of two `size`-byte operands: (low half, high half, and a
/// value that is nonzero exactly when the high half is significant, which
/// is when MUL/IMUL set CF and OF).
fn product(cx: &mut Cx, signed: bool, size: u32, a: Temp, b: Temp) -> (Temp, Temp, Temp) {
    if size == 8 {
        let (lo, hi) = mul2(cx, signed, a, b);
        let over = if signed {
            let sign = cx.b.sari(lo, 63);
            cx.b.sub(hi, sign)
        } else {
            hi
        };
        return (lo, hi, over);
    }
    // Both factors fit in 32 bits, so the 64-bit product is exact.
    let (a, b) = if signed {
        (cx.sext(size, a), cx.sext(size, b))
    } else {
        (a, b)
    };
    let p = cx.b.binop(Opcode::Mul, a, b);
    let lo = cx.zext(size, p);
    let bits = size as u64 * 8;
    let (hi, over) = if signed {
        let h = cx.b.sari(p, bits);
        let s = cx.sext(size, p);
        (cx.zext(size, h), cx.b.sub(p, s))
    } else {
        let h = cx.b.shri(p, bits);
        (h, h)
    };
    (lo, hi, over)
}

/// MUL r/m and one-operand IMUL r/m: rDX:rAX (AX for bytes) = rAX * r/m.
fn mul_acc(cx: &mut Cx, signed: bool) {
    let size = cx.op_size(0);
    let mut addr = None;
    let v = cx.read_op(0, size, &mut addr);
    let (acc, high) = acc_regs(size);
    let a = cx.read_reg(acc);
    let (lo, hi, over) = product(cx, signed, size, a, v);
    if size == 1 {
        let h = cx.b.shli(hi, 8);
        let ax = cx.b.or(lo, h);
        cx.write_reg(Register::AX, ax);
    } else {
        cx.write_reg(acc, lo);
        cx.write_reg(high, hi);
    }
    cx.set_cc(CcKind::Mul, size, lo, over, None);
}

/// IMUL r, r/m and IMUL r, r/m, imm: the product truncated to the
/// destination; CF = OF = 1 when truncation changed its signed value.
fn imul_truncating(cx: &mut Cx) {
    let size = cx.op_size(0);
    let (ia, ib) = if cx.insn.op_count() == 2 {
        (0, 1)
    } else {
        (1, 2)
    };
    let mut addr = None;
    let a = cx.read_op(ia, size, &mut addr);
    let b = cx.read_op(ib, size, &mut addr);
    if size == 8 {
        let (lo, _, over) = product(cx, true, size, a, b);
        cx.write_op(0, size, lo, &mut addr);
        cx.set_cc(CcKind::Mul, size, lo, over, None);
        return;
    }
    // The 64-bit product of the sign-extended factors is exact; the flags
    // compare it with the result when they are read.
    let (a, b) = (cx.sext(size, a), cx.sext(size, b));
    let p = cx.b.binop(Opcode::Mul, a, b);
    let lo = cx.zext(size, p);
    cx.write_op(0, size, lo, &mut addr);
    cx.set_cc(CcKind::Imul, size, lo, p, None);
}

/// DIV r/m, IDIV r/m: rAX (AL) = quotient, rDX (AH) = remainder of
/// rDX:rAX (AX) / r/m. The helper checks for #DE and returns the
/// quotient; the remainder is the low half of dividend - quotient * divisor.
/// Flags are undefined and left as they were.
fn div(cx: &mut Cx, signed: bool) {
    let size = cx.op_size(0);
    let mut addr = None;
    let v = cx.read_op(0, size, &mut addr);
    let (acc, high) = acc_regs(size);
    let lo = cx.read_reg(acc);
    let hi = cx.read_reg(high);
    let done = (size >= 4).then(|| div_inline(cx, signed, size, v, lo, hi));
    let sz = cx.b.movi(size as u64);
    let h = if signed { &IDIV } else { &DIV };
    let q = cx.call(h, &[hi, lo, v, sz]);
    let qv = cx.b.binop(Opcode::Mul, q, v);
    let rem = cx.b.sub(lo, qv);
    let rem = cx.zext(size, rem);
    if size == 1 {
        let r = cx.b.shli(rem, 8);
        let ax = cx.b.or(q, r);
        cx.write_reg(Register::AX, ax);
    } else {
        cx.write_reg(acc, q);
        cx.write_reg(high, rem);
    }
    if let Some(done) = done {
        cx.b.set_label(done);
    }
}

/// The inline path of a DIV or IDIV of `size` (4 or 8) bytes: where rDX
/// extends rAX (zero for DIV, the sign for IDIV; what compilers emit) and
/// the divisor is not 0 (nor -1, for IDIV: the one quotient of such a
/// dividend that may not fit), the host divides the 64-bit extension of
/// rAX and writes rAX and rDX, then jumps to the label returned (to be set
/// after the helper path, which the other cases fall through to).
fn div_inline(cx: &mut Cx, signed: bool, size: u32, v: Temp, lo: Temp, hi: Temp) -> ox86_ir::Label {
    use ox86_ir::Cond;
    let (acc, high) = acc_regs(size);
    let slow = cx.b.label();
    let done = cx.b.label();
    let (a, d) = if signed {
        let (a, d) = (cx.sext(size, lo), cx.sext(size, v));
        let ext = cx.b.sari(a, 63);
        let h = cx.sext(size, hi);
        cx.b.brcond(Cond::Ne, h, ext, slow);
        // d + 1 > 1 (unsigned): d is neither 0 nor -1.
        let d1 = cx.b.addi(d, 1);
        let one = cx.b.movi(1);
        cx.b.brcond(Cond::Leu, d1, one, slow);
        (a, d)
    } else {
        let (a, d) = (cx.zext(size, lo), cx.zext(size, v));
        let h = cx.zext(size, hi);
        let zero = cx.b.movi(0);
        cx.b.brcond(Cond::Ne, h, zero, slow);
        cx.b.brcond(Cond::Eq, d, zero, slow);
        (a, d)
    };
    let (q, r) = pair_op(cx, if signed { Opcode::Divs2 } else { Opcode::Divu2 }, a, d);
    let (q, r) = (cx.zext(size, q), cx.zext(size, r));
    cx.write_reg(acc, q);
    cx.write_reg(high, r);
    cx.b.br(done);
    cx.b.set_label(slow);
    done
}
