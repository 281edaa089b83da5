//! Element and sign-mask access as IR: PEXTRW/PINSRW (SSE2) and the SSE4.1
//! PEXTRB/D/Q, PINSRB/D/Q and EXTRACTPS; MOVMSKPS/MOVMSKPD; PMOVMSKB by
//! `call_xmm`.

use super::{read_half, read_xmm, write_half, xmm_of};
use crate::cpu::CpuState;
use crate::helpers::sse::int::PMOVMSKB;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic;
use ox86_ir::{Opcode, Temp};
use std::mem::offset_of;

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.mnemonic() {
        Mnemonic::Pextrb => extract(cx, 1),
        Mnemonic::Pextrw => extract(cx, 2),
        Mnemonic::Pextrd | Mnemonic::Extractps => extract(cx, 4),
        Mnemonic::Pextrq => extract(cx, 8),
        Mnemonic::Pinsrb => insert(cx, 1),
        Mnemonic::Pinsrw => insert(cx, 2),
        Mnemonic::Pinsrd => insert(cx, 4),
        Mnemonic::Pinsrq => insert(cx, 8),
        Mnemonic::Pmovmskb => {
            // A `call_xmm`, which the JIT runs as the host's PMOVMSKB.
            cx.call_xmm(&PMOVMSKB, 0, xmm_of(cx, 1), 0);
            let r = cx.b.ld_env(offset_of!(CpuState, xmm_result));
            cx.write_reg(cx.insn.op_register(0), r);
        }
        Mnemonic::Movmskps => {
            let v = read_xmm(cx, xmm_of(cx, 1));
            // Sign bits 31, 63, 95, 127 to bits 0..4.
            let b0 = bit_to(cx, v.lo, 31, 0);
            let b1 = bit_to(cx, v.lo, 63, 1);
            let b2 = bit_to(cx, v.hi, 31, 2);
            let b3 = bit_to(cx, v.hi, 63, 3);
            let r01 = cx.b.or(b0, b1);
            let r23 = cx.b.or(b2, b3);
            let r = cx.b.or(r01, r23);
            cx.write_reg(cx.insn.op_register(0), r);
        }
        Mnemonic::Movmskpd => {
            let v = read_xmm(cx, xmm_of(cx, 1));
            let b0 = bit_to(cx, v.lo, 63, 0);
            let b1 = bit_to(cx, v.hi, 63, 1);
            let r = cx.b.or(b0, b1);
            cx.write_reg(cx.insn.op_register(0), r);
        }
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// Bit `from` of `v` moved to bit `to`, all else clear.
fn bit_to(cx: &mut Cx, v: Temp, from: u64, to: u64) -> Temp {
    let s = cx.b.shri(v, from - to);
    cx.b.andi(s, 1 << to)
}

/// The top bits of the eight bytes of `q` gathered into bits 0..8: the
/// top bits moved to the bottom of each byte, then one multiply places
/// byte i's bit at bit 56 + i without carries.
pub(super) fn byte_signs(cx: &mut Cx, q: Temp) -> Temp {
    let t = cx.b.andi(q, 0x8080_8080_8080_8080);
    let t = cx.b.shri(t, 7);
    let magic = cx.b.movi(0x0102_0408_1020_4080);
    let t = cx.b.binop(Opcode::Mul, t, magic);
    cx.b.shri(t, 56)
}

/// Position of element `imm` of `size` bytes: (quadword, bit shift).
fn element(cx: &Cx, imm_op: u32, size: u32) -> (usize, u64) {
    let n = 16 / size as u64;
    let sel = cx.insn.immediate(imm_op) % n;
    let bit = sel * size as u64 * 8;
    ((bit / 64) as usize, bit % 64)
}

/// PEXTRx/EXTRACTPS: element to a general register (zero-extended) or memory.
fn extract(cx: &mut Cx, size: u32) {
    let (half, shift) = element(cx, 2, size);
    let q = read_half(cx, xmm_of(cx, 1), half);
    let v = if shift != 0 { cx.b.shri(q, shift) } else { q };
    let v = cx.zext(size, v);
    if cx.is_mem(0) {
        let a = cx.ea();
        cx.store(size, v, a);
    } else {
        cx.write_reg(cx.insn.op_register(0), v);
    }
}

/// PINSRx: an element from a general register or memory.
fn insert(cx: &mut Cx, size: u32) {
    let v = if cx.is_mem(1) {
        let a = cx.ea();
        cx.load(size, a)
    } else {
        let r = cx.read_reg(cx.insn.op_register(1));
        cx.zext(size, r)
    };
    let (half, shift) = element(cx, 2, size);
    let d = xmm_of(cx, 0);
    let r = if size == 8 {
        v
    } else {
        let q = read_half(cx, d, half);
        let keep = cx.b.andi(q, !(((1u64 << (size * 8)) - 1) << shift));
        let v = if shift != 0 { cx.b.shli(v, shift) } else { v };
        cx.b.or(keep, v)
    };
    write_half(cx, d, half, r);
}
