//! BMI2 helpers: PDEP and PEXT, the bit scatter and gather too long to
//! inline (one step per set bit of the mask): the host's instructions
//! where it has BMI2, else the portable versions here. Pure functions of
//! their operands; the 32-bit forms pass zero-extended operands.

use super::HelperInfo;
use crate::cpu::CpuState;

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[&PDEP, &PEXT];

/// PDEP: the low bits of `src`, in order, at the set bits of `mask`.
pub fn pdep(src: u64, mask: u64) -> u64 {
    let (mut r, mut m, mut k) = (0, mask, 0);
    while m != 0 {
        let low = m & m.wrapping_neg();
        if src >> k & 1 != 0 {
            r |= low;
        }
        m ^= low;
        k += 1;
    }
    r
}

/// PEXT: the bits of `src` at the set bits of `mask`, packed at the bottom.
pub fn pext(src: u64, mask: u64) -> u64 {
    let (mut r, mut m, mut k) = (0, mask, 0);
    while m != 0 {
        let low = m & m.wrapping_neg();
        if src & low != 0 {
            r |= 1 << k;
        }
        m ^= low;
        k += 1;
    }
    r
}

/// True when the host has BMI2's PDEP and PEXT (checked once).
fn host_has_bmi2() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("bmi2"))
}

/// The host's PDEP.
#[target_feature(enable = "bmi2")]
fn pdep_host(src: u64, mask: u64) -> u64 {
    core::arch::x86_64::_pdep_u64(src, mask)
}

/// The host's PEXT.
#[target_feature(enable = "bmi2")]
fn pext_host(src: u64, mask: u64) -> u64 {
    core::arch::x86_64::_pext_u64(src, mask)
}

extern "C" fn pdep_h(_: &mut CpuState, src: u64, mask: u64, _: u64, _: u64, _: u64) -> u64 {
    if host_has_bmi2() {
        // SAFETY: the host has BMI2 (checked above).
        return unsafe { pdep_host(src, mask) };
    }
    pdep(src, mask)
}

extern "C" fn pext_h(_: &mut CpuState, src: u64, mask: u64, _: u64, _: u64, _: u64) -> u64 {
    if host_has_bmi2() {
        // SAFETY: the host has BMI2 (checked above).
        return unsafe { pext_host(src, mask) };
    }
    pext(src, mask)
}

/// `pdep(src, mask) -> r`: PDEP (pure).
pub static PDEP: HelperInfo = HelperInfo {
    name: "pdep",
    func: pdep_h,
};

/// `pext(src, mask) -> r`: PEXT (pure).
pub static PEXT: HelperInfo = HelperInfo {
    name: "pext",
    func: pext_h,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_and_gather_follow_the_mask() {
        assert_eq!(pdep(0b1011, 0xf0f0), 0b1011_0000);
        assert_eq!(pdep(0b1_1111, 0xf0f0), 0x10f0);
        assert_eq!(pext(0x1234_5678, 0xff00), 0x56);
        assert_eq!(pext(u64::MAX, 0x8000_0000_0000_0001), 3);
        assert_eq!(pdep(u64::MAX, 0), 0);
        assert_eq!(pext(pdep(0xabcd, 0x0f0f_0f0f), 0x0f0f_0f0f), 0xabcd);
    }

    /// The helpers (the host's instructions where it has BMI2) agree with
    /// the portable versions.
    #[test]
    fn helpers_match_the_portable_versions() {
        let mut x = 0x0123_4567_89ab_cdefu64;
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (src, mask) = (x, x.rotate_left(23) ^ 0x5555_0000_ffff_0f0f);
            let env = &mut CpuState::default();
            assert_eq!(pdep_h(env, src, mask, 0, 0, 0), pdep(src, mask));
            assert_eq!(pext_h(env, src, mask, 0, 0, 0), pext(src, mask));
        }
    }
}
