//! Lane rearrangement: register copies (MOVAPS), PUNPCK* (also UNPCK*PS/PD), PACK*, PSHUFD/LW/HW,
//! SHUFPS/PD, the SSSE3 PSHUFB/PALIGNR, and the SSE4.1 blends, INSERTPS
//! and PMOVSX/PMOVZX.

use super::lanes::{from_fn, get, Lane};
use super::HelperInfo;
use crate::cpu::CpuState;

/// Interleaves the low (or high) halves of `a` and `b`, `a` first.
pub(super) fn unpack<L: Lane>(a: u128, b: u128, high: bool) -> u128 {
    let half = (64 / L::BITS) as usize;
    let base = if high { half } else { 0 };
    from_fn(|i| get::<L>(if i % 2 == 0 { a } else { b }, base + i / 2))
}

/// Narrows the lanes of `a` then `b` (type `S`) into type `D`, saturating
/// to `D`'s range.
pub(super) fn pack<S: Lane, D: Lane>(a: u128, b: u128, lo: i128, hi: i128) -> u128 {
    let half = (64 / D::BITS) as usize;
    from_fn(|i| {
        let (v, j) = if i < half { (a, i) } else { (b, i - half) };
        D::from_bits(get::<S>(v, j).value().clamp(lo, hi) as u128)
    })
}

/// Selects lanes of `b` where `take_b(i)`, else of `a`.
fn blend<L: Lane>(a: u128, b: u128, take_b: impl Fn(usize) -> bool) -> u128 {
    from_fn(|i| get::<L>(if take_b(i) { b } else { a }, i))
}

/// Sign (or zero) extension of the low lanes of `b` from `S` to `D`.
fn extend<S: Lane, D: Lane>(b: u128) -> u128 {
    from_fn(|i| D::from_bits(get::<S>(b, i).value() as u128))
}

fn pshufb(a: u128, b: u128) -> u128 {
    from_fn::<u8>(|i| {
        let sel = get::<u8>(b, i);
        if sel & 0x80 != 0 {
            0
        } else {
            get::<u8>(a, (sel & 15) as usize)
        }
    })
}

fn palignr(a: u128, b: u128, imm: u8) -> u128 {
    let shift = imm as u32 * 8;
    match shift {
        0 => b,
        1..=127 => b >> shift | a << (128 - shift),
        128 => a,
        129..=255 => a >> (shift - 128),
        _ => 0,
    }
}

fn insertps(a: u128, b: u128, imm: u8) -> u128 {
    let v = get::<u32>(b, (imm >> 6) as usize);
    let dst = ((imm >> 4) & 3) as usize;
    from_fn::<u32>(|i| {
        if imm & (1 << i) != 0 {
            0
        } else if i == dst {
            v
        } else {
            get::<u32>(a, i)
        }
    })
}

fn shufps(a: u128, b: u128, imm: u8) -> u128 {
    from_fn::<u32>(|i| get::<u32>(if i < 2 { a } else { b }, (imm >> (2 * i)) as usize & 3))
}

/// PSHUFLW (`high` false) or PSHUFHW: shuffles four words of `b`, copies
/// the other four.
fn pshufw(b: u128, imm: u8, high: bool) -> u128 {
    let base = if high { 4 } else { 0 };
    from_fn::<u16>(|i| {
        if (base..base + 4).contains(&i) {
            get::<u16>(b, base + ((imm >> (2 * (i - base))) & 3) as usize)
        } else {
            get::<u16>(b, i)
        }
    })
}

/// The top bit of each `L` lane of `m`.
fn top_bit<L: Lane>(m: u128, i: usize) -> bool {
    get::<L>(m, i).bits() >> (L::BITS - 1) != 0
}

