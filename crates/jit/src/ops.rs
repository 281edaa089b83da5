//! Code for the data ops: moves, arithmetic, comparisons, guest memory
//! and `CpuState` accesses. Each handler gets its inputs from the
//! allocator, emits, then retires dying inputs and defines its outputs.

use crate::abi::{env_disp, hreg};
use crate::bits::Narrow;
use crate::emit::{cc_of, swap_cond};
use crate::gen::{Gen, Loc};
use crate::regalloc::Val;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use ox86_ir::eval::eval1;
use ox86_ir::{Cond, Op, Opcode, Temp};

fn cond(c: u64) -> Cond {
    Cond::from_u64(c).expect("verified condition")
}

/// The ops `Gen::binop` compiles (a pattern): two inputs, the output
/// computed in the first's register where it dies there.
macro_rules! binop_opcodes {
    () => {
        Opcode::Add
            | Opcode::Sub
            | Opcode::Mul
            | Opcode::And
            | Opcode::Or
            | Opcode::Xor
            | Opcode::Shl
            | Opcode::Shr
            | Opcode::Sar
            | Opcode::Rotl
            | Opcode::Rotr
    };
}

/// The ops `Gen::unop` compiles (a pattern): one input, the output
/// computed in its register where it dies there.
macro_rules! unop_opcodes {
    () => {
        Opcode::Not
            | Opcode::Neg
            | Opcode::Ext8s
            | Opcode::Ext8u
            | Opcode::Ext16s
            | Opcode::Ext16u
            | Opcode::Ext32s
            | Opcode::Ext32u
            | Opcode::Ctz
            | Opcode::Clz
            | Opcode::Ctpop
            | Opcode::Bswap64
            | Opcode::Bswap32
    };
}

/// True if `Gen::binop` or `Gen::unop` compiles `opc`: its output may
/// take its first input's register.
pub(crate) fn reuses_input0(opc: Opcode) -> bool {
    matches!(opc, binop_opcodes!() | unop_opcodes!())
}

impl Gen {
    /// Op `i` as `d = s`: `d` shares `s`'s register (`s` is loaded into
    /// one first). Retires the op's inputs and outputs.
    fn copy(&mut self, i: usize, op: &Op, d: Temp, s: Temp) {
        if d == s {
            return self.kill_outputs(i, op);
        }
        if let Some(c) = self.konst(s) {
            return self.finish_const(i, op, c);
        }
        let rs = self.in_reg(s, 0);
        self.kill_inputs(i, op);
        if self.can_share(rs) {
            self.def_copy(d, rs);
        } else {
            let rd = self.own_reg(d);
            self.mov_rr(rd, rs);
            self.def_reg(d, rd);
        }
        self.kill_outputs(i, op);
    }

    pub(crate) fn mov(&mut self, i: usize, op: &Op) {
        self.copy(i, op, op.outs[0], op.ins[0]);
    }

    pub(crate) fn movi(&mut self, i: usize, op: &Op) {
        self.def_const(op.outs[0], op.consts[0]);
        self.kill_outputs(i, op);
    }

    fn finish(&mut self, i: usize, op: &Op, rd: u8) {
        self.kill_inputs(i, op);
        self.def_reg(op.outs[0], rd);
        self.kill_outputs(i, op);
    }

    fn finish_const(&mut self, i: usize, op: &Op, c: u64) {
        self.kill_inputs(i, op);
        self.def_const(op.outs[0], c);
        self.kill_outputs(i, op);
    }

    /// True if op `i` is a 32-bit operation (see `demand`).
    fn is32(&self, i: usize) -> bool {
        self.op32.get(i).copied().unwrap_or(false)
    }

    /// Op `i` evaluated on constants: on their low 32 bits, with the
    /// result zero-extended, for a 32-bit op.
    fn fold(&self, i: usize, opc: Opcode, x: u64, y: u64) -> u64 {
        let v = if self.is32(i) {
            eval1(opc, [x as u32 as u64, y as u32 as u64, 0, 0], [0; 2]).map(|v| v as u32 as u64)
        } else {
            eval1(opc, [x, y, 0, 0], [0; 2])
        };
        v.expect("data ops fold")
    }

    /// `t` as an operand of a 32-bit instruction: a constant's low 32 bits
    /// as an immediate, else a register.
    fn val32(&mut self, t: Temp, avoid: u16) -> Val {
        match self.loc[t.index()] {
            Loc::Const(c) => Val::Imm(c as u32 as i32),
            _ => Val::Reg(self.in_reg(t, avoid)),
        }
    }

