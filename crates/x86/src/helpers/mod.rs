//! Helpers: x86 work too big to inline as IR (flag materialisation, cpuid,
//! division, x87, complex SSE), called from IR with the host C ABI as
//! `f(env, a0..a4) -> u64`. Each family keeps its helpers in its own file;
//! this module gathers them into one id-indexed registry.

use crate::cpu::CpuState;
use std::collections::HashMap;
use std::sync::OnceLock;

pub mod bmi;
pub mod flags;
pub mod misc;
pub mod mmu;
pub mod muldiv;
pub mod random;
pub mod sse;
pub mod string;
pub mod system;
pub mod x87;

/// The signature every helper has.
pub type HelperFn = extern "C" fn(&mut CpuState, u64, u64, u64, u64, u64) -> u64;

/// One helper: its name (IR text form) and entry point.
pub struct HelperInfo {
    /// Name in the IR text form.
    pub name: &'static str,
    /// Entry point.
    pub func: HelperFn,
}

struct Registry {
    list: Vec<&'static HelperInfo>,
    by_addr: HashMap<usize, u32>,
    by_name: HashMap<&'static str, u32>,
}

fn registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| {
        let families: [&'static [&'static HelperInfo]; 10] = [
            flags::HELPERS,
            misc::HELPERS,
            mmu::HELPERS,
            muldiv::HELPERS,
            sse::HELPERS,
            system::HELPERS,
            x87::HELPERS,
            bmi::HELPERS,
            random::HELPERS,
            string::HELPERS,
        ];
        let list: Vec<&'static HelperInfo> =
            families.iter().flat_map(|f| f.iter().copied()).collect();
        let by_addr = list
            .iter()
            .enumerate()
            .map(|(i, h)| (*h as *const HelperInfo as usize, i as u32))
            .collect();
        let by_name = list
            .iter()
            .enumerate()
            .map(|(i, h)| (h.name, i as u32))
            .collect();
        Registry {
            list,
            by_addr,
            by_name,
        }
    })
}

/// The id of a registered helper.
pub fn id_of(h: &'static HelperInfo) -> u32 {
    registry().by_addr[&(h as *const HelperInfo as usize)]
}

/// The helper with id `id`.
pub fn by_id(id: u32) -> &'static HelperInfo {
    registry().list[id as usize]
}

/// Number of registered helpers.
pub fn count() -> u32 {
    registry().list.len() as u32
}

/// Helper names for the IR text form and verifier.
pub struct Names;

impl ox86_ir::HelperNames for Names {
    fn helper_name(&self, id: u32) -> &str {
        registry().list.get(id as usize).map_or("?", |h| h.name)
    }
    fn helper_id(&self, name: &str) -> Option<u32> {
        registry().by_name.get(name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let r = registry();
        assert_eq!(r.by_name.len(), r.list.len());
    }
}
