//! SSE4.2 packed string comparisons PCMPESTRI/PCMPESTRM/PCMPISTRI/
//! PCMPISTRM (SDM vol. 2, 4.1): one comparison core with the four
//! aggregations, polarities and outputs. Arguments: `d | imm << 8`, the
//! second operand's halves, and for the explicit-length forms RAX and RDX
//! (`imm` bit 16 set for the REX.W forms, whose lengths are 64-bit).
//! Each returns its EFLAGS (CF ZF SF OF; AF PF clear), the index forms
//! with the index in bits 32..; the mask forms write XMM0.

use super::lanes::{from_fn, get, mask};
use super::HelperInfo;
use crate::cpu::eflags::{CF, OF, SF, ZF};
use crate::cpu::CpuState;

/// Element count: 8 words or 16 bytes.
fn count(imm: u8) -> usize {
    if imm & 1 != 0 {
        8
    } else {
        16
    }
}

/// Element `i` of `v` in the format of imm[1:0].
fn element(v: u128, i: usize, imm: u8) -> i32 {
    match imm & 3 {
        0 => get::<u8>(v, i) as i32,
        1 => get::<u16>(v, i) as i32,
        2 => get::<i8>(v, i) as i32,
        _ => get::<i16>(v, i) as i32,
    }
}

/// Implicit length: the index of the first zero element, or the count.
fn implicit_len(v: u128, imm: u8) -> usize {
    let n = count(imm);
    (0..n).find(|&i| element(v, i, imm) == 0).unwrap_or(n)
}

/// Explicit length: |reg| (32- or 64-bit) saturated to the count.
fn explicit_len(reg: u64, wide: bool, imm: u8) -> usize {
    let abs = if wide {
        (reg as i64).unsigned_abs()
    } else {
        (reg as i32).unsigned_abs() as u64
    };
    abs.min(count(imm) as u64) as usize
}

/// IntRes2 (one bit per element) for operands `a` (XMM1, length `la`) and
/// `b` (XMM2/m128, length `lb`), and the EFLAGS the instruction sets.
fn compare(a: u128, b: u128, la: usize, lb: usize, imm: u8) -> (u32, u64) {
    let n = count(imm);
    let ea = |i| element(a, i, imm);
    let eb = |j| element(b, j, imm);
    let bit = |j: usize| -> bool {
        match (imm >> 2) & 3 {
            // Equal any: b[j] is one of a[0..la].
            0 => j < lb && (0..la).any(|i| eb(j) == ea(i)),
            // Ranges: a[i] <= b[j] <= a[i+1] for a pair of a.
            1 => {
                j < lb
                    && (0..la.saturating_sub(1))
                        .step_by(2)
                        .any(|i| ea(i) <= eb(j) && eb(j) <= ea(i + 1))
            }
            // Equal each: a[j] == b[j]; two invalid elements also match.
            2 => match (j < la, j < lb) {
                (true, true) => ea(j) == eb(j),
                (false, false) => true,
                _ => false,
            },
            // Equal ordered: a[0..la] occurs in b at j (a may run past n).
            _ => (0..n - j).all(|k| k >= la || (j + k < lb && ea(k) == eb(j + k))),
        }
    };
    let res1 = (0..n).fold(0u32, |acc, j| acc | (bit(j) as u32) << j);
    let all = (1u32 << n) - 1;
    let res2 = match (imm >> 4) & 3 {
        1 => !res1 & all,
        3 => res1 ^ ((1u32 << lb) - 1),
        _ => res1,
    };
    let mut flags = 0;
    if res2 != 0 {
        flags |= CF;
    }
    if lb < n {
        flags |= ZF;
    }
    if la < n {
        flags |= SF;
    }
    if res2 & 1 != 0 {
        flags |= OF;
    }
    (res2, flags)
}

/// The index output: lowest (imm[6] = 0) or highest set bit, else the count.
fn index(res2: u32, imm: u8) -> u64 {
    if res2 == 0 {
        count(imm) as u64
    } else if imm & 0x40 == 0 {
        res2.trailing_zeros() as u64
    } else {
        31 - res2.leading_zeros() as u64
    }
}

/// The mask output: the bits (imm[6] = 0) or each element all ones.
fn mask_out(res2: u32, imm: u8) -> u128 {
    if imm & 0x40 == 0 {
        res2 as u128
    } else if count(imm) == 8 {
        from_fn::<u16>(|i| mask::<u16>(res2 >> i & 1 != 0) as u16)
    } else {
        from_fn::<u8>(|i| mask::<u8>(res2 >> i & 1 != 0) as u8)
    }
}

/// Operands and lengths of one call: (a, b, la, lb, imm).
fn operands(
    env: &CpuState,
    arg: u64,
    lo: u64,
    hi: u64,
    rax: u64,
    rdx: u64,
    explicit: bool,
) -> (u128, u128, usize, usize, u8) {
    let a = super::xmm(env, arg & 0xff);
    let b = super::pair(lo, hi);
    let imm = (arg >> 8) as u8;
    let wide = arg & 1 << 16 != 0;
    if explicit {
        let (la, lb) = (explicit_len(rax, wide, imm), explicit_len(rdx, wide, imm));
        (a, b, la, lb, imm)
    } else {
        (a, b, implicit_len(a, imm), implicit_len(b, imm), imm)
    }
}

