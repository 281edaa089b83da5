//! The SHA extensions: SHA1RNDS4, SHA1NEXTE, SHA1MSG1, SHA1MSG2,
//! SHA256RNDS2 (with XMM0 as the third operand), SHA256MSG1, SHA256MSG2.
//! Each runs as the host's own instruction when the host has them, else as
//! the portable version here, written from the SDM's pseudocode.
//!
//! Doublewords are named as the SDM does: element 3 (bits 127:96) first.

use super::lanes::{from_fn, get};
use super::HelperInfo;
use crate::cpu::CpuState;
use core::arch::x86_64::{self as arch, __m128i};
use std::sync::OnceLock;

/// Doubleword `i` (0 = bits 31:0) of `v`.
fn w(v: u128, i: usize) -> u32 {
    get::<u32>(v, i)
}

/// The value with doublewords `[d3, d2, d1, d0]`, high first.
fn dwords(d: [u32; 4]) -> u128 {
    from_fn::<u32>(|i| d[3 - i])
}

/// The portable SHA instructions, from the SDM's pseudocode.
mod portable {
    use super::*;

    pub fn sha1rnds4(a: u128, b: u128, imm: u8) -> u128 {
        let (f, k): (fn(u32, u32, u32) -> u32, u32) = match imm & 3 {
            0 => (|b, c, d| (b & c) ^ (!b & d), 0x5a82_7999),
            1 => (|b, c, d| b ^ c ^ d, 0x6ed9_eba1),
            2 => (|b, c, d| (b & c) ^ (b & d) ^ (c & d), 0x8f1b_bcdc),
            _ => (|b, c, d| b ^ c ^ d, 0xca62_c1d6),
        };
        let (mut sa, mut sb, mut sc, mut sd, mut se) = (w(a, 3), w(a, 2), w(a, 1), w(a, 0), 0);
        // W0 + E is in the source's high doubleword (SHA1NEXTE computed it).
        for (i, wi) in [w(b, 3), w(b, 2), w(b, 1), w(b, 0)].into_iter().enumerate() {
            let e = if i == 0 { 0 } else { se };
            let na = f(sb, sc, sd)
                .wrapping_add(sa.rotate_left(5))
                .wrapping_add(wi)
                .wrapping_add(e)
                .wrapping_add(k);
            (sa, sb, sc, sd, se) = (na, sa, sb.rotate_left(30), sc, sd);
        }
        dwords([sa, sb, sc, sd])
    }

    pub fn sha1nexte(a: u128, b: u128) -> u128 {
        let e = w(a, 3).rotate_left(30);
        dwords([w(b, 3).wrapping_add(e), w(b, 2), w(b, 1), w(b, 0)])
    }

    pub fn sha1msg1(a: u128, b: u128) -> u128 {
        let (w0, w1, w2, w3) = (w(a, 3), w(a, 2), w(a, 1), w(a, 0));
        let (w4, w5) = (w(b, 3), w(b, 2));
        dwords([w2 ^ w0, w3 ^ w1, w4 ^ w2, w5 ^ w3])
    }

    pub fn sha1msg2(a: u128, b: u128) -> u128 {
        let (w13, w14, w15) = (w(b, 2), w(b, 1), w(b, 0));
        let w16 = (w(a, 3) ^ w13).rotate_left(1);
        let w17 = (w(a, 2) ^ w14).rotate_left(1);
        let w18 = (w(a, 1) ^ w15).rotate_left(1);
        let w19 = (w(a, 0) ^ w16).rotate_left(1);
        dwords([w16, w17, w18, w19])
    }

    fn big_sigma0(x: u32) -> u32 {
        x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
    }

    fn big_sigma1(x: u32) -> u32 {
        x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
    }

    fn sigma0(x: u32) -> u32 {
        x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
    }

    fn sigma1(x: u32) -> u32 {
        x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
    }

