//! Scaled-index addressing: a guest load or store whose address is
//! `base + (index << k)` (k = 0..3) or `index << k` (k = 1..3), computed
//! for it alone by the ops right before it (constants aside), uses the
//! host addressing mode `[base + index * 2^k + disp]` or `[index * 2^k +
//! disp]` (a table in a program not built position-independent: `mov rax,
//! [rax * 8 + table]`); the address ops emit nothing. Any other
//! `add(base, shl(index, k))` (k = 1..3) whose `shl` is read by it alone is
//! one `lea`, as the guest's own `lea` usually was. dynasm takes a scale
//! only as a literal, so each form is expanded once per scale.

use crate::addr::addr_input;
use crate::defs::Defs;
use crate::gen::Gen;
use crate::regalloc::Val;
use dynasmrt::{dynasm, DynasmApi};
use ox86_ir::{IrBlock, Op, Opcode, Temp};

/// What address fusion does with an op.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Fused {
    /// Nothing.
    #[default]
    No,
    /// An address op the access after it computes.
    Away,
    /// A guest access at `[base + index * scale + disp]`, or without a
    /// base at `[index * scale + disp]`, whose address ops start at op
    /// `from`.
    Access {
        base: Option<Temp>,
        index: Temp,
        scale: u8,
        from: u32,
    },
    /// A `shl` that computes, with the `add`s up to op `to` (constants
    /// aside), local `out = base + index * scale + disp` in one `lea`. It
    /// is emitted at the `shl`, where `index` is still read; the `add`s
    /// emit nothing.
    Lea {
        base: Temp,
        index: Temp,
        scale: u8,
        disp: i32,
        to: u32,
        out: Temp,
    },
}

