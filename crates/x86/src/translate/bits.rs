//! Bit instructions: BT BTS BTR BTC, BSF BSR, LZCNT TZCNT POPCNT, BSWAP.
//! Their flags are mostly undefined; the defined ones (CF for BT*, ZF for
//! BSF/BSR/POPCNT, CF and ZF for LZCNT/TZCNT) are exact, and BT* keep ZF.

use super::{Cx, Outcome};
use crate::cc::CcKind;
use crate::cpu::eflags::ZF;
use iced_x86::{Mnemonic, OpKind};
use ox86_ir::{Cond, Opcode, Temp};

pub fn translate(cx: &mut Cx) -> Outcome {
    let m = cx.insn.mnemonic();
    match m {
        Mnemonic::Bt | Mnemonic::Bts | Mnemonic::Btr | Mnemonic::Btc => bit_test(cx, m),
        Mnemonic::Bsf | Mnemonic::Bsr => bit_scan(cx, m == Mnemonic::Bsf),
        Mnemonic::Lzcnt | Mnemonic::Tzcnt | Mnemonic::Popcnt => count(cx, m),
        Mnemonic::Bswap => bswap(cx),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// Flags `cf` (0/1) and `zf` (0/1) as an EFLAGS value, the other
/// arithmetic flags clear.
fn cf_zf(cx: &mut Cx, cf: Temp, zf: Temp) -> Temp {
    let z = cx.b.shli(zf, ZF.trailing_zeros() as u64);
    cx.b.or(cf, z)
}

/// BT, BTS, BTR, BTC: CF = the selected bit, then set/clear/complement it.
/// A register bit offset with a memory operand addresses a bit string
/// that extends past the operand, signed, in operand-size units.
fn bit_test(cx: &mut Cx, m: Mnemonic) {
    let size = cx.op_size(0);
    let w = size as u64 * 8;
    let mut addr = None;
    let reg_offset = cx.insn.op1_kind() == OpKind::Register;
    let off = if reg_offset {
        cx.read_reg(cx.insn.op1_register())
    } else {
        cx.b.movi(cx.insn.immediate(1))
    };
    if cx.is_mem(0) && reg_offset {
        let ea = cx.ea();
        let s = cx.sext(size, off);
        let words = cx.b.sari(s, w.trailing_zeros() as u64);
        let bytes = cx.b.shli(words, size.trailing_zeros() as u64);
        addr = Some(cx.b.add(ea, bytes));
    }
    let n = cx.b.andi(off, w - 1);
    let v = cx.read_op(0, size, &mut addr);
    let sh = cx.b.binop(Opcode::Shr, v, n);
    let cf = cx.b.andi(sh, 1);
    if m != Mnemonic::Bt {
        let one = cx.b.movi(1);
        let b = cx.b.binop(Opcode::Shl, one, n);
        let nv = match m {
            Mnemonic::Bts => cx.b.or(v, b),
            Mnemonic::Btr => {
                let nb = cx.b.unop(Opcode::Not, b);
                cx.b.and(v, nb)
            }
            _ => cx.b.xor(v, b),
        };
        cx.write_op(0, size, nv, &mut addr);
    }
    // ZF is unaffected; OF, SF, AF and PF are undefined (left clear
    // where the incoming flags are known).
    if cx.cc_known.is_none() {
        return cx.set_cf_keeping_zf(cf);
    }
    let zf = cx.zf_flag();
    let flags = cx.b.or(cf, zf);
    cx.set_cc_eflags(flags);
}

/// BSF, BSR: the index of the lowest/highest set bit. A zero source sets
/// ZF and leaves the destination (all 64 bits) unchanged.
fn bit_scan(cx: &mut Cx, forward: bool) {
    let size = cx.op_size(0);
    let mut addr = None;
    let v = cx.read_op(1, size, &mut addr);
    let r = if forward {
        cx.b.unop(Opcode::Ctz, v)
    } else {
        let lz = cx.b.unop(Opcode::Clz, v);
        let k = cx.b.movi(63);
        cx.b.sub(k, lz)
    };
    let zero = cx.b.movi(0);
    // ZF = source is zero; CF, OF, SF, AF, PF are undefined. Recorded
    // before the write, which may replace the source register.
    cx.set_cc(CcKind::Logic, size, v, zero, None);
    let dst = cx.insn.op0_register();
    if size == 4 {
        let full = cx.g(super::operand::gpr(dst).expect("BSF/BSR to a GPR").index);
        let nv = cx.b.movcond(Cond::Eq, v, zero, full, r);
        cx.b.mov_to(full, nv);
    } else {
        let old = cx.read_reg(dst);
        let nv = cx.b.movcond(Cond::Eq, v, zero, old, r);
        cx.write_reg(dst, nv);
    }
}

/// LZCNT, TZCNT (CF = source is zero, ZF = result is zero) and POPCNT
/// (ZF = source is zero, the other flags clear).
fn count(cx: &mut Cx, m: Mnemonic) {
    let size = cx.op_size(0);
    let w = size as u64 * 8;
    let mut addr = None;
    let v = cx.read_op(1, size, &mut addr);
    let zero = cx.b.movi(0);
    let src_zero = cx.b.setcond(Cond::Eq, v, zero);
    let r = match m {
        Mnemonic::Popcnt => cx.b.unop(Opcode::Ctpop, v),
        Mnemonic::Lzcnt => {
            let lz = cx.b.unop(Opcode::Clz, v);
            let pad = cx.b.movi(64 - w);
            cx.b.sub(lz, pad)
        }
        _ if w == 64 => cx.b.unop(Opcode::Ctz, v),
        _ => {
            // A stop bit just above the operand makes a zero source count w.
            let stop = cx.b.movi(1 << w);
            let s = cx.b.or(v, stop);
            cx.b.unop(Opcode::Ctz, s)
        }
    };
    cx.write_op(0, size, r, &mut addr);
    let flags = if m == Mnemonic::Popcnt {
        cf_zf(cx, zero, src_zero)
    } else {
        let res_zero = cx.b.setcond(Cond::Eq, r, zero);
        cf_zf(cx, src_zero, res_zero)
    };
    cx.set_cc_eflags(flags);
}

/// BSWAP r32/r64; with a 16-bit operand (undefined in the SDM) the
/// register's low word becomes 0, as on the hardware.
fn bswap(cx: &mut Cx) {
    let r = cx.insn.op0_register();
    let v = cx.read_reg(r);
    let nv = match r.size() {
        8 => cx.b.unop(Opcode::Bswap64, v),
        4 => cx.b.unop(Opcode::Bswap32, v),
        _ => cx.b.movi(0),
    };
    cx.write_reg(r, nv);
}
