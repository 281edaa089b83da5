//! Copies into globals: after `mov g, t` (a local moved into a global),
//! later reads of `t` in the same block read `g` while `g` still holds
//! that value. The local then dies at the move, so the value lives in one
//! place: one register, and one store if it is spilled.
//!
//! Not through a global the TB's fault sites do not need
//! (`IrBlock::unobserved_at_faults`: the lazy flags while no guest handler
//! can see them): the allocator drops such a global's value at a fault
//! site when it is overwritten after (`nextuse`), and a read of it fused
//! into a later guest access (`sib`: `ld [base + t*4]` after `mov cc_dst,
//! t`) would find it gone.

use crate::rip::RIP;
use ox86_ir::{IrBlock, Opcode, Temp};

/// The pass's state, walking the ops in order (buffers kept from TB to
/// TB).
#[derive(Default)]
pub(crate) struct Copies {
    /// Per local: the global it was copied into and the op that did it.
    copy_of: Vec<Option<(Temp, u32)>>,
    /// The globals copies may be read through (see the module doc).
    through: u64,
    /// Per global: the op that last wrote it.
    wrote: Vec<u32>,
    /// The last op that ended a block or called a helper.
    barrier: u32,
}

impl Copies {
    /// Starts a walk over `ir`; `uses` is zeroed for `step` to count in.
    pub fn start(&mut self, ir: &IrBlock, uses: &mut Vec<u32>) {
        let n = ir.n_temps as usize;
        self.copy_of.clear();
        self.copy_of.resize(n, None);
        self.wrote.clear();
        self.wrote.resize(ir.globals.len(), u32::MAX);
        self.barrier = 0;
        self.through = !ir.unobserved_at_faults;
        uses.clear();
        uses.resize(n, 0);
    }

    /// Op `i`: rewrites its reads of copied locals (see the module doc),
    /// but in extensions that `width` makes copies, which keep reading the
    /// local, whose width is known; counts its reads into `uses`; notes
    /// the copies it makes.
    #[inline]
    pub fn step(&mut self, ir: &mut IrBlock, i: usize, width: &[u8], uses: &mut [u32]) {
        let ng = ir.globals.len();
        let op = ir.ops[i];
        let ext = op.opc.extension_width().is_some();
        for k in 0..op.n_ins() {
            let mut t = op.ins[k];
            if let Some((g, at)) = self.copy_of[t.index()] {
                let holds = self.wrote[g.index()] == at && self.barrier < at;
                if holds && !(ext && crate::bits::ext_is_copy(op.opc, width[t.index()])) {
                    t = g;
                    ir.ops[i].ins[k] = g;
                }
            }
            uses[t.index()] += 1;
        }
        for &o in op.outputs() {
            if o.index() < ng {
                self.wrote[o.index()] = i as u32;
            } else {
                self.copy_of[o.index()] = None;
            }
        }
        if crate::liveness::ends_bb(op.opc) || op.opc == Opcode::Call {
            self.barrier = i as u32;
        }
        let (d, s) = (op.outs[0], op.ins[0]);
        let through = d.index() >= 64 || self.through & (1 << d.index()) != 0;
        if op.opc == Opcode::Mov
            && d.index() < ng
            && d != RIP
            && s.index() >= ng
            && i > 0
            && through
        {
            self.copy_of[s.index()] = Some((d, i as u32));
        }
    }
}

/// Rewrites reads of locals copied into globals in all of `ir` (see
/// `Copies::step`), counting each temp's reads into `uses`.
#[cfg(test)]
pub(crate) fn read_globals(ir: &mut IrBlock, width: &[u8], uses: &mut Vec<u32>) {
    let mut c = Copies::default();
    c.start(ir, uses);
    for i in 0..ir.ops.len() {
        c.step(ir, i, width, uses);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_globals::GLOBALS;

    #[test]
    fn reads_the_global_while_it_holds_the_copy() {
        let mut b = IrBlock::new(&GLOBALS);
        let (rax, rcx) = (b.global(0), b.global(1));
        let t = b.add(rax, rcx);
        b.mov_to(rax, t);
        let u = b.add(t, rcx); // reads rax
        b.mov_to(rcx, u);
        b.mov_to(rax, u); // rax changes
        let v = b.add(t, t); // t again
        b.mov_to(rcx, v);
        b.goto_tb(0);
        let width = vec![64; b.n_temps as usize];
        read_globals(&mut b, &width, &mut Vec::new());
        let def = |x: Temp| *b.ops.iter().find(|o| o.outs[0] == x).unwrap();
        assert_eq!(def(u).ins[0], rax);
        assert_eq!((def(v).ins[0], def(v).ins[1]), (t, t));
    }
}
