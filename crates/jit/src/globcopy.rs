//! Copies into globals: after `mov g, t` (a local moved into a global),
//! later reads of `t` in the same block read `g` while `g` still holds
//! that value. The local then dies at the move, so the value lives in one
//! place: one register, and one store if it is spilled.

use crate::rip::RIP;
use ox86_ir::{IrBlock, Opcode, Temp};

/// Rewrites reads of locals copied into globals (see the module doc).
/// Extensions that `width` makes copies keep reading the local, whose
/// width is known. `copy_of` and `active` are scratch buffers.
pub(crate) fn read_globals(
    ir: &mut IrBlock,
    width: &[u8],
    copy_of: &mut Vec<Option<Temp>>,
    active: &mut Vec<Temp>,
) {
    let ng = ir.globals.len();
    // Per local: the global it was copied into, while that holds.
    copy_of.clear();
    copy_of.resize(ir.n_temps as usize, None);
    active.clear();
    for i in 0..ir.ops.len() {
        let op = ir.ops[i];
        let ext = matches!(
            op.opc,
            Opcode::Ext8u
                | Opcode::Ext8s
                | Opcode::Ext16u
                | Opcode::Ext16s
                | Opcode::Ext32u
                | Opcode::Ext32s
        );
        for k in 0..op.n_ins() {
            let t = op.ins[k];
            if let Some(g) = copy_of[t.index()] {
                if !(ext && crate::bits::ext_is_copy(op.opc, width[t.index()])) {
                    ir.ops[i].ins[k] = g;
                }
            }
        }
        let all = crate::liveness::ends_bb(op.opc) || op.opc == Opcode::Call;
        let outs = op.outputs();
        if all || !outs.is_empty() {
            active.retain(|&t| {
                let g = copy_of[t.index()].expect("active copy");
                let keep = !all && !outs.contains(&g) && !outs.contains(&t);
                if !keep {
                    copy_of[t.index()] = None;
                }
                keep
            });
        }
        let (d, s) = (op.outs[0], op.ins[0]);
        if op.opc == Opcode::Mov
            && d.index() < ng
            && d != RIP
            && s.index() >= ng
            && copy_of[s.index()].replace(d).is_none()
        {
            active.push(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox86_ir::Global;

    static GLOBALS: [Global; 2] = [
        Global {
            name: "rax",
            offset: 0,
        },
        Global {
            name: "rcx",
            offset: 8,
        },
    ];

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
        read_globals(&mut b, &width, &mut Vec::new(), &mut Vec::new());
        let def = |x: Temp| *b.ops.iter().find(|o| o.outs[0] == x).unwrap();
        assert_eq!(def(u).ins[0], rax);
        assert_eq!((def(v).ins[0], def(v).ins[1]), (t, t));
    }
}
