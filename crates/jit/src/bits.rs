//! Known widths: for each local temp, a bound on its significant low bits
//! (all higher bits are zero), so that zero- and sign-extensions of values
//! already narrow enough compile to plain moves; and masks that make a
//! zero-extension of their operand redundant. The front end emits many
//! (`ext32u` around every 32-bit operation, `ext8u` before `test r8, imm`).

use crate::defs::Defs;
use ox86_ir::{IrBlock, Op, Opcode, Temp};

/// Width of a constant: bits up to and including its highest set bit.
fn const_width(c: u64) -> u8 {
    (64 - c.leading_zeros()) as u8
}

/// Per temp: every value it holds fits in this many low bits (64 for
/// globals and for locals defined more than once). `rot` marks the
/// `ext32u` ops that are rotates (see `find_rotates`).
pub(crate) fn known_widths(ir: &IrBlock, rot: &[u8], defs: &Defs, w: &mut Vec<u8>) {
    w.clear();
    w.resize(ir.n_temps as usize, 64);
    for (at, op) in ir.ops.iter().enumerate() {
        let v = width_of(op, w, rot.get(at).is_some_and(|&k| k != 0));
        if let Some(&t) = op.outputs().first() {
            if defs.single(t) {
                w[t.index()] = v;
            }
        }
    }
}

/// The width of `op`'s first output given its inputs' widths `w`;
/// `wide32`: the op is known to produce a 32-bit value (a rotate, or a
/// 32-bit op, see `demand`).
#[inline]
pub(crate) fn width_of(op: &Op, w: &[u8], wide32: bool) -> u8 {
    let i = |k: usize| w[op.ins[k].index()];
    match op.opc {
        _ if wide32 => 32,
        Opcode::Mov => i(0),
        Opcode::Movi => const_width(op.consts[0]),
        Opcode::And => i(0).min(i(1)),
        Opcode::Or | Opcode::Xor => i(0).max(i(1)),
        Opcode::Add => (i(0).max(i(1)) + 1).min(64),
        Opcode::Mul => (i(0) + i(1)).min(64),
        Opcode::Ext8u => i(0).min(8),
        Opcode::Ext16u => i(0).min(16),
        Opcode::Ext32u => i(0).min(32),
        Opcode::Ext8s if i(0) < 8 => i(0),
        Opcode::Ext16s if i(0) < 16 => i(0),
        Opcode::Ext32s if i(0) < 32 => i(0),
        Opcode::Ld8u => 8,
        Opcode::Ld16u => 16,
        Opcode::Ld32u | Opcode::Bswap32 => 32,
        Opcode::Setcond => 1,
        Opcode::Ctz | Opcode::Clz | Opcode::Ctpop => 7,
        Opcode::Movcond => i(2).max(i(3)),
        _ => 64,
    }
}

/// Rewrites `and(extNu(x), c)` with `c` below 2^N to `and(x, c)`; the
/// extension, if nothing else reads it, is then dead.
pub(crate) fn strip_masked_extensions(ir: &mut IrBlock, defs: &Defs) {
    let ng = ir.globals.len();
    let single = |t: Temp| defs.single(t);
    let def_at = |t: Temp| defs.at(t);
    for i in 0..ir.ops.len() {
        if ir.ops[i].opc != Opcode::And {
            continue;
        }
        for k in 0..2 {
            let (e, m) = (ir.ops[i].ins[k], ir.ops[i].ins[1 - k]);
            if !single(e) || !single(m) || def_at(m) > i || def_at(e) > i {
                continue;
            }
            let (ext, mask) = (ir.ops[def_at(e)], ir.ops[def_at(m)]);
            let bits = match ext.opc {
                Opcode::Ext8u => 8,
                Opcode::Ext16u => 16,
                Opcode::Ext32u => 32,
                _ => continue,
            };
            let x = ext.ins[0];
            // `x` must still hold the extended value here, on every path.
            let clobbered = ir.ops[def_at(e) + 1..i].iter().any(|o| {
                crate::liveness::ends_bb(o.opc)
                    || o.outputs().contains(&x)
                    || (o.opc == Opcode::Call && x.index() < ng)
            });
            if mask.opc == Opcode::Movi && mask.consts[0] >> bits == 0 && !clobbered {
                ir.ops[i].ins[k] = x;
                break;
            }
        }
    }
}

