//! Translation-time side of lazy flags: recording a flag-setting result,
//! and computing CF, all flags, or a Jcc/SETcc/CMOVcc condition, inline
//! when the producing `cc_op` is known and by helper otherwise.

use super::Cx;
use crate::cc::{CcKind, CC_OP_EFLAGS, CC_OP_ROT};
use crate::cpu::eflags::{AF, ARITH, CF, OF, PF, SF, ZF};
use crate::cpu::glob;
use crate::helpers::flags::{CC_COMPUTE_ALL, CC_COMPUTE_C};
use iced_x86::ConditionCode;
use ox86_ir::{Cond, Opcode, Temp};

impl Cx {
    /// Records the lazy-flags state left by an instruction.
    pub fn set_cc(&mut self, kind: CcKind, size: u32, dst: Temp, src: Temp, src2: Option<Temp>) {
        let (gd, gs, gs2) = (
            self.g(glob::CC_DST),
            self.g(glob::CC_SRC),
            self.g(glob::CC_SRC2),
        );
        self.b.mov_to(gd, dst);
        if matches!(kind, CcKind::Logic) {
            // A logical operation's flags come from its result alone
            // (`cc::flags`): nothing reads the source, which is not kept.
            self.b.discard(gs);
        } else {
            self.b.mov_to(gs, src);
        }
        match src2 {
            Some(s2) => self.b.mov_to(gs2, s2),
            None => self.drop_src2(),
        }
        self.set_cc_op(kind.op(size));
    }

    /// Before a new state whose kind does not use `cc_src2`: discards it if
    /// the current one may, so that its last write dies when nothing
    /// reads it (a rotate's CF and OF, see `CC_OP_ROT`).
    fn drop_src2(&mut self) {
        let uses = |op: u64| {
            let (kind, _) = CcKind::decode(op);
            op & CC_OP_ROT != 0 || matches!(kind, CcKind::Adc | CcKind::Sbb)
        };
        if self.cc_known.is_none_or(uses) {
            let gs2 = self.g(glob::CC_SRC2);
            self.b.discard(gs2);
        }
    }

    /// Records new CF and OF (each 0/1) over the lazy state, the other
    /// flags unchanged, without computing them (see `CC_OP_ROT`): possible
    /// when the state's `cc_op` is known and its kind leaves `cc_src2`
    /// free. Returns false (nothing recorded) otherwise.
    pub fn set_cc_cf_of(&mut self, cf: Temp, of: Temp) -> bool {
        let Some(op) = self.cc_known else {
            return false;
        };
        let (kind, _) = CcKind::decode(op & !CC_OP_ROT);
        if matches!(kind, CcKind::Eflags | CcKind::Adc | CcKind::Sbb) {
            return false;
        }
        let of = self.b.shli(of, OF.trailing_zeros() as u64);
        let v = self.b.or(cf, of);
        let gs2 = self.g(glob::CC_SRC2);
        self.b.mov_to(gs2, v);
        self.set_cc_op(op | CC_OP_ROT);
        true
    }

    /// Sets the `cc_op` global to a constant.
    pub fn set_cc_op(&mut self, op: u64) {
        if self.cc_known != Some(op) {
            let gop = self.g(glob::CC_OP);
            self.b.movi_to(gop, op);
            self.cc_known = Some(op);
        }
    }

    /// Records already-computed arithmetic flags (EFLAGS layout) in `flags`.
    pub fn set_cc_eflags(&mut self, flags: Temp) {
        let gs = self.g(glob::CC_SRC);
        self.b.mov_to(gs, flags);
        self.drop_src2();
        self.set_cc_op(CC_OP_EFLAGS);
    }

    /// The six arithmetic flags as an EFLAGS-layout value.
    pub fn compute_all(&mut self) -> Temp {
        self.compute_flags(ARITH)
    }

