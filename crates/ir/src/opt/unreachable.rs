//! Unreachable-code removal: the ops after an unconditional branch or TB
//! exit, up to the next label a reachable branch targets, never run. Folding a
//! constant branch can leave such code reading temps whose definitions
//! dead-code elimination then drops, so backends must not see it.

use crate::func::IrBlock;
use crate::table::Opcode;

/// Runs the pass. A label is reachable when the code before it falls
/// through to it or a reachable branch targets it (iterated to a fixpoint:
/// a branch in dead code, such as a loop's back edge, does not count).
pub fn remove_unreachable(block: &mut IrBlock) {
    let mut reached = vec![false; block.n_labels as usize];
    let reachable_ops = |reached: &mut Vec<bool>| {
        let mut keep = Vec::with_capacity(block.ops.len());
        let mut live = true;
        let mut changed = false;
        for op in &block.ops {
            if op.opc == Opcode::SetLabel {
                let l = op.consts[0] as usize;
                if live && !reached[l] {
                    reached[l] = true;
                    changed = true;
                }
                live = reached[l];
            }
            keep.push(live);
            if !live {
                continue;
            }
            let target = match op.opc {
                Opcode::Br => Some(op.consts[0] as usize),
                Opcode::Brcond => Some(op.consts[1] as usize),
                _ => None,
            };
            if let Some(l) = target.filter(|&l| !reached[l]) {
                reached[l] = true;
                changed = true;
            }
            if matches!(
                op.opc,
                Opcode::Br | Opcode::GotoTb | Opcode::LookupAndGotoPtr | Opcode::Raise
            ) {
                live = false;
            }
        }
        (keep, changed)
    };
    let keep = loop {
        let (keep, changed) = reachable_ops(&mut reached);
        if !changed {
            break keep;
        }
    };
    let mut k = keep.into_iter();
    block.ops.retain(|_| k.next().unwrap_or(true));
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
}