    pub fn sha256rnds2(a: u128, b: u128, wk: u128) -> u128 {
        let (mut sa, mut sb, mut sc, mut sd) = (w(b, 3), w(b, 2), w(a, 3), w(a, 2));
        let (mut se, mut sf, mut sg, mut sh) = (w(b, 1), w(b, 0), w(a, 1), w(a, 0));
        for k in [w(wk, 0), w(wk, 1)] {
            let ch = (se & sf) ^ (!se & sg);
            let maj = (sa & sb) ^ (sa & sc) ^ (sb & sc);
            let t = ch
                .wrapping_add(big_sigma1(se))
                .wrapping_add(k)
                .wrapping_add(sh);
            let na = t.wrapping_add(maj).wrapping_add(big_sigma0(sa));
            let ne = t.wrapping_add(sd);
            (sa, sb, sc, sd) = (na, sa, sb, sc);
            (se, sf, sg, sh) = (ne, se, sf, sg);
        }
        dwords([sa, sb, se, sf])
    }

    pub fn sha256msg1(a: u128, b: u128) -> u128 {
        let (w4, w3, w2, w1, w0) = (w(b, 0), w(a, 3), w(a, 2), w(a, 1), w(a, 0));
        dwords([
            w3.wrapping_add(sigma0(w4)),
            w2.wrapping_add(sigma0(w3)),
            w1.wrapping_add(sigma0(w2)),
            w0.wrapping_add(sigma0(w1)),
        ])
    }

    pub fn sha256msg2(a: u128, b: u128) -> u128 {
        let (w14, w15) = (w(b, 2), w(b, 3));
        let w16 = w(a, 0).wrapping_add(sigma1(w14));
        let w17 = w(a, 1).wrapping_add(sigma1(w15));
        let w18 = w(a, 2).wrapping_add(sigma1(w16));
        let w19 = w(a, 3).wrapping_add(sigma1(w17));
        dwords([w19, w18, w17, w16])
    }
}

/// The host's SHA instructions.
mod host {
    use super::*;

    fn m(v: u128) -> __m128i {
        // SAFETY: both types are 16 bytes of plain data.
        unsafe { core::mem::transmute::<u128, __m128i>(v) }
    }

    fn u(v: __m128i) -> u128 {
        // SAFETY: both types are 16 bytes of plain data.
        unsafe { core::mem::transmute::<__m128i, u128>(v) }
    }

    #[target_feature(enable = "sha")]
    fn sha1rnds4_raw<const I: i32>(a: u128, b: u128) -> u128 {
        u(arch::_mm_sha1rnds4_epu32::<I>(m(a), m(b)))
    }

    /// Defines safe wrappers running one SHA intrinsic of two operands.
    macro_rules! sha2 {
        ($($f:ident = $intr:ident;)*) => {$(
            pub fn $f(a: u128, b: u128) -> u128 {
                #[target_feature(enable = "sha")]
                fn raw(a: u128, b: u128) -> u128 {
                    u(arch::$intr(m(a), m(b)))
                }
                assert!(has_sha());
                // SAFETY: the host has the SHA extensions (asserted above).
                unsafe { raw(a, b) }
            }
        )*};
    }

    sha2! {
        sha1nexte = _mm_sha1nexte_epu32;
        sha1msg1 = _mm_sha1msg1_epu32;
        sha1msg2 = _mm_sha1msg2_epu32;
        sha256msg1 = _mm_sha256msg1_epu32;
        sha256msg2 = _mm_sha256msg2_epu32;
    }

    pub fn sha1rnds4(a: u128, b: u128, imm: u8) -> u128 {
        assert!(has_sha());
        // SAFETY: the host has the SHA extensions (asserted above).
        unsafe {
            match imm & 3 {
                0 => sha1rnds4_raw::<0>(a, b),
                1 => sha1rnds4_raw::<1>(a, b),
                2 => sha1rnds4_raw::<2>(a, b),
                _ => sha1rnds4_raw::<3>(a, b),
            }
        }
    }

    pub fn sha256rnds2(a: u128, b: u128, wk: u128) -> u128 {
        #[target_feature(enable = "sha")]
        fn raw(a: u128, b: u128, wk: u128) -> u128 {
            u(arch::_mm_sha256rnds2_epu32(m(a), m(b), m(wk)))
        }
        assert!(has_sha());
        // SAFETY: the host has the SHA extensions (asserted above).
        unsafe { raw(a, b, wk) }
    }
}

