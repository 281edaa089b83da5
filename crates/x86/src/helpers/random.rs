//! RDRAND and RDSEED: 64 random bits from the host's own instruction when
//! it has it (retried as the SDM advises, since it may transiently fail),
//! else from the kernel's random source. The guest always sees success.

use super::HelperInfo;
use crate::cpu::CpuState;
use core::arch::asm;
use std::io::Read;
use std::sync::OnceLock;

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[&RDRAND, &RDSEED];

/// Attempts of the host instruction before falling back to the kernel.
const RETRIES: usize = 10;

/// Host RDRAND and RDSEED support (checked once).
fn host_has(rdseed: bool) -> bool {
    static HAS: OnceLock<(bool, bool)> = OnceLock::new();
    let (rdrand, seed) = *HAS.get_or_init(|| {
        (
            std::arch::is_x86_feature_detected!("rdrand"),
            std::arch::is_x86_feature_detected!("rdseed"),
        )
    });
    if rdseed {
        seed
    } else {
        rdrand
    }
}

/// One attempt of the host's RDRAND (or RDSEED): the value if CF says it
/// is valid.
fn host_step(rdseed: bool) -> Option<u64> {
    let (v, ok): (u64, u8);
    if rdseed {
        // SAFETY: RDSEED only writes the register and the flags; the
        // caller checked that the host has it.
        unsafe {
            asm!("rdseed {v}", "setc {ok}", v = out(reg) v, ok = out(reg_byte) ok, options(nomem, nostack))
        };
    } else {
        // SAFETY: as above, for RDRAND.
        unsafe {
            asm!("rdrand {v}", "setc {ok}", v = out(reg) v, ok = out(reg_byte) ok, options(nomem, nostack))
        };
    }
    (ok != 0).then_some(v)
}

/// 64 bits from the kernel's random source.
fn kernel_random() -> u64 {
    let mut b = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .expect("the host's /dev/urandom is readable");
    u64::from_le_bytes(b)
}

/// 64 random bits, of seed grade when `rdseed`.
pub fn random(rdseed: bool) -> u64 {
    if host_has(rdseed) {
        if let Some(v) = (0..RETRIES).find_map(|_| host_step(rdseed)) {
            return v;
        }
    }
    kernel_random()
}

extern "C" fn rdrand(_: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    random(false)
}

extern "C" fn rdseed(_: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    random(true)
}

/// `rdrand() -> v`: RDRAND's random value (it always succeeds).
pub static RDRAND: HelperInfo = HelperInfo {
    name: "rdrand",
    func: rdrand,
};

/// `rdseed() -> v`: RDSEED's random value (it always succeeds).
pub static RDSEED: HelperInfo = HelperInfo {
    name: "rdseed",
    func: rdseed,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Sixteen draws with no repeat and about half their bits set.
    fn looks_random(draw: impl Fn() -> u64) {
        let v: Vec<u64> = (0..16).map(|_| draw()).collect();
        let mut sorted = v.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), v.len(), "{v:x?}");
        let ones: u32 = v.iter().map(|x| x.count_ones()).sum();
        assert!((350..670).contains(&ones), "{ones} of 1024 bits set");
    }

    #[test]
    fn every_source_looks_random() {
        looks_random(|| random(false));
        looks_random(|| random(true));
        looks_random(kernel_random);
    }
}
