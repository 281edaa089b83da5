//! Linear to physical translation (SDM vol. 3A, chapter 4): no paging,
//! 32-bit paging (with 4 MiB pages), PAE paging and 4-level paging, with
//! the U/S, R/W (and CR0.WP), NX and reserved-bit checks, accessed and
//! dirty bit updates, and the page-fault error code.

use super::mmu::{Mmu, Perm};
use super::regs::{cr0, cr4, efer};
use crate::cpu::CpuState;

/// Page-fault error code bits.
pub mod pf {
    /// The fault was a protection violation (clear: not present).
    pub const P: u32 = 1 << 0;
    /// A write.
    pub const W: u32 = 1 << 1;
    /// A user-mode access.
    pub const U: u32 = 1 << 2;
    /// A reserved bit was set in a paging-structure entry.
    pub const RSVD: u32 = 1 << 3;
    /// An instruction fetch.
    pub const ID: u32 = 1 << 4;
}

/// Paging-structure entry bits.
pub mod pte {
    pub const P: u64 = 1 << 0;
    pub const RW: u64 = 1 << 1;
    pub const US: u64 = 1 << 2;
    pub const A: u64 = 1 << 5;
    pub const D: u64 = 1 << 6;
    /// Page size (in a PDE or PDPTE).
    pub const PS: u64 = 1 << 7;
    pub const G: u64 = 1 << 8;
    pub const NX: u64 = 1 << 63;
}

/// Physical address bits ox86 reports in CPUID (leaf 8000_0008h).
pub const MAXPHYADDR: u32 = 39;

/// The kind of an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A data load.
    Read,
    /// A data store.
    Write,
    /// An instruction fetch.
    Fetch,
}

/// A successful translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    /// The physical address.
    pub paddr: u64,
    /// What the TLB may allow for this page and privilege.
    pub perm: Perm,
}

/// Bits 51..MAXPHYADDR of an address field.
const HIGH_RSVD: u64 = ((1 << 52) - 1) & !((1 << MAXPHYADDR) - 1);

/// Bits 62..MAXPHYADDR: reserved in every PAE-paging entry (4-level
/// paging leaves 62:52 to software).
const PAE_HIGH_RSVD: u64 = ((1 << 63) - 1) & !((1 << MAXPHYADDR) - 1);

/// Bits 21:(MAXPHYADDR - 19) of a 4 MiB PDE: above the PSE-36 address
/// bits (MAXPHYADDR - 1):32 held in bits (MAXPHYADDR - 20):13.
const PSE36_RSVD: u64 = ((1 << 22) - 1) & !((1 << (MAXPHYADDR - 19)) - 1);