    pub(crate) fn binop(&mut self, i: usize, op: &Op) {
        if matches!(self.sib.get(i), Some(crate::sib::Fused::Lea { .. })) {
            return self.lea(i);
        }
        let opc = op.opc;
        let (d, mut a, mut b) = (op.outs[0], op.ins[0], op.ins[1]);
        if let (Some(x), Some(y)) = (self.konst(a), self.konst(b)) {
            let x = if self.andn.get(i).is_some_and(|&k| k == 1) {
                !x
            } else {
                x
            };
            let y = if self.andn.get(i).is_some_and(|&k| k == 2) {
                !y
            } else {
                y
            };
            return self.finish_const(i, op, self.fold(i, opc, x, y));
        }
        if matches!(
            opc,
            Opcode::Shl | Opcode::Shr | Opcode::Sar | Opcode::Rotl | Opcode::Rotr
        ) {
            return self.shift(i, op);
        }
        if let Some(&k) = self.andn.get(i).filter(|&&k| k != 0) {
            return self.andn(i, op, k as usize - 1);
        }
        let commutative = matches!(
            opc,
            Opcode::Add | Opcode::Mul | Opcode::And | Opcode::Or | Opcode::Xor
        );
        let mut ka = 0;
        if commutative
            && (self.konst(a).is_some()
                || (self.dies_in_reg(i, op, 0).is_none()
                    && self.dies_in_reg(i, op, 1).is_some()
                    && self.konst(b).is_none()))
        {
            std::mem::swap(&mut a, &mut b);
            ka = 1;
        }
        // A result known to fit in 32 bits is the same computed in 32 bits.
        let w32 = self.is32(i) || self.width[d.index()] <= 32;
        let vb = if w32 {
            self.val32(b, 0)
        } else {
            self.val(b, 0)
        };
        let ra = self.in_reg(a, 0);
        let rd = self.dst_reg(i, op, d, &[ka]);
        debug_assert!(rd == ra || vb != Val::Reg(rd));
        if w32 {
            self.binop32(opc, rd, ra, vb);
        } else {
            self.binop64(opc, rd, ra, vb);
        }
        self.finish(i, op, rd);
    }

    /// `d = !ins[k] & ins[1 - k]` with BMI1's ANDN (see `fuse`).
    fn andn(&mut self, i: usize, op: &Op, k: usize) {
        let ry = self.in_reg(op.ins[1 - k], 0);
        let rx = self.in_reg(op.ins[k], 0);
        let rd = self.dst_reg(i, op, op.outs[0], &[0, 1]);
        if self.is32(i) || self.width[op.outs[0].index()] <= 32 {
            dynasm!(self.a ; .arch x64 ; andn Rd(rd), Rd(rx), Rd(ry));
        } else {
            dynasm!(self.a ; .arch x64 ; andn Rq(rd), Rq(rx), Rq(ry));
        }
        self.finish(i, op, rd);
    }

    /// `rd = ra op vb` in 64 bits (`rd` is `ra` or not `vb`).
    fn binop64(&mut self, opc: Opcode, rd: u8, ra: u8, vb: Val) {
        match (opc, vb) {
            (Opcode::Add, Val::Imm(c)) if rd != ra => {
                short_disp!(self.a ; lea Rq(rd), [Rq(ra) + c])
            }
            (Opcode::Add, Val::Reg(rb)) if rd != ra => {
                dynasm!(self.a ; .arch x64 ; lea Rq(rd), [Rq(ra) + Rq(rb)])
            }
            (Opcode::Sub, Val::Imm(c)) if rd != ra && c != i32::MIN => {
                short_disp!(self.a ; lea Rq(rd), [Rq(ra) - c])
            }
            (Opcode::Mul, Val::Imm(c)) => {
                short_imm!(self.a, c ; imul Rq(rd), Rq(ra))
            }
            _ => {
                self.mov_rr(rd, ra);
                match (opc, vb) {
                    (Opcode::Add, Val::Imm(c)) => short_imm!(self.a, c ; add Rq(rd)),
                    (Opcode::Add, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; add Rq(rd), Rq(r)),
                    (Opcode::Sub, Val::Imm(c)) => short_imm!(self.a, c ; sub Rq(rd)),
                    (Opcode::Sub, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; sub Rq(rd), Rq(r)),
                    (Opcode::Mul, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; imul Rq(rd), Rq(r)),
                    (Opcode::And, Val::Imm(c)) => short_imm!(self.a, c ; and Rq(rd)),
                    (Opcode::And, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; and Rq(rd), Rq(r)),
                    (Opcode::Or, Val::Imm(c)) => short_imm!(self.a, c ; or Rq(rd)),
                    (Opcode::Or, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; or Rq(rd), Rq(r)),
                    (Opcode::Xor, Val::Imm(c)) => short_imm!(self.a, c ; xor Rq(rd)),
                    (Opcode::Xor, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; xor Rq(rd), Rq(r)),
                    _ => unreachable!("{opc:?} is not a plain binary op"),
                }
                // IMUL leaves ZF undefined.
                if matches!(opc, Opcode::Sub | Opcode::And) && rd != ra {
                    self.note_alu(opc, rd, ra, vb, false);
                } else if opc != Opcode::Mul {
                    self.note_zf(rd, false);
                }
            }
        }
    }

