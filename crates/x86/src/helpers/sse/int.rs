//! Packed integer arithmetic: PADD*/PSUB* (wrapping and saturating),
//! multiplies, PMADDWD, PSADBW, PAVG*, PMIN*/PMAX* (SSE2, SSE4.1), the
//! SSSE3 PABS/PSIGN/PHADD/PHSUB/PMADDUBSW/PMULHRSW, and the SSE4.1
//! PMULLD/PMULDQ/PHMINPOSUW/MPSADBW.

use super::lanes::{from_fn, get, map1, map2};
use super::HelperInfo;
use crate::cpu::CpuState;

/// Horizontal op on adjacent pairs: lanes from `a` first, then from `b`.
pub(super) fn horizontal<L: super::lanes::Lane>(a: u128, b: u128, f: impl Fn(L, L) -> L) -> u128 {
    let half = (64 / L::BITS) as usize;
    from_fn(|i| {
        let (v, j) = if i < half { (a, i) } else { (b, i - half) };
        f(get(v, 2 * j), get(v, 2 * j + 1))
    })
}

/// PSIGN: `a` negated, zeroed or kept as `b` is negative, zero or positive.
fn sign<T: Copy + Default + PartialOrd>(a: T, b: T, neg: impl Fn(T) -> T) -> T {
    let zero = T::default();
    if b < zero {
        neg(a)
    } else if b == zero {
        zero
    } else {
        a
    }
}

fn psadbw(a: u128, b: u128) -> u128 {
    from_fn::<u64>(|q| {
        (0..8)
            .map(|i| get::<u8>(a, q * 8 + i).abs_diff(get::<u8>(b, q * 8 + i)) as u64)
            .sum()
    })
}

fn phminposuw(b: u128) -> u128 {
    let (idx, min) = (0..8)
        .map(|i| get::<u16>(b, i))
        .enumerate()
        .min_by_key(|&(i, v)| (v, i))
        .expect("eight lanes");
    min as u128 | (idx as u128) << 16
}

fn mpsadbw(a: u128, b: u128, imm: u8) -> u128 {
    let blk1 = ((imm >> 2) & 1) as usize * 4;
    let blk2 = (imm & 3) as usize * 4;
    from_fn::<u16>(|i| {
        (0..4)
            .map(|j| get::<u8>(a, blk1 + i + j).abs_diff(get::<u8>(b, blk2 + j)) as u16)
            .sum()
    })
}

