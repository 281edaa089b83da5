//! Packed shifts PSLL/PSRL/PSRA (W, D, Q) and the byte shifts
//! PSLLDQ/PSRLDQ. The count is the source operand's low quadword, or for
//! the immediate forms (`IMM`, the byte shifts among them) the immediate.

use super::lanes::{map1, Lane};
use super::HelperInfo;
use crate::cpu::CpuState;

/// Logical left shift of each lane; counts past the width give zero.
fn sll<L: Lane>(a: u128, count: u64) -> u128 {
    if count >= L::BITS as u64 {
        return 0;
    }
    map1::<L>(a, |x| L::from_bits(x.bits() << count))
}

/// Logical right shift of each lane; counts past the width give zero.
fn srl<L: Lane>(a: u128, count: u64) -> u128 {
    if count >= L::BITS as u64 {
        return 0;
    }
    map1::<L>(a, |x| L::from_bits(x.bits() >> count))
}

/// Arithmetic right shift of each (signed) lane; counts past the width
/// fill with the sign.
fn sra<L: Lane>(a: u128, count: u64) -> u128 {
    let count = count.min(L::BITS as u64 - 1);
    map1::<L>(a, |x| L::from_bits((x.value() >> count) as u128))
}

/// Byte count of PSLLDQ/PSRLDQ as a bit count (16 or more clears).
fn bytes(count: u64) -> Option<u32> {
    (count < 16).then_some(count as u32 * 8)
}

pure_ops! {
    PURE;
    /// PSLLW: words shifted left by the count.
    PSLLW = "psllw", |a, b, _| sll::<u16>(a, b as u64);
    /// PSLLD: doublewords shifted left by the count.
    PSLLD = "pslld", |a, b, _| sll::<u32>(a, b as u64);
    /// PSLLQ: quadwords shifted left by the count.
    PSLLQ = "psllq", |a, b, _| sll::<u64>(a, b as u64);
    /// PSRLW: words shifted right (logical) by the count.
    PSRLW = "psrlw", |a, b, _| srl::<u16>(a, b as u64);
    /// PSRLD: doublewords shifted right (logical) by the count.
    PSRLD = "psrld", |a, b, _| srl::<u32>(a, b as u64);
    /// PSRLQ: quadwords shifted right (logical) by the count.
    PSRLQ = "psrlq", |a, b, _| srl::<u64>(a, b as u64);
    /// PSRAW: words shifted right (arithmetic) by the count.
    PSRAW = "psraw", |a, b, _| sra::<i16>(a, b as u64);
    /// PSRAD: doublewords shifted right (arithmetic) by the count.
    PSRAD = "psrad", |a, b, _| sra::<i32>(a, b as u64);
}

pure_ops! {
    IMM;
    /// PSLLW by an immediate count.
    PSLLW_IMM = "psllw_imm", |a, _, c| sll::<u16>(a, c as u64);
    /// PSLLD by an immediate count.
    PSLLD_IMM = "pslld_imm", |a, _, c| sll::<u32>(a, c as u64);
    /// PSLLQ by an immediate count.
    PSLLQ_IMM = "psllq_imm", |a, _, c| sll::<u64>(a, c as u64);
    /// PSRLW by an immediate count.
    PSRLW_IMM = "psrlw_imm", |a, _, c| srl::<u16>(a, c as u64);
    /// PSRLD by an immediate count.
    PSRLD_IMM = "psrld_imm", |a, _, c| srl::<u32>(a, c as u64);
    /// PSRLQ by an immediate count.
    PSRLQ_IMM = "psrlq_imm", |a, _, c| srl::<u64>(a, c as u64);
    /// PSRAW by an immediate count.
    PSRAW_IMM = "psraw_imm", |a, _, c| sra::<i16>(a, c as u64);
    /// PSRAD by an immediate count.
    PSRAD_IMM = "psrad_imm", |a, _, c| sra::<i32>(a, c as u64);
    /// PSLLDQ: the register shifted left by the immediate in bytes.
    PSLLDQ = "pslldq", |a, _, c| bytes(c as u64).map_or(0, |s| a << s);
    /// PSRLDQ: the register shifted right by the immediate in bytes.
    PSRLDQ = "psrldq", |a, _, c| bytes(c as u64).map_or(0, |s| a >> s);
}

