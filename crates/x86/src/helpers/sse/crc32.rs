//! CRC32 (SSE4.2): CRC-32C (Castagnoli, reflected polynomial 0x82F63B78)
//! of 1, 2, 4 or 8 source bytes, least significant first, continuing the
//! accumulator; no pre- or post-inversion. The host's own instruction
//! where it has SSE4.2, else the portable version here.

use super::HelperInfo;
use crate::cpu::CpuState;

/// The reflected CRC-32C polynomial.
const POLY: u32 = 0x82f6_3b78;

fn crc32c(mut crc: u32, v: u64, size: u64) -> u32 {
    for byte in v.to_le_bytes().iter().take(size as usize) {
        crc ^= *byte as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (POLY & (crc & 1).wrapping_neg());
        }
    }
    crc
}

/// The host's CRC32 instruction on the low `size` bytes of `v`.
#[target_feature(enable = "sse4.2")]
fn crc32c_host(crc: u32, v: u64, size: u64) -> u32 {
    use core::arch::x86_64::{_mm_crc32_u16, _mm_crc32_u32, _mm_crc32_u64, _mm_crc32_u8};
    match size {
        1 => _mm_crc32_u8(crc, v as u8),
        2 => _mm_crc32_u16(crc, v as u16),
        4 => _mm_crc32_u32(crc, v as u32),
        _ => _mm_crc32_u64(crc as u64, v) as u32,
    }
}

/// True when the host has SSE4.2's CRC32 (checked once).
fn host_has_crc32() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("sse4.2"))
}

/// The host's instruction where it has one (a few cycles), else a byte
/// and a bit at a time (64 steps for 8 bytes).
extern "C" fn crc32(_: &mut CpuState, crc: u64, v: u64, size: u64, _: u64, _: u64) -> u64 {
    if host_has_crc32() {
        // SAFETY: the host has SSE4.2 (checked above).
        return unsafe { crc32c_host(crc as u32, v, size) } as u64;
    }
    crc32c(crc as u32, v, size) as u64
}

/// `crc32(crc, value, size)` -> the updated 32-bit CRC, zero-extended.
pub static CRC32: HelperInfo = HelperInfo {
    name: "crc32",
    func: crc32,
};

/// This file's helpers.
pub const HELPERS: &[&HelperInfo] = &[&CRC32];

#[cfg(test)]
mod tests {
    use super::super::native::Rng;
    use super::*;

    #[test]
    fn matches_host_for_each_size() {
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        for _ in 0..2000 {
            let (crc, v) = (rng.next(), rng.next());
            let (mut r8, mut r16, mut r32, mut r64) = (crc, crc, crc, crc);
            // SAFETY: CRC32 on registers only.
            unsafe {
                core::arch::asm!(
                    "crc32 {a:e}, {v:l}",
                    "crc32 {b:e}, {v:x}",
                    "crc32 {c:e}, {v:e}",
                    "crc32 {d}, {v}",
                    a = inout(reg) r8,
                    b = inout(reg) r16,
                    c = inout(reg) r32,
                    d = inout(reg) r64,
                    v = in(reg) v,
                    options(pure, nomem, nostack),
                );
            }
            let call = |size| crc32(&mut CpuState::default(), crc & 0xffff_ffff, v, size, 0, 0);
            let portable = |size| crc32c(crc as u32, v, size) as u64;
            assert_eq!(
                [call(1), call(2), call(4), call(8)],
                [r8, r16, r32, r64],
                "{crc:#x} {v:#x}"
            );
            assert_eq!(
                [portable(1), portable(2), portable(4), portable(8)],
                [r8, r16, r32, r64],
                "portable {crc:#x} {v:#x}"
            );
        }
    }
}