/// Recovers the first operand of a compare from the lazy-flags form the
/// front end produces for conditions after `cmp`/`sub` (`(a - b) + b`), so
/// that a `brcond` compares `a` and `b` directly:
/// `add(sub(a, b), b)` becomes `mov a`, and an N-bit extension of
/// `add(extMu(sub(a, b)), b)` with N <= M extends `a`.
/// `low_of` is a scratch buffer.
pub(crate) fn recover_compare_operands(
    ir: &mut IrBlock,
    defs: &Defs,
    low_of: &mut Vec<Option<(Temp, u8, usize)>>,
) {
    let n = ir.n_temps as usize;
    let ng = ir.globals.len();
    let single = |t: Temp| defs.single(t);
    let def_at = |t: Temp| defs.at(t);
    // No op in `from+1..to` may change `ts` or end the block.
    let stable = |ops: &[ox86_ir::Op], from: usize, to: usize, ts: &[Temp]| {
        !ops[from + 1..to].iter().any(|o| {
            crate::liveness::ends_bb(o.opc)
                || ts.iter().any(|t| o.outputs().contains(t))
                || (o.opc == Opcode::Call && ts.iter().any(|t| t.index() < ng))
        })
    };
    // Per temp defined by such an add: (a, bits of it that equal a, sub index).
    low_of.clear();
    low_of.resize(n, None);
    for i in 0..ir.ops.len() {
        let op = ir.ops[i];
        match op.opc {
            Opcode::Add => {
                for k in 0..2 {
                    let (x, y) = (op.ins[k], op.ins[1 - k]);
                    if !single(x) || def_at(x) > i {
                        continue;
                    }
                    let mut d = ir.ops[def_at(x)];
                    let mut bits = 64;
                    if let (Opcode::Ext32u | Opcode::Ext16u | Opcode::Ext8u, true) =
                        (d.opc, single(d.ins[0]) && def_at(d.ins[0]) < i)
                    {
                        bits = match d.opc {
                            Opcode::Ext32u => 32,
                            Opcode::Ext16u => 16,
                            _ => 8,
                        };
                        d = ir.ops[def_at(d.ins[0])];
                    }
                    if d.opc != Opcode::Sub || d.ins[1] != y {
                        continue;
                    }
                    let s = def_at(d.outs[0]);
                    let a = d.ins[0];
                    if !stable(&ir.ops, s, i, &[a, y]) {
                        continue;
                    }
                    if bits == 64 {
                        let mut mov = ox86_ir::Op::new(Opcode::Mov);
                        mov.outs[0] = op.outs[0];
                        mov.ins[0] = a;
                        ir.ops[i] = mov;
                    } else if single(op.outs[0]) {
                        low_of[op.outs[0].index()] = Some((a, bits, s));
                    }
                    break;
                }
            }
            Opcode::Ext8u
            | Opcode::Ext8s
            | Opcode::Ext16u
            | Opcode::Ext16s
            | Opcode::Ext32u
            | Opcode::Ext32s => {
                let want = match op.opc {
                    Opcode::Ext8u | Opcode::Ext8s => 8,
                    Opcode::Ext16u | Opcode::Ext16s => 16,
                    _ => 32,
                };
                if let Some((a, bits, s)) = low_of[op.ins[0].index()] {
                    if want <= bits && stable(&ir.ops, s, i, &[a]) {
                        ir.ops[i].ins[0] = a;
                    }
                }
            }
            _ => {}
        }
    }
}

