//! The stack: PUSH POP PUSHF POPF ENTER LEAVE, and the push/pop
//! primitives CALL and RET share. Stores happen before RSP moves, so a
//! faulting push leaves RSP as it was.

use super::{Cx, Outcome};
use crate::cpu::eflags;
use crate::cpu::reg::{RBP, RSP};
use iced_x86::Mnemonic;
use ox86_ir::Temp;

impl Cx {
    /// Pushes the low `size` bytes of `v`.
    pub fn push(&mut self, size: u32, v: Temp) {
        if self.mode.stack_bits != 64 {
            let sp = self.stack_ptr();
            let n = self.stack_add(sp, -(size as i64));
            let a = self.stack_addr(n);
            self.store(size, v, a);
            return self.set_stack_ptr(n);
        }
        let rsp = self.g(RSP);
        let sz = self.b.movi(size as u64);
        let n = self.b.sub(rsp, sz);
        self.store(size, v, n);
        self.b.mov_to(rsp, n);
    }

    /// Pops `size` bytes (zero-extended).
    pub fn pop(&mut self, size: u32) -> Temp {
        let (v, n) = self.pop_peek(size);
        self.set_stack_ptr(n);
        v
    }

    /// Loads `size` bytes from the top of the stack; returns them and the
    /// stack pointer after a pop (not yet written).
    pub fn pop_peek(&mut self, size: u32) -> (Temp, Temp) {
        if self.mode.stack_bits != 64 {
            let sp = self.stack_ptr();
            let a = self.stack_addr(sp);
            let v = self.load(size, a);
            return (v, self.stack_add(sp, size as i64));
        }
        let rsp = self.g(RSP);
        let v = self.load(size, rsp);
        (v, self.b.addi(rsp, size as u64))
    }
}

pub fn translate(cx: &mut Cx) -> Outcome {
    let insn = cx.insn;
    let mut addr = None;
    match insn.mnemonic() {
        Mnemonic::Push => {
            // Immediates arrive sign-extended to the stack width.
            let size = insn.stack_pointer_increment().unsigned_abs();
            let v = cx.read_op(0, size, &mut addr);
            cx.push(size, v);
        }
        Mnemonic::Pop => {
            let size = cx.op_size(0);
            let (v, n) = cx.pop_peek(size);
            // POP [rsp+x] computes its address with RSP already incremented.
            cx.set_stack_ptr(n);
            cx.write_op(0, size, v, &mut addr);
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
        Mnemonic::Leave if cx.mode.stack_bits != 64 || cx.op_size_leave() != 8 => {
            // SP <- BP, then pop BP (operand-size wide).
            let size = cx.op_size_leave();
            let rbp = cx.g(RBP);
            cx.set_stack_ptr(rbp);
            let v = cx.pop(size);
            let r = match size {
                2 => iced_x86::Register::BP,
                4 => iced_x86::Register::EBP,
                _ => iced_x86::Register::RBP,
            };
            cx.write_reg(r, v);
        }
        Mnemonic::Leave => {
            let rbp = cx.g(RBP);
            let v = cx.load(8, rbp);
            let n = cx.b.addi(rbp, 8);
            let rsp = cx.g(RSP);
            cx.b.mov_to(rsp, n);
            cx.b.mov_to(rbp, v);
        }
        Mnemonic::Enter
            if cx.mode.stack_bits != 64 || insn.code() != iced_x86::Code::Enterq_imm16_imm8 =>
        {
            enter_sized(cx)
        }
        Mnemonic::Enter => enter(cx),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

impl Cx {
    /// LEAVE's operand size.
    fn op_size_leave(&self) -> u32 {
        match self.insn.code() {
            iced_x86::Code::Leavew => 2,
            iced_x86::Code::Leaved => 4,
            _ => 8,
        }
    }
}

/// ENTER imm16, imm8 (64-bit operand size), per the SDM's pseudocode.
fn enter(cx: &mut Cx) {
    let alloc = cx.insn.immediate16() as u64;
    let level = (cx.insn.immediate8_2nd() % 32) as u64;
    let rbp = cx.g(RBP);
    let rsp = cx.g(RSP);
    let old_rbp = cx.b.mov(rbp);
    cx.push(8, old_rbp);
    let frame = cx.b.mov(rsp);
    if level > 0 {
        for i in 1..level {
            let src = cx.b.addi(old_rbp, (i * 8).wrapping_neg());
            let v = cx.load(8, src);
            cx.push(8, v);
        }
        cx.push(8, frame);
    }
    let sz = cx.b.movi(alloc);
    let n = cx.b.sub(rsp, sz);
    cx.b.mov_to(rbp, frame);
    cx.b.mov_to(rsp, n);
}

/// ENTER with a 16- or 32-bit operand size or stack (outside 64-bit
/// mode), per the SDM's pseudocode.
fn enter_sized(cx: &mut Cx) {
    let (size, bp_reg) = match cx.insn.code() {
        iced_x86::Code::Enterw_imm16_imm8 => (2, iced_x86::Register::BP),
        iced_x86::Code::Enterd_imm16_imm8 => (4, iced_x86::Register::EBP),
        _ => (8, iced_x86::Register::RBP),
    };
    let alloc = cx.insn.immediate16() as i64;
    let level = (cx.insn.immediate8_2nd() % 32) as i64;
    let bp = cx.read_reg(bp_reg);
    cx.push(size, bp);
    let frame = cx.stack_ptr();
    let frame = cx.b.mov(frame);
    if level > 0 {
        for i in 1..level {
            let at = cx.stack_add(bp, -i * size as i64);
            let a = cx.stack_addr(at);
            let v = cx.load(size, a);
            cx.push(size, v);
        }
        cx.push(size, frame);
    }
    cx.write_reg(bp_reg, frame);
    let sp = cx.stack_ptr();
    let n = cx.stack_add(sp, -alloc);
    cx.set_stack_ptr(n);
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
    if size == 8 {
        let off = std::mem::offset_of!(crate::cpu::CpuState, eflags);
        let old = cx.b.ld_env(off);
        let keep = cx.b.andi(old, !(eflags::AC | eflags::ID));
        let new = cx.b.andi(v, eflags::AC | eflags::ID);
        let r = cx.b.or(keep, new);
        cx.b.st_env(r, off);
    }
}
