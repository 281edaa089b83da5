//! Division helpers for DIV and IDIV: the quotient of a double-width
//! dividend, or #DE for a zero divisor or a quotient that does not fit.

use super::HelperInfo;
use crate::cpu::{excp, CpuState};

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[&DIV, &IDIV];

/// `hi:lo / d` on the host's DIV r64; the caller makes sure that
/// `hi < d`, so that the quotient fits and the instruction cannot fault.
fn host_divq(hi: u64, lo: u64, d: u64) -> u64 {
    debug_assert!(hi < d);
    let (mut q, mut r) = (lo, hi);
    // SAFETY: a register-only division that cannot fault (hi < d).
    unsafe {
        std::arch::asm!(
            "div {d}",
            d = in(reg) d,
            inout("rax") q,
            inout("rdx") r,
            options(pure, nomem, nostack),
        );
    }
    let _ = r;
    q
}

/// Unsigned quotient of `hi:lo` (each `size` bytes) by `divisor`, or
/// `None` where DIV raises #DE. Up to 32-bit halves the dividend fits a
/// u64; 64-bit ones go to the host's DIV once the quotient is known to fit.
pub fn div_unsigned(hi: u64, lo: u64, divisor: u64, size: u64) -> Option<u64> {
    let bits = size * 8;
    let mask = u64::MAX >> (64 - bits);
    let (hi, lo, divisor) = (hi & mask, lo & mask, divisor & mask);
    if divisor == 0 {
        return None;
    }
    if size == 8 {
        return (hi < divisor).then(|| host_divq(hi, lo, divisor));
    }
    let q = (hi << bits | lo) / divisor;
    (q <= mask).then_some(q)
}

