//! Compare fusion for branches on zero: the front end tests ZF after
//! `cmp`/`sub` as `brcond(sub(a, b), 0, eq|ne)` and after `test`/`and` as
//! `brcond(and(a, b), 0, eq|ne)`, which would take a host `sub` or `and`
//! into a scratch register and a `test` of it. The branch compares `a` with
//! `b` (`cmp a, b`) or tests them (`test a, b`) instead; the `sub` or `and`
//! is then dead code unless something else reads it (lazy flags live out
//! of the TB). Rewrites the backend's copy of the TB's ops, after
//! `bits::narrow_compares`: a 32-bit compare of the difference or AND is a
//! 32-bit compare or test of the operands.

use crate::bits::Narrow;
use crate::defs::Defs;
use crate::demand::{konst, single_before};
use ox86_ir::{opf, Cond, IrBlock, Opcode, Temp};

/// True if no op in `from+1..to` changes `a` or `b` or ends the block.
fn stable(ir: &IrBlock, from: usize, to: usize, a: Temp, b: Temp) -> bool {
    crate::demand::stable(ir, from, to, a) && crate::demand::stable(ir, from, to, b)
}

/// The bits a zero extension keeps, for `ext8u`/`ext16u`/`ext32u`.
fn kept_bits(opc: Opcode) -> Option<u64> {
    match opc {
        Opcode::Ext8u => Some(0xff),
        Opcode::Ext16u => Some(0xffff),
        Opcode::Ext32u => Some(0xffff_ffff),
        _ => None,
    }
}

/// Looks through the zero extensions defining `t` (before op `i`) that
/// keep every bit of `mask`, with their sources unchanged up to op `to`:
/// `t & mask` equals the result's `& mask`.
fn strip_extensions(
    ir: &IrBlock,
    defs: &Defs,
    mut t: Temp,
    i: usize,
    to: usize,
    mask: u64,
) -> Temp {
    while let Some(at) = single_before(defs, t, i) {
        let d = ir.ops[at];
        match kept_bits(d.opc) {
            Some(k) if mask & !k == 0 && stable(ir, at, to, d.ins[0], d.ins[0]) => t = d.ins[0],
            _ => break,
        }
    }
    t
}

/// True if every value of `t` (defined once, before op `i`) fits in the
/// low bits `mask` keeps (`0xff`, `0xffff` or `0xffff_ffff`): a constant
/// that does, a zero-extending load or extension at most that wide.
fn fits(ir: &IrBlock, defs: &Defs, t: Temp, i: usize, mask: u64) -> bool {
    if let Some(c) = konst(ir, defs, t) {
        return c & !mask == 0;
    }
    let Some(at) = single_before(defs, t, i) else {
        return false;
    };
    let kept = match ir.ops[at].opc {
        Opcode::Ld8u | Opcode::Ext8u => 0xff,
        Opcode::Ld16u | Opcode::Ext16u => 0xffff,
        Opcode::Ld32u | Opcode::Ext32u => 0xffff_ffff,
        _ => return false,
    };
    kept & !mask == 0
}

/// True if an op after `from` other than op `but` reads `t`, but for a
/// pure op whose results nothing reads (an extension the branch no longer
/// looks through, say).
fn read_elsewhere(ir: &IrBlock, t: Temp, from: usize, but: usize) -> bool {
    let ng = ir.globals.len();
    let read_after = |u: Temp, m: usize| ir.ops[m + 1..].iter().any(|o| o.inputs().contains(&u));
    let pure =
        |o: &ox86_ir::Op| o.opc.flags() & (opf::SIDE_EFFECTS | opf::BB_END | opf::CAN_FAULT) == 0;
    ir.ops.iter().enumerate().skip(from + 1).any(|(m, o)| {
        m != but
            && o.inputs().contains(&t)
            && !(pure(o)
                && o.outputs()
                    .iter()
                    .all(|&u| u.index() >= ng && !read_after(u, m)))
    })
}

/// Rewrites each `brcond(x, 0, eq|ne)` (either operand order) whose `x` is
/// a local defined once, earlier, by `sub(a, b)` or `and(a, b)`, with `a`
/// and `b` unchanged up to the branch, to compare or test `a` and `b`. In
/// a full-width compare, `x` may also be a zero extension of `and(a, c)`
/// with a constant `c` the extension keeps, and `a` a zero extension that
/// keeps `c`.
pub(crate) fn fuse_zero_tests(ir: &mut IrBlock, defs: &Defs, narrow: &[Narrow]) {
    for (i, &narrowed) in narrow.iter().enumerate() {
        let op = ir.ops[i];
        if op.opc != Opcode::Brcond {
            continue;
        }
        let c = Cond::from_u64(op.consts[0]).expect("verified condition");
        if !matches!(c, Cond::Eq | Cond::Ne) {
            continue;
        }
        let mut x = match (konst(ir, defs, op.ins[0]), konst(ir, defs, op.ins[1])) {
            (_, Some(0)) => op.ins[0],
            (Some(0), _) => op.ins[1],
            _ => continue,
        };
        let tested = x;
        // The bits of `x` the branch looks at.
        let mut seen = if narrowed == Narrow::No {
            u64::MAX
        } else {
            0xffff_ffff
        };
        while let Some(at) = single_before(defs, x, i) {
            let d = ir.ops[at];
            match kept_bits(d.opc) {
                Some(k) if narrowed == Narrow::No && stable(ir, at, i, d.ins[0], d.ins[0]) => {
                    seen &= k;
                    x = d.ins[0];
                }
                _ => break,
            }
        }
        let Some(at) = single_before(defs, x, i) else {
            continue;
        };
        let d = ir.ops[at];
        let (mut a, mut b) = (d.ins[0], d.ins[1]);
        let fused = match (d.opc, c) {
            // A difference kept anyway (`sub r, b; jnz`, whose `r` takes
            // it) is tested where it is: comparing the operands instead
            // would keep `a` too, and the difference be computed aside.
            (Opcode::Sub, _) if read_elsewhere(ir, tested, at, i) => continue,
            // The difference is zero in the bits seen: only all of them.
            (Opcode::Sub, _) if seen == u64::MAX || narrowed != Narrow::No => c,
            // Or the low bits seen of operands that have no others (`cmp
            // byte [m], imm`: a byte loaded and a constant), which are
            // equal where their difference's low bits are zero.
            (Opcode::Sub, _) if fits(ir, defs, a, at, seen) && fits(ir, defs, b, at, seen) => c,
            (Opcode::And, _) => {
                let mask = |t: Temp| konst(ir, defs, t).filter(|m| m & !seen == 0);
                if let Some(m) = mask(b) {
                    a = strip_extensions(ir, defs, a, at, i, m);
                } else if let Some(m) = mask(a) {
                    (a, b) = (strip_extensions(ir, defs, b, at, i, m), a);
                } else if seen != u64::MAX && narrowed == Narrow::No {
                    continue;
                }
                if c == Cond::Eq {
                    Cond::TstEq
                } else {
                    Cond::TstNe
                }
            }
            _ => continue,
        };
        if !stable(ir, at, i, a, b) {
            continue;
        }
        let br = &mut ir.ops[i];
        br.ins[0] = a;
        br.ins[1] = b;
        br.consts[0] = fused as u64;
    }
}