pure_ops! {
    PURE;
    /// PAND (also ANDPS/ANDPD): bitwise AND.
    PAND = "pand", |a, b, _| a & b;
    /// PANDN (also ANDNPS/ANDNPD): NOT destination AND source.
    PANDN = "pandn", |a, b, _| !a & b;
    /// POR (also ORPS/ORPD): bitwise OR.
    POR = "por", |a, b, _| a | b;
    /// PXOR (also XORPS/XORPD): bitwise XOR.
    PXOR = "pxor", |a, b, _| a ^ b;
    /// PADDB: wrapping add of packed bytes.
    PADDB = "paddb", |a, b, _| map2::<u8>(a, b, u8::wrapping_add);
    /// PADDW: wrapping add of packed words.
    PADDW = "paddw", |a, b, _| map2::<u16>(a, b, u16::wrapping_add);
    /// PADDD: wrapping add of packed doublewords.
    PADDD = "paddd", |a, b, _| map2::<u32>(a, b, u32::wrapping_add);
    /// PADDQ: wrapping add of packed quadwords.
    PADDQ = "paddq", |a, b, _| map2::<u64>(a, b, u64::wrapping_add);
    /// PSUBB: wrapping subtract of packed bytes.
    PSUBB = "psubb", |a, b, _| map2::<u8>(a, b, u8::wrapping_sub);
    /// PSUBW: wrapping subtract of packed words.
    PSUBW = "psubw", |a, b, _| map2::<u16>(a, b, u16::wrapping_sub);
    /// PSUBD: wrapping subtract of packed doublewords.
    PSUBD = "psubd", |a, b, _| map2::<u32>(a, b, u32::wrapping_sub);
    /// PSUBQ: wrapping subtract of packed quadwords.
    PSUBQ = "psubq", |a, b, _| map2::<u64>(a, b, u64::wrapping_sub);
    /// PADDSB: signed saturating add of bytes.
    PADDSB = "paddsb", |a, b, _| map2::<i8>(a, b, i8::saturating_add);
    /// PADDSW: signed saturating add of words.
    PADDSW = "paddsw", |a, b, _| map2::<i16>(a, b, i16::saturating_add);
    /// PADDUSB: unsigned saturating add of bytes.
    PADDUSB = "paddusb", |a, b, _| map2::<u8>(a, b, u8::saturating_add);
    /// PADDUSW: unsigned saturating add of words.
    PADDUSW = "paddusw", |a, b, _| map2::<u16>(a, b, u16::saturating_add);
    /// PSUBSB: signed saturating subtract of bytes.
    PSUBSB = "psubsb", |a, b, _| map2::<i8>(a, b, i8::saturating_sub);
    /// PSUBSW: signed saturating subtract of words.
    PSUBSW = "psubsw", |a, b, _| map2::<i16>(a, b, i16::saturating_sub);
    /// PSUBUSB: unsigned saturating subtract of bytes.
    PSUBUSB = "psubusb", |a, b, _| map2::<u8>(a, b, u8::saturating_sub);
    /// PSUBUSW: unsigned saturating subtract of words.
    PSUBUSW = "psubusw", |a, b, _| map2::<u16>(a, b, u16::saturating_sub);
    /// PMULLW: low 16 bits of signed word products.
    PMULLW = "pmullw", |a, b, _| map2::<i16>(a, b, i16::wrapping_mul);
    /// PMULHW: high 16 bits of signed word products.
    PMULHW = "pmulhw", |a, b, _| map2::<i16>(a, b, |x, y| ((x as i32 * y as i32) >> 16) as i16);
    /// PMULHUW: high 16 bits of unsigned word products.
    PMULHUW = "pmulhuw", |a, b, _| map2::<u16>(a, b, |x, y| ((x as u32 * y as u32) >> 16) as u16);
    /// PMULUDQ: unsigned products of the even doublewords, as quadwords.
    PMULUDQ = "pmuludq", |a, b, _| map2::<u64>(a, b, |x, y| (x as u32 as u64) * (y as u32 as u64));
    /// PMULDQ (SSE4.1): signed products of the even doublewords, as quadwords.
    PMULDQ = "pmuldq", |a, b, _| {
        map2::<i64>(a, b, |x, y| (x as i32 as i64) * (y as i32 as i64))
    };
    /// PMULLD (SSE4.1): low 32 bits of doubleword products.
    PMULLD = "pmulld", |a, b, _| map2::<u32>(a, b, u32::wrapping_mul);
    /// PMADDWD: signed word products summed in pairs into doublewords.
    PMADDWD = "pmaddwd", |a, b, _| {
        from_fn::<i32>(|i| {
            let p = |j| get::<i16>(a, j) as i32 * get::<i16>(b, j) as i32;
            p(2 * i).wrapping_add(p(2 * i + 1))
        })
    };
    /// PSADBW: sums of absolute byte differences per quadword.
    PSADBW = "psadbw", |a, b, _| psadbw(a, b);
    /// PAVGB: rounded unsigned byte averages.
    PAVGB = "pavgb", |a, b, _| map2::<u8>(a, b, |x, y| ((x as u16 + y as u16 + 1) >> 1) as u8);
    /// PAVGW: rounded unsigned word averages.
    PAVGW = "pavgw", |a, b, _| map2::<u16>(a, b, |x, y| ((x as u32 + y as u32 + 1) >> 1) as u16);
    /// PMINUB: unsigned byte minima.
    PMINUB = "pminub", |a, b, _| map2::<u8>(a, b, Ord::min);
    /// PMAXUB: unsigned byte maxima.
    PMAXUB = "pmaxub", |a, b, _| map2::<u8>(a, b, Ord::max);
    /// PMINSW: signed word minima.
    PMINSW = "pminsw", |a, b, _| map2::<i16>(a, b, Ord::min);
    /// PMAXSW: signed word maxima.
    PMAXSW = "pmaxsw", |a, b, _| map2::<i16>(a, b, Ord::max);
    /// PMINSB (SSE4.1): signed byte minima.
    PMINSB = "pminsb", |a, b, _| map2::<i8>(a, b, Ord::min);
    /// PMAXSB (SSE4.1): signed byte maxima.
    PMAXSB = "pmaxsb", |a, b, _| map2::<i8>(a, b, Ord::max);
    /// PMINUW (SSE4.1): unsigned word minima.
    PMINUW = "pminuw", |a, b, _| map2::<u16>(a, b, Ord::min);
    /// PMAXUW (SSE4.1): unsigned word maxima.
    PMAXUW = "pmaxuw", |a, b, _| map2::<u16>(a, b, Ord::max);
    /// PMINSD (SSE4.1): signed doubleword minima.
    PMINSD = "pminsd", |a, b, _| map2::<i32>(a, b, Ord::min);
    /// PMAXSD (SSE4.1): signed doubleword maxima.
    PMAXSD = "pmaxsd", |a, b, _| map2::<i32>(a, b, Ord::max);
    /// PMINUD (SSE4.1): unsigned doubleword minima.
    PMINUD = "pminud", |a, b, _| map2::<u32>(a, b, Ord::min);
    /// PMAXUD (SSE4.1): unsigned doubleword maxima.
    PMAXUD = "pmaxud", |a, b, _| map2::<u32>(a, b, Ord::max);
    /// PHMINPOSUW (SSE4.1): minimum unsigned word of the source and its index.
    PHMINPOSUW = "phminposuw", |_, b, _| phminposuw(b);
    /// MPSADBW (SSE4.1): eight sums of absolute differences of byte quads.
    MPSADBW = "mpsadbw", |a, b, c| mpsadbw(a, b, c as u8);
    /// PABSB (SSSE3): byte absolute values of the source.
    PABSB = "pabsb", |_, b, _| map1::<i8>(b, i8::wrapping_abs);
    /// PABSW (SSSE3): word absolute values of the source.
    PABSW = "pabsw", |_, b, _| map1::<i16>(b, i16::wrapping_abs);
    /// PABSD (SSSE3): doubleword absolute values of the source.
    PABSD = "pabsd", |_, b, _| map1::<i32>(b, i32::wrapping_abs);
    /// PSIGNB (SSSE3): bytes negated/zeroed/kept by the source's signs.
    PSIGNB = "psignb", |a, b, _| map2::<i8>(a, b, |x, y| sign(x, y, i8::wrapping_neg));
    /// PSIGNW (SSSE3): words negated/zeroed/kept by the source's signs.
    PSIGNW = "psignw", |a, b, _| map2::<i16>(a, b, |x, y| sign(x, y, i16::wrapping_neg));
    /// PSIGND (SSSE3): doublewords negated/zeroed/kept by the source's signs.
    PSIGND = "psignd", |a, b, _| map2::<i32>(a, b, |x, y| sign(x, y, i32::wrapping_neg));
    /// PHADDW (SSSE3): horizontal wrapping word adds.
    PHADDW = "phaddw", |a, b, _| horizontal::<u16>(a, b, u16::wrapping_add);
    /// PHADDD (SSSE3): horizontal wrapping doubleword adds.
    PHADDD = "phaddd", |a, b, _| horizontal::<u32>(a, b, u32::wrapping_add);
    /// PHADDSW (SSSE3): horizontal signed saturating word adds.
    PHADDSW = "phaddsw", |a, b, _| horizontal::<i16>(a, b, i16::saturating_add);
    /// PHSUBW (SSSE3): horizontal wrapping word subtracts.
    PHSUBW = "phsubw", |a, b, _| horizontal::<u16>(a, b, u16::wrapping_sub);
    /// PHSUBD (SSSE3): horizontal wrapping doubleword subtracts.
    PHSUBD = "phsubd", |a, b, _| horizontal::<u32>(a, b, u32::wrapping_sub);
    /// PHSUBSW (SSSE3): horizontal signed saturating word subtracts.
    PHSUBSW = "phsubsw", |a, b, _| horizontal::<i16>(a, b, i16::saturating_sub);
    /// PMADDUBSW (SSSE3): unsigned-by-signed byte products, pair sums saturated to words.
    PMADDUBSW = "pmaddubsw", |a, b, _| {
        from_fn::<i16>(|i| {
            let p = |j| get::<u8>(a, j) as i16 * get::<i8>(b, j) as i16;
            p(2 * i).saturating_add(p(2 * i + 1))
        })
    };
    /// PMULHRSW (SSSE3): rounded, scaled high words of signed products.
    PMULHRSW = "pmulhrsw", |a, b, _| {
        map2::<i16>(a, b, |x, y| ((((x as i32 * y as i32) >> 14) + 1) >> 1) as i16)
    };
}

