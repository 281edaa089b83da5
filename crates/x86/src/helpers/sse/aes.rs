//! AES-NI (AESENC, AESENCLAST, AESDEC, AESDECLAST, AESIMC, AESKEYGENASSIST)
//! and PCLMULQDQ. Each runs as the host's own instruction when the host
//! has it, else as the portable version here, written from FIPS-197 and
//! the SDM's pseudocode (the S-boxes are computed, not tabulated by hand).
//!
//! The AES state is the 128-bit value with byte 4c + r in row r, column c.

use super::lanes::{from_fn, get};
use super::HelperInfo;
use crate::cpu::CpuState;
use core::arch::x86_64::{self as arch, __m128i};
use std::sync::OnceLock;

/// Multiplication in GF(2^8) modulo the AES polynomial x^8 + x^4 + x^3 + x + 1.
const fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        a = (a << 1) ^ if a & 0x80 != 0 { 0x1b } else { 0 };
        b >>= 1;
    }
    p
}

/// The multiplicative inverse in GF(2^8) (0 for 0): a^254.
const fn gf_inv(a: u8) -> u8 {
    let mut r = 1;
    let mut i = 0;
    while i < 254 {
        r = gf_mul(r, a);
        i += 1;
    }
    r
}

/// SubBytes' S-box: the inverse followed by the affine transformation
/// b ^ rotl(b, 1) ^ rotl(b, 2) ^ rotl(b, 3) ^ rotl(b, 4) ^ 0x63.
const SBOX: [u8; 256] = {
    let mut s = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = gf_inv(i as u8);
        s[i] = b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63;
        i += 1;
    }
    s
};

/// InvSubBytes' S-box: the inverse permutation of `SBOX`.
const INV_SBOX: [u8; 256] = {
    let mut s = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        s[SBOX[i] as usize] = i as u8;
        i += 1;
    }
    s
};

fn bytes(v: u128) -> [u8; 16] {
    v.to_le_bytes()
}

fn value(b: [u8; 16]) -> u128 {
    u128::from_le_bytes(b)
}

/// ShiftRows (row r rotated left by r columns), or its inverse.
fn shift_rows(v: u128, inverse: bool) -> u128 {
    let b = bytes(v);
    value(core::array::from_fn(|i| {
        let (c, r) = (i / 4, i % 4);
        let from = if inverse {
            (c + 4 - r) % 4
        } else {
            (c + r) % 4
        };
        b[4 * from + r]
    }))
}

/// SubBytes or InvSubBytes.
fn sub_bytes(v: u128, inverse: bool) -> u128 {
    let table = if inverse { &INV_SBOX } else { &SBOX };
    value(bytes(v).map(|x| table[x as usize]))
}

/// MixColumns (each column times 3x^3 + x^2 + x + 2) or InvMixColumns
/// (times Bx^3 + Dx^2 + 9x + E).
fn mix_columns(v: u128, inverse: bool) -> u128 {
    let m: [u8; 4] = if inverse {
        [14, 11, 13, 9]
    } else {
        [2, 3, 1, 1]
    };
    let b = bytes(v);
    value(core::array::from_fn(|i| {
        let (c, r) = (i / 4, i % 4);
        (0..4).fold(0, |acc, k| acc ^ gf_mul(m[k], b[4 * c + (r + k) % 4]))
    }))
}

/// SubWord on a 32-bit word.
fn sub_word(w: u32) -> u32 {
    u32::from_le_bytes(w.to_le_bytes().map(|x| SBOX[x as usize]))
}

/// The portable AES round instructions, from the SDM's pseudocode.
mod portable {
    use super::*;

    pub fn aesenc(state: u128, key: u128) -> u128 {
        mix_columns(sub_bytes(shift_rows(state, false), false), false) ^ key
    }

    pub fn aesenclast(state: u128, key: u128) -> u128 {
        sub_bytes(shift_rows(state, false), false) ^ key
    }

    pub fn aesdec(state: u128, key: u128) -> u128 {
        mix_columns(sub_bytes(shift_rows(state, true), true), true) ^ key
    }

    pub fn aesdeclast(state: u128, key: u128) -> u128 {
        sub_bytes(shift_rows(state, true), true) ^ key
    }

    pub fn aesimc(src: u128) -> u128 {
        mix_columns(src, true)
    }

    pub fn aeskeygenassist(src: u128, imm: u8) -> u128 {
        let rcon = imm as u32;
        let x1 = sub_word(get::<u32>(src, 1));
        let x3 = sub_word(get::<u32>(src, 3));
        from_fn::<u32>(|i| match i {
            0 => x1,
            1 => x1.rotate_right(8) ^ rcon,
            2 => x3,
            _ => x3.rotate_right(8) ^ rcon,
        })
    }

