//! XMM data movement as IR: MOVAPS/MOVAPD/MOVDQA (aligned), MOVUPS/MOVUPD/
//! MOVDQU/LDDQU, the non-temporal MOVNTPS/MOVNTPD/MOVNTDQ/MOVNTDQA/MOVNTI
//! (plain accesses), MOVSS/MOVSD, MOVD/MOVQ, MOVHPS/MOVHPD/MOVLPS/MOVLPD,
//! MOVHLPS/MOVLHPS, MOVDDUP/MOVSHDUP/MOVSLDUP and MASKMOVDQU.

use super::{
    is_xmm_reg, load_xmm, load_xmm_zx, read_half, read_src, read_xmm, store_xmm, write_half,
    write_xmm, xmm_of, Xmm,
};
use crate::cpu::glob;
use crate::cpu::reg::RDI;
use crate::helpers::sse::shuffle::MOVAPS;
use crate::translate::{Cx, Outcome};
use iced_x86::{Mnemonic, OpKind, Register};
use ox86_ir::{Cond, Opcode, Temp};

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.mnemonic() {
        Mnemonic::Movaps
        | Mnemonic::Movapd
        | Mnemonic::Movdqa
        | Mnemonic::Movntps
        | Mnemonic::Movntpd
        | Mnemonic::Movntdq
        | Mnemonic::Movntdqa => mov128(cx, false),
        Mnemonic::Movups | Mnemonic::Movupd | Mnemonic::Movdqu | Mnemonic::Lddqu => {
            mov128(cx, true)
        }
        Mnemonic::Movss => mov_scalar(cx, 4),
        // MOVSD is also the string instruction, which has no XMM operand.
        Mnemonic::Movsd if is_xmm_reg(cx, 0) || is_xmm_reg(cx, 1) => mov_scalar(cx, 8),
        Mnemonic::Movq => mov_low(cx, 8),
        Mnemonic::Movd => mov_low(cx, 4),
        Mnemonic::Movlps | Mnemonic::Movlpd => mov_half(cx, 0),
        Mnemonic::Movhps | Mnemonic::Movhpd => mov_half(cx, 1),
        Mnemonic::Movhlps => {
            let v = read_half(cx, xmm_of(cx, 1), 1);
            write_half(cx, xmm_of(cx, 0), 0, v);
        }
        Mnemonic::Movlhps => {
            let v = read_half(cx, xmm_of(cx, 1), 0);
            write_half(cx, xmm_of(cx, 0), 1, v);
        }
        Mnemonic::Movddup => {
            let s = read_src(cx, 1, false);
            write_xmm(cx, xmm_of(cx, 0), Xmm { lo: s.lo, hi: s.lo });
        }
        Mnemonic::Movshdup | Mnemonic::Movsldup => {
            let high = cx.insn.mnemonic() == Mnemonic::Movshdup;
            let s = read_src(cx, 1, false);
            let lo = dup_dword(cx, s.lo, high);
            let hi = dup_dword(cx, s.hi, high);
            write_xmm(cx, xmm_of(cx, 0), Xmm { lo, hi });
        }
        Mnemonic::Movnti => {
            let size = cx.op_size(0);
            let v = cx.read_reg(cx.insn.op_register(1));
            let a = cx.ea();
            cx.store(size, v, a);
        }
        Mnemonic::Maskmovdqu => maskmovdqu(cx),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// A full 16-byte move between XMM registers and memory.
fn mov128(cx: &mut Cx, unaligned: bool) {
    if cx.is_mem(0) {
        let a = cx.ea();
        store_xmm(cx, a, xmm_of(cx, 1), !unaligned);
    } else if is_xmm_reg(cx, 1) {
        // One `call_xmm`, which the JIT runs on the registers it caches.
        cx.call_xmm(&MOVAPS, xmm_of(cx, 0), xmm_of(cx, 1), 0);
    } else {
        let a = cx.ea();
        load_xmm(cx, xmm_of(cx, 0), a, !unaligned);
    }
}

/// MOVSS/MOVSD: a load zeroes the rest of the register, a register move
/// keeps it, a store writes `size` bytes.
fn mov_scalar(cx: &mut Cx, size: u32) {
    if cx.is_mem(0) {
        let v = read_half(cx, xmm_of(cx, 1), 0);
        let a = cx.ea();
        cx.store(size, v, a);
    } else if cx.is_mem(1) {
        let a = cx.ea();
        load_xmm_zx(cx, xmm_of(cx, 0), size, a);
    } else {
        let d = xmm_of(cx, 0);
        let mut v = read_half(cx, xmm_of(cx, 1), 0);
        if size == 4 {
            let old = read_half(cx, d, 0);
            let keep = cx.b.andi(old, !0xffff_ffff);
            let low = cx.zext(4, v);
            v = cx.b.or(keep, low);
        }
        write_half(cx, d, 0, v);
    }
}

/// MOVD/MOVQ: into an XMM register the value is zero-extended to 128
/// bits; out of one, its low `size` bytes go to a register or memory.
fn mov_low(cx: &mut Cx, size: u32) {
    if is_xmm_reg(cx, 0) && cx.is_mem(1) {
        // As MOVSD's load: one `ld_xmm`, which the JIT loads into the
        // register it caches.
        let a = cx.ea();
        let n = xmm_of(cx, 0);
        return load_xmm_zx(cx, n, size, a);
    }
    if is_xmm_reg(cx, 0) {
        let lo = if is_xmm_reg(cx, 1) {
            read_half(cx, xmm_of(cx, 1), 0)
        } else {
            let mut addr = None;
            cx.read_op(1, size, &mut addr)
        };
        let hi = cx.b.movi(0);
        write_xmm(cx, xmm_of(cx, 0), Xmm { lo, hi });
    } else {
        let v = read_half(cx, xmm_of(cx, 1), 0);
        let v = cx.zext(size, v);
        let mut addr = None;
        cx.write_op(0, size, v, &mut addr);
    }
}

/// MOVLPS/MOVHPS and the PD forms: one quadword between memory and the
/// low (`half` 0) or high quadword of a register.
fn mov_half(cx: &mut Cx, half: usize) {
    let a = cx.ea();
    if cx.is_mem(0) {
        let v = read_half(cx, xmm_of(cx, 1), half);
        cx.store(8, v, a);
    } else {
        let v = cx.load(8, a);
        write_half(cx, xmm_of(cx, 0), half, v);
    }
}

/// MOVSHDUP (`high`) or MOVSLDUP on one quadword: the odd (or even)
/// doubleword copied to both.
fn dup_dword(cx: &mut Cx, q: ox86_ir::Temp, high: bool) -> ox86_ir::Temp {
    if high {
        let top = cx.b.andi(q, 0xffff_ffff_0000_0000);
        let down = cx.b.shri(q, 32);
        cx.b.or(top, down)
    } else {
        let low = cx.zext(4, q);
        let up = cx.b.shli(q, 32);
        cx.b.or(low, up)
    }
}

/// MASKMOVDQU: stores the bytes of operand 1 whose byte in operand 2 has
/// its top bit set, to [rDI].
fn maskmovdqu(cx: &mut Cx) {
    let data = read_xmm(cx, xmm_of(cx, 1));
    let mask = read_xmm(cx, xmm_of(cx, 2));
    masked_store(cx, &[data.lo, data.hi], &[mask.lo, mask.hi]);
}

/// MASKMOVDQU/MASKMOVQ: stores each byte of the quadwords `data` whose
/// byte in `mask` has its top bit set, to [rDI] (DS, or a segment
/// override; EDI with a 32-bit address size).
pub(super) fn masked_store(cx: &mut Cx, data: &[Temp], mask: &[Temp]) {
    let mut base = cx.g(RDI);
    if cx.insn.op_kind(0) == OpKind::MemorySegEDI {
        base = cx.b.unop(Opcode::Ext32u, base);
    }
    match cx.insn.memory_segment() {
        Register::FS => base = cx.b.add(base, cx.g(glob::FS_BASE)),
        Register::GS => base = cx.b.add(base, cx.g(glob::GS_BASE)),
        _ => {}
    }
    for (q, (&d, &m)) in data.iter().zip(mask).enumerate() {
        for i in 0..8u64 {
            let shift = i * 8;
            let skip = cx.b.label();
            let bit = cx.b.movi(0x80 << shift);
            cx.b.brcond(Cond::TstEq, m, bit, skip);
            let byte = cx.b.shri(d, shift);
            let a = cx.b.addi(base, 8 * q as u64 + i);
            cx.store(1, byte, a);
            cx.b.set_label(skip);
        }
    }
}