/// `call_xmm pmovmskb, _, s`: the sign bits of XMM `s`'s sixteen bytes
/// to `xmm_result` (PMOVMSKB's general register).
pub static PMOVMSKB: HelperInfo = HelperInfo {
    name: "pmovmskb",
    func: {
        extern "C" fn h(env: &mut CpuState, _: u64, lo: u64, hi: u64, _: u64, _: u64) -> u64 {
            let v = super::pair(lo, hi);
            let m = (0..16).fold(0, |m, i| m | (get::<u8>(v, i) as u64 >> 7) << i);
            env.xmm_result = m;
            m
        }
        h
    },
};

/// This file's helpers with a value result.
pub const VALUE: &[&HelperInfo] = &[&PMOVMSKB];

#[cfg(test)]
mod tests {
    use super::super::native::{check_binary, check_binary_imm};
    use super::*;

    #[test]
    fn sse2_arithmetic_matches_host() {
        check_binary!(PADDB, "paddb");
        check_binary!(PADDW, "paddw");
        check_binary!(PADDD, "paddd");
        check_binary!(PADDQ, "paddq");
        check_binary!(PSUBB, "psubb");
        check_binary!(PSUBW, "psubw");
        check_binary!(PSUBD, "psubd");
        check_binary!(PSUBQ, "psubq");
        check_binary!(PADDSB, "paddsb");
        check_binary!(PADDSW, "paddsw");
        check_binary!(PADDUSB, "paddusb");
        check_binary!(PADDUSW, "paddusw");
        check_binary!(PSUBSB, "psubsb");
        check_binary!(PSUBSW, "psubsw");
        check_binary!(PSUBUSB, "psubusb");
        check_binary!(PSUBUSW, "psubusw");
        check_binary!(PMULLW, "pmullw");
        check_binary!(PMULHW, "pmulhw");
        check_binary!(PMULHUW, "pmulhuw");
        check_binary!(PMULUDQ, "pmuludq");
        check_binary!(PMADDWD, "pmaddwd");
        check_binary!(PSADBW, "psadbw");
        check_binary!(PAVGB, "pavgb");
        check_binary!(PAVGW, "pavgw");
        check_binary!(PMINUB, "pminub");
        check_binary!(PMAXUB, "pmaxub");
        check_binary!(PMINSW, "pminsw");
        check_binary!(PMAXSW, "pmaxsw");
    }