/// A `brcond` whose operands are 32-bit values extended the same way
/// compares the 32-bit registers instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Narrow {
    /// A 64-bit compare.
    No,
    /// Operands were `ext32s` values.
    S32,
    /// Operands were `ext32u` values.
    U32,
}

impl Narrow {
    /// The extension applied to a constant operand.
    pub fn extend(self, c: u64) -> u64 {
        match self {
            Narrow::No => c,
            Narrow::S32 => c as i32 as i64 as u64,
            Narrow::U32 => c as u32 as u64,
        }
    }
}

/// Rewrites `brcond` on `ext32s`/`ext32u` values (or one such value and a
/// constant the extension leaves unchanged) to compare the unextended
/// values in 32 bits; fills `narrow` with the per-op narrowing.
pub(crate) fn narrow_compares(ir: &mut IrBlock, defs: &Defs, narrow: &mut Vec<Narrow>) {
    let ng = ir.globals.len();
    narrow.clear();
    narrow.resize(ir.ops.len(), Narrow::No);
    for (i, kind_at) in narrow.iter_mut().enumerate() {
        let op = ir.ops[i];
        if op.opc != Opcode::Brcond {
            continue;
        }
        let def = |t: Temp| (defs.single(t) && defs.at(t) < i).then(|| ir.ops[defs.at(t)]);
        let ext = |t: Temp| {
            def(t).and_then(|d| match d.opc {
                Opcode::Ext32s => Some((Narrow::S32, d.ins[0], defs.at(t))),
                Opcode::Ext32u => Some((Narrow::U32, d.ins[0], defs.at(t))),
                _ => None,
            })
        };
        let konst = |t: Temp| {
            def(t)
                .filter(|d| d.opc == Opcode::Movi)
                .map(|d| d.consts[0])
        };
        // Each operand: its unextended value, or a constant kept as is.
        let (a, b) = (op.ins[0], op.ins[1]);
        let (kind, na, nb) = match (ext(a), ext(b)) {
            (Some((ka, x, da)), Some((kb, y, db))) if ka == kb => {
                (ka, Some((x, da)), Some((y, db)))
            }
            (Some((k, x, d)), None) if konst(b).is_some_and(|c| k.extend(c) == c) => {
                (k, Some((x, d)), None)
            }
            (None, Some((k, y, d))) if konst(a).is_some_and(|c| k.extend(c) == c) => {
                (k, None, Some((y, d)))
            }
            _ => continue,
        };
        let c = ox86_ir::Cond::from_u64(op.consts[0]).expect("verified condition");
        use ox86_ir::Cond::*;
        let fits = match c {
            Lt | Ge | Le | Gt => kind == Narrow::S32,
            Ltu | Geu | Leu | Gtu => kind == Narrow::U32,
            Eq | Ne | TstEq | TstNe => true,
        };
        let stable = |(x, d): (Temp, usize)| {
            !ir.ops[d + 1..i].iter().any(|o| {
                crate::liveness::ends_bb(o.opc)
                    || o.outputs().contains(&x)
                    || (o.opc == Opcode::Call && x.index() < ng)
            })
        };
        if !fits || !na.is_none_or(stable) || !nb.is_none_or(stable) {
            continue;
        }
        if let Some((x, _)) = na {
            ir.ops[i].ins[0] = x;
        }
        if let Some((y, _)) = nb {
            ir.ops[i].ins[1] = y;
        }
        *kind_at = kind;
    }
}

/// Finds 32-bit rotates the front end spells as shifts:
/// `ext32u(or(shr(x, k), shl(x, 32 - k)))` with `x` of width 32 at most.
/// The `ext32u` then reads `x` and `rot` holds `k` for it (0 elsewhere):
/// it compiles to `ror r32, k`. `width` is `known_widths` without rotates.
/// Returns true if any was found.
/// True if some `ext32u` reads an `or` (what `find_rotates` looks for), a
/// quick check before computing the widths it needs.
pub(crate) fn may_rotate(ir: &IrBlock, defs: &Defs) -> bool {
    ir.ops.iter().any(|op| {
        let t = op.ins[0];
        op.opc == Opcode::Ext32u && defs.single(t) && ir.ops[defs.at(t)].opc == Opcode::Or
    })
}

