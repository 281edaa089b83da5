//! Demanded bits: for each local temp, how many of its low bits any reader
//! looks at. The front end wraps every 32-bit operation in `ext32u`; when
//! no reader wants the high half, the extension is a plain copy and the
//! operation itself can be a 32-bit host instruction (which zero-extends
//! for free). Rewrites the backend's copy of the TB's ops and marks those
//! ops (`op32`), before widths and copies are worked out.

use crate::bits::Narrow;
use ox86_ir::op::MAX_INS;
use ox86_ir::{opf, IrBlock, Opcode, Temp};

/// Per op: computed on the low 32 bits of its inputs with a zero-extended
/// 32-bit result (`add r32, r32` and the like).
pub(crate) type Op32 = Vec<bool>;

/// Number of definitions and the index of the last one, per temp.
fn defs(ir: &IrBlock) -> (Vec<u32>, Vec<usize>) {
    let n = ir.n_temps as usize;
    let mut defs = vec![0u32; n];
    let mut def_at = vec![usize::MAX; n];
    for (i, op) in ir.ops.iter().enumerate() {
        for &t in op.outputs() {
            defs[t.index()] += 1;
            def_at[t.index()] = i;
        }
    }
    (defs, def_at)
}

/// True if no op in `from+1..to` changes `x` or ends the block.
fn stable(ir: &IrBlock, from: usize, to: usize, x: Temp) -> bool {
    let ng = ir.globals.len();
    !ir.ops[from + 1..to].iter().any(|o| {
        crate::liveness::ends_bb(o.opc)
            || o.outputs().contains(&x)
            || (o.opc == Opcode::Call && x.index() < ng)
    })
}

/// The constant a single-definition local holds, if it is one.
fn konst(ir: &IrBlock, defs: &[u32], def_at: &[usize], t: Temp) -> Option<u64> {
    let ti = t.index();
    if ti < ir.globals.len() || defs[ti] != 1 {
        return None;
    }
    let d = &ir.ops[def_at[ti]];
    (d.opc == Opcode::Movi).then_some(d.consts[0])
}

/// True if a pure op whose outputs nobody reads is dead code.
fn removable(opc: Opcode) -> bool {
    opc.flags() & (opf::SIDE_EFFECTS | opf::BB_END | opf::CAN_FAULT) == 0
        && opc != Opcode::InsnStart
}

/// Per temp: the number of low bits some reader demands (64 for globals,
/// 0 for values nobody reads); ops marked in `op32` read 32 bits at most. Flow-insensitive, so a temp defined more
/// than once gets the union over all its readers; iterated to a fixpoint.
pub(crate) fn demanded(ir: &IrBlock, rot: &[u8], narrow: &[Narrow], op32: &[bool]) -> Vec<u8> {
    let n = ir.n_temps as usize;
    let ng = ir.globals.len();
    let (defs, def_at) = defs(ir);
    let mut dem = vec![0u8; n];
    dem[..ng].fill(64);
    loop {
        let mut changed = false;
        for (i, op) in ir.ops.iter().enumerate().rev() {
            let outs = op.outputs();
            if removable(op.opc) && !outs.is_empty() && outs.iter().all(|t| dem[t.index()] == 0) {
                continue;
            }
            let d = outs.first().map_or(64, |t| dem[t.index()]);
            let count = |k: usize| konst(ir, &defs, &def_at, op.ins[k]);
            let mut need = [64u8; MAX_INS];
            match op.opc {
                _ if rot.get(i).is_some_and(|&k| k != 0) => need[0] = 32,
                Opcode::Mov
                | Opcode::Add
                | Opcode::Sub
                | Opcode::Mul
                | Opcode::And
                | Opcode::Or
                | Opcode::Xor
                | Opcode::Not
                | Opcode::Neg => need = [d; MAX_INS],
                Opcode::Shl => need = [d, 8, 0, 0, 0, 0],
                Opcode::Shr => {
                    let c = count(1).map_or(64, |c| c & 63);
                    need = [(d as u64 + c).min(64) as u8, 8, 0, 0, 0, 0];
                }
                Opcode::Sar => {
                    let c = count(1).map_or(64, |c| c & 63);
                    let w = d as u64 + c;
                    need = [if w >= 64 { 64 } else { w as u8 }, 8, 0, 0, 0, 0];
                }
                Opcode::Ext8u | Opcode::Ext8s => need[0] = d.min(8),
                Opcode::Ext16u | Opcode::Ext16s => need[0] = d.min(16),
                Opcode::Ext32u | Opcode::Ext32s | Opcode::Bswap32 => need[0] = d.min(32),
                Opcode::Movcond => need = [64, 64, d, d, 0, 0],
                Opcode::Brcond if narrow.get(i).is_some_and(|&k| k != Narrow::No) => {
                    need = [32; MAX_INS]
                }
                Opcode::St8 => need[0] = 8,
                Opcode::St16 => need[0] = 16,
                Opcode::St32 => need[0] = 32,
                _ => {}
            }
            if op32[i] {
                need.iter_mut().for_each(|w| *w = (*w).min(32));
            }
            for (k, &t) in op.inputs().iter().enumerate() {
                let ti = t.index();
                if need[k] > dem[ti] {
                    dem[ti] = need[k];
                    changed = true;
                }
            }
        }
        if !changed {
            return dem;
        }
    }
}

