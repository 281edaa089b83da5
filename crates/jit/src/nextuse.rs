//! Next uses, for the register allocator: where a temp is read next inside
//! its basic block (so that the value used furthest ahead is the one
//! spilled; looked up only when a register must be freed), and which
//! globals hold values that are overwritten before anything reads them
//! (their registers are free from there on: no fault site, helper call or
//! block end needs the old value in between; a guest memory access's fault
//! site needs none of the globals the IR says are unobserved at faults,
//! `IrBlock::unobserved_at_faults`, as dead-code elimination has it).

use crate::liveness::ends_bb;
use crate::rip::RIP;
use ox86_ir::{opf, IrBlock, Op, Opcode, Temp};

/// "Not read again in this block".
pub(crate) const NEVER: u32 = u32::MAX;

/// How far ahead `next_read` looks (reads further on count as never).
const HORIZON: usize = 256;

/// The first op from `from` on that reads the value `t` has before op
/// `from`, if one does in the block within `HORIZON` ops (`NEVER`
/// otherwise, also when `t` is overwritten first).
pub(crate) fn next_read(ir: &IrBlock, dead_op: &[bool], t: Temp, from: usize) -> u32 {
    let end = ir.ops.len().min(from + HORIZON);
    for (i, op) in ir.ops.iter().enumerate().take(end).skip(from) {
        if dead_op[i] {
            continue;
        }
        if op.inputs().contains(&t) {
            return i as u32;
        }
        if op.outputs().contains(&t) || ends_bb(op.opc) {
            return NEVER;
        }
    }
    NEVER
}

/// True if an op from `from` on writes `t` before its basic block ends
/// (within `HORIZON` ops).
pub(crate) fn written_in_block(ir: &IrBlock, dead_op: &[bool], t: Temp, from: usize) -> bool {
    let end = ir.ops.len().min(from + HORIZON);
    for (i, op) in ir.ops.iter().enumerate().take(end).skip(from) {
        if dead_op[i] {
            continue;
        }
        if op.outputs().contains(&t) {
            return true;
        }
        if ends_bb(op.opc) {
            return false;
        }
    }
    false
}

/// Per-op global deaths (buffers kept from TB to TB).
#[derive(Default)]
pub(crate) struct NextUse {
    /// Per op: bit k set if input k is a global whose value nothing needs
    /// after this op (the next thing to happen to it is a write).
    pub gdies: Vec<u8>,
    /// Per op: bit g set if global g (of the first 64) is overwritten
    /// after this op before anything reads or needs it (on every path
    /// after a branch).
    pub gdead: Vec<u64>,
    /// Per label, the globals overwritten first after it.
    label_dead: Vec<u64>,
    /// Per `brcond`, last op first: its index and the globals overwritten
    /// first on its way on (not taken).
    fall_dead: Vec<(u32, u64)>,
    /// Scratch: the globals (of the first 64) overwritten before anything
    /// reads or needs them, from the current point of the walk on.
    written: u64,
    /// Scratch: the number of globals.
    ng: usize,
    /// The globals (of the first 64) a fault of a guest memory access
    /// does not need (`IrBlock::unobserved_at_faults`).
    unobserved: u64,
}

/// True if op `opc` needs every global's current value: it can fault
/// (fault sites and helpers see guest state) or it ends a block.
fn needs_globals(opc: Opcode) -> bool {
    opc.flags() & (opf::CAN_FAULT | opf::BB_END) != 0
}

/// True if op `opc` needs the globals only for its fault site: a guest
/// memory access through the host's MMU (not a helper, not a block end).
fn fault_site_only(opc: Opcode) -> bool {
    use Opcode::*;
    matches!(
        opc,
        Ld8u | Ld8s
            | Ld16u
            | Ld16s
            | Ld32u
            | Ld32s
            | Ld64
            | St8
            | St16
            | St32
            | St64
            | LdXmm
            | StXmm
    )
}

impl NextUse {
    /// Global deaths for `ir`, skipping the ops `dead_op` marks.
    #[cfg(test)]
    pub fn new(ir: &IrBlock, dead_op: &[bool]) -> NextUse {
        let mut nu = NextUse::default();
        nu.compute(ir, dead_op);
        nu
    }

    /// Computes global deaths for `ir`, skipping the ops `dead_op` marks.
    #[cfg(test)]
    pub fn compute(&mut self, ir: &IrBlock, dead_op: &[bool]) {
        self.start(ir);
        for (i, op) in ir.ops.iter().enumerate().rev() {
            if !dead_op[i] {
                self.step(i, op);
            }
        }
    }