    /// `rd = ra op vb` in 32 bits, zero-extended (`rd` is `ra` or not `vb`).
    fn binop32(&mut self, opc: Opcode, rd: u8, ra: u8, vb: Val) {
        match (opc, vb) {
            (Opcode::Add, Val::Imm(c)) if rd != ra => {
                short_disp!(self.a ; lea Rd(rd), [Rq(ra) + c])
            }
            (Opcode::Add, Val::Reg(rb)) if rd != ra => {
                dynasm!(self.a ; .arch x64 ; lea Rd(rd), [Rq(ra) + Rq(rb)])
            }
            (Opcode::Sub, Val::Imm(c)) if rd != ra && c != i32::MIN => {
                short_disp!(self.a ; lea Rd(rd), [Rq(ra) - c])
            }
            (Opcode::Mul, Val::Imm(c)) => {
                short_imm!(self.a, c ; imul Rd(rd), Rd(ra))
            }
            _ => {
                self.mov_rr32(rd, ra);
                match (opc, vb) {
                    (Opcode::Add, Val::Imm(c)) => short_imm!(self.a, c ; add Rd(rd)),
                    (Opcode::Add, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; add Rd(rd), Rd(r)),
                    (Opcode::Sub, Val::Imm(c)) => short_imm!(self.a, c ; sub Rd(rd)),
                    (Opcode::Sub, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; sub Rd(rd), Rd(r)),
                    (Opcode::Mul, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; imul Rd(rd), Rd(r)),
                    (Opcode::And, Val::Imm(c)) => short_imm!(self.a, c ; and Rd(rd)),
                    (Opcode::And, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; and Rd(rd), Rd(r)),
                    (Opcode::Or, Val::Imm(c)) => short_imm!(self.a, c ; or Rd(rd)),
                    (Opcode::Or, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; or Rd(rd), Rd(r)),
                    (Opcode::Xor, Val::Imm(c)) => short_imm!(self.a, c ; xor Rd(rd)),
                    (Opcode::Xor, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; xor Rd(rd), Rd(r)),
                    _ => unreachable!("{opc:?} is not a plain binary op"),
                }
                if matches!(opc, Opcode::Sub | Opcode::And) && rd != ra {
                    self.note_alu(opc, rd, ra, vb, true);
                } else if opc != Opcode::Mul {
                    self.note_zf(rd, true);
                }
            }
        }
    }

    fn shift(&mut self, i: usize, op: &Op) {
        let (d, a, b) = (op.outs[0], op.ins[0], op.ins[1]);
        let opc = op.opc;
        if let Some(c) = self.konst(b) {
            let ra = self.in_reg(a, 0);
            let rd = self.dst_reg(i, op, d, &[0]);
            let n = (c & 63) as i8;
            if self.is32(i) {
                // `demand` marks only counts below 32.
                self.mov_rr32(rd, ra);
                match opc {
                    Opcode::Shl => dynasm!(self.a ; .arch x64 ; shl Rd(rd), n),
                    Opcode::Sar => dynasm!(self.a ; .arch x64 ; sar Rd(rd), n),
                    _ => dynasm!(self.a ; .arch x64 ; shr Rd(rd), n),
                }
                return self.finish(i, op, rd);
            }
            if n != 0 && rd != ra && self.opts.bmi2 && matches!(opc, Opcode::Rotl | Opcode::Rotr) {
                let k = if opc == Opcode::Rotr { n } else { 64 - n };
                dynasm!(self.a ; .arch x64 ; rorx Rq(rd), Rq(ra), k);
                return self.finish(i, op, rd);
            }
            self.mov_rr(rd, ra);
            if n != 0 {
                match opc {
                    Opcode::Shl => dynasm!(self.a ; .arch x64 ; shl Rq(rd), n),
                    Opcode::Shr => dynasm!(self.a ; .arch x64 ; shr Rq(rd), n),
                    Opcode::Sar => dynasm!(self.a ; .arch x64 ; sar Rq(rd), n),
                    Opcode::Rotl => dynasm!(self.a ; .arch x64 ; rol Rq(rd), n),
                    _ => dynasm!(self.a ; .arch x64 ; ror Rq(rd), n),
                }
            }
            return self.finish(i, op, rd);
        }
        if self.opts.bmi2 && matches!(opc, Opcode::Shl | Opcode::Shr | Opcode::Sar) {
            return self.shift_bmi2(i, op);
        }
        const RCX: u8 = hreg::RCX;
        if self.loc[b.index()] == Loc::Reg(RCX) {
            self.locked |= 1 << RCX;
        } else {
            self.claim(RCX);
            self.load_value(RCX, b.0);
        }
        let ra = self.in_reg(a, 1 << RCX);
        let rd = self.dst_reg(i, op, d, &[0]);
        debug_assert_ne!(rd, RCX);
        if self.is32(i) {
            // `demand` marks only counts below 32.
            self.mov_rr32(rd, ra);
            match opc {
                Opcode::Shl => dynasm!(self.a ; .arch x64 ; shl Rd(rd), cl),
                Opcode::Sar => dynasm!(self.a ; .arch x64 ; sar Rd(rd), cl),
                _ => dynasm!(self.a ; .arch x64 ; shr Rd(rd), cl),
            }
            return self.finish(i, op, rd);
        }
        self.mov_rr(rd, ra);
        match opc {
            Opcode::Shl => dynasm!(self.a ; .arch x64 ; shl Rq(rd), cl),
            Opcode::Shr => dynasm!(self.a ; .arch x64 ; shr Rq(rd), cl),
            Opcode::Sar => dynasm!(self.a ; .arch x64 ; sar Rq(rd), cl),
            Opcode::Rotl => dynasm!(self.a ; .arch x64 ; rol Rq(rd), cl),
            _ => dynasm!(self.a ; .arch x64 ; ror Rq(rd), cl),
        }
        self.finish(i, op, rd);
    }

