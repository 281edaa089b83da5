//! Low-level emission helpers: register/immediate moves, `CpuState` and
//! frame-slot accesses with the shortest displacement, jumps and calls to
//! absolute host addresses, and condition-code dispatch.

use crate::abi::{hreg, SCRATCH, SPILL_DISP};
use crate::gen::Gen;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use ox86_ir::{Cond, Opcode};

/// The x86 condition code (`tttn`) for an IR condition after `cmp a, b`
/// (or `test a, b` for the TST conditions).
pub(crate) fn cc_of(c: Cond) -> u8 {
    match c {
        Cond::Eq | Cond::TstEq => 0x4,
        Cond::Ne | Cond::TstNe => 0x5,
        Cond::Lt => 0xc,
        Cond::Ge => 0xd,
        Cond::Le => 0xe,
        Cond::Gt => 0xf,
        Cond::Ltu => 0x2,
        Cond::Geu => 0x3,
        Cond::Leu => 0x6,
        Cond::Gtu => 0x7,
    }
}

/// The condition with its operands exchanged: `c(a, b) == swap(c)(b, a)`.
pub(crate) fn swap_cond(c: Cond) -> Cond {
    match c {
        Cond::Lt => Cond::Gt,
        Cond::Gt => Cond::Lt,
        Cond::Le => Cond::Ge,
        Cond::Ge => Cond::Le,
        Cond::Ltu => Cond::Gtu,
        Cond::Gtu => Cond::Ltu,
        Cond::Leu => Cond::Geu,
        Cond::Geu => Cond::Leu,
        other => other,
    }
}

/// True if `c` is `c as i32` sign-extended.
pub(crate) fn fits_i32(c: u64) -> bool {
    c as i64 == c as i32 as i64
}

fn rex(w: bool, reg: u8, base: u8) -> u8 {
    0x40 | (w as u8) << 3 | (reg >> 3) << 2 | (base >> 3)
}

impl Gen {
    /// `d = s` (64-bit), nothing if the same register.
    pub fn mov_rr(&mut self, d: u8, s: u8) {
        if d != s {
            dynasm!(self.a ; .arch x64 ; mov Rq(d), Rq(s));
        }
    }

    /// `d = s` for an instruction that reads only the low 32 bits of `d`
    /// and zero-extends its result: nothing if the same register.
    pub fn mov_rr32(&mut self, d: u8, s: u8) {
        if d != s {
            dynasm!(self.a ; .arch x64 ; mov Rd(d), Rd(s));
        }
    }

    /// Register-to-register moves `(dst, src)` done as if all at once
    /// (cycles broken through the scratch register); flags are left alone.
    /// Empties `moves`.
    pub fn parallel_move(&mut self, moves: &mut Vec<(u8, u8)>) {
        moves.retain(|&(d, s)| d != s);
        while !moves.is_empty() {
            let free = moves
                .iter()
                .position(|&(d, _)| !moves.iter().any(|&(_, s)| s == d));
            match free {
                Some(j) => {
                    let (d, s) = moves.remove(j);
                    self.mov_rr(d, s);
                }
                None => {
                    let s = moves[0].1;
                    self.mov_rr(SCRATCH, s);
                    for m in moves.iter_mut().filter(|m| m.1 == s) {
                        m.1 = SCRATCH;
                    }
                }
            }
        }
    }

    /// `d = c` with the shortest encoding; flags are left alone.
    pub fn mov_ri(&mut self, d: u8, c: u64) {
        if c <= u32::MAX as u64 {
            dynasm!(self.a ; .arch x64 ; mov Rd(d), c as i32);
        } else if fits_i32(c) {
            dynasm!(self.a ; .arch x64 ; mov Rq(d), c as i32);
        } else {
            dynasm!(self.a ; .arch x64 ; mov Rq(d), QWORD c as i64);
        }
    }

    /// `r = [env + disp]`.
    pub fn ld_env_reg(&mut self, r: u8, disp: i32) {
        if (-128..128).contains(&disp) {
            dynasm!(self.a ; .arch x64 ; mov Rq(r), QWORD [BYTE rbp + disp as i8]);
        } else {
            dynasm!(self.a ; .arch x64 ; mov Rq(r), QWORD [rbp + disp]);
        }
    }