/// Finds the accesses at `add(base, shl(index, k))` or `add(base, index)`
/// with the `add` (and the `shl`) right before them, constants aside, and
/// read nowhere else (`dead_ins`: see `liveness`); then the other adds of
/// a `shl` right before them and read by them alone.
pub(crate) fn fuse_scaled_index(
    ir: &IrBlock,
    defs: &Defs,
    dead_ins: &[u8],
    dead_op: &[bool],
    fused: &mut Vec<Fused>,
) {
    // A local defined once, by op `at`, that dies at its reader `by`
    // (nothing in between reads it).
    let lone = |t: Temp, at: usize, by: usize| {
        let k = ir.ops[by].inputs().iter().position(|&u| u == t);
        defs.single(t) && defs.at(t) == at && k.is_some_and(|k| dead_ins[by] & (1 << k) != 0)
    };
    let konst = |t: Temp| {
        (defs.single(t) && ir.ops[defs.at(t)].opc == Opcode::Movi)
            .then(|| ir.ops[defs.at(t)].consts[0])
    };
    // A constant that fits a displacement (address folding's, see
    // `addr`); a wider one (an address in position-independent code,
    // say a jump table's) is a base register like any other value.
    let small = |t: Temp| konst(t).is_some_and(|c| i32::try_from(c as i64).is_ok());
    fused.clear();
    fused.resize(ir.ops.len(), Fused::No);
    // The op before `j`, passing over constants that define none of `ts`.
    let before = |j: usize, ts: &[Temp]| {
        (0..j)
            .rev()
            .find(|&p| ir.ops[p].opc != Opcode::Movi || ts.contains(&ir.ops[p].outs[0]))
    };
    // The index and scale of access `j` at address `a = shl(index, k)`
    // (k = 1..3), op `ps` computing it for the access alone from an index
    // not written in between.
    let index_only = |a: Temp, ps: usize, j: usize| {
        let shl = &ir.ops[ps];
        if shl.opc != Opcode::Shl || shl.outs[0] != a {
            return None;
        }
        let k = konst(shl.ins[1]).filter(|&c| (1..=3).contains(&c))?;
        let (t, x) = (shl.outs[0], shl.ins[0]);
        let kept = (ps + 1..j).all(|m| !ir.ops[m].outputs().contains(&x));
        (lone(t, ps, j) && kept && konst(x).is_none()).then_some((x, 1u8 << k))
    };
    for j in 1..ir.ops.len() {
        let Some(k) = addr_input(ir.ops[j].opc) else {
            continue;
        };
        let a = ir.ops[j].ins[k];
        let Some(pa) = before(j, &[a]) else {
            continue;
        };
        let add = &ir.ops[pa];
        if let Some((index, scale)) = index_only(a, pa, j) {
            fused[pa] = Fused::Away;
            fused[j] = Fused::Access {
                base: None,
                index,
                scale,
                from: pa as u32,
            };
            continue;
        }
        if add.opc != Opcode::Add || !lone(a, pa, j) || small(add.ins[0]) {
            continue;
        }
        let (p, q) = (add.ins[0], add.ins[1]);
        let mut found = None;
        if let Some(ps) = before(pa, &[a, p, q]) {
            let shl = &ir.ops[ps];
            let t = shl.outs[0];
            let scale = konst(shl.ins[1]).filter(|&c| (1..=3).contains(&c));
            let (base, x) = (if q == t { p } else { q }, shl.ins[0]);
            // Nothing between the shl and the access writes its operands.
            let kept = (ps + 1..j).all(|m| {
                let outs = ir.ops[m].outputs();
                !outs.contains(&x) && !outs.contains(&base)
            });
            if let (Some(c), true, true) = (scale, shl.opc == Opcode::Shl && lone(t, ps, pa), kept)
            {
                if (p == t) != (q == t) && !small(base) {
                    found = Some((base, x, 1u8 << c, ps));
                }
            }
        }
        let kept = (pa + 1..j).all(|m| {
            let outs = ir.ops[m].outputs();
            !outs.contains(&p) && !outs.contains(&q)
        });
        if found.is_none() && konst(q).is_none() && kept {
            found = Some((p, q, 1, pa));
        }
        if let Some((base, index, scale, from)) = found {
            fused[from] = Fused::Away;
            fused[pa] = Fused::Away;
            fused[j] = Fused::Access {
                base: Some(base),
                index,
                scale,
                from: from as u32,
            };
        }
    }
    // Nothing in `from+1..to` (constants aside) writes `t`.
    let untouched =
        |t: Temp, from: usize, to: usize| (from + 1..to).all(|m| !ir.ops[m].outputs().contains(&t));
    for j in 1..ir.ops.len() {
        let add = &ir.ops[j];
        if add.opc != Opcode::Add || fused[j] != Fused::No || dead_op[j] {
            continue;
        }
        let (p, q) = (add.ins[0], add.ins[1]);
        let Some(ps) = before(j, &[p, q]) else {
            continue;
        };
        let shl = &ir.ops[ps];
        let t = shl.outs[0];
        let scale = konst(shl.ins[1]).filter(|&c| (1..=3).contains(&c));
        let (base, x) = (if q == t { p } else { q }, shl.ins[0]);
        let out = add.outs[0];
        if let (Some(c), Opcode::Shl, Fused::No) = (scale, shl.opc, fused[ps]) {
            if (p == t) != (q == t)
                && lone(t, ps, j)
                && !small(base)
                && konst(x).is_none()
                && base != t
                && out.index() >= ir.globals.len()
                && untouched(out, ps, j)
            {
                fused[ps] = Fused::Lea {
                    base,
                    index: x,
                    scale: 1 << c,
                    disp: 0,
                    to: j as u32,
                    out,
                };
                fused[j] = Fused::Away;
            }
        }
    }
    // `add(a, b)` read only by `add(it, c)`, with `c` a displacement: one
    // `lea [a + b + c]` (a guest `lea r, [a + b + c]`, or an `add` whose
    // flags nothing reads followed by one of a constant).
    for j in 1..ir.ops.len() {
        let add = &ir.ops[j];
        if add.opc != Opcode::Add || fused[j] != Fused::No || dead_op[j] {
            continue;
        }
        let (y, c) = match (konst(add.ins[0]), konst(add.ins[1])) {
            (None, Some(c)) => (add.ins[0], c),
            (Some(c), None) => (add.ins[1], c),
            _ => continue,
        };
        let Ok(c) = i32::try_from(c as i64) else {
            continue;
        };
        let Some(pa) = before(j, &[y]) else {
            continue;
        };
        let inner = &ir.ops[pa];
        let (a, b, out) = (inner.ins[0], inner.ins[1], add.outs[0]);
        if inner.opc == Opcode::Add
            && inner.outs[0] == y
            && fused[pa] == Fused::No
            && !dead_op[pa]
            && konst(a).is_none()
            && konst(b).is_none()
            && lone(y, pa, j)
            && out.index() >= ir.globals.len()
            && untouched(out, pa, j)
        {
            fused[pa] = Fused::Lea {
                base: a,
                index: b,
                scale: 1,
                disp: c,
                to: j as u32,
                out,
            };
            fused[j] = Fused::Away;
        }
    }
    // A constant added to such a result alone is the `lea`'s displacement.
    for j in 1..ir.ops.len() {
        let add = &ir.ops[j];
        if add.opc != Opcode::Add || fused[j] != Fused::No || dead_op[j] {
            continue;
        }
        let (p, q) = (add.ins[0], add.ins[1]);
        let (y, c) = match (konst(p), konst(q)) {
            (None, Some(c)) => (p, c),
            (Some(c), None) => (q, c),
            _ => continue,
        };
        let Ok(c) = i32::try_from(c as i64) else {
            continue;
        };
        let Some(pl) = before(j, &[y]) else {
            continue;
        };
        let out = add.outs[0];
        if !defs.single(y) || fused[pl] != Fused::Away {
            continue;
        }
        let ps = (0..pl).rev().find(|&m| {
            matches!(fused[m], Fused::Lea { to, out: o, disp: 0, .. } if to as usize == pl && o == y)
        });
        let Some(ps) = ps else {
            continue;
        };
        if let Fused::Lea {
            base, index, scale, ..
        } = fused[ps]
        {
            if lone(y, pl, j) && out.index() >= ir.globals.len() && untouched(out, ps, j) {
                fused[pl] = Fused::Away;
                fused[j] = Fused::Away;
                fused[ps] = Fused::Lea {
                    base,
                    index,
                    scale,
                    disp: c,
                    to: j as u32,
                    out,
                };
            }
        }
    }
}

