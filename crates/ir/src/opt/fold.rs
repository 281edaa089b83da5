//! Constant folding and copy propagation, forward through each TB.
//! Knowledge is dropped at labels (another path may arrive there) and, for
//! globals, at helper calls (a helper may change guest state). Also folds
//! constant branches and drops code made unreachable by them, and zero
//! extensions (`ext*u`, `and` with a low mask) of values already that
//! narrow: a 32-bit `test r, r` is then one `and` of a value with itself,
//! which folds. How narrow a value is comes from zero-extending loads and
//! extensions, `and`, `or`, `xor` and shifts by a constant; an `and` whose
//! mask keeps none of the bits a value can set is 0 (the partial-register
//! merge into a register a `movzx` wrote).

use crate::eval::{eval1, eval_div2, eval_mul2};
use crate::func::IrBlock;
use crate::op::{Cond, Op, Temp};
use crate::table::{opf, Opcode};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Val {
    Unknown,
    Const(u64),
    Copy(Temp),
}

/// What is known about the temps at the current op, in buffers reused
/// from one TB to the next.
#[derive(Default)]
pub(crate) struct State {
    vals: Vec<Val>,
    /// For each temp, the temps currently recorded as copies of it.
    copies: Vec<Vec<Temp>>,
    /// For each temp: its bits above this many are known to be zero (64:
    /// nothing known).
    bits: Vec<u8>,
    /// Temps whose `vals`, `copies` or `bits` entry may be set (cleared at
    /// labels).
    touched: Vec<Temp>,
    n_globals: usize,
    /// The rewritten ops (swapped with the block's).
    out: Vec<Op>,
}

impl State {
    fn get(&self, t: Temp) -> Val {
        self.vals[t.index()]
    }

    /// Forgets what is known about `t` and about every copy of it.
    #[inline(always)]
    fn clobber(&mut self, t: Temp) {
        self.vals[t.index()] = Val::Unknown;
        self.bits[t.index()] = 64;
        if !self.copies[t.index()].is_empty() {
            self.clobber_copies(t);
        }
    }

    /// Forgets what is known about the copies of `t`.
    fn clobber_copies(&mut self, t: Temp) {
        let mut copies = std::mem::take(&mut self.copies[t.index()]);
        for &c in &copies {
            if self.vals[c.index()] == Val::Copy(t) {
                self.vals[c.index()] = Val::Unknown;
            }
        }
        copies.clear();
        self.copies[t.index()] = copies;
    }

    #[inline(always)]
    fn set(&mut self, t: Temp, v: Val) {
        self.clobber(t);
        if v == Val::Unknown {
            return;
        }
        let bits = match v {
            Val::Const(c) => const_bits(c),
            Val::Copy(src) => self.bits[src.index()],
            Val::Unknown => 64,
        };
        if let Val::Copy(src) = v {
            if src == t {
                return;
            }
            self.copies[src.index()].push(t);
            self.touched.push(src);
        }
        self.vals[t.index()] = v;
        self.bits[t.index()] = bits;
        self.touched.push(t);
    }

    /// `t`, of unknown value, has its bits above `bits` zero.
    fn set_bits(&mut self, t: Temp, bits: u8) {
        if bits < 64 {
            self.bits[t.index()] = bits;
            self.touched.push(t);
        }
    }

    /// Forgets everything (at a label).
    fn reset_all(&mut self) {
        for t in self.touched.drain(..) {
            self.vals[t.index()] = Val::Unknown;
            self.bits[t.index()] = 64;
            self.copies[t.index()].clear();
        }
    }

    fn reset_globals(&mut self) {
        for g in 0..self.n_globals {
            self.clobber(Temp(g as u32));
        }
    }

    /// The temp to read instead of `t` (the oldest equal temp).
    fn canonical(&self, t: Temp) -> Temp {
        match self.get(t) {
            Val::Copy(s) => s,
            _ => t,
        }
    }

