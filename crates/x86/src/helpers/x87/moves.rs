//! x87 register moves done on `X87State` itself. FXCH, FLD ST(i), FST
//! ST(i), FSTP ST(i), FLDZ and FLD1 copy 80-bit values and move TOP, with
//! no arithmetic: when their operands are present (no stack fault) and no
//! unmasked exception is pending, their whole effect is known (SDM vol. 2,
//! each instruction's "FPU Flags Affected" and "Floating-Point
//! Exceptions": a register-to-register copy converts nothing and raises
//! nothing). The value moves, the tags follow it, C1 is cleared, and
//! nothing else changes. The loads FILD m16/m32/m64 and FLD m32/m64 of a
//! zero, an infinity or a normal number are pushes too: every such value
//! has an exact 80-bit form and raises nothing (denormals and NaNs, which
//! may raise DE or IE, are left to the host). Anything else runs on the host FPU (`host`),
//! which costs an FRSTOR and an FNSAVE per instruction. Each function
//! returns false, having changed nothing, when it leaves the instruction
//! to the host.

use super::host::pending;
use crate::cpu::X87State;

/// C1 in the status word.
const C1: u16 = 1 << 9;

/// +0.0 and +1.0 as 80-bit extended values.
const ZERO: [u8; 10] = [0; 10];
const ONE: [u8; 10] = [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f];

/// The physical register of ST(i).
fn phys(x: &X87State, i: usize) -> usize {
    (x.top as usize + i) & 7
}

fn valid(x: &X87State, p: usize) -> bool {
    x.ftw & (1 << p) != 0
}

fn value(x: &X87State, p: usize) -> [u8; 10] {
    let mut v = [0; 10];
    v.copy_from_slice(&x.regs[p][..10]);
    v
}

/// Pushes `v` unless the register it goes to is in use (stack overflow).
fn push(x: &mut X87State, v: [u8; 10]) -> bool {
    let d = phys(x, 7);
    if pending(x) || valid(x, d) {
        return false;
    }
    x.regs[d][..10].copy_from_slice(&v);
    x.top = d as u32;
    x.ftw |= 1 << d;
    x.fsw &= !C1;
    true
}

/// The 80-bit value of sign `neg`, biased exponent `exp` and significand
/// `mant` (explicit integer bit).
fn f80(neg: bool, exp: u16, mant: u64) -> [u8; 10] {
    let mut v = [0; 10];
    v[..8].copy_from_slice(&mant.to_le_bytes());
    v[8..].copy_from_slice(&(exp | (neg as u16) << 15).to_le_bytes());
    v
}

/// The 80-bit form of a binary32 or binary64 `bits` (`frac` fraction
/// bits, exponent bias `bias`), if it is a zero, an infinity or normal.
fn widened(bits: u64, frac: u32, bias: u16) -> Option<[u8; 10]> {
    let exp_bits = if frac == 23 { 8 } else { 11 };
    let neg = bits >> (frac + exp_bits) & 1 != 0;
    let e = (bits >> frac) & ((1 << exp_bits) - 1);
    let f = bits & ((1 << frac) - 1);
    match (e, f) {
        (0, 0) => Some(f80(neg, 0, 0)),
        (0, _) => None,
        (e, 0) if e == (1 << exp_bits) - 1 => Some(f80(neg, 0x7fff, 1 << 63)),
        (e, _) if e == (1 << exp_bits) - 1 => None,
        (e, f) => Some(f80(
            neg,
            e as u16 + 16383 - bias,
            1 << 63 | f << (63 - frac),
        )),
    }
}

/// FLD m32: `v`'s low 32 bits.
pub fn fld_m32(x: &mut X87State, v: u64) -> bool {
    widened(v & 0xffff_ffff, 23, 127).is_some_and(|w| push(x, w))
}

/// FLD m64.
pub fn fld_m64(x: &mut X87State, v: u64) -> bool {
    widened(v, 52, 1023).is_some_and(|w| push(x, w))
}

/// The 80-bit form of integer `i` (always exact).
fn integer(i: i64) -> [u8; 10] {
    if i == 0 {
        return f80(false, 0, 0);
    }
    let m = i.unsigned_abs();
    let lz = m.leading_zeros();
    f80(i < 0, (16383 + 63 - lz) as u16, m << lz)
}

/// FILD m16: `v`'s low 16 bits.
pub fn fild_m16(x: &mut X87State, v: u64) -> bool {
    push(x, integer(v as u16 as i16 as i64))
}

/// FILD m32.
pub fn fild_m32(x: &mut X87State, v: u64) -> bool {
    push(x, integer(v as u32 as i32 as i64))
}

/// FILD m64.
pub fn fild_m64(x: &mut X87State, v: u64) -> bool {
    push(x, integer(v as i64))
}

/// FXCH ST(i), both registers in use.
pub fn fxch(x: &mut X87State, i: usize) -> bool {
    let (a, b) = (phys(x, 0), phys(x, i));
    if pending(x) || !valid(x, a) || !valid(x, b) {
        return false;
    }
    x.regs.swap(a, b);
    x.fsw &= !C1;
    true
}

/// FLD ST(i), ST(i) in use.
pub fn fld_sti(x: &mut X87State, i: usize) -> bool {
    let s = phys(x, i);
    valid(x, s) && push(x, value(x, s))
}

/// FLDZ.
pub fn fldz(x: &mut X87State) -> bool {
    push(x, ZERO)
}

/// FLD1.
pub fn fld1(x: &mut X87State) -> bool {
    push(x, ONE)
}

/// FST ST(i) (`pop` false) or FSTP ST(i), ST(0) in use.
pub fn fst_sti(x: &mut X87State, i: usize, pop: bool) -> bool {
    let (s, d) = (phys(x, 0), phys(x, i));
    if pending(x) || !valid(x, s) {
        return false;
    }
    let v = value(x, s);
    x.regs[d][..10].copy_from_slice(&v);
    x.ftw |= 1 << d;
    if pop {
        x.ftw &= !(1 << s);
        x.top = ((s + 1) & 7) as u32;
    }
    x.fsw &= !C1;
    true
}

/// FSTP ST(i).
pub fn fstp_sti(x: &mut X87State, i: usize) -> bool {
    fst_sti(x, i, true)
}

/// FST ST(i).
pub fn fst_sti_keep(x: &mut X87State, i: usize) -> bool {
    fst_sti(x, i, false)
}

/// For the helpers that always run on the host (`x87_helper!`'s `plain`).
pub fn host_only_plain(_: &mut X87State) -> bool {
    false
}

/// For the helpers that always run on the host (`x87_helper!`'s `sti`).
pub fn host_only_sti(_: &mut X87State, _: usize) -> bool {
    false
}

/// For the helpers that always run on the host (`x87_helper!`'s `load`).
pub fn host_only_load(_: &mut X87State, _: u64) -> bool {
    false
}
