//! MMX: the MMX-register forms of the integer SIMD instructions (MMX, the
//! SSE and SSE2 additions, SSSE3), the moves and conversions between MMX
//! and XMM or general registers, and EMMS. MMX register n is the mantissa
//! of physical x87 register n (`X87State::regs`). Every one of these
//! instructions first raises #MF if an x87 exception is pending, then puts
//! the x87 unit in MMX state (TOP = 0, every register valid); a write to an
//! MMX register sets that register's exponent and sign bits to ones. EMMS
//! marks every register empty and sets TOP to 0. Arithmetic goes through
//! the XMM helpers with an MMX destination (`helpers::sse::MM0`), or
//! `helpers::sse::mmx` where the 64-bit result differs; moves, logic and
//! element access are IR.

use super::extract::byte_signs;
use super::moves::masked_store;
use super::{lookup, read_half, read_src, read_xmm, write_xmm, xmm_of, HelperTable, Xmm};
use crate::cpu::{excp, glob, CpuState, X87State};
use crate::helpers::sse::compare::*;
use crate::helpers::sse::convert::{CVTDQ2PD, CVTPD2DQ, CVTPI2PS, CVTPS2DQ, CVTTPD2DQ, CVTTPS2DQ};
use crate::helpers::sse::int::*;
use crate::helpers::sse::mmx::*;
use crate::helpers::sse::shift::*;
use crate::helpers::sse::shuffle::{PSHUFLW, PUNPCKLBW, PUNPCKLDQ, PUNPCKLWD};
use crate::helpers::sse::MM0;
use crate::helpers::HelperInfo;
use crate::translate::{Cx, Outcome};
use iced_x86::{Mnemonic as M, OpKind};
use ox86_ir::{Cond, Opcode, Temp};
use std::mem::offset_of;

/// Byte offset of the x87 state in `CpuState`.
const FPU: usize = offset_of!(CpuState, fpu);
/// The 64-bit word TOP | FCW << 32 | FSW << 48.
const STATUS: usize = FPU + offset_of!(X87State, top);
/// The 64-bit word holding the abridged tag word in its low byte.
const TAGS: usize = FPU + offset_of!(X87State, ftw);
const _: () = assert!(
    offset_of!(X87State, fcw) == offset_of!(X87State, top) + 4
        && offset_of!(X87State, fsw) == offset_of!(X87State, top) + 6
        && offset_of!(X87State, _pad) == offset_of!(X87State, ftw) + 1
);

/// FSW bits: the exception flags IE..PE (FCW: their masks) and ES.
const FSW_EXCEPTIONS: u64 = 0x3f;
const FSW_ES: u64 = 0x80;

/// Byte offset of MMX register `n` (the mantissa of physical register n);
/// its exponent and sign follow at + 8.
fn mm_offset(n: usize) -> usize {
    FPU + offset_of!(X87State, regs) + 16 * n
}