    /// `[env + disp] = r`.
    pub fn st_env_reg(&mut self, disp: i32, r: u8) {
        if (-128..128).contains(&disp) {
            dynasm!(self.a ; .arch x64 ; mov QWORD [BYTE rbp + disp as i8], Rq(r));
        } else {
            dynasm!(self.a ; .arch x64 ; mov QWORD [rbp + disp], Rq(r));
        }
    }

    /// `[env + disp] = c` (64-bit), through the scratch register if needed.
    pub fn st_env_imm(&mut self, disp: i32, c: u64) {
        if !fits_i32(c) {
            self.mov_ri(SCRATCH, c);
            self.st_env_reg(disp, SCRATCH);
        } else if (-128..128).contains(&disp) {
            dynasm!(self.a ; .arch x64 ; mov QWORD [BYTE rbp + disp as i8], c as i32);
        } else {
            dynasm!(self.a ; .arch x64 ; mov QWORD [rbp + disp], c as i32);
        }
    }

    /// `r = spill slot s`.
    pub fn ld_slot(&mut self, r: u8, s: u32) {
        let d = SPILL_DISP + 8 * s as i32;
        dynasm!(self.a ; .arch x64 ; mov Rq(r), QWORD [rbp + d]);
    }

    /// `spill slot s = r`.
    pub fn st_slot(&mut self, s: u32, r: u8) {
        let d = SPILL_DISP + 8 * s as i32;
        dynasm!(self.a ; .arch x64 ; mov QWORD [rbp + d], Rq(r));
    }

    /// `spill slot s = c`, through the scratch register if needed.
    pub fn st_slot_imm(&mut self, s: u32, c: u64) {
        let d = SPILL_DISP + 8 * s as i32;
        if fits_i32(c) {
            dynasm!(self.a ; .arch x64 ; mov QWORD [rbp + d], c as i32);
        } else {
            self.mov_ri(SCRATCH, c);
            self.st_slot(s, SCRATCH);
        }
    }

    fn rel32_to(&self, target: usize, insn_len: usize) -> i32 {
        let end = self.base + self.off() + insn_len;
        let rel = target as i64 - end as i64;
        assert!(fits_i32(rel as u64), "jump target out of rel32 range");
        rel as i32
    }

    /// Pads the near branch emitted next so that it starts at `phase`
    /// modulo 4 (relative to the host address), which puts its rel32 on a
    /// 4-byte boundary for atomic patching. The padding is CS segment
    /// prefixes (2Eh) of the branch itself, not a NOP, so that the path
    /// through the branch runs no extra instruction: in 64-bit mode a
    /// segment override is ignored (the SDM reserves it on branches; on a
    /// Jcc, 2Eh is the not-taken hint of older CPUs, which current ones
    /// ignore). CS is what assemblers pad 64-bit code with (GNU as
    /// `-malign-branch-prefix-size`), and decoders take the three of them
    /// without a stall (lua's dispatch, python: 1-2% faster than NOPs).
    pub fn pad_branch_to(&mut self, phase: usize) {
        let n = (phase + 4 - (self.base + self.off()) % 4) % 4;
        for _ in 0..n {
            self.a.extend([0x2e]);
        }
    }

    /// Pads with multi-byte NOPs until the host address is a multiple of
    /// `align` (a power of two).
    pub fn align_code(&mut self, align: usize) {
        loop {
            let left = (align - (self.base + self.off()) % align) % align;
            match left {
                0 => return,
                1 => self.a.extend([0x90]),
                2 => self.a.extend([0x66, 0x90]),
                3 => self.a.extend([0x0f, 0x1f, 0x00]),
                4..=7 => self.a.extend([0x0f, 0x1f, 0x40, 0x00]),
                _ => self
                    .a
                    .extend([0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00]),
            }
        }
    }

