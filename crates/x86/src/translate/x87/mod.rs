//! The x87 FPU front end: each instruction becomes guest memory accesses in
//! IR around calls to the x87 helpers (`helpers/x87`), which run it on the
//! host FPU against the guest's x87 state. Sub-families have their own files.

mod arith;
mod compare;
mod control;
mod transfer;

use super::{Cx, Outcome};
use crate::helpers::x87::transfer::FPOP;
use crate::helpers::HelperInfo;
use iced_x86::{OpKind, Register};
use ox86_ir::Temp;

pub fn translate(cx: &mut Cx) -> Outcome {
    for part in [
        arith::translate,
        transfer::translate,
        compare::translate,
        control::translate,
    ] {
        if part(cx) == Outcome::Done {
            return Outcome::Done;
        }
    }
    Outcome::NotMine
}

/// The i of the instruction's ST(i) operand: in two-operand forms one
/// operand is ST(0), so i is the other one's number.
fn st_index(cx: &Cx) -> u64 {
    (0..cx.insn.op_count())
        .filter(|&k| cx.insn.op_kind(k) == OpKind::Register)
        .map(|k| cx.insn.op_register(k))
        .filter(|r| (Register::ST0..=Register::ST7).contains(r))
        .fold(0, |i, r| i | (r as u64 - Register::ST0 as u64))
}

/// Calls `h()`.
fn plain(cx: &mut Cx, h: &'static HelperInfo) {
    cx.call(h, &[]);
}

/// Calls `h(i)` for the ST(i) operand.
fn sti(cx: &mut Cx, h: &'static HelperInfo) {
    let i = cx.b.movi(st_index(cx));
    cx.call(h, &[i]);
}

/// Loads the memory operand (2, 4, 8 or 10 bytes) as (low quadword, high
/// quadword) at address `a`.
fn load_mem(cx: &mut Cx, a: Temp) -> (Temp, Option<Temp>) {
    match cx.insn.memory_size().size() {
        10 => {
            let lo = cx.load(8, a);
            let a8 = cx.b.addi(a, 8);
            let hi = cx.load(2, a8);
            (lo, Some(hi))
        }
        size => (cx.load(size as u32, a), None),
    }
}

/// A memory source: loads it and calls `h(lo[, hi])`.
fn load(cx: &mut Cx, h: &'static HelperInfo) {
    let a = cx.ea();
    let (lo, hi) = load_mem(cx, a);
    match hi {
        Some(hi) => cx.call(h, &[lo, hi]),
        None => cx.call(h, &[lo]),
    };
}

/// A store to memory: the old bytes are read (an instruction whose unmasked
/// exception suppresses the store hands them back), `lo` (and for 10-byte
/// operands `hi`) compute the bytes to write, the memory is written, and
/// only then do the popping forms pop.
fn store(cx: &mut Cx, lo_h: &'static HelperInfo, hi_h: Option<&'static HelperInfo>, pop: bool) {
    let a = cx.ea();
    let (old_lo, old_hi) = load_mem(cx, a);
    match (old_hi, hi_h) {
        (Some(old_hi), Some(hi_h)) => {
            let lo = cx.call(lo_h, &[old_lo, old_hi]);
            let hi = cx.call(hi_h, &[old_lo, old_hi]);
            cx.store(8, lo, a);
            let a8 = cx.b.addi(a, 8);
            cx.store(2, hi, a8);
        }
        _ => {
            let v = cx.call(lo_h, &[old_lo]);
            let size = cx.insn.memory_size().size() as u32;
            cx.store(size, v, a);
        }
    }
    if pop {
        cx.call(&FPOP, &[]);
    }
}
