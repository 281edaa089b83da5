//! MFENCE: a full host fence. Guest threads run on host threads and guest
//! memory accesses are host accesses, so ordering a guest store before a
//! later guest load takes the host's own fence (x86 orders everything else).

use super::HelperInfo;
use crate::cpu::CpuState;
use std::sync::atomic::{fence, Ordering};

extern "C" fn mfence(_: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    fence(Ordering::SeqCst);
    0
}

/// `mfence()`: orders all earlier guest memory accesses before later ones.
pub static MFENCE: HelperInfo = HelperInfo {
    name: "mfence",
    func: mfence,
};

/// This file's helpers.
pub const HELPERS: &[&HelperInfo] = &[&MFENCE];