    /// `jmp target` (absolute host address inside the code cache).
    pub fn jmp_abs(&mut self, target: usize) {
        let rel = self.rel32_to(target, 5);
        self.a.push(0xe9);
        self.abs_fields.push(self.off());
        self.a.push_i32(rel);
    }

    /// `j<cc> target` (absolute host address inside the code cache).
    pub fn jcc_abs(&mut self, cc: u8, target: usize) {
        let rel = self.rel32_to(target, 6);
        self.a.push(0x0f);
        self.a.push(0x80 | cc);
        self.abs_fields.push(self.off());
        self.a.push_i32(rel);
    }

    /// `call target`: rel32 if reachable, else through RAX.
    pub fn call_abs(&mut self, target: usize) {
        let end = self.base + self.off() + 5;
        let rel = target as i64 - end as i64;
        if fits_i32(rel as u64) {
            self.a.push(0xe8);
            self.abs_fields.push(self.off());
            self.a.push_i32(rel as i32);
        } else {
            self.mov_ri(hreg::RAX, target as u64);
            dynasm!(self.a ; .arch x64 ; call rax);
        }
    }

    /// `j<cc> label`.
    pub fn jcc_label(&mut self, cc: u8, l: dynasmrt::DynamicLabel) {
        match cc {
            0x2 => dynasm!(self.a ; .arch x64 ; jb =>l),
            0x3 => dynasm!(self.a ; .arch x64 ; jae =>l),
            0x4 => dynasm!(self.a ; .arch x64 ; je =>l),
            0x5 => dynasm!(self.a ; .arch x64 ; jne =>l),
            0x6 => dynasm!(self.a ; .arch x64 ; jbe =>l),
            0x7 => dynasm!(self.a ; .arch x64 ; ja =>l),
            0xc => dynasm!(self.a ; .arch x64 ; jl =>l),
            0xd => dynasm!(self.a ; .arch x64 ; jge =>l),
            0xe => dynasm!(self.a ; .arch x64 ; jle =>l),
            0xf => dynasm!(self.a ; .arch x64 ; jg =>l),
            _ => unreachable!("condition code {cc:#x} not produced by cc_of"),
        }
    }

    /// `set<cc> d8`.
    pub fn setcc(&mut self, cc: u8, d: u8) {
        // 0F 90+cc /0, with a REX prefix so that 4..7 name SPL..DIL.
        self.a.push(rex(false, 0, d));
        self.a.push(0x0f);
        self.a.push(0x90 | cc);
        self.a.push(0xc0 | (d & 7));
    }

    /// `cmov<cc> d, s` (64-bit).
    pub fn cmovcc(&mut self, cc: u8, d: u8, s: u8) {
        self.a.push(rex(true, d, s));
        self.a.push(0x0f);
        self.a.push(0x40 | cc);
        self.a.push(0xc0 | (d & 7) << 3 | (s & 7));
    }

    /// `compare` on the low 32 bits.
    pub fn compare32(&mut self, c: Cond, a: u8, b: crate::regalloc::Val) {
        use crate::regalloc::Val;
        let test = matches!(c, Cond::TstEq | Cond::TstNe);
        match (test, b) {
            (false, Val::Imm(0)) => dynasm!(self.a ; .arch x64 ; test Rd(a), Rd(a)),
            (false, Val::Reg(b)) => dynasm!(self.a ; .arch x64 ; cmp Rd(a), Rd(b)),
            (false, Val::Imm(i)) => crate::short::cmp_imm(&mut self.a, false, a, i),
            (true, Val::Reg(b)) => dynasm!(self.a ; .arch x64 ; test Rd(a), Rd(b)),
            // Only ZF is read after a test: of the low byte when `i` is.
            (true, Val::Imm(i @ 0..=0xff)) => dynasm!(self.a ; .arch x64 ; test Rb(a), i as i8),
            (true, Val::Imm(i)) => dynasm!(self.a ; .arch x64 ; test Rd(a), i),
        }
    }

    /// Notes that the instruction just emitted set ZF (and SF) from host
    /// register `reg`, in its low 32 bits if `w32` (a 32-bit ALU op, which
    /// zero-extends, so ZF holds for all 64 bits too).
    pub fn note_zf(&mut self, reg: u8, w32: bool) {
        self.zf = Some(ZfOf {
            end: self.off(),
            defined: self.a.labels_defined(),
            reg,
            w32,
            alu: None,
        });
    }