    /// A shift by a register count with BMI2's SHLX, SHRX or SARX (any
    /// count register, any destination, flags untouched).
    fn shift_bmi2(&mut self, i: usize, op: &Op) {
        let (d, a, b) = (op.outs[0], op.ins[0], op.ins[1]);
        let rb = self.in_reg(b, 0);
        let ra = self.in_reg(a, 0);
        let rd = self.dst_reg(i, op, d, &[0, 1]);
        match (op.opc, self.is32(i)) {
            // `demand` marks only counts below 32, and only SHL, SHR and
            // SAR.
            (Opcode::Shl, true) => dynasm!(self.a ; .arch x64 ; shlx Rd(rd), Rd(ra), Rd(rb)),
            (Opcode::Shr, true) => dynasm!(self.a ; .arch x64 ; shrx Rd(rd), Rd(ra), Rd(rb)),
            (Opcode::Sar, true) => dynasm!(self.a ; .arch x64 ; sarx Rd(rd), Rd(ra), Rd(rb)),
            (Opcode::Shl, _) => dynasm!(self.a ; .arch x64 ; shlx Rq(rd), Rq(ra), Rq(rb)),
            (Opcode::Shr, _) => dynasm!(self.a ; .arch x64 ; shrx Rq(rd), Rq(ra), Rq(rb)),
            _ => dynasm!(self.a ; .arch x64 ; sarx Rq(rd), Rq(ra), Rq(rb)),
        }
        self.finish(i, op, rd);
    }

    /// An extension of a global that is in its `CpuState` field and not
    /// read again in the block: one narrow load from the field (`mov r13d,
    /// [rbp-50h]` for `test esi, esi`'s lazy result, not the whole
    /// register loaded and then extended). Returns false if it does not
    /// apply.
    fn ext_of_home(&mut self, i: usize, op: &Op) -> bool {
        let a = op.ins[0];
        if op.opc.extension_width().is_none()
            || !self.is_global(a.0)
            || self.loc[a.index()] != Loc::Mem
            || crate::nextuse::next_read(&self.ir, &self.live.dead_op, a, i + 1)
                != crate::nextuse::NEVER
        {
            return false;
        }
        let disp = self.global_disp(a.0);
        let rd = self.dst_reg(i, op, op.outs[0], &[]);
        let env = crate::abi::ENV_REG;
        match op.opc {
            Opcode::Ext8u => short_disp!(self.a ; movzx Rd(rd), BYTE [Rq(env) + disp]),
            Opcode::Ext8s => short_disp!(self.a ; movsx Rq(rd), BYTE [Rq(env) + disp]),
            Opcode::Ext16u => short_disp!(self.a ; movzx Rd(rd), WORD [Rq(env) + disp]),
            Opcode::Ext16s => short_disp!(self.a ; movsx Rq(rd), WORD [Rq(env) + disp]),
            Opcode::Ext32u => short_disp!(self.a ; mov Rd(rd), DWORD [Rq(env) + disp]),
            _ => short_disp!(self.a ; movsxd Rq(rd), DWORD [Rq(env) + disp]),
        }
        self.finish(i, op, rd);
        true
    }

