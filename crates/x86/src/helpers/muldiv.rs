//! Division helpers for DIV and IDIV: the quotient of a double-width
//! dividend, or #DE for a zero divisor or a quotient that does not fit.

use super::HelperInfo;
use crate::cpu::{excp, CpuState};

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[&DIV, &IDIV];

/// Unsigned quotient of `hi:lo` (each `size` bytes) by `divisor`, or
/// `None` where DIV raises #DE.
pub fn div_unsigned(hi: u64, lo: u64, divisor: u64, size: u64) -> Option<u64> {
    let bits = size * 8;
    let mask = u64::MAX >> (64 - bits);
    let divisor = divisor & mask;
    if divisor == 0 {
        return None;
    }
    let dividend = (((hi & mask) as u128) << bits) | (lo & mask) as u128;
    let q = dividend / divisor as u128;
    (q <= mask as u128).then_some(q as u64)
}

/// Signed quotient of `hi:lo` (each `size` bytes, two's complement) by
/// `divisor`, truncated toward zero, or `None` where IDIV raises #DE.
pub fn div_signed(hi: u64, lo: u64, divisor: u64, size: u64) -> Option<u64> {
    let bits = size as u32 * 8;
    let mask = u64::MAX >> (64 - bits);
    let raw = (((hi & mask) as u128) << bits) | (lo & mask) as u128;
    let unused = 128 - 2 * bits;
    let dividend = ((raw << unused) as i128) >> unused;
    let divisor = (((divisor << (64 - bits)) as i64) >> (64 - bits)) as i128;
    if divisor == 0 {
        return None;
    }
    let q = dividend.checked_div(divisor)?;
    let limit = 1i128 << (bits - 1);
    (-limit..limit).contains(&q).then_some(q as u64 & mask)
}

extern "C" fn div(env: &mut CpuState, hi: u64, lo: u64, divisor: u64, size: u64, _: u64) -> u64 {
    div_unsigned(hi, lo, divisor, size).unwrap_or_else(|| {
        env.raise(excp::DE, 0, false);
        0
    })
}

extern "C" fn idiv(env: &mut CpuState, hi: u64, lo: u64, divisor: u64, size: u64, _: u64) -> u64 {
    div_signed(hi, lo, divisor, size).unwrap_or_else(|| {
        env.raise(excp::DE, 0, false);
        0
    })
}

/// `div(hi, lo, divisor, size)` -> unsigned quotient of hi:lo / divisor; #DE on error.
pub static DIV: HelperInfo = HelperInfo {
    name: "div",
    func: div,
};

/// `idiv(hi, lo, divisor, size)` -> signed quotient of hi:lo / divisor; #DE on error.
pub static IDIV: HelperInfo = HelperInfo {
    name: "idiv",
    func: idiv,
};