impl Gen {
    /// True if op `i` is an address op its access computes.
    pub fn fused_away(&self, i: usize) -> bool {
        self.sib.get(i) == Some(&Fused::Away)
    }

    /// A guest load or store at a scaled-index address (see `Fused`).
    pub(crate) fn access_sib(&mut self, i: usize, op: &Op) {
        let Fused::Access {
            base,
            index,
            scale,
            from,
        } = self.sib[i]
        else {
            unreachable!("op {i} is not a fused access");
        };
        let disp = self.disp[i];
        let xmm = matches!(op.opc, Opcode::LdXmm | Opcode::StXmm);
        let store = op.opc == Opcode::StXmm || (!xmm && op.outputs().is_empty());
        let vv = (store && !xmm).then(|| self.val(op.ins[0], 0));
        let rb = base.map(|b| self.in_reg(b, 0));
        let rx = self.in_reg(index, 0);
        if let Some(hook) = self.opts.store_hook.filter(|_| store) {
            self.call_store_hook_sib(hook, rb, rx, scale, disp, op.opc);
        }
        let rd = (!store && !xmm).then(|| self.own_reg(op.outs[0]));
        // The XMM register loaded or stored (see `ld_xmm`, `st_xmm`).
        let h = match op.opc {
            Opcode::LdXmm => Some(self.xmm_for_load(op.consts[0] as usize)),
            Opcode::StXmm => Some(self.xmm_for_store(op.consts[0] as usize)),
            _ => None,
        };
        self.fault_site();
        // dynasm takes a scale only as a literal: one expansion per scale
        // (and base).
        let x = rx;
        macro_rules! at_scale {
            ($emit:ident) => {
                match (rb, scale) {
                    (Some(b), 1) => $emit!([Rq(b) + Rq(x) * 1 + disp]),
                    (Some(b), 2) => $emit!([Rq(b) + Rq(x) * 2 + disp]),
                    (Some(b), 4) => $emit!([Rq(b) + Rq(x) * 4 + disp]),
                    (Some(b), _) => $emit!([Rq(b) + Rq(x) * 8 + disp]),
                    (None, 2) => $emit!([Rq(x) * 2 + disp]),
                    (None, 4) => $emit!([Rq(x) * 4 + disp]),
                    (None, _) => $emit!([Rq(x) * 8 + disp]),
                }
            };
        }
        match (op.opc, vv, rd) {
            (Opcode::Ld8u, _, Some(d)) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movzx Rd(d), BYTE $mem) } }
                at_scale!(m)
            }
            (Opcode::Ld8s, _, Some(d)) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movsx Rq(d), BYTE $mem) } }
                at_scale!(m)
            }
            (Opcode::Ld16u, _, Some(d)) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movzx Rd(d), WORD $mem) } }
                at_scale!(m)
            }
            (Opcode::Ld16s, _, Some(d)) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movsx Rq(d), WORD $mem) } }
                at_scale!(m)
            }
            (Opcode::Ld32u, _, Some(d)) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; mov Rd(d), DWORD $mem) } }
                at_scale!(m)
            }
            (Opcode::Ld32s, _, Some(d)) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movsxd Rq(d), DWORD $mem) } }
                at_scale!(m)
            }
            (Opcode::Ld64, _, Some(d)) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; mov Rq(d), QWORD $mem) } }
                at_scale!(m)
            }
            (Opcode::St8, Some(Val::Reg(v)), _) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; mov BYTE $mem, Rb(v)) } }
                at_scale!(m)
            }
            (Opcode::St16, Some(Val::Reg(v)), _) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; mov WORD $mem, Rw(v)) } }
                at_scale!(m)
            }
            (Opcode::St32, Some(Val::Reg(v)), _) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; mov DWORD $mem, Rd(v)) } }
                at_scale!(m)
            }
            (Opcode::St64, Some(Val::Reg(v)), _) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; mov QWORD $mem, Rq(v)) } }
                at_scale!(m)
            }
            (Opcode::St8, Some(Val::Imm(c)), _) => {
                let c = c as i8;
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; mov BYTE $mem, c) } }
                at_scale!(m)
            }
            (Opcode::St16, Some(Val::Imm(c)), _) => {
                let c = c as i16;
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; mov WORD $mem, c) } }
                at_scale!(m)
            }
            (Opcode::St32, Some(Val::Imm(c)), _) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; mov DWORD $mem, c) } }
                at_scale!(m)
            }
            (Opcode::St64, Some(Val::Imm(c)), _) => {
                macro_rules! m { ($mem:tt) => { short_disp!(self.a ; mov QWORD $mem, c) } }
                at_scale!(m)
            }
            (Opcode::LdXmm, _, _) => {
                let h = h.expect("an XMM register");
                // An aligned access is the host's `movdqa` (see `ld_xmm`).
                match op.consts[1] {
                    4 => {
                        macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movd Rx(h), DWORD $mem) } }
                        at_scale!(m)
                    }
                    8 => {
                        macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movq Rx(h), QWORD $mem) } }
                        at_scale!(m)
                    }
                    16 => {
                        macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movdqu Rx(h), $mem) } }
                        at_scale!(m)
                    }
                    _ => {
                        macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movdqa Rx(h), $mem) } }
                        at_scale!(m)
                    }
                }
                self.xc.set_dirty(op.consts[0] as usize);
            }
            (Opcode::StXmm, _, _) => {
                let h = h.expect("an XMM register");
                if op.consts[1] & ox86_ir::XMM_ALIGNED != 0 {
                    macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movdqa $mem, Rx(h)) } }
                    at_scale!(m)
                } else {
                    macro_rules! m { ($mem:tt) => { short_disp!(self.a ; movdqu $mem, Rx(h)) } }
                    at_scale!(m)
                }
            }
            _ => unreachable!("{:?} is not a guest access", op.opc),
        }
        for k in from as usize..i {
            let addr_op = self.ir.ops[k];
            self.kill_inputs(k, &addr_op);
        }
        self.kill_inputs(i, op);
        if let Some(d) = rd {
            self.def_reg(op.outs[0], d);
            self.kill_outputs(i, op);
        }
    }

    /// A `shl` and the `add`s after it computed by one `lea` (see
    /// `Fused::Lea`).
    pub(crate) fn lea(&mut self, i: usize) {
        let Fused::Lea {
            base,
            index,
            scale,
            disp: d,
            to,
            out,
        } = self.sib[i]
        else {
            unreachable!("op {i} is not a fused shl");
        };
        let to = to as usize;
        // The index first: its last read may be this op, so no register
        // may be taken from it for the base.
        let rx = self.in_reg(index, 0);
        let rb = self.in_reg(base, 0);
        // LEA reads its inputs before it writes: the register of one that
        // dies here takes the result if that is where it is wanted
        // (`hints`; `lea esi, [rcx + rsi * 2 + 1]` in a loop keeping RSI
        // in a register).
        let (first, last) = (self.ir.ops[i], self.ir.ops[to]);
        // Where an input is last read: the first op (the `shl`, or the
        // `add` of a scale-1 `lea`), or the `add` ending the fusion.
        let dies_in_reg = |g: &Self, t: Temp| {
            let at = |op: &Op| op.inputs().iter().position(|&u| u == t);
            match (at(&first), at(&last)) {
                (Some(k), _) => g.dies_in_reg(i, &first, k),
                (None, Some(k)) => g.dies_in_reg(to, &last, k),
                _ => None,
            }
        };
        let dying = [dies_in_reg(self, index), dies_in_reg(self, base)];
        let hint = self.hints.hint[out.index()];
        let rd = match dying.into_iter().flatten().find(|&r| r == hint) {
            Some(r) => r,
            None => self.own_reg(out),
        };
        let (b, x) = (rb, rx);
        // A 32-bit add (see `demand`) leaves its result zero-extended.
        if self.op32.get(to).copied().unwrap_or(false) {
            match scale {
                1 => short_disp!(self.a ; lea Rd(rd), [Rq(b) + Rq(x) * 1 + d]),
                2 => short_disp!(self.a ; lea Rd(rd), [Rq(b) + Rq(x) * 2 + d]),
                4 => short_disp!(self.a ; lea Rd(rd), [Rq(b) + Rq(x) * 4 + d]),
                _ => short_disp!(self.a ; lea Rd(rd), [Rq(b) + Rq(x) * 8 + d]),
            }
        } else {
            match scale {
                1 => short_disp!(self.a ; lea Rq(rd), [Rq(b) + Rq(x) * 1 + d]),
                2 => short_disp!(self.a ; lea Rq(rd), [Rq(b) + Rq(x) * 2 + d]),
                4 => short_disp!(self.a ; lea Rq(rd), [Rq(b) + Rq(x) * 4 + d]),
                _ => short_disp!(self.a ; lea Rq(rd), [Rq(b) + Rq(x) * 8 + d]),
            }
        }
        for k in i..=to {
            let op = self.ir.ops[k];
            self.kill_inputs(k, &op);
        }
        self.def_reg(out, rd);
        let last = self.ir.ops[to];
        self.kill_outputs(to, &last);
    }

    /// `call_store_hook` for a scaled-index address.
    fn call_store_hook_sib(
        &mut self,
        hook: usize,
        rb: Option<u8>,
        rx: u8,
        scale: u8,
        disp: i32,
        opc: Opcode,
    ) {
        // LEA SCRATCH, [b + x * scale + disp] into the hook's own RDI below.
        let t = crate::abi::SCRATCH;
        match (rb, scale) {
            (Some(b), 1) => short_disp!(self.a ; lea Rq(t), [Rq(b) + Rq(rx) * 1 + disp]),
            (Some(b), 2) => short_disp!(self.a ; lea Rq(t), [Rq(b) + Rq(rx) * 2 + disp]),
            (Some(b), 4) => short_disp!(self.a ; lea Rq(t), [Rq(b) + Rq(rx) * 4 + disp]),
            (Some(b), _) => short_disp!(self.a ; lea Rq(t), [Rq(b) + Rq(rx) * 8 + disp]),
            (None, 2) => short_disp!(self.a ; lea Rq(t), [Rq(rx) * 2 + disp]),
            (None, 4) => short_disp!(self.a ; lea Rq(t), [Rq(rx) * 4 + disp]),
            (None, _) => short_disp!(self.a ; lea Rq(t), [Rq(rx) * 8 + disp]),
        }
        self.call_store_hook(hook, crate::abi::SCRATCH, 0, opc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_globals::GLOBALS;

    /// What address fusion does with each of `b`'s ops.
    fn fused(b: &IrBlock) -> Vec<Fused> {
        let mut f = Vec::new();
        let live = crate::liveness::Liveness::new(b);
        fuse_scaled_index(b, &Defs::of(b), &live.dead_ins, &live.dead_op, &mut f);
        f
    }

    #[test]
    fn base_plus_scaled_index_right_before_an_access() {
        let mut b = IrBlock::new(&GLOBALS);
        let (rax, rcx) = (b.global(0), b.global(1));
        let three = b.movi(3);
        let s = b.binop(Opcode::Shl, rcx, three);
        let a = b.add(rax, s);
        let v = b.load(Opcode::Ld64, a); // [rax + rcx * 8]
        let a2 = b.add(v, rcx);
        b.store(Opcode::St32, rax, a2); // [v + rcx]
        let s3 = b.binop(Opcode::Shl, rcx, three);
        let a3 = b.add(s3, rax);
        b.mov_to(rcx, a3); // the address is read twice: not fused
        b.store(Opcode::St8, rax, a3);
        b.goto_tb(0);
        let f = fused(&b);
        let at = |t: Temp| b.ops.iter().position(|o| o.outs[0] == t).unwrap();
        assert_eq!(f[at(s)], Fused::Away);
        assert_eq!(
            f[at(v)],
            Fused::Access {
                base: Some(rax),
                index: rcx,
                scale: 8,
                from: at(s) as u32
            }
        );
        assert_eq!(
            f[at(a2) + 1],
            Fused::Access {
                base: Some(v),
                index: rcx,
                scale: 1,
                from: at(a2) as u32
            }
        );
        assert_eq!(f[at(a3) + 2], Fused::No);
    }

    #[test]
    fn a_scaled_index_alone_before_an_access() {
        let mut b = IrBlock::new(&GLOBALS);
        let (rax, rcx) = (b.global(0), b.global(1));
        let three = b.movi(3);
        let s = b.binop(Opcode::Shl, rcx, three);
        let v = b.load(Opcode::Ld64, s); // [rcx * 8]
        let one = b.movi(1);
        let s2 = b.binop(Opcode::Shl, v, one);
        b.store(Opcode::St16, rax, s2); // [v * 2]
        let s5 = b.binop(Opcode::Shl, rax, three);
        b.store(Opcode::St64, s5, rcx); // the value, not the address
        let four = b.movi(4);
        let s3 = b.binop(Opcode::Shl, rcx, four);
        b.store(Opcode::St8, rax, s3); // a scale of 16: not fused
        let s4 = b.binop(Opcode::Shl, rax, three);
        b.mov_to(rcx, s4); // the address is read twice: not fused
        b.store(Opcode::St8, rax, s4);
        b.goto_tb(0);
        let f = fused(&b);
        let at = |t: Temp| b.ops.iter().position(|o| o.outs[0] == t).unwrap();
        assert_eq!(f[at(s)], Fused::Away);
        assert_eq!(
            f[at(v)],
            Fused::Access {
                base: None,
                index: rcx,
                scale: 8,
                from: at(s) as u32
            }
        );
        assert_eq!(
            f[at(s2) + 1],
            Fused::Access {
                base: None,
                index: v,
                scale: 2,
                from: at(s2) as u32
            }
        );
        assert_eq!((f[at(s5)], f[at(s5) + 1]), (Fused::No, Fused::No));
        assert_eq!((f[at(s3)], f[at(s3) + 1]), (Fused::No, Fused::No));
        assert_eq!(f[at(s4) + 2], Fused::No);
    }
}