    /// Carry-less product of the two 64-bit halves `imm` selects (bit 0:
    /// the destination's, bit 4: the source's).
    pub fn pclmulqdq(a: u128, b: u128, imm: u8) -> u128 {
        let x = get::<u64>(a, (imm & 1) as usize) as u128;
        let y = get::<u64>(b, ((imm >> 4) & 1) as usize);
        (0..64)
            .filter(|i| y >> i & 1 != 0)
            .fold(0, |acc, i| acc ^ x << i)
    }
}

/// Invokes `$m!` with the literals 0 to 255.
macro_rules! seq_255 {
    ($m:ident) => {
        $m!(
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
            32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
            60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87
            88 89 90 91 92 93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111
            112 113 114 115 116 117 118 119 120 121 122 123 124 125 126 127 128 129 130 131 132
            133 134 135 136 137 138 139 140 141 142 143 144 145 146 147 148 149 150 151 152 153
            154 155 156 157 158 159 160 161 162 163 164 165 166 167 168 169 170 171 172 173 174
            175 176 177 178 179 180 181 182 183 184 185 186 187 188 189 190 191 192 193 194 195
            196 197 198 199 200 201 202 203 204 205 206 207 208 209 210 211 212 213 214 215 216
            217 218 219 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237
            238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255
        )
    };
}

/// The host's AES-NI and PCLMULQDQ instructions.
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

    /// Defines `f(a, b) -> u128` running one AES intrinsic (callable
    /// where the host has AES-NI).
    macro_rules! aes2 {
        ($($f:ident = $intr:ident;)*) => {$(
            #[target_feature(enable = "aes")]
            fn $f(a: u128, b: u128) -> u128 {
                u(arch::$intr(m(a), m(b)))
            }
        )*};
    }

    aes2! {
        aesenc_raw = _mm_aesenc_si128;
        aesenclast_raw = _mm_aesenclast_si128;
        aesdec_raw = _mm_aesdec_si128;
        aesdeclast_raw = _mm_aesdeclast_si128;
    }

    #[target_feature(enable = "aes")]
    fn aesimc_raw(a: u128) -> u128 {
        u(arch::_mm_aesimc_si128(m(a)))
    }

    #[target_feature(enable = "aes")]
    fn aeskeygenassist_raw<const I: i32>(a: u128) -> u128 {
        u(arch::_mm_aeskeygenassist_si128::<I>(m(a)))
    }

    #[target_feature(enable = "pclmulqdq")]
    fn pclmulqdq_raw<const I: i32>(a: u128, b: u128) -> u128 {
        u(arch::_mm_clmulepi64_si128::<I>(m(a), m(b)))
    }

    /// Defines safe wrappers over the `_raw` functions (asserting AES-NI).
    macro_rules! checked {
        ($($f:ident($($x:ident),*) = $raw:ident;)*) => {$(
            pub fn $f($($x: u128),*) -> u128 {
                assert!(has_aes());
                // SAFETY: the host has AES-NI (asserted above).
                unsafe { $raw($($x),*) }
            }
        )*};
    }

    checked! {
        aesenc(a, b) = aesenc_raw;
        aesenclast(a, b) = aesenclast_raw;
        aesdec(a, b) = aesdec_raw;
        aesdeclast(a, b) = aesdeclast_raw;
        aesimc(a) = aesimc_raw;
    }

    pub fn aeskeygenassist(a: u128, imm: u8) -> u128 {
        assert!(has_aes());
        /// One instance per immediate: the intrinsic takes it as a constant.
        macro_rules! by_imm {
            ($($i:literal)*) => {
                match imm {
                    $($i => aeskeygenassist_raw::<$i>(a),)*
                }
            };
        }
        // SAFETY: the host has AES-NI (asserted above).
        unsafe { seq_255!(by_imm) }
    }

    pub fn pclmulqdq(a: u128, b: u128, imm: u8) -> u128 {
        assert!(has_pclmulqdq());
        // SAFETY: the host has PCLMULQDQ (asserted above).
        unsafe {
            match imm & 0x11 {
                0x00 => pclmulqdq_raw::<0x00>(a, b),
                0x01 => pclmulqdq_raw::<0x01>(a, b),
                0x10 => pclmulqdq_raw::<0x10>(a, b),
                _ => pclmulqdq_raw::<0x11>(a, b),
            }
        }
    }
}

/// True when the host has AES-NI (checked once).
fn has_aes() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("aes"))
}

/// True when the host has PCLMULQDQ (checked once).
fn has_pclmulqdq() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("pclmulqdq"))
}

/// `host::$f` where the host has the instruction, `portable::$f` elsewhere.
macro_rules! dispatch {
    ($has:ident, $f:ident($($x:expr),*)) => {
        if $has() {
            host::$f($($x),*)
        } else {
            portable::$f($($x),*)
        }
    };
}

