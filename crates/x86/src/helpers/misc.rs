//! misc helpers.

use super::HelperInfo;
use crate::cpu::{excp, CpuState};

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[&RAISE_FETCH_FAULT];

extern "C" fn raise_fetch_fault(
    env: &mut CpuState,
    addr: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
) -> u64 {
    env.raise(excp::PF, addr, false);
    0
}

/// `raise_fetch_fault(addr)`: records #PF for an instruction fetch at `addr`.
pub static RAISE_FETCH_FAULT: HelperInfo = HelperInfo {
    name: "raise_fetch_fault",
    func: raise_fetch_fault,
};

/// AT_HWCAP for the guest: CPUID.1:EDX of the CPU model ox86 presents.
pub fn hwcap() -> u64 {
    // FPU TSC CX8 CMOV SSE SSE2 (bits 0, 4, 8, 15, 25, 26).
    (1 << 0) | (1 << 4) | (1 << 8) | (1 << 15) | (1 << 25) | (1 << 26)
}