pure_ops! {
    PURE;
    /// MOVAPS (and every full register-to-register XMM move): a copy.
    MOVAPS = "movaps", |_, b, _| b;
    /// PUNPCKLBW: interleaves the low bytes.
    PUNPCKLBW = "punpcklbw", |a, b, _| unpack::<u8>(a, b, false);
    /// PUNPCKLWD: interleaves the low words.
    PUNPCKLWD = "punpcklwd", |a, b, _| unpack::<u16>(a, b, false);
    /// PUNPCKLDQ (also UNPCKLPS): interleaves the low doublewords.
    PUNPCKLDQ = "punpckldq", |a, b, _| unpack::<u32>(a, b, false);
    /// PUNPCKLQDQ (also UNPCKLPD): the low quadwords of both.
    PUNPCKLQDQ = "punpcklqdq", |a, b, _| unpack::<u64>(a, b, false);
    /// PUNPCKHBW: interleaves the high bytes.
    PUNPCKHBW = "punpckhbw", |a, b, _| unpack::<u8>(a, b, true);
    /// PUNPCKHWD: interleaves the high words.
    PUNPCKHWD = "punpckhwd", |a, b, _| unpack::<u16>(a, b, true);
    /// PUNPCKHDQ (also UNPCKHPS): interleaves the high doublewords.
    PUNPCKHDQ = "punpckhdq", |a, b, _| unpack::<u32>(a, b, true);
    /// PUNPCKHQDQ (also UNPCKHPD): the high quadwords of both.
    PUNPCKHQDQ = "punpckhqdq", |a, b, _| unpack::<u64>(a, b, true);
    /// PACKSSWB: signed words to signed bytes with saturation.
    PACKSSWB = "packsswb", |a, b, _| pack::<i16, i8>(a, b, -128, 127);
    /// PACKUSWB: signed words to unsigned bytes with saturation.
    PACKUSWB = "packuswb", |a, b, _| pack::<i16, u8>(a, b, 0, 255);
    /// PACKSSDW: signed doublewords to signed words with saturation.
    PACKSSDW = "packssdw", |a, b, _| pack::<i32, i16>(a, b, -32768, 32767);
    /// PACKUSDW (SSE4.1): signed doublewords to unsigned words with saturation.
    PACKUSDW = "packusdw", |a, b, _| pack::<i32, u16>(a, b, 0, 65535);
    /// PSHUFD: doublewords of the source picked by the immediate.
    PSHUFD = "pshufd", |_, b, c| from_fn::<u32>(|i| get::<u32>(b, (c >> (2 * i)) as usize & 3));
    /// PSHUFLW: low words of the source picked by the immediate.
    PSHUFLW = "pshuflw", |_, b, c| pshufw(b, c as u8, false);
    /// PSHUFHW: high words of the source picked by the immediate.
    PSHUFHW = "pshufhw", |_, b, c| pshufw(b, c as u8, true);
    /// SHUFPS: two doublewords of the destination, two of the source.
    SHUFPS = "shufps", |a, b, c| shufps(a, b, c as u8);
    /// SHUFPD: one quadword of the destination, one of the source.
    SHUFPD = "shufpd", |a, b, c| {
        get::<u64>(a, c as usize & 1) as u128 | (get::<u64>(b, (c as usize >> 1) & 1) as u128) << 64
    };
    /// PSHUFB (SSSE3): bytes of the destination picked by the source bytes.
    PSHUFB = "pshufb", |a, b, _| pshufb(a, b);
    /// PALIGNR (SSSE3): the destination:source pair shifted right by bytes.
    PALIGNR = "palignr", |a, b, c| palignr(a, b, c as u8);
    /// PBLENDW (SSE4.1): words of the source where the immediate has a 1.
    PBLENDW = "pblendw", |a, b, c| blend::<u16>(a, b, |i| c >> i & 1 != 0);
    /// BLENDPS (SSE4.1): doublewords of the source where the immediate has a 1.
    BLENDPS = "blendps", |a, b, c| blend::<u32>(a, b, |i| c >> i & 1 != 0);
    /// BLENDPD (SSE4.1): quadwords of the source where the immediate has a 1.
    BLENDPD = "blendpd", |a, b, c| blend::<u64>(a, b, |i| c >> i & 1 != 0);
    /// PBLENDVB (SSE4.1): bytes of the source where XMM0's byte is negative.
    PBLENDVB = "pblendvb", |a, b, m| blend::<u8>(a, b, |i| top_bit::<u8>(m, i));
    /// BLENDVPS (SSE4.1): doublewords of the source where XMM0's are negative.
    BLENDVPS = "blendvps", |a, b, m| blend::<u32>(a, b, |i| top_bit::<u32>(m, i));
    /// BLENDVPD (SSE4.1): quadwords of the source where XMM0's are negative.
    BLENDVPD = "blendvpd", |a, b, m| blend::<u64>(a, b, |i| top_bit::<u64>(m, i));
    /// INSERTPS (SSE4.1): one doubleword inserted, others optionally zeroed.
    INSERTPS = "insertps", |a, b, c| insertps(a, b, c as u8);
    /// PMOVSXBW (SSE4.1): low bytes sign-extended to words.
    PMOVSXBW = "pmovsxbw", |_, b, _| extend::<i8, u16>(b);
    /// PMOVSXBD (SSE4.1): low bytes sign-extended to doublewords.
    PMOVSXBD = "pmovsxbd", |_, b, _| extend::<i8, u32>(b);
    /// PMOVSXBQ (SSE4.1): low bytes sign-extended to quadwords.
    PMOVSXBQ = "pmovsxbq", |_, b, _| extend::<i8, u64>(b);
    /// PMOVSXWD (SSE4.1): low words sign-extended to doublewords.
    PMOVSXWD = "pmovsxwd", |_, b, _| extend::<i16, u32>(b);
    /// PMOVSXWQ (SSE4.1): low words sign-extended to quadwords.
    PMOVSXWQ = "pmovsxwq", |_, b, _| extend::<i16, u64>(b);
    /// PMOVSXDQ (SSE4.1): low doublewords sign-extended to quadwords.
    PMOVSXDQ = "pmovsxdq", |_, b, _| extend::<i32, u64>(b);
    /// PMOVZXBW (SSE4.1): low bytes zero-extended to words.
    PMOVZXBW = "pmovzxbw", |_, b, _| extend::<u8, u16>(b);
    /// PMOVZXBD (SSE4.1): low bytes zero-extended to doublewords.
    PMOVZXBD = "pmovzxbd", |_, b, _| extend::<u8, u32>(b);
    /// PMOVZXBQ (SSE4.1): low bytes zero-extended to quadwords.
    PMOVZXBQ = "pmovzxbq", |_, b, _| extend::<u8, u64>(b);
    /// PMOVZXWD (SSE4.1): low words zero-extended to doublewords.
    PMOVZXWD = "pmovzxwd", |_, b, _| extend::<u16, u32>(b);
    /// PMOVZXWQ (SSE4.1): low words zero-extended to quadwords.
    PMOVZXWQ = "pmovzxwq", |_, b, _| extend::<u16, u64>(b);
    /// PMOVZXDQ (SSE4.1): low doublewords zero-extended to quadwords.
    PMOVZXDQ = "pmovzxdq", |_, b, _| extend::<u32, u64>(b);
}