/// True if `opc`'s low 32 result bits depend only on its inputs' low 32
/// bits, so that a 32-bit host instruction computes them.
fn low_half_op(opc: Opcode) -> bool {
    matches!(
        opc,
        Opcode::Add
            | Opcode::Sub
            | Opcode::Mul
            | Opcode::And
            | Opcode::Or
            | Opcode::Xor
            | Opcode::Not
            | Opcode::Neg
    )
}

/// Rewrites `ir` for 32-bit code and returns the per-op `op32` marks:
/// - `shr(ext32u(x), c)` with `0 < c < 32` reads `x` and is a 32-bit shift;
/// - an extension whose result is demanded no wider than it extends from
///   becomes a `mov`;
/// - `add sub mul and or xor not neg` and `shl` by a constant below 32,
///   when at most 32 bits of the result are demanded, are 32-bit ops.
pub(crate) fn narrow_ops(ir: &mut IrBlock, rot: &[u8], narrow: &[Narrow]) -> Op32 {
    let ng = ir.globals.len();
    let (defs, def_at) = defs(ir);
    let mut op32 = vec![false; ir.ops.len()];
    let single = |t: Temp| t.index() >= ng && defs[t.index()] == 1;
    for (i, is32) in op32.iter_mut().enumerate() {
        let op = ir.ops[i];
        if op.opc != Opcode::Shr {
            continue;
        }
        let Some(c) = konst(ir, &defs, &def_at, op.ins[1]) else {
            continue;
        };
        let e = op.ins[0];
        if !(1..32).contains(&c) || !single(e) || def_at[e.index()] > i {
            continue;
        }
        let ext = ir.ops[def_at[e.index()]];
        if ext.opc == Opcode::Ext32u
            && rot.get(def_at[e.index()]).is_none_or(|&k| k == 0)
            && stable(ir, def_at[e.index()], i, ext.ins[0])
        {
            ir.ops[i].ins[0] = ext.ins[0];
            *is32 = true;
        }
    }
    let dem = demanded(ir, rot, narrow, &op32);
    for (i, is32) in op32.iter_mut().enumerate() {
        let op = ir.ops[i];
        let Some(&d) = op.outputs().first() else {
            continue;
        };
        let d = dem[d.index()];
        let from = match op.opc {
            Opcode::Ext8u | Opcode::Ext8s => 8,
            Opcode::Ext16u | Opcode::Ext16s => 16,
            Opcode::Ext32u | Opcode::Ext32s if rot.get(i).is_none_or(|&k| k == 0) => 32,
            _ => 0,
        };
        if from != 0 && d <= from {
            ir.ops[i].opc = Opcode::Mov;
        } else if d <= 32 && low_half_op(op.opc) {
            *is32 = true;
        } else if d <= 32 && op.opc == Opcode::Shl {
            *is32 = konst(ir, &defs, &def_at, op.ins[1]).is_some_and(|c| c < 32);
        }
    }
    op32
}

/// Per op: 1 where the output is known to fit in 32 bits (a rotate of
/// `rot` or an `op32` op), in the form `bits::known_widths` takes.
pub(crate) fn wide32(rot: &[u8], op32: &[bool]) -> Vec<u8> {
    rot.iter()
        .zip(op32)
        .map(|(&k, &w)| (k != 0 || w) as u8)
        .collect()
}
