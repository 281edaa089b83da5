//! The stack: PUSH POP PUSHF POPF ENTER LEAVE, and the push/pop
//! primitives CALL and RET share. Stores happen before RSP moves, so a
//! faulting push leaves RSP as it was.

use super::{Cx, Outcome};
use crate::cpu::eflags;
use crate::cpu::reg::{RBP, RSP};
use iced_x86::{Code, Mnemonic, Register};
use ox86_ir::Temp;

impl Cx {
    /// Pushes the low `size` bytes of `v`.
    pub fn push(&mut self, size: u32, v: Temp) {
        let rsp = self.g(RSP);
        let sz = self.b.movi(size as u64);
        let n = self.b.sub(rsp, sz);
        self.store(size, v, n);
        self.b.mov_to(rsp, n);
    }

    /// Pops `size` bytes (zero-extended).
    pub fn pop(&mut self, size: u32) -> Temp {
        let rsp = self.g(RSP);
        let v = self.load(size, rsp);
        let n = self.b.addi(rsp, size as u64);
        self.b.mov_to(rsp, n);
        v
    }
}

pub fn translate(cx: &mut Cx) -> Outcome {
    let insn = cx.insn;
    let mut addr = None;
    match insn.mnemonic() {
        Mnemonic::Push if !cx.uses_special_register() => {
            // Immediates arrive sign-extended to the stack width.
            let size = insn.stack_pointer_increment().unsigned_abs();
            let v = cx.read_op(0, size, &mut addr);
            cx.push(size, v);
        }
        Mnemonic::Pop if !cx.uses_special_register() => {
            let size = cx.op_size(0);
            let rsp = cx.g(RSP);
            let v = cx.load(size, rsp);
            let n = cx.b.addi(rsp, size as u64);
            if cx.is_mem(0) {
                // POP [rsp+x] computes its address with RSP already
                // incremented, but a faulting store leaves RSP as it was.
                let old = cx.b.mov(rsp);
                cx.b.mov_to(rsp, n);
                let a = cx.ea();
                addr = Some(cx.b.mov(a));
                cx.b.mov_to(rsp, old);
                cx.write_op(0, size, v, &mut addr);
                cx.b.mov_to(rsp, n);
            } else {
                cx.b.mov_to(rsp, n);
                cx.write_op(0, size, v, &mut addr);
            }
        }
        Mnemonic::Pushfq | Mnemonic::Pushf => {
            let size = if insn.mnemonic() == Mnemonic::Pushfq {
                8
            } else {
                2
            };
            let v = rflags(cx);
            cx.push(size, v);
        }
        Mnemonic::Popfq | Mnemonic::Popf => {
            let size = if insn.mnemonic() == Mnemonic::Popfq {
                8
            } else {
                2
            };
            let v = cx.pop(size);
            set_rflags(cx, v, size);
        }
        Mnemonic::Leave => {
            // RSP = RBP, then pop (R)BP: 16-bit LEAVE pops only BP.
            let size = if insn.code() == Code::Leavew { 2 } else { 8 };
            let rbp = cx.g(RBP);
            let v = cx.load(size, rbp);
            let n = cx.b.addi(rbp, size as u64);
            let rsp = cx.g(RSP);
            cx.b.mov_to(rsp, n);
            let bp = if size == 2 {
                Register::BP
            } else {
                Register::RBP
            };
            cx.write_reg(bp, v);
        }
        Mnemonic::Enter => enter(cx),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// ENTER imm16, imm8 (64- or 16-bit operand size), per the SDM's
/// pseudocode. The stores go below RSP through a temp, and RSP and (R)BP
/// change only at the end, so a fault leaves both as they were.
fn enter(cx: &mut Cx) {
    let size: u32 = if cx.insn.code() == Code::Enterw_imm16_imm8 {
        2
    } else {
        8
    };
    let alloc = cx.insn.immediate16() as u64;
    let level = (cx.insn.immediate8_2nd() % 32) as u64;
    let rbp = cx.g(RBP);
    let rsp = cx.g(RSP);
    let old_rbp = cx.b.mov(rbp);
    let mut sp = cx.b.addi(rsp, (size as u64).wrapping_neg());
    cx.store(size, old_rbp, sp);
    let frame = cx.b.mov(sp);
    if level > 0 {
        for i in 1..level {
            let src = cx.b.addi(old_rbp, (i * size as u64).wrapping_neg());
            let v = cx.load(size, src);
            sp = cx.b.addi(sp, (size as u64).wrapping_neg());
            cx.store(size, v, sp);
        }
        sp = cx.b.addi(sp, (size as u64).wrapping_neg());
        cx.store(size, frame, sp);
    }
    let n = cx.b.addi(sp, alloc.wrapping_neg());
    let bp = if size == 2 {
        Register::BP
    } else {
        Register::RBP
    };
    cx.write_reg(bp, frame);
    cx.b.mov_to(rsp, n);
}

/// The full RFLAGS value (arithmetic flags | DF | the rest).
pub(super) fn rflags(cx: &mut Cx) -> Temp {
    let all = cx.compute_all();
    let rest =
        cx.b.ld_env(std::mem::offset_of!(crate::cpu::CpuState, eflags));
    let df = cx.g(crate::cpu::glob::DF);
    // df is +1 or -1: bit 63 set means DF.
    let dfbit = cx.b.shri(df, 63);
    let dfbit = cx.b.shli(dfbit, 10);
    let a = cx.b.or(all, rest);
    cx.b.or(a, dfbit)
}

/// Loads RFLAGS from `v` (user-mode writable bits only: the arithmetic
/// flags, DF, AC and ID; a 16-bit POPF keeps the upper bits).
pub(super) fn set_rflags(cx: &mut Cx, v: Temp, size: u32) {
    let arith = cx.b.andi(v, eflags::ARITH);
    cx.set_cc_eflags(arith);
    let dfbit = cx.b.andi(v, eflags::DF);
    let zero = cx.b.movi(0);
    let one = cx.b.movi(1);
    let minus1 = cx.b.movi(u64::MAX);
    let df = cx.b.movcond(ox86_ir::Cond::Ne, dfbit, zero, minus1, one);
    let gdf = cx.g(crate::cpu::glob::DF);
    cx.b.mov_to(gdf, df);
    // At CPL 3 POPF also writes NT, and the 32/64-bit forms AC and ID.
    let mask = if size == 8 {
        eflags::NT | eflags::AC | eflags::ID
    } else {
        eflags::NT
    };
    let off = std::mem::offset_of!(crate::cpu::CpuState, eflags);
    let old = cx.b.ld_env(off);
    let keep = cx.b.andi(old, !mask);
    let new = cx.b.andi(v, mask);
    let r = cx.b.or(keep, new);
    cx.b.st_env(r, off);
}
