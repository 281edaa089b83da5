//! Read-modify-write exchange instructions: CMPXCHG, XADD, CMPXCHG8B and
//! CMPXCHG16B. Each is one unit (load, compute, store, then registers) so
//! that it can become a host atomic once guest threads run in parallel;
//! for now the LOCK prefix needs nothing more.

use super::operand::gpr;
use super::{Cx, Outcome};
use crate::cc::CcKind;
use crate::cpu::eflags::ZF;
use crate::cpu::{excp, glob};
use iced_x86::{Mnemonic, Register};
use ox86_ir::{Cond, Opcode, Temp};

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.mnemonic() {
        Mnemonic::Cmpxchg => cmpxchg(cx),
        Mnemonic::Xadd => xadd(cx),
        Mnemonic::Cmpxchg8b => cmpxchg_pair(cx, 4),
        Mnemonic::Cmpxchg16b => cmpxchg_pair(cx, 8),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// The accumulator (AL/AX/EAX/RAX) for `size` bytes.
fn acc(size: u32) -> Register {
    match size {
        1 => Register::AL,
        2 => Register::AX,
        4 => Register::EAX,
        _ => Register::RAX,
    }
}

/// `t` itself, or a copy of it if it is a register: a 64-bit register read
/// is the register, and a later write would change it.
fn snapshot(cx: &mut Cx, t: Temp) -> Temp {
    if cx.b.is_global(t) {
        cx.b.mov(t)
    } else {
        t
    }
}

/// Writes `v` to register `r` when `c(a, b)` holds and otherwise leaves
/// all 64 bits of it untouched (no zero-extension of a 32-bit register).
fn write_reg_if(cx: &mut Cx, r: Register, c: (Cond, Temp, Temp), v: Temp) {
    let g = gpr(r).expect("a GPR");
    let full = cx.g(g.index);
    match g.size {
        8 | 4 => {
            let v = if g.size == 4 {
                cx.b.unop(Opcode::Ext32u, v)
            } else {
                v
            };
            let nv = cx.b.movcond(c.0, c.1, c.2, v, full);
            cx.b.mov_to(full, nv);
        }
        _ => {
            let cur = cx.read_reg(r);
            let nv = cx.b.movcond(c.0, c.1, c.2, v, cur);
            cx.write_reg(r, nv);
        }
    }
}

/// CMPXCHG r/m, r: compare the accumulator with the destination; if equal
/// (ZF = 1) the destination gets the source, else the accumulator gets the
/// destination. Flags as CMP accumulator, destination. A memory
/// destination is written either way (the old value on failure); a
/// register destination is left untouched on failure.
fn cmpxchg(cx: &mut Cx) {
    let size = cx.op_size(0);
    let mut addr = None;
    // The writes below may replace the destination and the accumulator.
    let old = cx.read_op(0, size, &mut addr);
    let old = snapshot(cx, old);
    let src = cx.read_reg(cx.insn.op1_register());
    let a = cx.read_reg(acc(size));
    let a = snapshot(cx, a);
    let eq = (Cond::Eq, a, old);
    if cx.is_mem(0) {
        let nv = cx.b.movcond(Cond::Eq, a, old, src, old);
        cx.write_op(0, size, nv, &mut addr);
    } else {
        write_reg_if(cx, cx.insn.op0_register(), eq, src);
    }
    write_reg_if(cx, acc(size), (Cond::Ne, a, old), old);
    let d = cx.b.sub(a, old);
    let d = cx.zext(size, d);
    cx.set_cc(CcKind::Sub, size, d, old, None);
}

/// XADD r/m, r: the source gets the old destination, the destination the
/// sum; flags as ADD.
fn xadd(cx: &mut Cx) {
    let size = cx.op_size(0);
    let mut addr = None;
    let dst = cx.read_op(0, size, &mut addr);
    let src_reg = cx.insn.op1_register();
    // The source register is written before the flags are recorded.
    let src = cx.read_reg(src_reg);
    let src = snapshot(cx, src);
    let sum = cx.b.add(dst, src);
    let sum = cx.zext(size, sum);
    if cx.is_mem(0) {
        cx.write_op(0, size, sum, &mut addr);
        cx.write_reg(src_reg, dst);
    } else {
        // XADD r, r with one register leaves the sum in it.
        cx.write_reg(src_reg, dst);
        cx.write_op(0, size, sum, &mut addr);
    }
    cx.set_cc(CcKind::Add, size, sum, src, None);
}

/// CMPXCHG8B m64 (`half` = 4) and CMPXCHG16B m128 (`half` = 8): compare
/// rDX:rAX with the memory operand; if equal store rCX:rBX, else load it
/// into rDX:rAX (memory is written back either way). Only ZF changes.
/// CMPXCHG16B raises #GP on an operand not aligned to 16 bytes.
fn cmpxchg_pair(cx: &mut Cx, half: u32) {
    let (ax, dx, bx, cxr) = if half == 8 {
        (Register::RAX, Register::RDX, Register::RBX, Register::RCX)
    } else {
        (Register::EAX, Register::EDX, Register::EBX, Register::ECX)
    };
    if half == 8 {
        let a = cx.ea();
        let ok = cx.b.label();
        let m = cx.b.movi(15);
        cx.b.brcond(Cond::TstEq, a, m, ok);
        let rip = cx.g(glob::RIP);
        cx.b.movi_to(rip, cx.pc);
        cx.b.raise(excp::GP);
        cx.b.set_label(ok);
    }
    let a = cx.ea();
    let a_hi = cx.b.addi(a, half as u64);
    let lo = cx.load(half, a);
    let hi = cx.load(half, a_hi);
    let (rax, rdx) = (cx.read_reg(ax), cx.read_reg(dx));
    let x_lo = cx.b.xor(lo, rax);
    let x_hi = cx.b.xor(hi, rdx);
    let diff = cx.b.or(x_lo, x_hi);
    let zero = cx.b.movi(0);
    let (rbx, rcx) = (cx.read_reg(bx), cx.read_reg(cxr));
    let new_lo = cx.b.movcond(Cond::Eq, diff, zero, rbx, lo);
    let new_hi = cx.b.movcond(Cond::Eq, diff, zero, rcx, hi);
    cx.store(half, new_lo, a);
    cx.store(half, new_hi, a_hi);
    write_reg_if(cx, ax, (Cond::Ne, diff, zero), lo);
    write_reg_if(cx, dx, (Cond::Ne, diff, zero), hi);
    let all = cx.compute_all();
    let keep = cx.b.andi(all, !ZF);
    let zf = cx.b.setcond(Cond::Eq, diff, zero);
    let zf = cx.b.shli(zf, ZF.trailing_zeros() as u64);
    let flags = cx.b.or(keep, zf);
    cx.set_cc_eflags(flags);
}
