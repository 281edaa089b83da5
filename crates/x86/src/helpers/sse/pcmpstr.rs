//! SSE4.2 packed string comparisons PCMPESTRI/PCMPESTRM/PCMPISTRI/
//! PCMPISTRM (SDM vol. 2, 4.1): one comparison core with the four
//! aggregations, polarities and outputs. Arguments: `d | imm << 8`, the
//! second operand's halves, and for the explicit-length forms RAX and RDX
//! (`imm` bit 16 set for the REX.W forms, whose lengths are 64-bit).
//! Each returns its EFLAGS (CF ZF SF OF; AF PF clear), the index forms
//! with the index in bits 32..; the mask forms write XMM0. PCMPISTRI is
//! a `call_xmm` helper instead (operands `d`, `s` and the immediate), whose
//! result is also left in `xmm_result`. The host's own instruction runs
//! them when it can (`pcmpstr_host`).

use super::lanes::{from_fn, get, mask};
use super::pcmpstr_host as host;
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

/// What one instruction leaves: ECX (index forms), XMM0 (mask forms) and
/// EFLAGS (CF ZF SF OF; AF PF clear).
pub(super) type Outputs = (u32, u128, u64);

/// The four forms, in the order of `host::FORMS` rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Estri = 0,
    Istri = 1,
    Estrm = 2,
    Istrm = 3,
}

/// Form `f` on XMM1 = `a`, XMM2 = `b` and (explicit forms) `rax`/`rdx`,
/// by the portable core.
fn emulate(f: Form, a: u128, b: u128, rax: u64, rdx: u64, imm: u8, wide: bool) -> Outputs {
    let explicit = matches!(f, Form::Estri | Form::Estrm);
    let (la, lb) = if explicit {
        (explicit_len(rax, wide, imm), explicit_len(rdx, wide, imm))
    } else {
        (implicit_len(a, imm), implicit_len(b, imm))
    };
    let (res2, flags) = compare(a, b, la, lb, imm);
    match f {
        Form::Estri | Form::Istri => (index(res2, imm) as u32, 0, flags),
        Form::Estrm | Form::Istrm => (0, mask_out(res2, imm), flags),
    }
}

/// Form `f` for a helper call: on the host's own instruction when it has
/// one for these operands, else by `emulate`.
fn run(f: Form, env: &mut CpuState, arg: u64, lo: u64, hi: u64, rax: u64, rdx: u64) -> u64 {
    let a = super::xmm(env, arg & 0xff);
    let b = super::pair(lo, hi);
    let imm = (arg >> 8) as u8;
    let wide = arg & 1 << 16 != 0;
    let (ecx, m0, flags) = if !wide && host::available() {
        host::FORMS[(imm & 0x7f) as usize][f as usize](a, b, rax, rdx)
    } else {
        emulate(f, a, b, rax, rdx, imm, wide)
    };
    match f {
        Form::Estri | Form::Istri => flags | (ecx as u64) << 32,
        Form::Estrm | Form::Istrm => {
            super::set_xmm(env, 0, m0);
            flags
        }
    }
}

extern "C" fn pcmpestri(env: &mut CpuState, arg: u64, lo: u64, hi: u64, rax: u64, rdx: u64) -> u64 {
    run(Form::Estri, env, arg, lo, hi, rax, rdx)
}

/// A `call_xmm` helper: operands `d` and `s` (`lo`, `hi`); EFLAGS in
/// `xmm_result` and the index in `xmm_index` (also returned as one word).
extern "C" fn pcmpistri(env: &mut CpuState, d: u64, lo: u64, hi: u64, imm: u64, _: u64) -> u64 {
    let r = run(Form::Istri, env, d | (imm & 0xff) << 8, lo, hi, 0, 0);
    env.xmm_result = r & 0xffff_ffff;
    env.xmm_index = r >> 32;
    r
}

