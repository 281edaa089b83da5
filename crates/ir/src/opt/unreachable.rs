//! Unreachable-code removal: the ops after an unconditional branch or TB
//! exit, up to the next label a reachable branch targets, never run. Folding a
//! constant branch can leave such code reading temps whose definitions
//! dead-code elimination then drops, so backends must not see it.

use crate::func::IrBlock;
use crate::table::{opf, Opcode};

/// Buffers reused from one TB to the next.
#[derive(Default)]
pub(crate) struct Scratch {
    reached: Vec<bool>,
    /// Per label: its `set_label` was passed in the current walk.
    passed: Vec<bool>,
    keep: Vec<bool>,
}

/// Runs the pass. A label is reachable when the code before it falls
/// through to it or a reachable branch targets it (iterated to a fixpoint:
/// a branch in dead code, such as a loop's back edge, does not count).
pub fn remove_unreachable(block: &mut IrBlock) {
    run(block, &mut Scratch::default());
}

/// Runs the pass with the buffers of `s`. The walk is repeated only when
/// a branch reaches a label the walk has already passed (a back edge).
pub(crate) fn run(block: &mut IrBlock, s: &mut Scratch) {
    let nl = block.n_labels as usize;
    if nl == 0 {
        // No label: everything after the first exit goes.
        if let Some(i) = block.ops.iter().position(|op| leaves(op.opc)) {
            block.ops.truncate(i + 1);
        }
        return;
    }
    s.reached.clear();
    s.reached.resize(nl, false);
    loop {
        s.passed.clear();
        s.passed.resize(nl, false);
        s.keep.clear();
        let mut live = true;
        let mut changed = false;
        for op in &block.ops {
            if op.opc == Opcode::SetLabel {
                let l = op.consts[0] as usize;
                s.reached[l] |= live;
                s.passed[l] = true;
                live = s.reached[l];
            }
            s.keep.push(live);
            if !live {
                continue;
            }
            let target = match op.opc {
                Opcode::Br => Some(op.consts[0] as usize),
                Opcode::Brcond => Some(op.consts[1] as usize),
                _ => None,
            };
            if let Some(l) = target.filter(|&l| !s.reached[l]) {
                s.reached[l] = true;
                changed |= s.passed[l];
            }
            if leaves(op.opc) {
                live = false;
            }
        }
        if !changed {
            break;
        }
    }
    if s.keep.iter().all(|&k| k) {
        return;
    }
    let mut k = s.keep.iter();
    block.ops.retain(|_| k.next().copied().unwrap_or(true));
}

/// True if no op after one with opcode `opc` runs but at a label.
fn leaves(opc: Opcode) -> bool {
    opc == Opcode::Br || opc.flags() & opf::TB_EXIT != 0
}

#[cfg(test)]
mod tests {
    use crate::func::IrBlock;
    use crate::Global;

    #[test]
    fn code_after_a_raise_up_to_an_untargeted_label_goes() {
        static G: [Global; 1] = [Global {
            name: "g",
            offset: 0,
        }];
        let mut b = IrBlock::new(&G);
        let l = b.label();
        let t = b.movi(1);
        b.raise(13);
        b.set_label(l);
        let u = b.addi(t, 1);
        b.mov_to(crate::Temp(0), u);
        super::remove_unreachable(&mut b);
        assert_eq!(b.ops.len(), 2, "{:?}", b.ops);
    }

    #[test]
    fn a_loop_after_a_raise_goes_too() {
        static G: [Global; 1] = [Global {
            name: "g",
            offset: 0,
        }];
        let mut b = IrBlock::new(&G);
        let top = b.label();
        let t = b.movi(1);
        b.raise(13);
        b.set_label(top);
        let u = b.addi(t, 1);
        b.mov_to(crate::Temp(0), u);
        b.br(top);
        super::remove_unreachable(&mut b);
        assert_eq!(b.ops.len(), 2, "{:?}", b.ops);
    }

    #[test]
    fn without_labels_everything_after_the_first_exit_goes() {
        static G: [Global; 1] = [Global {
            name: "g",
            offset: 0,
        }];
        let mut b = IrBlock::new(&G);
        let t = b.movi(1);
        b.mov_to(crate::Temp(0), t);
        b.goto_tb(0);
        let u = b.addi(t, 1);
        b.mov_to(crate::Temp(0), u);
        b.goto_tb(1);
        super::remove_unreachable(&mut b);
        assert_eq!(b.ops.len(), 3, "{:?}", b.ops);
        let mut b = IrBlock::new(&G);
        let t = b.movi(1);
        b.mov_to(crate::Temp(0), t);
        b.goto_tb(0);
        super::remove_unreachable(&mut b);
        assert_eq!(b.ops.len(), 3, "an exit last keeps everything");
    }
}
