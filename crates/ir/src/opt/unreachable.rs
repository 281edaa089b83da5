//! Unreachable-code removal: the ops after an unconditional branch or TB
//! exit, up to the next label a branch still targets, never run. Folding a
//! constant branch can leave such code reading temps whose definitions
//! dead-code elimination then drops, so backends must not see it.

use crate::func::IrBlock;
use crate::table::Opcode;

/// Runs the pass (to a fixpoint: removing code can orphan more labels).
pub fn remove_unreachable(block: &mut IrBlock) {
    loop {
        let mut targeted = vec![false; block.n_labels as usize];
        for op in &block.ops {
            match op.opc {
                Opcode::Br => targeted[op.consts[0] as usize] = true,
                Opcode::Brcond => targeted[op.consts[1] as usize] = true,
                _ => {}
            }
        }
        let before = block.ops.len();
        let mut reachable = true;
        block.ops.retain(|op| {
            if op.opc == Opcode::SetLabel {
                reachable |= targeted[op.consts[0] as usize];
            }
            let keep = reachable;
            if matches!(
                op.opc,
                Opcode::Br | Opcode::GotoTb | Opcode::LookupAndGotoPtr | Opcode::Raise
            ) {
                reachable = false;
            }
            keep
        });
        if block.ops.len() == before {
            return;
        }
    }
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
}