    /// A value (EFLAGS layout) whose bits in `mask` are those arithmetic
    /// flags; its other bits are 0 or other flags. Computed inline when
    /// the producing `cc_op` is known, so that only the flags asked for
    /// cost anything; else ZF alone inline too, CF alone by `cc_compute_c`
    /// and the rest by `cc_compute_all`.
    pub fn compute_flags(&mut self, mask: u64) -> Temp {
        if self.cc_known == Some(CC_OP_EFLAGS) {
            return self.g(glob::CC_SRC);
        }
        if let Some(op) = self.cc_known {
            if let Some(t) = self.flags_inline(op, mask) {
                return t;
            }
        }
        if mask == ZF {
            return self.zf_of_any_state();
        }
        if let Some(cf) = self.known_cf().filter(|_| mask & !(CF | ZF) == 0) {
            if mask & ZF == 0 {
                return cf;
            }
            let zf = self.zf_of_any_state();
            return self.b.or(cf, zf);
        }
        let args = [
            self.g(glob::CC_OP),
            self.g(glob::CC_DST),
            self.g(glob::CC_SRC),
            self.g(glob::CC_SRC2),
        ];
        let h = match mask {
            CF => &CC_COMPUTE_C,
            _ => &CC_COMPUTE_ALL,
        };
        self.call_pure(h, &args)
    }

    /// BT's flags (and its kin's) where the incoming `cc_op` is not known
    /// here: CF = `cf` (0 or 1) and ZF kept, lazily, as QEMU keeps them
    /// for a known `cc_op`. The state becomes SAR of the incoming size
    /// (ZF from the `cc_dst` left as it is, CF from `cc_src`'s bit 0; SF,
    /// PF and OF from them too, which BT leaves undefined), or, from
    /// `CC_OP_EFLAGS`, EFLAGS with CF replaced. Computing ZF instead took
    /// about fourteen host instructions at every such BT; the condition
    /// right after (`jb`) reads `cf` itself (`known_cf`).
    pub fn set_cf_keeping_zf(&mut self, cf: Temp) {
        let (gop, gsrc) = (self.g(glob::CC_OP), self.g(glob::CC_SRC));
        let op = self.b.andi(gop, CC_OP_ROT - 1);
        let log2 = self.b.andi(op, 3);
        let sar = self.b.movi(CcKind::Sar.op(1));
        let sar_op = self.b.or(sar, log2);
        let eflags = self.b.movi(CC_OP_EFLAGS);
        let new_op = self.b.movcond(Cond::Eq, op, eflags, eflags, sar_op);
        let kept = self.b.andi(gsrc, !CF);
        let with_cf = self.b.or(kept, cf);
        let new_src = self.b.movcond(Cond::Eq, op, eflags, with_cf, cf);
        self.b.mov_to(gsrc, new_src);
        self.b.mov_to(gop, new_op);
        self.drop_src2();
        self.cc_known = None;
        self.cf_known = Some((cf, self.b.ops.len()));
    }

    /// The 0/1 CF `set_cf_keeping_zf` left, if the lazy flags are still
    /// the ones it wrote: no op since writes them (nor a helper call or
    /// an `st_env`, which could), and no label joins.
    fn known_cf(&self) -> Option<Temp> {
        let (cf, at) = self.cf_known?;
        let flags = [self.g(glob::CC_OP), self.g(glob::CC_SRC)];
        let same = self.b.ops[at..].iter().all(|o| {
            let barrier = matches!(
                o.opc,
                Opcode::SetLabel | Opcode::Call | Opcode::CallXmm | Opcode::StEnv
            );
            !barrier && !o.outputs().iter().any(|t| flags.contains(t))
        });
        (same && self.cc_known.is_none()).then_some(cf)
    }

    /// Records `a`, a local temp, as the first operand of the SUB whose
    /// flags were just recorded (see `Cx::sub_src1`).
    pub fn note_sub_src1(&mut self, a: Temp) {
        self.sub_src1 = (!self.b.is_global(a)).then_some((a, self.b.ops.len()));
    }

    /// The first operand `note_sub_src1` recorded, if the lazy flags are
    /// still that SUB's: nothing since writes them (nor a helper call or
    /// an `st_env`, which could) and no label joins.
    fn sub_src1(&self) -> Option<Temp> {
        let (a, at) = self.sub_src1?;
        let flags = [
            self.g(glob::CC_OP),
            self.g(glob::CC_DST),
            self.g(glob::CC_SRC),
        ];
        let same = self.b.ops[at..].iter().all(|o| {
            let barrier = matches!(
                o.opc,
                Opcode::SetLabel | Opcode::Call | Opcode::CallXmm | Opcode::StEnv
            );
            !barrier && !o.outputs().iter().any(|t| flags.contains(t))
        });
        same.then_some(a)
    }

