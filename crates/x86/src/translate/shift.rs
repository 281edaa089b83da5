//! Shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR SHLD SHRD, with the
//! SDM's count masking (5 bits, 6 for 64-bit operands) and exact flags for
//! every defined bit. A masked count of 0 changes no flag; with a CL count
//! that is decided at run time by `movcond` on the lazy-flags globals.

use super::{Cx, Outcome};
use crate::cc::CcKind;
use crate::cpu::eflags::{AF, CF, OF, PF, SF, ZF};
use crate::cpu::glob;
use iced_x86::{Mnemonic, OpKind, Register};
use ox86_ir::{Cond, Opcode, Temp};

pub fn translate(cx: &mut Cx) -> Outcome {
    let m = cx.insn.mnemonic();
    match m {
        Mnemonic::Shl | Mnemonic::Sal | Mnemonic::Shr | Mnemonic::Sar => shift(cx, m),
        Mnemonic::Rol | Mnemonic::Ror => rotate(cx, m == Mnemonic::Rol),
        Mnemonic::Rcl | Mnemonic::Rcr => rotate_carry(cx, m == Mnemonic::Rcl),
        Mnemonic::Shld | Mnemonic::Shrd => double_shift(cx, m == Mnemonic::Shld),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// A shift count after masking: known at translation time (imm8 or the
/// implicit 1) or held in a temp (CL).
#[derive(Clone, Copy)]
enum Count {
    Const(u64),
    Dyn(Temp),
}

/// Reads and masks the count operand `i` for an operand of `size` bytes.
fn count(cx: &mut Cx, i: u32, size: u32) -> Count {
    let mask = if size == 8 { 63 } else { 31 };
    if cx.insn.op_kind(i) == OpKind::Register {
        let cl = cx.read_reg(Register::CL);
        Count::Dyn(cx.b.andi(cl, mask))
    } else {
        Count::Const(cx.insn.immediate(i) & mask)
    }
}

impl Count {
    /// The count as a temp.
    fn temp(self, cx: &mut Cx) -> Temp {
        match self {
            Count::Const(c) => cx.b.movi(c),
            Count::Dyn(t) => t,
        }
    }

    /// `self + k` as a temp (k may be negative, wrapping).
    fn plus(self, cx: &mut Cx, k: i64) -> Temp {
        match self {
            Count::Const(c) => cx.b.movi(c.wrapping_add(k as u64)),
            Count::Dyn(t) => cx.b.addi(t, k as u64),
        }
    }

    /// `w - self` as a temp.
    fn from(self, cx: &mut Cx, w: u64) -> Temp {
        match self {
            Count::Const(c) => cx.b.movi(w.wrapping_sub(c)),
            Count::Dyn(t) => {
                let wt = cx.b.movi(w);
                cx.b.sub(wt, t)
            }
        }
    }
}

/// Keeps the destination's value when the masked count is 0: stores it
/// back unchanged (a 32-bit register write still clears bits 63:32, as
/// the hardware does).
fn write_back(cx: &mut Cx, size: u32, x: Temp, addr: &mut Option<Temp>) {
    cx.write_op(0, size, x, addr);
}

/// `c == 0 ? old : new` for a dynamic count, `new` otherwise.
fn unless_zero(cx: &mut Cx, n: Count, old: Temp, new: Temp) -> Temp {
    match n {
        Count::Const(_) => new,
        Count::Dyn(t) => {
            let zero = cx.b.movi(0);
            cx.b.movcond(Cond::Eq, t, zero, old, new)
        }
    }
}

/// Records shift flags (`kind`: `Shl` or `Sar`), leaving the lazy state
/// as it was when a dynamic count is 0.
fn set_shift_cc(cx: &mut Cx, n: Count, kind: CcKind, size: u32, dst: Temp, src: Temp) {
    match n {
        Count::Const(_) => cx.set_cc(kind, size, dst, src, None),
        Count::Dyn(t) => {
            let op = cx.b.movi(kind.op(size));
            let zero = cx.b.movi(0);
            for (g, new) in [(glob::CC_DST, dst), (glob::CC_SRC, src), (glob::CC_OP, op)] {
                let gt = cx.g(g);
                let v = cx.b.movcond(Cond::Eq, t, zero, gt, new);
                cx.b.mov_to(gt, v);
            }
            cx.cc_known = None;
        }
    }
}

/// SHL/SAL, SHR, SAR. `cc_src` is the operand shifted by count-1, whose
/// edge bit is the last bit shifted out (CF).
fn shift(cx: &mut Cx, m: Mnemonic) {
    let size = cx.op_size(0);
    let mut addr = None;
    let x = cx.read_op(0, size, &mut addr);
    let n = count(cx, 1, size);
    if let Count::Const(0) = n {
        return write_back(cx, size, x, &mut addr);
    }
    let nt = n.temp(cx);
    let n1 = n.plus(cx, -1);
    let (opc, v, kind) = match m {
        Mnemonic::Shr => (Opcode::Shr, x, CcKind::Sar),
        Mnemonic::Sar => (Opcode::Sar, cx.sext(size, x), CcKind::Sar),
        _ => (Opcode::Shl, x, CcKind::Shl),
    };
    let r = cx.b.binop(opc, v, nt);
    let r = cx.zext(size, r);
    let pre = cx.b.binop(opc, v, n1);
    cx.write_op(0, size, r, &mut addr);
    set_shift_cc(cx, n, kind, size, r, pre);
}

/// Replaces CF and OF (each given as 0/1) in the flags value `all`.
fn with_cf_of(cx: &mut Cx, all: Temp, cf: Temp, of: Temp) -> Temp {
    let keep = cx.b.andi(all, !(CF | OF));
    let of = cx.b.shli(of, OF.trailing_zeros() as u64);
    let k = cx.b.or(keep, cf);
    cx.b.or(k, of)
}

/// Bit `i` of `t` as 0/1.
fn bit(cx: &mut Cx, t: Temp, i: u32) -> Temp {
    let s = cx.b.shri(t, i as u64);
    cx.b.andi(s, 1)
}

/// ROL, ROR: only CF and OF change (CF = the bit rotated into the other
/// end; OF, defined for a count of 1, from the result's two top bits).
fn rotate(cx: &mut Cx, left: bool) {
    let size = cx.op_size(0);
    let w = size * 8;
    let mut addr = None;
    let x = cx.read_op(0, size, &mut addr);
    let n = count(cx, 1, size);
    if let Count::Const(0) = n {
        return write_back(cx, size, x, &mut addr);
    }
    // 8- and 16-bit rotates go round modulo the width; the flags still
    // change for any nonzero masked count.
    let r = match n {
        Count::Const(c) => Count::Const(c & (w as u64 - 1)),
        Count::Dyn(t) => Count::Dyn(cx.b.andi(t, w as u64 - 1)),
    };
    let rt = r.temp(cx);
    let res = if w == 64 {
        let opc = if left { Opcode::Rotl } else { Opcode::Rotr };
        cx.b.binop(opc, x, rt)
    } else {
        let back = r.from(cx, w as u64);
        let (o1, o2) = if left {
            (Opcode::Shl, Opcode::Shr)
        } else {
            (Opcode::Shr, Opcode::Shl)
        };
        let a = cx.b.binop(o1, x, rt);
        let b = cx.b.binop(o2, x, back);
        let v = cx.b.or(a, b);
        cx.zext(size, v)
    };
    cx.write_op(0, size, res, &mut addr);
    // A constant count replaces CF and OF for sure: only the others are
    // carried over.
    let all = match n {
        Count::Const(_) => cx.compute_flags(PF | AF | ZF | SF),
        Count::Dyn(_) => cx.compute_all(),
    };
    let msb = bit(cx, res, w - 1);
    let (cf, of) = if left {
        let cf = cx.b.andi(res, 1);
        (cf, cx.b.xor(msb, cf))
    } else {
        let next = bit(cx, res, w - 2);
        (msb, cx.b.xor(msb, next))
    };
    let new = with_cf_of(cx, all, cf, of);
    let new = unless_zero(cx, n, all, new);
    cx.set_cc_eflags(new);
}

/// RCL, RCR: a rotate through CF of a (width + 1)-bit value. The count is
/// taken modulo 9 (8-bit) or 17 (16-bit) after masking; if that leaves 0,
/// nothing changes.
fn rotate_carry(cx: &mut Cx, left: bool) {
    let size = cx.op_size(0);
    let w = size * 8;
    let mut addr = None;
    let x = cx.read_op(0, size, &mut addr);
    let n = match count(cx, 1, size) {
        Count::Const(c) if w < 32 => Count::Const(c % (w as u64 + 1)),
        Count::Dyn(t) if w < 32 => {
            // t < 32: subtract w + 1 as often as it fits (at most 3 times).
            let m = cx.b.movi(w as u64 + 1);
            let mut v = t;
            for _ in 0..(31 / (w + 1)) {
                let ge = cx.b.setcond(Cond::Geu, v, m);
                let d = cx.b.binop(Opcode::Mul, ge, m);
                v = cx.b.sub(v, d);
            }
            Count::Dyn(v)
        }
        c => c,
    };
    if let Count::Const(0) = n {
        return write_back(cx, size, x, &mut addr);
    }
    let all = cx.compute_all();
    let cf = cx.b.andi(all, CF);
    let n1 = n.plus(cx, -1);
    let wn = n.from(cx, w as u64);
    let nt = n.temp(cx);
    // Valid for 1 <= n <= w; shifts by w - n + 1 are split in two so that
    // none reaches 64.
    let (res, new_cf) = if left {
        let hi = cx.b.binop(Opcode::Shr, x, wn);
        let new_cf = cx.b.andi(hi, 1);
        let a = cx.b.binop(Opcode::Shl, x, nt);
        let c = cx.b.binop(Opcode::Shl, cf, n1);
        let h = cx.b.shri(hi, 1);
        let v = cx.b.or(a, c);
        (cx.b.or(v, h), new_cf)
    } else {
        let lo = cx.b.binop(Opcode::Shr, x, n1);
        let new_cf = cx.b.andi(lo, 1);
        let a = cx.b.binop(Opcode::Shr, x, nt);
        let c = cx.b.binop(Opcode::Shl, cf, wn);
        let l = cx.b.binop(Opcode::Shl, x, wn);
        let l = cx.b.shli(l, 1);
        let v = cx.b.or(a, c);
        (cx.b.or(v, l), new_cf)
    };
    let res = cx.zext(size, res);
    let res = unless_zero(cx, n, x, res);
    cx.write_op(0, size, res, &mut addr);
    let msb = bit(cx, res, w - 1);
    let of = if left {
        cx.b.xor(msb, new_cf)
    } else {
        let next = bit(cx, res, w - 2);
        cx.b.xor(msb, next)
    };
    let new = with_cf_of(cx, all, new_cf, of);
    let new = unless_zero(cx, n, all, new);
    cx.set_cc_eflags(new);
}

/// SHLD, SHRD: the destination shifted with bits filled in from the
/// source register. Flags as for SHL/SHR of the destination.
fn double_shift(cx: &mut Cx, left: bool) {
    let size = cx.op_size(0);
    let w = size * 8;
    let mut addr = None;
    let x = cx.read_op(0, size, &mut addr);
    let y = cx.read_op(1, size, &mut addr);
    let n = count(cx, 2, size);
    if let Count::Const(0) = n {
        return write_back(cx, size, x, &mut addr);
    }
    let nt = n.temp(cx);
    let n1 = n.plus(cx, -1);
    let wn = n.from(cx, w as u64);
    let (o1, o2, kind) = if left {
        (Opcode::Shl, Opcode::Shr, CcKind::Shl)
    } else {
        (Opcode::Shr, Opcode::Shl, CcKind::Sar)
    };
    let a = cx.b.binop(o1, x, nt);
    let b = cx.b.binop(o2, y, wn);
    let r = cx.b.or(a, b);
    let r = cx.zext(size, r);
    // A dynamic count of 0 would shift y by the full width.
    let r = unless_zero(cx, n, x, r);
    let pre = cx.b.binop(o1, x, n1);
    cx.write_op(0, size, r, &mut addr);
    set_shift_cc(cx, n, kind, size, r, pre);
}
