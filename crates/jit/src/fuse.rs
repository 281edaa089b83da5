//! Instruction fusion for hosts with BMI1: `and(not(x), y)` whose `not`
//! has no other reader becomes one `andn`. Rewrites the backend's copy of
//! the TB's ops (the `not` is then dead code) and marks the `and`.

use crate::defs::Defs;
use ox86_ir::{IrBlock, Opcode};

/// Per op: for an `and` that is an `andn`, 1 + the index of its input
/// that is negated; 0 elsewhere.
pub(crate) type Andn = Vec<u8>;

/// Finds `and(not(x), y)` (either order) with `x` unchanged in between
/// and the `not` read nowhere else (`uses`: reads per temp), and makes
/// the `and` read `x`.
pub(crate) fn fuse_andn(ir: &mut IrBlock, defs: &Defs, uses: &[u32], andn: &mut Andn) {
    let ng = ir.globals.len();
    andn.clear();
    andn.resize(ir.ops.len(), 0);
    for (i, mark) in andn.iter_mut().enumerate() {
        let op = ir.ops[i];
        if op.opc != Opcode::And {
            continue;
        }
        for k in 0..2 {
            let t = op.ins[k];
            if !defs.single(t) || uses[t.index()] != 1 || defs.at(t) > i {
                continue;
            }
            let not = ir.ops[defs.at(t)];
            if not.opc != Opcode::Not {
                continue;
            }
            let x = not.ins[0];
            let changed = ir.ops[defs.at(t) + 1..i].iter().any(|o| {
                crate::liveness::ends_bb(o.opc)
                    || o.outputs().contains(&x)
                    || (o.opc == Opcode::Call && x.index() < ng)
            });
            if !changed {
                ir.ops[i].ins[k] = x;
                *mark = k as u8 + 1;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_globals::GLOBALS;

    #[test]
    fn and_of_a_lone_not_is_fused() {
        let mut b = IrBlock::new(&GLOBALS);
        let (rax, rcx) = (b.global(0), b.global(1));
        let n = b.unop(Opcode::Not, rax);
        let a = b.and(rcx, n);
        b.mov_to(rcx, a);
        let n2 = b.unop(Opcode::Not, rax);
        let a2 = b.and(n2, rcx);
        b.mov_to(rax, n2); // n2 is read again: no fusion
        b.mov_to(rcx, a2);
        b.goto_tb(0);
        let mut andn = Vec::new();
        let defs = Defs::of(&b);
        let mut uses = vec![0; b.n_temps as usize];
        for op in &b.ops {
            op.inputs().iter().for_each(|t| uses[t.index()] += 1);
        }
        fuse_andn(&mut b, &defs, &uses, &mut andn);
        let at = |t| b.ops.iter().position(|o| o.outs[0] == t).unwrap();
        assert_eq!((andn[at(a)], b.ops[at(a)].ins[1]), (2, rax));
        assert_eq!((andn[at(a2)], b.ops[at(a2)].ins[0]), (0, n2));
    }
}
