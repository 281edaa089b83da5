//! Liveness for the register allocator: for each op, which inputs die
//! there, which outputs are never read, and whether the whole op is dead
//! code; and which local temps cross a basic-block boundary (those live in
//! a spill slot between blocks).

use ox86_ir::{opf, IrBlock, Op, Opcode};

/// Per-TB liveness facts (buffers reused across TBs).
#[derive(Default)]
pub(crate) struct Liveness {
    /// Bit k set: input k of op i is a block-local temp read for the last time here.
    pub dead_ins: Vec<u8>,
    /// Bit k set: output k of op i is a block-local temp never read afterwards.
    pub dead_outs: Vec<u8>,
    /// Per temp: a local temp used in more than one basic block.
    pub crossing: Vec<bool>,
    /// Op i computes only values nothing reads (no side effects): skip it.
    pub dead_op: Vec<bool>,
    /// Scratch: per temp, the first block using it.
    bb_of: Vec<u32>,
    /// Scratch: the current block while ops are noted.
    bb: u32,
    /// Scratch: the number of globals.
    ng: usize,
    /// Scratch: per temp, the number of the block in which it is read
    /// later (so that moving to the next block clears every entry).
    live: Vec<u32>,
}

/// True if `opc` ends a basic block (branch, label or TB exit).
pub(crate) fn ends_bb(opc: Opcode) -> bool {
    opc.flags() & opf::BB_END != 0
}

impl Liveness {
    /// Computes liveness for `ir`.
    #[cfg(test)]
    pub fn new(ir: &IrBlock) -> Liveness {
        let mut lv = Liveness::default();
        lv.start_blocks(ir);
        for op in &ir.ops {
            lv.note_op(op);
        }
        lv.compute_deaths(ir, |_, _, _| {});
        lv
    }

    /// Starts finding the temps of `ir` that cross blocks (see `note_op`).
    pub fn start_blocks(&mut self, ir: &IrBlock) {
        let n = ir.n_temps as usize;
        self.ng = ir.globals.len();
        self.crossing.clear();
        self.crossing.resize(n, false);
        self.bb_of.clear();
        self.bb_of.resize(n, u32::MAX);
        self.bb = 0;
    }

    /// Notes the next op of the TB, in order, once its operands are final.
    #[inline]
    pub fn note_op(&mut self, op: &Op) {
        if op.opc == Opcode::SetLabel {
            self.bb += 1;
        }
        for &t in op.inputs() {
            self.note_use(t.index());
        }
        for &t in op.outputs() {
            self.note_use(t.index());
        }
        if ends_bb(op.opc) && op.opc != Opcode::SetLabel {
            self.bb += 1;
        }
    }

    #[inline]
    fn note_use(&mut self, i: usize) {
        if i < self.ng {
            return;
        }
        let b = &mut self.bb_of[i];
        if *b == u32::MAX {
            *b = self.bb;
        } else if *b != self.bb {
            self.crossing[i] = true;
        }
    }

    /// Computes the per-op facts for `ir`, every op of which was noted,
    /// walking the ops from the last to the first; `live_op` sees each op
    /// that is not dead code, in that order, once its facts are known
    /// (with its `dead_ins`).
    pub fn compute_deaths(&mut self, ir: &IrBlock, mut live_op: impl FnMut(usize, &Op, u8)) {
        let n = ir.n_temps as usize;
        let ng = ir.globals.len();
        let n_ops = ir.ops.len();
        let crossing = &self.crossing;
        let (dead_ins, dead_outs, dead_op) =
            (&mut self.dead_ins, &mut self.dead_outs, &mut self.dead_op);
        dead_ins.clear();
        dead_ins.resize(n_ops, 0);
        dead_outs.clear();
        dead_outs.resize(n_ops, 0);
        dead_op.clear();
        dead_op.resize(n_ops, false);
        let live = &mut self.live;
        live.clear();
        live.resize(n, 0);
        let mut cur = 1;
        let local = |i: usize| i >= ng && !crossing[i];
        for (i, op) in ir.ops.iter().enumerate().rev() {
            let flags = op.opc.flags();
            if flags & opf::BB_END != 0 {
                // Block-local temps are never live across a boundary.
                cur += 1;
            }
            let pure = flags & (opf::SIDE_EFFECTS | opf::BB_END | opf::CAN_FAULT) == 0
                && op.opc != Opcode::InsnStart;
            let (outs, ins) = (op.outputs(), op.inputs());
            if pure
                && !outs.is_empty()
                && outs
                    .iter()
                    .all(|t| local(t.index()) && live[t.index()] != cur)
            {
                // Its inputs are not read on its account: dead code goes
                // transitively in this one backward pass.
                dead_op[i] = true;
                continue;
            }
            let mut dead = 0;
            for (k, &t) in outs.iter().enumerate() {
                let ti = t.index();
                if local(ti) {
                    if live[ti] != cur {
                        dead |= 1 << k;
                    }
                    live[ti] = 0;
                }
            }
            dead_outs[i] = dead;
            let mut dead = 0;
            for (k, &t) in ins.iter().enumerate() {
                let ti = t.index();
                if local(ti) && live[ti] != cur {
                    dead |= 1 << k;
                }
            }
            dead_ins[i] = dead;
            for &t in ins {
                if local(t.index()) {
                    live[t.index()] = cur;
                }
            }
            live_op(i, op, dead);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox86_ir::{Cond, Global};

    static GLOBALS: [Global; 1] = [Global {
        name: "rax",
        offset: 0,
    }];

    #[test]
    fn last_use_and_crossing() {
        let mut b = IrBlock::new(&GLOBALS);
        let t1 = b.movi(1); // op 0
        let t2 = b.add(t1, t1); // op 1: t1 dies (both inputs)
        let l = b.label();
        b.brcond(Cond::Eq, t2, t2, l); // op 2
        b.set_label(l); // op 3
        b.mov_to(b.global(0), t2); // op 4: t2 crosses, never marked dead
        b.goto_tb(0);
        let lv = Liveness::new(&b);
        assert_eq!(lv.dead_ins[1], 0b11);
        assert!(lv.crossing[t2.index()]);
        assert!(!lv.crossing[t1.index()]);
        assert_eq!(lv.dead_ins[4], 0);
        assert_eq!(lv.dead_outs[0], 0);
    }
}