extern "C" fn pcmpestrm(env: &mut CpuState, arg: u64, lo: u64, hi: u64, rax: u64, rdx: u64) -> u64 {
    run(Form::Estrm, env, arg, lo, hi, rax, rdx)
}

extern "C" fn pcmpistrm(env: &mut CpuState, arg: u64, lo: u64, hi: u64, _: u64, _: u64) -> u64 {
    run(Form::Istrm, env, arg, lo, hi, 0, 0)
}

/// `pcmpestri(d | imm << 8 | wide << 16, lo, hi, rax, rdx)` -> EFLAGS | index << 32.
pub static PCMPESTRI: HelperInfo = HelperInfo {
    name: "pcmpestri",
    func: pcmpestri,
};

/// `call_xmm pcmpistri, d, s, imm`: EFLAGS in `xmm_result`, the index in
/// `xmm_index`.
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

    /// The portable core gives the host's results for every immediate.
    #[test]
    fn every_immediate_matches_host() {
        let mut rng = Rng(0x5555_1234_abcd_0001);
        let lens: [u64; 9] = [0, 1, 3, 8, 15, 16, 17, (-5i64) as u64, 0x8000_0000];
        for _ in 0..60 {
            let (a, b) = (operand(&mut rng), operand(&mut rng));
            let eax = lens[(rng.next() % 9) as usize];
            let edx = lens[(rng.next() % 9) as usize];
            for (imm, natives) in host::FORMS.iter().enumerate() {
                let imm = imm as u8;
                let what = format!("imm {imm:#x} a {a:#x} b {b:#x} eax {eax:#x} edx {edx:#x}");
                for f in [Form::Estri, Form::Istri, Form::Estrm, Form::Istrm] {
                    let want = natives[f as usize](a, b, eax, edx);
                    let got = emulate(f, a, b, eax, edx, imm, false);
                    if matches!(f, Form::Estri | Form::Istri) {
                        assert_eq!((got.0, got.2), (want.0, want.2), "index form {what}");
                    } else {
                        assert_eq!((got.1, got.2), (want.1, want.2), "mask form {what}");
                    }
                }
            }
        }
    }

    /// The helpers give the portable core's results (through the host
    /// path where there is one, and for the REX.W forms).
    #[test]
    fn helpers_match_the_core() {
        let mut rng = Rng(0x77aa_0101_5a5a_0002);
        for _ in 0..200 {
            let (a, b) = (operand(&mut rng), operand(&mut rng));
            let imm = rng.next() as u8;
            let wide = rng.next() & 1 != 0;
            let (rax, rdx) = (rng.next() % 20, (rng.next() % 20).wrapping_neg());
            let mut env = CpuState::default();
            super::super::set_xmm(&mut env, 1, a);
            let arg = 1 | (imm as u64) << 8 | (wide as u64) << 16;
            let (lo, hi) = (b as u64, (b >> 64) as u64);
            let r = (PCMPESTRI.func)(&mut env, arg, lo, hi, rax, rdx);
            let want = emulate(Form::Estri, a, b, rax, rdx, imm, wide);
            assert_eq!(r, want.2 | (want.0 as u64) << 32, "pcmpestri {imm:#x}");
            let r = (PCMPISTRI.func)(&mut env, 1, lo, hi, imm as u64, 0);
            let want = emulate(Form::Istri, a, b, 0, 0, imm, false);
            assert_eq!(r, want.2 | (want.0 as u64) << 32, "pcmpistri {imm:#x}");
            assert_eq!((env.xmm_result, env.xmm_index), (want.2, want.0 as u64));
            let r = (PCMPISTRM.func)(&mut env, arg, lo, hi, 0, 0);
            let want = emulate(Form::Istrm, a, b, 0, 0, imm, wide);
            assert_eq!(
                (r, super::super::xmm(&env, 0)),
                (want.2, want.1),
                "pcmpistrm {imm:#x}"
            );
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