pub(crate) fn find_rotates(ir: &mut IrBlock, defs: &Defs, width: &[u8], rot: &mut Vec<u8>) -> bool {
    let ng = ir.globals.len();
    rot.clear();
    rot.resize(ir.ops.len(), 0);
    let mut found = false;
    for (i, rot_at) in rot.iter_mut().enumerate() {
        if ir.ops[i].opc != Opcode::Ext32u {
            continue;
        }
        let def =
            |t: Temp| (defs.single(t) && defs.at(t) < i).then(|| (ir.ops[defs.at(t)], defs.at(t)));
        let konst = |t: Temp| {
            def(t)
                .filter(|d| d.0.opc == Opcode::Movi)
                .map(|d| d.0.consts[0])
        };
        let Some((or, _)) = def(ir.ops[i].ins[0]).filter(|d| d.0.opc == Opcode::Or) else {
            continue;
        };
        let (Some((p, pi)), Some((q, qi))) = (def(or.ins[0]), def(or.ins[1])) else {
            continue;
        };
        let (shr, shl, first) = match (p.opc, q.opc) {
            (Opcode::Shr, Opcode::Shl) => (p, q, pi.min(qi)),
            (Opcode::Shl, Opcode::Shr) => (q, p, pi.min(qi)),
            _ => continue,
        };
        let x = shr.ins[0];
        let (Some(k), Some(k2)) = (konst(shr.ins[1]), konst(shl.ins[1])) else {
            continue;
        };
        let stable = !ir.ops[first + 1..i].iter().any(|o| {
            crate::liveness::ends_bb(o.opc)
                || o.outputs().contains(&x)
                || (o.opc == Opcode::Call && x.index() < ng)
        });
        if shl.ins[0] == x
            && (1..32).contains(&k)
            && k + k2 == 32
            && width[x.index()] <= 32
            && stable
        {
            ir.ops[i].ins[0] = x;
            *rot_at = k as u8;
            found = true;
        }
    }
    found
}

/// Copy propagation: reads of a copy (a `mov`, or an extension `width`
/// shows leaves its value unchanged) read its source instead, so the two
/// need not both sit in registers; the copy itself becomes dead. Sources
/// that are globals are followed only within a block and until written.
/// `subst` (per temp: source and 1 + index of the copy) and `last_write`
/// (per global: 1 + index of its last write) are scratch buffers. `done`
/// sees each op once its inputs are final.
pub(crate) fn propagate_copies(
    ir: &mut IrBlock,
    defs: &Defs,
    width: &[u8],
    rot: &[u8],
    subst: &mut Vec<(Temp, u32)>,
    last_write: &mut Vec<u32>,
    mut done: impl FnMut(&Op),
) {
    let n = ir.n_temps as usize;
    let ng = ir.globals.len();
    let defs = &defs.count;
    subst.clear();
    subst.resize(n, (Temp(0), 0));
    last_write.clear();
    last_write.resize(ng, 0);
    // 1 + index of the last block end or helper call.
    let mut barrier = 0;
    for i in 0..ir.ops.len() {
        let n_ins = ir.ops[i].n_ins();
        for k in 0..n_ins {
            let (s, at) = subst[ir.ops[i].ins[k].index()];
            // A global source must not have been written since the copy.
            if at != 0 && (s.index() >= ng || (last_write[s.index()] < at && barrier < at)) {
                ir.ops[i].ins[k] = s;
            }
        }
        let op = ir.ops[i];
        done(&op);
        let clobbers_all = ends_bb_or_call(op.opc);
        if clobbers_all {
            barrier = i as u32 + 1;
        }
        for &t in op.outputs() {
            if t.index() < ng {
                last_write[t.index()] = i as u32 + 1;
            }
        }
        let copy = match op.opc {
            Opcode::Mov => true,
            Opcode::Ext8u
            | Opcode::Ext8s
            | Opcode::Ext16u
            | Opcode::Ext16s
            | Opcode::Ext32u
            | Opcode::Ext32s => rot[i] == 0 && ext_is_copy(op.opc, width[op.ins[0].index()]),
            _ => false,
        };
        let (d, src) = (op.outs[0], op.ins[0]);
        let src_ok = src.index() < ng || defs[src.index()] == 1;
        if copy && d.index() >= ng && defs[d.index()] == 1 && src_ok && !clobbers_all {
            subst[d.index()] = (src, i as u32 + 1);
        }
    }
}