/// True when the host has the SHA extensions (checked once).
fn has_sha() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("sha"))
}

/// `host::$f` where the host has the instruction, `portable::$f` elsewhere.
macro_rules! dispatch {
    ($f:ident($($x:expr),*)) => {
        if has_sha() {
            host::$f($($x),*)
        } else {
            portable::$f($($x),*)
        }
    };
}

pure_ops! {
    PURE;
    /// SHA1RNDS4: four SHA-1 rounds of the kind imm[1:0] selects.
    SHA1RNDS4 = "sha1rnds4", |a, b, c| dispatch!(sha1rnds4(a, b, c as u8));
    /// SHA1NEXTE: the next E, from A rotated, added to the message doubleword.
    SHA1NEXTE = "sha1nexte", |a, b, _| dispatch!(sha1nexte(a, b));
    /// SHA1MSG1: the first XORs of the next four message doublewords.
    SHA1MSG1 = "sha1msg1", |a, b, _| dispatch!(sha1msg1(a, b));
    /// SHA1MSG2: the final XORs and rotations of the next four message doublewords.
    SHA1MSG2 = "sha1msg2", |a, b, _| dispatch!(sha1msg2(a, b));
    /// SHA256RNDS2: two SHA-256 rounds with the message-plus-constant words in XMM0.
    SHA256RNDS2 = "sha256rnds2", |a, b, c| dispatch!(sha256rnds2(a, b, c));
    /// SHA256MSG1: the σ0 half of the next four message doublewords.
    SHA256MSG1 = "sha256msg1", |a, b, _| dispatch!(sha256msg1(a, b));
    /// SHA256MSG2: the σ1 half of the next four message doublewords.
    SHA256MSG2 = "sha256msg2", |a, b, _| dispatch!(sha256msg2(a, b));
}

#[cfg(test)]
mod tests {
    use super::super::native::{check_binary, check_binary_imm, inputs, run};
    use super::*;

    #[test]
    fn portable_versions_match_the_host() {
        if !has_sha() {
            return;
        }
        for (a, b) in inputs() {
            let c = a.rotate_left(37) ^ b;
            for imm in 0..4 {
                assert_eq!(portable::sha1rnds4(a, b, imm), host::sha1rnds4(a, b, imm));
            }
            assert_eq!(portable::sha1nexte(a, b), host::sha1nexte(a, b));
            assert_eq!(portable::sha1msg1(a, b), host::sha1msg1(a, b));
            assert_eq!(portable::sha1msg2(a, b), host::sha1msg2(a, b));
            assert_eq!(portable::sha256rnds2(a, b, c), host::sha256rnds2(a, b, c));
            assert_eq!(portable::sha256msg1(a, b), host::sha256msg1(a, b));
            assert_eq!(portable::sha256msg2(a, b), host::sha256msg2(a, b));
        }
    }

