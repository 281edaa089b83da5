//! The softmmu slow path as helpers: what `ld_mmu`/`st_mmu` call when
//! a backend has no inline TLB probe for them (or the probe misses).

use super::HelperInfo;
use crate::cpu::CpuState;
use crate::system::access;

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[&LD_MMU, &ST_MMU];

extern "C" fn ld_mmu(env: &mut CpuState, va: u64, memop: u64, _: u64, _: u64, _: u64) -> u64 {
    access::load(env, va, memop)
}

/// `ld_mmu(va, memop)` -> the value loaded (raises #PF/#GP, or SMC exits).
pub static LD_MMU: HelperInfo = HelperInfo {
    name: "ld_mmu",
    func: ld_mmu,
};

extern "C" fn st_mmu(env: &mut CpuState, v: u64, va: u64, memop: u64, _: u64, _: u64) -> u64 {
    access::store(env, va, v, memop);
    0
}

/// `st_mmu(v, va, memop)`: stores `v` (raises #PF/#GP, or SMC exits).
pub static ST_MMU: HelperInfo = HelperInfo {
    name: "st_mmu",
    func: st_mmu,
};