/// Translates linear `va` for `access` at user (CPL 3) or supervisor
/// privilege, setting accessed and dirty bits. Err is the #PF error code.
pub fn translate(
    env: &CpuState,
    mmu: &mut Mmu,
    va: u64,
    access: Access,
    user: bool,
) -> Result<Walk, u32> {
    let s = &env.sys;
    if s.cr0 & cr0::PG == 0 {
        let all = Perm {
            read: true,
            write: true,
            exec: true,
            large: false,
        };
        return Ok(Walk {
            paddr: va & mmu.a20_mask,
            perm: all,
        });
    }
    let lma = s.efer & efer::LMA != 0;
    // PAE paging (PAE without long mode): PDPTEs carry no access rights
    // and no accessed bit (bits 8:5 are reserved).
    let pae32 = !lma && s.cr4 & cr4::PAE != 0;
    // EFER.NXE has no effect on 32-bit paging, whose entries have no XD bit.
    let nxe = s.efer & efer::NXE != 0 && s.cr4 & cr4::PAE != 0;
    let fault = |present: bool, rsvd: bool| {
        let mut e = 0;
        if present {
            e |= pf::P;
        }
        if access == Access::Write {
            e |= pf::W;
        }
        if user {
            e |= pf::U;
        }
        if rsvd {
            e |= pf::RSVD | pf::P;
        }
        if access == Access::Fetch && nxe {
            e |= pf::ID;
        }
        e
    };
    // The chain of entries, from the top level down to the leaf.
    let mut entries: [(u64, u64); 5] = [(0, 0); 5];
    let mut n = 0;
    let mut push = |mmu: &mut Mmu, addr: u64, size: u32| {
        let addr = addr & mmu.a20_mask;
        let v = mmu.phys_read(addr, size);
        entries[n] = (addr, v);
        n += 1;
        v
    };
    let nx_rsvd = if nxe { 0 } else { pte::NX };
    // Reserved bits of a PDE or PTE.
    let rsvd = nx_rsvd | if pae32 { PAE_HIGH_RSVD } else { HIGH_RSVD };
    // (page offset mask, PAE-format entries).
    let (leaf_off_mask, wide) = if lma {
        let pml4e = push(
            mmu,
            (s.cr3 & 0x000f_ffff_ffff_f000) | ((va >> 36) & 0xff8),
            8,
        );
        if pml4e & pte::P == 0 {
            return Err(fault(false, false));
        }
        if pml4e & (HIGH_RSVD | nx_rsvd | pte::PS) != 0 {
            return Err(fault(true, true));
        }
        let pdpte = push(
            mmu,
            (pml4e & 0x000f_ffff_ffff_f000) | ((va >> 27) & 0xff8),
            8,
        );
        if pdpte & pte::P == 0 {
            return Err(fault(false, false));
        }
        if pdpte & (HIGH_RSVD | nx_rsvd) != 0 {
            return Err(fault(true, true));
        }
        if pdpte & pte::PS != 0 {
            if pdpte & 0x3fff_e000 != 0 {
                return Err(fault(true, true));
            }
            (0x3fff_ffff, true)
        } else {
            pde_pte(mmu, &mut push, pdpte, va, rsvd).map_err(|(p, r)| fault(p, r))?
        }
    } else if pae32 {
        let pdpte = push(mmu, (s.cr3 & 0xffff_ffe0) | ((va >> 27) & 0x18), 8);
        if pdpte & pte::P == 0 {
            return Err(fault(false, false));
        }
        if pdpte & (PAE_HIGH_RSVD | pte::NX | 0x1e6) != 0 {
            return Err(fault(true, true));
        }
        pde_pte(mmu, &mut push, pdpte, va, rsvd).map_err(|(p, r)| fault(p, r))?
    } else {
        let pde = push(mmu, (s.cr3 & 0xffff_f000) | ((va >> 20) & 0xffc), 4);
        if pde & pte::P == 0 {
            return Err(fault(false, false));
        }
        if pde & pte::PS != 0 && s.cr4 & cr4::PSE != 0 {
            if pde & PSE36_RSVD != 0 {
                return Err(fault(true, true));
            }
            (0x3f_ffff, false)
        } else {
            let pte = push(mmu, (pde & 0xffff_f000) | ((va >> 10) & 0xffc), 4);
            if pte & pte::P == 0 {
                return Err(fault(false, false));
            }
            (0xfff, false)
        }
    };
    let chain = &entries[..n];
    // The entries that grant rights and get accessed bits.
    let used = if pae32 { &chain[1..] } else { chain };
    let rw = used.iter().all(|&(_, e)| e & pte::RW != 0);
    let us = used.iter().all(|&(_, e)| e & pte::US != 0);
    let nx = nxe && chain.iter().any(|&(_, e)| e & pte::NX != 0);
    let wp = s.cr0 & cr0::WP != 0;
    let may_write = if user { us && rw } else { rw || !wp };
    let may_exec = !nx && (!user || us);
    let ok = match access {
        _ if user && !us => false,
        Access::Read => true,
        Access::Write => may_write,
        Access::Fetch => may_exec,
    };
    if !ok {
        return Err(fault(true, false));
    }
    let (leaf_addr, leaf) = chain[n - 1];
    for &(addr, e) in &used[..used.len() - 1] {
        if e & pte::A == 0 {
            mmu.phys_write(addr, if wide { 8 } else { 4 }, e | pte::A);
        }
    }
    let dirty = leaf & pte::D != 0 || access == Access::Write;
    let new_leaf = leaf | pte::A | if access == Access::Write { pte::D } else { 0 };
    if new_leaf != leaf {
        mmu.phys_write(leaf_addr, if wide { 8 } else { 4 }, new_leaf);
    }
    let frame = if leaf_off_mask == 0x3f_ffff && !wide {
        // 4 MiB page: bits 31:22, and PSE-36 bits 39:32 from 20:13.
        (leaf & 0xffc0_0000) | ((leaf >> 13) & 0xff) << 32
    } else {
        leaf & 0x000f_ffff_ffff_f000 & !leaf_off_mask
    };
    Ok(Walk {
        paddr: (frame | (va & leaf_off_mask)) & mmu.a20_mask,
        perm: Perm {
            read: true,
            write: may_write && dirty,
            exec: may_exec,
            large: leaf_off_mask != 0xfff,
        },
    })
}