    /// Starts a backward walk over `ir`'s ops (see `step`).
    pub fn start(&mut self, ir: &IrBlock) {
        let len = ir.ops.len();
        self.ng = ir.globals.len();
        self.gdies.clear();
        self.gdies.resize(len, 0);
        self.gdead.clear();
        self.gdead.resize(len, 0);
        self.label_dead.clear();
        self.label_dead.resize(ir.n_labels as usize, 0);
        self.fall_dead.clear();
        self.written = 0;
        self.unobserved = ir.unobserved_at_faults & !(1u64 << RIP.index());
    }

    /// Op `i`, `op`, of a walk from the last op to the first that skips
    /// dead ops: fills its `gdies` and `gdead`.
    #[inline]
    pub fn step(&mut self, i: usize, op: &Op) {
        let ng = self.ng;
        let bit = |t: usize| {
            if t < 64 && t < ng && t != RIP.index() {
                1u64 << t
            } else {
                0
            }
        };
        let mut written = self.written;
        self.gdead[i] = match op.opc {
            Opcode::SetLabel => {
                self.label_dead[op.consts[0] as usize] = written;
                written
            }
            // Dead on both paths.
            Opcode::Brcond => {
                self.fall_dead.push((i as u32, written));
                written & self.label_dead[op.consts[1] as usize]
            }
            Opcode::Br => self.label_dead[op.consts[0] as usize],
            // The next op (a label, or none) is no way on: the next TB
            // needs every global.
            _ if op.opc.flags() & opf::TB_EXIT != 0 => 0,
            _ => written,
        };
        let event = needs_globals(op.opc);
        // The globals the op's fault site does not need stay dead across it.
        let unneeded = if fault_site_only(op.opc) {
            self.unobserved
        } else {
            0
        };
        let mut outs = 0;
        for &t in op.outputs() {
            outs |= bit(t.index());
        }
        let mut dies = 0;
        for (k, &t) in op.inputs().iter().enumerate() {
            let b = bit(t.index());
            if b != 0 && (!event || unneeded & b != 0) && (outs | written) & b != 0 {
                dies |= 1 << k;
            }
        }
        self.gdies[i] = dies;
        written |= outs;
        if event {
            // Before a branch or label, what every way on overwrites first.
            written = match op.opc {
                Opcode::SetLabel | Opcode::Brcond | Opcode::Br => self.gdead[i],
                _ => written & unneeded,
            };
        }
        for &t in op.inputs() {
            written &= !bit(t.index());
        }
        self.written = written;
    }

    /// The globals (of the first 64) the TB overwrites before anything
    /// reads or needs them, once the walk has reached its first op.
    pub fn entry_dead(&self) -> u64 {
        self.written
    }

    /// The globals overwritten first after label `l` (once the walk has
    /// passed it).
    pub fn label_dead(&self, l: u64) -> u64 {
        self.label_dead[l as usize]
    }