#[cfg(test)]
mod tests {
    use super::super::native::{check_binary, check_binary_imm, inputs, run};
    use super::*;

    #[test]
    fn unpack_and_pack_match_host() {
        check_binary!(PUNPCKLBW, "punpcklbw");
        check_binary!(PUNPCKLWD, "punpcklwd");
        check_binary!(PUNPCKLDQ, "punpckldq");
        check_binary!(PUNPCKLQDQ, "punpcklqdq");
        check_binary!(PUNPCKHBW, "punpckhbw");
        check_binary!(PUNPCKHWD, "punpckhwd");
        check_binary!(PUNPCKHDQ, "punpckhdq");
        check_binary!(PUNPCKHQDQ, "punpckhqdq");
        check_binary!(PUNPCKLDQ, "unpcklps");
        check_binary!(PUNPCKHDQ, "unpckhps");
        check_binary!(PUNPCKLQDQ, "unpcklpd");
        check_binary!(PUNPCKHQDQ, "unpckhpd");
        check_binary!(PACKSSWB, "packsswb");
        check_binary!(PACKUSWB, "packuswb");
        check_binary!(PACKSSDW, "packssdw");
        check_binary!(PACKUSDW, "packusdw");
        check_binary!(PSHUFB, "pshufb");
    }

    #[test]
    fn shuffles_match_host() {
        check_binary_imm!(PSHUFD, "pshufd", 0, 0x1b, 0x4e, 0xb1, 0xff, 0xe4, 0x93);
        check_binary_imm!(PSHUFLW, "pshuflw", 0, 0x1b, 0x4e, 0xb1, 0xff, 0xe4);
        check_binary_imm!(PSHUFHW, "pshufhw", 0, 0x1b, 0x4e, 0xb1, 0xff, 0xe4);
        check_binary_imm!(SHUFPS, "shufps", 0, 0x1b, 0x4e, 0xb1, 0xff, 0xe4, 0x93);
        check_binary_imm!(SHUFPD, "shufpd", 0, 1, 2, 3, 0xfe);
        check_binary_imm!(PALIGNR, "palignr", 0, 1, 5, 8, 15, 16, 17, 24, 31, 32, 200);
        check_binary_imm!(PBLENDW, "pblendw", 0, 0x55, 0xa3, 0xff);
        check_binary_imm!(BLENDPS, "blendps", 0, 5, 0xa, 0xf);
        check_binary_imm!(BLENDPD, "blendpd", 0, 1, 2, 3);
        check_binary_imm!(INSERTPS, "insertps", 0, 0x10, 0x25, 0x7a, 0xc3, 0xf0, 0xbf);
    }

