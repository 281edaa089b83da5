//! Two- and one-operand integer arithmetic and logic: ADD ADC SUB SBB AND
//! OR XOR CMP TEST INC DEC NEG NOT, each leaving its lazy flags.

use super::{Cx, Outcome};
use crate::cc::CcKind;
use iced_x86::Mnemonic;
use ox86_ir::{Cond, Opcode};

pub fn translate(cx: &mut Cx) -> Outcome {
    let m = cx.insn.mnemonic();
    match m {
        Mnemonic::Add
        | Mnemonic::Adc
        | Mnemonic::Sub
        | Mnemonic::Sbb
        | Mnemonic::And
        | Mnemonic::Or
        | Mnemonic::Xor
        | Mnemonic::Cmp
        | Mnemonic::Test => binary(cx, m),
        Mnemonic::Inc | Mnemonic::Dec | Mnemonic::Neg | Mnemonic::Not => unary(cx, m),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

fn binary(cx: &mut Cx, m: Mnemonic) {
    let size = cx.op_size(0);
    let mut addr = None;
    // xor r, r / sub r, r: the result is 0 whatever the register held.
    let same_reg = cx.insn.op_count() == 2
        && !cx.is_mem(0)
        && !cx.is_mem(1)
        && cx.insn.op0_kind() == iced_x86::OpKind::Register
        && cx.insn.op1_kind() == iced_x86::OpKind::Register
        && cx.insn.op0_register() == cx.insn.op1_register();
    if same_reg && matches!(m, Mnemonic::Xor | Mnemonic::Sub) {
        let zero = cx.b.movi(0);
        cx.write_op(0, size, zero, &mut addr);
        let kind = if m == Mnemonic::Xor {
            CcKind::Logic
        } else {
            CcKind::Sub
        };
        cx.set_cc(kind, size, zero, zero, None);
        return;
    }
    let a = cx.read_op(0, size, &mut addr);
    // The same register twice is read once (`test eax, eax` is then an
    // `and` of one value with itself, which folds).
    let b = if same_reg {
        a
    } else {
        cx.read_op(1, size, &mut addr)
    };
    // A 64-bit register read is the register itself: keep the source's
    // value for the flags when the destination write replaces it.
    let b = if same_reg && size == 8 && matches!(m, Mnemonic::Add | Mnemonic::Adc | Mnemonic::Sbb) {
        cx.b.mov(b)
    } else {
        b
    };
    let (r, kind, carry) = match m {
        Mnemonic::Add => (cx.b.add(a, b), CcKind::Add, None),
        Mnemonic::Sub | Mnemonic::Cmp => (cx.b.sub(a, b), CcKind::Sub, None),
        Mnemonic::Adc => {
            let c = cx.compute_cf();
            let c = cx.b.unop(Opcode::Ext8u, c);
            let s = cx.b.add(a, b);
            (cx.b.add(s, c), CcKind::Adc, Some(c))
        }
        Mnemonic::Sbb => {
            let c = cx.compute_cf();
            let c = cx.b.unop(Opcode::Ext8u, c);
            let s = cx.b.sub(a, b);
            (cx.b.sub(s, c), CcKind::Sbb, Some(c))
        }
        Mnemonic::And | Mnemonic::Test => (cx.b.and(a, b), CcKind::Logic, None),
        Mnemonic::Or => (cx.b.or(a, b), CcKind::Logic, None),
        _ => (cx.b.xor(a, b), CcKind::Logic, None),
    };
    let r = cx.zext(size, r);
    if !matches!(m, Mnemonic::Cmp | Mnemonic::Test) {
        cx.write_op(0, size, r, &mut addr);
    }
    cx.set_cc(kind, size, r, b, carry);
    if kind == CcKind::Sub {
        cx.note_sub_src1(a);
    }
}

fn unary(cx: &mut Cx, m: Mnemonic) {
    let size = cx.op_size(0);
    let mut addr = None;
    let a = cx.read_op(0, size, &mut addr);
    match m {
        Mnemonic::Not => {
            let r = cx.b.unop(Opcode::Not, a);
            let r = cx.zext(size, r);
            cx.write_op(0, size, r, &mut addr);
        }
        Mnemonic::Neg => {
            // A copy: the write below may replace a 64-bit register operand.
            let a = if cx.b.is_global(a) { cx.b.mov(a) } else { a };
            let r = cx.b.unop(Opcode::Neg, a);
            let r = cx.zext(size, r);
            cx.write_op(0, size, r, &mut addr);
            // NEG is 0 - src: a SUB with first operand 0.
            cx.set_cc(CcKind::Sub, size, r, a, None);
            let zero = cx.b.movi(0);
            cx.note_sub_src1(zero);
        }
        _ => {
            let cf = cx.compute_cf();
            let one = cx.b.movi(1);
            let (r, kind) = if m == Mnemonic::Inc {
                (cx.b.add(a, one), CcKind::Inc)
            } else {
                (cx.b.sub(a, one), CcKind::Dec)
            };
            let r = cx.zext(size, r);
            cx.write_op(0, size, r, &mut addr);
            let zero = cx.b.movi(0);
            let cf = cx.b.setcond(Cond::Ne, cf, zero);
            cx.set_cc(kind, size, r, cf, None);
        }
    }
}