    pub(crate) fn unop(&mut self, i: usize, op: &Op) {
        let opc = op.opc;
        let (d, a) = (op.outs[0], op.ins[0]);
        if self.rot32.get(i).is_some_and(|&k| k != 0) {
            let k = self.rot32[i];
            if let Some(x) = self.konst(a) {
                return self.finish_const(i, op, (x as u32).rotate_right(k as u32) as u64);
            }
            let k = k as i8;
            let ra = self.in_reg(a, 0);
            let rd = self.dst_reg(i, op, d, &[0]);
            if rd != ra && self.opts.bmi2 {
                dynasm!(self.a ; .arch x64 ; rorx Rd(rd), Rd(ra), k);
            } else {
                self.mov_rr32(rd, ra);
                dynasm!(self.a ; .arch x64 ; ror Rd(rd), k);
            }
            return self.finish(i, op, rd);
        }
        if let Some(x) = self.konst(a) {
            return self.finish_const(i, op, self.fold(i, opc, x, 0));
        }
        if crate::bits::ext_is_copy(opc, self.width[a.index()]) {
            return self.copy(i, op, d, a);
        }
        if self.ext_of_home(i, op) {
            return;
        }
        let ra = self.in_reg(a, 0);
        let rd = self.dst_reg(i, op, d, &[0]);
        const R11: u8 = hreg::R11;
        match opc {
            Opcode::Not if self.is32(i) => {
                self.mov_rr32(rd, ra);
                dynasm!(self.a ; .arch x64 ; not Rd(rd));
            }
            Opcode::Neg if self.is32(i) => {
                self.mov_rr32(rd, ra);
                dynasm!(self.a ; .arch x64 ; neg Rd(rd));
            }
            Opcode::Not => {
                self.mov_rr(rd, ra);
                dynasm!(self.a ; .arch x64 ; not Rq(rd));
            }
            Opcode::Neg => {
                self.mov_rr(rd, ra);
                dynasm!(self.a ; .arch x64 ; neg Rq(rd));
            }
            Opcode::Ext8s => dynasm!(self.a ; .arch x64 ; movsx Rq(rd), Rb(ra)),
            Opcode::Ext8u => dynasm!(self.a ; .arch x64 ; movzx Rd(rd), Rb(ra)),
            Opcode::Ext16s => dynasm!(self.a ; .arch x64 ; movsx Rq(rd), Rw(ra)),
            Opcode::Ext16u => dynasm!(self.a ; .arch x64 ; movzx Rd(rd), Rw(ra)),
            Opcode::Ext32s => dynasm!(self.a ; .arch x64 ; movsxd Rq(rd), Rd(ra)),
            Opcode::Ext32u => dynasm!(self.a ; .arch x64 ; mov Rd(rd), Rd(ra)),
            Opcode::Ctz if self.opts.lzcnt_tzcnt => {
                dynasm!(self.a ; .arch x64 ; tzcnt Rq(rd), Rq(ra))
            }
            Opcode::Ctz => {
                dynasm!(self.a ; .arch x64 ; mov Rd(R11), 64 ; bsf Rq(rd), Rq(ra));
                self.cmovcc(0x4, rd, R11);
            }
            Opcode::Clz if self.opts.lzcnt_tzcnt => {
                dynasm!(self.a ; .arch x64 ; lzcnt Rq(rd), Rq(ra))
            }
            Opcode::Clz => {
                dynasm!(self.a ; .arch x64 ; mov Rd(R11), 127 ; bsr Rq(rd), Rq(ra));
                self.cmovcc(0x4, rd, R11);
                dynasm!(self.a ; .arch x64 ; xor Rd(rd), 63);
            }
            Opcode::Ctpop => dynasm!(self.a ; .arch x64 ; popcnt Rq(rd), Rq(ra)),
            Opcode::Bswap64 => {
                self.mov_rr(rd, ra);
                dynasm!(self.a ; .arch x64 ; bswap Rq(rd));
            }
            Opcode::Bswap32 => {
                self.mov_rr32(rd, ra);
                dynasm!(self.a ; .arch x64 ; bswap Rd(rd));
            }
            _ => unreachable!("{opc:?} is not a unary op"),
        }
        self.finish(i, op, rd);
    }

    pub(crate) fn mul2(&mut self, i: usize, op: &Op) {
        if self.live.dead_outs[i] & 2 != 0 {
            // Only the low half is used: it is the same for both signs.
            let mut lo = *op;
            lo.opc = Opcode::Mul;
            self.binop(i, &lo);
            return self.kill_outputs(i, op);
        }
        self.on_rdx_rax(i, op, |g, rb| {
            if op.opc == Opcode::Mulu2 {
                dynasm!(g.a ; .arch x64 ; mul Rq(rb));
            } else {
                dynasm!(g.a ; .arch x64 ; imul Rq(rb));
            }
        });
    }

    /// `divu2` / `divs2` on the host's DIV / IDIV of RDX:RAX, the dividend
    /// extended into RDX (the translator guards against #DE).
    pub(crate) fn div2(&mut self, i: usize, op: &Op) {
        self.on_rdx_rax(i, op, |g, rb| {
            if op.opc == Opcode::Divu2 {
                dynasm!(g.a ; .arch x64 ; xor edx, edx ; div Rq(rb));
            } else {
                dynasm!(g.a ; .arch x64 ; cqo ; idiv Rq(rb));
            }
        });
    }

    /// An op of two inputs and two outputs on the host's RDX:RAX pair
    /// (MUL, IMUL, DIV, IDIV): the first input in RAX, the second in
    /// another register, which `emit` gets; the outputs in RAX and RDX.
    fn on_rdx_rax(&mut self, i: usize, op: &Op, emit: impl FnOnce(&mut Self, u8)) {
        const RAX: u8 = hreg::RAX;
        const RDX: u8 = hreg::RDX;
        self.claim(RAX);
        self.claim(RDX);
        self.load_value(RAX, op.ins[0].0);
        let rb = self.in_reg(op.ins[1], 1 << RAX | 1 << RDX);
        emit(self, rb);
        self.kill_inputs(i, op);
        self.def_reg(op.outs[0], RAX);
        self.def_reg(op.outs[1], RDX);
        self.kill_outputs(i, op);
    }

    /// Orders a comparison so that a constant, if any, is the second
    /// operand; returns (condition, a, b as an operand) with `a` in a register.
    fn cmp_operands(&mut self, c: Cond, a: Temp, b: Temp) -> (Cond, u8, Val) {
        let (c, a, b) = if self.konst(a).is_some() {
            (swap_cond(c), b, a)
        } else {
            (c, a, b)
        };
        let vb = self.val(b, 0);
        let ra = self.in_reg(a, 0);
        (c, ra, vb)
    }

