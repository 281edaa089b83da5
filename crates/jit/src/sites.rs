//! Fault sites: for each guest load and store in generated code, the guest
//! pc and where every global not yet written back lives (a host register or
//! a constant). Guest state is not synced before memory accesses; after a
//! host fault, `recover` rebuilds the exact state from this table and the
//! registers the fault handler saved.

use crate::gen::{Gen, Loc};
use crate::rip::RIP;
use ox86_ir::Global;
use ox86_x86::CpuState;

/// Where a dirty global's value is at a fault site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SiteVal {
    /// In this host register.
    Reg(u8),
    /// This constant.
    Const(u64),
}

/// One guest memory access in a TB's code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Site {
    /// Code offset of the accessing host instruction.
    pub off: u32,
    /// Guest pc of the instruction it belongs to.
    pub pc: u64,
    /// Its dirty globals: `vals[start..start + len]`.
    pub start: u32,
    pub len: u32,
}

/// A TB's fault sites, sorted by code offset.
#[derive(Clone, Default, Debug)]
pub(crate) struct Sites {
    pub sites: Vec<Site>,
    pub vals: Vec<(u8, SiteVal)>,
}

impl Sites {
    /// Empties the table (keeping its buffers).
    pub fn clear(&mut self) {
        self.sites.clear();
        self.vals.clear();
    }

    /// The site whose access instruction starts at code offset `off`.
    pub fn at(&self, off: u32) -> Option<&Site> {
        let i = self.sites.partition_point(|s| s.off < off);
        self.sites.get(i).filter(|s| s.off == off)
    }

    /// Writes the guest state at site `s` into `env`: dirty globals from
    /// `regs` (host registers at the fault, in encoding order) or
    /// constants, and rip.
    pub fn recover(&self, s: &Site, globals: &[Global], regs: &[u64; 16], env: &mut CpuState) {
        let vals = &self.vals[s.start as usize..(s.start + s.len) as usize];
        for &(g, v) in vals {
            let value = match v {
                SiteVal::Reg(r) => regs[r as usize],
                SiteVal::Const(c) => c,
            };
            let off = globals[g as usize].offset;
            // SAFETY: `off` is a global's 8-byte, 8-aligned field of CpuState.
            unsafe { *((env as *mut CpuState as *mut u8).add(off) as *mut u64) = value };
        }
        env.rip = s.pc;
    }
}

impl Gen {
    /// Records a fault site for the access instruction emitted next.
    pub fn fault_site(&mut self) {
        let start = self.sites.vals.len() as u32;
        for g in 0..self.ng {
            if !self.dirty[g] || g == RIP.index() {
                continue;
            }
            let v = match self.loc[g] {
                Loc::Reg(r) => SiteVal::Reg(r),
                Loc::Const(c) => SiteVal::Const(c),
                Loc::Mem | Loc::Dead => continue,
            };
            self.sites.vals.push((g as u8, v));
        }
        let site = Site {
            off: self.off() as u32,
            pc: self.cur_pc,
            start,
            len: self.sites.vals.len() as u32 - start,
        };
        self.sites.sites.push(site);
    }
}