    /// Notes that the instruction just emitted was `sub reg, b` or `and
    /// reg, b` (`opc`; in 32 bits if `w32`) on a copy of host register
    /// `a`, which still holds its value: the flags are those of `cmp a, b`
    /// or (ZF) of `test a, b`.
    pub fn note_alu(&mut self, opc: Opcode, reg: u8, a: u8, b: crate::regalloc::Val, w32: bool) {
        self.note_zf(reg, w32);
        if let Some(z) = &mut self.zf {
            z.alu = Some((opc, a, b));
        }
    }

    /// True if ZF already says whether host register `reg` (its low 32
    /// bits if `w32`) is zero: nothing was emitted, and no label defined,
    /// since the instruction that set it from that value.
    pub fn zf_holds(&self, reg: u8, w32: bool) -> bool {
        self.zf.is_some_and(|z| {
            z.end == self.off()
                && z.defined == self.a.labels_defined()
                && z.reg == reg
                && (z.w32 || !w32)
        })
    }

    /// True if the flags are already those of `cmp a, b` (in 32 bits if
    /// `w32`): the instruction right before (no label between) was a `sub`
    /// of the same width on a copy of `a`.
    pub fn cmp_holds(&self, a: u8, b: crate::regalloc::Val, w32: bool) -> bool {
        self.zf.is_some_and(|z| {
            z.end == self.off()
                && z.defined == self.a.labels_defined()
                && z.alu == Some((Opcode::Sub, a, b))
                && z.w32 == w32
        })
    }

    /// True if ZF already is that of `test a, b` (in 32 bits if `w32`):
    /// the instruction right before (no label between) was an `and` on a
    /// copy of `a`, of the same width or with a non-negative immediate
    /// (no bit above 30: in 32 and 64 bits the same mask).
    pub fn test_holds(&self, a: u8, b: crate::regalloc::Val, w32: bool) -> bool {
        use crate::regalloc::Val;
        self.zf.is_some_and(|z| {
            z.end == self.off()
                && z.defined == self.a.labels_defined()
                && z.alu == Some((Opcode::And, a, b))
                && (z.w32 == w32 || matches!(b, Val::Imm(0..)))
        })
    }

    /// `cmp a, b` or `test a, b` as `c` needs, with `b` a register or imm32.
    pub fn compare(&mut self, c: Cond, a: u8, b: crate::regalloc::Val) {
        use crate::regalloc::Val;
        let test = matches!(c, Cond::TstEq | Cond::TstNe);
        match (test, b) {
            // Same flags as `cmp a, 0` for every condition (CF = OF = 0).
            (false, Val::Imm(0)) => dynasm!(self.a ; .arch x64 ; test Rq(a), Rq(a)),
            (false, Val::Reg(b)) => dynasm!(self.a ; .arch x64 ; cmp Rq(a), Rq(b)),
            (false, Val::Imm(i)) => crate::short::cmp_imm(&mut self.a, true, a, i),
            (true, Val::Reg(b)) => dynasm!(self.a ; .arch x64 ; test Rq(a), Rq(b)),
            (true, Val::Imm(i @ 0..=0xff)) => dynasm!(self.a ; .arch x64 ; test Rb(a), i as i8),
            (true, Val::Imm(i)) => dynasm!(self.a ; .arch x64 ; test Rq(a), i),
        }
    }
}

/// Where ZF came from at the end of the code emitted so far (see
/// `Gen::note_zf`): a branch on a value being zero right after the ALU
/// instruction that computed it (`sub r, 1; jnz`) needs no `test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ZfOf {
    /// Code offset right after the instruction.
    end: usize,
    /// `Asm::labels_defined` then.
    defined: u64,
    reg: u8,
    w32: bool,
    /// The `sub` or `and` that set the flags and its operands (see
    /// `note_alu`).
    alu: Option<(Opcode, u8, crate::regalloc::Val)>,
}
