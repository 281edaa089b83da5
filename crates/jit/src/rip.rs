//! Lazy rip. A TB is entered with `CpuState.rip` possibly stale (chained
//! jumps do not store the target pc; the exit stubs and the jump-table miss
//! path do), so until the IR writes rip its value is the TB's pc, known at
//! translation time. It is stored only where someone may read it: helper
//! calls, `raise`, the exit-request stub, and block boundaries where a path
//! with a lazy rip meets one without.

use crate::abi::RIP_DISP;
use crate::gen::{Gen, Loc};
use ox86_ir::{opf, IrBlock, Opcode, Temp};
use ox86_x86::cpu::glob;

/// The IR temp of rip.
pub(crate) const RIP: Temp = Temp(glob::RIP as u32);

/// Fills `lazy_at` with, for each label, true if every path reaching it
/// has a lazy rip. The walk is repeated only when a branch changes a
/// label already passed (a back edge); `passed` is a scratch buffer.
pub(crate) fn lazy_labels(ir: &IrBlock, lazy_at: &mut Vec<bool>, passed: &mut Vec<bool>) {
    lazy_at.clear();
    lazy_at.resize(ir.n_labels as usize, true);
    if ir.n_labels == 0 {
        return;
    }
    loop {
        passed.clear();
        passed.resize(ir.n_labels as usize, false);
        let mut changed = false;
        let mut lazy = true;
        let mut reachable = true;
        for op in &ir.ops {
            let mut leave = |l: u64, lazy: bool, lazy_at: &mut [bool], passed: &[bool]| {
                let l = l as usize;
                if !lazy && lazy_at[l] {
                    lazy_at[l] = false;
                    changed |= passed[l];
                }
            };
            match op.opc {
                Opcode::SetLabel => {
                    if reachable {
                        leave(op.consts[0], lazy, lazy_at, passed);
                    }
                    passed[op.consts[0] as usize] = true;
                    lazy = lazy_at[op.consts[0] as usize];
                    reachable = true;
                }
                Opcode::Brcond if reachable => leave(op.consts[1], lazy, lazy_at, passed),
                Opcode::Br => {
                    if reachable {
                        leave(op.consts[0], lazy, lazy_at, passed);
                    }
                    reachable = false;
                }
                Opcode::Call => lazy = false,
                _ if op.opc.flags() & opf::TB_EXIT != 0 => reachable = false,
                _ if op.outputs().contains(&RIP) => lazy = false,
                _ => {}
            }
        }
        if !changed {
            return;
        }
    }
}

impl Gen {
    /// Stores the lazy rip (the TB's pc) so that `CpuState.rip` is exact.
    pub fn materialize_rip(&mut self) {
        if self.rip_lazy {
            self.st_env_imm(RIP_DISP, self.tb_pc);
            self.rip_lazy = false;
        }
    }

    /// Before a branch to label `l`: make rip agree with the label's state.
    pub fn rip_before_branch(&mut self, l: u64) {
        if self.rip_lazy && !self.label_lazy[l as usize] {
            self.materialize_rip();
        }
    }

    /// The rip state at label `l`, after the allocator's reset.
    pub fn rip_at_label(&mut self, l: u64) {
        self.rip_lazy = self.label_lazy[l as usize];
        if self.rip_lazy {
            self.loc[RIP.index()] = Loc::Const(self.tb_pc);
            self.set_dirty(RIP.index(), false);
        }
    }
}