    #[test]
    fn extensions_match_host() {
        check_binary!(PMOVSXBW, "pmovsxbw");
        check_binary!(PMOVSXBD, "pmovsxbd");
        check_binary!(PMOVSXBQ, "pmovsxbq");
        check_binary!(PMOVSXWD, "pmovsxwd");
        check_binary!(PMOVSXWQ, "pmovsxwq");
        check_binary!(PMOVSXDQ, "pmovsxdq");
        check_binary!(PMOVZXBW, "pmovzxbw");
        check_binary!(PMOVZXBD, "pmovzxbd");
        check_binary!(PMOVZXBQ, "pmovzxbq");
        check_binary!(PMOVZXWD, "pmovzxwd");
        check_binary!(PMOVZXWQ, "pmovzxwq");
        check_binary!(PMOVZXDQ, "pmovzxdq");
    }

    /// Runs `insn x, y, xmm0` natively with the mask in XMM0.
    macro_rules! native_blendv {
        ($insn:literal, $a:expr, $b:expr, $m:expr) => {{
            use core::arch::x86_64::__m128i;
            // SAFETY: u128 and __m128i are both 16 bytes of plain data.
            let mut x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($a) };
            // SAFETY: as above.
            let y: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($b) };
            // SAFETY: as above.
            let m: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($m) };
            // SAFETY: one SSE instruction on registers.
            unsafe {
                core::arch::asm!(
                    concat!($insn, " {x}, {y}, xmm0"),
                    x = inout(xmm_reg) x,
                    y = in(xmm_reg) y,
                    in("xmm0") m,
                    options(nostack, preserves_flags),
                );
            }
            // SAFETY: as above.
            unsafe { core::mem::transmute::<__m128i, u128>(x) }
        }};
    }

    #[test]
    fn variable_blends_match_host() {
        for ((a, b), (m, _)) in inputs().zip(inputs().skip(7)) {
            assert_eq!(run(&PBLENDVB, a, b, m), native_blendv!("pblendvb", a, b, m));
            assert_eq!(run(&BLENDVPS, a, b, m), native_blendv!("blendvps", a, b, m));
            assert_eq!(run(&BLENDVPD, a, b, m), native_blendv!("blendvpd", a, b, m));
        }
    }
}