/// Signed quotient of `hi:lo` (each `size` bytes, two's complement) by
/// `divisor`, truncated toward zero, or `None` where IDIV raises #DE. The
/// 64-bit form divides the magnitudes on the host's DIV.
pub fn div_signed(hi: u64, lo: u64, divisor: u64, size: u64) -> Option<u64> {
    let bits = size as u32 * 8;
    let mask = u64::MAX >> (64 - bits);
    if size < 8 {
        let raw = ((hi & mask) << bits) | (lo & mask);
        let unused = 64 - 2 * bits;
        let dividend = ((raw << unused) as i64) >> unused;
        let divisor = ((divisor << (64 - bits)) as i64) >> (64 - bits);
        if divisor == 0 {
            return None;
        }
        let q = dividend.checked_div(divisor)?;
        let limit = 1i64 << (bits - 1);
        return (-limit..limit).contains(&q).then_some(q as u64 & mask);
    }
    if divisor == 0 {
        return None;
    }
    let negative = (hi as i64) < 0;
    let n = (hi as u128) << 64 | lo as u128;
    let n = if negative { n.wrapping_neg() } else { n };
    let d = (divisor as i64).unsigned_abs();
    let (nh, nl) = ((n >> 64) as u64, n as u64);
    if nh >= d {
        return None;
    }
    let q = host_divq(nh, nl, d);
    if negative != ((divisor as i64) < 0) {
        (q <= 1 << 63).then(|| q.wrapping_neg())
    } else {
        (q < 1 << 63).then_some(q)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::arch::asm;

    /// The host's DIV/IDIV r/m64 on rdx:rax (quotient, remainder); the
    /// caller makes sure it does not fault.
    fn host_div64(signed: bool, hi: u64, lo: u64, d: u64) -> u64 {
        let (mut q, mut r) = (lo, hi);
        // SAFETY: register-only division; callers exclude #DE inputs.
        unsafe {
            if signed {
                asm!("idiv {d}", d = in(reg) d, inout("rax") q, inout("rdx") r);
            } else {
                asm!("div {d}", d = in(reg) d, inout("rax") q, inout("rdx") r);
            }
        }
        let _ = r;
        q
    }

    /// The host's DIV/IDIV r/m32 on edx:eax.
    fn host_div32(signed: bool, hi: u64, lo: u64, d: u64) -> u64 {
        let (mut q, mut r) = (lo as u32, hi as u32);
        // SAFETY: as above.
        unsafe {
            if signed {
                asm!("idiv {d:e}", d = in(reg) d as u32, inout("eax") q, inout("edx") r);
            } else {
                asm!("div {d:e}", d = in(reg) d as u32, inout("eax") q, inout("edx") r);
            }
        }
        let _ = r;
        q as u64
    }

    /// The definitions, on 128-bit integers: what DIV and IDIV compute.
    fn reference(signed: bool, hi: u64, lo: u64, divisor: u64, size: u64) -> Option<u64> {
        let bits = size as u32 * 8;
        let mask = u64::MAX >> (64 - bits);
        let raw = (((hi & mask) as u128) << bits) | (lo & mask) as u128;
        if !signed {
            let d = (divisor & mask) as u128;
            let q = raw.checked_div(d)?;
            return (q <= mask as u128).then_some(q as u64);
        }
        let unused = 128 - 2 * bits;
        let n = ((raw << unused) as i128) >> unused;
        let d = (((divisor << (64 - bits)) as i64) >> (64 - bits)) as i128;
        let q = n.checked_div(d)?;
        let limit = 1i128 << (bits - 1);
        (-limit..limit).contains(&q).then_some(q as u64 & mask)
    }

    #[test]
    fn quotients_and_errors_match_the_definition() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let edges = [
            0,
            1,
            2,
            3,
            7,
            1 << 31,
            1 << 63,
            u64::MAX,
            u64::MAX - 1,
            i64::MAX as u64,
        ];
        for i in 0..200_000 {
            let pick = |v: u64, k: u64| {
                if k.is_multiple_of(3) {
                    edges[(v % 10) as usize]
                } else {
                    v
                }
            };
            let (a, b, c) = (next(), next(), next());
            let d = pick(c >> (a % 64), b);
            let lo = pick(b, a >> 3);
            let hi = match i % 3 {
                0 => ((lo as i64) >> 63) as u64,
                1 => pick(a, c),
                _ => a >> (c % 64),
            };
            for size in [1u64, 2, 4, 8] {
                for signed in [false, true] {
                    let ours = if signed {
                        div_signed(hi, lo, d, size)
                    } else {
                        div_unsigned(hi, lo, d, size)
                    };
                    let want = reference(signed, hi, lo, d, size);
                    assert_eq!(ours, want, "{signed} {size} {hi:#x}:{lo:#x} / {d:#x}");
                }
            }
        }
    }

    #[test]
    fn quotients_match_the_host() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..20_000 {
            let d = match i % 4 {
                0 => next() >> (next() % 64),
                1 => (next() % 7).wrapping_sub(3),
                _ => next(),
            };
            let lo = next();
            let hi = if i % 2 == 0 {
                next()
            } else {
                ((lo as i64) >> 63) as u64
            };
            for size in [4u64, 8] {
                for signed in [false, true] {
                    let ours = if signed {
                        div_signed(hi, lo, d, size)
                    } else {
                        div_unsigned(hi, lo, d, size)
                    };
                    if let Some(q) = ours {
                        let host = if size == 8 {
                            host_div64(signed, hi, lo, d)
                        } else {
                            host_div32(signed, hi, lo, d)
                        };
                        assert_eq!(q, host, "{signed} {size} {hi:#x}:{lo:#x} / {d:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn divide_errors() {
        assert_eq!(div_unsigned(0, 5, 0, 8), None);
        assert_eq!(div_unsigned(1, 0, 1, 4), None);
        // AX = 0xffff / 0xff = 0x101 does not fit AL; 0xfe01 / 0xff does.
        assert_eq!(div_unsigned(0xff, 0xff, 0xff, 1), None);
        assert_eq!(div_unsigned(0xfe, 0x01, 0xff, 1), Some(0xff));
        for size in [1u64, 2, 4, 8] {
            let bits = size * 8;
            let min = 1u64 << (bits - 1);
            let all = u64::MAX >> (64 - bits);
            // INT_MIN / -1 overflows; INT_MIN / 1 does not.
            assert_eq!(div_signed(all, min, all, size), None, "size {size}");
            assert_eq!(div_signed(all, min, 1, size), Some(min), "size {size}");
            assert_eq!(div_signed(0, 7, 0, size), None);
            // -7 / 2 = -3 (truncation toward zero).
            assert_eq!(div_signed(all, all - 6, 2, size), Some(all - 2));
        }
    }
}