fn ends_bb_or_call(opc: Opcode) -> bool {
    crate::liveness::ends_bb(opc) || opc == Opcode::Call
}

/// True if extension `opc` leaves a value of width `w` unchanged.
pub(crate) fn ext_is_copy(opc: Opcode, w: u8) -> bool {
    match opc {
        Opcode::Ext8u => w <= 8,
        Opcode::Ext16u => w <= 16,
        Opcode::Ext32u => w <= 32,
        Opcode::Ext8s => w < 8,
        Opcode::Ext16s => w < 16,
        Opcode::Ext32s => w < 32,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(b: &IrBlock) -> Vec<u8> {
        let mut w = Vec::new();
        known_widths(b, &[], &Defs::of(b), &mut w);
        w
    }

    #[test]
    fn compare_operand_is_recovered() {
        let mut b = IrBlock::new(&GLOBALS);
        let d = b.sub(b.global(0), b.global(1));
        let s1 = b.add(d, b.global(1));
        let e = b.unop(Opcode::Ext32u, d);
        let s2 = b.add(e, b.global(1));
        let x = b.unop(Opcode::Ext32s, s2);
        b.mov_to(b.global(0), s1);
        b.mov_to(b.global(1), x);
        b.goto_tb(0);
        let d = Defs::of(&b);
        recover_compare_operands(&mut b, &d, &mut Vec::new());
        let at = |t: Temp| b.ops.iter().find(|o| o.outputs().contains(&t)).unwrap();
        assert_eq!((at(s1).opc, at(s1).ins[0]), (Opcode::Mov, b.global(0)));
        assert_eq!(at(s2).opc, Opcode::Add);
        assert_eq!(at(x).ins[0], b.global(0));
    }

    #[test]
    fn compares_of_extended_values_narrow() {
        let mut b = IrBlock::new(&GLOBALS);
        let x = b.unop(Opcode::Ext32s, b.global(0));
        let y = b.unop(Opcode::Ext32s, b.global(1));
        let u = b.unop(Opcode::Ext32u, b.global(1));
        let big = b.movi(0x1_0000_0000);
        let l = b.label();
        b.brcond(ox86_ir::Cond::Lt, x, y, l); // narrows (S32)
        b.brcond(ox86_ir::Cond::Lt, x, u, l); // mixed: stays
        b.brcond(ox86_ir::Cond::Ltu, u, big, l); // constant too wide: stays
        b.brcond(ox86_ir::Cond::Ltu, x, y, l); // unsigned on ext32s: stays
        b.set_label(l);
        b.goto_tb(0);
        let mut n = Vec::new();
        let d = Defs::of(&b);
        narrow_compares(&mut b, &d, &mut n);
        let br: Vec<usize> = (0..b.ops.len())
            .filter(|&i| b.ops[i].opc == Opcode::Brcond)
            .collect();
        assert_eq!(n[br[0]], Narrow::S32);
        assert_eq!(
            (b.ops[br[0]].ins[0], b.ops[br[0]].ins[1]),
            (b.global(0), b.global(1))
        );
        assert!(br[1..].iter().all(|&i| n[i] == Narrow::No));
    }

    #[test]
    fn rotates_are_found() {
        let mut b = IrBlock::new(&GLOBALS);
        let x = b.unop(Opcode::Ext32u, b.global(0));
        let hi = b.shli(x, 25);
        let lo = b.shri(x, 7);
        let o = b.or(hi, lo);
        let r = b.unop(Opcode::Ext32u, o);
        let wide = b.shli(b.global(0), 25); // 64-bit value: no rotate
        let o2 = b.or(wide, lo);
        let r2 = b.unop(Opcode::Ext32u, o2);
        b.mov_to(b.global(0), r);
        b.mov_to(b.global(1), r2);
        b.goto_tb(0);
        let (d, w) = (Defs::of(&b), widths(&b));
        let mut rot = Vec::new();
        find_rotates(&mut b, &d, &w, &mut rot);
        let at = |t: Temp| b.ops.iter().position(|o| o.outputs().contains(&t)).unwrap();
        assert_eq!((rot[at(r)], b.ops[at(r)].ins[0]), (7, x));
        assert_eq!(rot[at(r2)], 0);
    }

    #[test]
    fn copies_are_propagated_while_their_source_holds() {
        let mut b = IrBlock::new(&GLOBALS);
        let m = b.mov(b.global(0)); // copy of a global
        let x = b.unop(Opcode::Ext32u, b.global(1));
        let e = b.unop(Opcode::Ext32u, x); // copy of a 32-bit local
        let s1 = b.add(m, e); // reads rax and x
        b.mov_to(b.global(0), s1); // rax changes
        let s2 = b.add(m, e); // m is the old rax: stays
        b.mov_to(b.global(1), s2);
        b.goto_tb(0);
        let (d, w) = (Defs::of(&b), widths(&b));
        let rot = vec![0; b.ops.len()];
        propagate_copies(
            &mut b,
            &d,
            &w,
            &rot,
            &mut Vec::new(),
            &mut Vec::new(),
            |_| {},
        );
        let at = |t: Temp| *b.ops.iter().find(|o| o.outputs().contains(&t)).unwrap();
        assert_eq!((at(s1).ins[0], at(s1).ins[1]), (b.global(0), x));
        assert_eq!((at(s2).ins[0], at(s2).ins[1]), (m, x));
    }

    #[test]
    fn mask_makes_extension_redundant() {
        let mut b = IrBlock::new(&GLOBALS);
        let e = b.unop(Opcode::Ext8u, b.global(0));
        let m = b.movi(1);
        let a = b.and(e, m);
        let m2 = b.movi(0x1ff);
        let a2 = b.and(e, m2);
        b.mov_to(b.global(0), a);
        b.mov_to(b.global(0), a2);
        b.goto_tb(0);
        let d = Defs::of(&b);
        strip_masked_extensions(&mut b, &d);
        let ands: Vec<_> = b.ops.iter().filter(|o| o.opc == Opcode::And).collect();
        assert_eq!(ands[0].ins[0], b.global(0));
        assert_eq!(ands[1].ins[0], e);
    }

    use crate::test_globals::GLOBALS;

    #[test]
    fn extensions_of_narrow_values_are_copies() {
        let mut b = IrBlock::new(&GLOBALS);
        let a = b.unop(Opcode::Ext32u, b.global(0));
        let m = b.movi(0xff);
        let x = b.and(a, m);
        let y = b.xor(a, x);
        let w = widths(&b);
        assert_eq!(w[b.global(0).index()], 64);
        assert_eq!((w[a.index()], w[x.index()], w[y.index()]), (32, 8, 32));
        assert!(ext_is_copy(Opcode::Ext32u, w[y.index()]));
        assert!(!ext_is_copy(Opcode::Ext8u, w[y.index()]));
        assert!(ext_is_copy(Opcode::Ext32s, w[x.index()]));
        assert!(!ext_is_copy(Opcode::Ext32s, w[y.index()]));
    }
}