    #[test]
    fn helpers_match_native_instructions() {
        check_binary_imm!(SHA1RNDS4, "sha1rnds4", 0, 1, 2, 3);
        check_binary!(SHA1NEXTE, "sha1nexte");
        check_binary!(SHA1MSG1, "sha1msg1");
        check_binary!(SHA1MSG2, "sha1msg2");
        check_binary!(SHA256MSG1, "sha256msg1");
        check_binary!(SHA256MSG2, "sha256msg2");
        for (a, b) in inputs() {
            let c = b.rotate_right(11) ^ a;
            // SAFETY: u128 and __m128i are both 16 bytes of plain data.
            let mut x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>(a) };
            // SAFETY: as above.
            let y: __m128i = unsafe { core::mem::transmute::<u128, __m128i>(b) };
            // SAFETY: as above.
            let k: __m128i = unsafe { core::mem::transmute::<u128, __m128i>(c) };
            // SAFETY: one SHA instruction on registers, XMM0 as its implicit operand.
            unsafe {
                core::arch::asm!(
                    "sha256rnds2 {x}, {y}, xmm0",
                    x = inout(xmm_reg) x,
                    y = in(xmm_reg) y,
                    in("xmm0") k,
                    options(nostack, preserves_flags, nomem),
                );
            }
            // SAFETY: as above.
            let want = unsafe { core::mem::transmute::<__m128i, u128>(x) };
            assert_eq!(run(&SHA256RNDS2, a, b, c), want);
        }
    }

    /// SHA-256 of "abc" (FIPS 180-4 example) with the portable round and
    /// message functions, as software drives the instructions.
    #[test]
    fn sha256_of_abc() {
        const K: [u32; 64] = {
            // The first 32 bits of the fractional parts of the cube roots of
            // the first 64 primes, computed rather than copied.
            let mut k = [0u32; 64];
            let mut n = 0;
            let mut p = 2u64;
            while n < 64 {
                let mut d = 2;
                let mut prime = true;
                while d * d <= p {
                    if p.is_multiple_of(d) {
                        prime = false;
                    }
                    d += 1;
                }
                if prime {
                    // floor(cbrt(p) * 2^32) mod 2^32 by integer bisection on x^3 <= p * 2^96.
                    let target = (p as u128) << 96;
                    let (mut lo, mut hi) = (0u128, 1u128 << 40);
                    while lo + 1 < hi {
                        let mid = (lo + hi) / 2;
                        if mid * mid * mid <= target {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    k[n] = lo as u32;
                    n += 1;
                }
                p += 1;
            }
            k
        };
        assert_eq!(K[0], 0x428a_2f98);
        assert_eq!(K[63], 0xc671_78f2);
        let mut block = [0u8; 64];
        block[..3].copy_from_slice(b"abc");
        block[3] = 0x80;
        block[63] = 24;
        let mut wv: Vec<u32> = block
            .chunks(4)
            .map(|c| u32::from_be_bytes(c.try_into().expect("4 bytes")))
            .collect();
        // Message schedule four words at a time with MSG1/MSG2.
        for t in (16..64).step_by(4) {
            let pack = |i: usize| dwords([wv[i + 3], wv[i + 2], wv[i + 1], wv[i]]);
            let m1 = portable::sha256msg1(pack(t - 16), pack(t - 12));
            let plus = from_fn::<u32>(|i| w(m1, i).wrapping_add(wv[t - 7 + i]));
            let m2 = portable::sha256msg2(plus, pack(t - 4));
            wv.extend((0..4).map(|i| w(m2, i)));
        }
        let h0: [u32; 8] = [
            0x6a09_e667,
            0xbb67_ae85,
            0x3c6e_f372,
            0xa54f_f53a,
            0x510e_527f,
            0x9b05_688c,
            0x1f83_d9ab,
            0x5be0_cd19,
        ];
        // State as the instructions hold it: ABEF and CDGH.
        let mut abef = dwords([h0[0], h0[1], h0[4], h0[5]]);
        let mut cdgh = dwords([h0[2], h0[3], h0[6], h0[7]]);
        for t in (0..64).step_by(2) {
            let wk = from_fn::<u32>(|i| {
                if i < 2 {
                    wv[t + i].wrapping_add(K[t + i])
                } else {
                    0
                }
            });
            let next = portable::sha256rnds2(cdgh, abef, wk);
            cdgh = abef;
            abef = next;
        }
        let h = [
            w(abef, 3).wrapping_add(h0[0]),
            w(abef, 2).wrapping_add(h0[1]),
            w(cdgh, 3).wrapping_add(h0[2]),
            w(cdgh, 2).wrapping_add(h0[3]),
            w(abef, 1).wrapping_add(h0[4]),
            w(abef, 0).wrapping_add(h0[5]),
            w(cdgh, 1).wrapping_add(h0[6]),
            w(cdgh, 0).wrapping_add(h0[7]),
        ];
        assert_eq!(
            h,
            [
                0xba78_16bf,
                0x8f01_cfea,
                0x4141_40de,
                0x5dae_2223,
                0xb003_61a3,
                0x9617_7a9c,
                0xb410_ff61,
                0xf200_15ad
            ]
        );
    }
}