    /// `cmp_operands` for a 32-bit compare: a constant is its low 32 bits.
    fn cmp_operands32(&mut self, c: Cond, a: Temp, b: Temp) -> (Cond, u8, Val) {
        let (c, a, b) = if self.konst(a).is_some() {
            (swap_cond(c), b, a)
        } else {
            (c, a, b)
        };
        let vb = match self.konst(b) {
            Some(k) => Val::Imm(k as u32 as i32),
            None => Val::Reg(self.in_reg(b, 0)),
        };
        let ra = self.in_reg(a, 0);
        (c, ra, vb)
    }

    pub(crate) fn setcond(&mut self, i: usize, op: &Op) {
        let c = cond(op.consts[0]);
        let (a, b) = (op.ins[0], op.ins[1]);
        if let (Some(x), Some(y)) = (self.konst(a), self.konst(b)) {
            return self.finish_const(i, op, c.eval(x, y) as u64);
        }
        let (c, ra, vb) = self.cmp_operands(c, a, b);
        let rd = self.dst_reg(i, op, op.outs[0], &[0, 1]);
        self.compare(c, ra, vb);
        self.setcc(cc_of(c), rd);
        dynasm!(self.a ; .arch x64 ; movzx Rd(rd), Rb(rd));
        self.finish(i, op, rd);
    }

    pub(crate) fn movcond(&mut self, i: usize, op: &Op) {
        let c = cond(op.consts[0]);
        let (d, a, b, t, f) = (op.outs[0], op.ins[0], op.ins[1], op.ins[2], op.ins[3]);
        if let (Some(x), Some(y)) = (self.konst(a), self.konst(b)) {
            let s = if c.eval(x, y) { t } else { f };
            return self.copy(i, op, d, s);
        }
        let (c, ra, vb) = self.cmp_operands(c, a, b);
        let rt = self.in_reg(t, 0);
        let rf = self.in_reg(f, 0);
        let cc = cc_of(c);
        if let Some(rd) = self.dies_in_reg(i, op, 2) {
            self.compare(c, ra, vb);
            self.cmovcc(cc ^ 1, rd, rf);
            self.finish(i, op, rd)
        } else if let Some(rd) = self.dies_in_reg(i, op, 3) {
            self.compare(c, ra, vb);
            self.cmovcc(cc, rd, rt);
            self.finish(i, op, rd)
        } else {
            let rd = self.dst_reg(i, op, d, &[]);
            self.mov_rr(rd, rf);
            self.compare(c, ra, vb);
            self.cmovcc(cc, rd, rt);
            self.finish(i, op, rd)
        }
    }

    pub(crate) fn brcond(&mut self, i: usize, op: &Op) {
        let c = cond(op.consts[0]);
        let l = self.labels[op.consts[1] as usize];
        let (a, b) = (op.ins[0], op.ins[1]);
        let narrow = self.narrow[i];
        if let (Some(x), Some(y)) = (self.konst(a), self.konst(b)) {
            let (x, y) = (narrow.extend(x), narrow.extend(y));
            if c.eval(x, y) {
                self.rip_before_branch(op.consts[1]);
            }
            self.canonicalize();
            if c.eval(x, y) {
                self.xmm_branch(op.consts[1]);
                self.xc_falls = false;
                dynasm!(self.a ; .arch x64 ; jmp =>l);
            }
            return self.reset();
        }
        let (c, ra, vb) = if narrow == Narrow::No {
            self.cmp_operands(c, a, b)
        } else {
            self.cmp_operands32(c, a, b)
        };
        self.rip_before_branch(op.consts[1]);
        let w32 = narrow != Narrow::No;
        let zero_test = matches!(c, Cond::Eq | Cond::Ne) && vb == Val::Imm(0);
        let test = matches!(c, Cond::TstEq | Cond::TstNe);
        if zero_test && self.zf_holds(ra, w32) {
            // The ALU op that computed `a` right before set ZF from it.
        } else if !test && self.cmp_holds(ra, vb, w32) {
            // `a - b` was just computed from these registers.
        } else if test && self.test_holds(ra, vb, w32) {
            // So was `a & b`.
        } else if !w32 {
            self.compare(c, ra, vb);
        } else {
            self.compare32(c, ra, vb);
        }
        if let Some((x, y, last)) = self.two_way_exit(i, op.consts[1]) {
            if self.emit_two_way_exit(cc_of(c), x, y) {
                self.skip_to = last + 1;
                return self.reset_for(last + 1);
            }
        }
        // `brcond c, l; br m; l:`: one jump, to m when not c.
        let (next, after) = (self.ir.ops.get(i + 1), self.ir.ops.get(i + 2));
        let inverted = match (next, after) {
            (Some(b), Some(s))
                if b.opc == Opcode::Br
                    && s.opc == Opcode::SetLabel
                    && s.consts[0] == op.consts[1]
                    && b.consts[0] != op.consts[1]
                    && !self.live.dead_op[i + 1] =>
            {
                Some(b.consts[0])
            }
            _ => None,
        };
        if let Some(m) = inverted {
            self.rip_before_branch(m);
        }
        // Dirty globals that one way overwrites first are stored on the
        // other way only (a jump taken to stores goes through them).
        let (jump, fall) = match inverted {
            Some(m) => (m, self.nu.label_dead(op.consts[1])),
            None => (op.consts[1], self.nu.fall_dead(i)),
        };
        let dead = self.nu.label_dead(jump);
        let to_fall = self.sinkable(dead & !fall);
        let to_jump = self.sinkable(fall & !dead);
        self.set_dirty_mask(to_fall | to_jump, false);
        self.canonicalize();
        self.xmm_branch(jump);
        let cc = cc_of(c) ^ inverted.is_some() as u8;
        if to_jump == 0 {
            self.jcc_label(cc, self.labels[jump as usize]);
        } else {
            let on = self.a.new_dynamic_label();
            self.jcc_label(cc ^ 1, on);
            self.store_sunk(to_jump);
            let l = self.labels[jump as usize];
            dynasm!(self.a ; .arch x64 ; jmp =>l);
            self.a.dynamic_label(on);
        }
        self.store_sunk(to_fall);
        if inverted.is_some() {
            self.skip_to = i + 2;
        }
        self.reset();
    }