extern "C" fn pcmpestri(env: &mut CpuState, arg: u64, lo: u64, hi: u64, rax: u64, rdx: u64) -> u64 {
    let (a, b, la, lb, imm) = operands(env, arg, lo, hi, rax, rdx, true);
    let (res2, flags) = compare(a, b, la, lb, imm);
    flags | index(res2, imm) << 32
}

extern "C" fn pcmpistri(env: &mut CpuState, arg: u64, lo: u64, hi: u64, _: u64, _: u64) -> u64 {
    let (a, b, la, lb, imm) = operands(env, arg, lo, hi, 0, 0, false);
    let (res2, flags) = compare(a, b, la, lb, imm);
    flags | index(res2, imm) << 32
}

extern "C" fn pcmpestrm(env: &mut CpuState, arg: u64, lo: u64, hi: u64, rax: u64, rdx: u64) -> u64 {
    let (a, b, la, lb, imm) = operands(env, arg, lo, hi, rax, rdx, true);
    let (res2, flags) = compare(a, b, la, lb, imm);
    super::set_xmm(env, 0, mask_out(res2, imm));
    flags
}

extern "C" fn pcmpistrm(env: &mut CpuState, arg: u64, lo: u64, hi: u64, _: u64, _: u64) -> u64 {
    let (a, b, la, lb, imm) = operands(env, arg, lo, hi, 0, 0, false);
    let (res2, flags) = compare(a, b, la, lb, imm);
    super::set_xmm(env, 0, mask_out(res2, imm));
    flags
}

/// `pcmpestri(d | imm << 8 | wide << 16, lo, hi, rax, rdx)` -> EFLAGS | index << 32.
pub static PCMPESTRI: HelperInfo = HelperInfo {
    name: "pcmpestri",
    func: pcmpestri,
};

/// `pcmpistri(d | imm << 8, lo, hi)` -> EFLAGS | index << 32.
pub static PCMPISTRI: HelperInfo = HelperInfo {
    name: "pcmpistri",
    func: pcmpistri,
};

/// `pcmpestrm(d | imm << 8 | wide << 16, lo, hi, rax, rdx)` -> EFLAGS; sets XMM0.
pub static PCMPESTRM: HelperInfo = HelperInfo {
    name: "pcmpestrm",
    func: pcmpestrm,
};

/// `pcmpistrm(d | imm << 8, lo, hi)` -> EFLAGS; sets XMM0.
pub static PCMPISTRM: HelperInfo = HelperInfo {
    name: "pcmpistrm",
    func: pcmpistrm,
};

/// This file's helpers.
pub const HELPERS: &[&HelperInfo] = &[&PCMPESTRI, &PCMPISTRI, &PCMPESTRM, &PCMPISTRM];

#[cfg(test)]
mod tests {
    use super::super::native::Rng;
    use super::*;
    use core::arch::x86_64::__m128i;

    /// What a native run leaves: ECX, XMM0, and CF ZF SF OF AF PF.
    type Native = (u32, u128, u64);