/// Forms computed by a helper `h(d, src)` on an MMX destination.
const BINARY: &HelperTable = &[
    (M::Paddb, &PADDB),
    (M::Paddw, &PADDW),
    (M::Paddd, &PADDD),
    (M::Paddq, &PADDQ),
    (M::Psubb, &PSUBB),
    (M::Psubw, &PSUBW),
    (M::Psubd, &PSUBD),
    (M::Psubq, &PSUBQ),
    (M::Paddsb, &PADDSB),
    (M::Paddsw, &PADDSW),
    (M::Paddusb, &PADDUSB),
    (M::Paddusw, &PADDUSW),
    (M::Psubsb, &PSUBSB),
    (M::Psubsw, &PSUBSW),
    (M::Psubusb, &PSUBUSB),
    (M::Psubusw, &PSUBUSW),
    (M::Pmullw, &PMULLW),
    (M::Pmulhw, &PMULHW),
    (M::Pmulhuw, &PMULHUW),
    (M::Pmuludq, &PMULUDQ),
    (M::Pmaddwd, &PMADDWD),
    (M::Psadbw, &PSADBW),
    (M::Pavgb, &PAVGB),
    (M::Pavgw, &PAVGW),
    (M::Pminub, &PMINUB),
    (M::Pmaxub, &PMAXUB),
    (M::Pminsw, &PMINSW),
    (M::Pmaxsw, &PMAXSW),
    (M::Pabsb, &PABSB),
    (M::Pabsw, &PABSW),
    (M::Pabsd, &PABSD),
    (M::Psignb, &PSIGNB),
    (M::Psignw, &PSIGNW),
    (M::Psignd, &PSIGND),
    (M::Pmaddubsw, &PMADDUBSW),
    (M::Pmulhrsw, &PMULHRSW),
    (M::Pcmpeqb, &PCMPEQB),
    (M::Pcmpeqw, &PCMPEQW),
    (M::Pcmpeqd, &PCMPEQD),
    (M::Pcmpgtb, &PCMPGTB),
    (M::Pcmpgtw, &PCMPGTW),
    (M::Pcmpgtd, &PCMPGTD),
    (M::Punpcklbw, &PUNPCKLBW),
    (M::Punpcklwd, &PUNPCKLWD),
    (M::Punpckldq, &PUNPCKLDQ),
    (M::Punpckhbw, &PUNPCKHBW_MM),
    (M::Punpckhwd, &PUNPCKHWD_MM),
    (M::Punpckhdq, &PUNPCKHDQ_MM),
    (M::Packsswb, &PACKSSWB_MM),
    (M::Packuswb, &PACKUSWB_MM),
    (M::Packssdw, &PACKSSDW_MM),
    (M::Phaddw, &PHADDW_MM),
    (M::Phaddd, &PHADDD_MM),
    (M::Phaddsw, &PHADDSW_MM),
    (M::Phsubw, &PHSUBW_MM),
    (M::Phsubd, &PHSUBD_MM),
    (M::Phsubsw, &PHSUBSW_MM),
    (M::Pshufb, &PSHUFB_MM),
    // The count is the source: an MMX register, memory or the immediate.
    (M::Psllw, &PSLLW),
    (M::Pslld, &PSLLD),
    (M::Psllq, &PSLLQ),
    (M::Psrlw, &PSRLW),
    (M::Psrld, &PSRLD),
    (M::Psrlq, &PSRLQ),
    (M::Psraw, &PSRAW),
    (M::Psrad, &PSRAD),
];

/// Forms computed by a helper `h(d, src, imm)`; PSHUFW is PSHUFLW's low half.
const WITH_IMM: &HelperTable = &[(M::Pshufw, &PSHUFLW), (M::Palignr, &PALIGNR_MM)];

/// Conversions from an XMM register or memory to an MMX register: the
/// packed-doubleword conversion of the whole source.
const TO_MM: &HelperTable = &[
    (M::Cvtps2pi, &CVTPS2DQ),
    (M::Cvttps2pi, &CVTTPS2DQ),
    (M::Cvtpd2pi, &CVTPD2DQ),
    (M::Cvttpd2pi, &CVTTPD2DQ),
];

/// Conversions from an MMX register to an XMM register.
const FROM_MM: &HelperTable = &[(M::Cvtpi2ps, &CVTPI2PS), (M::Cvtpi2pd, &CVTDQ2PD)];

