//! Register hints: the host register a local temp is best computed in.
//! A value that ends in a global with a register at block ends (a pinned
//! or loop global, `Gen::canon`) would otherwise be computed wherever the
//! allocator's order puts it and moved to that register at the block's
//! end; computed there, the move goes. The hint passes backwards through
//! copies and through the first input of an op whose output may take that
//! input's register (the input dies there), so that a chain computing a
//! guest register's new value runs in the guest register's host register.
//! So does the target of an indirect jump, in RAX, where the jump table's
//! probe wants it.

use crate::abi::hreg;
use crate::rip::RIP;
use ox86_ir::{opf, IrBlock, Op, Opcode};

/// No hint.
pub(crate) const NO_HINT: u8 = u8::MAX;

/// The hints of one TB, found in the liveness walk (`Liveness::
/// compute_deaths`, last op first, dead ops skipped): a local copied to a
/// global of `canon` (global, register) by the global's last write in a
/// basic block gets that register, and a hinted value passes its hint to
/// the value it is computed from if that dies there (a local, or a
/// global's value, which passes it on to the local copied into the
/// global). The last consumer in program order decides. A global's own
/// entry is the hint of its value at the TB's start (for the load from
/// `CpuState`; only the first basic block's uses count).
pub(crate) struct Hints {
    /// Per temp: the register its value is best computed in, or `NO_HINT`.
    pub hint: Vec<u8>,
    /// Per global: its register at block ends, or `NO_HINT`.
    canon: [u8; 64],
    /// Per global: the hint of its current value (going backwards: of
    /// the value its next write in program order defines), where `has`
    /// has its bit.
    ghint: [u8; 64],
    has: u64,
    /// Globals a later op of the current block writes.
    written: u64,
    ng: u32,
}

impl Default for Hints {
    fn default() -> Hints {
        Hints {
            hint: Vec::new(),
            canon: [NO_HINT; 64],
            ghint: [NO_HINT; 64],
            has: 0,
            written: 0,
            ng: 0,
        }
    }
}

impl Hints {
    /// Starts a walk over `ir`'s ops.
    pub fn start(&mut self, ir: &IrBlock, canon: &[(u32, u8)]) {
        self.ng = ir.globals.len() as u32;
        self.hint.clear();
        self.hint.resize(ir.n_temps as usize, NO_HINT);
        self.canon = [NO_HINT; 64];
        for &(g, r) in canon {
            if let Some(c) = self.canon.get_mut(g as usize) {
                *c = r;
            }
        }
        self.has = 0;
        self.written = 0;
    }

    /// The hint of global `g`'s current value.
    fn ghint(&self, g: usize) -> u8 {
        if self.has >> g & 1 != 0 {
            self.ghint[g]
        } else {
            NO_HINT
        }
    }

    /// Op `op` (live), whose block-local inputs of `dead_ins` die there,
    /// and its globals inputs of `gdies`.
    #[inline]
    pub fn step(&mut self, op: &Op, dead_ins: u8, gdies: u8) {
        let flags = op.opc.flags();
        if flags & opf::BB_END != 0 {
            self.written = 0;
            self.has = 0;
            if matches!(
                op.opc,
                Opcode::LookupAndGotoPtr | Opcode::LookupCall | Opcode::LookupRet
            ) {
                // The jump table is probed with the target in RAX
                // (`exits::emit_lookup`).
                let g = RIP.index();
                self.has |= 1 << g;
                self.ghint[g] = hreg::RAX;
            }
        }
        if op.opc.n_outs() == 0 {
            return;
        }
        let d = op.outs[0];
        let h = if d.0 < self.ng {
            let g = d.index();
            if g >= 64 {
                return;
            }
            let bit = 1u64 << g;
            let last = self.written & bit == 0;
            self.written |= bit;
            let h = if last && self.canon[g] != NO_HINT {
                self.canon[g]
            } else {
                self.ghint(g)
            };
            self.has &= !bit;
            h
        } else {
            self.hint[d.index()]
        };
        if h == NO_HINT {
            return;
        }
        let passes = match op.opc {
            Opcode::Mov => true,
            opc => crate::ops::reuses_input0(opc) && (dead_ins | gdies) & 1 != 0,
        };
        if !passes {
            return;
        }
        let src = op.ins[0].index();
        if src < self.ng as usize {
            if src < 64 && self.has >> src & 1 == 0 {
                self.has |= 1 << src;
                self.ghint[src] = h;
            }
        } else if self.hint[src] == NO_HINT {
            self.hint[src] = h;
        }
    }

    /// Ends the walk: the globals' entries.
    pub fn finish(&mut self) {
        for g in 0..(self.ng as usize).min(64) {
            self.hint[g] = self.ghint(g);
        }
    }
}