    /// Empty knowledge for `n` temps, `n_globals` of them globals.
    fn start(&mut self, n: usize, n_globals: usize) {
        self.reset_all();
        self.vals.clear();
        self.vals.resize(n, Val::Unknown);
        self.bits.clear();
        self.bits.resize(n, 64);
        if self.copies.len() < n {
            self.copies.resize_with(n, Vec::new);
        }
        self.n_globals = n_globals;
        self.out.clear();
    }
}

/// Bits up to and including the highest set bit of `c`.
fn const_bits(c: u64) -> u8 {
    (64 - c.leading_zeros()) as u8
}

/// How many low bits of its result op `op` can set (64: any).
fn result_bits(op: &Op, st: &State) -> u8 {
    let known = |t: Temp| st.bits[t.index()];
    let count = |t: Temp| match st.get(t) {
        Val::Const(c) if c < 64 => Some(c as u8),
        _ => None,
    };
    match op.opc {
        Opcode::Ext8u => known(op.ins[0]).min(8),
        Opcode::Ext16u => known(op.ins[0]).min(16),
        Opcode::Ext32u => known(op.ins[0]).min(32),
        Opcode::Ld8u => 8,
        Opcode::Ld16u => 16,
        Opcode::Ld32u => 32,
        Opcode::Setcond => 1,
        Opcode::And => known(op.ins[0]).min(known(op.ins[1])),
        Opcode::Or | Opcode::Xor => known(op.ins[0]).max(known(op.ins[1])),
        // A shift right of a value with its top bit zero is a SHR too.
        Opcode::Shr | Opcode::Sar if op.opc == Opcode::Shr || known(op.ins[0]) < 64 => {
            match count(op.ins[1]) {
                Some(c) => known(op.ins[0]).saturating_sub(c),
                None => known(op.ins[0]),
            }
        }
        Opcode::Shl => match count(op.ins[1]) {
            Some(c) => known(op.ins[0]).saturating_add(c).min(64),
            None => 64,
        },
        _ => 64,
    }
}

/// The low `bits` bits set.
fn low_mask(bits: u8) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}

/// A zero extension, or an `and` with a mask of low ones, of a value
/// whose bits above the extension's width are zero already.
fn extends_nothing(op: &Op, st: &State) -> bool {
    let from = match op.opc {
        Opcode::Ext8u => 8,
        Opcode::Ext16u => 16,
        Opcode::Ext32u => 32,
        Opcode::And => match st.get(op.ins[1]) {
            Val::Const(m) if m & m.wrapping_add(1) == 0 => const_bits(m),
            _ => return false,
        },
        _ => return false,
    };
    st.bits[op.ins[0].index()] <= from
}

fn movi(d: Temp, c: u64) -> Op {
    let mut op = Op::new(Opcode::Movi);
    op.outs[0] = d;
    op.consts[0] = c;
    op
}

fn mov(d: Temp, s: Temp) -> Op {
    let mut op = Op::new(Opcode::Mov);
    op.outs[0] = d;
    op.ins[0] = s;
    op
}

/// Algebraic identities with one constant operand (`x + 0`, `x & -1`,
/// `0 - x` as `neg x`, ...) or the same one twice (`x - x`, `x & x`, ...), and an `and` with
/// a mask that keeps every bit its other operand can set (a copy) or
/// none of them (zero): a partial-register write to a register known to
/// be that narrow merges nothing.
fn simplify(op: &Op, st: &State) -> Option<Op> {
    let d = op.outs[0];
    let (mut a, mut b) = (op.ins[0], op.ins[1]);
    let commutes = matches!(
        op.opc,
        Opcode::Add | Opcode::Or | Opcode::Xor | Opcode::And | Opcode::Mul
    );
    if commutes && matches!(st.get(a), Val::Const(_)) {
        std::mem::swap(&mut a, &mut b);
    }
    let cb = match st.get(b) {
        Val::Const(c) => Some(c),
        _ => None,
    };
    if let (Opcode::And, Some(m)) = (op.opc, cb) {
        let can_set = low_mask(st.bits[a.index()]);
        if can_set & m == 0 {
            return Some(movi(d, 0));
        }
        if can_set & !m == 0 {
            return Some(mov(d, a));
        }
    }
    match (op.opc, cb) {
        (
            Opcode::Add
            | Opcode::Sub
            | Opcode::Or
            | Opcode::Xor
            | Opcode::Shl
            | Opcode::Shr
            | Opcode::Sar,
            Some(0),
        ) => Some(mov(d, a)),
        (Opcode::And, Some(u64::MAX)) | (Opcode::Mul, Some(1)) => Some(mov(d, a)),
        (Opcode::And | Opcode::Mul, Some(0)) => Some(movi(d, 0)),
        (Opcode::Sub | Opcode::Xor, _) if a == b => Some(movi(d, 0)),
        (Opcode::Sub, _) if matches!(st.get(a), Val::Const(0)) => {
            let mut neg = Op::new(Opcode::Neg);
            neg.outs[0] = d;
            neg.ins[0] = b;
            Some(neg)
        }
        (Opcode::And | Opcode::Or, _) if a == b => Some(mov(d, a)),
        _ => None,
    }
}