/// The PDE and PTE levels of PAE and 4-level paging below `parent`, with
/// `rsvd` the reserved bits of either. Returns (page offset mask, true) or
/// Err((present, reserved)).
fn pde_pte(
    mmu: &mut Mmu,
    push: &mut impl FnMut(&mut Mmu, u64, u32) -> u64,
    parent: u64,
    va: u64,
    rsvd: u64,
) -> Result<(u64, bool), (bool, bool)> {
    let pde = push(
        mmu,
        (parent & 0x000f_ffff_ffff_f000) | ((va >> 18) & 0xff8),
        8,
    );
    if pde & pte::P == 0 {
        return Err((false, false));
    }
    if pde & rsvd != 0 {
        return Err((true, true));
    }
    if pde & pte::PS != 0 {
        if pde & 0x1f_e000 != 0 {
            return Err((true, true));
        }
        return Ok((0x1f_ffff, true));
    }
    let pte = push(mmu, (pde & 0x000f_ffff_ffff_f000) | ((va >> 9) & 0xff8), 8);
    if pte & pte::P == 0 {
        return Err((false, false));
    }
    if pte & rsvd != 0 {
        return Err((true, true));
    }
    Ok((0xfff, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::mmu::testing::NullBus;

    /// A CPU and 1 MiB of RAM, paging with `cr4` (PAE or PSE) and `efer`.
    fn machine(cr4: u64, efer: u64) -> (Box<CpuState>, Mmu) {
        let mut env = Box::<CpuState>::default();
        env.sys.cr0 = cr0::PE | cr0::PG | cr0::WP;
        env.sys.cr4 = cr4;
        env.sys.efer = efer;
        env.sys.cr3 = 0x1000;
        (env, Mmu::new(1 << 20, Box::new(NullBus)))
    }

    /// PAE paging: PDPT at 0x1000 (entry 0), PD at 0x2000, PT at 0x3000;
    /// linear 0x5000 -> physical 0x7000 through PTE 5 = `leaf`.
    fn pae(efer: u64, leaf: u64) -> (Box<CpuState>, Mmu) {
        let (env, mut m) = machine(cr4::PAE, efer);
        m.phys_write(0x1000, 8, 0x2000 | pte::P);
        m.phys_write(0x2000, 8, 0x3000 | pte::P | pte::RW);
        m.phys_write(0x3000 + 5 * 8, 8, leaf);
        (env, m)
    }

    const RSVD: u32 = pf::P | pf::RSVD;

    #[test]
    fn pae_walks_set_accessed_bits_below_the_pdpte_only() {
        let (env, mut m) = pae(0, 0x7000 | pte::P | pte::RW);
        for access in [Access::Read, Access::Write, Access::Fetch] {
            let w = translate(&env, &mut m, 0x5123, access, false).unwrap();
            assert_eq!(w.paddr, 0x7123);
        }
        assert_eq!(m.phys_read(0x1000, 8), 0x2000 | pte::P, "bits 8:5 reserved");
        assert_eq!(m.phys_read(0x2000, 8), 0x3000 | pte::P | pte::RW | pte::A);
        let leaf = 0x7000 | pte::P | pte::RW | pte::A | pte::D;
        assert_eq!(m.phys_read(0x3028, 8), leaf);
    }

    #[test]
    fn pae_reserves_bits_62_to_maxphyaddr() {
        for bit in [MAXPHYADDR, 52, 62] {
            let (env, mut m) = pae(efer::NXE, 0x7000 | pte::P | 1 << bit);
            assert_eq!(
                translate(&env, &mut m, 0x5000, Access::Read, false),
                Err(RSVD)
            );
            let (env, mut m) = pae(efer::NXE, 0x7000 | pte::P);
            m.phys_write(0x2000, 8, 0x3000 | pte::P | pte::RW | 1 << bit);
            let e = translate(&env, &mut m, 0x5000, Access::Write, true);
            assert_eq!(e, Err(RSVD | pf::W | pf::U));
        }
        let (env, mut m) = pae(0, 0x7000 | pte::P);
        m.phys_write(0x1000, 8, 0x2000 | pte::P | 1 << 52);
        assert_eq!(
            translate(&env, &mut m, 0x5000, Access::Read, false),
            Err(RSVD)
        );
    }

    #[test]
    fn four_level_paging_leaves_bits_62_to_52_to_software() {
        let (mut env, mut m) = machine(cr4::PAE, efer::LME | efer::LMA);
        env.sys.cr3 = 0x4000;
        m.phys_write(0x4000, 8, 0x1000 | pte::P | 1 << 52);
        m.phys_write(0x1000, 8, 0x2000 | pte::P | 1 << 62);
        m.phys_write(0x2000, 8, 0x3000 | pte::P | pte::RW);
        m.phys_write(0x3028, 8, 0x7000 | pte::P | 0x7ff << 52);
        let w = translate(&env, &mut m, 0x5008, Access::Read, false).unwrap();
        assert_eq!(w.paddr, 0x7008);
    }

    #[test]
    fn xd_is_reserved_unless_nxe() {
        let leaf = 0x7000 | pte::P | pte::NX;
        let (env, mut m) = pae(0, leaf);
        assert_eq!(
            translate(&env, &mut m, 0x5000, Access::Read, false),
            Err(RSVD)
        );
        let (env, mut m) = pae(efer::NXE, leaf);
        assert!(translate(&env, &mut m, 0x5000, Access::Read, false).is_ok());
        let e = translate(&env, &mut m, 0x5000, Access::Fetch, false);
        assert_eq!(e, Err(pf::P | pf::ID));
        let e = translate(&env, &mut m, 0x6000, Access::Fetch, false);
        assert_eq!(e, Err(pf::ID), "not present");
    }

    #[test]
    fn nxe_does_not_apply_to_32_bit_paging() {
        let (env, mut m) = machine(cr4::PSE, efer::NXE);
        m.phys_write(0x1000, 4, 0x2000 | pte::P);
        let e = translate(&env, &mut m, 0x5000, Access::Fetch, false);
        assert_eq!(e, Err(0), "no I/D: CR4.PAE is clear");
    }

    #[test]
    fn pse36_address_bits_end_below_maxphyaddr() {
        let (env, mut m) = machine(cr4::PSE, 0);
        let big = pte::P | pte::PS;
        // Bit MAXPHYADDR - 20 holds address bit MAXPHYADDR - 1.
        let top = MAXPHYADDR - 20;
        m.phys_write(0x1004, 4, big | 1 << top);
        let w = translate(&env, &mut m, 0x40_0010, Access::Read, false).unwrap();
        assert_eq!(w.paddr, 1 << (MAXPHYADDR - 1) | 0x10);
        m.phys_write(0x1004, 4, big | 1 << (top + 1));
        let e = translate(&env, &mut m, 0x40_0010, Access::Read, false);
        assert_eq!(e, Err(RSVD));
    }
}
