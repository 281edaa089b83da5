//! Dead-code elimination by backward liveness over the TB (iterated to a
//! fixpoint for in-TB loops). Globals are live at TB exits, helper calls
//! and ops that can fault (guest state must be precise there); an op with
//! no side effects whose outputs are all dead is removed — this is also
//! what drops lazy-flag updates overwritten before anything reads them.

use crate::func::IrBlock;
use crate::table::{opf, Opcode};

struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 != 0
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
    fn union(&mut self, o: &Bits) {
        self.0.iter_mut().zip(&o.0).for_each(|(a, b)| *a |= b);
    }
    fn set_range(&mut self, n: usize) {
        (0..n).for_each(|i| self.set(i));
    }
}

impl Clone for Bits {
    fn clone(&self) -> Bits {
        Bits(self.0.clone())
    }
}

/// Runs the pass.
pub fn eliminate_dead_code(block: &mut IrBlock) {
    let n = block.n_temps as usize;
    let ng = block.globals.len();
    let nl = block.n_labels as usize;
    let mut at_label: Vec<Bits> = (0..nl).map(|_| Bits::new(n)).collect();
    let mut dead = vec![false; block.ops.len()];
    loop {
        let mut changed = false;
        let mut live = Bits::new(n);
        for (i, op) in block.ops.iter().enumerate().rev() {
            let flags = op.opc.flags();
            match op.opc {
                Opcode::SetLabel => {
                    let l = op.consts[0] as usize;
                    if at_label[l].0 != live.0 {
                        at_label[l] = live.clone();
                        changed = true;
                    }
                    continue;
                }
                Opcode::Br => {
                    live = at_label[op.consts[0] as usize].clone();
                    continue;
                }
                Opcode::Brcond => live.union(&at_label[op.consts[1] as usize]),
                _ => {}
            }
            if flags & opf::TB_EXIT != 0 {
                live = Bits::new(n);
                live.set_range(ng);
            }
            let removable = flags & opf::SIDE_EFFECTS == 0
                && flags & opf::BB_END == 0
                && op.opc != Opcode::InsnStart
                && !op.outputs().is_empty()
                && op.outputs().iter().all(|t| !live.get(t.index()));
            dead[i] = removable;
            if removable {
                continue;
            }
            for t in op.outputs() {
                live.clear(t.index());
            }
            if flags & (opf::CAN_FAULT | opf::TB_EXIT) != 0 || op.opc == Opcode::Call {
                live.set_range(ng);
            }
            for t in op.inputs() {
                live.set(t.index());
            }
        }
        if !changed {
            break;
        }
    }
    let mut i = 0;
    block.ops.retain(|_| {
        let keep = !dead[i];
        i += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::Global;
    use crate::op::Temp;

    static G: [Global; 2] = [
        Global {
            name: "cc_dst",
            offset: 0,
        },
        Global {
            name: "rax",
            offset: 8,
        },
    ];

    #[test]
    fn overwritten_flag_update_is_dropped() {
        let mut b = IrBlock::new(&G);
        let x = b.movi(1);
        b.mov_to(b.global(0), x);
        let y = b.movi(2);
        b.mov_to(b.global(0), y);
        b.goto_tb(0);
        eliminate_dead_code(&mut b);
        let writes = b
            .ops
            .iter()
            .filter(|o| o.outputs().first() == Some(&Temp(0)))
            .count();
        assert_eq!(writes, 1);
        assert!(!b
            .ops
            .iter()
            .any(|o| o.opc == Opcode::Movi && o.consts[0] == 1));
    }

    #[test]
    fn a_discarded_global_is_not_stored() {
        let mut b = IrBlock::new(&G);
        let x = b.movi(1);
        b.mov_to(b.global(0), x);
        b.discard(b.global(0));
        b.goto_tb(0);
        eliminate_dead_code(&mut b);
        assert!(!b.ops.iter().any(|o| o.opc == Opcode::Movi));
        assert!(b.ops.iter().any(|o| o.opc == Opcode::Discard));
    }

    #[test]
    fn state_before_a_faulting_load_is_kept() {
        let mut b = IrBlock::new(&G);
        let x = b.movi(1);
        b.mov_to(b.global(0), x);
        let a = b.movi(0x1000);
        let v = b.load(Opcode::Ld64, a);
        b.mov_to(b.global(0), v);
        b.goto_tb(0);
        eliminate_dead_code(&mut b);
        assert!(b
            .ops
            .iter()
            .any(|o| o.opc == Opcode::Movi && o.consts[0] == 1));
    }

    #[test]
    fn values_used_in_a_loop_stay_live() {
        let mut b = IrBlock::new(&G);
        let step = b.movi(8);
        let top = b.label();
        let out = b.label();
        b.set_label(top);
        let r = b.add(b.global(1), step);
        b.mov_to(b.global(1), r);
        let z = b.movi(0);
        b.brcond(crate::op::Cond::Eq, r, z, out);
        b.br(top);
        b.set_label(out);
        b.goto_tb(0);
        eliminate_dead_code(&mut b);
        assert!(b
            .ops
            .iter()
            .any(|o| o.opc == Opcode::Movi && o.consts[0] == 8));
    }
}
