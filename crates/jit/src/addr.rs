//! Address folding: a guest load or store whose address is `base ± const`,
//! computed just for it, uses the host addressing mode `[base + disp]`
//! instead. Rewrites the backend's copy of the TB's ops before code generation.

use crate::defs::Defs;
use crate::emit::fits_i32;
use crate::liveness::ends_bb;
use ox86_ir::{IrBlock, Op, Opcode, Temp};

/// Index of the address input of a guest access, if `opc` is one.
pub(crate) fn addr_input(opc: Opcode) -> Option<usize> {
    match opc {
        Opcode::Ld8u
        | Opcode::Ld8s
        | Opcode::Ld16u
        | Opcode::Ld16s
        | Opcode::Ld32u
        | Opcode::Ld32s
        | Opcode::Ld64 => Some(0),
        Opcode::St8 | Opcode::St16 | Opcode::St32 | Opcode::St64 => Some(1),
        Opcode::LdXmm | Opcode::StXmm => Some(0),
        _ => None,
    }
}

/// Removes folded address computations from `ir` and fills `disp` with,
/// per op, the displacement its access adds to its address input. `uses`
/// and `removed` are scratch buffers; `defs` is left describing `ir`.
/// Returns true if ops were removed (those `removed` marks).
pub(crate) fn fold_addresses(
    ir: &mut IrBlock,
    disp: &mut Vec<i32>,
    defs: &mut Defs,
    uses: &mut Vec<u32>,
    removed: &mut Vec<bool>,
) -> bool {
    let ng = ir.globals.len();
    defs.compute_with_uses(ir, uses);
    let konst = |ops: &[Op], t: Temp| -> Option<u64> {
        let i = defs.at(t);
        (defs.single(t) && ops[i].opc == Opcode::Movi).then(|| ops[i].consts[0])
    };
    let n = ir.ops.len();
    disp.clear();
    disp.resize(n, 0);
    removed.clear();
    removed.resize(n, false);
    let mut any = false;
    for (j, disp_j) in disp.iter_mut().enumerate() {
        let Some(k) = addr_input(ir.ops[j].opc) else {
            continue;
        };
        let a = ir.ops[j].ins[k];
        if a.index() < ng || defs.count[a.index()] != 1 || uses[a.index()] != 1 {
            continue;
        }
        let i = defs.at(a);
        if i > j {
            continue;
        }
        // Only the address inputs of accesses change below, so `d` and the
        // ops between it and the access read as before.
        let d = ir.ops[i];
        let (base, off) = match d.opc {
            Opcode::Add => match (konst(&ir.ops, d.ins[0]), konst(&ir.ops, d.ins[1])) {
                (_, Some(c)) => (d.ins[0], c),
                (Some(c), None) => (d.ins[1], c),
                _ => continue,
            },
            Opcode::Sub => match konst(&ir.ops, d.ins[1]) {
                Some(c) => (d.ins[0], c.wrapping_neg()),
                None => continue,
            },
            _ => continue,
        };
        if !fits_i32(off) {
            continue;
        }
        // `base` must hold the same value at the access.
        let clobbered = ir.ops[i + 1..j].iter().any(|o| {
            ends_bb(o.opc)
                || o.outputs().contains(&base)
                || (o.opc == Opcode::Call && base.index() < ng)
        });
        if clobbered {
            continue;
        }
        removed[i] = true;
        any = true;
        ir.ops[j].ins[k] = base;
        *disp_j = off as i32;
    }
    if !any {
        return false;
    }
    let mut w = 0;
    for r in 0..n {
        if !removed[r] {
            ir.ops[w] = ir.ops[r];
            disp[w] = disp[r];
            w += 1;
        }
    }
    ir.ops.truncate(w);
    disp.truncate(w);
    defs.compute(ir);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_globals::GLOBALS;

    #[test]
    fn folds_base_plus_constant() {
        let mut b = IrBlock::new(&GLOBALS);
        let c = b.movi(16);
        let a = b.add(b.global(0), c);
        let v = b.load(Opcode::Ld64, a);
        b.mov_to(b.global(1), v);
        let c2 = b.movi(8);
        let a2 = b.sub(b.global(0), c2);
        b.mov_to(b.global(0), c2); // base changes: no fold
        b.store(Opcode::St64, v, a2);
        b.goto_tb(0);
        let mut out = b.clone();
        let mut disp = Vec::new();
        let mut defs = Defs::default();
        fold_addresses(
            &mut out,
            &mut disp,
            &mut defs,
            &mut Vec::new(),
            &mut Vec::new(),
        );
        assert_eq!(out.ops.len(), b.ops.len() - 1);
        let ld = out.ops.iter().position(|o| o.opc == Opcode::Ld64).unwrap();
        assert_eq!((out.ops[ld].ins[0], disp[ld]), (b.global(0), 16));
        let st = out.ops.iter().position(|o| o.opc == Opcode::St64).unwrap();
        assert_eq!((out.ops[st].ins[1], disp[st]), (a2, 0));
    }
}