pure_ops! {
    PURE;
    /// AESENC: one encryption round with the source as round key.
    AESENC = "aesenc", |a, b, _| dispatch!(has_aes, aesenc(a, b));
    /// AESENCLAST: the last encryption round (no MixColumns).
    AESENCLAST = "aesenclast", |a, b, _| dispatch!(has_aes, aesenclast(a, b));
    /// AESDEC: one decryption round (equivalent inverse cipher).
    AESDEC = "aesdec", |a, b, _| dispatch!(has_aes, aesdec(a, b));
    /// AESDECLAST: the last decryption round (no InvMixColumns).
    AESDECLAST = "aesdeclast", |a, b, _| dispatch!(has_aes, aesdeclast(a, b));
    /// AESIMC: InvMixColumns of the source, for decryption round keys.
    AESIMC = "aesimc", |_, b, _| dispatch!(has_aes, aesimc(b));
    /// AESKEYGENASSIST: SubWord/RotWord of the source's words with RCON = imm.
    AESKEYGENASSIST = "aeskeygenassist", |_, b, c| dispatch!(has_aes, aeskeygenassist(b, c as u8));
    /// PCLMULQDQ: carry-less product of the quadwords the immediate selects.
    PCLMULQDQ = "pclmulqdq", |a, b, c| dispatch!(has_pclmulqdq, pclmulqdq(a, b, c as u8));
}

#[cfg(test)]
mod tests {
    use super::super::native::{check_binary, check_binary_imm, inputs};
    use super::*;

    #[test]
    fn sbox_matches_fips_197() {
        // FIPS-197 figure 7 and 14 spot values.
        assert_eq!(SBOX[0x00], 0x63);
        assert_eq!(SBOX[0x53], 0xed);
        assert_eq!(SBOX[0xff], 0x16);
        assert_eq!(INV_SBOX[0x63], 0x00);
        assert_eq!(INV_SBOX[0x16], 0xff);
    }

    /// FIPS-197 appendix C.1: AES-128 of 00112233..ff under key 0001..0f.
    #[test]
    fn aes128_known_answer() {
        let key = value(core::array::from_fn(|i| i as u8));
        let pt = value(core::array::from_fn(|i| (i as u8) * 0x11));
        let want = value([
            0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
            0xc5, 0x5a,
        ]);
        // Key expansion with AESKEYGENASSIST, as software does it.
        let rcon = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];
        let mut keys = vec![key];
        for r in rcon {
            let prev = *keys.last().expect("a key");
            let t = get::<u32>(portable::aeskeygenassist(prev, r), 3);
            let mut w: [u32; 4] = core::array::from_fn(|i| get::<u32>(prev, i));
            w[0] ^= t;
            for i in 1..4 {
                w[i] ^= w[i - 1];
            }
            keys.push(from_fn::<u32>(|i| w[i]));
        }
        let mut s = pt ^ keys[0];
        for k in &keys[1..10] {
            s = portable::aesenc(s, *k);
        }
        let ct = portable::aesenclast(s, keys[10]);
        assert_eq!(ct, want);
        // The equivalent inverse cipher decrypts it.
        let mut s = ct ^ keys[10];
        for k in keys[1..10].iter().rev() {
            s = portable::aesdec(s, portable::aesimc(*k));
        }
        assert_eq!(portable::aesdeclast(s, keys[0]), pt);
    }

    #[test]
    fn portable_versions_match_the_host() {
        if !has_aes() || !has_pclmulqdq() {
            return;
        }
        for (a, b) in inputs() {
            assert_eq!(portable::aesenc(a, b), host::aesenc(a, b));
            assert_eq!(portable::aesenclast(a, b), host::aesenclast(a, b));
            assert_eq!(portable::aesdec(a, b), host::aesdec(a, b));
            assert_eq!(portable::aesdeclast(a, b), host::aesdeclast(a, b));
            assert_eq!(portable::aesimc(a), host::aesimc(a));
            for imm in [0u8, 1, 0x10, 0x11, 0x36, 0xfe, 0xff] {
                assert_eq!(
                    portable::aeskeygenassist(a, imm),
                    host::aeskeygenassist(a, imm)
                );
                assert_eq!(portable::pclmulqdq(a, b, imm), host::pclmulqdq(a, b, imm));
            }
        }
    }

    #[test]
    fn helpers_match_native_instructions() {
        check_binary!(AESENC, "aesenc");
        check_binary!(AESENCLAST, "aesenclast");
        check_binary!(AESDEC, "aesdec");
        check_binary!(AESDECLAST, "aesdeclast");
        check_binary!(AESIMC, "aesimc");
        check_binary_imm!(AESKEYGENASSIST, "aeskeygenassist", 0, 1, 0x1b, 0x80, 0xff);
        check_binary_imm!(PCLMULQDQ, "pclmulqdq", 0, 1, 0x10, 0x11, 0xee);
    }
}