#[cfg(test)]
mod tests {
    use super::super::native::{inputs, native_xx, run};
    use super::*;

    /// Runs the register-only form `insn x, imm` natively.
    macro_rules! native_x_imm {
        ($insn:literal, $a:expr, $imm:literal) => {{
            use core::arch::x86_64::__m128i;
            // SAFETY: u128 and __m128i are both 16 bytes of plain data.
            let mut x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($a) };
            // SAFETY: one SSE instruction on a register.
            unsafe {
                core::arch::asm!(
                    concat!($insn, " {x}, ", $imm),
                    x = inout(xmm_reg) x,
                    options(nostack, preserves_flags),
                );
            }
            // SAFETY: as above.
            unsafe { core::mem::transmute::<__m128i, u128>(x) }
        }};
    }

    /// Checks `h` with XMM counts, then with immediate counts.
    macro_rules! check_shift {
        ($h:expr, $himm:expr, $insn:literal) => {
            for (a, _) in inputs().take(150) {
                for count in [
                    0u128,
                    1,
                    3,
                    7,
                    8,
                    15,
                    16,
                    31,
                    32,
                    33,
                    63,
                    64,
                    65,
                    255,
                    1 << 64,
                ] {
                    let want = native_xx!($insn, a, count);
                    let got = run(&$h, a, count, 0);
                    assert_eq!(got, want, "{} {a:#x} by {count:#x}", $insn);
                }
                for (count, want) in [
                    (0, native_x_imm!($insn, a, 0)),
                    (5, native_x_imm!($insn, a, 5)),
                    (15, native_x_imm!($insn, a, 15)),
                    (31, native_x_imm!($insn, a, 31)),
                    (40, native_x_imm!($insn, a, 40)),
                    (200, native_x_imm!($insn, a, 200)),
                ] {
                    assert_eq!(run(&$himm, a, 0, count), want, "{} {a:#x}, {count}", $insn);
                }
            }
        };
    }

    #[test]
    fn element_shifts_match_host() {
        check_shift!(PSLLW, PSLLW_IMM, "psllw");
        check_shift!(PSLLD, PSLLD_IMM, "pslld");
        check_shift!(PSLLQ, PSLLQ_IMM, "psllq");
        check_shift!(PSRLW, PSRLW_IMM, "psrlw");
        check_shift!(PSRLD, PSRLD_IMM, "psrld");
        check_shift!(PSRLQ, PSRLQ_IMM, "psrlq");
        check_shift!(PSRAW, PSRAW_IMM, "psraw");
        check_shift!(PSRAD, PSRAD_IMM, "psrad");
    }

    #[test]
    fn byte_shifts_match_host() {
        let a = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100u128;
        for (count, l, r) in [
            (
                0,
                native_x_imm!("pslldq", a, 0),
                native_x_imm!("psrldq", a, 0),
            ),
            (
                1,
                native_x_imm!("pslldq", a, 1),
                native_x_imm!("psrldq", a, 1),
            ),
            (
                7,
                native_x_imm!("pslldq", a, 7),
                native_x_imm!("psrldq", a, 7),
            ),
            (
                8,
                native_x_imm!("pslldq", a, 8),
                native_x_imm!("psrldq", a, 8),
            ),
            (
                15,
                native_x_imm!("pslldq", a, 15),
                native_x_imm!("psrldq", a, 15),
            ),
            (
                16,
                native_x_imm!("pslldq", a, 16),
                native_x_imm!("psrldq", a, 16),
            ),
            (
                255,
                native_x_imm!("pslldq", a, 255),
                native_x_imm!("psrldq", a, 255),
            ),
        ] {
            assert_eq!(run(&PSLLDQ, a, 0, count), l, "pslldq {count}");
            assert_eq!(run(&PSRLDQ, a, 0, count), r, "psrldq {count}");
        }
    }
}