    /// ZF alone at its EFLAGS position (0 or `ZF`), for the instructions
    /// that keep it (BT and its kin): no round trip through a 0/1 value,
    /// which took four host instructions after the computation.
    pub fn zf_flag(&mut self) -> Temp {
        match self.cc_known {
            None => self.zf_of_any_state(),
            Some(CC_OP_EFLAGS) => {
                let src = self.g(glob::CC_SRC);
                self.b.andi(src, ZF)
            }
            Some(_) => {
                let z = self.cond_value(ConditionCode::e);
                self.b.shli(z, ZF.trailing_zeros() as u64)
            }
        }
    }

    /// ZF alone (EFLAGS layout) for a `cc_op` not known here, as IR
    /// (`cc::compute_z`, a few host instructions rather than a call): set
    /// when the low `8 << (cc_op & 3)` bits of `cc_dst` are zero, or, for
    /// `CC_OP_EFLAGS` (with or without `CC_OP_ROT`), `cc_src`'s ZF.
    fn zf_of_any_state(&mut self) -> Temp {
        let (cc_op, dst, src) = (
            self.g(glob::CC_OP),
            self.g(glob::CC_DST),
            self.g(glob::CC_SRC),
        );
        let op = self.b.andi(cc_op, CC_OP_ROT - 1);
        let log2 = self.b.andi(op, 3);
        let eight = self.b.movi(8);
        let bits = self.b.binop(Opcode::Shl, eight, log2);
        let all = self.b.movi(64);
        let unused = self.b.sub(all, bits);
        let low = self.b.binop(Opcode::Shl, dst, unused);
        let zero = self.b.movi(0);
        let is_zero = self.b.setcond(Cond::Eq, low, zero);
        let zf = self.b.shli(is_zero, ZF.trailing_zeros() as u64);
        let src_zf = self.b.andi(src, ZF);
        let eflags = self.b.movi(CC_OP_EFLAGS);
        self.b.movcond(Cond::Eq, op, eflags, src_zf, zf)
    }