pub fn translate(cx: &mut Cx) -> Outcome {
    let m = cx.insn.mnemonic();
    if m == M::Emms {
        // Every register empty and TOP = 0 (SDM vol. 1, table 9-2).
        let status = check_pending(cx);
        let top0 = cx.b.andi(status, !0xffff_ffff);
        cx.b.st_env(top0, STATUS);
        let empty = cx.b.movi(0);
        cx.b.st_env(empty, TAGS);
    } else if let Some(h) = lookup(cx, BINARY) {
        call_mm(cx, h, None);
    } else if let Some(h) = lookup(cx, WITH_IMM) {
        let imm = cx.insn.immediate(2) & 0xff;
        call_mm(cx, h, Some(imm));
    } else if let Some(h) = lookup(cx, TO_MM) {
        let status = check_pending(cx);
        let s = if matches!(m, M::Cvtps2pi | M::Cvttps2pi) {
            // Only the low two singles are converted (and may raise flags).
            let lo = read_src64(cx, 1);
            let hi = cx.b.movi(0);
            Xmm { lo, hi }
        } else {
            read_src(cx, 1, false)
        };
        enter(cx, status);
        let dn = cx.b.movi(MM0 + mm_of(cx, 0) as u64);
        cx.call(h, &[dn, s.lo, s.hi]);
    } else if let Some(h) = lookup(cx, FROM_MM) {
        let status = check_pending(cx);
        let s = read_src64(cx, 1);
        enter(cx, status);
        let dn = cx.b.movi(xmm_of(cx, 0) as u64);
        let zero = cx.b.movi(0);
        cx.call(h, &[dn, s, zero]);
    } else {
        return translate_ir(cx, m);
    }
    Outcome::Done
}

