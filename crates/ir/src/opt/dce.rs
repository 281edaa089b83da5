//! Dead-code elimination by backward liveness over the TB (iterated to a
//! fixpoint for in-TB loops). Globals are live at TB exits, helper calls
//! and ops that can fault (guest state must be precise there); an op with
//! no side effects whose outputs are all dead is removed — this is also
//! what drops lazy-flag updates overwritten before anything reads them.

use crate::func::IrBlock;
use crate::table::{opf, Opcode};

/// Buffers reused from one TB to the next.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Live temps, one bit each, at the current op.
    live: Vec<u64>,
    /// Live temps at each label, `words` words per label.
    at_label: Vec<u64>,
    /// Per label: a branch after it (a back edge) read its live set in
    /// this pass.
    read_early: Vec<bool>,
    dead: Vec<bool>,
}

fn get(bits: &[u64], i: usize) -> bool {
    bits[i / 64] >> (i % 64) & 1 != 0
}

fn set(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

fn clear(bits: &mut [u64], i: usize) {
    bits[i / 64] &= !(1 << (i % 64));
}

/// Sets bits `0..n` and clears the rest.
fn set_first(bits: &mut [u64], n: usize) {
    for (w, word) in bits.iter_mut().enumerate() {
        let lo = w * 64;
        *word = match n.saturating_sub(lo) {
            0 => 0,
            k if k >= 64 => u64::MAX,
            k => (1u64 << k) - 1,
        };
    }
}

/// Runs the pass.
pub fn eliminate_dead_code(block: &mut IrBlock) {
    run(block, &mut Scratch::default());
}

/// Runs the pass with the buffers of `s`. A label's live set is final
/// after one backward walk unless a branch below it (a loop's back edge)
/// read it before the walk reached the label; only then is it repeated.
pub(crate) fn run(block: &mut IrBlock, s: &mut Scratch) {
    let n = block.n_temps as usize;
    let ng = block.globals.len();
    let nl = block.n_labels as usize;
    let words = n.div_ceil(64);
    s.at_label.clear();
    s.at_label.resize(nl * words, 0);
    s.live.clear();
    s.live.resize(words, 0);
    s.dead.clear();
    s.dead.resize(block.ops.len(), false);
    let (live, at_label, dead) = (&mut s.live, &mut s.at_label, &mut s.dead);
    let label = |l: u64| l as usize * words..(l as usize + 1) * words;
    loop {
        let mut changed = false;
        live.fill(0);
        s.read_early.clear();
        s.read_early.resize(nl, false);
        for (i, op) in block.ops.iter().enumerate().rev() {
            let flags = op.opc.flags();
            match op.opc {
                Opcode::SetLabel => {
                    let l = label(op.consts[0]);
                    if at_label[l.clone()] != live[..] {
                        at_label[l].copy_from_slice(live);
                        changed |= s.read_early[op.consts[0] as usize];
                    }
                    continue;
                }
                Opcode::Br => {
                    s.read_early[op.consts[0] as usize] = true;
                    live.copy_from_slice(&at_label[label(op.consts[0])]);
                    continue;
                }
                Opcode::Brcond => {
                    s.read_early[op.consts[1] as usize] = true;
                    let l = label(op.consts[1]);
                    live.iter_mut().zip(&at_label[l]).for_each(|(a, b)| *a |= b);
                }
                _ => {}
            }
            if flags & opf::TB_EXIT != 0 {
                set_first(live, ng);
            }
            let removable = flags & opf::SIDE_EFFECTS == 0
                && flags & opf::BB_END == 0
                && op.opc != Opcode::InsnStart
                && !op.outputs().is_empty()
                && op.outputs().iter().all(|t| !get(live, t.index()));
            dead[i] = removable;
            if removable {
                continue;
            }
            for t in op.outputs() {
                clear(live, t.index());
            }
            if flags & (opf::CAN_FAULT | opf::TB_EXIT) != 0 || op.opc == Opcode::Call {
                // What a fault alone would read (not an exit, not a helper).
                let unobserved = if flags & opf::TB_EXIT == 0 && op.opc != Opcode::Call {
                    block.unobserved_at_faults & !live[0]
                } else {
                    0
                };
                live.iter_mut()
                    .take(ng.div_ceil(64))
                    .enumerate()
                    .for_each(|(w, word)| {
                        let k = ng - w * 64;
                        *word |= if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
                    });
                live[0] &= !unobserved;
            }
            for t in op.inputs() {
                set(live, t.index());
            }
        }
        if !changed {
            break;
        }
    }
    if !dead.contains(&true) {
        return;
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