/// Runs the pass.
pub fn fold_constants(block: &mut IrBlock) {
    run(block, &mut State::default());
}

/// Runs the pass with the buffers of `st`.
pub(crate) fn run(block: &mut IrBlock, st: &mut State) {
    st.start(block.n_temps as usize, block.globals.len());
    let mut out = std::mem::take(&mut st.out);
    let mut unreachable = false;
    for op in block.ops.iter() {
        let mut op = *op;
        if unreachable {
            if op.opc != Opcode::SetLabel {
                continue;
            }
            unreachable = false;
        }
        let n_ins = op.n_ins();
        for k in 0..n_ins {
            op.ins[k] = st.canonical(op.ins[k]);
        }
        let flags = op.opc.flags();
        match op.opc {
            Opcode::SetLabel => {
                st.reset_all();
                out.push(op);
                continue;
            }
            Opcode::Brcond => {
                if let (Val::Const(a), Val::Const(b)) = (st.get(op.ins[0]), st.get(op.ins[1])) {
                    let taken = Cond::from_u64(op.consts[0]).is_some_and(|c| c.eval(a, b));
                    if taken {
                        let mut br = Op::new(Opcode::Br);
                        br.consts[0] = op.consts[1];
                        out.push(br);
                        unreachable = true;
                    }
                    continue;
                }
                out.push(op);
                continue;
            }
            Opcode::Br => {
                out.push(op);
                unreachable = true;
                continue;
            }
            _ => {}
        }
        if flags & opf::TB_EXIT != 0 {
            out.push(op);
            unreachable = true;
            continue;
        }
        // Pure ops: fold when every input is known.
        if flags & opf::SIDE_EFFECTS == 0 && op.opc.n_outs() == 1 && op.opc != Opcode::InsnStart {
            let mut ins = [0u64; 4];
            let mut all_known = true;
            for (k, v) in ins.iter_mut().enumerate().take(n_ins) {
                match st.get(op.ins[k]) {
                    Val::Const(c) => *v = c,
                    _ => all_known = false,
                }
            }
            if all_known && op.opc == Opcode::Mov && op.ins[0].index() >= st.n_globals {
                // A copy of a local constant: readers of the copy read the
                // local (and still fold through it), so that a compare's
                // operands stay recognisable (`cmp r, imm` leaves the
                // immediate's temp in `cc_src`, read again by a later
                // `ja`); the copy itself becomes a `movi`.
                let (d, s) = (op.outs[0], op.ins[0]);
                op = movi(d, ins[0]);
                st.set(d, Val::Copy(s));
                out.push(op);
                continue;
            }
            if all_known {
                if let Some(v) = eval1(op.opc, ins, op.consts) {
                    op = movi(op.outs[0], v);
                }
            } else if extends_nothing(&op, st) {
                op = mov(op.outs[0], op.ins[0]);
            } else if let Some(s) = simplify(&op, st) {
                op = s;
                if op.opc == Opcode::Mov {
                    op.ins[0] = st.canonical(op.ins[0]);
                    if let Val::Const(c) = st.get(op.ins[0]) {
                        op = movi(op.outs[0], c);
                    }
                }
            }
            let d = op.outs[0];
            match op.opc {
                Opcode::Movi => st.set(d, Val::Const(op.consts[0])),
                Opcode::Mov => {
                    let s = op.ins[0];
                    match st.get(s) {
                        Val::Const(c) => {
                            op = movi(d, c);
                            st.set(d, Val::Const(c));
                        }
                        _ => st.set(d, Val::Copy(s)),
                    }
                }
                _ => {
                    let bits = result_bits(&op, st);
                    st.set(d, Val::Unknown);
                    st.set_bits(d, bits);
                }
            }
            out.push(op);
            continue;
        }
        if matches!(
            op.opc,
            Opcode::Mulu2 | Opcode::Muls2 | Opcode::Divu2 | Opcode::Divs2
        ) {
            if let (Val::Const(a), Val::Const(b)) = (st.get(op.ins[0]), st.get(op.ins[1])) {
                // A division the guards keep from running is left as it is.
                if let Some((lo, hi)) = eval_mul2(op.opc, a, b).or_else(|| eval_div2(op.opc, a, b))
                {
                    let (dl, dh) = (op.outs[0], op.outs[1]);
                    out.push(movi(dl, lo));
                    out.push(movi(dh, hi));
                    st.set(dl, Val::Const(lo));
                    st.set(dh, Val::Const(hi));
                    continue;
                }
            }
        }
        if op.opc == Opcode::Call {
            st.reset_globals();
        }
        for &d in op.outputs() {
            st.set(d, Val::Unknown);
        }
        if op.opc.n_outs() == 1 {
            // A zero-extending load.
            st.set_bits(op.outs[0], result_bits(&op, st));
        }
        out.push(op);
    }
    std::mem::swap(&mut block.ops, &mut out);
    st.out = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::Global;

    static G: [Global; 2] = [
        Global {
            name: "rax",
            offset: 0,
        },
        Global {
            name: "rbx",
            offset: 8,
        },
    ];

    #[test]
    fn folds_constants_and_propagates_copies() {
        let mut b = IrBlock::new(&G);
        let c2 = b.movi(2);
        let c3 = b.movi(3);
        let s = b.add(c2, c3);
        let t = b.mov(b.global(1));
        let u = b.add(t, s);
        b.mov_to(b.global(0), u);
        b.goto_tb(0);
        fold_constants(&mut b);
        let add = b
            .ops
            .iter()
            .find(|o| o.opc == Opcode::Add)
            .expect("add kept");
        assert_eq!(add.ins[0], Temp(1), "reads rbx directly");
        assert!(b
            .ops
            .iter()
            .any(|o| o.opc == Opcode::Movi && o.consts[0] == 5));
    }

    /// A division of constants folds where it is defined; one the guards
    /// keep from running (a zero divisor) stays as it is.
    #[test]
    fn constant_divisions_fold_where_defined() {
        for (divisor, folds) in [(7u64, true), (0, false)] {
            let mut b = IrBlock::new(&G);
            let a = b.movi(100);
            let d = b.movi(divisor);
            let (q, r) = (b.temp(), b.temp());
            let mut op = Op::new(Opcode::Divu2);
            op.outs = [q, r];
            op.ins[0] = a;
            op.ins[1] = d;
            b.push(op);
            let s = b.add(q, r);
            b.mov_to(b.global(0), s);
            b.goto_tb(0);
            fold_constants(&mut b);
            assert_eq!(
                !b.ops.iter().any(|o| o.opc == Opcode::Divu2),
                folds,
                "divisor {divisor}"
            );
            if folds {
                assert!(b
                    .ops
                    .iter()
                    .any(|o| o.opc == Opcode::Movi && o.consts[0] == 14 + 2));
            }
        }
    }

    #[test]
    fn the_same_operand_twice_simplifies() {
        for (opc, zero) in [
            (Opcode::And, false),
            (Opcode::Or, false),
            (Opcode::Xor, true),
            (Opcode::Sub, true),
        ] {
            let mut b = IrBlock::new(&G);
            let x = b.global(1);
            let t = b.binop(opc, x, x);
            b.mov_to(b.global(0), t);
            b.goto_tb(0);
            fold_constants(&mut b);
            assert!(!b.ops.iter().any(|o| o.opc == opc), "{opc:?} folds");
            let def = b.ops.iter().find(|o| o.outs[0] == t).expect("t defined");
            if zero {
                assert_eq!((def.opc, def.consts[0]), (Opcode::Movi, 0), "{opc:?}");
            } else {
                assert_eq!((def.opc, def.ins[0]), (Opcode::Mov, x), "{opc:?}");
            }
        }
    }

    #[test]
    fn a_write_to_the_source_ends_a_copy() {
        let mut b = IrBlock::new(&G);
        let t = b.mov(b.global(0));
        let one = b.movi(1);
        b.mov_to(b.global(0), one);
        b.mov_to(b.global(1), t);
        b.goto_tb(0);
        fold_constants(&mut b);
        let last_mov = b
            .ops
            .iter()
            .rev()
            .find(|o| o.opc == Opcode::Mov)
            .expect("mov");
        assert_eq!(last_mov.ins[0], t, "must not read rax after it changed");
    }

    #[test]
    fn copies_of_a_local_constant_read_the_local() {
        let mut b = IrBlock::new(&G);
        let c = b.movi(0xf);
        b.mov_to(b.global(1), c);
        let u = b.add(b.global(0), b.global(1));
        let w = b.add(b.global(1), c);
        b.mov_to(b.global(0), u);
        b.mov_to(b.global(1), w);
        b.goto_tb(0);
        fold_constants(&mut b);
        let add = b
            .ops
            .iter()
            .find(|o| o.opc == Opcode::Add)
            .expect("add kept");
        assert_eq!(add.ins, [Temp(0), c, Temp(0), Temp(0), Temp(0), Temp(0)]);
        let movis: Vec<_> = b
            .ops
            .iter()
            .filter(|o| o.opc == Opcode::Movi && o.outs[0] == Temp(1))
            .map(|o| o.consts[0])
            .collect();
        assert_eq!(movis, [0xf, 0x1e], "stored as constants, and folded");
    }

    #[test]
    fn constant_branches_fold() {
        let mut b = IrBlock::new(&G);
        let l = b.label();
        let z = b.movi(0);
        b.brcond(Cond::Eq, z, z, l);
        b.movi_to(b.global(0), 7);
        b.set_label(l);
        b.goto_tb(0);
        fold_constants(&mut b);
        assert!(b.ops.iter().any(|o| o.opc == Opcode::Br));
        assert!(!b
            .ops
            .iter()
            .any(|o| o.opc == Opcode::Movi && o.consts[0] == 7));
    }

    #[test]
    fn extensions_of_values_that_narrow_are_copies() {
        let mut b = IrBlock::new(&G);
        let x = b.unop(Opcode::Ext32u, b.global(1));
        // TEST r32, r32: both operands zero-extended again, then ANDed.
        let p = b.unop(Opcode::Ext32u, x);
        let q = b.unop(Opcode::Ext32u, x);
        let t = b.and(p, q);
        let m = b.movi(0xffff_ffff);
        let u = b.and(t, m);
        b.mov_to(b.global(0), u);
        // 64 bits of rbx are not 32: this one stays.
        let w = b.unop(Opcode::Ext32u, b.global(1));
        b.mov_to(b.global(1), w);
        b.goto_tb(0);
        fold_constants(&mut b);
        let exts = b.ops.iter().filter(|o| o.opc == Opcode::Ext32u).count();
        assert_eq!(exts, 2, "{:?}", b.ops);
        assert!(!b.ops.iter().any(|o| o.opc == Opcode::And), "{:?}", b.ops);
    }

    #[test]
    fn zero_minus_a_value_is_its_negation() {
        let mut b = IrBlock::new(&G);
        let zero = b.movi(0);
        let d = b.binop(Opcode::Sub, zero, b.global(1));
        let e = b.binop(Opcode::Sub, b.global(1), zero);
        let f = b.add(d, e);
        b.mov_to(b.global(1), f);
        b.goto_tb(0);
        fold_constants(&mut b);
        let def = |t: Temp| *b.ops.iter().find(|o| o.outs[0] == t).expect("defined");
        assert_eq!((def(d).opc, def(d).ins[0]), (Opcode::Neg, b.global(1)));
        assert_eq!((def(e).opc, def(e).ins[0]), (Opcode::Mov, b.global(1)));
    }

    #[test]
    fn a_merge_into_a_register_known_to_be_narrow_is_a_copy() {
        // A 16-bit load, then a write of its low byte (`mask` keeps what is
        // above): the merge keeps nothing when the load set nothing there.
        for (mask, merges) in [(!0xffff, false), (!0xff, true)] {
            let mut b = IrBlock::new(&G);
            let x = b.load(Opcode::Ld16u, b.global(1));
            let high = b.andi(x, mask);
            let al = b.unop(Opcode::Ext8u, b.global(1));
            let merged = b.or(high, al);
            // What the load can set, kept by a wider mask: a copy.
            let kept = b.andi(x, 0xff_ffff);
            let sum = b.add(merged, kept);
            b.mov_to(b.global(1), sum);
            b.goto_tb(0);
            fold_constants(&mut b);
            let def = |t: Temp| *b.ops.iter().find(|o| o.outs[0] == t).expect("defined");
            assert_eq!((def(kept).opc, def(kept).ins[0]), (Opcode::Mov, x));
            if merges {
                assert_eq!(def(high).opc, Opcode::And, "the load's high byte is kept");
                continue;
            }
            assert_eq!((def(high).opc, def(high).consts[0]), (Opcode::Movi, 0));
            assert_eq!(
                (def(merged).opc, def(merged).ins[0]),
                (Opcode::Mov, al),
                "0 | al"
            );
        }
    }

    #[test]
    fn shifts_keep_the_widths_they_leave() {
        let mut b = IrBlock::new(&G);
        let x = b.unop(Opcode::Ext16u, b.global(1));
        // 16 bits shifted right by 8: 8 bits, and bit 7 may be set.
        let r = b.shri(x, 8);
        let r8 = b.unop(Opcode::Ext8u, r);
        let bit7 = b.andi(r8, 0x80);
        let bit8 = b.andi(r8, 0x100);
        // 8 bits shifted left by 4: 12 bits, bit 11 may be set.
        let y = b.unop(Opcode::Ext8u, b.global(0));
        let four = b.movi(4);
        let l = b.binop(Opcode::Shl, y, four);
        let bit11 = b.andi(l, 0x800);
        let bit12 = b.andi(l, 0x1000);
        let s1 = b.add(bit7, bit8);
        let s2 = b.add(bit11, bit12);
        let s = b.add(s1, s2);
        b.mov_to(b.global(0), s);
        b.goto_tb(0);
        fold_constants(&mut b);
        let def = |t: Temp| *b.ops.iter().find(|o| o.outs[0] == t).expect("defined");
        assert_eq!(def(r8).opc, Opcode::Mov, "8 bits already");
        assert_eq!(def(bit7).opc, Opcode::And);
        assert_eq!((def(bit8).opc, def(bit8).consts[0]), (Opcode::Movi, 0));
        assert_eq!(def(bit11).opc, Opcode::And);
        assert_eq!((def(bit12).opc, def(bit12).consts[0]), (Opcode::Movi, 0));
    }

    #[test]
    fn a_width_known_before_a_label_is_not_known_after_it() {
        let mut b = IrBlock::new(&G);
        let l = b.label();
        let x = b.unop(Opcode::Ext8u, b.global(1));
        b.mov_to(b.global(0), x);
        b.set_label(l);
        let y = b.unop(Opcode::Ext8u, b.global(0));
        b.mov_to(b.global(1), y);
        b.goto_tb(0);
        fold_constants(&mut b);
        let exts = b.ops.iter().filter(|o| o.opc == Opcode::Ext8u).count();
        assert_eq!(exts, 2, "another way may reach the label: {:?}", b.ops);
    }
}
