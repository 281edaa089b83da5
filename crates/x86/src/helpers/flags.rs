//! Flag helpers: materialise the lazy EFLAGS when the translator cannot
//! compute a condition inline.

use super::HelperInfo;
use crate::cc;
use crate::cpu::CpuState;

extern "C" fn cc_compute_all(
    _: &mut CpuState,
    op: u64,
    dst: u64,
    src: u64,
    src2: u64,
    _: u64,
) -> u64 {
    cc::compute_all(op, dst, src, src2)
}

/// `cc_compute_all(cc_op, cc_dst, cc_src, cc_src2)` -> the six arithmetic flags.
pub static CC_COMPUTE_ALL: HelperInfo = HelperInfo {
    name: "cc_compute_all",
    func: cc_compute_all,
};

extern "C" fn cc_compute_c(
    _: &mut CpuState,
    op: u64,
    dst: u64,
    src: u64,
    src2: u64,
    _: u64,
) -> u64 {
    cc::compute_c(op, dst, src, src2)
}

/// `cc_compute_c(cc_op, cc_dst, cc_src, cc_src2)` -> CF alone (0 or 1).
pub static CC_COMPUTE_C: HelperInfo = HelperInfo {
    name: "cc_compute_c",
    func: cc_compute_c,
};

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[&CC_COMPUTE_ALL, &CC_COMPUTE_C];