    /// `compute_flags(mask)` as IR for a known `cc_op`: each flag by the
    /// formula of `cc::compute_all` for its kind (None for the kinds
    /// with a carry in, which stay with the helper).
    fn flags_inline(&mut self, op: u64, mask: u64) -> Option<Temp> {
        if op & CC_OP_ROT != 0 {
            let keep = mask & !(CF | OF);
            let rest = match keep {
                0 => None,
                _ => Some(self.flags_inline(op & !CC_OP_ROT, keep)?),
            };
            let cf_of = (mask & (CF | OF) != 0).then(|| {
                let src2 = self.g(glob::CC_SRC2);
                self.b.andi(src2, mask & (CF | OF))
            });
            return Some(match (rest, cf_of) {
                (Some(a), Some(b)) => self.b.or(a, b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => self.b.movi(0),
            });
        }
        let (kind, size) = CcKind::decode(op);
        if !matches!(
            kind,
            CcKind::Add
                | CcKind::Sub
                | CcKind::Logic
                | CcKind::Inc
                | CcKind::Dec
                | CcKind::Shl
                | CcKind::Sar
                | CcKind::Mul
                | CcKind::Imul
        ) {
            return None;
        }
        let bits = u64::from(size) * 8;
        let dst = self.g(glob::CC_DST);
        let src = self.g(glob::CC_SRC);
        let d = self.zext(size, dst);
        // The first operand of an addition or subtraction (`d = s1 ± src`).
        let s1 = match kind {
            CcKind::Add => Some(self.b.sub(d, src)),
            CcKind::Sub => Some(self.b.add(d, src)),
            _ => None,
        };
        let mut parts = Vec::new();
        for flag in [CF, PF, AF, ZF, SF, OF] {
            if mask & flag == 0 {
                continue;
            }
            let bit = match flag {
                CF => match kind {
                    CcKind::Add => {
                        let s2 = self.zext(size, src);
                        Some(self.b.setcond(Cond::Ltu, d, s2))
                    }
                    CcKind::Sub => {
                        let a = self.zext(size, s1.expect("sub operand"));
                        let s2 = self.zext(size, src);
                        Some(self.b.setcond(Cond::Ltu, a, s2))
                    }
                    CcKind::Inc | CcKind::Dec => Some(self.b.andi(src, CF)),
                    CcKind::Shl => Some(self.bit_of(src, bits - 1)),
                    CcKind::Sar => Some(self.b.andi(src, 1)),
                    CcKind::Mul => {
                        let zero = self.b.movi(0);
                        Some(self.b.setcond(Cond::Ne, src, zero))
                    }
                    CcKind::Imul => Some(self.imul_overflow(size, src)),
                    _ => None,
                },
                PF => {
                    let low = self.b.andi(d, 0xff);
                    let n = self.b.unop(Opcode::Ctpop, low);
                    let odd = self.b.andi(n, 1);
                    let one = self.b.movi(1);
                    let even = self.b.xor(odd, one);
                    Some(self.b.shli(even, 2))
                }
                AF => {
                    let other = match kind {
                        CcKind::Add | CcKind::Sub => s1.map(|s1| (s1, src)),
                        CcKind::Inc => {
                            let m1 = self.b.addi(d, u64::MAX);
                            Some((m1, self.b.movi(1)))
                        }
                        CcKind::Dec => {
                            let p1 = self.b.addi(d, 1);
                            Some((p1, self.b.movi(1)))
                        }
                        _ => None,
                    };
                    other.map(|(a, b)| {
                        let x = self.b.xor(d, a);
                        let x = self.b.xor(x, b);
                        self.b.andi(x, AF)
                    })
                }
                ZF => {
                    let zero = self.b.movi(0);
                    let z = self.b.setcond(Cond::Eq, d, zero);
                    Some(self.b.shli(z, 6))
                }
                SF => {
                    let s = self.bit_of(d, bits - 1);
                    Some(self.b.shli(s, 7))
                }
                _ => {
                    let of = match kind {
                        CcKind::Add | CcKind::Sub => {
                            let s1 = s1.expect("add/sub operand");
                            let ab = self.b.xor(s1, src);
                            let ad = self.b.xor(s1, d);
                            let x = if kind == CcKind::Add {
                                let ones = self.b.movi(u64::MAX);
                                let nab = self.b.xor(ab, ones);
                                self.b.and(nab, ad)
                            } else {
                                self.b.and(ab, ad)
                            };
                            Some(self.bit_of(x, bits - 1))
                        }
                        CcKind::Inc | CcKind::Dec => {
                            let sign = 1u64 << (bits - 1);
                            let at = if kind == CcKind::Inc { sign } else { sign - 1 };
                            let c = self.b.movi(at);
                            Some(self.b.setcond(Cond::Eq, d, c))
                        }
                        CcKind::Shl | CcKind::Sar => {
                            let x = self.b.xor(src, d);
                            Some(self.bit_of(x, bits - 1))
                        }
                        CcKind::Mul => {
                            let zero = self.b.movi(0);
                            Some(self.b.setcond(Cond::Ne, src, zero))
                        }
                        CcKind::Imul => Some(self.imul_overflow(size, src)),
                        _ => None,
                    };
                    of.map(|b| self.b.shli(b, 11))
                }
            };
            if let Some(b) = bit {
                parts.push(b);
            }
        }
        let mut acc = parts.pop().unwrap_or_else(|| self.b.movi(0));
        while let Some(p) = parts.pop() {
            acc = self.b.or(acc, p);
        }
        Some(acc)
    }

    /// CF and OF of a `CcKind::Imul` state (0 or 1): the product `src`
    /// is not its low `size` bytes sign-extended.
    fn imul_overflow(&mut self, size: u32, src: Temp) -> Temp {
        let s = self.sext(size, src);
        self.b.setcond(Cond::Ne, src, s)
    }

    /// Bit `n` of `v` as 0 or 1.
    fn bit_of(&mut self, v: Temp, n: u64) -> Temp {
        let s = self.b.shri(v, n);
        self.b.andi(s, 1)
    }

    /// CF as 0 or 1.
    pub fn compute_cf(&mut self) -> Temp {
        if self.cc_known.is_some_and(|op| op & CC_OP_ROT != 0) {
            let src2 = self.g(glob::CC_SRC2);
            return self.b.andi(src2, CF);
        }
        if let Some(op) = self.cc_known {
            let (kind, size) = CcKind::decode(op);
            let dst = self.g(glob::CC_DST);
            let src = self.g(glob::CC_SRC);
            match kind {
                CcKind::Sub => {
                    let s1 = match self.sub_src1() {
                        Some(a) => a,
                        None => self.b.add(dst, src),
                    };
                    let s1 = self.zext(size, s1);
                    let s2 = self.zext(size, src);
                    return self.b.setcond(Cond::Ltu, s1, s2);
                }
                CcKind::Add => {
                    let d = self.zext(size, dst);
                    let s2 = self.zext(size, src);
                    return self.b.setcond(Cond::Ltu, d, s2);
                }
                CcKind::Logic => return self.b.movi(0),
                CcKind::Inc | CcKind::Dec => return self.b.andi(src, 1),
                _ => {}
            }
        }
        let c = self.compute_flags(CF);
        self.b.andi(c, CF)
    }

    /// A condition `(cond, a, b)` that holds exactly when x86 condition
    /// `cc` does, for brcond/setcond/movcond.
    pub fn cond(&mut self, cc: ConditionCode) -> (Cond, Temp, Temp) {
        if let Some(op) = self.cc_known {
            if let Some(c) = self.cond_fast(op, cc) {
                return c;
            }
        }
        let needed = match cc {
            ConditionCode::o | ConditionCode::no => OF,
            ConditionCode::b | ConditionCode::ae => CF,
            ConditionCode::e | ConditionCode::ne => ZF,
            ConditionCode::be | ConditionCode::a => CF | ZF,
            ConditionCode::s | ConditionCode::ns => SF,
            ConditionCode::p | ConditionCode::np => PF,
            ConditionCode::l | ConditionCode::ge => SF | OF,
            _ => SF | OF | ZF,
        };
        let all = self.compute_flags(needed);
        let zero = self.b.movi(0);
        let (mask, negate) = match cc {
            ConditionCode::o => (OF, false),
            ConditionCode::no => (OF, true),
            ConditionCode::b => (CF, false),
            ConditionCode::ae => (CF, true),
            ConditionCode::e => (ZF, false),
            ConditionCode::ne => (ZF, true),
            ConditionCode::be => (CF | ZF, false),
            ConditionCode::a => (CF | ZF, true),
            ConditionCode::s => (SF, false),
            ConditionCode::ns => (SF, true),
            ConditionCode::p => (PF, false),
            ConditionCode::np => (PF, true),
            ConditionCode::l | ConditionCode::ge | ConditionCode::le | ConditionCode::g => {
                // SF != OF, optionally | ZF: move OF onto SF's bit and xor.
                let of = self.b.shri(all, 4);
                let x = self.b.xor(all, of);
                let mut m = SF;
                let x = if matches!(cc, ConditionCode::le | ConditionCode::g) {
                    m |= ZF;
                    let zf_kept = self.b.andi(all, ZF);
                    let sx = self.b.andi(x, SF);
                    self.b.or(sx, zf_kept)
                } else {
                    x
                };
                let mt = self.b.movi(m);
                let t = self.b.and(x, mt);
                let c = if matches!(cc, ConditionCode::l | ConditionCode::le) {
                    Cond::Ne
                } else {
                    Cond::Eq
                };
                return (c, t, zero);
            }
            ConditionCode::None => unreachable!("condition of an unconditional instruction"),
        };
        let m = self.b.movi(mask);
        (if negate { Cond::TstEq } else { Cond::TstNe }, all, m)
    }

    fn cond_fast(&mut self, op: u64, cc: ConditionCode) -> Option<(Cond, Temp, Temp)> {
        if op & CC_OP_ROT != 0 {
            let flag = |cx: &mut Self, f: u64, c: Cond| {
                let src2 = cx.g(glob::CC_SRC2);
                let m = cx.b.movi(f);
                Some((c, src2, m))
            };
            return match cc {
                ConditionCode::b => flag(self, CF, Cond::TstNe),
                ConditionCode::ae => flag(self, CF, Cond::TstEq),
                ConditionCode::o => flag(self, OF, Cond::TstNe),
                ConditionCode::no => flag(self, OF, Cond::TstEq),
                ConditionCode::e | ConditionCode::ne | ConditionCode::s | ConditionCode::ns => {
                    self.cond_fast(op & !CC_OP_ROT, cc)
                }
                _ => None,
            };
        }
        let (kind, size) = CcKind::decode(op);
        let dst = self.g(glob::CC_DST);
        let src = self.g(glob::CC_SRC);
        match (kind, cc) {
            (
                CcKind::Sub,
                ConditionCode::b
                | ConditionCode::ae
                | ConditionCode::be
                | ConditionCode::a
                | ConditionCode::l
                | ConditionCode::ge
                | ConditionCode::le
                | ConditionCode::g,
            ) => {
                let s1 = match self.sub_src1() {
                    Some(a) => a,
                    None => self.b.add(dst, src),
                };
                let signed = matches!(
                    cc,
                    ConditionCode::l | ConditionCode::ge | ConditionCode::le | ConditionCode::g
                );
                let (a, b) = if signed {
                    (self.sext(size, s1), self.sext(size, src))
                } else {
                    (self.zext(size, s1), self.zext(size, src))
                };
                let c = match cc {
                    ConditionCode::b => Cond::Ltu,
                    ConditionCode::ae => Cond::Geu,
                    ConditionCode::be => Cond::Leu,
                    ConditionCode::a => Cond::Gtu,
                    ConditionCode::l => Cond::Lt,
                    ConditionCode::ge => Cond::Ge,
                    ConditionCode::le => Cond::Le,
                    _ => Cond::Gt,
                };
                Some((c, a, b))
            }
            (
                CcKind::Sub
                | CcKind::Add
                | CcKind::Logic
                | CcKind::Inc
                | CcKind::Dec
                | CcKind::Shl
                | CcKind::Sar,
                ConditionCode::e | ConditionCode::ne | ConditionCode::s | ConditionCode::ns,
            ) => {
                let zero = self.b.movi(0);
                Some(match cc {
                    ConditionCode::e => (Cond::Eq, self.zext(size, dst), zero),
                    ConditionCode::ne => (Cond::Ne, self.zext(size, dst), zero),
                    ConditionCode::s => (Cond::Lt, self.sext(size, dst), zero),
                    _ => (Cond::Ge, self.sext(size, dst), zero),
                })
            }
            (CcKind::Logic, _) => {
                let zero = self.b.movi(0);
                let d = self.sext(size, dst);
                match cc {
                    ConditionCode::b | ConditionCode::o => Some((Cond::Ne, zero, zero)),
                    ConditionCode::ae | ConditionCode::no => Some((Cond::Eq, zero, zero)),
                    ConditionCode::be => Some((Cond::Eq, d, zero)),
                    ConditionCode::a => Some((Cond::Ne, d, zero)),
                    ConditionCode::l => Some((Cond::Lt, d, zero)),
                    ConditionCode::ge => Some((Cond::Ge, d, zero)),
                    ConditionCode::le => Some((Cond::Le, d, zero)),
                    ConditionCode::g => Some((Cond::Gt, d, zero)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Materialises a condition as 0/1.
    pub fn cond_value(&mut self, cc: ConditionCode) -> Temp {
        let (c, a, b) = self.cond(cc);
        self.b.setcond(c, a, b)
    }

    /// Zero-extends by size, for families that need truncated results.
    pub fn trunc(&mut self, size: u32, t: Temp) -> Temp {
        self.zext(size, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cc::compute_all;
    use iced_x86::Instruction;
    use ox86_ir::eval::eval1;
    use ox86_ir::IrBlock;

    /// Runs the straight-line pure IR `b` from globals `init`; returns
    /// the value of `t`.
    fn eval(b: &IrBlock, init: &[(usize, u64)], t: Temp) -> u64 {
        let mut v = vec![0u64; b.n_temps as usize];
        for &(g, x) in init {
            v[g] = x;
        }
        for op in &b.ops {
            let mut ins = [0u64; 4];
            for (k, i) in op.inputs().iter().enumerate() {
                ins[k] = v[i.index()];
            }
            let out = eval1(op.opc, ins, op.consts).expect("pure op");
            v[op.outs[0].index()] = out;
        }
        v[t.index()]
    }

    /// The inline ZF of an unknown state is `compute_all`'s, for every
    /// kind, size and rotate bit.
    #[test]
    fn zf_of_any_state_is_compute_alls_zf() {
        let mut cx = Cx::for_test(Instruction::default());
        let zf = cx.zf_of_any_state();
        let values = [
            0,
            1,
            0x80,
            0x100,
            0xff00,
            1 << 16,
            1 << 32,
            1 << 63,
            u64::MAX,
            ZF,
        ];
        for kind in 0..=11u64 {
            for log2 in 0..4 {
                for rot in [0, CC_OP_ROT] {
                    let op = if kind == 0 { 0 } else { kind * 4 + log2 } | rot;
                    for &dst in &values {
                        for &src in &values {
                            let init =
                                [(glob::CC_OP, op), (glob::CC_DST, dst), (glob::CC_SRC, src)];
                            let want = compute_all(op, dst, src, 0) & ZF;
                            assert_eq!(eval(&cx.b, &init, zf), want, "{op:#x} {dst:#x} {src:#x}");
                        }
                    }
                }
            }
        }
    }
}