    #[test]
    fn ssse3_and_sse41_arithmetic_matches_host() {
        check_binary!(PMULDQ, "pmuldq");
        check_binary!(PMULLD, "pmulld");
        check_binary!(PMINSB, "pminsb");
        check_binary!(PMAXSB, "pmaxsb");
        check_binary!(PMINUW, "pminuw");
        check_binary!(PMAXUW, "pmaxuw");
        check_binary!(PMINSD, "pminsd");
        check_binary!(PMAXSD, "pmaxsd");
        check_binary!(PMINUD, "pminud");
        check_binary!(PMAXUD, "pmaxud");
        check_binary!(PHMINPOSUW, "phminposuw");
        check_binary!(PABSB, "pabsb");
        check_binary!(PABSW, "pabsw");
        check_binary!(PABSD, "pabsd");
        check_binary!(PSIGNB, "psignb");
        check_binary!(PSIGNW, "psignw");
        check_binary!(PSIGND, "psignd");
        check_binary!(PHADDW, "phaddw");
        check_binary!(PHADDD, "phaddd");
        check_binary!(PHADDSW, "phaddsw");
        check_binary!(PHSUBW, "phsubw");
        check_binary!(PHSUBD, "phsubd");
        check_binary!(PHSUBSW, "phsubsw");
        check_binary!(PMADDUBSW, "pmaddubsw");
        check_binary!(PMULHRSW, "pmulhrsw");
        check_binary_imm!(MPSADBW, "mpsadbw", 0, 1, 2, 3, 4, 5, 6, 7);
    }

    #[test]
    fn phminposuw_takes_the_first_minimum() {
        let v = from_fn::<u16>(|i| if i == 3 || i == 6 { 7 } else { 9 });
        assert_eq!(phminposuw(v), 7 | 3 << 16);
    }
}