    /// Stores the globals of `sunk` that a branch's canonicalization left
    /// in a register or constant (not those it found dead both ways).
    fn store_sunk(&mut self, mut sunk: u64) {
        while sunk != 0 {
            let g = sunk.trailing_zeros();
            sunk &= sunk - 1;
            if let Loc::Reg(_) | Loc::Const(_) = self.loc[g as usize] {
                self.set_dirty(g as usize, true);
                self.write_home(g);
            }
        }
    }

    /// Of the globals in `mask`, the dirty ones whose stores may wait
    /// until after a branch: in a register that canonicalizing leaves
    /// alone, or a constant.
    fn sinkable(&self, mask: u64) -> u64 {
        let mut sunk = mask & self.dirty_mask;
        let mut m = sunk;
        while m != 0 {
            let g = m.trailing_zeros();
            m &= m - 1;
            let moved = match self.loc[g as usize] {
                Loc::Reg(r) => self.canon.iter().any(|&(h, cr)| cr == r && h != g),
                Loc::Const(_) => false,
                _ => true,
            };
            if moved || self.canon.iter().any(|&(h, _)| h == g) {
                sunk &= !(1 << g);
            }
        }
        sunk
    }

    /// The address `ins + disp` as an absolute 32-bit displacement, if
    /// `ins` is a constant and the sum is one (a non-PIE program's globals
    /// and GOT): the access then needs no register for it.
    fn absolute(&self, ins: Temp, disp: i32) -> Option<i32> {
        let a = self.konst(ins)?.wrapping_add(disp as i64 as u64);
        i32::try_from(a as i64).ok()
    }

    pub(crate) fn load(&mut self, i: usize, op: &Op) {
        if self.sib[i] != crate::sib::Fused::No {
            return self.access_sib(i, op);
        }
        if let Some(abs) = self.absolute(op.ins[0], self.disp[i]) {
            let rd = self.dst_reg(i, op, op.outs[0], &[]);
            self.fault_site();
            match op.opc {
                Opcode::Ld8u => dynasm!(self.a ; .arch x64 ; movzx Rd(rd), BYTE [abs]),
                Opcode::Ld8s => dynasm!(self.a ; .arch x64 ; movsx Rq(rd), BYTE [abs]),
                Opcode::Ld16u => dynasm!(self.a ; .arch x64 ; movzx Rd(rd), WORD [abs]),
                Opcode::Ld16s => dynasm!(self.a ; .arch x64 ; movsx Rq(rd), WORD [abs]),
                Opcode::Ld32u => dynasm!(self.a ; .arch x64 ; mov Rd(rd), DWORD [abs]),
                Opcode::Ld32s => dynasm!(self.a ; .arch x64 ; movsxd Rq(rd), DWORD [abs]),
                _ => dynasm!(self.a ; .arch x64 ; mov Rq(rd), QWORD [abs]),
            }
            return self.finish(i, op, rd);
        }
        let ra = self.in_reg(op.ins[0], 0);
        let rd = self.dst_reg(i, op, op.outs[0], &[0]);
        let d = self.disp[i];
        self.fault_site();
        match op.opc {
            Opcode::Ld8u => short_disp!(self.a ; movzx Rd(rd), BYTE [Rq(ra) + d]),
            Opcode::Ld8s => short_disp!(self.a ; movsx Rq(rd), BYTE [Rq(ra) + d]),
            Opcode::Ld16u => short_disp!(self.a ; movzx Rd(rd), WORD [Rq(ra) + d]),
            Opcode::Ld16s => short_disp!(self.a ; movsx Rq(rd), WORD [Rq(ra) + d]),
            Opcode::Ld32u => short_disp!(self.a ; mov Rd(rd), DWORD [Rq(ra) + d]),
            Opcode::Ld32s => short_disp!(self.a ; movsxd Rq(rd), DWORD [Rq(ra) + d]),
            _ => short_disp!(self.a ; mov Rq(rd), QWORD [Rq(ra) + d]),
        }
        self.finish(i, op, rd);
    }