/// The forms done as IR: logic, moves, element access.
fn translate_ir(cx: &mut Cx, m: M) -> Outcome {
    let logic = match m {
        M::Pand => Some(Opcode::And),
        M::Por => Some(Opcode::Or),
        M::Pxor => Some(Opcode::Xor),
        M::Pandn => Some(Opcode::Not),
        _ => None,
    };
    if let Some(op) = logic {
        let status = check_pending(cx);
        let s = read_src64(cx, 1);
        let d = mm_of(cx, 0);
        let a = cx.b.ld_env(mm_offset(d));
        let r = match op {
            Opcode::Not => {
                let na = cx.b.unop(Opcode::Not, a);
                cx.b.and(na, s)
            }
            _ => cx.b.binop(op, a, s),
        };
        enter(cx, status);
        write_mm(cx, d, r);
        return Outcome::Done;
    }
    match m {
        M::Movd | M::Movq | M::Movntq => {
            let status = check_pending(cx);
            if is_mm_reg(cx, 0) {
                let v = read_src64(cx, 1);
                enter(cx, status);
                write_mm(cx, mm_of(cx, 0), v);
            } else {
                let size = cx.op_size(0);
                let v = read_src64(cx, 1);
                let v = cx.zext(size, v);
                let mut addr = None;
                cx.write_op(0, size, v, &mut addr);
                enter(cx, status);
            }
        }
        M::Movq2dq => {
            let status = check_pending(cx);
            let lo = read_src64(cx, 1);
            enter(cx, status);
            let hi = cx.b.movi(0);
            write_xmm(cx, xmm_of(cx, 0), Xmm { lo, hi });
        }
        M::Movdq2q => {
            let status = check_pending(cx);
            let v = read_half(cx, xmm_of(cx, 1), 0);
            enter(cx, status);
            write_mm(cx, mm_of(cx, 0), v);
        }
        M::Maskmovq => {
            let status = check_pending(cx);
            let data = read_src64(cx, 1);
            let mask = read_src64(cx, 2);
            masked_store(cx, &[data], &[mask]);
            enter(cx, status);
        }
        M::Pmovmskb => {
            let status = check_pending(cx);
            let v = read_src64(cx, 1);
            enter(cx, status);
            let r = byte_signs(cx, v);
            cx.write_reg(cx.insn.op_register(0), r);
        }
        M::Pextrw => {
            let status = check_pending(cx);
            let v = read_src64(cx, 1);
            enter(cx, status);
            let shift = (cx.insn.immediate(2) & 3) * 16;
            let w = cx.b.shri(v, shift);
            let w = cx.zext(2, w);
            cx.write_reg(cx.insn.op_register(0), w);
        }
        M::Pinsrw => {
            let status = check_pending(cx);
            let v = read_src64(cx, 1);
            let v = cx.zext(2, v);
            let d = mm_of(cx, 0);
            let a = cx.b.ld_env(mm_offset(d));
            let shift = (cx.insn.immediate(2) & 3) * 16;
            let keep = cx.b.andi(a, !(0xffff << shift));
            let v = cx.b.shli(v, shift);
            let r = cx.b.or(keep, v);
            enter(cx, status);
            write_mm(cx, d, r);
        }
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// `h(MM0 + d, src[, imm])` for MMX destination operand 0 and source
/// operand 1.
fn call_mm(cx: &mut Cx, h: &'static HelperInfo, imm: Option<u64>) {
    let status = check_pending(cx);
    let s = read_src64(cx, 1);
    enter(cx, status);
    let dn = cx.b.movi(MM0 + mm_of(cx, 0) as u64);
    let zero = cx.b.movi(0);
    match imm {
        Some(imm) => {
            let c = cx.b.movi(imm);
            cx.call(h, &[dn, s, zero, c])
        }
        None => cx.call(h, &[dn, s, zero]),
    };
}

/// True if operand `i` is an MMX register.
fn is_mm_reg(cx: &Cx, i: u32) -> bool {
    cx.insn.op_kind(i) == OpKind::Register && cx.insn.op_register(i).is_mm()
}

/// The MMX register number of operand `i`.
fn mm_of(cx: &Cx, i: u32) -> usize {
    let r = cx.insn.op_register(i);
    debug_assert!(r.is_mm(), "operand {i} is {r:?}, not an MMX register");
    r.number()
}

/// Reads operand `i` as 64 bits: an MMX register, the low quadword of an
/// XMM register, a general register or memory (zero-extended from its
/// size), or an immediate byte.
fn read_src64(cx: &mut Cx, i: u32) -> Temp {
    match cx.insn.op_kind(i) {
        OpKind::Register => {
            let r = cx.insn.op_register(i);
            if r.is_mm() {
                cx.b.ld_env(mm_offset(r.number()))
            } else if r.is_xmm() {
                read_xmm(cx, r.number()).lo
            } else {
                cx.read_reg(r)
            }
        }
        OpKind::Memory => {
            let a = cx.ea();
            let size = cx.insn.memory_size().size() as u32;
            cx.load(size, a)
        }
        _ => cx.b.movi(cx.insn.immediate(i) & 0xff),
    }
}

/// Writes MMX register `n`: the mantissa, and all ones in the exponent and sign.
fn write_mm(cx: &mut Cx, n: usize, v: Temp) {
    cx.b.st_env(v, mm_offset(n));
    let ones = cx.b.movi(0xffff);
    cx.b.st_env(ones, mm_offset(n) + 8);
}

/// Raises #MF at this instruction if an unmasked x87 exception is pending
/// (ES set, or a flag whose mask is clear); returns the status quadword.
fn check_pending(cx: &mut Cx) -> Temp {
    let status = cx.b.ld_env(STATUS);
    let fsw = cx.b.shri(status, 48);
    let fcw = cx.b.shri(status, 32);
    let masked = cx.b.unop(Opcode::Not, fcw);
    let unmasked = cx.b.and(fsw, masked);
    let unmasked = cx.b.andi(unmasked, FSW_EXCEPTIONS);
    let es = cx.b.andi(fsw, FSW_ES);
    let pending = cx.b.or(unmasked, es);
    let zero = cx.b.movi(0);
    let ok = cx.b.label();
    cx.b.brcond(Cond::Eq, pending, zero, ok);
    let rip = cx.g(glob::RIP);
    cx.b.movi_to(rip, cx.pc);
    cx.b.raise(excp::MF);
    cx.b.set_label(ok);
    status
}

/// Puts the x87 unit in MMX state: TOP = 0 (FCW and FSW kept from
/// `status`), every register valid.
fn enter(cx: &mut Cx, status: Temp) {
    let top0 = cx.b.andi(status, !0xffff_ffff);
    cx.b.st_env(top0, STATUS);
    let valid = cx.b.movi(0xff);
    cx.b.st_env(valid, TAGS);
}
