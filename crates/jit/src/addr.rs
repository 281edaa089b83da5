//! Address folding: a guest load or store whose address is `base ± const`,
//! computed just for it, uses the host addressing mode `[base + disp]`
//! instead. Rewrites a copy of the TB's ops before code generation.

use crate::emit::fits_i32;
use crate::liveness::ends_bb;
use ox86_ir::{IrBlock, Opcode, Temp};

/// Index of the address input of a guest access, if `opc` is one.
fn addr_input(opc: Opcode) -> Option<usize> {
    match opc {
        Opcode::Ld8u
        | Opcode::Ld8s
        | Opcode::Ld16u
        | Opcode::Ld16s
        | Opcode::Ld32u
        | Opcode::Ld32s
        | Opcode::Ld64 => Some(0),
        Opcode::St8 | Opcode::St16 | Opcode::St32 | Opcode::St64 => Some(1),
        _ => None,
    }
}

/// Returns `ir` with folded address computations removed, and per op the
/// displacement its access adds to its address input.
pub(crate) fn fold_addresses(ir: &IrBlock) -> (IrBlock, Vec<i32>) {
    let n = ir.n_temps as usize;
    let ng = ir.globals.len();
    let mut uses = vec![0u32; n];
    let mut defs = vec![0u32; n];
    let mut def_at = vec![usize::MAX; n];
    for (i, op) in ir.ops.iter().enumerate() {
        for &t in op.inputs() {
            uses[t.index()] += 1;
        }
        for &t in op.outputs() {
            defs[t.index()] += 1;
            def_at[t.index()] = i;
        }
    }
    let konst = |t: Temp| -> Option<u64> {
        let i = def_at[t.index()];
        (t.index() >= ng && defs[t.index()] == 1 && ir.ops[i].opc == Opcode::Movi)
            .then(|| ir.ops[i].consts[0])
    };
    let mut ops = ir.ops.clone();
    let mut disp = vec![0i32; ops.len()];
    let mut removed = vec![false; ops.len()];
    for j in 0..ops.len() {
        let Some(k) = addr_input(ops[j].opc) else {
            continue;
        };
        let a = ops[j].ins[k];
        if a.index() < ng || defs[a.index()] != 1 || uses[a.index()] != 1 {
            continue;
        }
        let i = def_at[a.index()];
        if i > j {
            continue;
        }
        let d = &ir.ops[i];
        let (base, off) = match d.opc {
            Opcode::Add => match (konst(d.ins[0]), konst(d.ins[1])) {
                (_, Some(c)) => (d.ins[0], c),
                (Some(c), None) => (d.ins[1], c),
                _ => continue,
            },
            Opcode::Sub => match konst(d.ins[1]) {
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
        ops[j].ins[k] = base;
        disp[j] = off as i32;
    }
    let mut out = IrBlock {
        ops: Vec::with_capacity(ops.len()),
        ..IrBlock::new(ir.globals)
    };
    out.n_temps = ir.n_temps;
    out.n_labels = ir.n_labels;
    let mut out_disp = Vec::with_capacity(ops.len());
    for (i, op) in ops.into_iter().enumerate() {
        if !removed[i] {
            out.ops.push(op);
            out_disp.push(disp[i]);
        }
    }
    (out, out_disp)
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
        let (out, disp) = fold_addresses(&b);
        assert_eq!(out.ops.len(), b.ops.len() - 1);
        let ld = out.ops.iter().position(|o| o.opc == Opcode::Ld64).unwrap();
        assert_eq!((out.ops[ld].ins[0], disp[ld]), (b.global(0), 16));
        let st = out.ops.iter().position(|o| o.opc == Opcode::St64).unwrap();
        assert_eq!((out.ops[st].ins[1], disp[st]), (a2, 0));
    }
}