    /// The globals overwritten first after `brcond` op `i` when it is not
    /// taken. Ops are asked in order: the entries of earlier ops go.
    pub fn fall_dead(&mut self, i: usize) -> u64 {
        while let Some(&(k, dead)) = self.fall_dead.last() {
            if k as usize > i {
                break;
            }
            self.fall_dead.pop();
            if k as usize == i {
                return dead;
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox86_ir::{Cond, Global, Opcode};

    static GLOBALS: [Global; 3] = [
        Global {
            name: "rax",
            offset: 0,
        },
        Global {
            name: "rcx",
            offset: 8,
        },
        Global {
            name: "rdx",
            offset: 16,
        },
    ];

    #[test]
    fn next_reads_and_global_deaths() {
        let mut b = IrBlock::new(&GLOBALS);
        let (rax, rcx, rdx) = (b.global(0), b.global(1), b.global(2));
        let t = b.add(rax, rcx); // op 0: rax is overwritten next, rcx is read at op 2
        b.mov_to(rax, t); // op 1: rax = t
        let u = b.add(rcx, t); // op 2: rcx is needed by the load (a fault site)
        let v = b.load(Opcode::Ld64, u); // op 3
        b.mov_to(rcx, v); // op 4
        let l = b.label();
        b.brcond(Cond::Eq, rdx, rdx, l); // op 5: ends the block
        b.set_label(l); // op 6
        b.mov_to(rdx, rax); // op 7
        b.goto_tb(0);
        let dead = vec![false; b.ops.len()];
        let nu = NextUse::new(&b, &dead);
        assert_eq!(next_read(&b, &dead, rax, 0), 0);
        assert_eq!(next_read(&b, &dead, rax, 1), NEVER);
        assert_eq!(next_read(&b, &dead, rcx, 1), 2);
        assert_eq!(next_read(&b, &dead, t, 1), 1);
        assert_eq!(next_read(&b, &dead, rdx, 4), 5);
        assert_eq!(next_read(&b, &dead, rax, 6), NEVER);
        assert_eq!(nu.gdies[0], 0b01);
        assert_eq!(nu.gdies[2], 0);
        assert_eq!(nu.gdies[7], 0);
        // After op 0 rax is overwritten first; after the load nothing is.
        assert_eq!(nu.gdead[0], 0b001);
        assert_eq!(nu.gdead[3], 0b010);
        assert_eq!(nu.gdead[2], 0);
    }

    #[test]
    fn a_tb_exit_needs_every_global_whatever_follows_it() {
        let mut b = IrBlock::new(&GLOBALS);
        let (rax, rcx) = (b.global(0), b.global(1));
        let l = b.label();
        b.brcond(Cond::Eq, rcx, rcx, l); // op 0
        b.mov_to(rax, rcx); // op 1
        b.goto_tb(0); // op 2
        b.set_label(l); // op 3
        b.mov_to(rax, rcx); // op 4: rax overwritten after the label
        b.goto_tb(1);
        let dead = vec![false; b.ops.len()];
        let nu = NextUse::new(&b, &dead);
        assert_eq!(nu.gdead[3], 0b001);
        assert_eq!(nu.gdead[2], 0, "the code after the label is not the exit's");
        assert_eq!(nu.gdead[1], 0, "rax goes to the next TB");
    }

    #[test]
    fn deaths_carry_across_branches_and_labels() {
        let mut b = IrBlock::new(&GLOBALS);
        let (rax, rcx, rdx) = (b.global(0), b.global(1), b.global(2));
        let (taken, join) = (b.label(), b.label());
        b.mov_to(rax, rcx); // op 0
        b.brcond(Cond::Eq, rdx, rdx, taken); // op 1
        b.mov_to(rax, rdx); // op 2: rax overwritten when not taken
        b.br(join); // op 3
        b.set_label(taken); // op 4
        b.mov_to(rcx, rdx); // op 5: only rcx overwritten when taken
        b.set_label(join); // op 6
        b.mov_to(rax, rcx); // op 7: rax overwritten after the join
        b.mov_to(rdx, rcx); // op 8
        b.goto_tb(0);
        let dead = vec![false; b.ops.len()];
        let mut nu = NextUse::new(&b, &dead);
        assert_eq!(nu.label_dead(join.0 as u64), 0b101);
        assert_eq!(nu.label_dead(taken.0 as u64), 0b011);
        assert_eq!(nu.fall_dead(1), 0b001);
        // Before the branch: rax is overwritten first both ways, and so
        // the value op 0 gives it is never needed.
        assert_eq!(nu.gdead[1], 0b001);
        assert_eq!(nu.gdead[0], 0b001, "rax's new value is dead too");
    }

    #[test]
    fn globals_unobserved_at_faults_stay_dead_across_guest_accesses() {
        let build = |unobserved: u64| {
            let mut b = IrBlock::new(&GLOBALS);
            b.unobserved_at_faults = unobserved;
            let (rax, rcx, rdx) = (b.global(0), b.global(1), b.global(2));
            let v = b.load(Opcode::Ld64, rax); // op 0: a fault site
            b.store(Opcode::St64, rdx, rax); // op 1: another
            b.mov_to(rcx, v); // op 2: rcx overwritten, never read
            b.mov_to(rax, rdx); // op 3: rax overwritten after being read
            b.goto_tb(0);
            let dead = vec![false; b.ops.len()];
            NextUse::new(&b, &dead)
        };
        // rcx (like the lazy flags) is not needed where an access faults.
        let nu = build(0b010);
        assert_eq!(nu.entry_dead(), 0b010, "rcx's register is free at entry");
        assert_eq!(nu.gdead[0], 0b010);
        assert_eq!(nu.gdead[1], 0b011);
        assert_eq!(nu.gdies[1], 0, "the store's fault site needs rax");
        // Exact at every fault: every global is needed at both accesses.
        let nu = build(0);
        assert_eq!(nu.entry_dead(), 0);
        assert_eq!(nu.gdead[0], 0);
        assert_eq!(nu.gdead[1], 0b011, "after the last access");
        // rax unobserved too: the store reads it for the last time.
        let nu = build(0b011);
        assert_eq!(nu.entry_dead(), 0b010, "rax is read");
        assert_eq!(nu.gdies[1], 0b10);
    }
}