    pub(crate) fn store(&mut self, i: usize, op: &Op) {
        if self.sib[i] != crate::sib::Fused::No {
            return self.access_sib(i, op);
        }
        let vv = self.val(op.ins[0], 0);
        let abs = self.absolute(op.ins[1], self.disp[i]);
        if let (Some(abs), None) = (abs, self.opts.store_hook) {
            self.fault_site();
            match (op.opc, vv) {
                (Opcode::St8, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; mov BYTE [abs], Rb(r)),
                (Opcode::St8, Val::Imm(c)) => dynasm!(self.a ; .arch x64 ; mov BYTE [abs], c as i8),
                (Opcode::St16, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; mov WORD [abs], Rw(r)),
                (Opcode::St16, Val::Imm(c)) => {
                    dynasm!(self.a ; .arch x64 ; mov WORD [abs], c as i16)
                }
                (Opcode::St32, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; mov DWORD [abs], Rd(r)),
                (Opcode::St32, Val::Imm(c)) => dynasm!(self.a ; .arch x64 ; mov DWORD [abs], c),
                (_, Val::Reg(r)) => dynasm!(self.a ; .arch x64 ; mov QWORD [abs], Rq(r)),
                (_, Val::Imm(c)) => dynasm!(self.a ; .arch x64 ; mov QWORD [abs], c),
            }
            return self.kill_inputs(i, op);
        }
        let ra = self.in_reg(op.ins[1], 0);
        if let Some(hook) = self.opts.store_hook {
            self.call_store_hook(hook, ra, self.disp[i], op.opc);
        }
        let d = self.disp[i];
        self.fault_site();
        match (op.opc, vv) {
            (Opcode::St8, Val::Reg(r)) => {
                short_disp!(self.a ; mov BYTE [Rq(ra) + d], Rb(r))
            }
            (Opcode::St8, Val::Imm(c)) => {
                short_disp!(self.a ; mov BYTE [Rq(ra) + d], c as i8)
            }
            (Opcode::St16, Val::Reg(r)) => {
                short_disp!(self.a ; mov WORD [Rq(ra) + d], Rw(r))
            }
            (Opcode::St16, Val::Imm(c)) => {
                short_disp!(self.a ; mov WORD [Rq(ra) + d], c as i16)
            }
            (Opcode::St32, Val::Reg(r)) => {
                short_disp!(self.a ; mov DWORD [Rq(ra) + d], Rd(r))
            }
            (Opcode::St32, Val::Imm(c)) => {
                short_disp!(self.a ; mov DWORD [Rq(ra) + d], c)
            }
            (_, Val::Reg(r)) => short_disp!(self.a ; mov QWORD [Rq(ra) + d], Rq(r)),
            (_, Val::Imm(c)) => short_disp!(self.a ; mov QWORD [Rq(ra) + d], c),
        }
        self.kill_inputs(i, op);
    }

    /// Calls `hook(ra + disp, size)` with every register preserved.
    pub(crate) fn call_store_hook(&mut self, hook: usize, ra: u8, disp: i32, opc: Opcode) {
        let size = match opc {
            Opcode::St8 => 1,
            Opcode::St16 => 2,
            Opcode::St32 => 4,
            Opcode::StXmm => 16,
            _ => 8,
        };
        self.xmm_flush(true);
        dynasm!(self.a ; .arch x64
            ; push rax ; push rcx ; push rdx ; push rsi ; push rdi
            ; push r8 ; push r9 ; push r10 ; push r11 ; sub rsp, 8
            ; lea rdi, [Rq(ra) + disp]
            ; mov esi, size
            ; mov rax, QWORD hook as i64
            ; call rax
            ; add rsp, 8 ; pop r11 ; pop r10 ; pop r9 ; pop r8
            ; pop rdi ; pop rsi ; pop rdx ; pop rcx ; pop rax
        );
        self.xc.clear();
    }

    /// `d = [env + offset]` (never a global's field: the verifier rejects that).
    pub(crate) fn ld_env(&mut self, i: usize, op: &Op) {
        let d = op.outs[0];
        // The low quadword of a guest XMM register the TB holds in a host
        // one (a MOVSD store, a MOVQ to a general register) is read there,
        // not written back and loaded.
        if let Some(h) = self.cached_xmm_low(op.consts[0] as usize) {
            let rd = self.own_reg(d);
            dynasm!(self.a ; .arch x64 ; movq Rq(rd), Rx(h));
            self.def_reg(d, rd);
            return self.kill_outputs(i, op);
        }
        self.xmm_read(op.consts[0] as usize);
        let rd = self.own_reg(d);
        self.ld_env_reg(rd, env_disp(op.consts[0] as usize));
        self.def_reg(d, rd);
        self.kill_outputs(i, op);
    }

    /// `[env + offset] = v` (never a global's field).
    pub(crate) fn st_env(&mut self, i: usize, op: &Op) {
        let disp = env_disp(op.consts[0] as usize);
        self.xmm_written(op.consts[0] as usize);
        match self.val(op.ins[0], 0) {
            Val::Reg(r) => self.st_env_reg(disp, r),
            Val::Imm(c) => self.st_env_imm(disp, c as i64 as u64),
        }
        self.kill_inputs(i, op);
    }
}
