//! CRC32 (SSE4.2): CRC-32C (Castagnoli, reflected polynomial 0x82F63B78)
//! of 1, 2, 4 or 8 source bytes, least significant first, continuing the
//! accumulator; no pre- or post-inversion.

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

extern "C" fn crc32(_: &mut CpuState, crc: u64, v: u64, size: u64, _: u64, _: u64) -> u64 {
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
            assert_eq!(
                [call(1), call(2), call(4), call(8)],
                [r8, r16, r32, r64],
                "{crc:#x} {v:#x}"
            );
        }
    }
}