    /// Runs `pcmpXstrY xmm1, xmm2, I` natively with EAX/EDX as given.
    macro_rules! native {
        ($name:ident, $insn:literal) => {
            fn $name<const I: u8>(a: u128, b: u128, eax: u64, edx: u64) -> Native {
                // SAFETY: u128 and __m128i are both 16 bytes of plain data.
                let x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>(a) };
                // SAFETY: as above.
                let y: __m128i = unsafe { core::mem::transmute::<u128, __m128i>(b) };
                // SAFETY: as above.
                let mut m0: __m128i = unsafe { core::mem::transmute::<u128, __m128i>(0) };
                let mut ecx: u64 = 0xdead;
                let ah: u64;
                let (c, z, s, o): (u8, u8, u8, u8);
                // SAFETY: one SSE4.2 instruction on registers; the flags
                // are read with SETcc and LAHF (AF, PF).
                unsafe {
                    core::arch::asm!(
                        concat!($insn, " {x}, {y}, {i}"),
                        "setc {c}",
                        "setz {z}",
                        "sets {s}",
                        "seto {o}",
                        "lahf",
                        x = in(xmm_reg) x,
                        y = in(xmm_reg) y,
                        i = const I,
                        c = out(reg_byte) c,
                        z = out(reg_byte) z,
                        s = out(reg_byte) s,
                        o = out(reg_byte) o,
                        inout("xmm0") m0,
                        inout("rcx") ecx,
                        inout("rax") eax => ah,
                        in("rdx") edx,
                        options(nostack),
                    );
                }
                let (af, p) = ((ah >> 12) & 1, (ah >> 10) & 1);
                let flags = (c as u64) * CF
                    | (z as u64) * ZF
                    | (s as u64) * SF
                    | (o as u64) * OF
                    | af << 4
                    | p << 2;
                // SAFETY: as above.
                let m0 = unsafe { core::mem::transmute::<__m128i, u128>(m0) };
                (ecx as u32, m0, flags)
            }
        };
    }
    native!(estri, "pcmpestri");
    native!(istri, "pcmpistri");
    native!(estrm, "pcmpestrm");
    native!(istrm, "pcmpistrm");

    /// The four native forms for immediate `I`.
    type Table = [fn(u128, u128, u64, u64) -> Native; 4];

    macro_rules! tables {
        ($($hi:literal)*) => {{
            let mut v: Vec<(u8, Table)> = Vec::new();
            $(tables!(@row v, $hi, 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);)*
            v
        }};
        (@row $v:ident, $hi:literal, $($lo:literal)*) => {
            $($v.push((
                16 * $hi + $lo,
                [
                    estri::<{ 16 * $hi + $lo }>,
                    istri::<{ 16 * $hi + $lo }>,
                    estrm::<{ 16 * $hi + $lo }>,
                    istrm::<{ 16 * $hi + $lo }>,
                ],
            ));)*
        };
    }

    /// Runs a helper on the same operands; returns what `native` returns.
    fn ours(h: &HelperInfo, index: bool, imm: u8, a: u128, b: u128, eax: u64, edx: u64) -> Native {
        let mut env = CpuState::default();
        env.xmm[1] = [a as u64, (a >> 64) as u64];
        let r = (h.func)(
            &mut env,
            1 | (imm as u64) << 8,
            b as u64,
            (b >> 64) as u64,
            eax,
            edx,
        );
        let [lo, hi] = env.xmm[0];
        let ecx = if index { (r >> 32) as u32 } else { 0xdead };
        (ecx, lo as u128 | (hi as u128) << 64, r & 0xffff_ffff)
    }

    /// Text-like operands: small alphabets so that matches, ranges and
    /// terminators all occur, both as bytes and as words.
    fn operand(rng: &mut Rng) -> u128 {
        let r = rng.next();
        let mut bytes = [0u8; 16];
        for b in bytes.iter_mut() {
            let x = rng.next();
            *b = match r % 4 {
                0 => b"abcAZ09 \x80\xff"[(x % 10) as usize],
                1 => (x % 5) as u8 + b'a',
                2 => x as u8,
                _ => [0u8, 1, 0x7f, 0x80, b'a'][(x % 5) as usize],
            };
        }
        // Sometimes a terminator somewhere.
        if r & 0x30 == 0 {
            bytes[(r >> 8) as usize % 16] = 0;
            bytes[((r >> 8) as usize % 16) | 1] = 0;
        }
        u128::from_le_bytes(bytes)
    }

    #[test]
    fn every_immediate_matches_host() {
        let table = tables!(0 1 2 3 4 5 6 7);
        let mut rng = Rng(0x5555_1234_abcd_0001);
        let lens: [u64; 9] = [0, 1, 3, 8, 15, 16, 17, (-5i64) as u64, 0x8000_0000];
        for _ in 0..60 {
            let (a, b) = (operand(&mut rng), operand(&mut rng));
            let eax = lens[(rng.next() % 9) as usize];
            let edx = lens[(rng.next() % 9) as usize];
            for (imm, natives) in &table {
                let imm = *imm;
                let (want_ei, want_ii, want_em, want_im) = (
                    natives[0](a, b, eax, edx),
                    natives[1](a, b, eax, edx),
                    natives[2](a, b, eax, edx),
                    natives[3](a, b, eax, edx),
                );
                let what = format!("imm {imm:#x} a {a:#x} b {b:#x} eax {eax:#x} edx {edx:#x}");
                let got = ours(&PCMPESTRI, true, imm, a, b, eax, edx);
                assert_eq!((got.0, got.2), (want_ei.0, want_ei.2), "pcmpestri {what}");
                let got = ours(&PCMPISTRI, true, imm, a, b, eax, edx);
                assert_eq!((got.0, got.2), (want_ii.0, want_ii.2), "pcmpistri {what}");
                let got = ours(&PCMPESTRM, false, imm, a, b, eax, edx);
                assert_eq!((got.1, got.2), (want_em.1, want_em.2), "pcmpestrm {what}");
                let got = ours(&PCMPISTRM, false, imm, a, b, eax, edx);
                assert_eq!((got.1, got.2), (want_im.1, want_im.2), "pcmpistrm {what}");
            }
        }
    }

    #[test]
    fn wide_lengths_use_all_64_bits() {
        assert_eq!(explicit_len(0x1_0000_0003, true, 0), 16);
        assert_eq!(explicit_len(0x1_0000_0003, false, 0), 3);
        assert_eq!(explicit_len(i64::MIN as u64, true, 1), 8);
        assert_eq!(explicit_len((-3i64) as u64, true, 1), 3);
    }
}
